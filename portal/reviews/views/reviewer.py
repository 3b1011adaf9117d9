"""A committee member's work: her assigned applications, the « next » one, an application's file as deposited,
her review grid, and the others' reviews when the phase and the call's settings allow. Every page first asks
permissions.can_review (404 otherwise, a conflict included) and her assignment; the file opens only once she has
stated she has no conflict."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.accounts.permissions import is_reviewer_of
from portal.applications import cerfa, messages
from portal.applications import queries as applications
from portal.applications.permissions import can_download
from portal.catalog.queries import get_call
from portal.core.errors import refusals_go_to
from portal.core.files import mime_of
from portal.core.storage import send_stored
from portal.core.time import now
from portal.reviews import permissions, queries, reviewer_work, reviewing, rounds, scoring
from portal.reviews.forms.reviewing import review_form, show_errors, values_of
from portal.reviews.phases import PHASES
from portal.reviews.states import OPINION_LABELS, ReviewStatus
from portal.reviews.views.blueprints import committee

REVIEW_STATUS = {None: "À commencer", **{s: s.label for s in ReviewStatus}}


def _assigned(application_id: uuid.UUID):
    """The application and her assignment, or 404: unknown, in conflict, out of her reach or not assigned to her."""
    application = applications.get(application_id)
    if (application is None or not application.is_deposited
            or permissions.can_review(current_user, application) is not None):
        abort(404)
    assignment = queries.assignment_of(current_user, application) or abort(404)
    return application, assignment


def _opened(application_id: uuid.UUID):
    """As _assigned, plus her no-conflict statement; returns (application, None) or (None, a redirect to it)."""
    application, assignment = _assigned(application_id)
    if assignment.no_conflict_declared_at is None:
        return None, redirect(url_for("committee.declare", application_id=application.id))
    return application, None


def _reading_rights(application):
    round_ = rounds.round_of_application(application, now())
    own = queries.own_review(current_user, application)
    reading = permissions.can_read_other_reviews(current_user, application, round_,
                                                 rounds.settings_of(application.call), own)
    return round_, own, reading


@committee.get("/")
@login_required
def home():
    moment = now()
    return render_template("reviews/reviewer_home.html", calls=reviewer_work.home_of(current_user, moment),
                           moment=moment, phases=PHASES, states=reviewer_work.WorkState, to_do=reviewer_work.TO_DO)


@committee.get("/<slug>/suivante")
@login_required
def next(slug: str):  # noqa: A001 (the endpoint's name in the map)
    call = get_call(slug)
    if call is None or not is_reviewer_of(current_user, call.uuid):
        abort(404)
    application = reviewing.next_for(current_user, call)
    if application is None:
        flash("Tous vos dossiers sont évalués.", "success")
        return redirect(url_for("committee.home"))
    return redirect(url_for("committee.application", application_id=application.id))


def _deposited(found) -> dict:
    """What the templates rendering the deposited file need (its last version, answers, budget and files), for
    the file's page and beside the review grid alike."""
    version = found.latest_version
    return dict(version=version, spec=found.call.spec, given=version.answers, cerfa=cerfa,
                totals=version.budget_totals,
                organisation=applications.organisations_by_id([found.organisation_id])[found.organisation_id],
                files=applications.files_by_id(version.file_ids))


@committee.get("/candidatures/<uuid:application_id>")
@login_required
def application(application_id: uuid.UUID):
    found, declare = _opened(application_id)
    if declare:
        return declare
    round_, own, reading = _reading_rights(found)
    return render_template(
        "reviews/reviewer_application.html", application=found, **_deposited(found),
        eligibility=queries.eligibility_of(found), phase=rounds.phase_of(round_), own=own, may_read=reading is None,
        may_score=reviewing.may_score(current_user, found, now()), statuses=REVIEW_STATUS,
        shared_messages=messages.shared_with_reviewers(found))


