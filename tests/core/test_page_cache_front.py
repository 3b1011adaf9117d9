"""The page cache's answer before Flask, and the catalogue's state held per process (issue 18): a visitor without
cookies gets from the WSGI layer exactly what Flask's path gives; holding the state never delays a status change,
nor a publication made in this process; one made by another process shows once the holding ends."""

from __future__ import annotations

import datetime as dt
import html
import threading
import time

import pytest
from sqlalchemy import update

from portal.catalog.models import Call
from portal.core.held_state import HeldState
from portal.core.page_cache_front import Front
from portal.extensions import db
from tests.conftest import csrf_token
from tests.core.conftest import WINDOW

PAGES = ["/appels/", "/appels/equipes-mobiles/", "/api/v1/appels", "/appels/flux.atom"]
HOLD = 60  # seconds: far longer than any of these tests, so that only what the rule says can end the holding


@pytest.fixture
def held(app):
    settings = app.extensions["page_cache"]
    original = settings.state
    settings.state = HeldState(original._read, HOLD)
    yield settings.state
    settings.state = original


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def front_of(app) -> Front:
    assert isinstance(app.wsgi_app, Front)
    return app.wsgi_app


@pytest.mark.parametrize("url", PAGES)
def test_a_visitor_without_cookies_is_answered_before_flask_with_what_flask_answers(app, open_call, store,
                                                                                     monkeypatch, url):
    rendered = app.test_client().get(url)
    with_cookie = app.test_client()
    csrf_token(with_cookie)  # a session cookie: Flask's own path answers her from the same entry
    through_flask = with_cookie.get(url)

    def flask_reached(environ, start_response):
        raise AssertionError("a kept page for a request without cookies went through Flask")

    monkeypatch.setattr(front_of(app), "inner", flask_reached)
    before_flask = app.test_client().get(url)
    assert before_flask.status_code == 200 and before_flask.data == rendered.data == through_flask.data
    for header in ("Content-Type", "ETag", "Last-Modified", "Vary", "Content-Security-Policy", "X-Frame-Options",
                   "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy", "Content-Length"):
        assert before_flask.headers.get(header) == through_flask.headers.get(header), header
    assert before_flask.headers["Cache-Control"] == rendered.headers["Cache-Control"] == "public, max-age=60"
    assert through_flask.headers["Cache-Control"] == "private, max-age=60"  # her answer may carry a cookie


