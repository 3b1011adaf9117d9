"""The committee's meeting of a window: the manager records its date, place, chair and who attended; the
procès-verbal reports it."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.core.time import now
from portal.reviews import meeting
from portal.reviews.forms.meeting import meeting_form
from portal.reviews.views.blueprints import manage
from portal.reviews.views.loading import managed_window


@manage.app_template_global("committee_meeting_of")
def committee_meeting_of(round_):
    """For the hub's link to the procès-verbal: the round's recorded meeting, or None."""
    return meeting.meeting_of(round_)


@manage.route("/<slug>/fenetres/<key>/reunion", methods=["GET", "POST"], endpoint="meeting")
@login_required
def record(slug: str, key: str):
    call, window, round_ = managed_window(slug, key)
    members = meeting.members_of(call)
    recorded = meeting.meeting_of(round_)
    form = meeting_form(members, recorded)
    if form.validate_on_submit():
        meeting.record_meeting(window, members, form.presence(), form.held_on.data, form.starts_at.data,
                               form.place.data, form.chair_name.data, form.chair_title.data, by=current_user,
                               at=now())
        flash("La réunion du comité est enregistrée : le procès-verbal la reprend.", "success")
        return redirect(url_for(".meeting", slug=call.slug, key=window.key))
    return render_template("reviews/meeting.html", call=call, window=window, form=form, meeting=recorded), (
        400 if form.errors else 200)
