"""An organisation's application to one window of a call: its working draft, its files, the frozen versions it
submitted (each with a receipt), the partners of a grouped application and the staff's requests for pieces."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.applications import cerfa
from portal.applications.states import (
    ApplicationStatus,
    Channel,
    MessageSide,
    PartnerState,
    PieceRequestState,
    ScanStatus,
    VersionKind,
)
from portal.catalog.models import Call, Window
from portal.core.db import Base, UTCDateTime, check_in
from portal.core.stored_files import StoredFileColumns


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        # One application per organisation and window: a second "Candidater" leads to the existing one.
        UniqueConstraint("window_id", "organisation_id"),
        check_in("status", ApplicationStatus, name="status"),
        check_in("channel", Channel, name="channel"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("call_windows.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(String(12), default=ApplicationStatus.DRAFT)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)  # AAP-2025-0042, given at first deposit
    # The working copy every member edits; versions freeze it. Raw strings as typed, so nothing is ever lost.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped on each save: tells of concurrent edits
    has_pending_changes: Mapped[bool] = mapped_column(default=False)  # edits since the last version
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_name: Mapped[str | None] = mapped_column(String(200))  # kept if the account is deleted
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    # Set when the selection committee starts reviewing: from then on nothing of the file changes.
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A file sent by post or e-mail is registered by a call manager (registration.py): how it came, the date of
    # the postmark or of receipt (« le cachet de la poste faisant foi ») and who registered it.
    channel: Mapped[Channel] = mapped_column(String(8), default=Channel.ONLINE, server_default=Channel.ONLINE.value)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    call: Mapped[Call] = relationship()
    window: Mapped[Window] = relationship()
    versions: Mapped[list[Version]] = relationship(back_populates="application", order_by="Version.number")
    files: Mapped[list[ApplicationFile]] = relationship(back_populates="application",
                                                        order_by="ApplicationFile.uploaded_at")
    partners: Mapped[list[Partner]] = relationship(back_populates="application", order_by="Partner.invited_at")
    piece_requests: Mapped[list[PieceRequest]] = relationship(back_populates="application",
                                                              order_by="PieceRequest.requested_at")

    @property
    def status_label(self) -> str:
        return ApplicationStatus(self.status).label

    @hybrid_property
    def is_deposited(self) -> bool:
        """Deposited and not withdrawn: what the service instructs and the committee reviews. The one definition,
        in Python and in SQL (`select(Application).where(Application.is_deposited)`). A withdrawn application was
        deposited (it keeps its number and versions, staff still read it) but leaves every list of the selection."""
        return self.status == ApplicationStatus.SUBMITTED

    @property
    def is_draft(self) -> bool:
        """Never deposited."""
        return self.status == ApplicationStatus.DRAFT

    @property
    def is_withdrawn(self) -> bool:
        return self.status == ApplicationStatus.WITHDRAWN

    @hybrid_property
    def ever_deposited(self) -> bool:
        """Deposited at least once, withdrawn since or not: it has a number, versions and receipts; staff read it."""
        return self.number is not None

    @ever_deposited.inplace.expression
    @classmethod
    def _ever_deposited_expression(cls):
        return cls.number.is_not(None)

    @property
    def latest_version(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    @property
    def current_files(self) -> list[ApplicationFile]:
        return [f for f in self.files if f.removed_at is None]


class ApplicationFile(Base):
    """An uploaded file. Rows are never edited: removing a file from the draft only dates its removal, because
    a submitted version may still refer to it."""

    __tablename__ = "application_files"
    __table_args__ = (check_in("scan_status", ScanStatus, name="scan_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    slot: Mapped[str] = mapped_column(String(60))  # the key of the call's required document
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))  # lead or partner
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10))
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    vault_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("vault_documents.id", ondelete="SET NULL"))  # copied from the vault
    piece_request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("piece_requests.id"))
    scan_status: Mapped[ScanStatus] = mapped_column(String(12), default=ScanStatus.PENDING)
    scan_signature: Mapped[str | None] = mapped_column(String(200))
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="files")

    @property
    def scan_label(self) -> str:
        return ScanStatus(self.scan_status).label

    @property
    def is_blocked(self) -> bool:
        return ScanStatus(self.scan_status).is_blocked


class Version(Base):
    """A submitted, immutable snapshot of the answers and of every file's hash."""

    __tablename__ = "application_versions"
    __table_args__ = (UniqueConstraint("application_id", "number"), check_in("reason", VersionKind, name="reason"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[VersionKind] = mapped_column(String(20))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_by_name: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict] = mapped_column(JSON)
    # The secret in the receipt's verification link: whoever holds the receipt can check it, nobody can guess it.
    verification_code: Mapped[str] = mapped_column(String(40), unique=True)

    application: Mapped[Application] = relationship(back_populates="versions")
    files: Mapped[list[VersionFile]] = relationship(back_populates="version", order_by="VersionFile.position",
                                                    cascade="all, delete-orphan")

    @property
    def reason_label(self) -> str:
        return VersionKind(self.reason).label

    # The typed reads other domains need of a deposited version: nobody outside this domain reads `snapshot`.
    @property
    def answers(self) -> dict:
        """The answers as deposited, raw strings as typed."""
        return self.snapshot.get("answers") or {}

    @property
    def amount_requested(self) -> Decimal | None:
        """Cerfa 12156, « montant de la subvention demandée », as deposited; None when absent or not an amount
        (the deposit checks refuse it; an old version may still hold one)."""
        try:
            return cerfa.parse_amount((self.answers.get("cerfa") or {}).get("amount_requested"))
        except ValueError:
            return None

    @property
    def budget_totals(self) -> cerfa.Totals:
        return cerfa.totals_of(self.answers)

    @property
    def file_ids(self) -> set[uuid.UUID]:
        """The application files this version froze: what staff and the committee may download of it."""
        return {f.application_file_id for f in self.files if f.application_file_id is not None}


class VersionFile(Base):
    """One file as a version froze it: its name, size and SHA-256 at the deposit, whatever the draft does since.
    The snapshot keeps the same list as the receipt stated it; these rows are what pages and queries read."""

    __tablename__ = "version_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application_versions.id"), index=True)
    application_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("application_files.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the order the receipt lists them in
    slot: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(10))

    version: Mapped[Version] = relationship(back_populates="files")

    def entry(self) -> dict:
        """As the snapshot lists it."""
        return {"id": str(self.application_file_id), "slot": self.slot, "name": self.name, "size": self.size,
                "sha256": self.sha256, "format": self.format}


