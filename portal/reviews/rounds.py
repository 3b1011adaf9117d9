"""The selection rounds of a call (one per closed window), the call's review settings, and moving a round from
one phase to the next.

A GET never writes (GUIDE.md): until a use case changes them, a closed window's round is in its first phase
(eligibility, since the deadline) and a call's settings are the defaults, both as rows built but not stored. Only
ensure_round and ensure_settings store them, called by the use cases that change or depend on them: a phase change,
saved settings, a verdict, an assignment, a submitted review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, inspect, select

from portal.applications import submission
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core import audit
from portal.core.errors import Refusal
from portal.extensions import db
from portal.reviews import permissions, queries, scoring
from portal.reviews.models import Eligibility, ReviewRound, ReviewSettings
from portal.reviews.phases import PHASES, Phase
from portal.reviews.states import RoundPhase


def _unsaved(key: tuple, build):
    """One unsaved row per window (or call) and per session, so that the very object a caller read first is the
    one stored later: the demo reads the round, screens (which stores it), then moves the object it read."""
    unsaved = db.session.info.setdefault("reviews.unsaved", {})
    row = unsaved.get(key)
    if row is None or not inspect(row).transient:
        row = unsaved[key] = build()
    return row


def _stored(row):
    """Where the rows read as defaults get stored: the one place a round or settings row is created."""
    if inspect(row).transient:
        db.session.add(row)
        db.session.flush()
    return row


def _default_settings(call: Call) -> ReviewSettings:
    return ReviewSettings(call_id=call.id, blind=False, others_after_own=True, reviews_per_application=2,
                          max_per_reviewer=None, min_reviews_for_normalisation=3,
                          disagreement_threshold=Decimal("3.00"), weights_signature=scoring.weights_signature(call.spec))


def settings_of(call: Call) -> ReviewSettings:
    """The call's settings as stored, else the defaults (not stored: see ensure_settings)."""
    return db.session.get(ReviewSettings, call.id) or _unsaved(("settings", call.id), lambda: _default_settings(call))


def ensure_settings(call: Call) -> ReviewSettings:
    """The call's stored settings, stored with their defaults first if need be (flushed, not committed)."""
    return _stored(settings_of(call))


def round_of(window: Window, at: dt.datetime) -> ReviewRound | None:
    """The window's round as stored; else, once the window has closed, its first phase (eligibility) since the
    deadline, not stored (see ensure_round); None while the window is still open (nothing is judged before)."""
    round_ = db.session.scalar(select(ReviewRound).where(ReviewRound.window_id == window.id))
    if round_ is None and window.has_closed_at(at):
        round_ = _unsaved(("round", window.id), lambda: ReviewRound(
            call_id=window.call_id, window_id=window.id, phase=RoundPhase.ELIGIBILITY, phase_changed_at=window.closes_at,
            phase_changed_by_id=None, decisions_published_at=None))
    return round_


def ensure_round(window: Window, at: dt.datetime) -> ReviewRound | None:
    """The window's stored round, stored in its first phase first if need be (flushed, not committed); None while
    the window is still open."""
    round_ = round_of(window, at)
    return _stored(round_) if round_ is not None else None


def round_of_application(application: Application, at: dt.datetime) -> ReviewRound | None:
    return round_of(application.window, at)


def phase_of(round_: ReviewRound | None) -> Phase | None:
    return PHASES[round_.phase] if round_ is not None else None


def unscreened_count(window: Window) -> int:
    """Deposited applications of the window with no eligibility verdict yet."""
    return db.session.scalar(
        select(func.count(Application.id)).outerjoin(Eligibility, Eligibility.application_id == Application.id)
        .where(Application.window_id == window.id, Application.is_deposited, Eligibility.id.is_(None))) or 0


def confirm_missing_label(missing: int) -> str:
    """The checkbox a manager ticks to open the deliberation before every assigned review is in."""
    return f"Ouvrir la délibération malgré {missing} évaluation{'s' if missing > 1 else ''} non remise" + (
        "s" if missing > 1 else "")


