"""What waits for the call's staff in the applications' own tables, counted per window for many windows at once
(the manager's « Espace de gestion »): one grouped statement whatever the number of windows."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import and_, case, exists, func, select

from portal.applications.models import Application, PieceRequest, Version
from portal.extensions import db


class StaffCounts(NamedTuple):
    deposited_since: int = 0  # applications first deposited since `since` (all of them when `since` is None)
    pieces_requested: int = 0  # applications with a piece request still open (not answered, not lapsed)
    pieces_received: int = 0  # applications with a piece request answered since `since`


def by_window(window_ids, visible, since: dt.datetime | None, moment: dt.datetime) -> dict[int, StaffCounts]:
    """For every window of `window_ids`, among the deposited applications of `visible` (a select of ids)."""
    ids = list(window_ids)
    if not ids:
        return {}
    first_deposit = (select(func.min(Version.submitted_at)).where(Version.application_id == Application.id)
                     .correlate(Application).scalar_subquery())
    open_request = exists().where(PieceRequest.application_id == Application.id, PieceRequest.answered_at.is_(None),
                                  PieceRequest.due_at >= moment)
    answered = [PieceRequest.application_id == Application.id, PieceRequest.answered_at.is_not(None)]
    if since is not None:
        answered.append(PieceRequest.answered_at > since)
    new = first_deposit > since if since is not None else first_deposit.is_not(None)
    rows = db.session.execute(
        select(Application.window_id, func.count(case((new, 1))), func.count(case((open_request, 1))),
               func.count(case((exists().where(and_(*answered)), 1))))
        .where(Application.window_id.in_(ids), Application.is_deposited, Application.id.in_(visible))
        .group_by(Application.window_id))
    return {window_id: StaffCounts(*figures) for window_id, *figures in rows}
