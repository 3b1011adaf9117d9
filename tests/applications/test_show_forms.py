"""The forms of an application's page (inviting a partner, withdrawing) say their errors at their fields, with an
error summary, on the page they were sent from, rather than in a message at the top of a page scrolled away."""

import pytest
from lxml import html as lxml_html

from tests.applications.conftest import deposit, ready, start
from tests.applications.test_deposit import sign_in_as
from tests.applications.test_partners import grouped_call  # noqa: F401 (fixture)
from tests.conftest import post_form


@pytest.fixture
def draft(client, grouped_call, applicant):  # noqa: F811
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    return start(client, grouped_call, organisation)


def text(element) -> str:
    return " ".join(element.text_content().split())


def assert_error_at(page, field_id: str, said: str) -> None:
    error = page.get_element_by_id(f"{field_id}-error")
    assert text(error) == f"Erreur : {said}"
    field = page.get_element_by_id(field_id)
    assert f"{field_id}-error" in field.get("aria-describedby").split() and field.get("aria-invalid") == "true"
    [link] = page.xpath(f"//div[contains(@class, 'error-summary')]//a[@href='#{field_id}']")
    assert said in text(link)
    assert page.findtext(".//title").startswith("Erreur — ")


def test_a_wrong_partner_address_is_said_at_its_field(client, draft):
    response = post_form(client, f"{draft}partenaires", {"name": "Centre social", "email": "pas-une-adresse"},
                         form_page=draft)
    assert response.status_code == 422
    page = lxml_html.fromstring(response.get_data(as_text=True))
    assert_error_at(page, "email", "Adresse électronique invalide (exemple : nom@association.fr).")
    assert page.get_element_by_id("name").get("value") == "Centre social"  # what she typed is kept


def test_a_withdrawal_without_a_reason_is_said_at_its_field(client, draft):
    ready(client, draft)
    deposit(client, draft)
    response = post_form(client, f"{draft}desistement", {"reason": ""}, form_page=draft)
    assert response.status_code == 422
    page = lxml_html.fromstring(response.get_data(as_text=True))
    assert_error_at(page, "reason", "Indiquez la raison du désistement.")
    assert page.get_element_by_id("desistement").xpath(".//details")[0].get("open") is not None
