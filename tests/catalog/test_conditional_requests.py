"""The public pages and feeds tell browsers and proxies how long their copy stays right, never past the next status
change of a call they list, and answer 304 with nothing to a copy that is still this one (issue 18)."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from portal.catalog.status_changes import next_change_after
from portal.core.time import PARIS

WINDOW = [{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}]
PUBLIC = ["/appels/", "/appels/?statut=cloture", "/appels/?q=expulsions", "/appels/?territoire=Pas-de-Calais",
          "/appels/equipes-mobiles/", "/api/v1/appels", "/api/v1/appels/equipes-mobiles", "/appels/flux.atom",
          "/appels/calendrier.ics", "/appels/equipes-mobiles/calendrier.ics", "/donnees/dispositifs-aide.csv",
          "/donnees/dispositifs-aide.json"]


def paris(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.fixture
def open_call(publish_call, clock):
    clock("2025-04-15 10:00:00")
    return publish_call(windows=WINDOW)


@pytest.mark.parametrize("url", PUBLIC)
def test_a_copy_still_right_gets_304_and_no_body(client, open_call, url):
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_copy_older_than_the_page_is_sent_the_page(client, open_call, publish_call):
    first = client.get("/appels/")
    publish_call("hebergement-urgence", title="Hébergement d'urgence des familles")
    again = client.get("/appels/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Hébergement d'urgence des familles" in html.unescape(again.get_data(as_text=True))


def test_if_modified_since_the_last_modification_is_304(client, open_call):
    first = client.get("/appels/equipes-mobiles/")
    again = client.get("/appels/equipes-mobiles/", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304 and again.data == b""


def test_a_public_page_may_be_kept_by_anyone_but_not_for_a_signed_in_visitor(client, open_call):
    response = client.get("/appels/")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in response.headers["Vary"]


@pytest.mark.parametrize(("paris_time", "max_age"), [
    ("2025-04-15 10:00:00", 60),           # open: the day count changes at midnight, far away; the cap applies
    ("2025-04-15 23:59:30", 30),           # … until the day count « Il reste 24 jours » turns at midnight
    ("2025-05-09 23:59:00", 60),           # the closing day: closed at 00:00:00
    ("2025-05-09 23:59:30", 30),
    ("2025-05-09 23:59:59", 1),
    ("2025-03-31 23:59:50", 10),           # upcoming: opens at 00:00:00
])
def test_max_age_never_outlives_the_next_status_change(client, publish_call, clock, paris_time, max_age):
    clock("2025-03-15 10:00:00")
    publish_call(windows=WINDOW)
    clock(paris_time)
    for url in ("/appels/", "/appels/equipes-mobiles/", "/api/v1/appels", "/appels/flux.atom"):
        assert client.get(url).headers["Cache-Control"] == f"public, max-age={max_age}", url


def test_half_a_second_before_closing_a_copy_may_not_be_kept_at_all(client, open_call, clock):
    clock(paris("2025-05-09 23:59:59.500000"))
    assert client.get("/appels/").headers["Cache-Control"] == "public, max-age=0"


def test_a_signed_in_visitor_gets_no_validator_and_no_public_copy(client, open_call, make_user, sign_in):
    make_user()
    sign_in(client, "claire.martin@asso-exemple.fr")
    response = client.get("/appels/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_a_missing_call_is_no_public_copy(client, open_call):
    response = client.get("/appels/n-existe-pas/")
    assert response.status_code == 404
    assert "ETag" not in response.headers and "public" not in response.headers.get("Cache-Control", "")


# ---- the next status change ------------------------------------------------------------------------------

def test_the_next_change_of_an_upcoming_call_is_its_opening(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(windows=WINDOW)
    assert next_change_after(paris("2025-03-20 12:00:00")) == paris("2025-04-01 00:00:00")


def test_while_a_call_is_open_every_paris_midnight_is_a_change(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(windows=WINDOW)
    assert next_change_after(paris("2025-04-15 10:00:00")) == paris("2025-04-16 00:00:00")
    # Summer time began on 30 March 2025: midnight in Paris is 22:00 UTC, not 23:00.
    assert next_change_after(paris("2025-04-15 10:00:00")).astimezone(dt.UTC).hour == 22


def test_a_call_closing_at_23_59_59_changes_at_00_00_00(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(windows=WINDOW)
    assert next_change_after(paris("2025-05-09 23:59:59")) == paris("2025-05-10 00:00:00")
    assert next_change_after(paris("2025-05-09 23:59:59.999000")) == paris("2025-05-10 00:00:00")


def test_the_soonest_change_of_all_calls_wins(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(windows=WINDOW)
    publish_call("plus-tard", windows=[{"key": "unique", "opens_on": "2025-06-01", "closes_on": "2025-06-30"}])
    assert next_change_after(paris("2025-05-20 09:00:00")) == paris("2025-06-01 00:00:00")
    assert next_change_after(paris("2025-06-30 23:59:59")) == paris("2025-07-01 00:00:00")


def test_when_every_call_is_closed_nothing_changes_by_itself(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(windows=WINDOW)
    assert next_change_after(paris("2025-05-10 00:00:00")) is None


def test_a_call_without_windows_may_close_at_any_paris_midnight(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(kind="cadre", windows=[], carriers=None, period={"start": "2025-01-01", "end": "2025-12-31"})
    assert next_change_after(paris("2025-12-31 23:00:00")) == paris("2026-01-01 00:00:00")


def test_a_call_without_windows_nor_period_never_changes_by_itself(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(kind="cadre", windows=[], carriers=None)
    assert next_change_after(paris("2025-03-15 10:00:00")) is None


def test_a_call_without_windows_whose_period_ended_changes_no_more(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(kind="cadre", windows=[], carriers=None, period={"start": "2024-01-01", "end": "2024-12-31"})
    assert next_change_after(paris("2025-03-15 10:00:00")) is None


def test_two_windows_the_first_closing_is_a_change(publish_call, clock):
    clock("2025-03-15 10:00:00")
    publish_call(windows=[{"key": "printemps", "opens_on": "2025-04-01", "closes_on": "2025-04-30"},
                          {"key": "automne", "opens_on": "2025-09-01", "closes_on": "2025-09-30"}])
    assert next_change_after(paris("2025-04-30 23:59:59")) == paris("2025-05-01 00:00:00")
    # Between the windows the call is upcoming again: midnights still count, the next opening is the last one.
    assert next_change_after(paris("2025-08-31 12:00:00")) == paris("2025-09-01 00:00:00")


@pytest.mark.parametrize("url", ["/donnees/dispositifs-aide.csv", "/donnees/dispositifs-aide.json",
                                 "/appels/calendrier.ics", "/appels/equipes-mobiles/calendrier.ics"])
def test_an_export_stays_streamed_and_is_still_answered_304(app, client, open_call, url):
    """The exports are written row by row from the database (they grow with the archives): the public headers and
    the 304 must not read them whole into memory, nor keep them in the page cache."""
    from portal.core import page_cache, page_store

    store = page_store.MemoryStore()
    page_cache.use(app, store)
    try:
        first = client.get(url)
        assert first.status_code == 200 and first.headers["ETag"] and "max-age=" in first.headers["Cache-Control"]
        body = first.get_data()
        assert body and store._bytes == 0  # nothing of it read into the cache
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        publish_time_copy = client.get(url)
        assert publish_time_copy.get_data() == body  # rendered anew, the same bytes
    finally:
        page_cache.use(app, None)
