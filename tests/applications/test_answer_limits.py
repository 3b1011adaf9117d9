"""A length the form announces is a length the portal keeps to: a longer answer is not stored, the person sees
the text she typed with the French error at its field, and everything else she typed is saved."""

import html

import pytest

from tests.applications.conftest import ANSWERS, fill, get_application, start
from tests.applications.test_deposit import sign_in_as


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("length", [201, 400_000])
def test_an_answer_past_its_announced_length_is_not_stored_and_the_rest_is(client, open_call, applicant, length):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    fill(client, url)
    typed = "y" * length
    response = fill(client, url, {**ANSWERS, "q.objectifs": typed, "q.menages": "140"})
    assert response.status_code == 422
    page = text_of(response)
    assert f"raccourcissez de {length - 200:,}".replace(",", " ") in page
    assert 'id="q-objectifs-error"' in page and 'aria-invalid="true"' in page
    assert typed in page  # the text is shown again, not lost
    stored = get_application(url).answers["questions"]
    assert stored["objectifs"] == "Aller vers les ménages." and stored["menages"] == "140"


def test_autosave_says_which_answer_is_too_long(client, open_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    fill(client, url)
    from tests.conftest import csrf_token

    response = client.post(f"{url}formulaire", headers={"X-Autosave": "1"},
                           data={"csrf_token": csrf_token(client, f"{url}formulaire"), **ANSWERS,
                                 "q.objectifs": "z" * 250})
    assert response.status_code == 422
    body = response.get_json()
    assert body["saved"] is False and "Objectifs du projet" in body["message"]
    assert "raccourcissez de 50" in body["problems"]["q-objectifs"]
    assert get_application(url).answers["questions"]["objectifs"] == "Aller vers les ménages."


def test_a_text_without_a_limit_in_the_call_has_the_portal_s_and_the_form_says_it(client, publish_call, applicant,
                                                                                clock):
    clock("2025-04-15 10:00:00")
    call = publish_call(questions=[{"key": "resume", "label": "Résumé", "type": "long_text"},
                                   {"key": "sigle", "label": "Sigle du projet", "type": "short_text"}])
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, call, organisation)
    page = text_of(client.get(f"{url}formulaire"))
    assert "20 000 caractères au maximum." in page and "500 caractères au maximum." in page
    response = fill(client, url, {"q.resume": "r" * 20_001, "q.sigle": "EMPE"})
    assert response.status_code == 422 and "raccourcissez de 1" in text_of(response)
    stored = get_application(url).answers["questions"]
    assert "resume" not in stored and stored["sigle"] == "EMPE"
