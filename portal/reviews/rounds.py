"""The selection rounds of a call (one per closed window), the call's review settings, and moving a round from
one phase to the next."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from portal.applications import submission
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core import audit
from portal.extensions import db
from portal.reviews import scoring
from portal.reviews.errors import ReviewError
from portal.reviews.models import Eligibility, ReviewRound, ReviewSettings
from portal.reviews.phases import PHASES, Phase


def settings_of(call: Call) -> ReviewSettings:
    """The call's settings, created with their defaults on first use (not committed by itself)."""
    settings = db.session.get(ReviewSettings, call.id)
    if settings is None:
        settings = ReviewSettings(call_id=call.id, blind=False, others_after_own=True, reviews_per_application=2,
                                  min_reviews_for_normalisation=3, disagreement_threshold=Decimal("3.00"),
                                  weights_signature=scoring.weights_signature(call.spec))
        db.session.add(settings)
        db.session.flush()
    return settings


def round_of(window: Window, at: dt.datetime) -> ReviewRound | None:
    """The window's round, opened in the eligibility phase the first time someone looks after closing; None while
    the window is still open (nothing can be judged before the deadline)."""
    round_ = db.session.scalar(select(ReviewRound).where(ReviewRound.window_id == window.id))
    if round_ is None and window.has_closed_at(at):
        round_ = ReviewRound(call_id=window.call_id, window_id=window.id, phase="eligibility", phase_changed_at=at)
        db.session.add(round_)
        db.session.flush()
    return round_


def round_of_application(application: Application, at: dt.datetime) -> ReviewRound | None:
    return round_of(application.window, at)


def phase_of(round_: ReviewRound | None) -> Phase | None:
    return PHASES[round_.phase] if round_ is not None else None


def unscreened_count(window: Window) -> int:
    """Deposited applications of the window with no eligibility verdict yet."""
    return db.session.scalar(
        select(func.count(Application.id)).outerjoin(Eligibility, Eligibility.application_id == Application.id)
        .where(Application.window_id == window.id, Application.status == "submitted", Eligibility.id.is_(None))) or 0


def change_phase(round_: ReviewRound, to: str, by, at: dt.datetime) -> None:
    """Move to an allowed next phase. Reviewing starts only once every application is screened, and it freezes
    the files; « decided » is reached by publishing the decisions, not from here."""
    current = PHASES[round_.phase]
    if to not in current.next:
        raise ReviewError(f"On ne passe pas de la phase « {current.label} » à "
                          f"« {PHASES[to].label if to in PHASES else to} ».")
    window = db.session.get(Window, round_.window_id)
    if to == "review":
        missing = unscreened_count(window)
        if missing:
            raise ReviewError(f"{missing} candidature(s) n'ont pas encore de décision de recevabilité : "
                              "l'évaluation ne peut pas commencer.")
        submission.lock_for_review(list(db.session.scalars(select(Application).where(
            Application.window_id == window.id, Application.number.is_not(None)))), at)
    audit.record("review.phase", actor=by, target=f"round:{round_.id}", window=window.key,
                 before=round_.phase, after=to)
    round_.phase, round_.phase_changed_at, round_.phase_changed_by_id = to, at, getattr(by, "id", None)
    db.session.commit()


def update_settings(settings: ReviewSettings, by, at: dt.datetime, **values) -> None:
    changed = {key: [str(getattr(settings, key)), str(value)] for key, value in values.items()
               if getattr(settings, key) != value}
    if not changed:
        return
    for key, value in values.items():
        setattr(settings, key, value)
    settings.updated_at, settings.updated_by_id = at, getattr(by, "id", None)
    audit.record("review.settings", actor=by, target=f"call:{settings.call_id}", **changed)
    db.session.commit()
