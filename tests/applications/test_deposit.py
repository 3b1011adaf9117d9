"""Depositing: the deadline is the last second of the closing day in Paris, summer and winter; a late deposit is
refused with the draft intact; edits after a deposit stay pending until deposited as a new version."""

import html

import pytest

from portal.applications.models import Application
from portal.extensions import db
from tests.applications.conftest import deposit, fill, get_application, ready, start, upload
from tests.conftest import post_form
from tests.fakes.samples import pdf


@pytest.mark.parametrize("closes_on, last_second, first_late", [
    ("2025-05-09", "2025-05-09 23:59:59", "2025-05-10 00:00:00"),  # summer time (UTC+2)
    ("2025-01-31", "2025-01-31 23:59:59", "2025-02-01 00:00:00"),  # winter time (UTC+1)
])
def test_deposit_at_the_last_second_is_accepted(client, publish_call, clock, applicant, closes_on, last_second,
                                                first_late):
    call = call_closing_on(publish_call, clock, closes_on)
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, call, organisation)
    ready(client, url)
    clock(last_second + ".999")
    response = deposit(client, url)
    assert "/versions/1" in response.headers["Location"]
    assert get_application(url).status == "submitted"


@pytest.mark.parametrize("closes_on, first_late", [("2025-05-09", "2025-05-10 00:00:00"),
                                                   ("2025-01-31", "2025-02-01 00:00:00")])
def test_late_deposit_is_refused_and_the_draft_is_kept(client, publish_call, clock, applicant, closes_on, first_late):
    call = call_closing_on(publish_call, clock, closes_on)
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, call, organisation)
    ready(client, url)
    before = get_application(url)
    answers, files = before.answers, [(f.original_name, f.sha256) for f in before.current_files]
    clock(first_late)
    page = deposit(client, url, follow_redirects=True).get_data(as_text=True)
    assert "Dépôt refusé" in page and "brouillon est conservé" in page
    after = get_application(url)
    assert after.status == "draft" and after.number is None and after.versions == []
    assert after.answers == answers and [(f.original_name, f.sha256) for f in after.current_files] == files
    # Nor can the draft be changed any more: it stays exactly as it was at the deadline.
    fill(client, url, {"q.objectifs": "Trop tard"})
    assert get_application(url).answers == answers


def test_a_deposit_sent_before_the_deadline_counts_even_if_its_upload_ends_after(client, open_call, clock,
                                                                                 applicant, monkeypatch):
    """The instant that counts is when the request arrived, not when its last byte was read."""
    import datetime as dt

    from portal.core import time

    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    fill(client, url)
    upload(client, url, "statuts", pdf(), "statuts.pdf")
    sent = clock("2025-05-09 23:59:58")
    ticks = iter(range(10_000))
    time.set_clock(lambda: sent + dt.timedelta(seconds=next(ticks)))  # every call: one second later
    token = client.get(f"{url}deposer").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    import io

    later = iter(range(10_000))  # the request arrives at 23:59:58, every later reading of the clock is 5 s on
    time.set_clock(lambda: sent + dt.timedelta(seconds=next(later) * 5))
    response = client.post(f"{url}deposer", data={"csrf_token": token,
                                                  "piece.cerfa-12156": (io.BytesIO(pdf()), "cerfa.pdf")},
                           content_type="multipart/form-data")
    assert "/versions/1" in response.headers["Location"]
    application = get_application(url)
    assert application.status == "submitted"
    assert application.versions[0].submitted_at.isoformat().startswith("2025-05-09T21:59:58")
    assert next(later) > 2  # the clock did move past midnight while the request was handled


