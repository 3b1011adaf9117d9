"""Grouped applications: the lead organisation invites a partner by e-mail; the partner's member follows the link,
chooses her organisation, then sees the file and adds her own documents, but neither answers nor deposits."""

import html

import pytest

from tests.applications.conftest import (
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
from tests.conftest import post_form
from tests.fakes.samples import pdf

PARTNER_EMAIL = "nadia@centre-social-arras.fr"


@pytest.fixture
def grouped_call(publish_call, clock):
    clock("2025-04-15 10:00:00")
    return publish_call("equipes-mobiles-groupees", grouped_applications=True, required_documents=DOCUMENTS,
                        questions=QUESTIONS, declarations=DECLARATIONS,
                        windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}])


@pytest.fixture
def lead(client, applicant, sign_in):
    """Claire, of the lead organisation, signed in on `client`."""
    sign_in(client, applicant[0].email)
    return client


@pytest.fixture
def nadia(app, make_user, make_organisation, sign_in):
    """A member of the partner organisation, signed in on a browser of her own."""
    user = make_user(PARTNER_EMAIL, "Nadia Benali")
    organisation = make_organisation(user, "Centre social d'Arras", rna="W621000009")
    browser = app.test_client()
    sign_in(browser, user.email)
    browser.user, browser.organisation = user, organisation
    return browser


def invite(client, url: str, name: str = "Centre social d'Arras", email: str = PARTNER_EMAIL):
    response = post_form(client, f"{url}partenaires", {"name": name, "email": email}, form_page=url)
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def join(nadia, lead, url: str, mailbox) -> None:
    """The lead invites, Nadia follows the link in her mail and chooses her organisation."""
    assert f"Invitation envoyée à {PARTNER_EMAIL}." in invite(lead, url)
    mailbox.deliver()
    link = mailbox.link_in(mailbox.last_to(PARTNER_EMAIL), "/candidatures/partenariat/")
    response = post_form(nadia, link, {"organisation_id": str(nadia.organisation.id)})
    assert response.headers["Location"] == url


def test_a_partner_invited_by_mail_joins_and_sees_the_application(lead, nadia, grouped_call, applicant, mailbox):
    url = start(lead, grouped_call, applicant[2])
    fill(lead, url, {"q.objectifs": "Aller vers les ménages, à deux."})
    assert nadia.get(url).status_code == 404  # not before she joins

    assert f"Invitation envoyée à {PARTNER_EMAIL}." in invite(lead, url)
    mailbox.deliver()
    message = mailbox.last_to(PARTNER_EMAIL)
    assert message["Subject"] == "Invitation à une candidature groupée — Équipes mobiles de prévention des expulsions"
    body = message.get_content()
    assert "Claire Martin vous invite, au titre de « Centre social d'Arras »" in body
    link = mailbox.link_in(message, "/candidatures/partenariat/")

    page = text_of(nadia.get(link))
    assert "« Centre social d'Arras » est invitée comme partenaire" in page
    response = post_form(nadia, link, {"organisation_id": str(nadia.organisation.id)})
    assert response.headers["Location"] == url
    page = text_of(nadia.get(url))
    assert "Candidature à « Équipes mobiles de prévention des expulsions »" in page
    assert "Association Logement Solidaire" in page and "a rejoint le dossier" in page
    assert "Aller vers les ménages, à deux." in text_of(nadia.get(f"{url}formulaire"))
    assert "Équipes mobiles de prévention des expulsions" in text_of(nadia.get("/candidatures/"))
    partner = get_application(url).partners[0]
    assert partner.organisation_id == nadia.organisation.id and partner.accepted_at is not None
    # The link served once: it cannot bring in another organisation.
    assert nadia.get(link).status_code == 404
    assert lead.get(link).status_code == 404


