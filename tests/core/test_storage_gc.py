"""`portal storage gc`: the upload store loses the files nothing refers to (left by a crash between writing a file and
committing its row) and the temporary files of interrupted uploads, but never a file a row names, never an upload
still in flight, and never a file it did not write."""

import contextvars
import hashlib
import io
import os
import time as wall
import uuid

import pytest

from portal.accounts import vault
from portal.applications import documents, drafts
from portal.core import audit, time
from portal.core.storage import storage
from portal.extensions import db
from tests.fakes.samples import pdf

HOUR = 3600


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    """A store of its own: the session's one holds what earlier tests left."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")
    return storage()


@pytest.fixture
def kept(store, make_user, make_organisation, publish_call, clock):
    """A vault document and an application file, both written two hours ago: {key: sha256}."""
    clock("2025-04-15 10:00:00")
    claire = make_user()
    organisation = make_organisation(claire)
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=[{"key": "statuts", "label": "Statuts", "formats": ["pdf"]}])
    statutes = vault.add_document(organisation, claire, io.BytesIO(pdf() + b"% statuts\n"), "statuts.pdf",
                                  kind="statuts", label="Statuts")
    application, _ = drafts.start(call.windows[0], organisation, claire, time.now())
    file = documents.upload(application, "statuts", io.BytesIO(pdf() + b"% dossier\n"), "statuts.pdf", claire,
                            organisation.id, time.now())
    db.session.commit()  # the use cases flush; as a request would, the fixture commits
    files = {statutes.storage_key: statutes.sha256, file.storage_key: file.sha256}
    for key in files:
        age(store, key, 2 * HOUR)
    return files


def path_of(store, key: str, temporary: bool = False):
    return store.root / key[:2] / (f".{key}.part" if temporary else key)


def age(store, key: str, seconds: int, temporary: bool = False) -> None:
    moment = wall.time() - seconds
    os.utime(path_of(store, key, temporary), (moment, moment))


def leave(store, seconds_ago: int, temporary: bool = False, size: int = 1000) -> str:
    """A file no row names, as a crash leaves it: finished (row never committed) or half-written (.part)."""
    key = uuid.uuid4().hex
    path = path_of(store, key, temporary)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    age(store, key, seconds_ago, temporary)
    return key


def on_disk(store) -> set[str]:
    return {path.name for path in store.root.glob("*/*")}


def gc(app, *args: str):
    result = contextvars.Context().run(app.test_cli_runner().invoke, args=["storage", "gc", *args])
    db.session.expire_all()
    result.text = result.output.replace("\u202f", " ")  # French thousands are separated by a narrow space
    return result


def sha256(store, key: str) -> str:
    with store.open(key) as stored:
        return hashlib.sha256(stored.read()).hexdigest()


def test_orphans_and_interrupted_uploads_are_removed_and_referenced_files_kept(app, store, kept):
    orphan = leave(store, 2 * HOUR, size=3000)
    interrupted = leave(store, 2 * HOUR, temporary=True, size=500)
    result = gc(app)
    assert result.exit_code == 0, result.output
    assert f"supprimé : {orphan} (3 000 octets, fichier orphelin)" in result.text
    assert f"supprimé : {interrupted} (500 octets, fichier temporaire d'un dépôt interrompu)" in result.text
    assert "2 fichier(s) supprimé(s) (3 500 octets libérés), dont 1 temporaire(s)." in result.text
    assert on_disk(store) == set(kept)
    assert {key: sha256(store, key) for key in kept} == kept
    [event] = audit.recent(action_prefix="storage.")
    assert (event.action, event.details["files"], event.details["bytes"]) == ("storage.gc", 2, 3500)


def test_an_upload_in_flight_is_never_removed(app, store, kept):
    """Written a minute ago and its row not committed yet (or still being written): within the grace period."""
    finished = leave(store, 60)
    writing = leave(store, 60, temporary=True)
    result = gc(app)
    assert "0 fichier(s) supprimé(s)" in result.text
    assert on_disk(store) == {*kept, finished, f".{writing}.part"}
    assert gc(app, "--grace", "0").text.startswith("supprimé")
    assert on_disk(store) == set(kept)


def test_dry_run_lists_without_removing(app, store, kept):
    orphan = leave(store, 2 * HOUR)
    result = gc(app, "--dry-run")
    assert f"à supprimer : {orphan}" in result.text
    assert "Simulation : 1 fichier(s) seraient supprimés (1 000 octets)" in result.text
    assert "Rien n'a été supprimé." in result.text
    assert orphan in on_disk(store) and audit.recent(action_prefix="storage.") == []


def test_files_the_store_did_not_write_are_left_alone(app, store, kept):
    """An operator's notes, a folder, a key-like name in the wrong folder: not the store's to judge."""
    stray = uuid.uuid4().hex
    foreign = [store.root / "LISEZMOI.txt", store.root / "ab" / "ab-sauvegarde.txt", store.root / "zz" / stray,
               store.root / "cd" / ".cd-copie.part"]
    for path in foreign:
        path.parent.mkdir(exist_ok=True)
        path.write_text("Copie faite à la main avant la migration.")
        os.utime(path, (wall.time() - 2 * HOUR,) * 2)
    (store.root / "ef" / ("ef" + stray[2:])).mkdir(parents=True)
    result = gc(app, "--grace", "0")
    assert result.exit_code == 0, result.output
    assert "0 fichier(s) supprimé(s)" in result.text
    assert all(path.exists() for path in foreign) and on_disk(store) >= set(kept)


def test_a_store_the_database_does_not_know_is_left_whole(app, store):
    """Run against the wrong database (a shell missing PORTAL_DATABASE_URL), every file would look orphaned."""
    files = {leave(store, 2 * HOUR) for _ in range(3)}
    result = gc(app)
    assert result.exit_code == 1
    assert "La base de données ne référence aucun des 3 fichiers du stockage" in result.text
    assert "Rien n'a été supprimé." in result.text and on_disk(store) == files
    assert "3 fichier(s) supprimé(s)" in gc(app, "--force").text and on_disk(store) == set()
