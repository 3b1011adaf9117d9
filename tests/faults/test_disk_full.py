"""The upload store's disk is full on the last evening: the person uploading reads a French message on the page
they were on, the draft keeps its answers and its files, nothing half-written stays in the store, the portal keeps
serving (the catalogue, saving answers, depositing), and uploads work again as soon as space is freed."""

from __future__ import annotations

import errno
import hashlib
import html
import io
import os
import subprocess
import warnings
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal.accounts.models import VaultDocument
from portal.extensions import db
from tests.applications.conftest import (
    ANSWERS,
    CLOSES,
    DECLARATIONS,
    DOCUMENTS,
    QUESTIONS,
    deposit,
    fill,
    get_application,
    ready,
    start,
    upload,
)
from tests.applications.test_deposit import sign_in_as
from tests.conftest import csrf_token
from tests.fakes import samples

FULL = "l'espace de stockage du portail est plein"


class SmallDisk:
    """A real 2 MB tmpfs holding the upload store, and a filler file that takes every free byte of it.

    CI runs as root, so it may mount one. Where mounting is refused (no CAP_SYS_ADMIN), the fault is injected
    instead: fsync, where a real filesystem reports a full disk for buffered writes, fails with ENOSPC."""

    def __init__(self, root: Path, monkeypatch) -> None:
        self.root, self.store, self.filler = root, root / "uploads", root / "filler"
        self._monkeypatch = monkeypatch
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(root)], capture_output=True)
        self.real = self._mounted = mounted.returncode == 0
        if not self.real:
            warnings.warn(f"tmpfs refused ({mounted.stderr.decode().strip()}): ENOSPC injected at fsync", stacklevel=2)
        self.store.mkdir()

    def fill(self) -> None:
        if not self.real:
            def no_space(descriptor):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            self._monkeypatch.setattr(os, "fsync", no_space)
            return
        with open(self.filler, "ab", buffering=0) as out:
            try:
                while True:
                    out.write(bytes(64 * 1024))
            except OSError as full:
                assert full.errno == errno.ENOSPC
        assert os.statvfs(self.root).f_bavail == 0

    def free(self) -> None:
        if not self.real:
            self._monkeypatch.setattr(os, "fsync", _real_fsync)
            return
        self.filler.unlink()

    def files(self) -> dict[str, str]:
        """Every file in the store, hidden temporary ones included, with its SHA-256."""
        return {str(path.relative_to(self.store)): hashlib.sha256(path.read_bytes()).hexdigest()
                for path in self.store.rglob("*") if path.is_file()}

    def unmount(self) -> None:
        if self._mounted:
            subprocess.run(["umount", "-l", str(self.root)], check=True)


_real_fsync = os.fsync


@pytest.fixture
def small_disk(app, tmp_path, monkeypatch):
    (tmp_path / "disk").mkdir()
    disk = SmallDisk(tmp_path / "disk", monkeypatch)
    monkeypatch.setitem(app.config, "UPLOAD_DIR", disk.store)
    yield disk
    disk.unmount()


@pytest.fixture
def applicant(make_user, make_organisation):
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    return claire, make_organisation(claire, "Association Logement Solidaire")


@pytest.fixture
def draft(client, publish_call, clock, applicant):
    """Claire's draft for the call of tests/applications, two weeks before its deadline."""
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": CLOSES}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    claire, organisation = applicant
    sign_in_as(client, claire)
    return start(client, call, organisation)


