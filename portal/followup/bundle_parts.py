"""The tables of the « dossier de contrôle » (bundle.py) that the portal writes as CSV from the other domains' reads:
the eligibility checklist and verdict, the reviews and scores, the decision and its changes, each report's figures
and the payment schedule. Amounts are written as numbers (« 7200.30 »), instants in Paris time, by core.exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.applications.models import Application
from portal.core.exports import csv_lines
from portal.followup.models import Convention, Report
from portal.followup.payments import household_lines
from portal.followup.report_forms import form_of, gaps
from portal.followup.states import ReportState, TrancheState, Trigger
from portal.reviews import eligibility
from portal.reviews import queries as review_queries
from portal.reviews.exports import score_header
from portal.reviews.models import Decision
from portal.reviews.states import Outcome, Verdict

if TYPE_CHECKING:
    from portal.followup.bundle import Part


def _csv(header: list[str], rows) -> bytes:
    """The portal's CSV for French spreadsheets (UTF-8 with a BOM, « ; »), as its exports write it."""
    return b"".join(csv_lines(header, rows))


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")


# ---- the selection side -----------------------------------------------------------------------------------------

def eligibility_part(part: Part, application: Application, people) -> None:
    """The checklist the manager screened the application with (reviews.eligibility), her ticks and her verdict."""
    row = review_queries.eligibility_of(application)
    if row is None:
        part.notes.append("La recevabilité n'a pas été examinée.")
        return
    ticks = row.checklist or {}
    rows = [[item.label, _yes_no(item.automatic), _yes_no(ticks.get(item.key)), item.detail]
            for item in eligibility.checklist(application)]
    rows.append(["Verdict", "", Verdict(row.verdict).label, row.reason or ""])
    rows.append(["Examinée le", "", row.decided_at, people(row.decided_by_id) or ""])
    header = ["Point de contrôle", "Constat du portail", "Coché par le service", "Détail"]
    part.add_bytes("recevabilite.csv", _csv(header, rows), row.decided_at, people(row.decided_by_id))


def reviews_part(part: Part, application: Application, organisation: str) -> None:
    """The reviews that count (reviews.queries.counting_reviews_of), in the columns of the committee's export; the
    call's managers always know who wrote what."""
    counted = review_queries.counting_reviews_of(application)
    if not counted:
        part.notes.append("Aucune évaluation soumise ne compte pour cette candidature.")
        return
    call = application.call
    rows = []
    for review, reviewer, _rank in counted:
        cells = []
        for criterion in call.spec.selection_criteria:
            score = review.score_of(criterion.key)
            cells += [score.value if score else None, (score.comment or "") if score else ""]
        rows.append([application.number, organisation, reviewer, *cells, review.opinion_label, review.comment or "",
                     review.total, review.submitted_at])
    last = max((review.submitted_at for review, _, _ in counted if review.submitted_at), default=None)
    part.add_bytes("evaluations.csv", _csv(score_header(call), rows), last)


def decision_csv(decision: Decision) -> bytes:
    """The decision as published (a later change keeps what it replaced), then each change in order."""
    first = decision.changes[0] if decision.changes else None
    outcome = first.outcome_before if first else decision.outcome
    amount = first.amount_before if first else decision.amount
    rows = [["Décision", Outcome(outcome).label, amount, decision.duration_years, decision.motivation or "",
             decision.decided_at]]
    if decision.published_at is not None:
        rows.append(["Publication", "", None, None, "", decision.published_at])
    for change in decision.changes:
        rows.append([change.kind_label, Outcome(change.outcome_after).label, change.amount_after, None,
                     change.reason or "", change.recorded_at])
    return _csv(["Étape", "Issue", "Montant (€)", "Durée (années)", "Motivation ou motif", "Le"], rows)


# ---- the follow-up ----------------------------------------------------------------------------------------------

def report_state(report: Report) -> str:
    return ReportState(report.state).label.lower()


def report_csv(report: Report) -> bytes:
    """A report's figures as filed: the call's indicators, the service done at unit prices, the Cerfa n°15059's
    planned and actual amounts with their gaps, the qualitative analysis — the form's own labels."""
    form = form_of(report)
    rows = [["Bilan", report.label, ReportState(report.state).label, "", "", ""],
            ["Début de la période", "", report.period_start, "", "", ""],
            ["Fin de la période", "", report.period_end, "", "", ""],
            ["Échéance", "", report.due_on, "", "", ""],
            ["Déposé le", "", report.submitted_at, "", "", ""]]
    if report.completion_asked:
        rows.append(["Demandé pour compléter", "", report.completion_asked, "", "", ""])
    if report.accepted_at:
        rows.append(["Accepté le", "", report.accepted_at, "", "", ""])
    values = report.indicator_values or {}
    for field in form.indicators:
        rubric = f"Indicateur — {field.group}" if field.group else "Indicateur"
        rows.append([rubric, field.label, values.get(field.key, ""), field.target or "", field.unit or "", ""])
    quantities = report.quantities or {}
    for field in form.quantities:
        # One figure, or one per household accompanied (payments.household_lines).
        rows.append(["Service fait (coût unitaire)", field.label,
                     " ; ".join(household_lines(quantities.get(field.key))), field.amount, field.unit or "", ""])
    explanations = report.gap_explanations or {}
    found = gaps(report, form)
    for line in form.budget:
        gap = found[line.code]
        rows.append([f"Budget — {line.section}", line.label, gap.actual, line.planned, gap.amount,
                     explanations.get(line.code, "")])
    if report.qualitative:
        rows.append(["Analyse qualitative", "", report.qualitative, "", "", ""])
    header = ["Rubrique", "Libellé", "Valeur déclarée", "Objectif ou montant prévu", "Unité ou écart", "Explication"]
    return _csv(header, rows)


SCHEDULE_HEADER = ["Position", "Tranche", "Déclencheur", "Échéance", "Part (%)", "Montant prévu (€)", "État",
                   "Montant dû (€)", "Calcul", "Demandée le", "Service fait certifié le", "Montant certifié (€)",
                   "Numéro d'engagement", "Numéro de mandat", "Payée le", "Montant payé (€)"]


def schedule_csv(convention: Convention) -> bytes:
    """The payment schedule for finance and control: each tranche's trigger, state, amounts, references and dates."""
    rows = [[t.position + 1, t.label, Trigger(t.trigger).label, t.due_on, t.percent, t.planned_amount,
             TrancheState(t.state).label, t.amount_due, " ; ".join(t.computation or []), t.requested_at,
             t.certified_at, t.certified_amount, t.commitment_ref or "", t.payment_ref or "", t.paid_on,
             t.paid_amount] for t in convention.tranches]
    return _csv(SCHEDULE_HEADER, rows)
