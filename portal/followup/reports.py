"""The reports (« bilans ») due under a convention: their calendar, from the call (interim, final) and from the law
(the Cerfa n°15059 « compte rendu financier », six months after each funded year: loi 2000-321 art. 10, arrêté du
11 octobre 2006); the form built from the call's indicators, unit costs and the deposited Cerfa 12156 budget; the
organisation's filing, its request for a new date, the service's review, the reminders.

Services flush and audit; the request (or the CLI command) commits. Other domains read: reports_status_of."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts.models import Organisation
from portal.accounts.queries import members_of
from portal.applications import cerfa, messages
from portal.applications.models import Application
from portal.applications.permissions import hidden_from_staff, is_lead_member
from portal.applications.states import MessageSide
from portal.catalog.models import Call
from portal.core import audit, mail, time
from portal.core.errors import Refusal
from portal.core.files import formats_label
from portal.core.formatting import date_fr, money_fr, number_fr
from portal.core.scan_status import ScanStatus
from portal.core.storage import storage
from portal.core.uploads import store_checked
from portal.core.urls import external_url
from portal.extensions import db
from portal.followup import payments
from portal.followup.models import Convention, Report, ReportFile
from portal.followup.permissions import can_manage_convention, can_view_convention, can_view_convention_as_staff
from portal.followup.states import ConventionState, ReportKind, ReportState

REMIND_BEFORE_DAYS = 15
REMIND_AFTER_DAYS = 7
DEFAULT_GAP_THRESHOLD = Decimal(15)
FILE_FORMATS = ("pdf", "odt", "ods", "docx", "xlsx")
FILE_MAX_MB = 20
FILE_HINT = f"Formats acceptés : {formats_label(FILE_FORMATS)}. Taille maximale : {FILE_MAX_MB} Mo."
QUALITATIVE_MAX = 20000
EXPLANATION_MAX = 2000  # an explanation of a gap, a reason for a new date, what is missing
NUMBER_MAX = 30  # a number as typed
# The documents a report carries: the Cerfa 15059 asks for the latest activity report and the approved accounts.
SLOTS = {"rapport-activite": "Rapport d'activité", "comptes": "Comptes approuvés du dernier exercice"}
NUMBER_ERROR = "Saisissez un nombre, par exemple « 1 234,50 »."
AMOUNT_ERROR = "Saisissez un montant en euros, par exemple « 1 234,50 »."


# ---- calendar -----------------------------------------------------------------------------------------------

def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)  # pragma: no cover


def _is_about(label: str, *words: str) -> bool:
    text = label.lower()
    return "bilan" in text and any(word in text for word in words)


def _occurrences(milestone, start: dt.date, end: dt.date) -> list[dt.date]:
    """The due dates a dated milestone gives within the convention's period (a period's last day; each occurrence
    of a yearly one)."""
    if milestone.date is None:
        return []
    first = milestone.ends_on or milestone.date
    days = [first]
    if milestone.recurrence is not None:
        step = 12 if milestone.recurrence == "yearly" else 1
        last = milestone.until or end
        days, day = [], first
        while day <= last and len(days) < 120:
            days.append(day)
            day = _add_months(first, step * len(days))
    return [d for d in days if start <= d <= end]


def calendar(convention: Convention, by=None, at: dt.datetime | None = None) -> list[Report]:
    """Create the reports the call and the law ask under this convention (none twice: an existing report of the same
    kind and label is kept). Dates come from the call's dated milestones; where the call gives none, the final report
    is due at the convention's end and its label says so — no date is ever read from the call's prose."""
    if convention.starts_on is None or convention.ends_on is None:
        raise Refusal("Les dates de début et de fin de la convention sont nécessaires pour établir le calendrier "
                      "des bilans.")
    call = db.session.get(Call, convention.call_id)
    spec = call.spec
    evaluation = spec.evaluation
    start, end = convention.starts_on, convention.ends_on
    wanted: list[dict] = []
    if evaluation is not None and evaluation.interim_report:
        dated = [d for m in spec.milestones if _is_about(m.label, "étape", "intermédiaire")
                 for d in _occurrences(m, start, end)]
        if dated:
            for number, day in enumerate(sorted(set(dated)), start=1):
                suffix = f" n°{number}" if len(dated) > 1 else ""
                wanted.append(dict(kind=ReportKind.INTERIM, label=f"Bilan intermédiaire{suffix}", due_on=day,
                                   period_start=start, period_end=day))
        else:
            middle = start + (end - start) / 2
            wanted.append(dict(kind=ReportKind.INTERIM, label="Bilan intermédiaire (à mi-parcours de la convention : "
                               "l'appel ne fixe pas de date)", due_on=middle, period_start=start, period_end=middle))
    if evaluation is not None and evaluation.final_report:
        dated = sorted(d for m in spec.milestones if _is_about(m.label, "final")
                       for d in _occurrences(m, start, _add_months(end, 12)))
        if dated:
            wanted.append(dict(kind=ReportKind.FINAL, label="Bilan final", due_on=dated[0], period_start=start,
                               period_end=end))
        else:
            wanted.append(dict(kind=ReportKind.FINAL, label="Bilan final (dû à la fin de la convention : l'appel ne "
                               "fixe pas de date)", due_on=end, period_start=start, period_end=end))
    # Loi 2000-321 art. 10 and arrêté du 11 octobre 2006: the compte rendu financier within six months of the end of
    # the financial year for which the grant was given (a calendar year here: the funder's budget year).
    for year in range(start.year, end.year + 1):
        wanted.append(dict(kind=ReportKind.FINANCIAL, label=f"Compte rendu financier {year} (Cerfa n°15059)",
                           due_on=_add_months(dt.date(year, 12, 31), 6), period_start=max(start, dt.date(year, 1, 1)),
                           period_end=min(end, dt.date(year, 12, 31))))
    existing = {(r.kind, r.label) for r in convention.reports}
    created = []
    for fields in wanted:
        if (fields["kind"], fields["label"]) in existing:
            continue
        report = Report(convention_id=convention.id, state=ReportState.EXPECTED, **fields)
        convention.reports.append(report)
        created.append(report)
    db.session.flush()
    if created:
        audit.record("followup.report_calendar", actor=by, target=f"convention:{convention.id}",
                     reports=[f"{r.label} — {r.due_on.isoformat()}" for r in created])
    return created


# ---- permissions --------------------------------------------------------------------------------------------

def application_of(report: Report) -> Application:
    return db.session.get(Application, report.convention.application_id)


def can_file_report(user, report: Report) -> Refusal | None:
    """The lead organisation's members file a report; a partner's member reads it and is told why not; anyone else
    does not learn it exists."""
    application = application_of(report)
    if is_lead_member(user, application):
        return None
    if can_view_convention(user, report.convention) is None and can_view_convention_as_staff(
            user, report.convention) is not None:
        return Refusal.forbidden("Seule l'organisation porteuse dépose les bilans.")
    return Refusal.not_found()


def can_review_report(user, report: Report) -> Refusal | None:
    """The call's managers, not in conflict with the file: as for the convention."""
    return can_manage_convention(user, report.convention)


