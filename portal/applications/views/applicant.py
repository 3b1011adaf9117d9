"""The applicant's pages: start, overview with the completeness panel, the answers form (autosaved), the summary
before depositing, the deposit itself, versions and receipts, withdrawal and partners. Every URL carries the
application's id and answers 404 to anyone outside the organisation and its partners."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.accounts.permissions import invitation_refusal
from portal.accounts.queries import organisation_for
from portal.applications import (
    answers,
    cerfa,
    completeness,
    documents,
    drafts,
    home,
    partners,
    permissions,
    queries,
    receipts,
    submission,
)
from portal.applications.forms import PartnerForm, WithdrawForm
from portal.applications.models import Application
from portal.catalog.models import Window
from portal.core import hooks, unit_of_work
from portal.core.errors import Refusal, refusals_go_to
from portal.core.time import arrival, now
from portal.extensions import db

bp = Blueprint("applications", __name__, url_prefix="/candidatures")

WARNINGS = [(3600, "Moins d'une heure avant la date limite"), (86400, "Moins d'un jour avant la date limite"),
            (7 * 86400, "Moins de 7 jours avant la date limite")]


def member_application(application_id: uuid.UUID) -> Application:
    return queries.for_member(application_id, current_user) or abort(404)


def lead_application(application_id: uuid.UUID) -> Application:
    application = member_application(application_id)
    if not permissions.is_lead_member(current_user, application):
        abort(403)
    return application


def back_to_application(application_id: uuid.UUID) -> str:
    """Where a refused form about an application leads back: its page (`@refusals_go_to`)."""
    return url_for(".show", application_id=application_id)


def deadline_warning(application: Application) -> str | None:
    """The warning shown at 7 days, 1 day and 1 hour before the window closes."""
    left = (application.window.closes_at - now()).total_seconds() + 1
    if left <= 0 or application.is_withdrawn:
        return None
    return next((text for limit, text in WARNINGS if left <= limit), None)


@bp.get("/")
@login_required
def mine():
    """« Mes candidatures »: what needs her first, then what is deposited, then what is decided (home.py); the
    decisions come from downstream through the 'applicant_list.status' slot."""
    listed = queries.of_person(current_user)
    outcomes = {application.id: hooks.contributions("applicant_list.status", application=application, listed=listed)
                for application in listed}
    entries = home.entries(current_user, listed, now(), decided={key for key, given in outcomes.items() if given})
    return render_template("applications/mine.html", entries=entries, outcomes=outcomes, groups=home.GROUPS,
                           organisations=queries.organisations_by_id({a.organisation_id for a in listed}))


@bp.post("/nouvelle")
@login_required
def start():
    window = db.session.get(Window, request.form.get("window_id", type=int) or 0) or abort(404)
    organisation_id = request.form.get("organisation_id", "")
    try:
        organisation = organisation_for(current_user, uuid.UUID(organisation_id))
    except ValueError:
        organisation = None
    if organisation is None:
        flash("Choisissez l'organisation pour laquelle vous candidatez (créez-la si besoin).", "error")
        return redirect(url_for("catalog.detail", slug=window.call.slug) + "#candidater")
    application, created = drafts.start(window, organisation, current_user, arrival())
    if not created:
        flash(f"« {organisation.legal_name} » a déjà un dossier pour cette fenêtre : le voici.", "info")
    return redirect(url_for(".show", application_id=application.id))


@bp.get("/<uuid:application_id>/")
@login_required
def show(application_id: uuid.UUID):
    return _show_page(member_application(application_id))


def _show_page(application: Application, withdraw_form: WithdrawForm | None = None,
               partner_form: PartnerForm | None = None) -> str:
    """The application's page; a form sent from it and refused comes back in it, its errors at its fields."""
    return render_template("applications/show.html", application=application,
                           problems=completeness.problems(application), slots=completeness.slots(application),
                           is_lead=permissions.is_lead_member(current_user, application),
                           can_delete=permissions.can_delete_draft(current_user, application) is None,
                           can_withdraw=permissions.can_withdraw(current_user, application) is None,
                           editable=permissions.can_edit_answers(current_user, application, now()) is None,
                           piece_request=permissions.open_piece_request(application, now()),
                           organisations=queries.organisations_by_id(
                               [application.organisation_id, *(p.organisation_id for p in application.partners)]),
                           withdraw_form=withdraw_form or WithdrawForm(), partner_form=partner_form or PartnerForm())


