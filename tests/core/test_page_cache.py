"""The rendered-page cache for visitors who are not signed in (issue 18): a page served from it is the page itself,
byte for byte; a publication shows at once; a status flips at the closing second; and nobody signed in is ever
served a kept page, nor is a page made for someone signed in ever kept."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import redis

from portal.core import page_cache, page_store
from portal.extensions import db
from tests.core.conftest import WINDOW

PUBLIC = ["/appels/", "/appels/?statut=cloture", "/appels/?q=expulsions", "/appels/?territoire=Pas-de-Calais",
          "/appels/equipes-mobiles/", "/api/v1/appels", "/api/v1/appels/equipes-mobiles", "/appels/flux.atom"]
# The calendars and the open-data exports are streamed from the database and never kept (they grow with the
# archives): tests/catalog/test_conditional_requests.py checks they still answer 304.
# A page from the cache costs one statement: the catalogue's version and next change (catalog.public_pages.state).
FROM_THE_CACHE = 1


@pytest.fixture
def redis_store(app):
    url = "redis://127.0.0.1:6379/2"
    redis.Redis.from_url(url).flushdb()
    kept = page_store.RedisStore(url)
    page_cache.use(app, kept)
    yield kept
    page_cache.use(app, None)
    redis.Redis.from_url(url).flushdb()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def statements(count_queries, client, url, **kwargs):
    with count_queries() as queries:
        response = client.get(url, **kwargs)
    return response, queries.count


@pytest.mark.parametrize("url", PUBLIC)
def test_a_page_from_the_cache_is_the_page_itself(app, client, open_call, store, count_queries, url):
    rendered = client.get(url)
    kept, count = statements(count_queries, client, url)
    assert count == FROM_THE_CACHE
    assert kept.data == rendered.data
    assert kept.headers["Content-Type"] == rendered.headers["Content-Type"]
    assert kept.headers.get("Content-Disposition") == rendered.headers.get("Content-Disposition")
    assert kept.headers["ETag"] == rendered.headers["ETag"]
    page_cache.use(app, None)
    assert client.get(url).data == rendered.data  # and what rendering without any cache gives


def test_the_security_headers_come_with_each_answer_from_the_cache(client, open_call, store):
    client.get("/appels/")
    kept = client.get("/appels/")
    assert kept.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert kept.headers["X-Frame-Options"] == "DENY"


def test_head_is_answered_from_the_get_entry(client, open_call, store, count_queries):
    rendered = client.get("/appels/")
    with count_queries() as queries:
        head = client.head("/appels/")
    assert queries.count == FROM_THE_CACHE
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(rendered.data))
    assert head.headers["ETag"] == rendered.headers["ETag"]


def test_the_query_string_in_another_order_is_the_same_page(client, open_call, store, count_queries):
    client.get("/appels/?statut=ouvert&tri=publication")
    _, count = statements(count_queries, client, "/appels/?tri=publication&statut=ouvert")
    assert count == FROM_THE_CACHE


def test_another_query_is_another_page(client, publish_call, clock, store):
    clock("2025-06-15 10:00:00")
    publish_call(windows=WINDOW)
    publish_call("ouvert", title="Hébergement d'urgence des familles",
                 windows=[{"key": "unique", "opens_on": "2025-06-01", "closes_on": "2025-06-30"}])
    assert "Équipes mobiles" not in text(client.get("/appels/"))
    archives = text(client.get("/appels/?statut=cloture"))
    assert "Équipes mobiles" in archives and "Hébergement d'urgence" not in archives


def test_a_missing_page_is_not_kept(client, open_call, store, count_queries):
    assert client.get("/appels/hebergement-urgence/").status_code == 404
    missing, count = statements(count_queries, client, "/appels/hebergement-urgence/")
    assert missing.status_code == 404 and count > FROM_THE_CACHE


def test_a_new_call_appears_at_once(client, open_call, store, publish_call):
    assert "Hébergement d'urgence" not in text(client.get("/appels/"))
    publish_call("hebergement-urgence", title="Hébergement d'urgence des familles")
    assert "Hébergement d'urgence des familles" in text(client.get("/appels/"))
    assert client.get("/appels/hebergement-urgence/").status_code == 200


def test_an_update_at_the_same_instant_appears_at_once(client, open_call, store, publish_call):
    client.get("/appels/equipes-mobiles/")
    publish_call(title="Équipes mobiles : appel modifié", id=str(open_call.uuid))
    assert "Équipes mobiles : appel modifié" in text(client.get("/appels/equipes-mobiles/"))


def test_a_call_taken_off_the_portal_disappears_at_once(client, open_call, store):
    assert client.get("/appels/equipes-mobiles/").status_code == 200
    client.get("/api/v1/appels")
    db.session.delete(db.session.merge(open_call))
    db.session.commit()
    assert client.get("/appels/equipes-mobiles/").status_code == 404
    assert client.get("/api/v1/appels").get_json()["meta"]["total"] == 0


def test_the_status_flips_at_the_closing_second_with_the_cache_warm(client, publish_call, clock, store,
                                                                     count_queries):
    clock("2025-04-15 10:00:00")
    publish_call(windows=WINDOW)
    clock("2025-05-09 23:59:59")
    assert "Clôture imminente — dernier jour" in text(client.get("/appels/equipes-mobiles/"))
    assert "Équipes mobiles" in text(client.get("/appels/"))
    kept, count = statements(count_queries, client, "/appels/equipes-mobiles/")
    assert count == FROM_THE_CACHE and "Clôture imminente — dernier jour" in text(kept)
    clock("2025-05-10 00:00:00")
    page = text(client.get("/appels/equipes-mobiles/"))
    assert "Clôturé" in page and "Clôture imminente" not in page
    assert "Équipes mobiles" not in text(client.get("/appels/"))  # the default list shows what is not closed
    assert "Équipes mobiles" in text(client.get("/appels/?statut=cloture"))


def test_the_days_left_turn_at_paris_midnight_with_the_cache_warm(client, open_call, store, clock):
    clock("2025-04-15 23:59:59")
    assert "Il reste 24 jours" in text(client.get("/appels/equipes-mobiles/"))
    clock("2025-04-16 00:00:00")
    assert "Il reste 23 jours" in text(client.get("/appels/equipes-mobiles/"))


def test_a_page_carrying_the_server_instant_is_not_kept_longer_than_a_browser_may(client, open_call, store, clock,
                                                                                  count_queries):
    client.get("/appels/equipes-mobiles/")  # its countdown carries data-now, the instant it was made
    clock("2025-04-15 10:00:59")
    assert statements(count_queries, client, "/appels/equipes-mobiles/")[1] == FROM_THE_CACHE
    clock("2025-04-15 10:01:00")
    again, count = statements(count_queries, client, "/appels/equipes-mobiles/")
    assert count > FROM_THE_CACHE
    assert 'data-now="2025-04-15T10:01:00+02:00"' in again.get_data(as_text=True)


# ---- never for someone signed in ---------------------------------------------------------------------------

def test_a_signed_in_visitor_is_never_served_a_kept_page(app, client, open_call, store, make_user, sign_in):
    assert "Se connecter pour candidater" in text(client.get("/appels/equipes-mobiles/"))
    make_user()
    signed_in = app.test_client()
    sign_in(signed_in, "claire.martin@asso-exemple.fr")
    page = signed_in.get("/appels/equipes-mobiles/")
    assert "Se déconnecter" in text(page) and "Se connecter pour candidater" not in text(page)
    assert page.headers["Cache-Control"] == "no-store"


def test_a_page_made_for_someone_signed_in_is_never_served_to_a_visitor(app, client, open_call, store, make_user,
                                                                        sign_in):
    make_user()
    sign_in(client, "claire.martin@asso-exemple.fr")
    assert "Se déconnecter" in text(client.get("/appels/"))
    visitor = app.test_client()
    page = text(visitor.get("/appels/"))
    assert "Se déconnecter" not in page and "Se connecter" in page


def test_a_visitor_with_a_remember_me_cookie_is_never_served_a_kept_page(app, client, open_call, store,
                                                                         count_queries):
    client.get("/appels/")
    client.set_cookie("remember_token", "1|signature", domain="localhost")
    _, count = statements(count_queries, client, "/appels/")
    assert count > FROM_THE_CACHE


def test_a_page_made_for_a_request_with_cookies_is_not_kept(app, open_call, store, count_queries):
    with_cookie = app.test_client()
    with_cookie.set_cookie("session", "whatever", domain="localhost")
    with_cookie.get("/appels/")
    _, count = statements(count_queries, app.test_client(), "/appels/")
    assert count > FROM_THE_CACHE


# ---- Redis, shared by every worker and server --------------------------------------------------------------

def test_redis_keeps_the_page_for_every_worker(app, client, open_call, redis_store, count_queries, publish_call):
    rendered = client.get("/appels/")
    kept, count = statements(count_queries, app.test_client(), "/appels/")
    assert count == FROM_THE_CACHE and kept.data == rendered.data
    assert redis.Redis.from_url("redis://127.0.0.1:6379/2").dbsize() == 1
    publish_call("hebergement-urgence", title="Hébergement d'urgence des familles")
    assert "Hébergement d'urgence des familles" in text(client.get("/appels/"))


def test_redis_out_of_reach_only_costs_a_rendering(app, client, open_call):
    page_cache.use(app, page_store.RedisStore("redis://127.0.0.1:1/0"))
    try:
        assert client.get("/appels/").status_code == 200
        assert client.get("/appels/").status_code == 200
    finally:
        page_cache.use(app, None)


def test_an_entry_round_trips_through_its_encoding():
    entry = page_store.Entry(body=b"<p>\n</p>", headers=[("Content-Type", "text/html")], etag="abc",
                             rendered_at=dt.datetime(2025, 4, 15, tzinfo=dt.UTC).timestamp(), expires_at=1.0)
    assert page_store.Entry.decode(entry.encode()) == entry


def test_a_visitor_with_a_message_waiting_reads_it_on_a_page_made_for_her(client, open_call, store):
    client.get("/appels/")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Votre alerte est confirmée.")]
    page = client.get("/appels/")
    assert "Votre alerte est confirmée." in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Votre alerte est confirmée." not in text(client.get("/appels/"))


def test_a_visitor_who_opened_a_form_before_is_still_served_the_kept_page(client, open_call, store, count_queries):
    from tests.conftest import csrf_token

    client.get("/appels/")
    csrf_token(client)  # her session now holds a CSRF token, as after the sign-in page
    page, count = statements(count_queries, client, "/appels/")
    assert count == FROM_THE_CACHE and page.headers["Cache-Control"] == "private, max-age=60"