def can_read_report_as_staff(user, report: Report) -> Refusal | None:
    """Its managers, and the issuer's finance department (read-only)."""
    return can_view_convention_as_staff(user, report.convention)


# ---- the form -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorField:
    name: str  # the form's field: « indicator.0 »
    key: str  # its key in Report.indicator_values
    label: str
    group: str | None
    unit: str | None
    per: str | None
    target: str | None  # « au moins 30 jeunes par an »


@dataclass(frozen=True)
class QuantityField:
    name: str
    key: str  # the unit cost's label, as Report.quantities keeps it
    label: str
    unit: str | None
    amount: Decimal
    max_units: int | None


@dataclass(frozen=True)
class BudgetLine:
    code: str
    label: str
    planned: Decimal
    section: str  # « Charges », « Produits », « Contributions en nature »


@dataclass
class ReportForm:
    """What a report asks, built from the call and the deposited application."""

    indicators: list[IndicatorField]
    quantities: list[QuantityField]
    budget: list[BudgetLine]
    qualitative_required: bool
    slots: dict[str, str]
    threshold: Decimal

    @property
    def indicator_groups(self) -> list[tuple[str | None, list[IndicatorField]]]:
        groups: dict[str | None, list[IndicatorField]] = {}
        for field in self.indicators:
            groups.setdefault(field.group, []).append(field)
        return list(groups.items())


