"""Where the rendered-page cache (core.page_cache) keeps its pages: in the process (memory://), in Redis shared by
every worker and server (redis://…, with each process's copy in front), or nowhere (none)."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field

from portal.core import time

log = logging.getLogger(__name__)


@dataclass
class Entry:
    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    rendered_at: float  # POSIX seconds on core.time's clock
    expires_at: float
    # The status and WSGI headers of this entry's 200 answer for one max-age, made once by the general answer and
    # sent as they are while the max-age stays the same (page_cache_front.Front._prepared): never stored.
    prepared: tuple[int, str, list[tuple[str, str]]] | None = field(default=None, repr=False, compare=False)

    def encode(self) -> bytes:
        meta = {key: value for key, value in asdict(self).items() if key not in ("body", "prepared")}
        return json.dumps(meta).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> Entry:
        meta, _, body = raw.partition(b"\n")
        fields = json.loads(meta)
        return cls(body=body, headers=[tuple(pair) for pair in fields.pop("headers")], **fields)


class MemoryStore:
    """One process's entries, the oldest dropped first beyond `max_bytes`."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, entry: Entry, ttl: float) -> None:
        with self._lock:
            self._drop(key)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > self._max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)


class RedisStore:
    """Entries shared by every worker and server; Redis forgets each at its end (and under memory pressure).
    Redis out of reach is a cache miss and a log line, never an error page."""

    PREFIX = "portal:page:"

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> Entry | None:
        try:
            raw = self._redis.get(self.PREFIX + key)
        except Exception:  # noqa: BLE001 - any failure of the cache only costs a rendering
            log.warning("page cache: Redis unreachable, page rendered", exc_info=True)
            return None
        return Entry.decode(raw) if raw else None

    def put(self, key: str, entry: Entry, ttl: float) -> None:
        try:
            self._redis.set(self.PREFIX + key, entry.encode(), px=max(1, int(ttl * 1000)))
        except Exception:  # noqa: BLE001
            log.warning("page cache: Redis unreachable, page not kept", exc_info=True)


class LayeredStore:
    """Redis shared by every worker and server, with each process's own copy in front: a page is read from Redis
    once per process and version, then from memory, since a Redis round trip costs as much as the rest of a kept
    page's answer (docs/BENCHMARKS.md, issue 18). As right as Redis alone: an entry's key holds the catalogue's
    version and its end is checked at every answer (page_cache.Settings.lookup); an entry ended in memory is asked
    of Redis again, where another worker may have kept a newer one."""

    def __init__(self, near: MemoryStore, far: RedisStore) -> None:
        self.near = near
        self.far = far

    def get(self, key: str) -> Entry | None:
        entry = self.near.get(key)
        if entry is None or entry.expires_at <= time.now().timestamp():
            entry = self.far.get(key)
            if entry is not None:
                self.near.put(key, entry, entry.expires_at - time.now().timestamp())
        return entry

    def put(self, key: str, entry: Entry, ttl: float) -> None:
        self.near.put(key, entry, ttl)
        self.far.put(key, entry, ttl)


def store_for(url: str):
    """The store PAGE_CACHE_URL names: memory://, redis://host:6379/1, or none."""
    if url in ("", "none"):
        return None
    if url == "memory://":
        return MemoryStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return LayeredStore(MemoryStore(), RedisStore(url))
    raise ValueError(f"PORTAL_PAGE_CACHE_URL : « {url} » n'est ni memory://, ni redis://…, ni none")
