"""The catalogue's status, filters, sorts and pages run in SQL (catalog/queries.py): the SQL must say of every call,
at every instant, what status.call_status says of it — around each opening and closing second, in summer and
winter time —, and the catalogue page paginates with the filters kept in its links."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from portal.catalog import queries
from portal.catalog.models import Call
from portal.catalog.status import Status, call_status
from portal.core.time import PARIS, end_of_day_paris, start_of_day_paris
from portal.extensions import db

SECOND = dt.timedelta(seconds=1)

# Every shape of windows a call may have (dates inclusive, Paris time).
SHAPES = {
    "une-fenetre-ete": {"windows": [{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}]},
    "deux-fenetres-et-un-trou": {"windows": [
        {"key": "ami-1", "label": "AMI 1", "opens_on": "2025-01-06", "closes_on": "2025-02-03"},
        {"key": "ami-2", "label": "AMI 2", "opens_on": "2025-07-01", "closes_on": "2025-10-31"}]},
    "a-venir": {"windows": [{"key": "unique", "opens_on": "2025-11-03", "closes_on": "2025-12-19"}]},
    "cloture-depuis-longtemps": {"windows": [{"key": "unique", "opens_on": "2020-11-02", "closes_on": "2021-01-22"}]},
    "sans-ouverture-hiver": {"windows": [{"key": "unique", "closes_on": "2025-03-28"}]},
    "fenetres-chevauchantes": {"windows": [
        {"key": "longue", "label": "Longue", "opens_on": "2025-03-03", "closes_on": "2025-10-26"},
        {"key": "courte", "label": "Courte", "opens_on": "2025-03-31", "closes_on": "2025-04-30"}]},
    # National frameworks (« cadre »): no window, maybe a period.
    "periode-finie": {"kind": "cadre", "windows": [], "period": {"start": "2024-01-01", "end": "2025-03-30"}},
    "periode-en-cours": {"kind": "cadre", "windows": [], "period": {"start": "2024-01-01", "end": "2030-12-31"}},
    "sans-fenetre-ni-periode": {"kind": "cadre", "windows": []},
}


def _boundaries() -> list[dt.datetime]:
    """Each opening (the second before, the instant) and each closing (23:59:59, its last half second, 00:00:00
    the next day) of every shape, a period's end likewise: summer (+02:00) and winter (+01:00) both occur."""
    instants = []
    for data in SHAPES.values():
        days = [(w.get("opens_on"), w["closes_on"]) for w in data["windows"]]
        if "period" in data:
            days.append((None, data["period"]["end"]))
        for opens_on, closes_on in days:
            if opens_on:
                opening = start_of_day_paris(dt.date.fromisoformat(opens_on))
                instants += [opening - SECOND, opening]
            closing = end_of_day_paris(dt.date.fromisoformat(closes_on))
            instants += [closing - SECOND, closing, closing + SECOND / 2, closing + SECOND]
    return sorted(set(instants))


BOUNDARIES = _boundaries()


@pytest.fixture
def shapes(publish_call, clock):
    clock("2020-10-01 09:00")
    for slug, data in SHAPES.items():
        publish_call(slug, title=f"Appel {slug}", **data)


def _python_status(call: Call, moment: dt.datetime) -> str:
    code = call_status(call, moment).code
    return Status.OPEN.value if code == Status.CLOSING_SOON else code.value


def test_the_boundaries_cover_summer_and_winter_time_and_the_closing_second():
    offsets = {moment.astimezone(PARIS).utcoffset() for moment in BOUNDARIES}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    assert any(moment.astimezone(PARIS).time() == dt.time(23, 59, 59) for moment in BOUNDARIES)


def test_the_status_in_sql_is_call_status_for_every_shape_at_every_boundary(shapes):
    calls = list(db.session.scalars(select(Call)))
    assert len(calls) == len(SHAPES)
    seen = set()
    for moment in BOUNDARIES:
        in_sql = dict(db.session.execute(select(Call.slug, queries.status_code(moment))).all())
        in_python = {call.slug: _python_status(call, moment) for call in calls}
        assert in_sql == in_python, moment.astimezone(PARIS).isoformat()
        seen |= set(in_python.values())
    assert seen == {"ouvert", "a-venir", "cloture", "information"}


