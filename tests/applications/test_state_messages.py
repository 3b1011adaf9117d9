"""What the applicant is told after a save tells the truth about what the service instructeur sees: nothing of a
draft never deposited; the version deposited, and not the later changes, of a deposited application."""

import html
import json
import re

from tests.applications.conftest import ANSWERS, deposit, fill, ready, start
from tests.applications.test_deposit import sign_in_as
from tests.conftest import csrf_token

NOT_SEEN = "Ce dossier n'est pas encore déposé : le service instructeur ne le voit pas."
VERSION_SEEN = "Le service instructeur voit la version 1 déposée le 15 avril 2025 à 10 h 00 (heure de Paris)"
PENDING = "vos modifications enregistrées depuis ne lui sont pas transmises tant que vous n'avez pas cliqué sur " \
          "« Déposer les modifications »"


def visible(response) -> str:
    """The page's text as a person reads it: no tags, single spaces."""
    text = re.sub(r"<script.*?</script>|<[^>]+>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(text).replace("\u202f", " ").replace("\xa0", " "))


def autosave(client, url: str, answers: dict) -> dict:
    token = csrf_token(client, f"{url}formulaire")
    response = client.post(f"{url}formulaire", data={"csrf_token": token, **answers}, headers={"X-Autosave": "1"})
    return json.loads(response.get_data(as_text=True))


def test_a_saved_draft_is_said_not_seen_by_the_service(client, open_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    page = visible(client.get(fill(client, url).headers["Location"]))
    assert "Brouillon enregistré le 15 avril 2025 à 10 h 00 (heure de Paris) par Claire Martin." in page
    assert NOT_SEEN in page
    assert NOT_SEEN in autosave(client, url, {**ANSWERS, "q.menages": "130"})["message"]
    assert NOT_SEEN in visible(client.get(url))


def test_a_saved_edit_of_a_deposited_application_says_the_service_sees_version_1_not_the_edit(
        client, open_call, applicant, clock):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    ready(client, url)
    deposit(client, url)
    clock("2025-05-05 10:00:00")  # less than 7 days before the deadline: the warning speaks too
    response = fill(client, url, {**ANSWERS, "q.objectifs": "Objectifs révisés"})
    for page in (visible(client.get(response.headers["Location"])), visible(client.get(url)),
                 visible(client.get(f"{url}pieces"))):
        assert f"{VERSION_SEEN} ; {PENDING}." in page
        assert "pas encore déposé" not in page and "ne le voit pas" not in page
        assert "Un brouillon enregistré n'est pas une candidature déposée" not in page
        assert "Moins de 7 jours avant la date limite" in page
    form = visible(client.get(f"{url}formulaire"))
    assert "Enregistrer les modifications" in form and "Enregistrer le brouillon" not in form
    saved = autosave(client, url, {**ANSWERS, "q.objectifs": "Objectifs révisés encore"})
    assert saved["message"].startswith("Modifications enregistrées le 5 mai 2025 à 10 h 00 (heure de Paris) par "
                                       "Claire Martin.")
    assert f"{VERSION_SEEN} ; {PENDING}." in saved["message"] and "pas encore déposé" not in saved["message"]