class MissingReviews(Refusal):
    """The deliberation would open with reviews still undone, and the manager has not confirmed as many."""

    def __init__(self, missing: int) -> None:
        super().__init__(f"Cochez « {confirm_missing_label(missing)} » pour ouvrir la délibération sans elles.")
        self.missing = missing


def missing_reviews(window: Window, by) -> list:
    """The reviews still expected on the applications this person may see (all of them for the platform)."""
    return queries.unsubmitted_reviews(window, None if by is None else permissions.reviewable(by, window.call))


def change_phase(round_: ReviewRound, to: str, by, at: dt.datetime, missing_confirmed: int = 0) -> None:
    """Move to an allowed next phase. Reviewing starts only once every application is screened, and it freezes
    the files; the deliberation opens with assigned reviews undone only if the manager confirmed at least as many
    as there are (the audit entry records how many); « decided » is reached by publishing the decisions."""
    window = db.session.get(Window, round_.window_id)
    if inspect(round_).transient:  # the first phase, read but not stored yet
        round_ = ensure_round(window, at)
    current = PHASES[round_.phase]
    if to not in current.next:
        raise Refusal(f"On ne passe pas de la phase « {current.label} » à "
                          f"« {PHASES[to].label if to in PHASES else to} ».")
    if to == RoundPhase.REVIEW:
        missing = unscreened_count(window)
        if missing:
            raise Refusal(f"{missing} candidature(s) n'ont pas encore de décision de recevabilité : "
                              "l'évaluation ne peut pas commencer.")
        submission.lock_for_review(list(db.session.scalars(select(Application).where(
            Application.window_id == window.id, Application.is_deposited))), at)
    extra = {}
    if to == RoundPhase.DELIBERATION:
        missing = len(missing_reviews(window, by))
        if missing > missing_confirmed:
            raise MissingReviews(missing)
        extra["missing_reviews"] = missing
    audit.record("review.phase", actor=by, target=f"round:{round_.id}", window=window.key,
                 before=round_.phase, after=to, **extra)
    round_.phase, round_.phase_changed_at, round_.phase_changed_by_id = to, at, getattr(by, "id", None)
    db.session.flush()


def update_settings(settings: ReviewSettings, by, at: dt.datetime, **values) -> None:
    """Save the managers' settings (the defaults read by settings_of are stored by the first save)."""
    changed = {key: [str(getattr(settings, key)), str(value)] for key, value in values.items()
               if getattr(settings, key) != value}
    if not changed:
        return
    settings = _stored(settings)
    for key, value in values.items():
        setattr(settings, key, value)
    settings.updated_at, settings.updated_by_id = at, getattr(by, "id", None)
    audit.record("review.settings", actor=by, target=f"call:{settings.call_id}", **changed)
    db.session.flush()


def set_reviews_due_on(round_: ReviewRound, due_on: dt.date | None, by, at: dt.datetime) -> None:
    """The day the manager asks the committee's reviews for (None clears it): a day after today, Paris time. A new
    date may be reminded again (reviews.reminders), so moving it clears the reminder's mark."""
    from portal.core.time import today_paris

    if due_on is not None and due_on <= today_paris(at):
        raise Refusal("La date limite des évaluations doit être postérieure à aujourd'hui.", field="reviews_due_on")
    if round_.reviews_due_on == due_on:
        return
    if inspect(round_).transient:
        round_ = ensure_round(db.session.get(Window, round_.window_id), at)
    audit.record("review.due_date", actor=by, target=f"round:{round_.id}",
                 before=round_.reviews_due_on.isoformat() if round_.reviews_due_on else None,
                 after=due_on.isoformat() if due_on else None)
    round_.reviews_due_on, round_.reviews_reminded_at = due_on, None
    db.session.flush()
