"""After publication: a laureate's withdrawal (from the application's page), the liste complémentaire in ranking
order with the promotion form, and the letters of these changes for the manager and for the applicant."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.core.errors import Refusal, refusals_go_to
from portal.core.exports import content_disposition
from portal.core.time import now
from portal.extensions import db
from portal.reviews import envelope, letters, waiting_list
from portal.reviews.forms.waiting_list import PromotionForm, WithdrawalForm
from portal.reviews.models import DecisionChange
from portal.reviews.permissions import reviewable
from portal.reviews.phases import PHASES
from portal.reviews.views.blueprints import applicant, manage
from portal.reviews.views.decisions import application_page, published_application
from portal.reviews.views.loading import managed_application, managed_window


@manage.post("/candidatures/<uuid:application_id>/desistement")
@login_required
@refusals_go_to(lambda application_id: url_for(".application", application_id=application_id))
def withdrawal(application_id: uuid.UUID):
    application = managed_application(application_id)
    form = WithdrawalForm()
    if form.validate_on_submit():
        try:
            waiting_list.record_withdrawal(application, form.reason.data, form.effective_on.data, by=current_user,
                                           at=now())
        except Refusal as refused:
            if refused.field is None:
                raise  # back to the application's page (refusals_go_to)
            getattr(form, refused.field).errors.append(refused.message)
            return application_page(application, status=422, withdrawal_form=form)
        flash("Désistement enregistré ; la lettre qui en prend acte est partie. Vous pouvez retenir une candidature "
              "de la liste complémentaire.", "success")
        return redirect(url_for(".waiting_list", slug=application.call.slug, key=application.window.key))
    return application_page(application, status=422, withdrawal_form=form)


def _list_page(slug: str, key: str, form: PromotionForm | None = None, status: int = 200):
    call, window, round_ = managed_window(slug, key)
    listed, hidden = waiting_list.waiting_list(window, current_user)
    form = form or PromotionForm(data={"application": str(listed[0].application_id)} if listed else {})
    form.application.choices = [(str(row.application_id), f"{row.number} — {row.organisation}") for row in listed]
    return render_template("reviews/waiting_list.html", call=call, window=window, round=round_,
                           phase=PHASES[round_.phase], listed=listed, hidden=hidden, form=form,
                           envelope=envelope.envelope_of(call, window, reviewable(current_user, call))), status


@manage.get("/<slug>/fenetres/<key>/liste-complementaire", endpoint="waiting_list")
@login_required
def waiting_list_page(slug: str, key: str):
    return _list_page(slug, key)


@manage.post("/<slug>/fenetres/<key>/liste-complementaire")
@login_required
def promote(slug: str, key: str):
    call, window, _ = managed_window(slug, key)
    form = PromotionForm()
    if not form.validate_on_submit():
        return _list_page(slug, key, form, 422)
    try:
        chosen = uuid.UUID(form.application.data)
    except ValueError:
        abort(404)
    application = managed_application(chosen)  # 404 for an application the manager is in conflict with
    if application.window_id != window.id:
        abort(404)
    try:
        waiting_list.promote(application, form.amount.data or None, form.confirm_above_request.data,
                             form.confirm_out_of_order.data, form.confirm_over_envelope.data, by=current_user,
                             at=now())
    except Refusal as refused:
        getattr(form, refused.field or "application").errors.append(refused.message)
        return _list_page(slug, key, form, 422)
    flash(f"La candidature {application.number} est retenue ; la lettre qui le lui annonce est partie.", "success")
    return redirect(url_for(".application", application_id=application.id, _anchor="decision"))


def _change_of(application, change_id: int) -> DecisionChange:
    change = db.session.get(DecisionChange, change_id)
    if change is None or change.decision.application_id != application.id:
        abort(404)
    return change


def _pdf(application, change: DecisionChange, disposition: str):
    header = content_disposition(letters.filename(application, change))
    if disposition == "inline":
        header = header.replace("attachment", "inline", 1)
    return (letters.render(letters.change_letter(application, change)), 200,
            {"Content-Type": "application/pdf", "Content-Disposition": header})


@manage.get("/candidatures/<uuid:application_id>/lettres/<int:change_id>.pdf")
@login_required
def change_letter_preview(application_id: uuid.UUID, change_id: int):
    application = managed_application(application_id)
    return _pdf(application, _change_of(application, change_id), "inline")


@applicant.get("/<uuid:application_id>/decision/<int:change_id>.pdf", endpoint="change_letter")
@login_required
def change_letter(application_id: uuid.UUID, change_id: int):
    application = published_application(application_id)
    return _pdf(application, _change_of(application, change_id), "attachment")
