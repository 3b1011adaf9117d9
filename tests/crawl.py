"""A breadth-first crawl of the portal through the test client, as a visitor clicking every link would: what each
response answered, who linked to it, and which GET requests wrote to the database."""

from __future__ import annotations

import contextlib
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from flask import got_request_exception
from sqlalchemy import event

from portal.extensions import db

ORIGIN = "http://localhost"
WRITES = ("INSERT", "UPDATE", "DELETE")
# Paths never followed: static files are served by the web server, not the application; signing out (a POST form
# today) would end the crawl's session half-way and hide the pages behind it.
NOT_FOLLOWED = ("/static/", "/compte/deconnexion")


@dataclass
class Visit:
    url: str
    linked_from: str
    status: int = 0
    error: str = ""  # the exception's last line, when the view raised
    cache_control: str = ""
    writes: list[str] = field(default_factory=list)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def same_origin(href: str, page: str) -> str | None:
    """The path and query a link leads to on this site, or None for mail, phone, fragments and other hosts."""
    if href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    target = urlsplit(urljoin(ORIGIN + page, href.strip()))
    if target.scheme not in ("http", "https") or f"{target.scheme}://{target.netloc}" != ORIGIN:
        return None
    if target.path.startswith(NOT_FOLLOWED):
        return None
    query = urlencode(sorted((k, v) for k, v in parse_qsl(target.query) if v))  # one spelling per filter set
    return target.path + (f"?{query}" if query else "")


class Crawler:
    """Visit every same-origin link from a start page. A link that differs from visited ones only by its query
    string is followed when it brings a parameter value not yet seen on that path: each sort key and each filter
    value is tried once, not every combination of them (the catalogue's and the rankings' would never end)."""

    def __init__(self, app, client, *, limit: int = 800) -> None:
        self.app, self.client, self.limit = app, client, limit
        self.visits: dict[str, Visit] = {}
        self.limit_reached = False
        self.left_out: Counter[str] = Counter()  # per path, the links whose parameter values were all tried
        self._seen: set[str] = set()
        self._parameters: dict[str, set[tuple[str, str]]] = {}
        self._current: Visit | None = None

    def crawl(self, start: str, also: list[tuple[str, str]] = ()) -> list[Visit]:
        """Follow the links from `start`; then visit the pages of `also` (url, why) that no link led to."""
        queue: deque[Visit] = deque()
        self._enqueue(queue, start, "(start)")
        with self._recording():
            self._follow(queue)
            for url, why in also:
                self._enqueue(queue, url, why)
            self._follow(queue)
        return list(self.visits.values())

    def _follow(self, queue: deque[Visit]) -> None:
        while queue:
            if len(self.visits) >= self.limit:
                self.limit_reached = True
                return
            visit = queue.popleft()
            self.visits[visit.url] = visit
            for url in self._get(visit):
                self._enqueue(queue, url, visit.url)

    def _enqueue(self, queue: deque[Visit], url: str, linked_from: str) -> None:
        if url in self._seen:
            return
        path, _, query = url.partition("?")
        if query:
            pairs, tried = set(parse_qsl(query)), self._parameters.setdefault(path, set())
            if pairs <= tried:
                self.left_out[path] += 1
                return
            tried |= pairs
        self._seen.add(url)
        queue.append(Visit(url, linked_from))

    def _get(self, visit: Visit) -> list[str]:
        """Fetch one page and return the links it offers (a redirect offers its Location)."""
        self._current = visit
        try:
            response = self.client.get(visit.url)
        except Exception as raised:  # an error handler that itself fails: the visitor would see a bare 500
            visit.status, visit.error = 500, visit.error or _last_line(raised)
            return []
        finally:
            self._current = None
        visit.status = response.status_code
        visit.cache_control = response.headers.get("Cache-Control", "")
        if 300 <= response.status_code < 400 and response.location:
            target = same_origin(response.location, visit.url)
            return [target] if target else []
        if response.mimetype != "text/html":
            return []
        page = response.get_data(as_text=True)
        return [url for href in links_of(page) if (url := same_origin(href, visit.url))]

    @contextlib.contextmanager
    def _recording(self):
        """Let errors reach the real 500 page (TESTING re-raises them) while keeping each one's cause, and note
        every statement that writes while a GET runs."""

        def on_exception(sender, exception, **extra):
            if self._current is not None:
                self._current.error = _last_line(exception)

        def on_statement(conn, cursor, statement, parameters, context, executemany):
            if self._current is not None and statement.lstrip().upper().startswith(WRITES):
                self._current.writes.append(" ".join(statement.split()))

        propagate = self.app.config.get("PROPAGATE_EXCEPTIONS")
        self.app.config["PROPAGATE_EXCEPTIONS"] = False
        got_request_exception.connect(on_exception, self.app)
        event.listen(db.engine, "before_cursor_execute", on_statement)
        try:
            yield
        finally:
            event.remove(db.engine, "before_cursor_execute", on_statement)
            got_request_exception.disconnect(on_exception, self.app)
            self.app.config["PROPAGATE_EXCEPTIONS"] = propagate


def _last_line(exception: BaseException) -> str:
    return traceback.format_exception_only(type(exception), exception)[-1].strip()
