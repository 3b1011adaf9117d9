"""The index of a « dossier de contrôle » (bundle.py), its first file: who the grant went to and under which call,
one table per part listing each file with its date (Paris), author, size and SHA-256, and the audit trail of the
application and of the convention (its reports and tranches included), oldest first, in French."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.applications.history import ACTION_LABELS as APPLICATION_LABELS
from portal.applications.queries import staff_history
from portal.core.audit import AuditEvent, for_target
from portal.core.formatting import date_fr, money_fr, time_fr
from portal.core.pdf import render_pdf
from portal.followup.bundle import Bundle
from portal.followup.states import CONVENTION_STATE_LABELS

# The follow-up's actions (this domain's), and the selection's: the reviews domain names none of its own in French.
ACTION_LABELS = {
    **APPLICATION_LABELS,
    "review.eligibility": "Recevabilité examinée", "review.assign": "Évaluateur désigné",
    "review.assign_auto": "Évaluateur désigné (automatiquement)", "review.assign_import": "Évaluateur désigné (import)",
    "review.unassign": "Évaluateur retiré", "review.no_conflict": "Absence de conflit d'intérêts déclarée",
    "review.conflict_declare": "Conflit d'intérêts déclaré", "review.conflict_detect": "Conflit d'intérêts détecté",
    "review.conflict_confirm": "Conflit d'intérêts confirmé", "review.conflict_lift": "Conflit d'intérêts levé",
    "review.save": "Évaluation enregistrée", "review.save_pending": "Évaluation modifiée après soumission",
    "review.discard_pending": "Modification d'évaluation abandonnée", "review.submit": "Évaluation soumise",
    "review.decision": "Décision enregistrée", "review.withdrawal": "Désistement du lauréat enregistré",
    "review.promotion": "Retenue sur la liste complémentaire",
    "followup.convention_draft": "Convention préparée", "followup.convention_send": "Convention envoyée pour signature",
    "followup.convention_remind": "Rappel de signature envoyé",
    "followup.convention_sign_organisation": "Signée par l'organisation",
    "followup.convention_sign_issuer": "Signée par le financeur", "followup.convention_in_force": "Entrée en vigueur",
    "followup.convention_amend": "Avenant proposé à la signature",
    "followup.amendment_sign_organisation": "Avenant signé par l'organisation",
    "followup.amendment_in_force": "Avenant signé par le financeur, en vigueur",
    "followup.convention_territories": "Territoires de la convention modifiés", "followup.report_calendar": "Calendrier des bilans établi",
    "followup.report_save": "Bilan enregistré (brouillon)", "followup.report_file": "Document joint au bilan",
    "followup.report_file_infected": "Document du bilan refusé (virus)", "followup.report_submit": "Bilan déposé",
    "followup.report_to_complete": "Bilan renvoyé à compléter", "followup.report_accept": "Bilan accepté",
    "followup.report_extension_ask": "Nouvelle date de bilan demandée",
    "followup.report_extension_grant": "Demande de nouvelle date tranchée",
    "followup.signed_copy_infected": "Exemplaire signé refusé (virus)",
    "followup.bundle": "Dossier de contrôle téléchargé",
    "payments.plan": "Échéancier établi", "payments.due": "Tranche due", "payments.request": "Versement demandé",
    "payments.certify": "Service fait certifié", "payments.pay": "Paiement enregistré",
}
# What an entry's details add to its label, when they say it (never a free text: a reason may name a person).
DETAILS = {"name": "«\u00a0{}\u00a0»", "label": "{}", "version": "version {}", "slot": "pièce {}", "signed_on": "signée le {}",
           "in_force_on": "en vigueur le {}", "after": "{}", "amount_due": "dû {}", "certified_amount": "certifié {}",
           "paid_amount": "payé {}", "files": "{} fichiers"}
MONEY = {"amount_due", "certified_amount", "paid_amount"}
DATES = {"signed_on", "in_force_on"}


@dataclass(frozen=True)
class Line:
    at: dt.datetime
    who: str
    what: str


def _detail(event: AuditEvent) -> str:
    shown = []
    for key, pattern in DETAILS.items():
        value = (event.details or {}).get(key)
        if value in (None, "") or isinstance(value, (dict, list)):
            continue
        if key in MONEY:
            value = money_fr(value)
        elif key in DATES:
            value = date_fr(dt.date.fromisoformat(value))
        elif key == "after":
            value = {"eligible": "recevable", "ineligible": "irrecevable"}.get(value, value)
        shown.append(pattern.format(value))
    return ", ".join(shown)


def timeline(bundle: Bundle) -> list[Line]:
    """The audit entries of the application (as its staff read them: queries.staff_history, for the call's
    managers only), of the convention, of each of its reports and of each tranche, oldest first."""
    convention = bundle.convention
    events = list(staff_history(bundle.application)) if bundle.manages else []
    for target in [f"convention:{convention.id}", *(f"report:{r.id}" for r in convention.reports),
                   *(f"tranche:{t.id}" for t in convention.tranches)]:
        events += for_target(target)
    events.sort(key=lambda e: (e.at, e.id))
    lines = []
    for event in events:
        label = ACTION_LABELS.get(event.action, event.action)
        detail = _detail(event)
        lines.append(Line(event.at, event.actor_email or "le portail (tâche planifiée)",
                          f"{label} — {detail}" if detail else label))
    return lines


def instant_fr(moment: dt.datetime) -> str:
    """« 4 juillet 2025, 10 h 00 min 12 s »: the index says once that its times are Paris times."""
    return f"{date_fr(moment)}, {time_fr(moment, seconds=True)}"


def dated_fr(value) -> str:
    if isinstance(value, dt.datetime):
        return f"{instant_fr(value)} (heure de Paris)"
    if isinstance(value, dt.date):
        return date_fr(value)
    return "—"


def index_pdf(bundle: Bundle, by, at: dt.datetime) -> bytes:
    return render_pdf("followup/bundle_index_pdf.html", bundle=bundle, timeline=timeline(bundle), by=by, at=at,
                      dated_fr=dated_fr, instant_fr=instant_fr, state_labels=CONVENTION_STATE_LABELS,
                      issuer_name=bundle.call.spec.issuer.body)
