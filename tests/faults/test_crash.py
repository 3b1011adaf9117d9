"""The server is killed (SIGKILL) on the last evening, while an association uploads a file or deposits its
application. Afterwards the draft is exactly as it was before the interrupted request, or the deposit is whole
(number, version, files, receipt to every member), never half; what the crash left in the upload store is only
garbage that `portal storage gc` removes, and every file a row names is still there with its hash."""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import io
import os
import random
import socket
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.accounts import auth, organisations
from portal.accounts.models import Membership
from portal.applications import documents, drafts, queries
from portal.applications.models import ApplicationFile, NumberCounter
from portal.catalog import services
from portal.catalog.queries import get_call
from portal.catalog.schema import CallSpec
from portal.core import audit, time
from portal.core.mail import OutboxMessage
from portal.core.storage import storage
from portal.extensions import db
from tests.applications.conftest import ANSWERS, DECLARATIONS, QUESTIONS
from tests.fakes.samples import pdf
from tests.faults.conftest import Browser, wait_for

MB = 1024 * 1024
PASSWORD = "une phrase de passe solide"
DOCUMENTS = [
    {"key": "statuts", "label": "Statuts de l'association", "formats": ["pdf"], "max_size_mb": 5},
    {"key": "cerfa-12156", "label": "Demande de subvention (Cerfa n°12156)", "formats": ["pdf"]},
    {"key": "rapport", "label": "Rapport d'activité", "formats": ["pdf"], "max_size_mb": 100, "required": False},
]


@dataclass(frozen=True)
class Draft:
    id: str
    email: str
    members: tuple[str, ...]
    prefix: str  # of its number: « AAP-<year the window closes> »

    @property
    def url(self) -> str:
        return f"/candidatures/{self.id}/"


@pytest.fixture
def draft(instance) -> Draft:
    """An association's complete draft (answers, statutes and Cerfa) to an open call, and its two members."""
    tag = uuid.uuid4().hex[:8]
    with instance.context():
        today = time.today_paris()
        spec = CallSpec.model_validate({
            "id": str(uuid.uuid4()), "kind": "AAP", "title": "Équipes mobiles de prévention des expulsions",
            "summary": "Soutenir les équipes mobiles qui vont vers les ménages menacés d'expulsion.",
            "issuer": {"body": "Département du Pas-de-Calais"}, "themes": ["prévention des expulsions"],
            "territories": [{"name": "Pas-de-Calais", "code": "DEP-62"}], "carriers": {"types": ["association"]},
            "windows": [{"key": "unique", "opens_on": str(today - dt.timedelta(days=1)),
                         "closes_on": str(today + dt.timedelta(days=30))}],
            "required_documents": DOCUMENTS, "questions": QUESTIONS, "declarations": DECLARATIONS})
        body = "## Contexte\n\nUn texte d'appel suffisant."
        services.publish(f"crash-{tag}", spec, body, hashlib.sha256(f"{tag}{body}".encode()).hexdigest(), time.now())
        db.session.commit()
        window = get_call(f"crash-{tag}").windows[0]
        claire = auth.create_confirmed_user(f"claire-{tag}@asso-logement.fr", "Claire Martin", PASSWORD)
        paul = auth.create_confirmed_user(f"paul-{tag}@asso-logement.fr", "Paul Durand", PASSWORD)
        db.session.commit()
        organisation = organisations.create_organisation(organisations.Identity(
            legal_name=f"Association Logement Solidaire {tag}", legal_form="association", address="12 rue des Tilleuls",
            postcode="62000", city="Arras", representative_name="Jeanne Leroy", representative_role="Présidente",
            rna=f"W62{random.randrange(10**7):07d}"), by=claire)
        db.session.add(Membership(organisation=organisation, user=paul, role="member", joined_at=time.now()))
        db.session.commit()
        application, _ = drafts.start(window, organisation, claire, time.now())
        drafts.save(application, MultiDict(ANSWERS), claire, time.now())
        for key, content in (("statuts", pdf()), ("cerfa-12156", pdf() + b"% cerfa\n")):
            documents.upload(application, key, io.BytesIO(content), f"{key}.pdf", claire, organisation.id, time.now())
        db.session.commit()  # the use cases flush; the fixture commits once, as the request would
        return Draft(str(application.id), claire.email, (claire.email, paul.email),
                     f"AAP-{time.to_paris(window.closes_at).year}")


