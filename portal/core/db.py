"""Declarative base and column types shared by every domain."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from sqlalchemy import CheckConstraint, Connection, DateTime, Engine, MetaData, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# How much of a SQLite database file each connection reads through a memory map (the file's first 256 MiB).
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """SQLite ignores foreign keys unless each connection asks for them: without this, deleting a referenced row
    would orphan its children on SQLite (the default database) where PostgreSQL refuses it.

    And it reads the file through a memory map: each connection's own page cache holds 2 MiB, and every page
    beyond it was a system call to copy it from the kernel's cache; mapped, the kernel's cache is read in place,
    shared by every connection and worker rather than copied into each (« expulsions » ranked over 5,000 calls:
    17.7 → 14.1 ms of database time; issue 18). Writes still go through SQLite's journal as before."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")


@event.listens_for(Engine, "connect")
def _configure_postgresql(dbapi_connection, _record) -> None:
    """No JIT compilation on PostgreSQL: the planner compiles a statement whose estimated cost passes
    jit_above_cost, and a catalogue page's correlated subqueries (each call's windows, estimated per row even
    where a CASE never runs them) pass it at a few thousand calls: 20 ms of compiling for a statement that runs
    in 20 (« expulsions » over every call, archives included, at 5,000: 60 → 45 ms of database time; issue 18).
    The portal's statements are short; none reads enough rows for compiled expressions to pay. Set per session,
    in autocommit so that no transaction is left open (SQLAlchemy's recipe for session settings)."""
    if type(dbapi_connection).__module__.split(".")[0] != "psycopg":
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute("SET jit = off")
    finally:
        dbapi_connection.autocommit = autocommit


@contextmanager
def foreign_keys_checked_at_the_end(connection: Connection) -> Iterator[None]:
    """Run a migration with SQLite's foreign keys off, then check them once. Alembic's batch mode rebuilds a SQLite
    table by copy, drop and rename: with the keys on, dropping the old table would delete (ON DELETE CASCADE) or
    refuse every row that refers to it. PostgreSQL alters tables in place and needs none of this."""
    if connection.dialect.name != "sqlite":
        yield
        return
    enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    if not enforced:
        # Already off: an enclosing call (migrations/env.py runs every migration inside one) checks and restores
        # them. Doing it again here would commit the enclosing migration's transaction half-way and leave the
        # connection with its keys off for the application (a PRAGMA inside a transaction is ignored).
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # ignored inside a transaction: before any begins
    connection.commit()
    try:
        yield
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if dangling:
            raise RuntimeError("the migration left rows referring to nothing: " + ", ".join(
                f"{table} (rowid {rowid}) → {parent}" for table, rowid, parent, _ in dangling))
    finally:
        # As the connection came: the pool hands it to the application next.
        connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
        connection.commit()


def check_in(column: str, enum: type[StrEnum], name: str, nullable: bool = False) -> CheckConstraint:
    """The column holds one of the enum's values (or NULL when nullable): the constraint follows the enum, so a
    state added to the code and forgotten in the table cannot happen. Values are listed in the enum's order."""
    values = ", ".join("'" + member.value.replace("'", "''") + "'" for member in enum)
    condition = f"{column} IN ({values})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=name)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """An instant stored as naive UTC and read back as aware UTC, identically on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=dt.UTC)