def gap_threshold() -> Decimal:
    return Decimal(str(current_app.config.get("FOLLOWUP_GAP_THRESHOLD_PERCENT", DEFAULT_GAP_THRESHOLD)))


def planned_budget(application: Application) -> dict[str, Decimal]:
    """The Cerfa 12156 budget as deposited (the latest version's answers), line by line; lines left empty are 0."""
    version = application.latest_version
    budget = ((version.answers if version else {}).get("cerfa") or {}).get("budget") or {}
    planned = {}
    for line in cerfa.ALL_LINES:
        try:
            planned[line.code] = cerfa.parse_amount(budget.get(line.code)) or Decimal("0.00")
        except ValueError:
            planned[line.code] = Decimal("0.00")
    return planned


def form_of(report: Report) -> ReportForm:
    call = db.session.get(Call, report.convention.call_id)
    spec = call.spec
    financial = report.kind == ReportKind.FINANCIAL
    indicators, quantities, budget = [], [], []
    if not financial and spec.evaluation is not None:
        for index, indicator in enumerate(spec.evaluation.indicators):
            target = indicator.target
            indicators.append(IndicatorField(
                name=f"indicator.{index}", key=str(index), label=indicator.label, group=indicator.group,
                unit=target.unit if target else None, per=target.per.label if target and target.per else None,
                target=target.text if target else None))
    if not financial and spec.funding is not None:
        for index, cost in enumerate(spec.funding.unit_costs):
            quantities.append(QuantityField(name=f"quantity.{index}", key=cost.label, label=cost.label,
                                            unit=cost.unit, amount=cost.amount, max_units=cost.max_units))
    if financial:
        planned = planned_budget(application_of(report))
        for section, lines in (("Charges", cerfa.CHARGES), ("Produits", cerfa.PRODUITS),
                               ("Contributions volontaires en nature", cerfa.IN_KIND)):
            budget += [BudgetLine(line.code, line.label, planned[line.code], section) for line in lines]
    slots = dict(SLOTS) if report.kind in (ReportKind.FINAL, ReportKind.FINANCIAL, ReportKind.ANNUAL) else {
        "rapport-activite": SLOTS["rapport-activite"]}
    # The final report « comprendra […] une analyse qualitative » (the calls); the Cerfa 15059's first sheet is one.
    return ReportForm(indicators, quantities, budget,
                      qualitative_required=report.kind in (ReportKind.FINAL, ReportKind.FINANCIAL),
                      slots=slots, threshold=gap_threshold())