class Partner(Base):
    """A partner organisation of a grouped application, invited by e-mail; it views the file and adds documents."""

    __tablename__ = "application_partners"
    __table_args__ = (UniqueConstraint("application_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(250))  # as the lead organisation names it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="partners")

    @property
    def state(self) -> PartnerState:
        return PartnerState.INVITED if self.accepted_at is None else PartnerState.ACCEPTED


class PieceRequest(Base):
    """After closing, a call manager asks one application for missing or corrected pieces by a due date."""

    __tablename__ = "piece_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    slots: Mapped[list] = mapped_column(JSON)  # keys of the call's documents the applicant may upload again
    message: Mapped[str] = mapped_column(Text)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # 23:59:59 Paris time on the due day
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="piece_requests")

    def state_at(self, moment: dt.datetime) -> PieceRequestState:
        if self.answered_at is not None:
            return PieceRequestState.ANSWERED
        return PieceRequestState.OPEN if moment < self.due_at + dt.timedelta(seconds=1) else PieceRequestState.LAPSED

    def is_open_at(self, moment: dt.datetime) -> bool:
        return self.state_at(moment) == PieceRequestState.OPEN


class Message(Base):
    """One message of an application's thread, between the applying organisation's members and the call's staff
    (messages.py). Never edited nor deleted once sent: a correction is a new message. Only the sharing with the
    call's reviewers, decided by a manager, is set afterwards."""

    __tablename__ = "application_messages"
    __table_args__ = (check_in("side", MessageSide, name="side"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    side: Mapped[MessageSide] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200))  # kept if the account is deleted
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    shared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # shown to the call's reviewers since
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    attachments: Mapped[list[MessageAttachment]] = relationship(back_populates="message",
                                                                order_by="MessageAttachment.position")


class MessageAttachment(StoredFileColumns, Base):
    """A file sent with a message, checked like every upload (core.files) and stored under a generated name."""

    __tablename__ = "message_attachments"
    __table_args__ = (check_in("scan_status", ScanStatus, name="scan_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application_messages.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    message: Mapped[Message] = relationship(back_populates="attachments")


class MessageRead(Base):
    """Up to when a person has read an application's thread: the messages sent after are unread for her."""

    __tablename__ = "message_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    read_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class NumberCounter(Base):
    """The last application number given per prefix (« AAP-2025 »), incremented in the submitting transaction."""

    __tablename__ = "application_counters"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