def test_the_partner_adds_her_documents_but_neither_answers_nor_deposits(lead, nadia, grouped_call, applicant,
                                                                        mailbox):
    url = start(lead, grouped_call, applicant[2])
    ready(lead, url)
    join(nadia, lead, url, mailbox)

    response = upload(nadia, url, "annexes", pdf() + b"% convention de partenariat\n", "convention.pdf")
    assert "Pièce ajoutée : convention.pdf (" in text_of(nadia.get(response.headers["Location"]))
    added = next(f for f in get_application(url).current_files if f.original_name == "convention.pdf")
    assert added.organisation_id == nadia.organisation.id and added.uploaded_by_id == nadia.user.id

    answers = get_application(url).answers
    assert fill(nadia, url, {"q.objectifs": "Réécrit par le partenaire"}).status_code == 403
    assert get_application(url).answers == answers
    assert nadia.get(f"{url}deposer").status_code == 403
    assert deposit(lead, url, follow_redirects=False).status_code == 302  # the lead deposits, with her file in it
    files = get_application(url).versions[0].snapshot["files"]
    assert "convention.pdf" in [f["name"] for f in files]
    token = text_of(nadia.get(url)).split('name="csrf_token" value="')[1].split('"')[0]
    assert nadia.post(f"{url}deposer", data={"csrf_token": token}).status_code == 403
    assert nadia.post(f"{url}desistement", data={"csrf_token": token, "reason": "Non"}).status_code == 403
    assert nadia.post(f"{url}partenaires", data={"csrf_token": token, "name": "X", "email": "x@y.fr"}).status_code \
        == 403
    assert [v.number for v in get_application(url).versions] == [1] and get_application(url).status == "submitted"


def test_the_partner_cannot_remove_the_lead_organisations_files(lead, nadia, grouped_call, applicant, mailbox):
    url = start(lead, grouped_call, applicant[2])
    ready(lead, url)
    join(nadia, lead, url, mailbox)
    statuts = next(f for f in get_application(url).current_files if f.slot == "statuts")
    response = post_form(nadia, f"{url}fichiers/{statuts.id}/retirer", {}, form_page=f"{url}pieces")
    assert "Vous ne pouvez plus retirer ce fichier." in text_of(nadia.get(response.headers["Location"]))
    assert statuts.id in [f.id for f in get_application(url).current_files]


def test_a_call_without_grouped_applications_refuses_the_invitation(lead, open_call, applicant, mailbox):
    url = start(lead, open_call, applicant[2])
    assert "partenaires" not in text_of(lead.get(url)).lower()  # no invitation form to begin with
    assert "Cet appel n'accepte pas les candidatures groupées." in invite(lead, url)
    assert get_application(url).partners == []
    assert [m for m in mailbox.deliver() if m["To"] == PARTNER_EMAIL] == []


def test_no_partner_can_be_invited_once_the_deadline_has_passed(lead, grouped_call, applicant, clock, mailbox):
    url = start(lead, grouped_call, applicant[2])
    clock("2025-05-10 00:00:00")
    assert "La date limite" in invite(lead, url)
    assert get_application(url).partners == []


def test_a_partner_invitation_opens_only_for_the_invited_address(app, lead, nadia, grouped_call, applicant, mailbox,
                                                                 make_user, make_organisation, sign_in):
    """The link may be forwarded or seen by someone else: only the person it was sent to brings an organisation in."""
    url = start(lead, grouped_call, applicant[2])
    invite(lead, url)
    mailbox.deliver()
    link = mailbox.link_in(mailbox.last_to(PARTNER_EMAIL), "/candidatures/partenariat/")
    intruder = make_user("marc@autre-asso.fr", "Marc Autre")
    other = make_organisation(intruder, "Autre association", rna="W621000010")
    browser = app.test_client()
    sign_in(browser, intruder.email)
    page = text_of(browser.get(link))
    assert f"Cette invitation a été envoyée à {PARTNER_EMAIL}" in page and "Rejoindre la candidature" not in page
    response = post_form(browser, link, {"organisation_id": str(other.id)}, form_page="/compte/")
    assert response.status_code == 403 and f"Cette invitation a été envoyée à {PARTNER_EMAIL}" in text_of(response)
    assert get_application(url).partners[0].accepted_at is None
    assert browser.get(url).status_code == 404