_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def parse_number(text: str | None) -> Decimal | None:
    """« 1 234,50 » (French: spaces between thousands, a comma before decimals) as a Decimal; None when empty;
    ValueError when not a non-negative number."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text or "").replace(",", ".")
    if not cleaned:
        return None
    if not _NUMBER.match(cleaned):
        raise ValueError(text)
    try:
        return Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the pattern guarantees a number
        raise ValueError(text) from error


@dataclass(frozen=True)
class Gap:
    code: str
    planned: Decimal
    actual: Decimal | None
    amount: Decimal | None  # actual − planned
    percent: Decimal | None  # of the planned amount; None when nothing was planned
    above: bool  # above the threshold: an explanation is required


def gaps(report: Report, form: ReportForm | None = None) -> dict[str, Gap]:
    """Cerfa 15059, second sheet: planned and actual per line of the Cerfa 12156 budget, and the gap; above the
    threshold (FOLLOWUP_GAP_THRESHOLD_PERCENT) the annex must explain it."""
    form = form or form_of(report)
    actual_given = report.budget_actual or {}
    found = {}
    for line in form.budget:
        try:
            actual = cerfa.parse_amount(actual_given.get(line.code))
        except ValueError:
            actual = None
        if actual is None:
            found[line.code] = Gap(line.code, line.planned, None, None, None, False)
            continue
        amount = actual - line.planned
        if line.planned:
            percent = (abs(amount) * 100 / line.planned).quantize(Decimal("0.1"))
            above = percent > form.threshold
        else:
            percent, above = None, amount != 0
        found[line.code] = Gap(line.code, line.planned, actual, amount, percent, above)
    return found


def _editable(report: Report) -> None:
    if report.state not in (ReportState.EXPECTED, ReportState.TO_COMPLETE):
        raise Refusal(f"Ce bilan est {ReportState(report.state).label.lower()} : il ne se modifie plus.")


def _typed(data, name: str, errors: dict[str, str], limit: int = NUMBER_MAX) -> str:
    """A value as typed, at most `limit` characters (longer: cut, and said at the field)."""
    text = (data.get(name) or "").strip()
    if len(text) > limit:
        errors[name] = f"{len(text)} caractères pour {limit} au plus : raccourcissez."
        text = text[:limit]
    return text


def save(report: Report, data, by, at: dt.datetime) -> dict[str, str]:
    """Keep what was typed in the report's own fields (a draft: nothing is lost, even a wrong number) and return the
    errors by field, in French. The caller has checked can_file_report."""
    _editable(report)
    form = form_of(report)
    errors: dict[str, str] = {}
    values = {}
    for field in form.indicators:
        values[field.key] = _typed(data, field.name, errors)
        try:
            parse_number(values[field.key])
        except ValueError:
            errors[field.name] = NUMBER_ERROR
    quantities = {}
    for field in form.quantities:
        quantities[field.key] = _typed(data, field.name, errors)
        try:
            number = parse_number(quantities[field.key])
        except ValueError:
            errors[field.name] = NUMBER_ERROR
            continue
        if number is not None and number != number.to_integral_value():
            errors[field.name] = "Saisissez un nombre entier d'unités."
        elif number is not None and field.max_units is not None and number > field.max_units:
            errors[field.name] = f"L'appel limite « {field.label} » à {field.max_units} unités au plus."
    actual, explanations = {}, {}
    for line in form.budget:
        actual[line.code] = _typed(data, f"actual.{line.code}", errors)
        try:
            cerfa.parse_amount(actual[line.code])
        except ValueError:
            errors[f"actual.{line.code}"] = AMOUNT_ERROR
        explanation = _typed(data, f"gap.{line.code}", errors, EXPLANATION_MAX)
        if explanation:
            explanations[line.code] = explanation
    qualitative = (data.get("qualitative") or "").strip()
    if len(qualitative) > QUALITATIVE_MAX:
        errors["qualitative"] = f"L'analyse compte {len(qualitative)} caractères pour {QUALITATIVE_MAX} au plus."
        qualitative = qualitative[:QUALITATIVE_MAX]
    report.indicator_values = values or None
    report.quantities = quantities or None
    report.budget_actual = actual or None
    report.gap_explanations = explanations or None
    report.qualitative = qualitative or None
    db.session.flush()
    audit.record("followup.report_save", actor=by, target=f"report:{report.id}")
    return errors


def missing(report: Report) -> dict[str, str]:
    """What a report lacks before it is filed, by field, in French."""
    form = form_of(report)
    errors: dict[str, str] = {}
    values = report.indicator_values or {}
    for field in form.indicators:
        try:
            if parse_number(values.get(field.key)) is None:
                errors[field.name] = "Indiquez la valeur atteinte (0 si rien)."
        except ValueError:
            errors[field.name] = NUMBER_ERROR
    quantities = report.quantities or {}
    for field in form.quantities:
        try:
            if parse_number(quantities.get(field.key)) is None:
                errors[field.name] = "Indiquez le nombre réalisé (0 si aucun)."
        except ValueError:
            errors[field.name] = NUMBER_ERROR
    explanations = report.gap_explanations or {}
    for code, gap in gaps(report, form).items():
        given = (report.budget_actual or {}).get(code)
        if gap.actual is None and given:
            errors[f"actual.{code}"] = AMOUNT_ERROR
        elif gap.actual is None and gap.planned:
            errors[f"actual.{code}"] = "Indiquez le montant réalisé (0 si rien)."
        elif gap.above and not explanations.get(code):
            shown = f"{number_fr(gap.percent)} %" if gap.percent is not None else "une ligne non prévue"
            errors[f"gap.{code}"] = (f"L'écart ({money_fr(gap.amount)}, {shown}) dépasse {number_fr(form.threshold)} % "
                                     "du prévu : expliquez-le.")
    if form.qualitative_required and not report.qualitative:
        errors["qualitative"] = (f"{'Le bilan final' if report.kind == ReportKind.FINAL else 'Le compte rendu financier'}"
                                 " comprend une analyse qualitative : rédigez-la.")
    for slot, label in form.slots.items():
        if slot == "comptes" and report.kind != ReportKind.FINANCIAL:
            continue
        if not any(f.slot == slot for f in report.files):
            errors[f"file.{slot}"] = f"Joignez le document « {label} »."
    return errors


def submit(report: Report, by, at: dt.datetime) -> None:
    """File the report with the service (received), or file it again once completed."""
    _editable(report)
    if problems := missing(report):
        first = next(iter(problems))
        raise Refusal(f"Le bilan n'est pas complet ({len(problems)} point{'s' if len(problems) > 1 else ''} à "
                      "reprendre).", field=first)
    again = report.state == ReportState.TO_COMPLETE
    report.state = ReportState.SUBMITTED
    report.submitted_at, report.submitted_by_id = at, by.id
    db.session.flush()
    audit.record("followup.report_submit", actor=by, target=f"report:{report.id}", label=report.label, again=again)


def add_file(report: Report, slot: str, stream: BinaryIO, filename: str, by, at: dt.datetime) -> ReportFile:
    """Check the file through the portal's one upload path and keep it with the report."""
    _editable(report)
    if slot not in form_of(report).slots:
        raise Refusal("Ce document n'est pas demandé pour ce bilan.", field=f"file.{slot}")
    if stream is None or not filename:
        raise Refusal("Choisissez le fichier à joindre.", field=f"file.{slot}")
    try:
        checked = store_checked(stream, filename, FILE_FORMATS, FILE_MAX_MB, by, f"report:{report.id}",
                                infected_action="followup.report_file_infected", too_large="par document")
    except Refusal as refused:
        raise Refusal(refused.message, field=f"file.{slot}") from refused
    file = ReportFile(report_id=report.id, slot=slot, storage_key=checked.stored.key, sha256=checked.stored.sha256,
                      size=checked.stored.size, format=checked.format, original_name=checked.name,
                      scan_status=ScanStatus(checked.scan.status), scan_signature=checked.scan.signature,
                      uploaded_by_id=by.id, uploaded_at=at)
    report.files.append(file)
    db.session.flush()
    audit.record("followup.report_file", actor=by, target=f"report:{report.id}", slot=slot, name=checked.name,
                 sha256=checked.stored.sha256, scan=checked.scan.status)
    return file


