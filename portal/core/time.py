"""The clock and the Paris time zone: instants are stored in UTC and shown in Europe/Paris."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

_clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def now() -> dt.datetime:
    """The current instant (aware, UTC). Tests replace the clock with set_clock()."""
    return _clock()


def set_clock(clock: Callable[[], dt.datetime] | None) -> None:
    global _clock
    _clock = clock or (lambda: dt.datetime.now(dt.UTC))


def today_paris(moment: dt.datetime | None = None) -> dt.date:
    return (moment or now()).astimezone(PARIS).date()


def start_of_day_paris(day: dt.date) -> dt.datetime:
    """00:00:00 Paris time on that day, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(0, 0, 0), PARIS).astimezone(dt.UTC)


def end_of_day_paris(day: dt.date) -> dt.datetime:
    """23:59:59 Paris time on that day, as a UTC instant: a call that "closes on 9 May inclusive" closes then."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), PARIS).astimezone(dt.UTC)


def to_paris(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(PARIS)


def arrival() -> dt.datetime:
    """When the current request arrived, before its body was read: a deposit whose upload takes long is judged
    by the instant it was sent, not by the instant its last byte came in. Outside a request: now()."""
    from flask import g, has_request_context

    if has_request_context() and "arrived_at" in g:
        return g.arrived_at
    return now()


def register(app) -> None:
    """Must run before any other before_request hook (CSRF reads the body): create_app calls it first."""
    from flask import g

    app.add_template_global(now, "now_utc")  # the clock, for every domain's templates (a countdown, a deadline)

    @app.before_request
    def _note_arrival() -> None:
        g.arrived_at = now()
