"""The reports' pages: the organisation's list and form (draft, documents, filing, a new date asked), the manager's
list per call and review page (to complete, accept, the new date granted or refused). Each page checks a
predicate of followup.reports; to whoever may not see a report, it does not exist (404)."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.accounts.permissions import can_manage_call
from portal.catalog.queries import get_call
from portal.core import hooks
from portal.core.errors import Refusal, refusals_go_to
from portal.core.files import mime_of
from portal.core.storage import send_stored
from portal.core.time import now, today_paris
from portal.followup import reports
from portal.followup.models import Report
from portal.followup.states import ReportKind, ReportState

bp = Blueprint("reports", __name__)


def _report(report_id: uuid.UUID, check) -> Report:
    report = reports.get(report_id) or abort(404)
    if refusal := check(current_user, report):
        raise refusal
    return report


def _context(report: Report, **extra) -> dict:
    form = reports.form_of(report)
    labels = {f.name: f.label for f in form.indicators} | {q.name: q.label for q in form.quantities}
    labels |= {f"actual.{line.code}": line.label for line in form.budget}
    labels |= {f"gap.{line.code}": f"Écart — {line.label}" for line in form.budget}
    labels |= {f"file.{slot}": label for slot, label in form.slots.items()}
    labels |= {"qualitative": "Analyse qualitative", "new_date": "Nouvelle date", "reason": "Motif",
               "missing": "Ce qui manque"}
    return dict(report=report, form=form, gaps=reports.gaps(report, form), call=get_call_of(report),
                application=reports.application_of(report), today=today_paris(), labels=labels,
                can_file=reports.can_file_report(current_user, report) is None, ReportKind=ReportKind,
                ReportState=ReportState, file_hint=reports.FILE_HINT, **extra)


def get_call_of(report: Report):
    from portal.catalog.models import Call
    from portal.extensions import db

    return db.session.get(Call, report.convention.call_id)


# ---- the organisation ---------------------------------------------------------------------------------------

@bp.get("/suivi/bilans")
@login_required
def mine():
    return render_template("followup/reports_mine.html", reports=reports.of_organisations(current_user),
                           today=today_paris(), ReportState=ReportState)


@bp.route("/suivi/bilans/<uuid:report_id>", methods=["GET", "POST"])
@login_required
def form(report_id: uuid.UUID):
    report = _report(report_id, reports.can_file_report if request.method == "POST" else _org_reads)
    if request.method == "GET":
        return render_template("followup/report_form.html", **_context(report, errors={}, values=None))
    errors = reports.save(report, request.form, current_user, now())
    for slot in reports.form_of(report).slots:
        upload = request.files.get(f"file.{slot}")
        if upload is not None and upload.filename:
            try:
                reports.add_file(report, slot, upload.stream, upload.filename, current_user, now())
            except Refusal as refused:
                errors[refused.field or f"file.{slot}"] = refused.message
    if not errors and request.form.get("action") == "deposer":
        errors = reports.missing(report)
        if not errors:
            reports.submit(report, current_user, now())
            flash(f"« {report.label} » est déposé : le service instructeur en accuse réception ici.", "success")
            return redirect(url_for(".form", report_id=report.id), 303)
    if errors:
        # The draft is kept (the request commits what was typed); the errors are shown at their fields.
        from portal.core import unit_of_work

        unit_of_work.keep()
        return render_template("followup/report_form.html", **_context(report, errors=errors,
                                                                         values=request.form)), 422
    flash("Le brouillon du bilan est enregistré. Il n'est pas encore déposé.", "success")
    return redirect(url_for(".form", report_id=report.id), 303)


def _org_reads(user, report: Report):
    """The organisation's page: its lead members, and its partners read-only."""
    refusal = reports.can_file_report(user, report)
    return None if refusal is None or refusal.status == 403 else refusal


@bp.post("/suivi/bilans/<uuid:report_id>/delai")
@login_required
def ask_extension(report_id: uuid.UUID):
    report = _report(report_id, reports.can_file_report)
    try:
        asked = dt.date.fromisoformat(request.form.get("new_date", "").strip())
    except ValueError:
        asked = None
    try:
        reports.ask_extension(report, asked, request.form.get("reason", ""), current_user, now())
    except Refusal as refused:
        return render_template("followup/report_form.html", **_context(
            report, errors={refused.field or "new_date": refused.message}, values=None)), 422
    flash("Votre demande de nouvelle date est transmise au service instructeur.", "success")
    return redirect(url_for(".form", report_id=report.id), 303)


@bp.get("/suivi/bilans/<uuid:report_id>/fichiers/<uuid:file_id>")
@login_required
def download(report_id: uuid.UUID, file_id: uuid.UUID):
    report = _report(report_id, _org_reads)
    file = reports.file_of(report, file_id) or abort(404)
    return send_stored(file.storage_key, file.original_name, mime_of(file.format))


# ---- the service --------------------------------------------------------------------------------------------

