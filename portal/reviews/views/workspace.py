"""« Espace de gestion » (/gestion/): where a call manager lands after signing in. Every call she manages (all of
them for an administrator), grouped by state, each window with its round's phase and its figures — read for all
her calls at once (queries.workspace_counts), never a statement per call; a manager in conflict with an
application finds nothing of it in the counts (the same exclusion as permissions.reviewable)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask import Blueprint, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import false, or_, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import Role
from portal.accounts.permissions import can_manage_call, is_admin, is_manager
from portal.applications import messages, staff_counts
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core import hooks
from portal.core.errors import Refusal
from portal.core.time import now, today_paris
from portal.extensions import db
from portal.reviews import permissions, queries
from portal.reviews.models import ReviewRound
from portal.reviews.phases import PHASES
from portal.reviews.states import RoundPhase

bp = Blueprint("workspace", __name__, url_prefix="/gestion")


class CallStage(StrEnum):
    """Where a call stands, as the workspace groups them (in this order)."""

    OPEN = "open"
    SELECTION = "selection"
    UPCOMING = "upcoming"
    DONE = "done"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS = {CallStage.OPEN: "Ouverts", CallStage.SELECTION: "En sélection", CallStage.UPCOMING: "À venir",
                CallStage.DONE: "Décidés ou clôturés"}


def runs_calls(user) -> bool:
    return is_admin(user) or is_manager(user)


def menu_entry(user) -> hooks.NavEntry | None:
    """« Espace de gestion » in the header, for call managers and administrators."""
    return hooks.NavEntry("Espace de gestion", "workspace.home") if runs_calls(user) else None


def landing(user) -> tuple[int, str] | None:
    """A call manager lands here after signing in, before any other home her roles give."""
    return (10, url_for("workspace.home")) if is_manager(user) else None


def managed_calls(user) -> list[Call]:
    """The calls she manages, their windows loaded at once: every call for an administrator, else those of the
    issuers and the calls her manager grants name (accounts.permissions.can_manage_call has the last word)."""
    query = select(Call).options(selectinload(Call.windows)).order_by(Call.title)
    if not is_admin(user):
        grants = [grant for grant in user.grants if grant.role == Role.MANAGER]
        conditions = [Call.uuid.in_([g.call_id for g in grants if g.call_id])] if any(g.call_id for g in grants) else []
        if any(g.issuer for g in grants):
            conditions.append(Call.issuer.in_([g.issuer for g in grants if g.issuer]))
        query = query.where(or_(*conditions) if conditions else false())
    return [call for call in db.session.scalars(query) if can_manage_call(user, call.uuid, call.issuer) is None]


def _phase(window: Window, round_: ReviewRound | None, moment: dt.datetime):
    """The window's phase: its stored round's, else recevabilité once closed; None while not closed."""
    if round_ is not None:
        return PHASES[round_.phase]
    return PHASES[RoundPhase.ELIGIBILITY] if window.has_closed_at(moment) else None


def _stage(rows: list[dict], moment: dt.datetime) -> CallStage:
    windows = [row["window"] for row in rows]
    if any(w.is_open_at(moment) for w in windows):
        return CallStage.OPEN
    if any(row["phase"] and row["phase"].key != RoundPhase.DECIDED for row in rows):
        return CallStage.SELECTION
    if any(not w.has_closed_at(moment) for w in windows):
        return CallStage.UPCOMING
    return CallStage.DONE


@bp.get("/")
@login_required
def home():
    if not runs_calls(current_user):
        raise Refusal.not_found()
    moment = now()
    calls = managed_calls(current_user)
    window_ids = [w.id for call in calls for w in call.windows]
    visible = select(Application.id).where(Application.call_id.in_([call.id for call in calls]),
                                           Application.is_deposited,
                                           Application.id.not_in(permissions.conflicted(current_user)))
    counts = queries.workspace_counts(window_ids, visible, today_paris(moment))
    since = current_user.previous_login_at  # the sign-in before this one: « depuis votre dernière visite »
    waiting = staff_counts.by_window(window_ids, visible, since, moment)
    unanswered = messages.unanswered_by_window(window_ids, current_user)
    rounds = ({r.window_id: r for r in db.session.scalars(select(ReviewRound).where(
        ReviewRound.window_id.in_(window_ids)))} if window_ids else {})
    stages: dict[CallStage, list] = {stage: [] for stage in CallStage}
    for call in calls:
        rows = [{"window": w, "phase": _phase(w, rounds.get(w.id), moment), "round": rounds.get(w.id),
                 "open": w.is_open_at(moment), "counts": counts.get(w.id, queries.WindowCounts()),
                 "waiting": waiting.get(w.id, staff_counts.StaffCounts()), "unanswered": unanswered.get(w.id, 0)}
                for w in call.windows]
        stages[_stage(rows, moment)].append((call, rows))
    return render_template("reviews/workspace.html", stages=stages, total=len(calls), since=since,
                           unread=messages.unread_count(current_user))
