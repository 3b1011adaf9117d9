"""A search sorted by relevance scores only the calls its other conditions keep (catalog/search.restrict: on SQLite
the matches are narrowed to them before bm25 is computed). Whatever the filter and the instant, its pages must be
those of the whole index's ranking with the calls the filter leaves out taken away: every call's place depends
on its own status, score, deadline and title only, so the narrowing may change the cost and nothing else."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from portal.catalog import queries
from portal.core.time import PARIS, end_of_day_paris

QUERY = "logement"
MOMENT = dt.datetime(2025, 4, 15, 10, tzinfo=PARIS)
CLOSING = end_of_day_paris(dt.date(2025, 5, 1))  # three open calls close at 23:59:59 that day
MOMENTS = [MOMENT, CLOSING, CLOSING + dt.timedelta(seconds=0.5), CLOSING + dt.timedelta(seconds=1)]


def _body(times: int) -> str:
    """A text saying « logement » `times` times: the scores differ, and equal texts tie."""
    return "## Contexte\n\n" + " ".join(["L'accès au logement des ménages."] * times + ["Un accompagnement social."])


@pytest.fixture
def catalogue(publish_call, clock):
    """50 calls matching « logement » (open, upcoming, frameworks, archives; two territories; equal texts that only
    the deadline and the title can order), and 12 that do not match."""
    clock("2025-03-01 09:00")
    for number in range(30):
        publish_call(f"ouvert-{number:02d}", title=f"Appel {'ZYX'[number % 3]} {number // 3:02d}", body=_body(number % 4),
                     summary="Le logement d'abord." if number % 5 == 0 else "Une aide au fonctionnement.",
                     territories=[{"name": "Artois" if number % 2 else "Boulonnais"}],
                     windows=[{"key": "unique", "opens_on": "2025-04-01",
                               "closes_on": (dt.date(2025, 5, 1) + dt.timedelta(days=number // 3)).isoformat()}])
    for number in range(8):
        publish_call(f"a-venir-{number}", title=f"Logement à venir {number}", body=_body(number % 3),
                     territories=[{"name": "Artois"}],
                     windows=[{"key": "unique", "opens_on": "2025-06-01", "closes_on": f"2025-07-{10 + number}"}])
    for number in range(6):
        publish_call(f"cadre-{number}", title=f"Cadre {number}", kind="cadre", windows=[], body=_body(1 + number % 2))
    for number in range(12):
        publish_call(f"archive-{number:02d}", title=f"Archive {number:02d}", body=_body(1 + number % 3),
                     territories=[{"name": "Artois" if number % 2 else "Boulonnais"}],
                     windows=[{"key": "unique", "opens_on": "2024-01-02", "closes_on": f"2024-03-{10 + number}"}])
    for number in range(6):
        publish_call(f"sans-rapport-{number}", title=f"Microcrédit {number}", body="## Contexte\n\nUn prêt.",
                     windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-20"}])


def slugs(criteria: queries.CatalogFilter, moment: dt.datetime, page: int = 1, per_page: int = queries.PER_PAGE):
    return [item.call.slug for item in queries.search_calls(criteria, moment, page=page, per_page=per_page)]


CRITERIA = {
    "default": queries.CatalogFilter(q=QUERY, sort="pertinence"),
    "open": queries.CatalogFilter(q=QUERY, sort="pertinence", status="ouvert"),
    "upcoming": queries.CatalogFilter(q=QUERY, sort="pertinence", status="a-venir"),
    "archives": queries.CatalogFilter(q=QUERY, sort="pertinence", status="cloture"),
    "territory": queries.CatalogFilter(q=QUERY, sort="pertinence", territory="Artois"),
    "before": queries.CatalogFilter(q=QUERY, sort="pertinence", before=dt.date(2025, 5, 4)),
    "framework": queries.CatalogFilter(q=QUERY, sort="pertinence", kind="cadre", status="tout"),
}


@pytest.mark.parametrize("moment", MOMENTS, ids=["15-april", "23-59-59", "23-59-59.5", "midnight"])
@pytest.mark.parametrize("name", CRITERIA)
def test_a_filtered_search_is_the_whole_ranking_without_the_calls_the_filter_leaves_out(catalogue, name, moment):
    criteria = CRITERIA[name]
    # Every match, ranked: no other condition, nothing narrowed.
    whole = slugs(queries.CatalogFilter(q=QUERY, sort="pertinence", status="tout"), moment, per_page=500)
    assert len(whole) == 50
    # The filter's calls, as its COUNT and its sort by closing find them (no score there).
    kept = set(slugs(dataclasses.replace(criteria, sort="cloture"), moment, per_page=500))
    assert kept and kept < set(whole)
    expected = [slug for slug in whole if slug in kept]
    pages = [slugs(criteria, moment, page) for page in (1, 2, 3)]
    assert [slug for page in pages for slug in page] == expected[:60]
    assert all(len(page) == min(20, max(0, len(expected) - 20 * number)) for number, page in enumerate(pages))


def test_relevance_orders_within_each_status_and_the_deadline_breaks_ties(catalogue):
    ranked = slugs(CRITERIA["default"], MOMENT, per_page=500)
    # The open calls first, then the upcoming ones, then the frameworks; the archives are not listed.
    kinds = [slug.split("-")[0] for slug in ranked]
    assert kinds == sorted(kinds, key=["ouvert", "a", "cadre"].index) and "archive" not in kinds
    # Among open calls saying « logement » as often, with the same summary: the soonest deadline first.
    tied = [slug for slug in ranked if slug in {"ouvert-01", "ouvert-09", "ouvert-13", "ouvert-17", "ouvert-21"}]
    assert tied == ["ouvert-01", "ouvert-09", "ouvert-13", "ouvert-17", "ouvert-21"]