def test_an_incomplete_application_cannot_be_deposited_and_the_panel_says_what_is_missing(client, open_call,
                                                                                         applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    saved = fill(client, url, {"q.objectifs": "x" * 250, "cerfa.amount_requested": "12 000", "budget.64": "15 000",
                               "budget.74-departement": "12 000"})
    assert "250 caractères pour 200 au plus" in saved.get_data(as_text=True)  # refused at the save, not kept
    page = html.unescape(client.get(url).get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")
    assert "Statuts de l'association</a> : pièce obligatoire manquante" in page
    assert "Objectifs du projet</a> : réponse obligatoire" in page
    assert "le budget n'est pas équilibré" in page and "écart de 3 000 €" in page
    assert "cette déclaration doit être cochée" in page
    assert 'href="/candidatures/' in page and 'pieces#doc-statuts"' in page and 'formulaire#q-objectifs"' in page
    response = deposit(client, url, follow_redirects=True)
    assert "Le dossier est incomplet" in response.get_data(as_text=True)
    assert get_application(url).status == "draft"


def test_every_member_sees_and_edits_the_same_draft(client, app, open_call, applicant):
    claire, paul, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    fill(client, url, {"q.objectifs": "Version de Claire"})
    other = app.test_client()
    sign_in_as(other, paul)
    assert start(other, open_call, organisation) == url  # a second « Candidater » leads to the same draft
    page = other.get(f"{url}formulaire").get_data(as_text=True)
    assert "Version de Claire" in page and "par Claire Martin" in page
    fill(other, url, {"q.objectifs": "Version de Paul"})
    assert get_application(url).answers["questions"]["objectifs"] == "Version de Paul"
    assert db.session.query(Application).count() == 1


def test_edits_after_deposit_stay_pending_until_deposited_as_a_new_version(client, app, open_call, applicant,
                                                                           make_user, sign_in, clock):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    ready(client, url)
    deposit(client, url)
    application = get_application(url)
    assert application.number == "AAP-2025-0001" and [v.number for v in application.versions] == [1]
    fill(client, url, {**_answers(), "q.objectifs": "Objectifs révisés"})
    application = get_application(url)
    assert application.has_pending_changes
    assert application.versions[0].snapshot["answers"]["questions"]["objectifs"] == "Aller vers les ménages."
    page = client.get(url).get_data(as_text=True)
    assert "Modifications non déposées" in page
    response = deposit(client, url)
    assert "/versions/2" in response.headers["Location"]
    application = get_application(url)
    assert [v.number for v in application.versions] == [1, 2] and application.number == "AAP-2025-0001"
    assert [v.reason for v in application.versions] == ["deposit", "changes"]  # stored in English
    assert application.versions[1].snapshot["answers"]["questions"]["objectifs"] == "Objectifs révisés"
    assert not application.has_pending_changes
    # Nothing new to deposit: no empty version 3.
    assert "Aucune modification" in deposit(client, url, follow_redirects=True).get_data(as_text=True)


def test_numbers_follow_each_other_per_kind_and_year(client, app, open_call, applicant, make_user,
                                                     make_organisation):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    ready(client, url)
    deposit(client, url)
    other = app.test_client()
    bob = make_user("bob@autre-asso.fr", "Bob")
    second = make_organisation(bob, "Autre association", rna="W621000002")
    sign_in_as(other, bob)
    url2 = start(other, open_call, second)
    ready(other, url2)
    deposit(other, url2)
    assert (get_application(url).number, get_application(url2).number) == ("AAP-2025-0001", "AAP-2025-0002")


def test_withdrawal_needs_a_reason_and_freezes_the_file(client, open_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    ready(client, url)
    deposit(client, url)
    post_form(client, f"{url}desistement", {"reason": ""}, form_page=url)
    assert get_application(url).status == "submitted"
    post_form(client, f"{url}desistement", {"reason": "Projet reporté à l'an prochain."}, form_page=url)
    application = get_application(url)
    assert application.status == "withdrawn" and application.withdrawal_reason == "Projet reporté à l'an prochain."
    fill(client, url, {"q.objectifs": "Après désistement"})
    assert get_application(url).answers["questions"]["objectifs"] == "Aller vers les ménages."


def call_closing_on(publish_call, clock, closes_on: str):
    from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS

    clock("2025-01-10 09:00:00")
    return publish_call(windows=[{"key": "unique", "opens_on": "2025-01-01", "closes_on": closes_on}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)


def _answers():
    from tests.applications.conftest import ANSWERS

    return dict(ANSWERS)


def sign_in_as(client, user):
    from tests.conftest import PASSWORD, csrf_token

    client.post("/compte/connexion", data={"csrf_token": csrf_token(client, "/compte/connexion"),
                                           "email": user.email, "password": PASSWORD})
