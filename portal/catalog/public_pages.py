"""What the rendered-page cache (core.page_cache) needs from the catalogue: which pages are the same for every
visitor who is not signed in, and the state that says whether a stored page is still right — the catalogue's
version, which every publication, update or withdrawal changes, and its next status change."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from portal.catalog import status_changes
from portal.catalog.authoring_models import CallAttachment
from portal.catalog.models import Call, CallRevision, CallTag, Window
from portal.core import page_cache
from portal.extensions import db

# The catalogue (default list, archives, searches, filters), a call's page, the API, the feeds and the open data.
PUBLIC_ENDPOINTS = ("catalog.index", "catalog.detail", "api.calls", "api.call", "api.openapi_description",
                    "feeds.atom", "feeds.calendar_all", "feeds.calendar_one", "opendata.as_csv", "opendata.as_json")


def _version_columns():
    """Aggregates that every write to the published catalogue moves, each read from an index: a publication adds a
    call (its id is the highest) and a revision, an update adds a revision and moves updated_at, a withdrawal
    lowers the count of calls, a document published with a call (added or removed) the count of documents.
    A call file renamed with nothing else changed (services.publish, « unchanged ») moves none of them: its kept
    pages end with PAGE_CACHE_SECONDS.

    Why the database and not a counter bumped in Redis or in the process: publications come from gunicorn's
    workers (the editor) and from other processes (`portal calls sync`, `portal calls publish-due` run by cron),
    so a counter in one process is never seen by the others, and one bumped in Redis before the commit could let
    a worker store the old page under the new number. The database is shared by every worker and server, and a
    worker only ever sees committed rows: its version and the page it renders always agree."""
    aggregates = [func.count(Call.id), func.max(Call.id), func.max(Call.updated_at), func.max(CallRevision.id),
                  func.count(CallAttachment.id)]
    return [select(aggregate).scalar_subquery() for aggregate in aggregates]


_VERSION = _version_columns()
_STATEMENT = select(*_VERSION, *status_changes.change_columns())


def state(moment: dt.datetime) -> tuple[str, dt.datetime | None]:
    """The catalogue's version and its next status change after `moment`, in one statement."""
    # Core execution on the session's connection: the ORM's execute costs more than the statement itself here, and this
    # runs on every public request, a page from the cache included.
    row = db.session.connection().execute(_STATEMENT, status_changes.parameters(moment)).one()
    versions, changes = row[:len(_VERSION)], row[len(_VERSION):]
    return "|".join(str(value) for value in versions), status_changes.earliest(*changes, moment)


# What a publication, an update or a withdrawal writes: a flush touching one of them changes the public pages.
_PUBLISHED = (Call, CallRevision, CallAttachment, Window, CallTag)
_CHANGED = "catalog.public_pages.changed"


def forget_on_commit(app: Flask) -> None:
    """A change to the catalogue committed by this process shows at once on its kept pages (the state it holds,
    core.held_state, is dropped); other processes see it within PAGE_CACHE_STATE_SECONDS."""
    if not event.contains(Session, "after_flush", _note_change):  # once, whatever the number of applications
        event.listen(Session, "after_flush", _note_change)
        event.listen(Session, "after_commit", _forget_if_changed)


def _note_change(session: Session, _context) -> None:
    if any(isinstance(row, _PUBLISHED) for rows in (session.new, session.dirty, session.deleted) for row in rows):
        session.info[_CHANGED] = True


def _forget_if_changed(session: Session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        page_cache.forget_state(current_app)
