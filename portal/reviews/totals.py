"""Stored review totals follow the call's weights: one service recomputes them all when the call file changes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.applications.models import Application
from portal.catalog.models import Call
from portal.core import audit
from portal.extensions import db
from portal.reviews import scoring
from portal.reviews.models import Review, ReviewSettings
from portal.reviews.states import ReviewStatus


def recompute_totals(call: Call, by=None) -> int:
    """Recompute every submitted review's total of the call with its current criteria; returns how many changed.
    The caller commits (a call sync commits with the call itself)."""
    criteria = call.spec.selection_criteria
    reviews = db.session.scalars(select(Review).join(Application, Application.id == Review.application_id)
                                 .where(Application.call_id == call.id, Review.status == ReviewStatus.SUBMITTED)
                                 .options(selectinload(Review.scores)))
    changed = 0
    for review in reviews:
        new = scoring.total(criteria, {s.criterion: s.value for s in review.scores})
        if new != review.total:
            review.total, changed = new, changed + 1
    settings = db.session.get(ReviewSettings, call.id)
    if settings is not None:
        settings.weights_signature = scoring.weights_signature(call.spec)
    audit.record("review.recompute", actor=by, target=f"call:{call.id}", changed=changed)
    return changed


def follow_call_changes(call: Call) -> None:
    """Receiver of the catalogue's `call_updated`: recompute only when weights, scales or counted flags moved."""
    settings = db.session.get(ReviewSettings, call.id)
    if settings is not None and settings.weights_signature != scoring.weights_signature(call.spec):
        recompute_totals(call)