@bp.route("/<uuid:application_id>/formulaire", methods=["GET", "POST"])
@login_required
def form(application_id: uuid.UUID):
    application = member_application(application_id)
    editable = permissions.can_edit_answers(current_user, application, arrival()) is None
    if request.method == "POST":
        autosave = request.headers.get("X-Autosave") == "1"
        if not permissions.is_lead_member(current_user, application):
            abort(403)
        try:
            result = drafts.save(application, request.form, current_user, arrival(),
                                 request.form.get("revision", type=int))
        except Refusal as refused:
            if autosave:
                return jsonify(saved=False, message=refused.message), 409
            flash(refused.message, "error")
            return redirect(url_for(".show", application_id=application.id))
        warning = result.warning
        if result.refused:
            unit_of_work.keep()  # the rest of the answers is saved
            message = "Le reste est enregistré, mais pas ceci : " + " ; ".join(
                f"{p.label} : {p.message}" for p in result.refused)
            if autosave:
                return jsonify(saved=False, message=message, revision=application.revision,
                               problems={p.anchor: p.message for p in result.refused}), 422
            return _form_page(application, editable, result.typed, result.refused), 422
        saved = drafts.saved_message(application, now())
        if autosave:
            return jsonify(saved=True, message=saved, warning=warning and f"{warning} {saved}",
                           revision=application.revision)
        if warning:
            flash(warning, "info")
        flash(saved, "success")
        target = request.form.get("next") == "summary"
        return redirect(url_for(".summary", application_id=application.id) if target
                        else url_for(".form", application_id=application.id))
    return _form_page(application, editable, application.answers or {})


def _form_page(application: Application, editable: bool, given: dict, refused: list | None = None) -> str:
    """The answers form showing `given`, with what stops a deposit — and first the values just refused — at their
    fields."""
    spec = application.call.spec
    found = [*(refused or []), *(answers.problems(spec, given) if given else [])]
    problems = {}  # the first problem of each field, said at the field
    for problem in found:
        problems.setdefault(problem.anchor, problem)
    return render_template("applications/form.html", application=application, spec=spec, given=given,
                           problems={anchor: p.message for anchor, p in problems.items()},
                           summary=[(anchor, f"{p.label} : {p.message}") for anchor, p in problems.items()],
                           editable=editable, cerfa=cerfa,
                           totals=cerfa.totals_of(given),
                           row_count=answers.row_count, length_limit=answers.length_limit, yes_no=answers.YES_NO)


@bp.get("/<uuid:application_id>/deposer")
@login_required
def summary(application_id: uuid.UUID):
    application = lead_application(application_id)
    given = application.answers or {}
    return render_template("applications/summary.html", application=application, spec=application.call.spec,
                           given=given, problems=completeness.problems(application),
                           slots=completeness.slots(application), cerfa=cerfa,
                           totals=cerfa.totals_of(given),
                           editable=permissions.can_edit_answers(current_user, application, now()) is None)


