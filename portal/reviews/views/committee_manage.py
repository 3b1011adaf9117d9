"""The managers' pages for the committee and the assignments: the call's reviewers (add by e-mail, remove), one
reviewer's applications, the window's matrix with the bulk, CSV and automatic forms, and one application's
reviewers. An application a manager is in conflict with does not exist for her here: lists are drawn from
permissions.reviewable and its pages answer 404."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.permissions import is_reviewer_of
from portal.applications import queries as applications
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core.errors import Refusal, refusals_go_to
from portal.core.time import now
from portal.extensions import db
from portal.reviews import assignment, committee, conflicts, permissions, queries, rounds
from portal.reviews.forms.committee import (
    AddAssignmentForm,
    AddReviewerForm,
    AutoAssignForm,
    BulkAssignForm,
    ConflictForm,
    ImportForm,
    LiftForm,
    ReviewerApplicationsForm,
)
from portal.reviews.phases import PHASES
from portal.reviews.views.blueprints import manage
from portal.reviews.views.loading import managed_application, managed_call, window_of


def reviewer_of(call: Call, user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or not is_reviewer_of(person, call.uuid):
        abort(404)
    return person


def _visible_applications(call: Call, window: Window | None = None) -> list[Application]:
    """The deposited applications the manager may see, by window then number, in one query."""
    rows = (queries.deposited_in_window(window) if window is not None
            else [a for w in call.windows for a in queries.deposited_in_window(w)])
    visible = set(db.session.scalars(permissions.reviewable(current_user, call)))
    return [a for a in rows if a.id in visible]


def _phases(call: Call) -> dict[int, object]:
    """Each window's phase (None while it is open)."""
    moment = now()
    return {w.id: rounds.phase_of(rounds.round_of(w, moment)) for w in call.windows}


def _assigning(phases, application: Application) -> bool:
    phase = phases[application.window_id]
    return phase is not None and phase.assigning


@manage.route("/<slug>/comite", methods=["GET", "POST"], endpoint="committee")
@login_required
def committee_page(slug: str):
    call = managed_call(slug)
    form = AddReviewerForm()
    if form.validate_on_submit():
        try:
            person = committee.add_reviewer(call, form.email.data, current_user)
        except Refusal as refused:
            form.email.errors = [*form.email.errors, refused.message]
        else:
            flash(f"{person.name} fait maintenant partie du comité.", "success")
            return redirect(url_for(".committee", slug=call.slug))
    reviewers = queries.committee_of(call)
    return render_template("reviews/committee.html", call=call, form=form, reviewers=reviewers,
                           loads=queries.committee_loads(call, permissions.reviewable(current_user, call)),
                           phases=_phases(call))


@manage.post("/<slug>/comite/<int:user_id>/retirer")
@login_required
@refusals_go_to(lambda slug, user_id: url_for(".committee", slug=slug))
def remove_reviewer(slug: str, user_id: int):
    call = managed_call(slug)
    person = reviewer_of(call, user_id)
    committee.remove_reviewer(call, person, current_user)
    flash(f"{person.name} ne fait plus partie du comité. Ses affectations restent enregistrées mais ne lui "
          "donnent plus accès aux dossiers, et ses évaluations ne comptent plus.", "success")
    return redirect(url_for(".committee", slug=call.slug))


@manage.route("/<slug>/comite/<int:user_id>", methods=["GET", "POST"])
@login_required
def reviewer_assignments(slug: str, user_id: int):
    """One reviewer's side: tick the applications to confide to her, untick to withdraw them."""
    call = managed_call(slug)
    person = reviewer_of(call, user_id)
    phases = _phases(call)
    rows = _visible_applications(call)
    ids = [a.id for a in rows]
    conflicted = {a for a, _ in queries.conflict_pairs([person], ids)}
    assigned = {a for a, r in queries.assignments_among(ids) if r == person.id}
    verdicts = queries.eligibility_by_application(ids)
    open_ = assignment.assignable(person, rows, now())  # assignment.refusal's rule, the limit aside
    form = ReviewerApplicationsForm()
    form.applications.choices = [(str(a.id), a.number) for a in rows if a.id in open_ | assigned]
    if form.validate_on_submit():
        wanted, moment, refused, changed = set(form.applications.data), now(), [], 0
        for application in rows:
            key = str(application.id)
            try:
                if key in wanted and application.id not in assigned and application.id in open_:
                    assignment.assign(application, person, current_user, moment)
                    changed += 1
                elif key not in wanted and application.id in assigned and _assigning(phases, application):
                    assignment.unassign(application, person, current_user, moment)
                    changed += 1
            except Refusal as refusal:
                refused.append(refusal.message)
        for message in refused:
            flash(message, "error")
        flash(f"{changed} affectation(s) modifiée(s) pour {person.name}.", "success")
        return redirect(url_for(".reviewer_assignments", slug=call.slug, user_id=person.id))
    return render_template("reviews/committee_reviewer.html", call=call, person=person, rows=rows, form=form,
                           organisations=applications.organisations_by_id(a.organisation_id for a in rows),
                           conflicted=conflicted, assigned=assigned, open_=open_, verdicts=verdicts, phases=phases,
                           states=queries.review_states_among(ids))


def _matrix(call: Call, window: Window) -> dict:
    settings = rounds.settings_of(call)
    round_ = rounds.round_of(window, now())
    rows = _visible_applications(call, window)
    ids = [a.id for a in rows]
    reviewers = queries.committee_of(call)
    assigned = queries.assignments_among(ids)
    members = {r.id for r in reviewers}
    return dict(call=call, window=window, rows=rows, reviewers=reviewers, settings=settings,
                phase=rounds.phase_of(round_), conflicted=queries.conflict_pairs(reviewers, ids), assigned=assigned,
                counts={a.id: sum(1 for (x, r) in assigned if x == a.id and r in members) for a in rows},
                states=queries.review_states_among(ids), verdicts=queries.eligibility_by_application(ids),
                organisations=applications.organisations_by_id(a.organisation_id for a in rows),
                loads=queries.committee_loads(call, permissions.reviewable(current_user, call)))