@pytest.fixture
def browser(server, draft) -> Browser:
    """Claire, signed in."""
    signed_in = Browser(server.url)
    signed_in.sign_in(draft.email, PASSWORD)
    return signed_in


# ---- what the database and the store hold --------------------------------------------------------------------------

def snapshot(instance, draft: Draft) -> dict:
    """Everything a deposit or an upload may change, as the database holds it now."""
    with instance.context():
        application = queries.get(uuid.UUID(draft.id))
        receipts = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient.in_(draft.members), OutboxMessage.subject.startswith("Accusé de réception")))
        return {
            "status": application.status, "number": application.number, "revision": application.revision,
            "answers": application.answers,
            "files": sorted((str(f.id), f.slot, f.storage_key, f.sha256, f.removed_at) for f in application.files),
            "versions": [(v.number, v.snapshot) for v in application.versions],
            "receipts": sorted((m.recipient, m.subject) for m in receipts),
            "deposits": [e.details for e in audit.for_target(f"application:{draft.id}")
                         if e.action == "application.submit"],
        }


def counter(instance, prefix: str) -> int:
    with instance.context():
        return db.session.scalar(select(NumberCounter.last).where(NumberCounter.prefix == prefix)) or 0


def assert_whole(instance, draft: Draft) -> str:
    """A deposit happened entirely or not at all; returns « draft » or « submitted » once every part agrees."""
    state = snapshot(instance, draft)
    if state["status"] == "draft":
        assert (state["number"], state["versions"], state["receipts"], state["deposits"]) == (None, [], [], [])
        return "draft"
    assert state["status"] == "submitted" and state["number"]
    [(number, frozen)] = state["versions"]
    current = {(file_id, sha) for file_id, _, _, sha, removed in state["files"] if removed is None}
    assert number == 1 and {(f["id"], f["sha256"]) for f in frozen["files"]} == current
    subject = f"Accusé de réception — candidature {state['number']} (version 1)"
    assert state["receipts"] == sorted((member, subject) for member in draft.members)
    assert state["deposits"] == [{"number": state["number"], "version": 1}]
    assert_store_holds_rows(instance)
    return "submitted"


def assert_store_holds_rows(instance) -> None:
    """Every file a row names is in the store, byte for byte the one its hash describes."""
    with instance.context():
        store = storage()
        for row in db.session.scalars(select(ApplicationFile)):
            with store.open(row.storage_key) as stored:
                assert hashlib.sha256(stored.read()).hexdigest() == row.sha256, row.original_name


def referenced(instance) -> set[str]:
    with instance.context():
        return set(db.session.scalars(select(ApplicationFile.storage_key)))


def gc(instance) -> str:
    """`portal storage gc --grace 0`, as an operator runs it after the restart."""
    runner = instance.app.test_cli_runner()
    result = contextvars.Context().run(runner.invoke, args=["storage", "gc", "--grace", "0"])
    assert result.exit_code == 0, result.output
    return result.output


