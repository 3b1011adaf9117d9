"""issue 17: the territories of a convention (names among its call's territories), for the indicators per territory

Revision ID: f3a5c7e9b1d2
Revises: e1a3c5e7f9b2
Create Date: 2026-12-01 16:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3a5c7e9b1d2'
down_revision = 'e1a3c5e7f9b2'
branch_labels = None
depends_on = None


def upgrade():
    # Existing conventions start with none: the manager sets them on the convention's page.
    with op.batch_alter_table('conventions') as batch:
        batch.add_column(sa.Column('territories', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('conventions') as batch:
        batch.drop_column('territories')
