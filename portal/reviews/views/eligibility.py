"""Eligibility screening (recevabilité) by the call's managers: the window's list with each verdict, and one
application's checklist with the verdict form. A manager in conflict with an application sees nothing of it."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.accounts.models import LEGAL_FORMS
from portal.applications import queries as applications
from portal.core.errors import Refusal
from portal.core.time import now, today_paris
from portal.extensions import db
from portal.reviews import eligibility as screening
from portal.reviews import permissions, queries, rounds
from portal.reviews.forms.rounds import EligibilityForm
from portal.reviews.views.blueprints import manage
from portal.reviews.views.loading import managed_application, managed_call, window_of


@manage.get("/<slug>/fenetres/<key>/recevabilite")
@login_required
def eligibility_list(slug: str, key: str):
    call = managed_call(slug)
    window = window_of(call, key)
    round_ = rounds.round_of(window, now())
    visible = set(db.session.scalars(permissions.reviewable(current_user, call)))
    rows = [a for a in queries.deposited_in_window(window) if a.id in visible]
    verdicts = queries.eligibility_by_application(a.id for a in rows)
    counts = {"eligible": sum(1 for a in rows if a.id in verdicts and verdicts[a.id].is_eligible),
              "ineligible": sum(1 for a in rows if a.id in verdicts and not verdicts[a.id].is_eligible)}
    counts["unscreened"] = len(rows) - counts["eligible"] - counts["ineligible"]
    hidden_unscreened = rounds.unscreened_count(window) - counts["unscreened"]
    return render_template("reviews/eligibility_list.html", call=call, window=window, round=round_,
                           phase=rounds.phase_of(round_), rows=rows, verdicts=verdicts, counts=counts,
                           hidden_unscreened=hidden_unscreened,
                           organisations=applications.organisations_by_id(a.organisation_id for a in rows))




@manage.route("/candidatures/<uuid:application_id>/recevabilite", methods=["GET", "POST"])
@login_required
def eligibility(application_id: uuid.UUID):
    application = managed_application(application_id)
    moment = now()
    round_ = rounds.round_of_application(application, moment)
    phase = rounds.phase_of(round_)
    items = screening.checklist(application)
    current = queries.eligibility_of(application)
    form = EligibilityForm(data={"verdict": current.verdict, "reason": current.reason} if current else None)
    refusal = permissions.can_screen(application, round_)
    can_screen = refusal is None
    ticks = (dict(current.checklist) if current else {item.key: item.automatic is True for item in items})
    error = None
    if request.method == "POST":
        if refusal is not None:
            flash(refusal.message, "error")
            return redirect(url_for(".eligibility", application_id=application.id))
        ticks = {item.key: item.key in request.form.getlist("coche") for item in items}
        if form.validate_on_submit():
            try:
                screening.record(application, form.verdict.data, ticks, form.reason.data, by=current_user,
                                   at=moment)
            except Refusal as refused:
                error = refused.message  # answered 400: the request rolls back
            else:
                flash(f"{application.number} : {screening.VERDICTS[form.verdict.data].lower()}.", "success")
                return redirect(url_for(".eligibility_list", slug=application.call.slug, key=application.window.key))
    organisation = applications.organisations_by_id([application.organisation_id])[application.organisation_id]
    decided_by = _name_of(current.decided_by_id) if current else None
    return render_template("reviews/eligibility.html", application=application, call=application.call,
                           window=application.window, organisation=organisation, items=items, ticks=ticks,
                           form=form, current=current, decided_by=decided_by, phase=phase, can_screen=can_screen,
                           error=error, verdicts=screening.VERDICTS,
                           closing_day=today_paris(application.window.closes_at), legal_forms=LEGAL_FORMS), 400 if error or form.errors else 200


def _name_of(user_id: int | None) -> str | None:
    from portal.accounts.models import User

    if user_id is None:
        return None
    return db.session.scalar(select(User.name).where(User.id == user_id))
