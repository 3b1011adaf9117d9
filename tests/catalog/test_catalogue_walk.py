"""The first pages of a list sorted by closing come from a walk of the open windows by their closing
(catalog/queries._open_calls_first) instead of sorting every call not yet closed: the pages must be the very ones
the general sort gives, whatever the windows — several open at once, closings on the same day (the title then
decides), no opening date — and whatever the filter."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.catalog import queries
from portal.core.time import PARIS, end_of_day_paris, start_of_day_paris

MOMENT = dt.datetime(2025, 4, 15, 10, tzinfo=PARIS)
# The closing second of three open calls (1 May, 23:59:59 Paris time), its last half second, and midnight after.
CLOSING = end_of_day_paris(dt.date(2025, 5, 1))
# The opening instant of two calls (20 April, 00:00:00 Paris time): open from then on.
OPENING = start_of_day_paris(dt.date(2025, 4, 20))
MOMENTS = [MOMENT, OPENING, CLOSING, CLOSING + dt.timedelta(seconds=0.5), CLOSING + dt.timedelta(seconds=1)]


@pytest.fixture
def crowded(publish_call, clock):
    """46 open calls (two pages and more), upcoming ones, frameworks and archives."""
    clock("2025-03-01 09:00")
    for number in range(30):
        # Three calls close each day, their titles in the reverse order of their publication.
        closes = dt.date(2025, 5, 1) + dt.timedelta(days=number // 3)
        publish_call(f"ouvert-{number:02d}", title=f"Appel {'ZYX'[number % 3]} {number // 3:02d}",
                     territories=[{"name": "Artois" if number % 2 else "Boulonnais"}],
                     windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": closes.isoformat()}])
    for number in range(8):
        # Two windows open at once: the short one is the deadline; the long one, met again among the first pages'
        # windows, must not list the call twice.
        publish_call(f"deux-ouvertes-{number}", title=f"Appel double {number}", territories=[{"name": "Artois"}],
                     windows=[{"key": "courte", "label": "Courte", "opens_on": "2025-04-01",
                               "closes_on": f"2025-04-{20 + number}"},
                              {"key": "longue", "label": "Longue", "opens_on": "2025-03-03",
                               "closes_on": f"2025-05-0{2 + number}"}])
    for number in range(8):
        publish_call(f"sans-ouverture-{number}", title=f"Appel sans date d'ouverture {number}",
                     windows=[{"key": "unique", "closes_on": f"2025-05-{3 + number:02d}"}])
    for number in range(2):
        # Upcoming, their window closing before most open calls': the walk must not take them for open ones.
        publish_call(f"bientot-{number}", title=f"Appel bientôt {number}", territories=[{"name": "Artois"}],
                     windows=[{"key": "unique", "opens_on": "2025-04-20", "closes_on": f"2025-04-{28 + number}"}])
    for number in range(6):
        publish_call(f"a-venir-{number}", title=f"Appel à venir {number}", territories=[{"name": "Artois"}],
                     windows=[{"key": "unique", "opens_on": "2025-06-01", "closes_on": f"2025-07-{10 + number}"}])
    for number in range(4):
        publish_call(f"cadre-{number}", title=f"Cadre {number}", kind="cadre", windows=[])
        publish_call(f"archive-{number}", title=f"Archive {number}",
                     windows=[{"key": "unique", "opens_on": "2024-01-02", "closes_on": f"2024-03-{10 + number}"}])


def listed(criteria: queries.CatalogFilter, page: int, moment: dt.datetime = MOMENT) -> list[str]:
    return [item.call.slug for item in queries.search_calls(criteria, moment, page=page)]


CRITERIA = [
    queries.CatalogFilter(),
    queries.CatalogFilter(status="ouvert"),
    queries.CatalogFilter(status="tout"),
    queries.CatalogFilter(territory="Artois"),
    queries.CatalogFilter(before=dt.date(2025, 5, 9)),
    queries.CatalogFilter(q="appel", sort="cloture"),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=["15-april", "opening", "23-59-59", "23-59-59.5", "midnight"])
@pytest.mark.parametrize("criteria", CRITERIA, ids=["default", "open", "all", "territory", "before", "search"])
def test_the_walked_pages_are_the_general_sorts_pages(crowded, monkeypatch, criteria, moment):
    answered = []
    walk = queries._open_calls_first

    def watched(*args):
        ids = walk(*args)
        answered.append(ids is not None)
        return ids

    monkeypatch.setattr(queries, "_open_calls_first", watched)
    walked = [listed(criteria, page, moment) for page in (1, 2, 3)]
    monkeypatch.setattr(queries, "_open_calls_first", lambda *args: None)
    general = [listed(criteria, page, moment) for page in (1, 2, 3)]
    assert walked == general
    assert answered[0]  # page 1 came from the walk: the open calls fill it in every one of these lists
    assert sum(map(len, walked)) > 20


def test_the_walk_puts_each_call_once_at_its_soonest_closing_and_breaks_ties_by_title(crowded):
    first = listed(queries.CatalogFilter(), 1)
    assert len(first) == len(set(first)) == 20
    # The short windows first, one a day from 20 April; then 1 May: three calls, by title (« Appel X 00 », « Appel
    # Y 00 », « Appel Z 00 »), and 2 May: three more, « Appel double 0 »'s long window not listing it again.
    assert first[:14] == [f"deux-ouvertes-{number}" for number in range(8)] + [
        "ouvert-02", "ouvert-01", "ouvert-00", "ouvert-05", "ouvert-04", "ouvert-03"]


def test_a_call_closing_tonight_is_walked_until_its_closing_second_and_not_after(crowded):
    closing_tonight = {"ouvert-00", "ouvert-01", "ouvert-02"}
    assert closing_tonight <= set(listed(queries.CatalogFilter(status="ouvert"), 1, CLOSING))
    assert closing_tonight <= set(listed(queries.CatalogFilter(status="ouvert"), 1, CLOSING + dt.timedelta(seconds=0.5)))
    assert not closing_tonight & set(listed(queries.CatalogFilter(status="ouvert"), 1, CLOSING + dt.timedelta(seconds=1)))


def test_a_list_the_open_calls_do_not_fill_is_sorted_as_before(crowded):
    """Upcoming calls only (no open one to walk), then a filter with a single open call: the general sort."""
    assert listed(queries.CatalogFilter(status="a-venir"), 1) == ["bientot-0", "bientot-1"] + [
        f"a-venir-{number}" for number in range(6)]
    few = listed(queries.CatalogFilter(q="double 3", sort="cloture"), 1)
    assert few == ["deux-ouvertes-3"]