def file_of(report: Report, file_id: uuid.UUID) -> ReportFile | None:
    return next((f for f in report.files if f.id == file_id), None)


def open_file(file: ReportFile):
    return storage().open(file.storage_key)


# ---- a new date ---------------------------------------------------------------------------------------------

def ask_extension(report: Report, new_date: dt.date | None, reason: str, by, at: dt.datetime) -> None:
    """The organisation asks for a new due date, saying why; the service grants it or not."""
    if report.state == ReportState.ACCEPTED or report.state == ReportState.SUBMITTED:
        raise Refusal("Ce bilan est déjà déposé : aucun délai n'est à demander.")
    reason = (reason or "").strip()
    if new_date is None:
        raise Refusal("Indiquez la nouvelle date demandée (exemple : 30/09/2026).", field="new_date")
    if new_date <= report.due_on:
        raise Refusal(f"La nouvelle date doit suivre l'échéance actuelle ({date_fr(report.due_on)}).",
                      field="new_date")
    if not reason:
        raise Refusal("Expliquez pourquoi un délai est nécessaire.", field="reason")
    if len(reason) > EXPLANATION_MAX:
        raise Refusal(f"Le motif compte {len(reason)} caractères pour {EXPLANATION_MAX} au plus.", field="reason")
    report.extension_asked_on, report.extension_reason = new_date, reason
    db.session.flush()
    audit.record("followup.report_extension_ask", actor=by, target=f"report:{report.id}",
                 asked=new_date.isoformat(), reason=report.extension_reason)


