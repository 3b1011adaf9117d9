"""accounts: sign-in sessions held on the server (sign-out ends copied cookies too); users.session_version goes

Revision ID: a3c5e7f9b1d2
Revises: 17d9db20190e
Create Date: 2026-12-01 09:30:00

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db


revision = 'a3c5e7f9b1d2'
down_revision = '17d9db20190e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', portal.core.db.UTCDateTime(), nullable=True),
    sa.Column('ended_reason', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_sessions_token_hash'))
    )
    op.create_index(op.f('ix_sign_in_sessions_user_id'), 'sign_in_sessions', ['user_id'], unique=False)
    # Every session issued before this revision carried the version; they all end here (people sign in again).
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+ and PostgreSQL): rebuilding `users` would touch every table
    # that references it.
    op.drop_column('users', 'session_version')


def downgrade():
    op.add_column('users', sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
    op.drop_index(op.f('ix_sign_in_sessions_user_id'), table_name='sign_in_sessions')
    op.drop_table('sign_in_sessions')