def in_background(call) -> tuple[threading.Thread, list]:
    """Run a browser's request in a thread: it hangs at the armed pause until the server dies."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(call())
        except OSError as error:  # the connection died with the server
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


# ---- during an upload ----------------------------------------------------------------------------------------------

def start_streaming(server, browser: Browser, draft: Draft, declared_mb: int, sent_mb: int) -> socket.socket:
    """A large PDF posted to the « Rapport » slot from a slow connection: the headers announce `declared_mb`, only
    the first `sent_mb` are sent, the rest never comes before the crash."""
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f'{browser.csrf(f"{draft.url}pieces")}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="rapport.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n').encode()
    length = len(head) + declared_mb * MB + len(f"\r\n--{boundary}--\r\n")
    connection = socket.create_connection(("127.0.0.1", server.port))
    connection.sendall((f"POST {draft.url}pieces/rapport HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                        f"Cookie: {browser.cookie_header()}\r\nX-Upload: 1\r\nContent-Length: {length}\r\n"
                        f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n").encode() + head)
    block = os.urandom(MB)
    for _ in range(sent_mb):
        connection.sendall(block)
    return connection


def received_bytes(pid: int, folder: Path) -> int:
    """How much of a request body the process holds open under this folder (the store's `.part` file it writes the
    arriving file into, core.storage.Receiving)."""
    total = 0
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(descriptor).startswith(str(folder)):
                total += os.stat(descriptor).st_size
        except OSError:
            continue
    return total


def test_killed_while_a_large_file_arrives_the_draft_is_as_it_was(instance, server, draft, browser):
    before, files_before = snapshot(instance, draft), instance.store_files()
    connection = start_streaming(server, browser, draft, declared_mb=60, sent_mb=20)
    [worker] = server.workers()
    wait_for(lambda: received_bytes(worker, instance.uploads) >= 10 * MB, "the server is receiving the file")
    server.kill_worker(worker)
    connection.settimeout(10)
    try:
        answer = connection.recv(100)
    except ConnectionResetError:
        answer = b""
    connection.close()
    assert answer == b""  # the person was never told the file was kept
    assert snapshot(instance, draft) == before
    # What had arrived stays as a temporary file of the store, named by no row, until the gc removes it.
    [leftover] = instance.store_files() - files_before
    assert leftover.endswith(".part") and list(instance.spool.iterdir()) == []
    assert "dont 1 temporaire(s)" in gc(instance)
    assert instance.store_files() == referenced(instance)
    assert_store_holds_rows(instance)
    status, answer = browser.upload(f"{draft.url}pieces/rapport", "file", "rapport.pdf", pdf(), f"{draft.url}pieces")
    assert (status, answer["ok"]) == (200, True), answer  # the portal serves again: the person uploads once more


@pytest.mark.parametrize("pause, left", [
    ("store-write", "temporary"),  # the file was being written: its .part stays
    ("before-commit:ApplicationFile", "complete"),  # written and checked, its row never committed
])
def test_killed_while_a_file_is_stored_the_draft_is_as_it_was_and_gc_removes_what_was_left(
        instance, server, draft, browser, pause, left):
    before, files_before = snapshot(instance, draft), instance.store_files()
    server.arm(pause)
    content = pdf() + os.urandom(2 * MB) + b"\n%%EOF\n"
    thread, outcome = in_background(lambda: browser.upload(f"{draft.url}pieces/rapport", "file", "rapport.pdf",
                                                           content, f"{draft.url}pieces"))
    server.kill_worker(server.paused_pid())
    thread.join(10)
    assert isinstance(outcome[0], OSError), outcome  # no answer: the person was never told the file was kept
    assert snapshot(instance, draft) == before
    [leftover] = instance.store_files() - files_before
    assert leftover.endswith(".part") == (left == "temporary")
    assert leftover.strip(".").removesuffix(".part") not in referenced(instance)
    said = gc(instance)
    assert ("dont 1 temporaire(s)" if left == "temporary" else "fichier orphelin") in said
    assert instance.store_files() == files_before == referenced(instance)
    assert_store_holds_rows(instance)


# ---- during a deposit ----------------------------------------------------------------------------------------------

def deposit(browser: Browser, draft: Draft):
    return browser.post(f"{draft.url}deposer", {}, form_page=f"{draft.url}deposer")


def test_a_server_crash_inside_the_deposit_leaves_a_draft_that_deposits_whole_after_the_restart(
        instance, server, draft, browser):
    """Killed (master and worker) with the deposit's statements sent and not committed: nothing of it remains, not
    even a consumed number; after the restart the same click deposits it whole."""
    before = snapshot(instance, draft)
    prefix = draft.prefix
    last = counter(instance, prefix)
    server.arm("before-commit:Version")
    thread, outcome = in_background(lambda: deposit(browser, draft))
    server.paused_pid()
    server.crash()
    thread.join(10)
    assert isinstance(outcome[0], OSError), outcome
    server.start()
    assert assert_whole(instance, draft) == "draft"
    assert snapshot(instance, draft) == before and counter(instance, prefix) == last
    status, _, page = deposit(browser, draft)
    assert status == 200 and f"Candidature déposée : n° {prefix}-{last + 1:04d}, version 1" in page
    assert assert_whole(instance, draft) == "submitted"


def test_a_worker_killed_just_after_the_deposit_commits_leaves_it_deposited_whole(instance, server, draft, browser):
    """The person saw no answer, but the deposit is complete: number, version, files and receipts, and her
    application's page says so after the restart."""
    server.arm("after-commit:Version")
    thread, outcome = in_background(lambda: deposit(browser, draft))
    server.kill_worker(server.paused_pid())
    thread.join(10)
    assert isinstance(outcome[0], OSError), outcome
    assert assert_whole(instance, draft) == "submitted"
    number = snapshot(instance, draft)["number"]
    status, _, page = browser.open(draft.url)
    assert status == 200 and number in page and "Déposée" in page
