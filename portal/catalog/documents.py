"""The JSON representation of a call, shared by the API and anything else that serialises calls."""

from __future__ import annotations

import datetime as dt

from portal.catalog.models import Call
from portal.catalog.status import CallStatus
from portal.core.time import PARIS
from portal.core.urls import external_url


def iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the Paris offset, as data outputs require: 2025-05-09T23:59:59+02:00."""
    return moment.astimezone(PARIS).isoformat() if moment is not None else None


def summary_document(call: Call, status: CallStatus) -> dict:
    return {
        "id": str(call.uuid),
        "slug": call.slug,
        "type": call.kind,
        "titre": call.title,
        "resume": call.summary,
        "organisme": call.issuer,
        "statut": {"code": status.code.value, "libelle": status.label},
        "fenetres": [{"cle": w.key, "libelle": w.label, "ouverture": iso(w.opens_at), "cloture": iso(w.closes_at)}
                     for w in call.windows],
        "publie_le": iso(call.published_at),
        "mis_a_jour_le": iso(call.updated_at),
        "url": external_url("catalog.detail", slug=call.slug),
    }


def full_document(call: Call, status: CallStatus) -> dict:
    return {
        **summary_document(call, status),
        "donnees": call.spec_json,
        "texte_markdown": call.body_md,
        "texte_html": call.body_html,
        "revisions": [{"numero": r.number, "date": iso(r.created_at), "modifications": r.changes}
                      for r in call.revisions],
        "calendrier": external_url("feeds.calendar_one", slug=call.slug),
    }
