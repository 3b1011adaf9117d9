"""Calls written in the browser (issue 16): the Markdown file as the staff wrote it, each saved version, the files
published with it, and the issuer's publication setting. The file stays the format: what is published is what
`portal calls check` would read from the same text."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, check_in
from portal.core.scan_status import ScanStatus
from portal.core.stored_files import StoredFileColumns
from portal.extensions import db


class CallSource(db.Model):
    """The Markdown file of a call authored in the portal: private to its issuer's managers until published, then
    the source of the published call (Call.managed_by == portal)."""

    __tablename__ = "call_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)  # the file's name, without « .md »
    issuer: Mapped[str] = mapped_column(String(200), index=True)  # whose managers may see and edit it
    text: Mapped[str] = mapped_column(Text)  # the whole file, front-matter and body, as last saved
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), unique=True)
    publish_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # scheduled publication
    approval_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approval_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # by a second manager (IssuerSetting)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    revisions: Mapped[list[CallSourceRevision]] = relationship(
        back_populates="source", order_by="CallSourceRevision.number", cascade="all, delete-orphan")
    attachments: Mapped[list[CallAttachment]] = relationship(
        back_populates="source", order_by="CallAttachment.position", cascade="all, delete-orphan")


class CallSourceRevision(db.Model):
    """Every saved version of a call's file, with its author and time: any two can be compared."""

    __tablename__ = "call_source_revisions"
    __table_args__ = (UniqueConstraint("source_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("call_sources.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200))  # kept if the account is deleted
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    source: Mapped[CallSource] = relationship(back_populates="revisions")


class CallAttachment(StoredFileColumns, db.Model):
    """A file published with a call (signed notice, budget template, model of the descriptive note, annex),
    checked like every upload and stored under a generated name."""

    __tablename__ = "call_attachments"
    __table_args__ = (check_in("scan_status", ScanStatus, name="scan_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    source_id: Mapped[int] = mapped_column(ForeignKey("call_sources.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))  # « Avis d'appel signé », as the page lists it
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    source: Mapped[CallSource] = relationship(back_populates="attachments")


class IssuerSetting(db.Model):
    """How an issuer publishes its calls: optionally, a second manager approves before publication."""

    __tablename__ = "issuer_settings"

    issuer: Mapped[str] = mapped_column(String(200), primary_key=True)
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
