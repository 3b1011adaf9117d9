"""Garbage in the upload store: files no row refers to. A crash between writing a file and committing its row leaves
one, a crash while writing leaves a temporary `.part` file. Both are removed once older than a grace period, so an
upload still in flight (file written, row not yet committed, or still being written) is never touched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from portal.core import audit
from portal.core.storage import StoredEntry, storage
from portal.extensions import db

DEFAULT_GRACE = dt.timedelta(hours=1)


class Mismatch(Exception):
    """The database names none of the store's files: most likely the wrong database or the wrong store."""


@dataclass(frozen=True)
class Garbage:
    entries: list[StoredEntry]

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.entries)

    @property
    def temporaries(self) -> int:
        return sum(entry.temporary for entry in self.entries)


def referenced_files(connection: sa.Connection) -> dict[str, str | None]:
    """Every key a row names, with the SHA-256 its row recorded (None where the table keeps none). By convention
    (storage.py) a column called `storage_key` holds one: application files, vault documents, and any table added
    later that follows it — core knows no domain's tables. The tables are read from the database itself, so this
    also works on a copy (a backup) whatever revision it is at."""
    inspector = sa.inspect(connection)
    referenced: dict[str, str | None] = {}
    for table in inspector.get_table_names():
        columns = {column["name"] for column in inspector.get_columns(table)}
        if "storage_key" not in columns:
            continue
        digest = sa.column("sha256") if "sha256" in columns else sa.null()
        rows = connection.execute(sa.select(sa.column("storage_key"), digest).select_from(sa.table(table)))
        referenced.update({key: sha for key, sha in rows if key})
    return referenced


def find(grace: dt.timedelta = DEFAULT_GRACE, force: bool = False) -> Garbage:
    """The files older than `grace` that no row names, and every temporary file older than `grace`."""
    # The files' ages come from the file system's clock, so they are compared with it, not with the portal's.
    cutoff = dt.datetime.now(dt.UTC) - grace
    # Listed before the rows are read: a file whose row commits meanwhile is then found referenced, never removed.
    entries = list(storage().entries())
    referenced = set(referenced_files(db.session.connection()))
    complete = {entry.key for entry in entries if not entry.temporary}
    if complete and not complete & referenced and not force:
        # A shell missing PORTAL_DATABASE_URL would otherwise empty the real store against an empty database.
        raise Mismatch(f"La base de données ne référence aucun des {len(complete)} fichiers du stockage : "
                       "vérifiez PORTAL_DATABASE_URL et PORTAL_UPLOAD_DIR. Rien n'a été supprimé.")
    return Garbage([entry for entry in entries if entry.modified_at <= cutoff
                    and (entry.temporary or entry.key not in referenced)])


def collect(grace: dt.timedelta = DEFAULT_GRACE, force: bool = False) -> Garbage:
    """Remove the garbage `find` reports and record it in the audit log (the command commits the entry)."""
    garbage = find(grace, force)
    store = storage()
    for entry in garbage.entries:
        store.discard(entry)
    if garbage.entries:
        audit.record("storage.gc", files=len(garbage.entries), temporaries=garbage.temporaries, bytes=garbage.size,
                     grace_minutes=int(grace.total_seconds() // 60))
        db.session.flush()
    return garbage
