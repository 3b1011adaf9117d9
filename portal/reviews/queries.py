"""Reads of the selection side shared by pages, services and exports, written for the database."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.accounts.queries import reviewers_of
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.extensions import db
from portal.reviews.models import Assignment, Decision, Eligibility, Review, ReviewRound


def committee_of(call: Call) -> list[User]:
    """The call's reviewers (people holding the reviewer role for it)."""
    return reviewers_of(call.uuid)


def deposited_in_window(window: Window) -> list[Application]:
    """Applications of the window deposited at least once and not withdrawn, by number."""
    return list(db.session.scalars(
        select(Application).where(Application.window_id == window.id, Application.status == "submitted")
        .options(selectinload(Application.versions), selectinload(Application.partners))
        .order_by(Application.number)))


def rounds_of(call: Call) -> dict[int, ReviewRound]:
    """The call's rounds by window id."""
    return {r.window_id: r for r in db.session.scalars(select(ReviewRound).where(ReviewRound.call_id == call.id))}


def assignment_of(user, application: Application) -> Assignment | None:
    return db.session.scalar(select(Assignment).where(Assignment.application_id == application.id,
                                                      Assignment.reviewer_id == user.id))


def assignments_of_application(application: Application) -> list[Assignment]:
    return list(db.session.scalars(select(Assignment).where(Assignment.application_id == application.id)
                                   .order_by(Assignment.assigned_at)))


def own_review(user, application: Application) -> Review | None:
    return db.session.scalar(select(Review).where(Review.application_id == application.id,
                                                  Review.reviewer_id == user.id)
                             .options(selectinload(Review.scores), selectinload(Review.versions)))


def reviews_of(application: Application, submitted_only: bool = True) -> list[Review]:
    query = (select(Review).where(Review.application_id == application.id)
             .options(selectinload(Review.scores)).order_by(Review.submitted_at))
    if submitted_only:
        query = query.where(Review.status == "submitted")
    return list(db.session.scalars(query))


def eligibility_of(application: Application) -> Eligibility | None:
    return db.session.scalar(select(Eligibility).where(Eligibility.application_id == application.id))


def eligibility_by_application(ids) -> dict[uuid.UUID, Eligibility]:
    ids = list(ids)
    if not ids:
        return {}
    return {e.application_id: e for e in db.session.scalars(select(Eligibility)
                                                           .where(Eligibility.application_id.in_(ids)))}


def decision_of(application: Application) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.application_id == application.id))


def load_by_reviewer(call: Call) -> dict[int, int]:
    """How many applications of the call each reviewer is assigned."""
    rows = db.session.execute(select(Assignment.reviewer_id, func.count(Assignment.id))
                              .join(Application, Application.id == Assignment.application_id)
                              .where(Application.call_id == call.id).group_by(Assignment.reviewer_id))
    return {reviewer_id: count for reviewer_id, count in rows}


def decisions_published(application: Application) -> bool:
    """Whether the decisions of the application's window have been published (the applicant may read hers)."""
    return db.session.scalar(select(ReviewRound.decisions_published_at)
                             .where(ReviewRound.window_id == application.window_id)) is not None


def screening_counts(window: Window, visible=None) -> dict[str, int]:
    """The window's deposited applications by eligibility verdict: deposited, eligible, ineligible, unscreened;
    only among `visible` (a select of application ids, e.g. permissions.reviewable) when given."""
    query = (select(Eligibility.verdict, func.count(Application.id))
             .outerjoin(Eligibility, Eligibility.application_id == Application.id)
             .where(Application.window_id == window.id, Application.status == "submitted")
             .group_by(Eligibility.verdict))
    if visible is not None:
        query = query.where(Application.id.in_(visible))
    rows = db.session.execute(query)
    by_verdict = {verdict: count for verdict, count in rows}
    return {"deposited": sum(by_verdict.values()), "eligible": by_verdict.get("eligible", 0),
            "ineligible": by_verdict.get("ineligible", 0), "unscreened": by_verdict.get(None, 0)}


def round_published_at(application: Application):
    """When the decisions of the application's window were published, or None while they are pending."""
    return db.session.scalar(select(ReviewRound.decisions_published_at)
                             .where(ReviewRound.window_id == application.window_id))