@committee.get("/candidatures/<uuid:application_id>/fichiers/<uuid:file_id>")
@login_required
def download(application_id: uuid.UUID, file_id: uuid.UUID):
    found, declare = _opened(application_id)
    if declare:
        return declare
    # Her assignment and statement are checked above (reviews' knowledge); the rest is applications' rule: what was
    # deposited last, nothing else, and no file the scanner blocks.
    file = applications.file_of(found, file_id) or abort(404)
    refusal = can_download(current_user, found, file)
    if refusal and refusal.status == 404:
        abort(404)
    if refusal:
        flash(refusal.message, "error")
        return redirect(url_for("committee.application", application_id=found.id))
    return send_stored(file.storage_key, file.original_name, mime_of(file.format))


@committee.route("/candidatures/<uuid:application_id>/evaluation", methods=["GET", "POST"])
@login_required
@refusals_go_to(lambda application_id: url_for("committee.review", application_id=application_id))
def review(application_id: uuid.UUID):
    found, declare = _opened(application_id)
    if declare:
        return declare
    criteria = found.call.spec.selection_criteria
    own = queries.own_review(current_user, found)
    # On a post the grid shows what she sent, never the stored values under it.
    form = review_form(criteria, reviewing.shown(own) if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            message = _save(found, own, form, criteria)
        except reviewing.ReviewInvalid as invalid:
            show_errors(form, invalid.errors)
            status = 422
        else:
            flash(message, "success")
            return redirect(url_for("committee.review", application_id=found.id))
    round_, own, reading = _reading_rights(found)
    return render_template("reviews/review_form.html", application=found, criteria=criteria, form=form, own=own,
                           may_score=reviewing.may_score(current_user, found, now()), may_read=reading is None,
                           phase=rounds.phase_of(round_), opinions=OPINION_LABELS, is_scored=reviewing.is_scored,
                           scoring=scoring, statuses=REVIEW_STATUS, **_deposited(found)), status


def _save(found, own, form, criteria) -> str:
    """Do what the button pressed asks; return what to tell her."""
    submitted = own is not None and own.status == ReviewStatus.SUBMITTED
    if form.discard_changes.data:
        review = reviewing.discard_pending(found, current_user, now())
        return (f"Vos modifications sont abandonnées : la version {len(review.versions)} remise reste celle que "
                "voit le comité.")
    values, comments = values_of(form, criteria)
    submit = bool(form.submit_review.data)
    review = reviewing.save(found, current_user, values, comments, form.opinion.data, form.comment.data,
                            submit=submit, at=now())
    if submit:
        return f"La version {len(review.versions)} de votre évaluation est remise." if submitted else \
            "Votre évaluation est soumise."
    if submitted:
        return (f"Vos modifications sont enregistrées sans être remises : la version {len(review.versions)} reste "
                "celle que voit le comité.")
    return "Votre brouillon est enregistré."


@committee.get("/candidatures/<uuid:application_id>/evaluations")
@login_required
def reviews(application_id: uuid.UUID):
    found, declare = _opened(application_id)
    if declare:
        return declare
    _, _, reading = _reading_rights(found)
    if reading is not None:  # not yet: said where she reads the file
        flash(reading.message, "info")
        return redirect(url_for("committee.application", application_id=found.id))
    names = permissions.sees_reviewer_names(current_user, found.call, rounds.settings_of(found.call))
    shown = [(r, name if names else f"Évaluateur {_letter(rank)}") for r, name, rank in
             queries.counting_reviews_of(found)]
    return render_template("reviews/reviews.html", application=found, reviews=shown,
                           criteria=found.call.spec.selection_criteria, is_scored=reviewing.is_scored,
                           scoring=scoring, me=current_user.id)


def _letter(rank: int) -> str:
    """A, B, … Z, then AA, AB…: a stable pseudonym from the review's rank."""
    letters = ""
    while rank:
        rank, remainder = divmod(rank - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
