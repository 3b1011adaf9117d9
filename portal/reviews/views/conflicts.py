"""Conflicts of interest from each side: the managers' list for the call (confirm, lift) and their declaration on
an application; a committee member's statement before a file opens and her declarations at any time; the applying
organisation naming people. Nobody learns here who sits on the committee but its managers."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.accounts.permissions import is_reviewer_of
from portal.applications import permissions as application_permissions
from portal.applications import queries as applications
from portal.catalog.queries import get_call
from portal.core.errors import Refusal, refusals_go_to
from portal.core.time import now
from portal.extensions import db
from portal.reviews import conflicts, permissions, queries
from portal.reviews.forms.committee import ConflictForm, DeclarationForm, LiftForm, MyConflictForm
from portal.reviews.models import Conflict
from portal.reviews.states import DeclaredBy
from portal.reviews.views.blueprints import applicant, committee, manage
from portal.reviews.views.loading import managed_application, managed_call


def _flash_errors(form) -> None:
    for name, errors in form.errors.items():
        for message in errors:
            flash(f"{getattr(form, name).label.text} : {message}", "error")


# ---- managers ----------------------------------------------------------------------------------------------

@manage.get("/<slug>/conflits", endpoint="conflicts")
@login_required
def conflicts_page(slug: str):
    call = managed_call(slug)
    return render_template("reviews/conflicts.html", call=call, lift_form=LiftForm(formdata=None),
                           conflicts=queries.conflicts_shown(permissions.reviewable(current_user, call),
                                                             conflicts.detected_unrecorded(call)))


@manage.post("/candidatures/<uuid:application_id>/conflits")
@login_required
@refusals_go_to(lambda application_id: url_for(".application_committee", application_id=application_id))
def declare_conflict(application_id: uuid.UUID):
    application = managed_application(application_id)
    form = ConflictForm()
    if form.validate_on_submit():
        conflicts.declare(application, form.email.data, form.kind.data, form.reason.data, DeclaredBy.MANAGER,
                          current_user, now())
        flash(f"Le conflit d'intérêts est enregistré pour {form.email.data.strip().lower()} ; s'il était affecté, "
              "il ne l'est plus et son brouillon d'évaluation est supprimé.", "success")
    else:
        _flash_errors(form)
    return redirect(url_for(".application_committee", application_id=application.id))


def _managed_conflict(conflict_id: int) -> Conflict:
    conflict = db.session.get(Conflict, conflict_id) or abort(404)
    managed_application(conflict.application_id)  # 404 unless a manager who may see the application
    return conflict


def _back(conflict: Conflict):
    if request.form.get("retour") == "appel":
        return redirect(url_for(".conflicts", slug=applications.get(conflict.application_id).call.slug))
    return redirect(url_for(".application_committee", application_id=conflict.application_id))


@manage.post("/conflits/<int:conflict_id>/confirmer")
@login_required
def confirm_conflict(conflict_id: int):
    conflict = _managed_conflict(conflict_id)
    was_request = conflict.is_pending_request
    try:
        conflicts.confirm(conflict, current_user, now())
    except Refusal as refused:
        db.session.rollback()  # answered by a redirect, which would otherwise commit
        flash(refused.message, "error")
    else:
        flash(f"Conflit confirmé pour {conflict.email}." + (
            " La demande du candidat vaut désormais pour tous, gestionnaires compris." if was_request else ""),
            "success")
    return _back(conflict)


@manage.post("/conflits/<int:conflict_id>/lever")
@login_required
def lift_conflict(conflict_id: int):
    conflict = _managed_conflict(conflict_id)
    was_request = conflict.is_pending_request
    form = LiftForm()
    if form.validate_on_submit():
        try:
            conflicts.lift(conflict, form.reason.data, current_user, now())
        except Refusal as refused:
            db.session.rollback()  # answered by a redirect, which would otherwise commit
            flash(refused.message, "error")
        else:
            flash(f"{'Demande refusée' if was_request else 'Conflit levé'} pour {conflict.email}. La personne n'est "
                  "pas réaffectée d'elle-même.", "success")
    else:
        _flash_errors(form)
    return _back(conflict)


# ---- committee members -------------------------------------------------------------------------------------

def _assigned_application(application_id: uuid.UUID):
    application = applications.get(application_id)
    if (application is None or not permissions.is_assigned(current_user, application)
            or permissions.can_review(current_user, application) is not None):
        abort(404)
    return application


@committee.route("/candidatures/<uuid:application_id>/declaration", methods=["GET", "POST"])
@login_required
def declare(application_id: uuid.UUID):
    """Before an assigned file opens, she sees only its number, the organisation and its partners, and states
    that she has no conflict with it — or declares one, and the file is withdrawn from her."""
    application = _assigned_application(application_id)
    record = queries.assignment_of(current_user, application)
    form = DeclarationForm()
    if form.validate_on_submit():
        if form.choice.data == "none":
            conflicts.declare_none(record, current_user, now())
            return redirect(url_for("committee.application", application_id=application.id))
        try:
            conflicts.declare(application, current_user.email, form.kind.data, form.reason.data, DeclaredBy.REVIEWER,
                              current_user, now())
        except Refusal as refused:
            form.reason.errors = [*form.reason.errors, refused.message]
        else:
            flash(f"Votre conflit d'intérêts est enregistré : la candidature {application.number} ne vous est plus "
                  "confiée.", "success")
            return redirect(url_for("committee.my_conflicts", slug=application.call.slug))
    organisation = applications.organisations_by_id([application.organisation_id])[application.organisation_id]
    return render_template("reviews/conflict_declare.html", application=application, organisation=organisation,
                           partners=[p.name for p in application.partners], form=form, assignment=record)


@committee.route("/<slug>/conflits", methods=["GET", "POST"])
@login_required
def my_conflicts(slug: str):
    """Her assigned applications with the form to declare a conflict on one of them, at any time."""
    call = get_call(slug)
    if call is None or not is_reviewer_of(current_user, call.uuid):
        abort(404)
    rows = queries.assigned_to(current_user, call)
    form = MyConflictForm()
    form.application.choices = [("", "Choisissez…")] + [(str(r.Application.id),
                                                         f"{r.Application.number} — {r.organisation}") for r in rows]
    if form.validate_on_submit():
        application = next(r.Application for r in rows if str(r.Application.id) == form.application.data)
        try:
            conflicts.declare(application, current_user.email, form.kind.data, form.reason.data, DeclaredBy.REVIEWER,
                              current_user, now())
        except Refusal as refused:
            form.reason.errors = [*form.reason.errors, refused.message]
        else:
            flash(f"Votre conflit d'intérêts est enregistré : la candidature {application.number} ne vous est plus "
                  "confiée.", "success")
            return redirect(url_for(".my_conflicts", slug=call.slug))
    return render_template("reviews/conflict_mine.html", call=call, rows=rows, form=form,
                           declared=queries.declared_by_reviewer(current_user, call))


# ---- the applying organisation -----------------------------------------------------------------------------

@applicant.route("/<uuid:application_id>/conflits", methods=["GET", "POST"], endpoint="conflicts")
@login_required
def conflicts_named(application_id: uuid.UUID):
    """The lead organisation's members name people in conflict with their application. They see what they named,
    never whether the person sits on the committee."""
    application = applications.for_member(application_id, current_user)
    if (application is None or not application.is_deposited
            or not application_permissions.is_lead_member(current_user, application)):
        abort(404)
    form = ConflictForm()
    if form.validate_on_submit():
        try:
            conflicts.declare(application, form.email.data, form.kind.data, form.reason.data, DeclaredBy.APPLICANT,
                              current_user, now())
        except Refusal as refused:
            form.email.errors = [*form.email.errors, refused.message]
        else:
            flash("Votre signalement est enregistré. Si cette personne participe à l'évaluation des candidatures, "
                  "elle n'aura pas accès à la vôtre. L'équipe qui gère l'appel examine chaque signalement.", "success")
            return redirect(url_for(".conflicts", application_id=application.id))
    return render_template("reviews/conflict_applicant.html", application=application, form=form,
                           named=queries.named_by_applicant(application))
