"""issue 18: on PostgreSQL, a call's search vector kept in its row rather than out of line (TOAST), so that
matching and ranking a call do not each read it from the TOAST table (portal/catalog/search.py). Every call is
written again for its vector to be stored that way. Nothing to do on SQLite.

Revision ID: c6e8a0b2d4f6
Revises: b5d7f9a1c3e5
Create Date: 2026-12-03 14:30:00

"""
from alembic import op

from portal.catalog import search


revision = 'c6e8a0b2d4f6'
down_revision = 'b5d7f9a1c3e5'
branch_labels = None
depends_on = None


def upgrade():
    search.keep_vectors_in_rows(op.get_bind())


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE calls ALTER COLUMN search_vector SET STORAGE EXTENDED")
    op.execute("ALTER TABLE calls RESET (toast_tuple_target)")
