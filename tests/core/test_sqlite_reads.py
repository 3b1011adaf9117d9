"""A SQLite database is read through a memory map by every connection the portal opens, pooled or raw
(core/db.py): beyond a connection's own 2 MiB of pages, each page read was otherwise a system call. Checked on an
engine of its own, so that the PostgreSQL suite checks it too."""

from __future__ import annotations

import sqlalchemy as sa

from portal.core.db import SQLITE_MMAP_BYTES


def test_every_sqlite_connection_reads_through_a_memory_map(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        raw = engine.raw_connection()
        try:
            assert raw.cursor().execute("PRAGMA mmap_size").fetchone()[0] == SQLITE_MMAP_BYTES
        finally:
            raw.close()
    finally:
        engine.dispose()
