"""reviews: the signatory and court of the letters sent, kept with the round (publication) and with each change

Revision ID: e9a3c5b7d1f4
Revises: d5f1a7c3e9b2
Create Date: 2026-12-01 11:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e9a3c5b7d1f4'
down_revision = 'd5f1a7c3e9b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letterhead', sa.JSON(), nullable=True))
    with op.batch_alter_table('decision_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letterhead', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('decision_changes', schema=None) as batch_op:
        batch_op.drop_column('letterhead')
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.drop_column('letterhead')
