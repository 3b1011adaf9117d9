"""The accusé de réception: every member receives it by e-mail with the number, each file's SHA-256 and a
verification link that anyone holding it can open; the PDF says the same; and each SHA-256 it states is the
hash of the bytes the portal actually keeps."""

import hashlib
import html
import io
import re

import pytest
from pypdf import PdfReader

from tests.applications.conftest import ANSWERS, deposit, fill, get_application, start, upload
from tests.conftest import post_form
from tests.fakes.samples import pdf

UPLOADED = {
    "statuts.pdf": pdf() + b"% statuts de l'association\n",
    "cerfa 12156.pdf": pdf() + b"% cerfa 12156\n" + bytes(range(256)) * 300,  # past one 64 KiB chunk of storage
    "rapport d'activité.pdf": pdf() + b"% annexe\n",
}


@pytest.fixture
def deposited(client, open_call, applicant, sign_in, mailbox):
    """Claire deposits her association's application (mails pile up in the outbox until delivered)."""
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    url = start(client, open_call, organisation)
    fill(client, url)
    upload(client, url, "statuts", UPLOADED["statuts.pdf"], "statuts.pdf")
    upload(client, url, "annexes", UPLOADED["rapport d'activité.pdf"], "rapport d'activité.pdf")
    # The missing Cerfa is sent with the deposit itself, from the summary page.
    response = post_form(client, f"{url}deposer",
                         {"piece.cerfa-12156": (io.BytesIO(UPLOADED["cerfa 12156.pdf"]), "cerfa 12156.pdf")},
                         form_page=f"{url}deposer", content_type="multipart/form-data")
    assert response.headers["Location"].endswith("/versions/1")
    client.url = url
    return client


def hashes_of(url: str, number: int = 1) -> dict[str, str]:
    return {f["name"]: f["sha256"] for f in get_application(url).versions[number - 1].snapshot["files"]}


def receipt_mails(mailbox) -> dict:
    return {m["To"]: m for m in mailbox.deliver() if m["Subject"].startswith("Accusé de réception")}


def test_every_member_receives_the_receipt_with_the_number_the_hashes_and_a_verification_link(deposited, mailbox):
    received = receipt_mails(mailbox)
    assert set(received) == {"claire@asso-logement.fr", "paul@asso-logement.fr"}
    message = received["paul@asso-logement.fr"]
    assert message["Subject"] == "Accusé de réception — candidature AAP-2025-0001 (version 1)"
    body = message.get_content()
    assert "Bonjour Paul Durand" in body and "Numéro : AAP-2025-0001 (version 1 — Dépôt)" in body
    for name, content in UPLOADED.items():
        assert f"- {name} — {len(content)} octets — SHA-256 {hashlib.sha256(content).hexdigest()}" in body
    assert re.search(r"https?://[^/\s]+/verifier/[\w-]{20,}\s", body)
    # Deposited before the deadline: she may still change it, and is told how.
    assert "Jusqu'à la date limite, vous pouvez modifier votre dossier" in body


def test_the_verification_link_shows_anyone_the_same_number_and_hashes(app, deposited, mailbox):
    link = mailbox.link_in(receipt_mails(mailbox)["claire@asso-logement.fr"], "/verifier/")
    anonymous = app.test_client()
    response = anonymous.get(link)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "AAP-2025-0001" in page and "Association Logement Solidaire" in page
    for content in UPLOADED.values():
        assert hashlib.sha256(content).hexdigest() in page
    assert anonymous.get("/verifier/" + "x" * 24).status_code == 404


def test_the_receipt_pdf_states_the_number_and_every_hash(deposited):
    response = deposited.get(f"{deposited.url}versions/1/accuse-de-reception.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
    assert "AAP-2025-0001" in text
    for content in UPLOADED.values():
        assert hashlib.sha256(content).hexdigest() in text  # whole, on one line: it can be copied and compared
    assert "/verifier/" in text


def test_each_hash_in_the_receipt_is_the_hash_of_the_bytes_the_portal_keeps(deposited, mailbox):
    from portal.core.storage import storage

    body = receipt_mails(mailbox)["claire@asso-logement.fr"].get_content()
    lines = (re.fullmatch(r"- (.+) — \d+ octets — SHA-256 ([0-9a-f]{64})", line) for line in body.splitlines())
    stated = dict(found.groups() for found in lines if found)
    assert stated == hashes_of(deposited.url) and set(stated) == set(UPLOADED)
    files = {f.original_name: f for f in get_application(deposited.url).current_files}
    for name, digest in stated.items():
        with storage().open(files[name].storage_key) as handle:
            kept = handle.read()
        assert kept == UPLOADED[name]
        assert hashlib.sha256(kept).hexdigest() == digest == files[name].sha256


def test_an_earlier_receipt_still_verifies_after_a_new_version_replaced_its_file(deposited, mailbox):
    from portal.core.storage import storage

    first = mailbox.link_in(receipt_mails(mailbox)["claire@asso-logement.fr"], "/verifier/")
    fill(deposited, deposited.url, {**ANSWERS, "q.objectifs": "Objectifs révisés"})
    upload(deposited, deposited.url, "statuts", pdf() + b"% statuts 2025\n", "statuts.pdf")
    assert deposit(deposited, deposited.url).headers["Location"].endswith("/versions/2")
    page = html.unescape(deposited.get(first).get_data(as_text=True))
    assert "version 1" in page and hashlib.sha256(UPLOADED["statuts.pdf"]).hexdigest() in page
    old = next(f for f in get_application(deposited.url).files if f.sha256 == hashes_of(deposited.url)["statuts.pdf"])
    with storage().open(old.storage_key) as handle:  # the replaced file is kept: version 1 refers to it
        assert handle.read() == UPLOADED["statuts.pdf"]
    second = receipt_mails(mailbox)["claire@asso-logement.fr"]
    assert "(version 2)" in second["Subject"]
    assert hashlib.sha256(pdf() + b"% statuts 2025\n").hexdigest() in second.get_content()


def test_the_receipt_pdf_is_for_members_only(app, deposited, make_user, sign_in):
    stranger = app.test_client()
    sign_in(stranger, make_user("curieux@ailleurs.fr", "Curieux").email)
    assert stranger.get(f"{deposited.url}versions/1/accuse-de-reception.pdf").status_code == 404
    assert app.test_client().get(f"{deposited.url}versions/1/accuse-de-reception.pdf").status_code == 302