@pytest.mark.parametrize("wanted", ["", "ouvert", "a-venir", "cloture", "tout"])
def test_each_status_filter_lists_the_calls_call_status_puts_there(shapes, wanted):
    calls = list(db.session.scalars(select(Call)))
    keep = {"": lambda s: s.code != Status.CLOSED, "ouvert": lambda s: s.is_open,
            "a-venir": lambda s: s.code == Status.UPCOMING, "cloture": lambda s: s.is_closed, "tout": lambda s: True}
    for moment in BOUNDARIES:
        page = queries.search_calls(queries.CatalogFilter(status=wanted), moment, per_page=100)
        expected = {call.slug for call in calls if keep[wanted](call_status(call, moment))}
        assert {item.call.slug for item in page} == expected, moment.astimezone(PARIS).isoformat()
        assert page.total == len(expected)
        # What each listed call shows is call_status's own label.
        assert all(item.status == call_status(item.call, moment) for item in page)


def test_open_and_upcoming_calls_come_soonest_deadline_first_and_archives_latest_closed_first(shapes):
    moment = dt.datetime(2025, 4, 15, 10, tzinfo=PARIS)
    listed = [item.call.slug for item in queries.search_calls(queries.CatalogFilter(status="tout"), moment)]
    assert listed == [
        # open: the open window closing first (the short one of the overlapping pair, 30 April), then 9 May...
        "fenetres-chevauchantes", "une-fenetre-ete",
        # upcoming: the next window to open (1 July, closing 31 October), then November's
        "deux-fenetres-et-un-trou", "a-venir",
        # for information, then the archives, the most recently closed first (period ended 30 March, 28 March, 2021)
        "periode-en-cours", "sans-fenetre-ni-periode",
        "periode-finie", "sans-ouverture-hiver", "cloture-depuis-longtemps"]


def test_sort_by_publication_is_newest_first(publish_call, clock):
    for day, slug in ((3, "troisieme"), (1, "premier"), (2, "deuxieme")):
        clock(f"2025-04-0{day} 10:00")
        publish_call(slug, title=f"Appel {slug}")
    listed = queries.search_calls(queries.CatalogFilter(sort="publication"), dt.datetime(2025, 4, 10, tzinfo=PARIS))
    assert [item.call.slug for item in listed] == ["troisieme", "deuxieme", "premier"]


@pytest.mark.parametrize(("day", "expected"), [
    ("2025-05-08", {"fenetres-chevauchantes"}),
    ("2025-05-09", {"fenetres-chevauchantes", "une-fenetre-ete"}),
    # an upcoming call's deadline is its next window's closing (31 October), never the open windows' of another
    ("2025-10-31", {"fenetres-chevauchantes", "une-fenetre-ete", "deux-fenetres-et-un-trou"}),
])
def test_before_keeps_the_calls_whose_deadline_falls_on_that_paris_day_or_earlier(shapes, day, expected):
    moment = dt.datetime(2025, 4, 15, 10, tzinfo=PARIS)
    criteria = queries.CatalogFilter(status="tout", before=dt.date.fromisoformat(day))
    assert {item.call.slug for item in queries.search_calls(criteria, moment)} == expected


def test_a_call_closing_tonight_is_in_the_default_list_at_23_59_59_and_an_archive_at_midnight(client, shapes, clock):
    clock("2025-05-09 23:59:59")
    assert "Appel une-fenetre-ete" in client.get("/appels/").get_data(as_text=True)
    clock("2025-05-10 00:00:00")
    assert "Appel une-fenetre-ete" not in client.get("/appels/").get_data(as_text=True)
    assert "Appel une-fenetre-ete" in client.get("/appels/?statut=cloture").get_data(as_text=True)


# ---- pagination ----------------------------------------------------------------------------------------------

