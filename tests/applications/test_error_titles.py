"""Every form page that comes back with errors says so first in its title (« Erreur — … »), the first words a
screen reader reads: the application form and its documents, the account and organisation forms, the review grid,
the decision and the eligibility forms, walked here with bad input."""

import re

from tests.applications.conftest import ANSWERS, deposit, fill, ready, start, upload
from tests.applications.test_deposit import sign_in_as
from tests.conftest import post_form
from tests.fakes import samples
from tests.reviews.conftest import selection  # noqa: F401 (fixture)
from tests.reviews.conftest import sign_in_as as staff_sign_in
from tests.reviews.test_decisions import deliberate
from tests.reviews.test_decisions import url_of as staff_url
from tests.reviews.test_reviewing import assign, in_review, send  # noqa: F401 (fixture)


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S).group(1).strip()


def followed(client, response):
    return client.get(response.headers["Location"]) if response.status_code == 302 else response


def test_the_applicants_forms_with_errors_say_erreur_in_their_title(client, open_call, applicant, clock):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    response = fill(client, url, {**ANSWERS, "q.objectifs": "y" * 201})
    assert response.status_code == 422 and title_of(response).startswith("Erreur — Questions et budget")
    response = followed(client, upload(client, url, "statuts", samples.docx(), "statuts.pdf"))
    assert title_of(response).startswith("Erreur — Pièces justificatives")
    assert not title_of(client.get(f"{url}pieces")).startswith("Erreur")  # the refusal was said once

    ready(client, url)
    clock("2025-05-10 00:00:00")  # one second late: the deposit is refused with a message, on the page it leads to
    response = followed(client, deposit(client, url))
    assert "Dépôt refusé" in response.get_data(as_text=True) and title_of(response).startswith("Erreur — ")

    response = post_form(client, "/organisations/nouvelle", {"legal_name": ""})
    assert title_of(response).startswith("Erreur — "), title_of(response)
    response = post_form(client, "/compte/mot-de-passe", {"current_password": "faux"}, form_page="/compte/")
    assert title_of(followed(client, response)).startswith("Erreur — Mon compte")


def test_account_forms_with_errors_say_erreur_once_in_their_title(client):
    response = post_form(client, "/compte/inscription", {"email": "pas une adresse"})
    assert title_of(response).startswith("Erreur — Créer un compte") and title_of(response).count("Erreur") == 1
    response = post_form(client, "/compte/connexion", {"email": "personne@exemple.fr", "password": "faux"})
    assert title_of(response).startswith("Erreur — Se connecter") and title_of(response).count("Erreur") == 1
    assert title_of(client.get("/compte/connexion")).startswith("Se connecter")


def test_the_staff_and_committee_forms_with_errors_say_erreur_in_their_title(client, in_review):  # noqa: F811
    application = in_review.applications[0]
    reviewer = in_review.reviewers[0]
    assign(reviewer, application)
    staff_sign_in(client, reviewer)
    response = send(client, application, {"score_qualite": "9", "opinion": "favourable"}, submit=True)
    assert response.status_code in (400, 422) and title_of(response).startswith("Erreur — Évaluation")


def test_the_decision_and_eligibility_forms_with_errors_say_erreur_in_their_title(client, selection):  # noqa: F811
    application = selection.applications[0]
    staff_sign_in(client, selection.manager)
    response = post_form(client, f"{staff_url(application)}/recevabilite", {"verdict": "ineligible", "reason": ""})
    assert response.status_code == 400 and title_of(response).startswith("Erreur — "), title_of(response)
    deliberate(selection)
    response = post_form(client, f"{staff_url(application)}/decision",
                         {"outcome": "selected", "amount": "99 000", "motivation": ""}, form_page=staff_url(application))
    assert response.status_code == 422 and title_of(response).startswith("Erreur — "), title_of(response)
