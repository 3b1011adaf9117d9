"""A document the call requires of some carriers only (« le formulaire Cerfa n°12156 s'il s'agit d'une
association »: required_for) is required of an association's application and not of a bailleur social's, in
the completeness panel and at the deposit alike."""

import pytest

from portal.applications import completeness
from tests.applications.conftest import CLOSES, deposit, fill, get_application, start, upload
from tests.fakes.samples import pdf
from tests.reviews.conftest import sign_in_as

DOCUMENTS = [
    {"key": "statuts", "label": "Statuts", "formats": ["pdf"]},
    {"key": "cerfa-12156", "label": "Demande de subvention (Cerfa n°12156)", "required_for": ["association"]},
]


@pytest.fixture
def call(publish_call, clock):
    clock("2025-04-15 10:00:00")
    return publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": CLOSES}],
                        carriers={"types": ["association", "bailleur_social"]}, required_documents=DOCUMENTS)


def draft_of(client, call, make_user, make_organisation, legal_form: str) -> str:
    person = make_user(f"direction@{legal_form.replace('_', '-')}.fr", "Camille Roux")
    organisation = make_organisation(person, f"Organisme {legal_form}", legal_form=legal_form,
                                     rna="W751515517" if legal_form == "association" else None)
    sign_in_as(client, person)
    url = start(client, call, organisation)
    fill(client, url)
    upload(client, url, "statuts", pdf(), "statuts.pdf")
    return url


def missing(url: str) -> list[str]:
    return [p.label for p in completeness.problems(get_application(url))]


def test_an_association_must_give_the_cerfa_before_depositing(client, call, make_user, make_organisation):
    url = draft_of(client, call, make_user, make_organisation, "association")
    assert missing(url) == ["Demande de subvention (Cerfa n°12156)"]
    slot = next(s for s in completeness.slots(get_application(url)) if s.document.key == "cerfa-12156")
    assert slot.document.required
    response = deposit(client, url, follow_redirects=True)
    assert "Demande de subvention (Cerfa n°12156)" in response.get_data(as_text=True)
    assert get_application(url).status == "draft"
    upload(client, url, "cerfa-12156", pdf() + b"% cerfa\n", "cerfa.pdf")
    assert missing(url) == []
    assert "/versions/1" in deposit(client, url).headers["Location"]


def test_a_bailleur_social_deposits_without_it(client, call, make_user, make_organisation):
    url = draft_of(client, call, make_user, make_organisation, "bailleur_social")
    assert missing(url) == []
    slot = next(s for s in completeness.slots(get_application(url)) if s.document.key == "cerfa-12156")
    assert not slot.document.required  # shown « (optionnel) » on its documents page
    assert "(optionnel)" in client.get(f"{url}pieces").get_data(as_text=True)
    assert "/versions/1" in deposit(client, url).headers["Location"]
    assert get_application(url).status == "submitted"


def test_screening_asks_the_cerfa_of_the_association_only(client, call, make_user, make_organisation):
    """The screening checklist (reviews) reads the same rule: no « pièce obligatoire » point for a bailleur social."""
    from portal.reviews import eligibility

    url = draft_of(client, call, make_user, make_organisation, "bailleur_social")
    deposit(client, url)
    points = {item.key for item in eligibility.checklist(get_application(url))}
    assert "piece-statuts" in points and "piece-cerfa-12156" not in points
