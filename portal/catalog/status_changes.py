"""When the public catalogue next changes by itself, with no publication: the instant a window opens, the second
after one closes (23:59:59 Paris is still open, 00:00:00 is closed), or a Paris midnight that turns a day count.
A cached page, a proxy's copy or a browser's must not outlive that instant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, bindparam, func, not_, or_, select

from portal.catalog.models import Call, Window
from portal.core.db import UTCDateTime
from portal.core.time import start_of_day_paris, today_paris
from portal.extensions import db

# A window's last second counts (models.Window.is_open_at): its status changes one second after closes_at.
LAST_SECOND = dt.timedelta(seconds=1)


# Bound at each execution: the statements are built once, not at every request (their building cost more than
# running them on SQLite).
MOMENT = bindparam("moment", type_=UTCDateTime())
SECOND_BEFORE = bindparam("second_before", type_=UTCDateTime())


def parameters(moment: dt.datetime) -> dict[str, dt.datetime]:
    return {"moment": moment, "second_before": moment - LAST_SECOND}


def change_columns() -> list[ColumnElement]:
    """The four facts next_change_after reads, as scalar subqueries bound to parameters(moment), so that a caller
    may add them to a statement of its own (catalog.public_pages reads them with the catalogue's version).
    Only calls not yet closed for good are read (calls.ends_at, indexed): the archive's size costs nothing."""
    live = Call.ends_at > SECOND_BEFORE
    windows_of_live_calls = select().select_from(Call).join(Window, Window.call_id == Call.id).where(live)
    return [
        windows_of_live_calls.add_columns(func.min(Window.opens_at)).where(Window.opens_at > MOMENT)
        .scalar_subquery().label("next_opening"),
        windows_of_live_calls.add_columns(func.min(Window.closes_at)).where(Window.closes_at > SECOND_BEFORE)
        .scalar_subquery().label("next_closing"),
        windows_of_live_calls.add_columns(Window.id)
        .where(or_(Window.opens_at.is_(None), Window.opens_at <= MOMENT), Window.closes_at > SECOND_BEFORE)
        .exists().label("any_open"),
        # A call without windows is « pour information » until its period ends, then closed at a Paris midnight.
        select(Call.id).where(live, not_(select(Window.id).where(Window.call_id == Call.id).exists()))
        .exists().label("any_windowless"),
    ]


def earliest(next_opening: dt.datetime | None, next_closing: dt.datetime | None, any_open: bool,
             any_windowless: bool, moment: dt.datetime) -> dt.datetime | None:
    """The earliest of the instants at which some call's status or label changes after `moment`.

    While a call is open, every Paris midnight counts as a change: its page counts the days left (« Il reste 12
    jours »), and the « Clôture imminente » switch (closes_at − imminent_days, status.call_status) and its « J-n »
    label fall on Paris midnights; so does the closing of a call without windows at its period's end. None needs
    an instant of its own. An instant earlier than the true one is always
    safe (a page is rendered again for nothing); a later one never happens."""
    candidates = [instant for instant in (next_opening, next_closing and next_closing + LAST_SECOND) if instant]
    if any_open or any_windowless:
        candidates.append(start_of_day_paris(today_paris(moment) + dt.timedelta(days=1)))
    return min(candidates, default=None)


def next_change_after(moment: dt.datetime) -> dt.datetime | None:
    """The next instant after `moment` at which any published call changes status (or day count), over all
    published calls, in one statement; None when nothing will ever change by itself (every call closed)."""
    row = db.session.execute(_STATEMENT, parameters(moment)).one()
    return earliest(*row, moment)


_STATEMENT = select(*change_columns())
