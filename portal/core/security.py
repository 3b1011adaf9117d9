"""Security headers on every response, what caches may keep, and the visitor's real address behind a proxy."""

from __future__ import annotations

from flask import Flask, Response, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=63072000"  # two years, as docs/deploy.md's nginx; without includeSubDomains: other sites of the body
_PUBLIC = "security.public_blueprints"

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def public_blueprints(app: Flask, *names: str) -> None:
    """Name the blueprints whose pages are the same for every visitor (catalogue, feeds, open data): caches may
    keep those, for visitors who are not signed in. Every other page is private by default."""
    app.extensions.setdefault(_PUBLIC, set()).update(names)


def _cacheable(app: Flask) -> bool:
    if request.endpoint == "static":
        return True
    # The session tells whether someone is signed in without a database query (the 503 page has none to make).
    return request.blueprint in app.extensions.get(_PUBLIC, ()) and "_user_id" not in session


def add_headers(app: Flask, response: Response, cacheable: bool) -> None:
    """The headers every answer carries; `cacheable` False makes it « no-store »."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if not cacheable:
        # Pages behind sign-in, exports and files, and the forms that carry a personal token (ASVS 8.2.1).
        response.headers["Cache-Control"] = "no-store"


def register(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        add_headers(app, response, _cacheable(app))
        return response


def trust_proxies(app: Flask) -> None:
    """Read the visitor's address and scheme from the proxies' headers: called last, so that this layer is the
    outermost and every other (the page cache's answer before Flask included) sees the fixed request."""
    if app.config.get("PROXY_COUNT"):
        # Only the last PROXY_COUNT entries are the proxies' own: earlier ones are whatever the client sent.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
