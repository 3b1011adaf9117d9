"""`portal backup` while the portal runs, `portal restore` into an empty instance: every application, version and
file comes back, each file with the SHA-256 it was deposited with, recomputed from the restored store."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading

import pytest
import sqlalchemy as sa

from portal import config, create_app
from portal.accounts import vault
from portal.accounts.models import Organisation, User, VaultDocument
from portal.applications.models import Application, ApplicationFile
from portal.core import backup
from portal.core.storage import storage
from portal.extensions import db
from tests.applications import conftest as applications
from tests.applications.conftest import deposit, ready, start, upload
from tests.applications.test_deposit import sign_in_as
from tests.fakes.samples import pdf

# A backup reads the database through connections of its own: what the test wrote must be committed for real.
pytestmark = pytest.mark.real_commits

open_call, applicant = applications.open_call, applications.applicant  # the applications tests' fixtures


def portal(instance, *arguments: str):
    """Run a `portal` command against this instance, as its own server's command line would."""
    with instance.app_context():
        return instance.test_cli_runner().invoke(args=list(arguments))


@pytest.fixture
def empty_instance(app, tmp_path):
    """A second portal with a database and an upload folder of its own, both empty (no tables, no files)."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    folder = tmp_path / "restored"
    server = None
    if url.get_backend_name() == "sqlite":
        other_url = f"sqlite:///{folder / 'portal.db'}"
    else:
        name = f"{url.database}_restore_{os.getpid()}"
        server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        other_url = url.set(database=name).render_as_string(hide_password=False)
    other = create_app(config.TestConfig(other_url, folder))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    if server is not None:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def sha_in_store(key: str) -> str | None:
    try:
        with storage().open(key) as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def inventory() -> dict:
    """What a person would find again: applications with their versions and files, the vaults' documents, each
    file's recorded hash beside the hash of what the store really holds."""
    db.session.expire_all()
    applications = {}
    for application in db.session.scalars(sa.select(Application)):
        applications[str(application.id)] = {
            "number": application.number, "status": application.status, "answers": application.answers,
            "versions": [(v.number, v.reason, v.snapshot, v.verification_code) for v in application.versions],
            "files": sorted((f.slot, f.original_name, f.removed_at is None, f.sha256, sha_in_store(f.storage_key))
                            for f in application.files),
        }
    documents = sorted((d.label, d.sha256, sha_in_store(d.storage_key))
                       for d in db.session.scalars(sa.select(VaultDocument)))
    return {"applications": applications, "vault": documents}


def assert_every_file_is_there_with_its_hash() -> None:
    rows = [*db.session.scalars(sa.select(ApplicationFile)), *db.session.scalars(sa.select(VaultDocument))]
    assert rows and [(row.storage_key, sha_in_store(row.storage_key)) for row in rows] == \
        [(row.storage_key, row.sha256) for row in rows]


def test_a_backup_restored_into_an_empty_instance_gives_back_every_application_version_and_file(
        app, client, open_call, applicant, make_user, make_organisation, empty_instance, tmp_path):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    ready(client, url)
    deposit(client, url)
    upload(client, url, "annexes", pdf() + b"% annexe\n", "annexe budgétaire.pdf")
    deposit(client, url)  # version 2: the modifications
    vault.add_document(organisation, claire, io.BytesIO(pdf() + b"% statuts\n"), "statuts.pdf", kind="statuts",
                       label="Statuts 2024")
    db.session.commit()  # the service flushes; its caller commits
    bob = make_user("bob@autre-asso.fr", "Bob")
    other_client = app.test_client()
    sign_in_as(other_client, bob)
    draft = start(other_client, open_call, make_organisation(bob, "Autre association", rna="W621000002"))
    ready(other_client, draft)  # a draft with its files, never deposited
    before = inventory()
    assert [len(a["versions"]) for a in before["applications"].values()] in ([2, 0], [0, 2])
    assert sum(len(a["files"]) for a in before["applications"].values()) == 5

    dest = tmp_path / "sauvegarde"
    result = portal(app, "backup", str(dest))
    assert result.exit_code == 0, result.output
    assert "5 fichier(s)" not in result.output and "6 fichier(s)" in result.output  # 5 application files + vault

    restored = portal(empty_instance, "restore", str(dest))
    assert restored.exit_code == 0, restored.output
    with empty_instance.app_context():
        assert inventory() == before
        assert_every_file_is_there_with_its_hash()
        # Restoring again over what is now a portal with data is refused, in French, unless forced.
        again = portal(empty_instance, "restore", str(dest))
        assert again.exit_code == 1 and "contient déjà des données" in again.output
        assert inventory() == before


