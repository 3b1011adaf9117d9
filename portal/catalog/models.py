"""Published calls, their application windows, filter tags and revisions."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cached_property

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from portal.catalog.schema import CallSpec, Kind
from portal.core.db import UTCDateTime, check_in
from portal.core.formatting import date_fr
from portal.core.labels import Labelled, labelled
from portal.extensions import db


class Management(Labelled):
    """Where a call's file lives: in calls/, synced by `portal calls sync`, or written in the portal's editor."""

    FILE = "file"
    PORTAL = "portal"


MANAGEMENT_LABELS = labelled(Management, {Management.FILE: "géré par fichier (calls/)",
                                          Management.PORTAL: "rédigé dans le portail"})


class Call(db.Model):
    __tablename__ = "calls"
    __table_args__ = (check_in("managed_by", Management, name="managed_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)  # a facet of the catalogue, as issuer is
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(180))
    issuer: Mapped[str] = mapped_column(String(200), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # The instant after which the call is closed for good: its last window's closing, or, for a call without
    # windows, 23:59:59 Paris on its period's last day; NULL when it never closes. Filled at publication from the
    # file, so that « clôturé » is one indexed comparison (queries.py) and agrees with status.call_status.
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # A call synced from calls/ is managed by its file (the editor offers the file, read-only); one written in the
    # portal's editor has its CallSource (authoring_models.py).
    managed_by: Mapped[Management] = mapped_column(String(8), default=Management.FILE,
                                                   server_default=Management.FILE.value)
    # The long texts last: SQLite keeps a row's columns in this order and spills its texts onto overflow pages, so
    # that a column after them costs reading them all (migration b5d7f9a1c3e5).
    spec_json: Mapped[dict] = mapped_column(JSON)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Folded (lower-case, no accents) text, so that the search ignores accents and case on every database.
    search_text: Mapped[str] = mapped_column(Text)

    windows: Mapped[list[Window]] = relationship(back_populates="call", order_by="Window.closes_at",
                                                 cascade="all, delete-orphan")
    tags: Mapped[list[CallTag]] = relationship(cascade="all, delete-orphan")
    revisions: Mapped[list[CallRevision]] = relationship(order_by="CallRevision.number",
                                                         cascade="all, delete-orphan")

    @cached_property
    def spec(self) -> CallSpec:
        return CallSpec.model_validate(self.spec_json)

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    @property
    def latest_revision(self) -> CallRevision | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def was_updated(self) -> bool:
        return len(self.revisions) > 1


class Window(db.Model):
    """An application window; closes at 23:59:59 Paris time on its closing day."""

    __tablename__ = "call_windows"
    __table_args__ = (
        UniqueConstraint("call_id", "key"),
        CheckConstraint("opens_at IS NULL OR opens_at < closes_at", name="opens_before_closing"),
        # The status of a call at an instant reads its windows by call and closing or opening (queries.py); the
        # next status change of any call reads the next opening or closing of all (status_changes.py).
        Index("ix_call_windows_call_id_closes_at", "call_id", "closes_at"),
        Index("ix_call_windows_call_id_opens_at", "call_id", "opens_at"),
        Index("ix_call_windows_closes_at", "closes_at"),
        Index("ix_call_windows_opens_at", "opens_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str | None] = mapped_column(String(200))
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship(back_populates="windows")

    def is_open_at(self, moment: dt.datetime) -> bool:
        # closes_at is 23:59:59; the whole last second still counts (23:59:59.9 is on time, 00:00:00 is late).
        started = self.opens_at is None or self.opens_at <= moment
        return started and moment < self.closes_at + dt.timedelta(seconds=1)

    def has_closed_at(self, moment: dt.datetime) -> bool:
        return moment >= self.closes_at + dt.timedelta(seconds=1)

    @property
    def spec(self):
        return next(w for w in self.call.spec.windows if w.key == self.key)

    @property
    def display_label(self) -> str | None:
        """What a person reads for this window: nothing when the call has only one (its key, often « unique », is a
        name for the call files), else its label or, when the file gives none, its closing date — never the key."""
        if len(self.call.windows) <= 1:
            return None
        return self.label or f"Fenêtre clôturant le {date_fr(self.closes_at)}"

    @property
    def file_stem(self) -> str:
        """The start of a downloaded file's name: the call's slug, plus the key only when there are several windows."""
        return self.call.slug if len(self.call.windows) <= 1 else f"{self.call.slug}-{self.key}"


class CallTag(db.Model):
    """A filterable value of a call: carrier type, territory or theme."""

    __tablename__ = "call_tags"
    __table_args__ = (UniqueConstraint("call_id", "kind", "value"), Index("ix_call_tags_kind_value", "kind", "value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # carrier | territory | theme
    value: Mapped[str] = mapped_column(String(200))


class CallRevision(db.Model):
    """Each published version of a call file, with the list of what changed from the previous one."""

    __tablename__ = "call_revisions"
    __table_args__ = (UniqueConstraint("call_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    number: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    changes: Mapped[list] = mapped_column(JSON)  # French labels of the changed parts
    # What changed that matters to applicants, for the page's dated « modification de l'appel »: a list of
    # {"label", "before", "after"} in French (None for a revision before issue 16, or one that changes nothing).
    details: Mapped[list | None] = mapped_column(JSON)
    spec_json: Mapped[dict] = mapped_column(JSON)
    body_md: Mapped[str] = mapped_column(Text)


# The browser-authored calls' tables, registered with the same metadata wherever the calls are (migrations, tests).
from portal.catalog import authoring_models  # noqa: E402, F401
