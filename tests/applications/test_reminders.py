"""`portal applications remind`, run every morning: two days before a deadline, each member of an organisation whose
draft is not deposited gets one e-mail saying that a saved draft is not a submission; nobody else, and never twice."""

import pytest

from tests.applications.conftest import ANSWERS, deposit, fill, get_application, ready, start


@pytest.fixture
def draft(app, open_call, applicant, sign_in):
    """Claire and Paul's association has a draft it has not deposited."""
    claire, _, organisation = applicant
    browser = app.test_client()
    sign_in(browser, claire.email)
    url = start(browser, open_call, organisation)
    fill(browser, url, {"q.objectifs": "Presque prêt"})
    return url


@pytest.fixture
def deposited(app, open_call, make_user, make_organisation, sign_in):
    """Bob's association deposited its application."""
    bob = make_user("bob@entraide-boulonnais.fr", "Bob Lefebvre")
    organisation = make_organisation(bob, "Entraide du Boulonnais", rna="W621000002")
    browser = app.test_client()
    sign_in(browser, bob.email)
    url = start(browser, open_call, organisation)
    ready(browser, url)
    deposit(browser, url)
    browser.url = url
    return browser


def remind(app) -> str:
    """What cron runs each morning: `portal applications remind`."""
    result = app.test_cli_runner().invoke(args=["applications", "remind"])
    assert result.exit_code == 0, result.output
    return result.output


def reminders(mailbox) -> dict:
    return {m["To"]: m for m in mailbox.deliver() if m["Subject"].startswith("Rappel")}


def test_two_days_before_the_deadline_every_member_of_an_undeposited_draft_is_reminded_once(
        app, client, draft, deposited, clock, mailbox, sign_in, applicant):
    clock("2025-05-07 08:00:00")  # the deadline is 9 May at 23:59:59
    assert remind(app).strip() == "1 candidature(s) rappelée(s)."
    received = reminders(mailbox)
    assert set(received) == {"claire@asso-logement.fr", "paul@asso-logement.fr"}
    body = received["paul@asso-logement.fr"].get_content()
    assert "Bonjour Paul Durand" in body and "Équipes mobiles de prévention des expulsions" in body
    assert "Un brouillon enregistré n'est pas une candidature" in body
    assert "9 mai 2025 à 23 h 59" in body
    link = mailbox.link_in(received["paul@asso-logement.fr"], "/candidatures/")
    assert link == f"/candidatures/{get_application(draft).id}/"
    sign_in(client, applicant[1].email)
    assert "Brouillon — non déposé" in client.get(link).get_data(as_text=True)

    # The next morning's run, or a second one by mistake, sends nothing more.
    assert remind(app).strip() == "0 candidature(s) rappelée(s)."
    clock("2025-05-08 08:00:00")
    assert remind(app).strip() == "0 candidature(s) rappelée(s)."
    assert reminders(mailbox) == {}


def test_three_days_before_the_deadline_nobody_is_reminded_yet(app, draft, clock, mailbox):
    clock("2025-05-06 23:59:59")
    assert remind(app).strip() == "0 candidature(s) rappelée(s)."
    assert reminders(mailbox) == {}
    assert get_application(draft).reminded_at is None


def test_a_deposited_application_gets_no_reminder(app, deposited, clock, mailbox):
    clock("2025-05-08 08:00:00")
    assert remind(app).strip() == "0 candidature(s) rappelée(s)."
    assert reminders(mailbox) == {}


def test_changes_saved_after_a_deposit_and_not_deposited_are_reminded_too(app, deposited, clock, mailbox):
    fill(deposited, deposited.url, {**ANSWERS, "q.objectifs": "Objectifs révisés"})
    clock("2025-05-07 08:00:00")
    remind(app)
    body = reminders(mailbox)["bob@entraide-boulonnais.fr"].get_content()
    assert "des modifications enregistrées n'ont pas été déposées" in body


def test_no_reminder_once_the_deadline_has_passed_or_for_a_withdrawn_or_deleted_application(
        app, client, draft, deposited, clock, mailbox, sign_in, applicant):
    from tests.conftest import post_form

    fill(deposited, deposited.url, {**ANSWERS, "q.objectifs": "Objectifs révisés"})  # changes not deposited
    clock("2025-05-10 08:00:00")
    assert remind(app).strip() == "0 candidature(s) rappelée(s)."
    clock("2025-05-07 08:00:00")
    post_form(deposited, f"{deposited.url}desistement", {"reason": "Nous ne candidaterons pas."},
              form_page=deposited.url)
    assert get_application(deposited.url).status == "withdrawn"
    sign_in(client, applicant[0].email)
    post_form(client, f"{draft}supprimer", {}, form_page=f"{draft}supprimer")
    assert get_application(draft) is None
    assert remind(app).strip() == "0 candidature(s) rappelée(s)."
    assert reminders(mailbox) == {}


def test_the_reminder_sent_from_inside_a_request_links_to_the_portal_not_to_the_request_host(app, draft, clock,
                                                                                              mailbox):
    from portal.applications import reminders as service
    from portal.core.time import now

    clock("2025-05-08 18:00:00")
    with app.test_request_context(base_url="https://evil.example"):
        assert service.send_due(now()) == 1
    link = [word for word in reminders(mailbox)["claire@asso-logement.fr"].get_content().split()
            if "/candidatures/" in word]
    assert link == [f"{app.config['BASE_URL']}/candidatures/{get_application(draft).id}/"]
