"""Foreign keys hold on SQLite as on PostgreSQL: a referenced row cannot be deleted, ON DELETE rules apply, and
migrations still rebuild SQLite tables without cascading into the rows that refer to them."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError

from portal import config, create_app
from portal.accounts import vault
from portal.accounts.models import VaultDocument
from portal.applications import drafts
from portal.applications.models import ApplicationFile
from portal.catalog.models import Window
from portal.core import time
from portal.extensions import db


@pytest.fixture
def draft(publish_call, clock, make_user, make_organisation):
    clock("2025-04-15 10:00:00")
    call = publish_call()
    claire = make_user()
    organisation = make_organisation(claire)
    application, _ = drafts.start(call.windows[0], organisation, claire, time.now())
    db.session.commit()  # the service flushes; its caller commits
    return application


def test_deleting_a_window_that_an_application_refers_to_is_refused(draft):
    with pytest.raises(IntegrityError):
        db.session.execute(sa.delete(Window).where(Window.id == draft.window_id))
    db.session.rollback()
    assert db.session.get(Window, draft.window_id) is not None


def test_removing_a_vault_document_detaches_the_copies_made_from_it(draft):
    """ON DELETE SET NULL used to be ignored on SQLite: the copy kept the id of a document that no longer existed."""
    organisation_id, by = draft.organisation_id, draft.created_by_id
    document = VaultDocument(organisation_id=organisation_id, kind="statuts", label="Statuts", storage_key="v" * 64,
                             sha256="0" * 64, size=10, mime="application/pdf", original_name="statuts.pdf",
                             uploaded_by_id=by, uploaded_at=time.now())
    db.session.add(document)
    db.session.flush()
    copy = ApplicationFile(application_id=draft.id, slot="statuts", organisation_id=organisation_id,
                           storage_key="a" * 64, sha256="0" * 64, size=10, format="pdf", original_name="statuts.pdf",
                           uploaded_at=time.now(), vault_document_id=document.id, scan_status="not_scanned")
    db.session.add(copy)
    db.session.commit()

    vault.remove_document(document, by=None)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(ApplicationFile, copy.id).vault_document_id is None


# ---- migrations ----------------------------------------------------------------------------------------------

REBUILD = '''
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("parents", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(20)))
    op.create_table("children", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("parent_id", sa.Integer, sa.ForeignKey("parents.id", ondelete="CASCADE")))
    op.execute("INSERT INTO parents (id, name) VALUES (1, 'parent')")
    op.execute("INSERT INTO children (id, parent_id) VALUES (1, {parent})")
    with op.batch_alter_table("parents", recreate="always") as batch:  # copy, drop, rename: as SQLite must
        batch.alter_column("name", type_=sa.String(40))
'''


def migrate_with_the_projects_env(tmp_path, parent_of_child: int) -> tuple[list, int]:
    """Run one migration through the project's own migrations/env.py on a SQLite file of its own; return the
    children rows and whether the pooled connection the application reuses has its foreign keys back on."""
    directory = tmp_path / "migrations"
    (directory / "versions").mkdir(parents=True)
    for name in ("env.py", "alembic.ini", "script.py.mako"):
        shutil.copy(config.ROOT / "migrations" / name, directory / name)
    (directory / "versions" / "0001_rebuild.py").write_text(REBUILD.replace("{parent}", str(parent_of_child)))
    application = create_app(config.TestConfig(f"sqlite:///{tmp_path / 'migrated.db'}", tmp_path / "instance"))
    with application.app_context():
        try:
            # Alembic's own command, not flask_migrate.upgrade which turns every error into exit status 1.
            command.upgrade(application.extensions["migrate"].migrate.get_config(str(directory)), "head")
            with db.engine.connect() as connection:
                return (connection.exec_driver_sql("SELECT parent_id FROM children").all(),
                        connection.exec_driver_sql("PRAGMA foreign_keys").scalar())
        finally:
            db.engine.dispose()


def test_a_migration_rebuilding_a_sqlite_table_keeps_the_rows_that_refer_to_it(tmp_path):
    children, foreign_keys = migrate_with_the_projects_env(tmp_path, parent_of_child=1)
    assert children == [(1,)]
    assert foreign_keys == 1  # back on for the application that reuses the connection


def test_a_migration_that_leaves_a_dangling_reference_fails(tmp_path):
    with pytest.raises(RuntimeError, match="children"):
        migrate_with_the_projects_env(tmp_path, parent_of_child=999)