def readable(client, response) -> str:
    page = client.get(response.headers["Location"]) if response.status_code == 302 else response
    return html.unescape(page.get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")


def cerfa(size: int = 200 * 1024) -> bytes:
    return samples.pdf() + b"%" + b"x" * size + b"\n"


def test_an_upload_on_a_full_disk_is_refused_in_french_and_the_draft_is_intact(client, draft, small_disk):
    fill(client, draft)
    upload(client, draft, "statuts", samples.pdf(), "statuts.pdf")
    answers_before = dict(get_application(draft).answers)
    [statuts] = get_application(draft).current_files
    store_before = small_disk.files()
    small_disk.fill()

    response = upload(client, draft, "cerfa-12156", cerfa(), "cerfa 12156.pdf")
    page = readable(client, response)
    assert response.status_code == 302 and "Traceback" not in page
    assert FULL in page and "Votre brouillon est intact" in page
    assert 'id="doc-cerfa-12156"' in page  # back on the documents page, at the slot
    token = csrf_token(client, f"{draft}pieces")
    answer = client.post(f"{draft}pieces/cerfa-12156", headers={"X-Upload": "1"}, content_type="multipart/form-data",
                         data={"csrf_token": token, "file": (io.BytesIO(cerfa()), "cerfa.pdf")})
    assert answer.status_code == 507 and answer.json["ok"] is False and FULL in answer.json["message"]

    application = get_application(draft)
    assert application.answers == answers_before
    assert [(f.id, f.sha256) for f in application.current_files] == [(statuts.id, statuts.sha256)]
    assert small_disk.files() == store_before  # no partial file, no temporary left
    assert client.get(f"{draft}fichiers/{statuts.id}").data == samples.pdf()

    # The portal keeps serving what needs no room on the store's disk.
    assert client.get("/appels/").status_code == 200
    assert fill(client, draft, {**ANSWERS, "q.objectifs": "Aller vers les ménages, même ce soir."}).status_code == 302
    assert get_application(draft).answers["questions"]["objectifs"] == "Aller vers les ménages, même ce soir."

    small_disk.free()  # the operator makes room: no restart needed
    page = readable(client, upload(client, draft, "cerfa-12156", cerfa(), "cerfa 12156.pdf"))
    assert "Pièce ajoutée" in page
    assert sorted(f.slot for f in get_application(draft).current_files) == ["cerfa-12156", "statuts"]


def test_copying_a_vault_document_on_a_full_disk_is_refused_in_french(client, draft, applicant, small_disk):
    from portal.accounts import vault
    from tests.conftest import post_form

    claire, organisation = applicant
    document = vault.add_document(organisation, claire, io.BytesIO(cerfa()), "statuts.pdf", kind="statuts",
                                  label="Statuts 2024")
    db.session.commit()  # the service flushes; its caller commits
    store_before = small_disk.files()
    small_disk.fill()

    response = post_form(client, f"{draft}pieces/statuts/coffre", {"document_id": str(document.id)},
                         form_page=f"{draft}pieces")
    assert FULL in readable(client, response)
    assert get_application(draft).current_files == []
    assert small_disk.files() == store_before


def test_a_vault_upload_on_a_full_disk_keeps_the_form_and_says_why(client, applicant, small_disk):
    claire, organisation = applicant
    sign_in_as(client, claire)
    url = f"/organisations/{organisation.id}/coffre/ajouter"
    small_disk.fill()

    response = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, url), "kind": "statuts", "label": "Statuts modifiés en 2024",
        "file": (io.BytesIO(cerfa()), "statuts.pdf")})
    page = readable(client, response)
    assert response.status_code == 507 and "Traceback" not in page
    assert FULL in page and 'value="Statuts modifiés en 2024"' in page  # what was typed is still there
    assert db.session.scalar(select(func.count()).select_from(VaultDocument)) == 0
    assert small_disk.files() == {}


def test_a_deposit_goes_through_while_the_store_is_full(client, draft, small_disk):
    """A deposit freezes what is already stored and writes no file: a full store must not stop it at the deadline."""
    ready(client, draft)
    small_disk.fill()

    response = deposit(client, draft)
    assert response.status_code == 302, readable(client, response)
    application = get_application(draft)
    assert application.status == "submitted" and application.number
    receipt = client.get(f"{draft}versions/1/accuse-de-reception.pdf")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")


def test_a_large_request_body_on_a_full_disk_gets_the_french_message_of_its_field(client, draft, small_disk,
                                                                                 monkeypatch):
    """A file part is written by the form parser straight into the store (core/request_body.py), before any view
    runs: when that disk is full, the view still answers, on the page the person was on, with the French message
    of its field (not a bare 500), and nothing is kept."""
    import tempfile

    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"csrf_token": csrf_token(client, f"{draft}pieces"),
                                       "file": FileStorage(io.BytesIO(cerfa(900 * 1024)), "cerfa.pdf")})
    if small_disk.real:
        monkeypatch.setattr(tempfile, "tempdir", str(small_disk.root))
    small_disk.fill()
    response = client.post(f"{draft}pieces/cerfa-12156", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    page = readable(client, response)
    assert response.status_code == 302 and "Traceback" not in page
    assert FULL in page
    assert get_application(draft).current_files == []
