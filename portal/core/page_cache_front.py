"""The rendered-page cache's answer before Flask: a GET or HEAD that carries no cookie at all, for an address
kept under the current version, is answered from the store by this WSGI layer, without the routing, the session,
the request's hooks or a database connection (the state held, core.held_state). Every other request goes on to
Flask, whose before_request answers the visitors with a cookie but not signed in (core.page_cache).

Why it is safe: an entry is stored only from a request without any cookie, a 200 of a public endpoint that wrote
no session and set no cookie (page_cache._store); so a request without a cookie gets what it would have been
rendered, byte for byte, and the headers of each answer (validators, freshness, security headers) are made here as
Flask's hooks make them (tests/core/test_page_cache_front.py compares both)."""

from __future__ import annotations

from flask import Flask, Request

from portal.core import http_cache, outages, security, time


class Front:
    def __init__(self, app: Flask, settings, inner) -> None:
        self.app = app
        self.settings = settings
        self.inner = inner
        self.static = (app.static_url_path or "/static").rstrip("/") + "/"  # never kept: no look-up for them

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") in ("GET", "HEAD") and not environ.get("HTTP_COOKIE")
                and self.settings.store is not None and not environ.get("PATH_INFO", "").startswith(self.static)):
            req = Request(environ)
            kept = self._kept(req)
            if kept is not None:
                entry, moment = kept
                if req.method == "GET" and not http_cache.is_conditional(environ):
                    return self._prepared(req, entry, moment, start_response)
                return self._answer(req, entry, moment)(environ, start_response)
        return self.inner(environ, start_response)

    def _kept(self, req: Request):
        moment = time.now()
        state = self.settings.state.peek(moment)
        if state is None:
            try:
                with self.app.app_context():  # the statement needs the database; once per held period per process
                    state = self.settings.state(moment)
            except outages.DATABASE_UNAVAILABLE:
                return None  # Flask's own path meets the same fault and answers its French 503 page (core.outages)
        _pending, entry = self.settings.lookup(req, moment, *state)
        return None if entry is None else (entry, moment)

    def _answer(self, req: Request, entry, moment):
        response = self.settings.answer(req, entry, moment)
        security.add_headers(self.app, response, cacheable=True)
        return response

    def _prepared(self, req: Request, entry, moment, start_response):
        """A plain GET's 200: its status and headers depend on the entry and the max-age only, so they are made
        by the general answer once per entry and max-age, then sent as they are. Making them each time was most
        of a kept page's cost (about 190 of 230 µs), hence of the public pages' throughput and tail under load
        (docs/BENCHMARKS.md, issue 18)."""
        max_age = self.settings.max_age(entry, moment)
        prepared = entry.prepared
        if prepared is None or prepared[0] != max_age:
            response = self._answer(req, entry, moment)
            headers = response.get_wsgi_headers(req.environ).to_wsgi_list()
            prepared = entry.prepared = (max_age, response.status, headers)
        start_response(prepared[1], list(prepared[2]))
        return [entry.body]
