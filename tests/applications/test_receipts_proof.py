"""What a receipt proves, as each reader reads it: the deposit's time in French to the second (no ISO instant with
microseconds) on the page, the PDF and the e-mail; every SHA-256 whole in the printed receipt, inside the page;
and a public verification page that proves the deposit without naming the person who made it."""

from __future__ import annotations

import hashlib
import html
import io
import re

import pytest
from pypdf import PdfReader

from portal.core.pdf import layout_pdf
from tests.applications.conftest import deposit, fill, get_application, start, upload
from tests.fakes.samples import pdf

FILES = {  # names long enough to press on the table's width
    "statuts": ("statuts de l'association Logement Solidaire, version adoptée en assemblée générale.pdf",
                pdf() + b"% statuts\n"),
    "cerfa-12156": ("cerfa 12156 demande de subvention 2025 signee par la presidente.pdf", pdf() + b"% cerfa\n"),
    "annexes": ("rapport d'activité.pdf", pdf() + b"% annexe\n"),
}
DEPOSITED_AT = "2025-04-15 10:05:03.123456"  # Paris time, summer: 08:05:03.123456 UTC
SAID = "15 avril 2025 à 10 h 05 min 03 s (heure de Paris)"


@pytest.fixture
def deposited(client, open_call, applicant, sign_in, mailbox, clock):
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    url = start(client, open_call, organisation)
    fill(client, url)
    for key, (name, content) in FILES.items():
        upload(client, url, key, content, name)
    clock(DEPOSITED_AT)
    assert deposit(client, url).headers["Location"].endswith("/versions/1")
    client.url = url
    return client


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def receipt_mail(mailbox):
    return next(m for m in mailbox.deliver() if m["Subject"].startswith("Accusé de réception"))


# ---- the time of the deposit ----------------------------------------------------------------------------------

def test_the_receipt_says_the_time_in_french_to_the_second_everywhere(deposited, mailbox):
    url = deposited.url
    page = page_text(deposited.get(f"{url}versions/1"))
    printed = " ".join(pdf_text(deposited.get(f"{url}versions/1/accuse-de-reception.pdf").get_data()).split())
    mail = " ".join(receipt_mail(mailbox).get_content().split())
    for where, text in {"page": page, "PDF": printed, "e-mail": mail}.items():
        assert f"Déposée le {SAID}" in text, where
        assert "123456" not in text and "08:05" not in text and "10:05" not in text, where


# ---- the printed hashes -----------------------------------------------------------------------------------------

def test_the_printed_receipt_shows_every_hash_whole_on_one_line(deposited):
    text = pdf_text(deposited.get(f"{deposited.url}versions/1/accuse-de-reception.pdf").get_data())
    lines = [line.strip() for line in text.splitlines()]
    for _, content in FILES.values():
        assert hashlib.sha256(content).hexdigest() in lines  # its own line: copied and compared in one go


def test_the_printed_receipt_stays_inside_the_page(app, deposited):
    from portal.applications import receipts

    application = get_application(deposited.url)
    document = layout_pdf("applications/receipt_pdf.html",
                          receipt=receipts.receipt_of(application, application.versions[0]))
    for page in document.pages:
        html_box = page._page_box.children[0]
        right = html_box.content_box_x() + html_box.width
        past = [(type(box).__name__, getattr(box, "text", "")[:40], round(box.position_x + box.margin_width() - right))
                for box in html_box.descendants() if box.position_x + box.margin_width() > right + 0.5]
        assert past == []


# ---- the public verification page ----------------------------------------------------------------------------

def test_the_public_verification_page_proves_the_deposit_without_naming_the_person(app, deposited, mailbox):
    link = mailbox.link_in(receipt_mail(mailbox), "/verifier/")
    page = page_text(app.test_client().get(link))
    assert "Claire Martin" not in page and "claire@asso-logement.fr" not in page
    assert "AAP-2025-0001" in page and "Association Logement Solidaire" in page and f"Déposée le {SAID}" in page
    for name, content in FILES.values():
        assert name in page and hashlib.sha256(content).hexdigest() in page
        assert f"{len(content)} octets" in page.replace("\u202f", "").replace("\xa0", "")


def test_the_declarations_are_dated_in_french_on_the_receipt_page_and_the_form(deposited):
    page = page_text(deposited.get(f"{deposited.url}versions/1"))
    assert "cochée par Claire Martin le 15 avril 2025" in page and "2025-04-15" not in page
    form = page_text(deposited.get(f"{deposited.url}formulaire"))
    assert "Cochée par Claire Martin le 15 avril 2025 à " in form and "2025-04-15" not in form
