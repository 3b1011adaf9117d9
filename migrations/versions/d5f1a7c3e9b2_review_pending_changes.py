"""reviews: changes a reviewer saved after submitting, kept aside until she submits them as a new version

Revision ID: d5f1a7c3e9b2
Revises: c4e8a1f3d5b7
Create Date: 2026-12-01 11:30:00

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


revision = 'd5f1a7c3e9b2'
down_revision = 'c4e8a1f3d5b7'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (nullable, no constraint): no table rebuild on SQLite.
    op.add_column('reviews', sa.Column('pending', sa.JSON(), nullable=True))
    op.add_column('reviews', sa.Column('pending_at', portal.core.db.UTCDateTime(), nullable=True))


def downgrade():
    op.drop_column('reviews', 'pending_at')
    op.drop_column('reviews', 'pending')
