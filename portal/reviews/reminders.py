"""Two days before the day the manager set for the reviews (ReviewRound.reviews_due_on), each committee member who
still has assigned reviews to submit gets one e-mail with how many and a link to her next file: once per round
(reviews_reminded_at), never for a file she is in conflict with, nothing once the day has passed or all are in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.accounts.models import User
from portal.catalog.models import Call, Window
from portal.core import mail
from portal.core.formatting import date_fr
from portal.core.time import today_paris
from portal.core.urls import external_url
from portal.extensions import db
from portal.reviews import permissions, queries
from portal.reviews.models import ReviewRound
from portal.reviews.phases import PHASES

AHEAD = dt.timedelta(days=2)


def rounds_due(moment: dt.datetime) -> list[ReviewRound]:
    """Rounds in a scoring phase, not reminded, whose due day (Paris calendar) is today or within two days."""
    today = today_paris(moment)
    return list(db.session.scalars(select(ReviewRound).where(
        ReviewRound.reviews_reminded_at.is_(None), ReviewRound.reviews_due_on.is_not(None),
        ReviewRound.reviews_due_on >= today, ReviewRound.reviews_due_on <= today + AHEAD,
        ReviewRound.phase.in_([key for key, phase in PHASES.items() if phase.scoring])).order_by(ReviewRound.id)))


def left_to_review(round_: ReviewRound) -> dict[User, int]:
    """Each committee member's assigned reviews of the round not submitted yet, among the files she may see (a
    conflict takes a file out of her count, as it takes it out of her pages)."""
    window = db.session.get(Window, round_.window_id)
    call = db.session.get(Call, round_.call_id)
    reviewers = queries.unsubmitted_by_reviewer(window)
    left = {}
    for user in db.session.scalars(select(User).where(User.id.in_(reviewers)).order_by(User.name)):
        count = queries.unsubmitted_by_reviewer(window, permissions.reviewable(user, call)).get(user.id, 0)
        if count:
            left[user] = count
    return left


def send_due(moment: dt.datetime) -> int:
    """Queue the reminders of every round due; returns how many people were reminded."""
    reminded = 0
    for round_ in rounds_due(moment):
        call = db.session.get(Call, round_.call_id)
        window = db.session.get(Window, round_.window_id)
        left = left_to_review(round_)
        for user, count in left.items():
            mail.enqueue(user.email, f"Rappel : {count} évaluation{'s' if count > 1 else ''} à remettre — {call.title}",
                         "review_reminder", name=user.name, call=call, window=window, count=count,
                         due_on=date_fr(round_.reviews_due_on), url=external_url("committee.next", slug=call.slug),
                         home=external_url("committee.home"))
        if left:
            round_.reviews_reminded_at = moment
            reminded += len(left)
        db.session.commit()  # a job: each round is its own unit, so one failure does not resend the others
    return reminded