@pytest.fixture
def many_calls(publish_call, clock):
    """45 open calls in Artois, closing one a day from 1 June 2025, and 3 elsewhere."""
    clock("2025-04-20 10:00")
    for number in range(45):
        closes = dt.date(2025, 6, 1) + dt.timedelta(days=number)
        publish_call(f"appel-{number:02d}", title=f"Appel {number:02d}",
                     territories=[{"name": "Artois"}],
                     windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": closes.isoformat()}])
    for number in range(3):
        publish_call(f"ailleurs-{number}", title=f"Ailleurs {number}", territories=[{"name": "Boulonnais"}],
                     windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-12-31"}])


def titles(page: str) -> list[str]:
    return re.findall(r'<h3 id="call-\d+"><a href="[^"]+">([^<]+)</a>', page)


def test_the_catalogue_shows_twenty_calls_a_page_with_the_total_and_an_accessible_pagination(client, many_calls):
    page = html.unescape(client.get("/appels/?territoire=Artois").get_data(as_text=True))
    assert titles(page) == [f"Appel {number:02d}" for number in range(20)]
    assert "45 appels correspondant à votre recherche — page 1 sur 3" in page
    nav = re.search(r'<nav class="pagination" aria-label="Pagination">(.*?)</nav>', page, re.S).group(1)
    assert 'aria-current="page"' in nav and "Page précédente" not in nav
    current = re.search(r'<a href="([^"]+)" aria-current="page">', nav).group(1)
    assert current == "/appels/?territoire=Artois"
    assert 'href="/appels/?page=2&territoire=Artois" rel="next">Page suivante' in nav

    last = html.unescape(client.get("/appels/?territoire=Artois&page=3").get_data(as_text=True))
    assert titles(last) == [f"Appel {number:02d}" for number in range(40, 45)]
    assert "<title>Appels à projets — page 3 sur 3" in last
    nav = re.search(r'<nav class="pagination" aria-label="Pagination">(.*?)</nav>', last, re.S).group(1)
    assert 'href="/appels/?page=2&territoire=Artois" rel="prev">Page précédente' in nav
    assert "Page suivante" not in nav
    assert re.search(r'href="/appels/\?page=3&territoire=Artois" aria-current="page">', nav)


def test_a_page_past_the_last_or_not_a_number_is_a_404(client, many_calls):
    assert client.get("/appels/?territoire=Artois&page=3").status_code == 200
    for page in ("4", "0", "-1", "deux"):
        assert client.get(f"/appels/?territoire=Artois&page={page}").status_code == 404, page
    assert client.get("/appels/?territoire=Inconnu").status_code == 200  # page 1 says that nothing matches


def test_one_page_needs_no_pagination(client, many_calls):
    page = client.get("/appels/?territoire=Boulonnais").get_data(as_text=True)
    assert len(titles(page)) == 3 and 'aria-label="Pagination"' not in page


def test_the_api_pages_in_sql_and_keeps_its_documented_shape(client, many_calls):
    data = client.get("/api/v1/appels?territoire=Artois&par_page=20&page=3").get_json()
    assert data["meta"] == {"page": 3, "par_page": 20, "total": 45, "pages": 3}
    assert [call["titre"] for call in data["donnees"]] == [f"Appel {number:02d}" for number in range(40, 45)]
    assert data["liens"]["suivante"] is None and "page=2" in data["liens"]["precedente"]
    beyond = client.get("/api/v1/appels?territoire=Artois&page=4").get_json()
    assert beyond["donnees"] == [] and beyond["meta"]["total"] == 45


def test_the_facets_come_from_one_statement(client, many_calls, count_queries):
    with count_queries() as statements:
        facets = queries.facets()
    assert statements.count == 1
    assert facets["territory"] == ["Artois", "Boulonnais"]
    assert facets["issuer"] == ["Département du Pas-de-Calais"] and facets["kind"] == ["AAP"]
    assert facets["carrier"] == ["association", "organisme_agree"]


# ---- streamed exports ----------------------------------------------------------------------------------------

def test_the_calendar_and_the_open_data_list_every_call_archives_included(client, shapes):
    import csv
    import io
    import json

    import icalendar

    response = client.get("/appels/calendrier.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    closings = {str(event["summary"]) for event in calendar.walk("VEVENT") if str(event["summary"]).startswith("Clôture")}
    assert "Clôture : Appel cloture-depuis-longtemps" in closings and "Clôture : Appel a-venir" in closings
    assert len(closings) == sum(len(data["windows"]) for data in SHAPES.values())
    # The time zone is described before the events that use it.
    assert response.data.index(b"BEGIN:VTIMEZONE") < response.data.index(b"BEGIN:VEVENT")

    records = json.loads(client.get("/donnees/dispositifs-aide.json").get_data(as_text=True))
    assert sorted(record["titre"] for record in records) == sorted(f"Appel {slug}" for slug in SHAPES)
    rows = list(csv.reader(io.StringIO(client.get("/donnees/dispositifs-aide.csv").get_data(as_text=True))))
    assert rows[0][:2] == ["id", "titre"] and sorted(row[1] for row in rows[1:]) == sorted(f"Appel {s}" for s in SHAPES)
