"""Without JavaScript, an upload comes back to its slot (`#doc-…`): a refusal is said there, at the file field it is
tied to, and in the error summary at the top of the page; an accepted file is said there with its size in French."""

import pytest
from lxml import html as lxml_html

from portal.core.formatting import size_fr
from tests.applications.conftest import start, upload
from tests.applications.test_deposit import sign_in_as
from tests.fakes import samples


@pytest.fixture
def draft(client, open_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    return start(client, open_call, organisation)


def landing(client, response):
    """The page the browser is sent back to, and the fragment it scrolls to."""
    assert response.status_code == 302
    location = response.headers["Location"]
    path, _, fragment = location.partition("#")
    return lxml_html.fromstring(client.get(path).get_data(as_text=True)), fragment


def by_class(element, name: str) -> list:
    return element.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")


def text(element) -> str:
    return " ".join(element.text_content().split())


@pytest.mark.parametrize("size, said", [(512, "512 octets"), (36_250, "35,4 Ko"), (1_258_291, "1,2 Mo"),
                                        (4 * 1024 * 1024, "4 Mo"), (1, "1 octet")])
def test_sizes_are_written_in_french(size, said):
    assert size_fr(size) == said


def test_a_refused_upload_is_said_at_its_slot_and_in_the_error_summary(client, draft):
    page, fragment = landing(client, upload(client, draft, "statuts", samples.docx(), "statuts.pdf"))
    assert fragment == "doc-statuts"
    slot = page.get_element_by_id("doc-statuts")
    [error] = by_class(slot, "error-message")
    assert text(error).startswith("Erreur : « statuts.pdf »") and "PDF" in text(error)
    [field] = slot.xpath(".//input[@type='file']")
    assert error.get("id") in field.get("aria-describedby").split() and field.get("aria-invalid") == "true"
    [summary] = by_class(page, "error-summary")
    [link] = summary.xpath(".//a")
    assert link.get("href") == "#doc-statuts"
    assert text(link).startswith("Statuts de l'association : « statuts.pdf »")
    assert page.findtext(".//title").startswith("Erreur — ")
    # Once read, the refusal is not said again.
    page = lxml_html.fromstring(client.get(f"{draft}pieces").get_data(as_text=True))
    assert not by_class(page, "error-message") and not by_class(page, "error-summary")


def test_an_accepted_upload_is_said_at_its_slot_with_its_size(client, draft):
    content = samples.pdf() + b"%" + b"x" * 1_258_000 + b"\n"
    page, fragment = landing(client, upload(client, draft, "cerfa-12156", content, "cerfa.pdf"))
    assert fragment == "doc-cerfa-12156"
    slot = page.get_element_by_id("doc-cerfa-12156")
    assert f"Pièce ajoutée : cerfa.pdf ({size_fr(len(content))})." in text(slot)
    assert "(1,2 Mo)" in text(slot)
    assert not by_class(page, "error-summary")
