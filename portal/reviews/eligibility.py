"""Eligibility (recevabilité): the checklist a call manager screens a deposited application with, generated from
what the call published, and the recorded verdict. Only eligible applications go on to be assigned and scored;
an ineligible one is told the reason when the decisions are published."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from portal.accounts.models import Organisation
from portal.applications import completeness, registration
from portal.applications.models import Application
from portal.catalog.schema import CARRIER_LABELS, CarrierType
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.formatting import date_fr, datetime_fr
from portal.core.time import today_paris
from portal.extensions import db
from portal.reviews import assignment, permissions, rounds
from portal.reviews.models import Eligibility
from portal.reviews.states import Verdict

VERDICTS = {v: v.label for v in Verdict}


@dataclass(frozen=True)
class CheckItem:
    """One point of the checklist. `automatic` is what the portal can tell from the data (None: the manager
    judges); the manager's ticks are what gets recorded."""

    key: str
    label: str
    automatic: bool | None
    detail: str


def checklist(application: Application) -> list[CheckItem]:
    """The points the call sets: carrier type, each agrément required, each required document, the deadline."""
    spec = application.call.spec
    organisation = db.session.get(Organisation, application.organisation_id)
    version = application.latest_version
    items = [_carrier(organisation, spec.carriers.types)]
    items += [_agreement(index, text, organisation, application)
              for index, text in enumerate(spec.carriers.agreements, start=1)]
    files = version.files if version is not None else []
    items += [_document(document, files, version) for document in completeness.documents_asked(application)
              if document.required]
    items.append(_deadline(application))
    return items


def _carrier_label(value: str) -> str:
    try:
        return CARRIER_LABELS[CarrierType(value)]
    except ValueError:
        return value


def _carrier(organisation: Organisation, types) -> CheckItem:
    allowed = ", ".join(CARRIER_LABELS[t] for t in types)
    ok = organisation.legal_form in {t.value for t in types}
    return CheckItem("porteur", "Type de porteur éligible", ok,
                     f"L'organisation se déclare « {_carrier_label(organisation.legal_form)} » ; "
                     f"l'appel admet : {allowed}.")


def _agreement(index: int, text: str, organisation: Organisation, application: Application) -> CheckItem:
    """The portal cannot match an agrément's free wording to the call's: it lists what the organisation declared,
    valid or expired on the closing day, and the manager decides."""
    closing_day = today_paris(application.window.closes_at)
    held = [f"{a.kind} ({a.authority}{', réf. ' + a.reference if a.reference else ''}) — "
            + (f"expiré le {date_fr(a.expires_on)} avant la clôture" if a.is_expired_on(closing_day)
               else f"valable à la clôture{' (expire le ' + date_fr(a.expires_on) + ')' if a.expires_on else ''}")
            for a in organisation.agrements]
    detail = ("Agréments déclarés par l'organisation : " + " ; ".join(held) + "." if held
              else "L'organisation n'a déclaré aucun agrément.")
    return CheckItem(f"agrement-{index}", f"Agrément requis : {text}", None, detail)


def _document(document, files: list, version) -> CheckItem:
    given = [f for f in files if f.slot == document.key]
    if given:
        detail = "Déposé : " + ", ".join(f"« {f.name} »" for f in given) + "."
    elif version is None:
        detail = "Aucune version déposée."
    else:
        detail = f"Absent de la version {version.number} déposée."
    return CheckItem(f"piece-{document.key}", f"Pièce obligatoire : {document.label}", bool(given), detail)


def _deadline(application: Application) -> CheckItem:
    window = application.window
    first = application.versions[0] if application.versions else None
    ok = first is not None and window.is_open_at(first.submitted_at)
    detail = (f"Premier dépôt le {datetime_fr(first.submitted_at)} ; clôture le {datetime_fr(window.closes_at)}."
              if first is not None else "Jamais déposée.")
    if (received := registration.deadline_fact(application)) is not None:  # by post or e-mail: its postmark counts
        ok, detail = received
    return CheckItem("delai", "Déposée dans la fenêtre de dépôt", ok, detail)


def record(application: Application, verdict: str, checked: dict[str, bool], reason: str | None, by,
           at: dt.datetime) -> Eligibility:
    """Record (or change) the verdict while the round is still screening. An application found ineligible leaves
    the committee's lists: its assignments, if any were made during screening, are removed."""
    if not application.is_deposited:
        raise Refusal("Seule une candidature déposée s'examine.")
    if verdict not in VERDICTS:
        raise Refusal("Choisissez « recevable » ou « irrecevable ».")
    reason = (reason or "").strip() or None
    if verdict == Verdict.INELIGIBLE and reason is None:
        raise Refusal("Indiquez le motif d'irrecevabilité : il sera communiqué à l'organisation.")
    refusal = permissions.can_screen(application, rounds.round_of_application(application, at))
    if refusal is not None:
        raise refusal
    rounds.ensure_round(application.window, at)  # the first verdict stores the round
    known = {item.key for item in checklist(application)}
    ticks = {key: bool(value) for key, value in checked.items() if key in known}
    row = db.session.scalar(select(Eligibility).where(Eligibility.application_id == application.id))
    before = {"verdict": row.verdict, "reason": row.reason, "checklist": row.checklist} if row else None
    by_id = getattr(by, "id", None)
    if row is None:
        row = Eligibility(application_id=application.id, verdict=verdict, checklist=ticks, reason=reason,
                          decided_by_id=by_id, decided_at=at)
        db.session.add(row)
    else:
        row.verdict, row.checklist, row.reason, row.decided_by_id, row.decided_at = verdict, ticks, reason, by_id, at
    audit.record("review.eligibility", actor=by, target=f"application:{application.id}",
                 before=before["verdict"] if before else None, after=verdict,
                 reason_before=before["reason"] if before else None, reason=reason, checklist=ticks)
    if verdict == Verdict.INELIGIBLE:
        assignment.withdraw_all(application, by, why="irrecevable")
    db.session.flush()
    return row
