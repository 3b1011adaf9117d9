"""The instance's health, as the administrator's « État de l'instance » shows it: the outbox (waiting, failing,
given up), the antivirus (configured, answering), the storage (used and free) and the last backup. Each figure is
read by one bounded statement (or one short system call) and nothing is written: the panel is a GET.

Core knows no domain's tables: the stored files are found by the storage's convention (a `storage_key` column,
with its `size` and, where files are scanned, its `scan_status`), as storage_gc and backup find them."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from portal.core import backup
from portal.core.audit import AuditEvent
from portal.core.db import Base
from portal.core.formatting import number_fr, size_fr
from portal.core.mail import MAX_ATTEMPTS, OutboxMessage
from portal.core.scanner import ClamdScanner
from portal.core.time import now
from portal.extensions import db

# A backup runs daily (docs/deploy.md, section 8): past a day and two hours, one was missed.
BACKUP_STALE = dt.timedelta(hours=26)
PING_TIMEOUT = 2.0  # seconds: the page waits no longer for an antivirus that hangs


@dataclass(frozen=True)
class Outbox:
    waiting: int  # not sent, still to be tried
    failing: int  # of those, the ones whose last attempt failed
    abandoned: int  # not sent, given up after MAX_ATTEMPTS
    oldest_waiting_at: dt.datetime | None

    @property
    def alert(self) -> bool:
        return self.failing > 0 or self.abandoned > 0


@dataclass(frozen=True)
class Antivirus:
    configured: bool
    answers: bool | None  # None when not configured
    pending: int
    infected: int
    failed: int

    @property
    def alert(self) -> bool:
        return self.answers is False or self.infected > 0 or self.failed > 0

    @property
    def summary(self) -> str:
        if not self.configured:
            return "non configuré : les fichiers sont enregistrés « non analysé »"
        if self.answers:
            return "configuré, répond"
        return "configuré mais ne répond pas : les fichiers déposés ne peuvent pas être analysés"


@dataclass(frozen=True)
class Storage:
    files: int
    bytes: int
    free_bytes: int | None  # None when the volume cannot be read
    total_bytes: int | None


@dataclass(frozen=True)
class LastBackup:
    at: dt.datetime | None
    folder: str | None
    checked_at: dt.datetime

    @property
    def age(self) -> dt.timedelta | None:
        return None if self.at is None else self.checked_at - self.at

    @property
    def alert(self) -> bool:
        return self.at is None or self.age > BACKUP_STALE


@dataclass(frozen=True)
class Health:
    checked_at: dt.datetime
    outbox: Outbox
    antivirus: Antivirus
    storage: Storage
    backup: LastBackup


def report() -> Health:
    """Everything the panel shows, in one call."""
    return Health(checked_at=now(), outbox=outbox(), antivirus=antivirus(), storage=storage_used(),
                  backup=last_backup())


def outbox() -> Outbox:
    unsent = OutboxMessage.sent_at.is_(None)
    trying = sa.and_(unsent, OutboxMessage.attempts < MAX_ATTEMPTS)
    row = db.session.execute(sa.select(
        sa.func.count().filter(trying),
        sa.func.count().filter(sa.and_(trying, OutboxMessage.attempts > 0)),
        sa.func.count().filter(sa.and_(unsent, OutboxMessage.attempts >= MAX_ATTEMPTS)),
        sa.func.min(OutboxMessage.created_at).filter(trying),
    ).select_from(OutboxMessage)).one()
    return Outbox(waiting=row[0], failing=row[1], abandoned=row[2], oldest_waiting_at=row[3])


def unsent_messages(state: str, limit: int = 100) -> list[OutboxMessage]:
    """The outbox page's filters, as `outbox()` counts them: « attente » (still to be tried), « echec » (the last
    attempt failed, to be tried again), « abandon » (given up); oldest first, the next to go."""
    unsent = OutboxMessage.sent_at.is_(None)
    condition = {"attente": sa.and_(unsent, OutboxMessage.attempts < MAX_ATTEMPTS),
                 "echec": sa.and_(unsent, OutboxMessage.attempts > 0, OutboxMessage.attempts < MAX_ATTEMPTS),
                 "abandon": sa.and_(unsent, OutboxMessage.attempts >= MAX_ATTEMPTS)}[state]
    return list(db.session.scalars(sa.select(OutboxMessage).where(condition).order_by(OutboxMessage.id).limit(limit)))


def _stored_tables(*columns: str) -> list[sa.Table]:
    return [table for table in Base.metadata.sorted_tables
            if "storage_key" in table.c and all(name in table.c for name in columns)]


def _scan_counts() -> dict[str, int]:
    tables = _stored_tables("scan_status")
    if not tables:
        return {}
    statuses = sa.union_all(*(sa.select(table.c.scan_status.label("status")) for table in tables)).subquery()
    return dict(db.session.execute(sa.select(statuses.c.status, sa.func.count()).group_by(statuses.c.status)).all())


def antivirus() -> Antivirus:
    url = current_app.config.get("CLAMD_URL")
    answers = None
    if url:
        try:
            answers = ClamdScanner(url, timeout=PING_TIMEOUT).ping()
        except ValueError:  # an address clamd cannot have: it cannot answer either
            answers = False
    counts = _scan_counts()
    return Antivirus(configured=bool(url), answers=answers, pending=counts.get("pending", 0),
                     infected=counts.get("infected", 0), failed=counts.get("failed", 0))


def storage_used() -> Storage:
    tables = _stored_tables("size")
    files = size = 0
    if tables:
        # UNION, not UNION ALL: a file two rows name (none today) is stored, and counted, once.
        sizes = sa.union(*(sa.select(table.c.storage_key.label("key"), table.c.size.label("size"))
                           for table in tables)).subquery()
        files, size = db.session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sizes.c.size), 0))).one()
    free = total = None
    folder = Path(current_app.config["UPLOAD_DIR"])
    while not folder.exists() and folder != folder.parent:  # not created before the first upload
        folder = folder.parent
    try:
        usage = shutil.disk_usage(folder)
        free, total = usage.free, usage.total
    except OSError:
        pass  # shown as unknown: the panel still answers
    return Storage(files=files, bytes=int(size), free_bytes=free, total_bytes=total)


def last_backup() -> LastBackup:
    """The last backup `portal backup` made and verified (it records one audit entry, backup.DONE)."""
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == backup.DONE)
                               .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)).first()
    return LastBackup(at=event.at if event else None, folder=(event.details or {}).get("folder") if event else None,
                      checked_at=now())


def duration_fr(delta: dt.timedelta) -> str:
    """An age in the largest unit that says it: « moins d'une minute », « 12 min », « 3 h », « 2 jours »."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "moins d'une minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} jours"


def volume_fr(size: int) -> str:
    """A volume as the panel writes it: size_fr's units, then « 12,3 Go » past a gigabyte (1 Go = 1 024 Mo)."""
    if size < 1024 ** 3:
        return size_fr(size)
    return f"{number_fr(round(size / 1024 ** 3, 1))} Go"
