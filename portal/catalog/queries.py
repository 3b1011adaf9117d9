"""Reads of the catalogue, shared by the pages, the feeds, the API and the open-data export, written for the
database: the status, the filters, the sorts and the pages run in SQL, so that a request costs the same few
statements with 50 calls or 5,000, and only the listed page's calls are loaded (with their windows, from which
status.call_status, the one rule for a call's label, computes what is shown).

The status in SQL, at an instant `moment` (equivalent to call_status, tests/catalog/test_catalogue_sql.py):
- « clôturé »: calls.ends_at <= moment − 1 s (the closing second 23:59:59 still counts, as Window.is_open_at says);
- « ouvert »: one of its windows has begun (opens_at NULL or <= moment) and closes after moment − 1 s;
- « à venir »: not open, and one of its windows opens after moment;
- « pour information »: none of these (no window, no period ended)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased, defer, selectinload

from portal.catalog import search
from portal.catalog.models import Call, CallRevision, CallTag, Window
from portal.catalog.status import CallStatus, Status, call_status
from portal.core.time import start_of_day_paris
from portal.extensions import db

STATUS_CHOICES = {"ouvert": "Ouverts", "a-venir": "À venir", "cloture": "Clôturés (archives)"}
SORT_CHOICES = {"cloture": "Date de clôture", "publication": "Date de publication", "pertinence": "Pertinence"}
PER_PAGE = 20
FEED_SIZE = 50
_SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class CatalogFilter:
    q: str = ""
    status: str = ""  # "" = every call still useful (not closed); see STATUS_CHOICES, and "tout"
    issuer: str = ""
    kind: str = ""
    carrier: str = ""
    territory: str = ""
    theme: str = ""
    before: dt.date | None = None  # deadline on or before this day
    sort: str = "cloture"  # "pertinence" ranks a search by relevance (without a search: as "cloture")

    @property
    def is_default(self) -> bool:
        return self == CatalogFilter(sort=self.sort)


@dataclass(frozen=True)
class Listed:
    call: Call
    status: CallStatus


@dataclass(frozen=True)
class Page:
    """One page of a listing, and what the pagination needs to say where it stands."""

    items: list[Listed]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def exists(self) -> bool:
        """Page 1 always exists (it may say that nothing matches); a page past the last does not."""
        return self.number <= self.pages

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def get_call(slug: str) -> Call | None:
    """One call with everything its page shows (its revisions too)."""
    return db.session.scalar(select(Call).where(Call.slug == slug).options(
        selectinload(Call.windows), selectinload(Call.revisions), selectinload(Call.tags)))


def search_calls(criteria: CatalogFilter, moment: dt.datetime, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the calls matching the filter (open ones first, by default), and their total: a COUNT, the
    page's ids, its rows, their windows."""
    found = _matching(criteria, moment)  # a search as a condition: no score computed to count or walk
    if found is None:
        return Page([], 0, page, per_page)
    query = found[0]
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(Call.id).subquery()))
    if total == 0 or (page - 1) * per_page >= total:
        return Page([], total, page, per_page)
    # The page's ids first, sorted over the matching calls' small columns only, then the page's 20 calls whole: a
    # sort that carried every candidate's whole row (its texts on SQLite, 15 KB on average) cost 20 ms at 5,000
    # calls for one statement fewer.
    ids = _open_calls_first(query, criteria, moment, (page - 1) * per_page + per_page, total)
    if ids is not None:
        ids = ids[(page - 1) * per_page:]
    else:
        query, score = _matching(criteria, moment, ranked=True) if _by_relevance(criteria) else (query, None)
        ordered = (query.with_only_columns(Call.id).order_by(*_order(criteria, moment, score))
                   .offset((page - 1) * per_page).limit(per_page))
        ids = list(db.session.scalars(ordered))
    calls = {call.id: call for call in db.session.scalars(_light(select(Call).where(Call.id.in_(ids))))}
    return Page(_listed([calls[number] for number in ids], moment), total, page, per_page)


def changed_since(criteria: CatalogFilter, since: dt.datetime, moment: dt.datetime) -> list[Listed]:
    """The calls matching the filter published or changed after `since` (an alert's digest), newest first."""
    found = _matching(criteria, moment)
    if found is None:
        return []
    query = found[0].where(Call.updated_at > since).order_by(Call.updated_at.desc(), Call.id)
    return _listed(db.session.scalars(_light(query)), moment)


def all_calls(moment: dt.datetime, batch: int = 100) -> Iterator[Listed]:
    """Every published call, closed ones included, newest publication first, read `batch` rows at a time (the
    calendar and the open-data export stream them; whatever the archive's size, memory stays flat)."""
    query = (select(Call).options(selectinload(Call.windows)).order_by(Call.published_at.desc(), Call.id.desc())
             .execution_options(yield_per=batch))
    for call in db.session.scalars(query):
        yield Listed(call, call_status(call, moment))


