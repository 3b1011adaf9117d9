"""A domain's state read once and held for a short time in this process: the rendered-page cache asks on every
public request what the pages show (a version) and when they next change by themselves (an instant). Reading it
costs a statement — 0.3 ms on SQLite, several on PostgreSQL at 5,000 calls — where a kept page costs less than
that to send, so each process reads it at most once per `seconds`.

Holding it never makes a page late for a change that comes by itself: the held answer is dropped at its next
change (a window closing at 23:59:59 is read again at 00:00:00). A change made in this process (a publication
committed) drops it at once (`forget`); one made in another process (another worker, `portal calls sync` run by
cron) is seen within `seconds`. With `seconds` = 0 every call reads.

When the holding ends, one thread reads while the worker's other threads answer what was held, if no change is due
yet, instead of each waiting for its own copy of the statement: on PostgreSQL under wrk, the state held an hour
took the public pages' p99 from up to 215 ms to at most 57 ms in one run, so these waits are part of the tail
(docs/BENCHMARKS.md, issue 18, run 5). They do so for one more `seconds` at most, so a slow read never serves an old
version longer than that; a change due (a closing second) is read by every thread, as before."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

Read = Callable[[dt.datetime], tuple[str, dt.datetime | None]]


class HeldState:
    def __init__(self, read: Read, seconds: float) -> None:
        self._read = read
        self._hold = dt.timedelta(seconds=seconds)
        # (read at, version, next change): one tuple, replaced whole, so that threads never see half of it.
        self._held: tuple[dt.datetime, str, dt.datetime | None] | None = None
        self._reading = threading.Lock()

    def peek(self, moment: dt.datetime) -> tuple[str, dt.datetime | None] | None:
        """The held answer if it is still right at `moment`, without reading; None when it must be read."""
        return self._held_within(moment, self._hold)

    def _held_within(self, moment: dt.datetime, hold: dt.timedelta) -> tuple[str, dt.datetime | None] | None:
        held = self._held
        if held is None:
            return None
        read_at, version, next_change = held
        # A clock set back (tests, a corrected system clock) reads again rather than trust an answer from the future.
        if not read_at <= moment < read_at + hold or (next_change is not None and moment >= next_change):
            return None
        return version, next_change

    def __call__(self, moment: dt.datetime) -> tuple[str, dt.datetime | None]:
        held = self.peek(moment)
        if held is not None:
            return held
        meanwhile = self._held_within(moment, 2 * self._hold)
        if meanwhile is None:
            return self._read_and_hold(moment)  # a change is due, or nothing recent is held: every thread reads
        if not self._reading.acquire(blocking=False):
            return meanwhile  # another thread is reading it
        try:
            return self._read_and_hold(moment)
        finally:
            self._reading.release()

    def _read_and_hold(self, moment: dt.datetime) -> tuple[str, dt.datetime | None]:
        version, next_change = self._read(moment)
        if self._hold:
            self._held = (moment, version, next_change)
        return version, next_change

    def forget(self) -> None:
        self._held = None
