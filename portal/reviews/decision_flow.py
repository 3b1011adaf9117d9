"""The decision flow: the window's recevable applications in ranking order (the manager's ranking, so that an
application she is in conflict with is never among them), with the one before and the one after a given one."""

from __future__ import annotations

from dataclasses import dataclass

from portal.applications.models import Application
from portal.reviews.ranking import RankRow, rank
from portal.reviews.states import Verdict


@dataclass(frozen=True)
class Flow:
    row: RankRow | None  # the application's line of the ranking (None when it is not recevable)
    position: int | None  # 1-based, among the recevable applications
    count: int
    previous: RankRow | None
    next: RankRow | None
    ranked: int  # how many have a mean, and so a rank


def flow_of(application: Application, user) -> Flow:
    rows = [row for row in rank(application.call, application.window, user).rows if row.verdict == Verdict.ELIGIBLE]
    index = next((i for i, row in enumerate(rows) if row.application_id == application.id), None)
    ranked = sum(1 for row in rows if row.raw_rank is not None)
    if index is None:
        return Flow(None, None, len(rows), None, None, ranked)
    return Flow(rows[index], index + 1, len(rows), rows[index - 1] if index > 0 else None,
                rows[index + 1] if index + 1 < len(rows) else None, ranked)
