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

# IMMUTABLE so that a generated column and an index may call it (unaccent itself is only STABLE: its dictionary
# could change); the dictionary is named with its schema, as an immutable function must not depend on search_path.
_UNACCENT = """CREATE OR REPLACE FUNCTION portal_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"""
_VECTOR = """ALTER TABLE calls ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('french'::regconfig, portal_unaccent(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('french'::regconfig, portal_unaccent(coalesce(summary, ''))), 'B')
    || setweight(to_tsvector('french'::regconfig, portal_unaccent(coalesce(search_text, ''))), 'D')) STORED"""


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
    _fill_ends_at()
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        op.execute(_UNACCENT)
        op.execute(_VECTOR)  # computed now for every existing call, then by the database at every write
        op.execute("CREATE INDEX ix_calls_search_vector ON calls USING gin (search_vector)")
    else:
        op.execute(f"CREATE VIRTUAL TABLE {search.FTS_TABLE} USING fts5(title, summary, body, "
                   "tokenize = 'unicode61 remove_diacritics 2')")
        # Hygiene only: publication deletes a call's row before writing it again, so a row left behind is never
        # shown (the search joins calls). A later migration that rebuilds `calls` by copy drops this trigger.
        op.execute(f"CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls BEGIN "
                   f"DELETE FROM {search.FTS_TABLE} WHERE rowid = old.id; END")
        search.rebuild(bind)


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
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_calls_search_vector")
        op.execute("ALTER TABLE calls DROP COLUMN search_vector")
        op.execute("DROP FUNCTION IF EXISTS portal_unaccent(text)")  # the extension stays: others may use it
    else:
        op.execute("DROP TRIGGER IF EXISTS calls_fts_delete")
        op.execute(f"DROP TABLE IF EXISTS {search.FTS_TABLE}")
    with op.batch_alter_table('call_windows') as batch_op:
        batch_op.drop_index('ix_call_windows_call_id_opens_at')
        batch_op.drop_index('ix_call_windows_call_id_closes_at')
        batch_op.create_index(batch_op.f('ix_call_windows_call_id'), ['call_id'], unique=False)
    with op.batch_alter_table('calls') as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_updated_at'))
        batch_op.drop_index(batch_op.f('ix_calls_published_at'))
        batch_op.drop_index(batch_op.f('ix_calls_kind'))
        batch_op.drop_index(batch_op.f('ix_calls_ends_at'))
        batch_op.drop_column('ends_at')