def _bulk_form(rows, reviewers) -> BulkAssignForm:
    form = BulkAssignForm()
    form.applications.choices = [(str(a.id), a.number) for a in rows]
    form.reviewers.choices = [(r.id, r.name) for r in reviewers]
    return form


@manage.get("/<slug>/fenetres/<key>/affectations")
@login_required
def assignments(slug: str, key: str):
    call = managed_call(slug)
    data = _matrix(call, window_of(call, key))
    auto = AutoAssignForm(formdata=None, k=data["settings"].reviews_per_application,
                          limit=data["settings"].max_per_reviewer)
    return render_template("reviews/assignments.html", bulk=_bulk_form(data["rows"], data["reviewers"]),
                           upload=ImportForm(formdata=None), auto=auto, **data)


def _report(call: Call, window: Window, title: str, **report):
    """The outcome of a bulk, CSV or automatic assignment is shown at once: refusals are meant to be read, and
    sending the form again changes nothing (an assignment already made is refused as a duplicate)."""
    return render_template("reviews/assignment_report.html", call=call, window=window, title=title, **report)


@manage.post("/<slug>/fenetres/<key>/affectations/groupe")
@login_required
def bulk_assign(slug: str, key: str):
    call = managed_call(slug)
    window = window_of(call, key)
    rows, reviewers = _visible_applications(call, window), queries.committee_of(call)
    form = _bulk_form(rows, reviewers)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for(".assignments", slug=call.slug, key=window.key))
    chosen = set(form.applications.data)
    report = assignment.bulk_assign([a for a in rows if str(a.id) in chosen],
                                    [r for r in reviewers if r.id in set(form.reviewers.data)], current_user, now())
    return _report(call, window, "Affectation en groupe", made=report.made, refused=report.refused)


@manage.post("/<slug>/fenetres/<key>/affectations/import")
@login_required
@refusals_go_to(lambda slug, key: url_for(".assignments", slug=slug, key=key))
def import_assignments(slug: str, key: str):
    call = managed_call(slug)
    window = window_of(call, key)
    form = ImportForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for(".assignments", slug=call.slug, key=window.key))
    report = assignment.import_csv(call, window, form.file.data.stream, current_user, now())
    return _report(call, window, "Import d'affectations", lines=report.lines,
                   made_count=len(report.made), refused_count=len(report.refused))


@manage.post("/<slug>/fenetres/<key>/affectations/auto")
@login_required
@refusals_go_to(lambda slug, key: url_for(".assignments", slug=slug, key=key))
def auto_assign(slug: str, key: str):
    call = managed_call(slug)
    window = window_of(call, key)
    form = AutoAssignForm()
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            for message in errors:
                flash(f"{getattr(form, name).label.text} : {message}", "error")
        return redirect(url_for(".assignments", slug=call.slug, key=window.key))
    report = assignment.auto_assign(window, form.k.data, form.limit.data, current_user, now())
    return _report(call, window, "Affectation automatique", made=report.made, short=report.short, k=report.k,
                   limit=report.limit, settings_changed=report.settings_changed)


@manage.route("/candidatures/<uuid:application_id>/comite", methods=["GET", "POST"])
@login_required
@refusals_go_to(lambda application_id: url_for(".application_committee", application_id=application_id))
def application_committee(application_id: uuid.UUID):
    """One application's side: its reviewers (add, withdraw) and its conflicts of interest."""
    application = managed_application(application_id)
    call = application.call
    round_ = rounds.round_of(application.window, now())
    reviewers = queries.committee_of(call)
    current = queries.assignments_of_application(application)
    conflicted = {r for _, r in queries.conflict_pairs(reviewers, [application.id])}
    taken = {a.reviewer_id for a in current}
    form = AddAssignmentForm()
    form.reviewer.choices = [(r.id, r.name) for r in reviewers if r.id not in taken | conflicted]
    if form.validate_on_submit():
        person = next(r for r in reviewers if r.id == form.reviewer.data)
        assignment.assign(application, person, current_user, now())
        flash(f"{person.name} évaluera la candidature {application.number}.", "success")
        return redirect(url_for(".application_committee", application_id=application.id))
    names = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(taken)))} if taken else {}
    return render_template("reviews/committee_application.html", application=application, call=call, form=form,
                           current=current, names=names, members={r.id for r in reviewers},
                           states=queries.review_states_among([application.id]),
                           organisation=applications.organisations_by_id([application.organisation_id])[
                               application.organisation_id],
                           conflicts=queries.conflicts_shown(permissions.reviewable(current_user, call),
                                                             conflicts.detected_unrecorded(call), application.id),
                           conflict_form=ConflictForm(formdata=None), lift_form=LiftForm(formdata=None),
                           phase=rounds.phase_of(round_), phases=PHASES)


@manage.post("/candidatures/<uuid:application_id>/affectations/<int:user_id>/retirer")
@login_required
@refusals_go_to(lambda application_id, user_id: url_for(".application_committee", application_id=application_id))
def unassign(application_id: uuid.UUID, user_id: int):
    application = managed_application(application_id)
    person = db.session.get(User, user_id) or abort(404)
    assignment.unassign(application, person, current_user, now())
    flash(f"{person.name} n'évalue plus la candidature {application.number}. Une évaluation qu'elle aurait "
          "déjà rendue reste enregistrée mais ne compte plus.", "success")
    return redirect(url_for(".application_committee", application_id=application.id))
