"""A refused form about an application leads back to the application's page (`@refusals_go_to`), wherever it was
sent from, with the reason at the top, and leaves nothing written."""

import html

from portal.applications import permissions
from tests.applications.conftest import get_application, start
from tests.conftest import post_form

ELSEWHERE = "http://localhost/compte/"  # the form sent from another page of the site: the refusal ignores it


def test_a_refused_withdrawal_goes_back_to_the_applications_page(client, open_call, applicant, sign_in):
    sign_in(client, applicant[0].email)
    url = start(client, open_call, applicant[2])
    response = post_form(client, f"{url}desistement", {"reason": "Projet reporté."}, form_page=url,
                         headers={"Referer": ELSEWHERE})
    assert response.status_code == 302 and response.headers["Location"] == url
    assert html.escape(permissions.NOT_DEPOSITED) in client.get(url).get_data(as_text=True)
    assert get_application(url).status == "draft" and get_application(url).withdrawal_reason is None


def test_a_refused_invitation_goes_back_to_the_partners_section(client, open_call, applicant, sign_in):
    sign_in(client, applicant[0].email)
    url = start(client, open_call, applicant[2])
    response = post_form(client, f"{url}partenaires", {"name": "Centre social", "email": "nadia@centre-social.fr"},
                         form_page=url, headers={"Referer": ELSEWHERE})
    assert response.status_code == 302 and response.headers["Location"] == f"{url}#partenaires"
    assert "Cet appel n&#39;accepte pas les candidatures groupées." in client.get(url).get_data(as_text=True)
    assert get_application(url).partners == []