def latest(moment: dt.datetime, limit: int = FEED_SIZE) -> list[tuple[Listed, CallRevision | None]]:
    """The `limit` calls published or changed last (the Atom feed), newest first, each with its latest revision
    (one statement for all of them: « mis à jour » and what changed)."""
    recent = select(Call).order_by(Call.updated_at.desc(), Call.id.desc()).limit(limit)  # read from its index
    calls = list(db.session.scalars(_light(recent)))
    newest = (select(CallRevision.call_id, func.max(CallRevision.number).label("number"))
              .where(CallRevision.call_id.in_([call.id for call in calls])).group_by(CallRevision.call_id).subquery())
    revisions = {revision.call_id: revision for revision in db.session.scalars(
        select(CallRevision).join(newest, and_(CallRevision.call_id == newest.c.call_id,
                                               CallRevision.number == newest.c.number)))} if calls else {}
    return [(Listed(call, call_status(call, moment)), revisions.get(call.id)) for call in calls]


def titles() -> list[tuple[uuid.UUID, str]]:
    """(uuid, title) of every published call, by title, and nothing else of them: the choices of a form."""
    return [(row.uuid, row.title) for row in db.session.execute(select(Call.uuid, Call.title)
                                                                 .order_by(Call.title, Call.id))]


def facets() -> dict[str, list[str]]:
    """The values the catalogue can be filtered on, as they appear in published calls: one statement (tags,
    issuers and kinds together), read once per request."""
    if has_request_context() and "catalog_facets" in g:
        return g.catalog_facets
    # Each part grouped on its own index (no sort of every row); only the few distinct values are sorted.
    values = union_all(
        select(CallTag.kind.label("facet"), CallTag.value.label("value")).group_by(CallTag.kind, CallTag.value),
        select(literal("issuer").label("facet"), Call.issuer.label("value")).group_by(Call.issuer),
        select(literal("kind").label("facet"), Call.kind.label("value")).group_by(Call.kind)).subquery()
    result: dict[str, list[str]] = {"carrier": [], "territory": [], "theme": [], "issuer": [], "kind": []}
    for facet, value in db.session.execute(select(values.c.facet, values.c.value).order_by(values.c.value)):
        result[facet].append(value)
    if has_request_context():
        g.catalog_facets = result
    return result


# ---- the status in SQL -------------------------------------------------------------------------------------------

def is_closed(moment: dt.datetime) -> ColumnElement[bool]:
    return Call.ends_at <= moment - _SECOND


def is_not_closed(moment: dt.datetime) -> ColumnElement[bool]:
    return or_(Call.ends_at.is_(None), Call.ends_at > moment - _SECOND)


def _window_open(moment: dt.datetime) -> ColumnElement[bool]:
    return and_(Window.call_id == Call.id, or_(Window.opens_at.is_(None), Window.opens_at <= moment),
                Window.closes_at > moment - _SECOND)


def is_open(moment: dt.datetime) -> ColumnElement[bool]:
    return exists().where(_window_open(moment))


def _opens_later(moment: dt.datetime) -> ColumnElement[bool]:
    return exists().where(Window.call_id == Call.id, Window.opens_at > moment)


def is_upcoming(moment: dt.datetime) -> ColumnElement[bool]:
    return and_(~is_open(moment), _opens_later(moment))


def status_code(moment: dt.datetime) -> ColumnElement[str]:
    """The status as SQL: « ouvert » (« clôture imminente » included), « a-venir », « cloture », « information »."""
    return case((is_closed(moment), literal(Status.CLOSED.value)), (is_open(moment), literal(Status.OPEN.value)),
                (_opens_later(moment), literal(Status.UPCOMING.value)), else_=literal(Status.INFORMATION.value))


def _group(moment: dt.datetime) -> ColumnElement[int]:
    """Open first, then upcoming, then for information, then the archives (as call_status orders them)."""
    return case((is_closed(moment), 3), (is_open(moment), 0), (_opens_later(moment), 1), else_=2)


def deadline(moment: dt.datetime) -> ColumnElement[dt.datetime]:
    """The closing shown for the call (call_status's window): the open window closing first, else the closing of
    the next window to open; NULL for the archives and calls without windows."""
    open_closing = (select(func.min(Window.closes_at)).where(_window_open(moment)).correlate(Call)
                    .scalar_subquery())
    next_closing = (select(Window.closes_at).where(Window.call_id == Call.id, Window.opens_at > moment)
                    .order_by(Window.opens_at, Window.closes_at).limit(1).correlate(Call).scalar_subquery())
    return case((is_closed(moment), null()), else_=func.coalesce(open_closing, next_closing))


