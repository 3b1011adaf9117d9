"""Fixtures of the page cache's tests (test_page_cache.py, test_page_cache_front.py)."""

from __future__ import annotations

import pytest

from portal.core import page_cache, page_store

WINDOW = [{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}]


@pytest.fixture
def store(app):
    """A fresh page cache in this process for the test, none after it."""
    kept = page_store.MemoryStore()
    page_cache.use(app, kept)
    yield kept
    page_cache.use(app, None)


@pytest.fixture
def open_call(publish_call, clock):
    """« equipes-mobiles », open from 1 April to 9 May 2025, published on 15 April at 10:00 (Paris)."""
    clock("2025-04-15 10:00:00")
    return publish_call(windows=WINDOW)