def decide_extension(report: Report, grant: bool, by, at: dt.datetime) -> None:
    """Grant the new date (the due date moves, its reminders start again) or refuse it; the organisation is told."""
    if report.extension_asked_on is None:
        raise Refusal("Aucune demande de délai n'attend de réponse pour ce bilan.")
    before, asked = report.due_on, report.extension_asked_on
    if grant:
        report.due_on = asked
        report.reminded_before_at = report.reminded_after_at = None
    report.extension_asked_on = None
    db.session.flush()
    audit.record("followup.report_extension_grant" if grant else "followup.report_extension_refuse", actor=by,
                 target=f"report:{report.id}", before=before.isoformat(), asked=asked.isoformat(),
                 reason=report.extension_reason)
    _tell_organisation(report, f"Demande de délai {'accordée' if grant else 'refusée'} — {report.label}",
                       "report_extension", granted=grant, asked=asked, before=before)


# ---- review -------------------------------------------------------------------------------------------------

def ask_completion(report: Report, what: str, by, at: dt.datetime) -> None:
    """Send the report back to the organisation with what is missing, as a message in the application's thread."""
    if report.state != ReportState.SUBMITTED:
        raise Refusal("Seul un bilan reçu se renvoie à compléter.")
    what = (what or "").strip()
    if not what:
        raise Refusal("Dites ce qui manque au bilan.", field="missing")
    if len(what) > EXPLANATION_MAX:
        raise Refusal(f"Le texte compte {len(what)} caractères pour {EXPLANATION_MAX} au plus.", field="missing")
    report.state = ReportState.TO_COMPLETE
    report.completion_asked = what
    db.session.flush()
    messages.send(application_of(report), f"{report.label} : à compléter.\n\n{what}", [], by, MessageSide.SERVICE,
                  at)
    audit.record("followup.report_to_complete", actor=by, target=f"report:{report.id}", missing=what)


def accept(report: Report, by, at: dt.datetime) -> None:
    """Accept a received report; the payments domain then makes due what its acceptance triggers."""
    if report.state != ReportState.SUBMITTED:
        raise Refusal("Seul un bilan reçu s'accepte.")
    report.state = ReportState.ACCEPTED
    report.accepted_at, report.accepted_by_id = at, by.id
    db.session.flush()
    audit.record("followup.report_accept", actor=by, target=f"report:{report.id}", label=report.label)
    _payments_follow(report, at, by)


def _payments_follow(report: Report, at: dt.datetime, by) -> None:
    """« Service fait »: the tranches waiting for this report become due (followup.payments)."""
    payments.on_report_accepted(report, at, by=by)


# ---- reminders ----------------------------------------------------------------------------------------------

def _organisation(report: Report) -> Organisation:
    return db.session.get(Organisation, application_of(report).organisation_id)


def _tell_organisation(report: Report, subject: str, template: str, **context) -> int:
    sent = 0
    url = external_url("reports.form", report_id=report.id)
    for membership in members_of(_organisation(report)):
        person = membership.user
        if person.deleted_at is not None:
            continue
        mail.enqueue(person.email, subject, template, person=person, report=report, url=url,
                     call=db.session.get(Call, report.convention.call_id), due=date_fr(report.due_on), **context)
        sent += 1
    return sent


def due_reminders(at: dt.datetime) -> list[tuple[Report, str]]:
    """The reports not filed whose reminder is due today: 15 days before the due date, 7 days after, once each."""
    today = time.today_paris(at)
    query = (select(Report).join(Convention).where(
        Report.state.in_([ReportState.EXPECTED, ReportState.TO_COMPLETE]),
        Convention.state.not_in([ConventionState.DRAFT, ConventionState.CLOSED])).order_by(Report.due_on))
    found = []
    for report in db.session.scalars(query):
        if report.reminded_after_at is None and today >= report.due_on + dt.timedelta(days=REMIND_AFTER_DAYS):
            found.append((report, "after"))
        elif (report.reminded_before_at is None and report.reminded_after_at is None
              and report.due_on - dt.timedelta(days=REMIND_BEFORE_DAYS) <= today < report.due_on):
            found.append((report, "before"))
    return found