def _by_relevance(criteria: CatalogFilter) -> bool:
    return criteria.sort == "pertinence" and bool(criteria.q)


def _matching(criteria: CatalogFilter, moment: dt.datetime, ranked: bool = False) -> tuple[Select, object] | None:
    """The calls matching the filter, unordered, with the search's score when `ranked` (None otherwise, and
    without a search); None when the search has no word to look for (nothing matches)."""
    query = select(Call)
    if criteria.issuer:
        query = query.where(Call.issuer == criteria.issuer)
    if criteria.kind:
        query = query.where(Call.kind == criteria.kind)
    for kind, value in (("carrier", criteria.carrier), ("territory", criteria.territory), ("theme", criteria.theme)):
        if value:
            query = query.where(exists().where(CallTag.call_id == Call.id, CallTag.kind == kind, CallTag.value == value))
    # « not closed » is said with the others too, though implied: read on the index of ends_at, it leaves the
    # archives out before any window is looked at.
    if criteria.status == "ouvert":
        query = query.where(is_not_closed(moment), is_open(moment))
    elif criteria.status == "a-venir":
        query = query.where(is_not_closed(moment), is_upcoming(moment))
    elif criteria.status == "cloture":
        query = query.where(is_closed(moment))
    elif criteria.status != "tout" or criteria.before:
        query = query.where(is_not_closed(moment))  # the default list: closed calls are archives
    if criteria.before:
        # The deadline on the Paris calendar day `before` or earlier (closed calls have none).
        query = query.where(deadline(moment) < start_of_day_paris(criteria.before + dt.timedelta(days=1)))
    if not criteria.q:
        return query, None
    # The search last, over the other conditions: ranked, only the calls they keep are scored (search.restrict).
    return search.restrict(db.session, query, criteria.q, ranked)


def _order(criteria: CatalogFilter, moment: dt.datetime, score) -> list:
    if criteria.sort == "publication":
        return [Call.published_at.desc(), Call.title, Call.id]
    if criteria.status == "cloture" and (criteria.sort != "pertinence" or score is None):
        # Archives only: the most recently closed first, read from the index on ends_at.
        return [Call.ends_at.desc(), Call.title, Call.id]
    group = _group(moment)
    by_closing = [deadline(moment).asc(), case((is_closed(moment), Call.ends_at)).desc(), Call.title, Call.id]
    if criteria.sort == "pertinence" and score is not None:
        return [group, score.desc(), *by_closing]
    # Open and upcoming: the soonest deadline first; archives: the most recently closed first.
    return [group, *by_closing]


# How far into a list the open calls are walked by their windows (_open_calls_first): the first pages, the ones read.
_WALKED = 200


def _open_calls_first(query: Select, criteria: CatalogFilter, moment: dt.datetime, wanted: int,
                      total: int) -> list[int] | None:
    """The first `wanted` ids of a list sorted by closing, when its open calls fill them, read from the index on
    the windows' closing instead of sorting every call not yet closed (their group and deadline are values of the
    instant, computed per call: 4 ms at 5,000 calls, a fifth of them live, against 0.05 ms for this walk; issue 18).

    Open calls come first (_order), soonest deadline first, the deadline being the closing of the call's open
    window that closes first: walking the open windows by closing (then the call's title and id, as _order
    breaks ties), each call is met first at its own deadline, in _order's order. A call with several windows
    open at once is met again later, so more windows are read when the first ones gave fewer calls than wanted.
    None (the general sort) when the open calls do not fill the pages wanted, for the other sorts, and when the
    matching calls (`total`) all fit in the pages wanted: sorting so few costs nothing, and the walk is spared."""
    if (_by_relevance(criteria) or criteria.sort == "publication" or criteria.status in ("cloture", "a-venir")
            or total <= wanted or wanted > _WALKED):
        return None
    window = aliased(Window)  # not the windows the filter's own subqueries correlate with
    walk = (query.join(window, window.call_id == Call.id)
            .where(or_(window.opens_at.is_(None), window.opens_at <= moment), window.closes_at > moment - _SECOND)
            .with_only_columns(Call.id).order_by(window.closes_at, Call.title, Call.id))
    limit = wanted
    while True:
        met = list(db.session.scalars(walk.limit(limit)))
        calls = list(dict.fromkeys(met))  # each call at its first window met, in order
        if len(calls) >= wanted:
            return calls[:wanted]
        if len(met) < limit:  # every open window read: the open calls do not fill the pages
            return None
        limit *= 2


def _light(query: Select) -> Select:
    """A listing's calls: their windows (the status) but not their long texts nor their revisions."""
    return query.options(selectinload(Call.windows), defer(Call.body_md), defer(Call.body_html),
                         defer(Call.search_text))


def _listed(calls, moment: dt.datetime) -> list[Listed]:
    return [Listed(call, call_status(call, moment)) for call in calls]
