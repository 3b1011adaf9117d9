"""reviews: the committee's meeting of a round (date, time, place, chair) and who attended it

Revision ID: c4e8a1f3d5b7
Revises: b7d2e4f6a8c1
Create Date: 2026-12-01 11:20:00

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


revision = 'c4e8a1f3d5b7'
down_revision = 'b7d2e4f6a8c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('committee_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=True),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('chair_name', sa.String(length=200), nullable=False),
    sa.Column('chair_title', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', portal.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_committee_meetings_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['review_rounds.id'], name=op.f('fk_committee_meetings_round_id_review_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_meetings')),
    sa.UniqueConstraint('round_id', name=op.f('uq_committee_meetings_round_id'))
    )
    op.create_table('committee_meeting_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.CheckConstraint("role IN ('reviewer', 'manager')", name=op.f('ck_committee_meeting_attendance_role')),
    sa.ForeignKeyConstraint(['meeting_id'], ['committee_meetings.id'], name=op.f('fk_committee_meeting_attendance_meeting_id_committee_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_committee_meeting_attendance_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_meeting_attendance')),
    sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_committee_meeting_attendance_meeting_id'))
    )
    op.create_index(op.f('ix_committee_meeting_attendance_meeting_id'), 'committee_meeting_attendance', ['meeting_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_committee_meeting_attendance_meeting_id'), table_name='committee_meeting_attendance')
    op.drop_table('committee_meeting_attendance')
    op.drop_table('committee_meetings')
