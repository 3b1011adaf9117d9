"""Conditional requests and freshness for the public pages: ETag, Last-Modified, 304, and a max-age that never
outlives the next change (RFC 9110 §13 and RFC 9111)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from flask import Request, Response
from werkzeug.http import http_date, is_resource_modified


def etag_of(body: bytes) -> str:
    """A strong validator: the digest of the exact bytes, so that two workers rendering the same page agree."""
    return hashlib.sha256(body).hexdigest()[:32]


def seconds_until(instant: dt.datetime | None, moment: dt.datetime, cap: int) -> int:
    """Whole seconds a copy may be kept from `moment`: at most `cap`, never past `instant` (rounded down, so a
    page about to change at 00:00:00 is given 0 at 23:59:59.5)."""
    if instant is None:
        return cap
    return max(0, min(cap, math.floor((instant - moment).total_seconds())))


def mark_public(response: Response, etag: str, last_modified: dt.datetime, max_age: int, shared: bool) -> None:
    """Headers of a page that is the same for every visitor who is not signed in. `shared` is False when the
    request carried a cookie: its answer may come with a Set-Cookie that no proxy must keep."""
    response.set_etag(etag)
    response.headers["Last-Modified"] = http_date(last_modified.replace(microsecond=0))
    response.headers["Cache-Control"] = f"{'public' if shared else 'private'}, max-age={max_age}"
    # A proxy keeps the copy for requests without the visitor's cookie only: a signed-in person never gets it.
    response.vary.add("Cookie")


# The headers werkzeug's is_resource_modified reads (If-Range is ignored): without any, an answer is never a 304.
_CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH")


def is_conditional(environ: dict) -> bool:
    """Whether the request says which copy it holds: only such a request may be answered 304."""
    return any(name in environ for name in _CONDITIONS)


def answer_conditionally(request: Request, response: Response) -> Response:
    """304 with an empty body when the visitor's copy is still this one (If-None-Match wins over
    If-Modified-Since, werkzeug follows RFC 9110 §13.2.2); the response itself otherwise."""
    if request.method not in ("GET", "HEAD") or not is_conditional(request.environ):
        return response
    etag, _weak = response.get_etag()
    if is_resource_modified(request.environ, etag=etag, last_modified=response.headers.get("Last-Modified")):
        return response
    response.status_code = 304
    response.set_data(b"")
    # A 304 says nothing of the body (RFC 9110 §15.4.5): no Content-Length or Content-Disposition of its own.
    for header in ("Content-Length", "Content-Disposition", "Content-Type"):
        response.headers.pop(header, None)
    return response