@bp.post("/<uuid:application_id>/deposer")
@login_required
def submit(application_id: uuid.UUID):
    application = lead_application(application_id)
    moment = arrival()  # the instant the request arrived: a long upload does not make it late
    # One transaction: the files sent with the deposit and the version are committed together by the request, or
    # nothing is (a refusal or a failure leaves the draft as it was; the stored copies go to `portal storage gc`).
    try:
        for key, upload in request.files.items(multi=True):
            if upload.filename and permissions.can_add_documents(current_user, application, moment) is None:
                documents.upload(application, key.removeprefix("piece."), upload.stream, upload.filename,
                                 current_user, application.organisation_id, moment)
        version = submission.submit(application, current_user, moment)
    except submission.Incomplete as incomplete:  # the pieces sent with it are kept: the summary lists what lacks
        flash(incomplete.message, "error")
        return redirect(url_for(".summary", application_id=application.id))
    except submission.AlreadyDeposited:
        raise  # its transaction cannot commit: the one handler rolls it back and says why
    except Refusal as refused:  # too late, too early, withdrawn, nothing new: nothing was written
        flash(refused.message, "error")
        return redirect(url_for(".show", application_id=application.id))
    flash(f"Candidature déposée : n° {application.number}, version {version.number}. L'accusé de réception a été "
          "envoyé par courriel à chaque membre de l'organisation.", "success")
    return redirect(url_for(".version", application_id=application.id, number=version.number))


@bp.get("/<uuid:application_id>/versions/<int:number>")
@login_required
def version(application_id: uuid.UUID, number: int):
    application = member_application(application_id)
    found = queries.version_of(application, number) or abort(404)
    return render_template("applications/version.html", application=application, version=found,
                           receipt=receipts.receipt_of(application, found), spec=application.call.spec,
                           given=found.answers, cerfa=cerfa, totals=found.budget_totals)


@bp.get("/<uuid:application_id>/versions/<int:number>/accuse-de-reception.pdf")
@login_required
def receipt_pdf(application_id: uuid.UUID, number: int):
    application = member_application(application_id)
    found = queries.version_of(application, number) or abort(404)
    name = f"accuse-reception-{application.number}-v{found.number}.pdf"
    return receipts.pdf(application, found), 200, {
        "Content-Type": "application/pdf", "Content-Disposition": f'attachment; filename="{name}"'}


@bp.post("/<uuid:application_id>/desistement")
@login_required
@refusals_go_to(back_to_application)  # back to the application's page, wherever the form was sent from
def withdraw(application_id: uuid.UUID):
    application = lead_application(application_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _show_page(application, withdraw_form=form), 422
    submission.withdraw(application, form.reason.data, current_user, now())
    flash("Le désistement est enregistré.", "success")
    return redirect(url_for(".show", application_id=application.id))


@bp.post("/<uuid:application_id>/partenaires")
@login_required
@refusals_go_to(lambda application_id: back_to_application(application_id) + "#partenaires")
def invite_partner(application_id: uuid.UUID):
    application = lead_application(application_id)
    form = PartnerForm()
    if not form.validate_on_submit():
        return _show_page(application, partner_form=form), 422
    partners.invite(application, form.name.data, form.email.data, current_user, now())
    flash(f"Invitation envoyée à {form.email.data}.", "success")
    return redirect(url_for(".show", application_id=application.id) + "#partenaires")


@bp.route("/partenariat/<token>", methods=["GET", "POST"])
@login_required
def partner_accept(token: str):
    partner = partners.pending(token)
    if partner is None:
        return render_template("accounts/link_problem.html",
                               message="Cette invitation n'est pas valide ou a déjà été acceptée."), 404
    memberships = list(current_user.memberships)
    if request.method == "POST":
        try:
            organisation = organisation_for(current_user, uuid.UUID(request.form.get("organisation_id", "")))
        except ValueError:
            organisation = None
        try:
            if organisation is None:
                raise Refusal("Choisissez une de vos organisations.")
            partners.accept(partner, organisation, current_user, now())
        except partners.InvitationForSomeoneElse as refused:
            return render_template("applications/partner_accept.html", partner=partner, memberships=memberships,
                                   refusal=refused.message), 403
        except Refusal as refused:
            flash(refused.message, "error")
        else:
            flash("Votre organisation est partenaire de cette candidature.", "success")
            return redirect(url_for(".show", application_id=partner.application_id))
    return render_template("applications/partner_accept.html", partner=partner, memberships=memberships,
                           refusal=invitation_refusal(partner.email, current_user))
