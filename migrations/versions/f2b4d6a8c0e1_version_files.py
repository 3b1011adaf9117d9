"""applications: the files a version froze as rows (version_files), copied from each version's snapshot; a
version's kind stored in English (depot → deposit, modifications → changes) and checked

Revision ID: f2b4d6a8c0e1
Revises: e9a3c5b7d1f4
Create Date: 2026-12-01 12:00:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


revision = 'f2b4d6a8c0e1'
down_revision = 'e9a3c5b7d1f4'
branch_labels = None
depends_on = None

RENAMED = {'depot': 'deposit', 'modifications': 'changes'}  # 'pieces' stays


def _rename(pairs):
    versions = sa.table('application_versions', sa.column('reason', sa.String()))
    for old, new in pairs:
        op.execute(versions.update().where(versions.c.reason == old).values(reason=new))


def upgrade():
    version_files = op.create_table(
        'version_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Uuid(), nullable=False),
        sa.Column('application_file_id', sa.Uuid(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('slot', sa.String(length=60), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('format', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['application_file_id'], ['application_files.id'],
                                name=op.f('fk_version_files_application_file_id_application_files')),
        sa.ForeignKeyConstraint(['version_id'], ['application_versions.id'],
                                name=op.f('fk_version_files_version_id_application_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_version_files')),
    )
    with op.batch_alter_table('version_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_version_files_application_file_id'), ['application_file_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_version_files_version_id'), ['version_id'], unique=False)

    # Copy each deposited version's file list, in the receipt's order. A file id the snapshot names that no row
    # holds any more (none should) is kept as NULL: the name, size and hash are what the receipt stated.
    connection = op.get_bind()
    versions = sa.table('application_versions', sa.column('id', sa.Uuid()), sa.column('snapshot', sa.JSON()))
    files = sa.table('application_files', sa.column('id', sa.Uuid()))
    known = set(connection.execute(sa.select(files.c.id)).scalars())
    rows = []
    for version_id, snapshot in connection.execute(sa.select(versions.c.id, versions.c.snapshot)):
        for position, item in enumerate((snapshot or {}).get('files') or []):
            try:
                file_id = uuid.UUID(str(item.get('id')))
            except ValueError:
                file_id = None
            rows.append({'version_id': version_id, 'application_file_id': file_id if file_id in known else None,
                         'position': position, 'slot': item.get('slot') or '', 'name': item.get('name') or '',
                         'size': int(item.get('size') or 0), 'sha256': item.get('sha256') or '',
                         'format': item.get('format') or ''})
    if rows:
        op.bulk_insert(version_files, rows)

    _rename(RENAMED.items())
    with op.batch_alter_table('application_versions', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_application_versions_reason'),
                                         "reason IN ('deposit', 'changes', 'pieces')")


def downgrade():
    with op.batch_alter_table('application_versions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_application_versions_reason'), type_='check')
    _rename((new, old) for old, new in RENAMED.items())
    with op.batch_alter_table('version_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_version_files_version_id'))
        batch_op.drop_index(batch_op.f('ix_version_files_application_file_id'))
    op.drop_table('version_files')