@bp.get("/gestion/suivi/<slug>/bilans")
@login_required
def of_call(slug: str):
    call = get_call(slug) or abort(404)
    if refusal := can_manage_call(current_user, call.uuid, call.issuer):
        raise refusal
    return render_template("followup/reports_call.html", call=call, reports=reports.of_call(call, current_user),
                           without=reports.conventions_without_calendar(call, current_user), today=today_paris(),
                           ReportState=ReportState, application_of=reports.application_of)


@bp.post("/gestion/suivi/<slug>/bilans/calendrier")
@login_required
@refusals_go_to(lambda slug: url_for(".of_call", slug=slug))
def make_calendars(slug: str):
    call = get_call(slug) or abort(404)
    if refusal := can_manage_call(current_user, call.uuid, call.issuer):
        raise refusal
    made = 0
    for convention in reports.conventions_without_calendar(call, current_user):
        made += len(reports.calendar(convention, by=current_user, at=now()))
    flash(f"{made} bilan{'s' if made > 1 else ''} ajouté{'s' if made > 1 else ''} au calendrier.", "success")
    return redirect(url_for(".of_call", slug=slug), 303)


@bp.get("/gestion/suivi/bilans/<uuid:report_id>")
@login_required
def review(report_id: uuid.UUID):
    report = _report(report_id, reports.can_read_report_as_staff)
    manages = reports.can_review_report(current_user, report) is None
    return render_template("followup/report_review.html", **_context(report, manages=manages, errors={}))


@bp.get("/gestion/suivi/bilans/<uuid:report_id>/fichiers/<uuid:file_id>")
@login_required
def staff_download(report_id: uuid.UUID, file_id: uuid.UUID):
    report = _report(report_id, reports.can_read_report_as_staff)
    file = reports.file_of(report, file_id) or abort(404)
    from portal.core.scan_status import ScanStatus

    if ScanStatus(file.scan_status).is_blocked:
        flash(f"« {file.original_name} » : {ScanStatus(file.scan_status).label}.", "error")
        return redirect(url_for(".review", report_id=report.id))
    return send_stored(file.storage_key, file.original_name, mime_of(file.format))


@bp.post("/gestion/suivi/bilans/<uuid:report_id>/completer")
@login_required
def ask_completion(report_id: uuid.UUID):
    report = _report(report_id, reports.can_review_report)
    try:
        reports.ask_completion(report, request.form.get("missing", ""), current_user, now())
    except Refusal as refused:
        return render_template("followup/report_review.html", **_context(
            report, manages=True, errors={refused.field or "missing": refused.message})), 422
    flash("Le bilan est renvoyé à compléter ; l'organisation en est informée par la messagerie.", "success")
    return redirect(url_for(".review", report_id=report.id), 303)


@bp.post("/gestion/suivi/bilans/<uuid:report_id>/accepter")
@login_required
@refusals_go_to(lambda report_id: url_for(".review", report_id=report_id))
def accept(report_id: uuid.UUID):
    report = _report(report_id, reports.can_review_report)
    reports.accept(report, current_user, now())
    flash(f"« {report.label} » est accepté.", "success")
    return redirect(url_for(".review", report_id=report.id), 303)


@bp.post("/gestion/suivi/bilans/<uuid:report_id>/delai")
@login_required
@refusals_go_to(lambda report_id: url_for(".review", report_id=report_id))
def decide_extension(report_id: uuid.UUID):
    report = _report(report_id, reports.can_review_report)
    decision = request.form.get("decision")
    if decision not in ("accorder", "refuser"):
        raise Refusal("Choisissez d'accorder ou de refuser la nouvelle date.")
    reports.decide_extension(report, decision == "accorder", current_user, now())
    flash("La nouvelle date est accordée." if decision == "accorder" else "La demande de délai est refusée.",
          "success")
    return redirect(url_for(".review", report_id=report.id), 303)


# ---- contributions to upstream pages ------------------------------------------------------------------------

def _earlier_reports(application=None, **_context):
    """On a staff page of an application: whether the organisation filed the reports of its earlier grants from
    the same issuer."""
    if application is None or application.organisation_id is None:
        return None
    status = reports.reports_status_of(application.organisation_id, application.call.issuer,
                                       excluding_application=application.id, user=current_user)
    if not status.total:
        return None
    return Markup(render_template("followup/reports_staff_status.html", status=status))


def _call_reports_link(call=None, **_context):
    if call is None or can_manage_call(current_user, call.uuid, call.issuer) is not None:
        return None
    return Markup(render_template("followup/reports_call_link.html", call=call))


def _applicant_reports(application=None, is_lead=False, **_context):
    """On the organisation's page of its application: the reports due under its convention."""
    if application is None:
        return None
    found = reports.of_application(application.id)
    if not found:
        return None
    return Markup(render_template("followup/reports_applicant_section.html", reports=found, today=today_paris(),
                                  ReportState=ReportState))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    hooks.contribute(app, "staff_application.links", _earlier_reports, order=50)
    hooks.contribute(app, "staff_list.links", _call_reports_link, order=50)
    hooks.contribute(app, "applicant_application.sections", _applicant_reports, order=50)
