"""« Mes candidatures », the association member's home: each application of her organisations with what she must
know of it — its deadline counted down in Paris days, what is missing before depositing, changes not deposited,
pieces requested, unread messages — read for the whole list in a fixed number of statements."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from portal.applications import completeness, messages, permissions
from portal.applications.answers import Problem
from portal.applications.models import Application, PieceRequest
from portal.core.formatting import date_fr, datetime_fr, time_fr
from portal.core.time import today_paris

# The groups of the page, in their order: what waits for her, what the service has, what is over.
TO_DO, DEPOSITED, DONE = "to_do", "deposited", "done"
GROUPS = {TO_DO: "À faire", DEPOSITED: "Déposées", DONE: "Terminées"}


@dataclass
class Entry:
    application: Application
    deadline: str  # « Clôture dans 3 jours — le 9 mai 2025 à 23 h 59 »
    closed: bool
    missing: list[Problem] = field(default_factory=list)  # only while she can still deposit
    piece_request: PieceRequest | None = None
    unread: int = 0
    is_lead: bool = False
    group: str = DEPOSITED

    @property
    def missing_answers(self) -> list[Problem]:
        return [problem for problem in self.missing if problem.page == "form"]

    @property
    def missing_pieces(self) -> list[Problem]:
        return [problem for problem in self.missing if problem.page != "form"]


def deadline_fr(closes_at: dt.datetime, moment: dt.datetime) -> str:
    """The deadline counted in Paris days, as the member reads it: « Clôture aujourd'hui à 23 h 59 », « Clôture
    demain à 23 h 59 — le 10 mai 2025 », « Clôture dans 3 jours — le 9 mai 2025 à 23 h 59 », « Clos depuis le … »."""
    if moment > closes_at:
        return f"Clos depuis le {datetime_fr(closes_at).removesuffix(' (heure de Paris)')}"
    days = (today_paris(closes_at) - today_paris(moment)).days
    if days == 0:
        return f"Clôture aujourd'hui à {time_fr(closes_at)}"
    if days == 1:
        return f"Clôture demain à {time_fr(closes_at)} — le {date_fr(closes_at)}"
    return f"Clôture dans {days} jours — le {date_fr(closes_at)} à {time_fr(closes_at)}"


def entries(user, applications: list[Application], moment: dt.datetime,
            decided: set[uuid.UUID] = frozenset()) -> list[Entry]:
    """Her applications (queries.of_person), what needs her first (the nearest deadline first), then the deposited
    ones, then those over for her (`decided`: whose outcome another domain published; withdrawn; a draft past its
    deadline)."""
    unread = messages.unread_by_application(user, [a.id for a in applications])
    found = []
    for application in applications:
        closes_at = application.window.closes_at
        closed = application.window.has_closed_at(moment)
        entry = Entry(application, deadline_fr(closes_at, moment), closed, unread=unread.get(application.id, 0),
                      piece_request=permissions.open_piece_request(application, moment),
                      is_lead=permissions.is_lead_member(user, application))
        open_for_her = not closed and not application.is_withdrawn
        if open_for_her and (application.is_draft or application.has_pending_changes):
            entry.missing = completeness.problems(application)
        if application.id in decided or application.is_withdrawn or (closed and application.is_draft):
            entry.group = DONE
        elif entry.piece_request or entry.unread or (open_for_her and (application.is_draft
                                                                       or application.has_pending_changes)):
            entry.group = TO_DO
        found.append(entry)
    order = {TO_DO: 0, DEPOSITED: 1, DONE: 2}
    return sorted(found, key=lambda entry: (order[entry.group], _due(entry)))


def _due(entry: Entry) -> float:
    """What needs her soonest first; among closed ones, the latest first."""
    if entry.group == DONE:
        return -entry.application.window.closes_at.timestamp()
    if entry.piece_request is not None and entry.closed:
        return entry.piece_request.due_at.timestamp()
    return entry.application.window.closes_at.timestamp()
