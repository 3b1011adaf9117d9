"""The columns of a file kept in the upload store after core.uploads.store_checked passed it — a message's
attachment, a call's attachment, a convention's signed copy, a report's document alike: one definition, so that a
new kind of stored file gets the same generated key, hash, size, checked format, cleaned name and scan result."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.scan_status import ScanStatus


class StoredFileColumns:
    """Mixed into a model; its table keeps `check_in("scan_status", ScanStatus, name="scan_status")` in its own
    __table_args__ (a mixin cannot name the table's constraint for it)."""

    storage_key: Mapped[str] = mapped_column(String(64), unique=True)  # generated: never the uploaded name
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10))  # as its content says (core.files), not its extension
    original_name: Mapped[str] = mapped_column(String(255))  # cleaned, offered back on download
    scan_status: Mapped[ScanStatus] = mapped_column(String(12), default=ScanStatus.PENDING)
    scan_signature: Mapped[str | None] = mapped_column(String(200))  # the virus clamd named, if any