def test_an_altered_backup_is_refused_and_nothing_is_restored(app, client, open_call, applicant, empty_instance,
                                                              tmp_path):
    claire, _, organisation = applicant
    vault.add_document(organisation, claire, io.BytesIO(pdf()), "statuts.pdf", kind="statuts", label="Statuts")
    db.session.commit()
    dest = tmp_path / "sauvegarde"
    assert portal(app, "backup", str(dest)).exit_code == 0
    manifest = json.loads((dest / "manifest.json").read_text())
    key = next(iter(manifest["files"]))
    (dest / "uploads" / key[:2] / key).write_bytes(pdf() + b"% falsifie\n")

    result = portal(empty_instance, "restore", str(dest))
    assert result.exit_code == 1 and "La sauvegarde est altérée, rien n'a été restauré" in result.output
    with empty_instance.app_context():
        assert list(storage().keys()) == [] and sa.inspect(db.engine).get_table_names() == []


def test_a_document_added_then_deleted_during_the_backup_leaves_no_dangling_row(app, applicant, monkeypatch,
                                                                                 empty_instance, tmp_path):
    """The one deletion of a referenced file (a vault document removed: the row goes, then the file) may fall
    between the database copy and the file copy: the backup must not keep a row naming a file it lacks. Here the
    association adds a document while the backup copies the store, and removes it just after the database copy."""
    claire, _, organisation = applicant
    vault.add_document(organisation, claire, io.BytesIO(pdf() + b"% statuts\n"), "statuts.pdf", kind="statuts",
                       label="Statuts")
    db.session.commit()
    copy_store, read_snapshot, added = backup._copy_store, backup._snapshot_of, []

    def copy_store_then_add(*arguments):
        copy_store(*arguments)
        if not added:
            added.append(vault.add_document(organisation, claire, io.BytesIO(pdf() + b"% comptes\n"), "comptes.pdf",
                                            kind="comptes", label="Comptes 2023").id)
            db.session.commit()

    def read_snapshot_then_remove(connection):
        snapshot = read_snapshot(connection)
        document = db.session.get(VaultDocument, added[0])
        if document is not None:
            vault.remove_document(document, claire)
            db.session.commit()
        return snapshot

    monkeypatch.setattr(backup, "_copy_store", copy_store_then_add)
    monkeypatch.setattr(backup, "_snapshot_of", read_snapshot_then_remove)
    report = backup.backup(tmp_path / "sauvegarde")
    assert report.problems == [] and report.files == 1

    assert portal(empty_instance, "restore", str(tmp_path / "sauvegarde")).exit_code == 0
    with empty_instance.app_context():
        assert [label for label, *_ in inventory()["vault"]] == ["Statuts"]
        assert_every_file_is_there_with_its_hash()


def test_a_backup_taken_while_uploads_keep_arriving_is_consistent(app, client, open_call, applicant,
                                                                  empty_instance, tmp_path):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    ready(client, url)
    stop, rounds, failures = threading.Event(), [], []
    who_id, where_id = claire.id, organisation.id

    def keep_writing():
        """An association at work: uploads annexes, adds documents to its vault and removes the older ones."""
        with app.app_context():
            uploader, kept = app.test_client(), []
            try:
                sign_in_as(uploader, db.session.get(User, who_id))
                while not stop.is_set():
                    n = len(rounds)
                    response = upload(uploader, url, "annexes", pdf() + f"% annexe {n}\n".encode(), f"annexe-{n}.pdf")
                    assert response.status_code == 302
                    who, where = db.session.get(User, who_id), db.session.get(Organisation, where_id)
                    kept.append(vault.add_document(where, who, io.BytesIO(pdf() + f"% piece {n}\n".encode()),
                                                   f"piece-{n}.pdf", kind="autre", label=f"Pièce {n}").id)
                    db.session.commit()
                    if len(kept) > 2:
                        vault.remove_document(db.session.get(VaultDocument, kept.pop(0)), who)
                        db.session.commit()
                    rounds.append(n)
            except BaseException as error:  # reported by the test, not lost in the thread
                failures.append(error)
            finally:
                db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(rounds) < 3 and writer.is_alive():
            threading.Event().wait(0.05)
        first = len(rounds)
        report = backup.backup(tmp_path / "sauvegarde")
        while len(rounds) < first + 2 and writer.is_alive():
            threading.Event().wait(0.05)  # the writer kept going during and after the backup
    finally:
        stop.set()
        writer.join()
    assert failures == [] and len(rounds) >= first + 2
    assert report.problems == [] and backup.verify(tmp_path / "sauvegarde") == []

    assert portal(empty_instance, "restore", str(tmp_path / "sauvegarde")).exit_code == 0
    with empty_instance.app_context():
        assert_every_file_is_there_with_its_hash()
        restored = db.session.scalars(sa.select(ApplicationFile)).all()
        assert len(restored) >= 2 + first  # the two required documents and the annexes deposited before
