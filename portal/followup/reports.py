"""The reports (« bilans ») due under a convention: their calendar (report_calendar: from the call — interim, annual,
final — and from the law, the Cerfa n°15059 « compte rendu financier » six months after each funded year); the form built from the call's indicators, unit costs and the deposited Cerfa 12156 budget; the
organisation's filing, its request for a new date, the service's review, the reminders.

The form is report_forms', the reads report_queries' (both read here too). Services flush and audit; the request
(or the CLI command) commits. Other domains read: reports_status_of."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import BinaryIO

from sqlalchemy import select

from portal.accounts.models import Organisation
from portal.accounts.queries import members_of
from portal.applications import cerfa, messages
from portal.applications.permissions import is_lead_member
from portal.applications.states import MessageSide
from portal.catalog.models import Call
from portal.core import audit, mail, time
from portal.core.errors import Refusal
from portal.core.files import formats_label
from portal.core.formatting import date_fr
from portal.core.storage import storage
from portal.core.uploads import store_checked
from portal.core.urls import external_url
from portal.extensions import db
from portal.followup import payments
from portal.followup.models import Convention, Report, ReportFile
from portal.followup.permissions import can_manage_convention, can_view_convention, can_view_convention_as_staff
from portal.followup.report_calendar import calendar  # noqa: F401 - the calendar, read through this module too
from portal.followup.report_forms import (  # noqa: F401 - the form, read through this module by the pages
    AMOUNT_ERROR,
    HOUSEHOLD_LINES_MAX,
    NUMBER_ERROR,
    SLOTS,
    ReportForm,
    form_of,
    gaps,
    missing,
    parse_number,
    quantity_error,
)
from portal.followup.report_queries import (  # noqa: F401 - the reads, likewise
    ReportsStatus,
    application_of,
    conventions_without_calendar,
    get,
    is_late,
    of_application,
    of_call,
    of_organisations,
    reports_status_of,
)
from portal.followup.states import ConventionState, ReportState

REMIND_BEFORE_DAYS = 15
REMIND_AFTER_DAYS = 7
FILE_FORMATS = ("pdf", "odt", "ods", "docx", "xlsx")
FILE_MAX_MB = 20
FILE_HINT = f"Formats acceptés : {formats_label(FILE_FORMATS)}. Taille maximale : {FILE_MAX_MB} Mo."
QUALITATIVE_MAX = 20000
EXPLANATION_MAX = 2000  # an explanation of a gap, a reason for a new date, what is missing
NUMBER_MAX = 30  # a number as typed


# ---- permissions --------------------------------------------------------------------------------------------

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
        typed = _typed(data, field.name, errors, HOUSEHOLD_LINES_MAX if field.per_household else NUMBER_MAX)
        # One figure per household is kept as a list, one a line, blank lines left out (payments reads either).
        quantities[field.key] = payments.household_lines(typed) if field.per_household else typed
        if error := quantity_error(field, typed):
            errors[field.name] = error
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
    file = ReportFile(report_id=report.id, slot=slot, **checked.columns(), uploaded_by_id=by.id, uploaded_at=at)
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