def test_before_flask_a_copy_still_right_gets_304(app, client, open_call, store, monkeypatch):
    etag = client.get("/appels/").headers["ETag"]
    monkeypatch.setattr(front_of(app), "inner", None)  # never called
    again = client.get("/appels/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_a_plain_get_before_flask_sends_the_headers_of_the_general_answer_as_its_max_age_counts_down(
        app, client, open_call, store, clock, monkeypatch):
    """The front makes a plain GET's headers once per entry and max-age (page_cache_front._prepared): each answer
    must still be the one the general path gives (a HEAD takes it) at that instant, the max-age included."""
    clock("2025-05-09 23:59:00")  # the page changes by itself at the closing second: its max-age counts down
    assert client.get("/appels/equipes-mobiles/").status_code == 200  # rendered and kept
    monkeypatch.setattr(front_of(app), "inner", None)  # never called: every answer below comes from the front
    for moment, max_age in (("2025-05-09 23:59:20", 40), ("2025-05-09 23:59:20", 40), ("2025-05-09 23:59:45", 15),
                            ("2025-05-09 23:59:58", 2)):
        clock(moment)
        got, general = client.get("/appels/equipes-mobiles/"), client.head("/appels/equipes-mobiles/")
        assert got.status_code == general.status_code == 200 and got.data and not general.data
        assert got.headers.to_wsgi_list() == general.headers.to_wsgi_list(), moment
        assert got.headers["Cache-Control"] == f"public, max-age={max_age}", moment
        again = client.get("/appels/equipes-mobiles/", headers={"If-None-Match": got.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


def test_a_request_with_a_cookie_or_a_form_posted_goes_to_flask(app, open_call, store, monkeypatch):
    app.test_client().get("/appels/")
    reached = []
    inner = front_of(app).inner

    def counted(environ, start_response):
        reached.append(environ["REQUEST_METHOD"])
        return inner(environ, start_response)

    monkeypatch.setattr(front_of(app), "inner", counted)
    with_cookie = app.test_client()
    with_cookie.set_cookie("session", "whatever", domain="localhost")
    with_cookie.get("/appels/")
    app.test_client().post("/appels/")
    assert reached == ["GET", "POST"]


def test_a_page_not_kept_yet_is_rendered_by_flask_and_kept(app, open_call, store):
    assert app.test_client().get("/appels/equipes-mobiles/").status_code == 200
    assert len(store._entries) == 1


# ---- the state held per process --------------------------------------------------------------------------------

def test_a_held_state_still_flips_the_status_at_the_closing_second(app, client, publish_call, clock, store, held,
                                                                   count_queries):
    clock("2025-04-15 10:00:00")
    publish_call(windows=WINDOW)
    clock("2025-05-09 23:59:59")
    assert "Clôture imminente — dernier jour" in text(client.get("/appels/equipes-mobiles/"))
    with count_queries() as queries:
        assert "Clôture imminente — dernier jour" in text(client.get("/appels/equipes-mobiles/"))
    assert queries.count == 0  # held, and kept: no statement at all
    clock("2025-05-10 00:00:00")
    closed = client.get("/appels/equipes-mobiles/")
    assert "Clôturé" in text(closed) and "Clôture imminente" not in text(closed)
    # Read again at the change, the state says nothing changes by itself any more: the page is kept again.
    assert closed.headers["Cache-Control"] == "public, max-age=60"


def test_a_publication_committed_in_this_process_shows_at_once_though_the_state_is_held(client, open_call, store,
                                                                                         held, publish_call):
    assert "Hébergement d'urgence" not in text(client.get("/appels/"))
    publish_call("hebergement-urgence", title="Hébergement d'urgence des familles")
    assert "Hébergement d'urgence des familles" in text(client.get("/appels/"))


def test_a_change_made_by_another_process_shows_once_the_holding_ends(client, open_call, store, held, clock):
    assert "Équipes mobiles" in text(client.get("/appels/equipes-mobiles/"))
    # As `portal calls sync` in another process would: a committed row this process's session events never saw.
    db.session.execute(update(Call).where(Call.id == open_call.id)
                       .values(title="Équipes mobiles : appel modifié", updated_at=dt.datetime(2025, 4, 15, 9, 0,
                                                                                                   tzinfo=dt.UTC)))
    clock("2025-04-15 10:00:30")
    assert "appel modifié" not in text(client.get("/appels/equipes-mobiles/"))  # held, at most HOLD seconds
    clock("2025-04-15 10:01:00")
    assert "Équipes mobiles : appel modifié" in text(client.get("/appels/equipes-mobiles/"))


def test_a_clock_set_back_reads_the_state_again():
    reads = []
    state = HeldState(lambda moment: reads.append(moment) or ("v", None), HOLD)
    noon = dt.datetime(2025, 4, 15, 12, tzinfo=dt.UTC)
    state(noon)
    state(noon + dt.timedelta(seconds=1))
    state(noon - dt.timedelta(seconds=1))
    assert reads == [noon, noon - dt.timedelta(seconds=1)]


class _SlowSecondRead:
    """A state whose reads in the thread named `slow` wait until released: a statement taking long on a loaded
    database server."""

    def __init__(self, next_change: dt.datetime | None) -> None:
        self.next_change, self.reads, self.release = next_change, [], threading.Event()

    def __call__(self, moment: dt.datetime) -> tuple[str, dt.datetime | None]:
        self.reads.append(threading.current_thread().name)
        if threading.current_thread().name == "slow":
            assert self.release.wait(5)
        return f"v{len(self.reads)}", self.next_change


def _reading_slowly(state: HeldState, read: _SlowSecondRead, moment: dt.datetime) -> threading.Thread:
    slow = threading.Thread(target=state, args=(moment,), name="slow")
    slow.start()
    deadline = time.monotonic() + 5
    while "slow" not in read.reads and time.monotonic() < deadline:
        time.sleep(0.001)
    return slow


def test_while_one_thread_reads_the_state_again_the_others_answer_what_was_held():
    """The other threads of a worker do not all wait for (nor all repeat) the statement: under load on PostgreSQL
    that wait was the public pages' p99 (docs/BENCHMARKS.md, issue 18, run 5)."""
    noon = dt.datetime(2025, 4, 15, 12, tzinfo=dt.UTC)
    read = _SlowSecondRead(next_change=noon + dt.timedelta(days=1))
    state = HeldState(read, HOLD)
    state(noon)
    expired = noon + dt.timedelta(seconds=HOLD + 1)
    slow = _reading_slowly(state, read, expired)
    try:
        assert state(expired) == ("v1", noon + dt.timedelta(days=1))
        assert read.reads == ["MainThread", "slow"]
    finally:
        read.release.set()
        slow.join()
    assert state(expired) == ("v2", noon + dt.timedelta(days=1))  # the read done, held in its turn
    assert read.reads == ["MainThread", "slow"]


@pytest.mark.parametrize(("after", "next_change"), [(dt.timedelta(seconds=10), dt.timedelta(seconds=10)),
                                                    (dt.timedelta(seconds=2 * HOLD), None)],
                         ids=["at the next change", "twice the holding past"])
def test_at_a_change_or_long_past_the_holding_no_thread_answers_the_old_state(after, next_change):
    noon = dt.datetime(2025, 4, 15, 12, tzinfo=dt.UTC)
    read = _SlowSecondRead(next_change=None if next_change is None else noon + next_change)
    state = HeldState(read, HOLD)
    state(noon)
    slow = _reading_slowly(state, read, noon + after)
    try:
        assert state(noon + after)[0] == "v3"  # read by this thread too: a closing second is never shown late
    finally:
        read.release.set()
        slow.join()
