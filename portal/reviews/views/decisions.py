"""Decisions: the manager's page of one application on the selection side (eligibility, the reviews that count,
the decision form), the publication of a window's decisions with the preview of what goes out, the letters; and
the applicant's decision page once published."""

from __future__ import annotations

import uuid

from babel.numbers import format_decimal
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.applications import permissions as application_permissions
from portal.applications import queries as application_queries
from portal.core.errors import Refusal, refusals_go_to
from portal.core.exports import content_disposition
from portal.core.time import now
from portal.extensions import db
from portal.reviews import decision_flow, decisions, envelope, letters, queries, rounds
from portal.reviews.forms.decisions import DecisionForm, PublishForm
from portal.reviews.forms.waiting_list import WithdrawalForm
from portal.reviews.permissions import reviewable
from portal.reviews.phases import PHASES
from portal.reviews.views.blueprints import applicant, manage
from portal.reviews.views.loading import managed_application, managed_window


def _amount_text(amount) -> str:
    return "" if amount is None else format_decimal(amount, "#,##0.00", locale="fr_FR")


def application_page(application, form: DecisionForm | None = None, status: int = 200,
                      withdrawal_form: WithdrawalForm | None = None):
    round_ = rounds.round_of_application(application, now()) or abort(404)
    phase = PHASES[round_.phase]
    eligibility = queries.eligibility_of(application)
    decision = queries.decision_of(application)
    if form is None:
        form = DecisionForm(data={} if decision is None else {
            "outcome": decision.outcome, "amount": _amount_text(decision.amount),
            "duration_years": decision.duration_years, "motivation": decision.motivation or "",
            "confirm_above_request": decision.above_request_confirmed})
    organisation = application_queries.organisations_by_id([application.organisation_id])[application.organisation_id]
    call = application.call
    return render_template(
        "reviews/application.html", application=application, call=call, organisation=organisation,
        round=round_, phase=phase, eligibility=eligibility, decision=decision, form=form,
        can_decide=phase.deciding and eligibility is not None and eligibility.is_eligible,
        reviews=queries.counting_reviews_of(application), assigned=len(queries.assignments_of_application(application)),
        criteria=call.spec.selection_criteria, requested=decisions.amount_requested(application),
        has_letter=letters.letter_of(application) is not None,
        pending_requests=queries.pending_requests_on(application),
        flow=decision_flow.flow_of(application, current_user),
        envelope=envelope.envelope_of(call, application.window, reviewable(current_user, call)),
        withdrawal_form=withdrawal_form or WithdrawalForm()), status


@manage.get("/candidatures/<uuid:application_id>")
@login_required
def application(application_id: uuid.UUID):
    return application_page(managed_application(application_id))


@manage.post("/candidatures/<uuid:application_id>/decision")
@login_required
@refusals_go_to(lambda application_id: url_for(".application", application_id=application_id))
def decision(application_id: uuid.UUID):
    application = managed_application(application_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            decisions.record(application, form.outcome.data, form.amount.data or None, form.duration_years.data,
                             form.motivation.data, form.confirm_above_request.data, by=current_user, at=now())
        except Refusal as refused:
            if refused.field is None:
                raise  # back to the application's page (refusals_go_to)
            getattr(form, refused.field).errors.append(refused.message)
            return application_page(application, form, 422)
        flash("Décision enregistrée. Elle reste confidentielle jusqu'à la publication des décisions.", "success")
        following = decision_flow.flow_of(application, current_user).next if request.form.get("then") == "next" else None
        if following is not None:
            return redirect(url_for(".application", application_id=following.application_id, _anchor="decision"))
        if request.form.get("then") == "next":
            flash("C'était la dernière candidature recevable du classement.", "info")
        return redirect(url_for(".application", application_id=application.id, _anchor="decision"))
    return application_page(application, form, 422)


def _publication_page(call, window, round_, form: PublishForm | None = None, status: int = 200):
    visible_ids = reviewable(current_user, call)
    visible = set(db.session.scalars(visible_ids))
    deciding = PHASES[round_.phase].deciding
    notices = decisions.preview(round_) if deciding else []
    return render_template(
        "reviews/publication.html", call=call, window=window, round=round_, phase=PHASES[round_.phase],
        notices=[n for n in notices if n.application.id in visible],
        hidden=sum(1 for n in notices if n.application.id not in visible),
        missing=decisions.missing(round_) if deciding else [], form=form or PublishForm(),
        missing_settings=decisions.missing_letter_settings(call),
        envelope=envelope.envelope_of(call, window, visible_ids),
        # The whole window's total decides whether publishing needs the confirmation, hidden applications included.
        over_envelope=envelope.envelope_of(call, window).exceeded), status


@manage.get("/<slug>/fenetres/<key>/publication")
@login_required
def publication(slug: str, key: str):
    return _publication_page(*managed_window(slug, key))


@manage.post("/<slug>/fenetres/<key>/publier")
@login_required
@refusals_go_to(lambda slug, key: url_for(".publication", slug=slug, key=key))
def publish(slug: str, key: str):
    call, window, round_ = managed_window(slug, key)
    form = PublishForm()
    if not form.validate_on_submit():
        return _publication_page(call, window, round_, form, 422)
    try:
        sent = decisions.publish(round_, by=current_user, at=now(),
                                 over_envelope_confirmed=form.confirm_over_envelope.data)
    except Refusal as refused:
        if refused.field is None and PHASES[round_.phase].deciding:  # missing decisions, letters not ready
            raise  # back to the publication page (refusals_go_to)
        if refused.field is None:
            flash(refused.message, "error")
        else:
            getattr(form, refused.field).errors.append(refused.message)
        return _publication_page(call, window, round_, form, 422)
    flash(f"Décisions publiées : {sent} message(s) mis en file d'envoi.", "success")
    return redirect(url_for(".publication", slug=slug, key=key))


def _pdf(application, disposition: str):
    pdf = letters.letter_pdf(application)
    header = content_disposition(letters.filename(application))
    if disposition == "inline":
        header = header.replace("attachment", "inline", 1)
    return pdf, 200, {"Content-Type": "application/pdf", "Content-Disposition": header}


@manage.get("/candidatures/<uuid:application_id>/lettre.pdf")
@login_required
def letter_preview(application_id: uuid.UUID):
    application = managed_application(application_id)
    if letters.letter_of(application) is None:
        abort(404)
    return _pdf(application, "inline")


# ---- the applicant's side ------------------------------------------------------------------------------


def published_application(application_id: uuid.UUID):
    """For members of the applying organisation, once the window's decisions are published; 404 before."""
    application = application_queries.for_member(application_id, current_user)
    if (application is None or not application_permissions.is_lead_member(current_user, application)
            or queries.round_published_at(application) is None or letters.letter_of(application) is None):
        abort(404)
    return application


@applicant.get("/<uuid:application_id>/decision", endpoint="decision")
@login_required
def decision_page(application_id: uuid.UUID):
    application = published_application(application_id)
    decision = queries.decision_of(application)
    return render_template("reviews/decision.html", application=application, call=application.call,
                           letter=letters.letter_of(application), current=decision,
                           changes=decision.changes if decision else [])


@applicant.get("/<uuid:application_id>/decision.pdf")
@login_required
def letter(application_id: uuid.UUID):
    return _pdf(published_application(application_id), "attachment")
