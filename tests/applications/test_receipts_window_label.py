"""A window's key is a name for the call files: a one-window call shows no window label on the applicant's pages,
the receipt (page, PDF, e-mail); a call with two windows names each one by its label."""

import html
import io
import re

import pytest
from pypdf import PdfReader

from tests.applications.conftest import CLOSES, DECLARATIONS, DOCUMENTS, QUESTIONS, deposit, ready, start


def visible(response) -> str:
    """The text a person reads: tags (and so attributes and URLs) left out."""
    if response.mimetype == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def deposited_pages(client, call, organisation, mailbox) -> dict[str, str]:
    url = start(client, call, organisation)
    ready(client, url)
    assert deposit(client, url).headers["Location"].endswith("/versions/1")
    pages = {path: client.get(path) for path in (f"/appels/{call.slug}/", "/candidatures/", url,
                                                 f"{url}versions/1", f"{url}versions/1/accuse-de-reception.pdf")}
    assert all(r.status_code == 200 for r in pages.values()), {p: r.status_code for p, r in pages.items()}
    texts = {path: visible(response) for path, response in pages.items()}
    mail = next(m for m in mailbox.deliver() if m["Subject"].startswith("Accusé de réception"))
    texts["receipt e-mail"] = mail.get_content()
    return texts


def test_a_one_window_call_never_shows_its_key_to_the_applicant(client, open_call, applicant, sign_in, mailbox):
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    texts = deposited_pages(client, open_call, organisation, mailbox)
    for where, text in texts.items():
        assert "unique" not in text.lower(), where
    assert "Date limite : 9 mai 2025 à 23 h 59 (heure de Paris)" in texts["receipt e-mail"]


@pytest.fixture
def two_windows_call(publish_call, clock):
    clock("2025-04-15 10:00:00")
    return publish_call(windows=[{"key": "ami-1", "label": "Territoires AMI 1 (Lens-Hénin, Artois)",
                                  "opens_on": "2025-04-01", "closes_on": CLOSES},
                                 {"key": "ami-2", "label": "Territoires AMI 2 (Boulonnais)",
                                  "opens_on": "2025-06-01", "closes_on": "2025-07-04"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)


def test_a_two_windows_call_names_the_window_on_every_page_and_receipt(client, two_windows_call, applicant, sign_in,
                                                                      mailbox):
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    texts = deposited_pages(client, two_windows_call, organisation, mailbox)
    for where, text in texts.items():
        assert "Territoires AMI 1 (Lens-Hénin, Artois)" in " ".join(text.split()), where
        assert "ami-1" not in text, where
    assert "Fenêtre : Territoires AMI 1 (Lens-Hénin, Artois) — date limite le 9 mai 2025" in texts["receipt e-mail"]

