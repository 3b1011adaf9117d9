"""The status of a call at a given instant: the one function that pages, feeds and the API all use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from portal.core.formatting import date_fr, datetime_fr
from portal.core.time import today_paris

# « Clôture imminente » in the last week by default; a call file may set its own number (CallSpec.imminent_days).
CLOSING_SOON_DAYS = 7


class Status(StrEnum):
    UPCOMING = "a-venir"
    OPEN = "ouvert"
    CLOSING_SOON = "cloture-imminente"
    CLOSED = "cloture"
    INFORMATION = "information"


SHORT_LABELS = {Status.UPCOMING: "À venir", Status.OPEN: "Ouvert", Status.CLOSING_SOON: "Clôture imminente",
                Status.CLOSED: "Clôturé", Status.INFORMATION: "Pour information"}


@dataclass(frozen=True)
class CallStatus:
    code: Status
    label: str
    window: object | None = None  # the open window, else the next one to open, else the last closed
    days_left: int | None = None

    @property
    def short(self) -> str:
        return SHORT_LABELS[self.code]

    @property
    def is_open(self) -> bool:
        return self.code in (Status.OPEN, Status.CLOSING_SOON)

    @property
    def is_closed(self) -> bool:
        return self.code == Status.CLOSED

    @property
    def deadline(self) -> dt.datetime | None:
        return self.window.closes_at if self.window is not None and self.is_open else None


def call_status(call, moment: dt.datetime) -> CallStatus:
    """Status of a call at `moment`, computed in Europe/Paris from its windows."""
    windows = sorted(call.windows, key=lambda w: w.closes_at)
    imminent_days = call.spec.imminent_days or CLOSING_SOON_DAYS
    for window in windows:
        if window.is_open_at(moment):
            # Days counted on the Paris calendar: on the closing day itself it is « dernier jour ».
            days_left = (today_paris(window.closes_at) - today_paris(moment)).days
            if days_left <= imminent_days:
                text = "dernier jour" if days_left == 0 else f"J-{days_left}"
                return CallStatus(Status.CLOSING_SOON, f"Clôture imminente — {text}", window, days_left)
            return CallStatus(Status.OPEN, f"Ouvert — clôture le {datetime_fr(window.closes_at)}", window, days_left)
    upcoming = [w for w in windows if w.opens_at is not None and w.opens_at > moment]
    if upcoming:
        window = min(upcoming, key=lambda w: w.opens_at)
        return CallStatus(Status.UPCOMING, f"À venir — ouverture le {date_fr(window.opens_at)}", window)
    if windows:
        return CallStatus(Status.CLOSED, "Clôturé", windows[-1])
    period = call.spec.period
    if period is not None and period.end < today_paris(moment):
        return CallStatus(Status.CLOSED, "Clôturé")
    return CallStatus(Status.INFORMATION, "Pour information — pas de candidature en ligne")
