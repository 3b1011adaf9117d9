"""Reads of the catalogue, shared by the pages, the feeds, the API and the open-data export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from portal.catalog.models import Call, CallTag
from portal.catalog.status import CallStatus, Status, call_status
from portal.core.text import fold
from portal.core.time import today_paris
from portal.extensions import db

STATUS_CHOICES = {"ouvert": "Ouverts", "a-venir": "À venir", "cloture": "Clôturés (archives)"}
SORT_CHOICES = {"cloture": "Date de clôture", "publication": "Date de publication"}


@dataclass(frozen=True)
class CatalogFilter:
    q: str = ""
    status: str = ""  # "" = every call still useful (not closed); see STATUS_CHOICES
    issuer: str = ""
    kind: str = ""
    carrier: str = ""
    territory: str = ""
    theme: str = ""
    before: dt.date | None = None  # deadline on or before this day
    sort: str = "cloture"

    @property
    def is_default(self) -> bool:
        return self == CatalogFilter(sort=self.sort)


@dataclass(frozen=True)
class Listed:
    call: Call
    status: CallStatus


def get_call(slug: str) -> Call | None:
    return db.session.scalar(_with_relations(select(Call).where(Call.slug == slug)))


def search_calls(criteria: CatalogFilter, moment: dt.datetime) -> list[Listed]:
    """Calls matching the filter, open ones first. Text and tag filters run in SQL; the status, which depends
    on the instant and on several windows, is computed by call_status() so pages, feeds and API agree."""
    query = _with_relations(select(Call))
    for word in fold(criteria.q).split():
        query = query.where(Call.search_text.contains(word, autoescape=True))
    if criteria.issuer:
        query = query.where(Call.issuer == criteria.issuer)
    if criteria.kind:
        query = query.where(Call.kind == criteria.kind)
    for kind, value in (("carrier", criteria.carrier), ("territory", criteria.territory), ("theme", criteria.theme)):
        if value:
            query = query.where(exists().where(CallTag.call_id == Call.id, CallTag.kind == kind, CallTag.value == value))
    listed = [Listed(call, call_status(call, moment)) for call in db.session.scalars(query)]
    listed = [item for item in listed if _status_matches(item.status, criteria.status)]
    if criteria.before:
        listed = [item for item in listed if _deadline_before(item, criteria.before)]
    return sorted(listed, key=_sort_key(criteria.sort, moment))


def all_calls(moment: dt.datetime) -> list[Listed]:
    """Every published call, closed ones included (feeds, calendars, open data)."""
    return search_calls(CatalogFilter(status="tout", sort="publication"), moment)


def facets() -> dict[str, list[str]]:
    """The values the catalogue can be filtered on, as they appear in published calls."""
    tags = db.session.execute(select(CallTag.kind, CallTag.value).distinct().order_by(CallTag.value)).all()
    result: dict[str, list[str]] = {"carrier": [], "territory": [], "theme": []}
    for kind, value in tags:
        result[kind].append(value)
    result["issuer"] = list(db.session.scalars(select(Call.issuer).distinct().order_by(Call.issuer)))
    result["kind"] = list(db.session.scalars(select(Call.kind).distinct().order_by(Call.kind)))
    return result


def _with_relations(query: Select) -> Select:
    return query.options(selectinload(Call.windows), selectinload(Call.revisions), selectinload(Call.tags))


def _status_matches(status: CallStatus, wanted: str) -> bool:
    if wanted == "tout":
        return True
    if wanted == "ouvert":
        return status.is_open
    if wanted == "a-venir":
        return status.code == Status.UPCOMING
    if wanted == "cloture":
        return status.is_closed
    return not status.is_closed  # default list: closed calls are archives


def _deadline_before(item: Listed, day: dt.date) -> bool:
    window = item.status.window
    if window is None or item.status.is_closed:
        return False
    return today_paris(window.closes_at) <= day


_GROUP = {Status.CLOSING_SOON: 0, Status.OPEN: 0, Status.UPCOMING: 1, Status.INFORMATION: 2, Status.CLOSED: 3}


def _sort_key(sort: str, moment: dt.datetime):
    def by_publication(item: Listed):
        return (-item.call.published_at.timestamp(), item.call.title)

    def by_closing(item: Listed):
        window = item.status.window
        when = window.closes_at.timestamp() if window is not None else float("inf")
        # Open and upcoming: soonest deadline first; archives: most recently closed first.
        return (_GROUP[item.status.code], -when if item.status.is_closed else when, item.call.title)

    return by_publication if sort == "publication" else by_closing
