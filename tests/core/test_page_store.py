"""Redis with each process's copy in front (core/page_store.LayeredStore, what PORTAL_PAGE_CACHE_URL=redis://… gives):
a page kept by one worker is read from Redis once by another, then from its memory; a publication still shows at
once; an entry ended in memory is asked of Redis again (issue 18)."""

from __future__ import annotations

import html

import pytest
import redis

from portal.core import page_cache, page_store, time

URL = "redis://127.0.0.1:6379/2"


@pytest.fixture
def workers(app):
    """Two processes' stores over the same Redis; the test says which one the application uses."""
    redis.Redis.from_url(URL).flushdb()
    first, second = page_store.store_for(URL), page_store.store_for(URL)
    yield first, second
    page_cache.use(app, None)
    redis.Redis.from_url(URL).flushdb()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_another_worker_reads_a_kept_page_from_redis_once_then_from_its_memory(app, client, open_call, workers,
                                                                             monkeypatch):
    first, second = workers
    assert isinstance(first, page_store.LayeredStore)
    page_cache.use(app, first)
    rendered = client.get("/appels/")
    page_cache.use(app, second)
    read_from_redis = []
    far_get = second.far.get
    monkeypatch.setattr(second.far, "get", lambda key: read_from_redis.append(key) or far_get(key))
    assert client.get("/appels/").data == rendered.data
    assert client.get("/appels/").data == rendered.data
    assert len(read_from_redis) == 1


def test_a_publication_shows_at_once_through_both_layers(app, client, open_call, workers, publish_call):
    first, _second = workers
    page_cache.use(app, first)
    assert "Hébergement d'urgence" not in text(client.get("/appels/"))
    publish_call("hebergement-urgence", title="Hébergement d'urgence des familles")
    assert "Hébergement d'urgence des familles" in text(client.get("/appels/"))


def test_an_entry_ended_in_memory_is_asked_of_redis_again(workers):
    store, _second = workers
    now = time.now().timestamp()
    ended = page_store.Entry(body=b"old", headers=[], etag="a", rendered_at=now - 120, expires_at=now - 60)
    newer = page_store.Entry(body=b"new", headers=[], etag="b", rendered_at=now - 1, expires_at=now + 60)
    store.near.put("page", ended, 0)
    store.far.put("page", newer, 60)
    assert store.get("page").body == b"new"
    assert store.near.get("page").body == b"new"
