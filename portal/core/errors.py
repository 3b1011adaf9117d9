"""The one refusal a person can meet: a use case or a permission says no, with its French reason.

Predicates `can_*` return None or a Refusal; services raise it; one handler answers it for every view: a refusal
that hides a file from someone outside it is a 404 page; refused on a form (POST), the person is sent back to the
page she came from with the reason at the top; refused on a page (GET), the page says why with its status. Either
way the request's transaction is rolled back (core.unit_of_work). A view that shows the reason beside a field
catches the refusal itself and renders the form again (422), using `field`; a view whose refusals always lead back
to one page says so once with `@refusals_go_to(...)`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, flash, g, redirect, render_template, request

from portal.core.text import safe_next
from portal.extensions import db


class Refusal(Exception):
    def __init__(self, message: str, *, field: str | None = None, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field the refusal concerns, if any
        self.status = status

    @classmethod
    def not_found(cls) -> Refusal:
        """Never say that a file exists to someone outside it."""
        return cls("Cette page n'existe pas ou vous n'y avez pas accès.", status=404)

    @classmethod
    def forbidden(cls, message: str) -> Refusal:
        return cls(message, status=403)


def came_from() -> str | None:
    """The page of this site the person submitted the form from, if the browser said so."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def refusals_go_to(page: Callable[..., str]):
    """Say, once above a view, where a refusal sends the person back: `page` receives the view's URL arguments and
    returns the address (« @refusals_go_to(lambda application_id: url_for(".show", application_id=application_id)) »).
    The one handler then flashes the reason and redirects there, instead of a try/flash/redirect in the view."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            g.refusal_page = page
            return view(*args, **kwargs)

        return wrapped

    return decorate


def register(app: Flask) -> None:
    @app.errorhandler(Refusal)
    def _refused(refusal: Refusal):
        db.session.rollback()
        if refusal.status == 404:
            return render_template("errors/404.html"), 404
        page = g.pop("refusal_page", None)
        if page is not None and request.method != "GET":  # a refused page read never sends back to itself
            flash(refusal.message, "error")
            return redirect(page(**(request.view_args or {})))
        back = came_from() if request.method != "GET" else None
        if back:
            flash(refusal.message, "error")
            return redirect(back, code=303)
        return render_template("errors/refusal.html", refusal=refusal), refusal.status
