"""issue 18: the catalogue in SQL — calls.ends_at (the instant a call is closed for good: its last window's closing,
or its period's last day at 23:59:59 Paris for a call without windows), indexes for the status, the sorts and the
feed, and the full-text search: an FTS5 table of French stems on SQLite, a generated tsvector column ('french'
over unaccent) with its GIN index on PostgreSQL (portal/catalog/search.py)

Revision ID: a4b6c8d0e2f3
Revises: f3a5c7e9b1d2
Create Date: 2026-12-01 17:00:00

"""
import datetime as dt
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

import portal.core.db
from portal.catalog import search


revision = 'a4b6c8d0e2f3'
down_revision = 'f3a5c7e9b1d2'
branch_labels = None
depends_on = None

PARIS = ZoneInfo("Europe/Paris")

_CALLS = sa.table("calls", sa.column("id", sa.Integer), sa.column("spec_json", sa.JSON),
                  sa.column("ends_at", portal.core.db.UTCDateTime))


def upgrade():
    with op.batch_alter_table('calls') as batch_op:
        batch_op.add_column(sa.Column('ends_at', portal.core.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_calls_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_updated_at'), ['updated_at'], unique=False)
    with op.batch_alter_table('call_windows') as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_windows_call_id'))
        batch_op.create_index('ix_call_windows_call_id_closes_at', ['call_id', 'closes_at'], unique=False)
        batch_op.create_index('ix_call_windows_call_id_opens_at', ['call_id', 'opens_at'], unique=False)
        batch_op.create_index('ix_call_windows_closes_at', ['closes_at'], unique=False)
        batch_op.create_index('ix_call_windows_opens_at', ['opens_at'], unique=False)
    _fill_ends_at()
    bind = op.get_bind()
    # SQLite: the FTS5 table of stems and its trigger; PostgreSQL: unaccent, portal_unaccent(), the generated
    # tsvector column (computed now for every call) and its GIN index. The statements live in search.py, which
    # metadata.create_all also runs.
    search.create(bind)
    search.rebuild(bind)  # SQLite: every call's stems; nothing to do on PostgreSQL


def _fill_ends_at():
    """The last window's closing, else the period's end (23:59:59 Paris on its last day), as publication does."""
    op.execute("UPDATE calls SET ends_at = (SELECT max(closes_at) FROM call_windows "
               "WHERE call_windows.call_id = calls.id)")
    bind = op.get_bind()
    for call_id, spec in bind.execute(sa.select(_CALLS.c.id, _CALLS.c.spec_json).where(_CALLS.c.ends_at.is_(None))):
        end = (spec or {}).get("period", {}).get("end")
        if end:
            ends_at = dt.datetime.combine(dt.date.fromisoformat(end), dt.time(23, 59, 59), PARIS).astimezone(dt.UTC)
            bind.execute(_CALLS.update().where(_CALLS.c.id == call_id).values(ends_at=ends_at))


def downgrade():
    search.drop(op.get_bind())
    with op.batch_alter_table('call_windows') as batch_op:
        batch_op.drop_index('ix_call_windows_opens_at')
        batch_op.drop_index('ix_call_windows_closes_at')
        batch_op.drop_index('ix_call_windows_call_id_opens_at')
        batch_op.drop_index('ix_call_windows_call_id_closes_at')
        batch_op.create_index(batch_op.f('ix_call_windows_call_id'), ['call_id'], unique=False)
    with op.batch_alter_table('calls') as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_updated_at'))
        batch_op.drop_index(batch_op.f('ix_calls_published_at'))
        batch_op.drop_index(batch_op.f('ix_calls_kind'))
        batch_op.drop_index(batch_op.f('ix_calls_ends_at'))
        batch_op.drop_column('ends_at')
