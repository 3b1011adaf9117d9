"""A committee member's home (/evaluation/): per call and window, her assigned files with what is left to do —
« À ouvrir » (no review begun), « Brouillon », « Soumise » — the counts of each, and the day the manager set for the
reviews with its countdown (« en retard » once passed with reviews left). Read in a bounded number of statements
(queries.calls_reviewed_by, queries.reviewer_work), never one per call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portal.catalog.models import Call, Window
from portal.core.labels import Labelled, labelled
from portal.core.time import today_paris
from portal.reviews import queries
from portal.reviews.phases import PHASES
from portal.reviews.states import ReviewStatus, Verdict


class WorkState(Labelled):
    """What is left to do on one assigned file (not stored: read from her review row)."""

    TO_OPEN = "to_open"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NOT_REVIEWED = "not_reviewed"  # found ineligible: nothing to do


labelled(WorkState, {WorkState.TO_OPEN: "À ouvrir", WorkState.DRAFT: "Brouillon", WorkState.SUBMITTED: "Soumise",
                     WorkState.NOT_REVIEWED: "Irrecevable — pas d'évaluation"})
TO_DO = (WorkState.TO_OPEN, WorkState.DRAFT)


def state_of(row) -> WorkState:
    if row.verdict == Verdict.INELIGIBLE:
        return WorkState.NOT_REVIEWED
    if row.review_status == ReviewStatus.SUBMITTED:
        return WorkState.SUBMITTED
    return WorkState.DRAFT if row.review_status == ReviewStatus.DRAFT else WorkState.TO_OPEN


@dataclass
class WindowWork:
    window: Window
    phase: str
    due_on: dt.date | None
    today: dt.date
    rows: list = field(default_factory=list)  # (row, state)

    def count(self, state: WorkState) -> int:
        return sum(1 for _, s in self.rows if s == state)

    @property
    def left(self) -> int:
        return sum(1 for _, s in self.rows if s in TO_DO)

    @property
    def days_left(self) -> int | None:
        return (self.due_on - self.today).days if self.due_on else None

    @property
    def overdue(self) -> bool:
        """The due day has passed (Paris calendar) with reviews still to submit."""
        return self.due_on is not None and self.today > self.due_on and self.left > 0

    @property
    def countdown(self) -> str:
        days = self.days_left
        if days is None:
            return ""
        if days > 1:
            return f"dans {days} jours"
        if days == 1:
            return "demain"
        if days == 0:
            return "aujourd'hui"
        return f"dépassée de {-days} jour{'s' if days < -1 else ''}"

    @property
    def scoring(self) -> bool:
        return PHASES[self.phase].scoring


@dataclass
class CallWork:
    call: Call
    windows: list[WindowWork]

    @property
    def left(self) -> int:
        return sum(w.left for w in self.windows if w.scoring)

    @property
    def scoring(self) -> bool:
        return any(w.scoring for w in self.windows)

    @property
    def assigned(self) -> int:
        return sum(len(w.rows) for w in self.windows)


def home_of(user, moment: dt.datetime) -> list[CallWork]:
    """Her calls, each with its windows holding files assigned to her, in three statements whatever their number."""
    calls = queries.calls_reviewed_by(user)
    rows = queries.reviewer_work(user, calls)
    today = today_paris(moment)
    by_window: dict[int, WindowWork] = {}
    windows = {w.id: w for call in calls for w in call.windows}
    for row in rows:
        work = by_window.get(row.window_id)
        if work is None:
            work = by_window[row.window_id] = WindowWork(windows[row.window_id], row.phase, row.due_on, today)
        work.rows.append((row, state_of(row)))
    return [CallWork(call, [by_window[w.id] for w in call.windows if w.id in by_window]) for call in calls]
