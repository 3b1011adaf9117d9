"""The follow-up of an award (issue 17): the convention drafted from the call and the decision, its versions and
amendments with their signed copies, the issuer's convention template, the payment tranches (« échéancier ») and
the reports on the call's indicators, with their files."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, check_in
from portal.core.scan_status import ScanStatus
from portal.core.stored_files import StoredFileColumns
from portal.followup.states import (
    ConventionState,
    ReportKind,
    ReportState,
    SignatureSide,
    TrancheState,
    Trigger,
    VersionKind,
)


class ConventionTemplate(Base):
    """An issuer's convention, in Markdown with placeholders filled from the call and the decision."""

    __tablename__ = "convention_templates"

    issuer: Mapped[str] = mapped_column(String(200), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Convention(Base):
    """The convention of one selected application (one per application; amendments are new versions)."""

    __tablename__ = "conventions"
    __table_args__ = (check_in("state", ConventionState, name="state"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)  # CONV-2025-0001
    state: Mapped[ConventionState] = mapped_column(String(14), default=ConventionState.DRAFT)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # the maximum granted, as the current version says
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    organisation_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    issuer_signed_on: Mapped[dt.date | None] = mapped_column(Date)  # the convention's date (SCDL dateConvention)
    in_force_on: Mapped[dt.date | None] = mapped_column(Date)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # last reminder while unsigned
    # The names of the call's territories the convention's work covers (indicators per territory); none: not known.
    territories: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    versions: Mapped[list[ConventionVersion]] = relationship(
        back_populates="convention", order_by="ConventionVersion.number", cascade="all, delete-orphan")
    tranches: Mapped[list[Tranche]] = relationship(
        back_populates="convention", order_by="Tranche.position", cascade="all, delete-orphan")
    reports: Mapped[list[Report]] = relationship(
        back_populates="convention", order_by="Report.due_on", cascade="all, delete-orphan")


class ConventionVersion(Base):
    """The text of the convention as drafted (version 1) or amended (« avenant »), with what changed."""

    __tablename__ = "convention_versions"
    __table_args__ = (UniqueConstraint("convention_id", "number"), check_in("kind", VersionKind, name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[VersionKind] = mapped_column(String(10), default=VersionKind.INITIAL)
    text: Mapped[str] = mapped_column(Text)  # Markdown, placeholders filled
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    changes: Mapped[list | None] = mapped_column(JSON)  # for an amendment: [{label, before, after}] in French
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    convention: Mapped[Convention] = relationship(back_populates="versions")
    signed_copies: Mapped[list[SignedCopy]] = relationship(back_populates="version", order_by="SignedCopy.uploaded_at")


class SignedCopy(StoredFileColumns, Base):
    """A signed copy of a version (scan or signed PDF), uploaded by one side, checked like every upload."""

    __tablename__ = "convention_signed_copies"
    __table_args__ = (check_in("side", SignatureSide, name="side"), check_in("scan_status", ScanStatus, name="scan_status"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version_id: Mapped[int] = mapped_column(ForeignKey("convention_versions.id"), index=True)
    side: Mapped[SignatureSide] = mapped_column(String(12))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    version: Mapped[ConventionVersion] = relationship(back_populates="signed_copies")


class Tranche(Base):
    """One payment of the schedule: a share or an amount, its trigger, and its way from due to paid."""

    __tablename__ = "payment_tranches"
    __table_args__ = (UniqueConstraint("convention_id", "position"), check_in("trigger", Trigger, name="trigger"),
                      check_in("state", TrancheState, name="state"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))  # « Avance », « Solde annuel »
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # a share of the convention's amount, or
    planned_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # an amount (the balance: computed)
    trigger: Mapped[Trigger] = mapped_column(String(10))
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # for a date trigger
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"))  # for a report trigger
    state: Mapped[TrancheState] = mapped_column(String(10), default=TrancheState.PLANNED)
    amount_due: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # fixed when it becomes due (computation)
    computation: Mapped[list | None] = mapped_column(JSON)  # the lines that give amount_due, in French
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    certified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    certified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    certified_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    commitment_ref: Mapped[str | None] = mapped_column(String(60))  # finance's « engagement » number
    payment_ref: Mapped[str | None] = mapped_column(String(60))  # finance's « mandat » number
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    paid_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    convention: Mapped[Convention] = relationship(back_populates="tranches")


class Report(Base):
    """A report due under the convention: built from the call's indicators (or the Cerfa n°15059 for the financial
    one), filed by the organisation, reviewed by the service."""

    __tablename__ = "reports"
    __table_args__ = (check_in("kind", ReportKind, name="kind"), check_in("state", ReportState, name="state"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    convention_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conventions.id"), index=True)
    kind: Mapped[ReportKind] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200))  # « Bilan final », « Compte rendu financier 2025 »
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    # The organisation may ask for a new date; the service grants it (due_on moves) or not.
    extension_asked_on: Mapped[dt.date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[ReportState] = mapped_column(String(12), default=ReportState.EXPECTED)
    indicator_values: Mapped[dict | None] = mapped_column(JSON)  # {indicator index or key: "12"}
    quantities: Mapped[dict | None] = mapped_column(JSON)  # unit-price lines: {unit cost label: "40"}
    qualitative: Mapped[str | None] = mapped_column(Text)  # the qualitative analysis
    budget_actual: Mapped[dict | None] = mapped_column(JSON)  # Cerfa 15059: {budget line: "1234.00"}
    gap_explanations: Mapped[dict | None] = mapped_column(JSON)  # {budget line: "why"} above the threshold
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    completion_asked: Mapped[str | None] = mapped_column(Text)  # what the service asked to complete
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reminded_before_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_after_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    convention: Mapped[Convention] = relationship(back_populates="reports")
    files: Mapped[list[ReportFile]] = relationship(back_populates="report", order_by="ReportFile.uploaded_at")


class ReportFile(StoredFileColumns, Base):
    """A document filed with a report (activity report, accounts), checked like every upload."""

    __tablename__ = "report_files"
    __table_args__ = (check_in("scan_status", ScanStatus, name="scan_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"), index=True)
    slot: Mapped[str] = mapped_column(String(60))  # « rapport-activite », « comptes »
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    report: Mapped[Report] = relationship(back_populates="files")
