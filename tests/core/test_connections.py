"""Every connection the portal opens is set for its short statements (core/db.py): a SQLite database is read
through a memory map (beyond a connection's own 2 MiB of pages, each page read was otherwise a system call), and
PostgreSQL compiles no statement just in time (20 ms of compiling for a 20 ms search of the archives)."""

from __future__ import annotations

import sqlalchemy as sa

from portal.core.db import SQLITE_MMAP_BYTES
from portal.extensions import db


def test_every_sqlite_connection_reads_through_a_memory_map(tmp_path):
    # An engine of its own, so that the PostgreSQL suite checks it too.
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


def test_the_applications_connections_are_set_for_its_database(app):
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
            # Set outside any transaction: nothing left open, and the setting survives the first rollback.
            connection.rollback()
            assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
        else:
            assert connection.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