def remind(report: Report, when: str, at: dt.datetime) -> int:
    """E-mail the organisation's members about one report (before or after its due date) and note it."""
    if when == "before":
        report.reminded_before_at = at
        subject = f"Bilan à déposer avant le {date_fr(report.due_on)} — {report.label}"
    else:
        report.reminded_after_at = at
        subject = f"Bilan en retard — {report.label}"
    db.session.flush()
    sent = _tell_organisation(report, subject, f"report_reminder_{when}")
    audit.record(f"followup.report_reminder_{when}", target=f"report:{report.id}", recipients=sent)
    return sent


# ---- reads --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportsStatus:
    accepted: int
    submitted: int  # received, not yet accepted (or to complete)
    late: int  # due date passed, not filed
    pending: int  # not yet due

    @property
    def total(self) -> int:
        return self.accepted + self.submitted + self.late + self.pending

    @property
    def text(self) -> str:
        parts = [f"{self.accepted} accepté{'s' if self.accepted > 1 else ''}"]
        if self.submitted:
            parts.append(f"{self.submitted} en cours d'examen")
        if self.late:
            parts.append(f"{self.late} en retard")
        if self.pending:
            parts.append(f"{self.pending} à venir")
        return ", ".join(parts)


def is_late(report: Report, today: dt.date) -> bool:
    return report.state in (ReportState.EXPECTED, ReportState.TO_COMPLETE) and report.due_on < today


def reports_status_of(organisation_id: uuid.UUID, issuer: str, at: dt.datetime | None = None,
                      excluding_application: uuid.UUID | None = None) -> ReportsStatus:
    """Whether an organisation filed the reports of its earlier grants from this issuer (the Cerfa 15059 is due
    before any new grant from the same funder)."""
    today = time.today_paris(at or time.now())
    query = (select(Report).join(Convention).join(Application, Application.id == Convention.application_id)
             .join(Call, Call.id == Convention.call_id)
             .where(Application.organisation_id == organisation_id, Call.issuer == issuer))
    if excluding_application is not None:
        query = query.where(Application.id != excluding_application)
    counts = {"accepted": 0, "submitted": 0, "late": 0, "pending": 0}
    for report in db.session.scalars(query):
        if report.state == ReportState.ACCEPTED:
            counts["accepted"] += 1
        elif report.state == ReportState.SUBMITTED:
            counts["submitted"] += 1
        elif is_late(report, today):
            counts["late"] += 1
        else:
            counts["pending"] += 1
    return ReportsStatus(**counts)


def of_organisations(user) -> list[Report]:
    """The reports of the conventions of the organisations this person belongs to, soonest due first."""
    from portal.accounts.models import Membership

    mine = select(Membership.organisation_id).where(Membership.user_id == user.id)
    return list(db.session.scalars(
        select(Report).join(Convention).join(Application, Application.id == Convention.application_id)
        .where(Application.organisation_id.in_(mine)).options(selectinload(Report.convention))
        .order_by(Report.due_on, Report.label)))


def of_call(call: Call, user) -> list[Report]:
    """A call's reports, for its managers: none of an application hidden from this person (a conflict)."""
    query = (select(Report).join(Convention).join(Application, Application.id == Convention.application_id)
             .where(Convention.call_id == call.id).options(selectinload(Report.convention))
             .order_by(Report.due_on, Application.number))
    for hidden in hidden_from_staff(user):
        query = query.where(Application.id.not_in(hidden))
    return list(db.session.scalars(query))


def conventions_without_calendar(call: Call, user) -> list[Convention]:
    query = select(Convention).join(Application, Application.id == Convention.application_id).where(
        Convention.call_id == call.id, ~Convention.reports.any())
    for hidden in hidden_from_staff(user):
        query = query.where(Application.id.not_in(hidden))
    return list(db.session.scalars(query))


def of_application(application_id: uuid.UUID) -> list[Report]:
    """The reports due under the convention of one application, soonest due first."""
    return list(db.session.scalars(select(Report).join(Convention).where(Convention.application_id == application_id)
                                   .order_by(Report.due_on, Report.label)))


def get(report_id: uuid.UUID) -> Report | None:
    return db.session.get(Report, report_id)
