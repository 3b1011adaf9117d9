"""A rendered-page cache for visitors who are not signed in: the public pages a domain names are kept, whole,
under their full address and the version of what they show, until the next instant their content changes by
itself (a window closing at 23:59:59 Paris is shown closed at 00:00:00). Redis keeps them for every worker and
server when PAGE_CACHE_URL says redis:// (each process holding those it read, core.page_store); a dict in each
process otherwise (memory://); « none » keeps nothing.

What may be stored, and served to whom:
- served only to a GET or HEAD (HEAD from the GET's entry) of a named endpoint by a visitor who is not signed in
  (no user in the session, no « remember me » cookie) and has no flash message waiting;
- stored only when that request carried no cookie at all (so nothing personal can have shaped the page), the page
  is a 200, the session was not written, no CSRF token was rendered and no cookie is set. Flask's
  `session.accessed` cannot be the test: base.html asks every time whether someone is signed in;
- the headers that belong to one response (security headers, rate-limit headers, Date, Set-Cookie) are added to
  each answer, never stored; there is no CSP nonce (core.security's CSP is static);
- a page whose template read the clock (`now_utc()`, the countdown's server instant) is kept PUBLIC_CACHE_SECONDS
  at most, so the instant it carries is never older than a browser's own copy may be.

The domain supplies `state(moment) -> (version, next_change)`: one statement saying what the pages show
(a publication changes it, so it is part of the key) and when they next change by themselves (the entry's end).
Each process holds that answer PAGE_CACHE_STATE_SECONDS (core.held_state): the next change is exact whatever the
holding, a change made in this process is seen at once, one made in another process within that time.

A request that carries no cookie at all is answered before Flask (core.page_cache_front): nothing of a visitor can
shape it, and the routing, the session and the hooks are what a kept page would otherwise cost."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, Request, Response, g, request, session

from portal.core import http_cache, time
from portal.core.held_state import HeldState
from portal.core.page_store import Entry, store_for

State = Callable[[dt.datetime], tuple[str, dt.datetime | None]]
_EXTENSION = "page_cache"
# Headers of one response, not of the page: recomputed or left out for each answer.
_PER_RESPONSE = {"content-length", "set-cookie", "vary", "etag", "last-modified", "cache-control", "date"}


@dataclass
class _Pending:
    key: str
    moment: dt.datetime
    next_change: dt.datetime | None
    hit: bool = False


def use(app: Flask, store) -> None:
    """Replace the application's store (tests: a fresh dict, or Redis)."""
    app.extensions[_EXTENSION].store = store


def forget_state(app: Flask) -> None:
    """What the pages show changed in this process (a publication committed): read the state again at once."""
    settings = app.extensions.get(_EXTENSION)
    if settings is not None:
        settings.state.forget()


class Settings:
    """What a kept page needs, shared by the answer before Flask (page_cache_front) and the one inside it."""

    def __init__(self, app: Flask, endpoints: Iterable[str], state: State) -> None:
        self.store = store_for(app.config["PAGE_CACHE_URL"])
        self.endpoints = frozenset(endpoints)
        self.state = HeldState(state, app.config["PAGE_CACHE_STATE_SECONDS"])
        self.fresh_for = app.config["PUBLIC_CACHE_SECONDS"]

    def lookup(self, req: Request, moment: dt.datetime, version: str,
               next_change: dt.datetime | None) -> tuple[_Pending, Entry | None]:
        """The entry kept for this address under this version, if it is still right at `moment`."""
        pending = _Pending(_key(version, req), moment, next_change)
        entry = self.store.get(pending.key) if self.store is not None else None
        if entry is None or entry.expires_at <= moment.timestamp():
            return pending, None
        pending.hit = True
        return pending, entry

    def max_age(self, entry: Entry, moment: dt.datetime) -> int:
        """How long a browser or proxy may keep the entry's answer from `moment`, in whole seconds."""
        return http_cache.seconds_until(_instant(entry.expires_at), moment, self.fresh_for)

    def answer(self, req: Request, entry: Entry, moment: dt.datetime) -> Response:
        response = Response(entry.body, status=200, headers=entry.headers)
        max_age = self.max_age(entry, moment)
        http_cache.mark_public(response, entry.etag, _instant(entry.rendered_at), max_age, not req.cookies)
        return http_cache.answer_conditionally(req, response)


def register(app: Flask, endpoints: Iterable[str], state: State) -> None:
    """Cache and answer conditionally the `endpoints` for visitors who are not signed in."""
    settings = app.extensions[_EXTENSION] = Settings(app, endpoints, state)
    fresh_for = settings.fresh_for
    keep_for = app.config["PAGE_CACHE_SECONDS"]
    remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")

    def clock_read_by_template() -> dt.datetime:
        g.page_read_clock = True
        return time.now()

    app.add_template_global(clock_read_by_template, "now_utc")  # replaces core.time's, noting the read

    @app.before_request
    def _serve_from_cache():
        if request.method not in ("GET", "HEAD") or request.endpoint not in settings.endpoints:
            return None
        # A signed-in person, or one about to be by her « remember me » cookie, or a message waiting: rendered.
        if "_user_id" in session or "_flashes" in session or remember_cookie in request.cookies:
            return None
        moment = time.now()
        g.page_cache, entry = settings.lookup(request, moment, *settings.state(moment))
        return None if entry is None else settings.answer(request, entry, moment)

    @app.after_request
    def _store(response: Response) -> Response:
        pending = g.pop("page_cache", None)
        if pending is None and request.endpoint in settings.endpoints:
            response.headers["Cache-Control"] = "no-store"  # made for one person: signed in, or a message shown
        if pending is None or pending.hit or response.status_code != 200:
            return response
        if session.modified or "csrf_token" in g or response.headers.get("Set-Cookie"):
            response.headers["Cache-Control"] = "no-store"  # this answer carries something of the visitor's own
            return response
        moment = pending.moment
        ends = [moment + dt.timedelta(seconds=keep_for)]
        ends += [pending.next_change] if pending.next_change else []
        ends += [moment + dt.timedelta(seconds=fresh_for)] if g.get("page_read_clock") else []
        max_age = http_cache.seconds_until(min(ends), moment, fresh_for)
        if response.is_streamed:
            # An export written row by row from the database grows with the archives: it is neither read into
            # memory nor kept. Its validator is what it is made of: the catalogue's version (in the key) and the
            # next status change, both known before the first row.
            etag = http_cache.etag_of(f"{pending.key}|{pending.next_change}".encode())
            http_cache.mark_public(response, etag, moment, max_age, not request.cookies)
            return http_cache.answer_conditionally(request, response)
        body = response.get_data()
        entry = Entry(body=body, headers=[(name, value) for name, value in response.headers.items()
                                          if name.lower() not in _PER_RESPONSE],
                      etag=http_cache.etag_of(body), rendered_at=moment.timestamp(),
                      expires_at=min(ends).timestamp())
        if settings.store is not None and not request.cookies:
            settings.store.put(pending.key, entry, entry.expires_at - moment.timestamp())
        http_cache.mark_public(response, entry.etag, moment, max_age, not request.cookies)
        return http_cache.answer_conditionally(request, response)

    from portal.core.page_cache_front import Front

    app.wsgi_app = Front(app, settings, app.wsgi_app)


def _key(version: str, req: Request) -> str:
    """The full address (scheme, host, path, query string sorted) and the accepted representation, under the
    version of what the pages show: a publication moves every page to new keys at once."""
    query = sorted(req.args.items(multi=True))
    parts = [version, req.scheme, req.host, req.path, json.dumps(query), req.headers.get("Accept", "")]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _instant(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)
