"""reviews: changes to published decisions (a laureate's withdrawal, a promotion from the liste complémentaire);
decisions.outcome admits « desiste »

Revision ID: b7d2e4f6a8c1
Revises: a3c5e7f9b1d2
Create Date: 2026-12-01 11:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


revision = 'b7d2e4f6a8c1'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None

OUTCOMES_BEFORE = "outcome IN ('retenu', 'liste_complementaire', 'non_retenu')"
OUTCOMES_AFTER = "outcome IN ('retenu', 'liste_complementaire', 'non_retenu', 'desiste')"


def upgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_decisions_outcome'), type_='check')
        batch_op.create_check_constraint(op.f('ck_decisions_outcome'), OUTCOMES_AFTER)
    op.create_table('decision_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('outcome_before', sa.String(length=22), nullable=False),
    sa.Column('outcome_after', sa.String(length=22), nullable=False),
    sa.Column('amount_before', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('amount_after', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('out_of_order', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', portal.core.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('withdrawal', 'promotion')", name=op.f('ck_decision_changes_kind')),
    sa.CheckConstraint("kind <> 'withdrawal' OR (reason IS NOT NULL AND effective_on IS NOT NULL)",
                       name=op.f('ck_decision_changes_withdrawal_reason_and_date')),
    sa.CheckConstraint("kind <> 'promotion' OR amount_after IS NOT NULL",
                       name=op.f('ck_decision_changes_promotion_amount')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_decision_changes_decision_id_decisions')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_decision_changes_recorded_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_changes'))
    )
    op.create_index(op.f('ix_decision_changes_decision_id'), 'decision_changes', ['decision_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_decision_changes_decision_id'), table_name='decision_changes')
    op.drop_table('decision_changes')
    op.execute("DELETE FROM decisions WHERE outcome = 'desiste'")
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_decisions_outcome'), type_='check')
        batch_op.create_check_constraint(op.f('ck_decisions_outcome'), OUTCOMES_BEFORE)
