"""Password reset by e-mail: the link works once, expires after an hour, and closes every other session."""

from portal.accounts.models import SignInSession
from portal.extensions import db
from tests.conftest import PASSWORD, post_form

EMAIL = "claire.martin@asso-exemple.fr"
NEW = "un tout nouveau mot de passe"


def ask_reset(client, email=EMAIL):
    return post_form(client, "/compte/mot-de-passe-oublie", {"email": email})


def choose(client, link, password=NEW, form_page=None):
    return post_form(client, link, {"password": password, "confirm": password}, form_page=form_page)


def test_reset_by_link_then_sign_in_with_the_new_password(client, mailbox, make_user, sign_in):
    make_user(EMAIL)
    assert "Si un compte existe" in ask_reset(client).get_data(as_text=True)
    [message] = mailbox.deliver()
    link = mailbox.link_in(message, "/compte/nouveau-mot-de-passe/")
    assert choose(client, link).status_code == 302
    assert sign_in(client, EMAIL, PASSWORD).status_code == 400
    assert sign_in(client, EMAIL, NEW).status_code == 302


def test_a_reset_link_cannot_be_replayed(client, mailbox, make_user):
    make_user(EMAIL)
    ask_reset(client)
    link = mailbox.link_in(mailbox.deliver()[0], "/compte/nouveau-mot-de-passe/")
    choose(client, link)
    replay = client.get(link)
    assert replay.status_code == 400 and "déjà été utilisé" in replay.get_data(as_text=True)


def test_a_reset_link_expires_after_one_hour(client, mailbox, make_user, clock):
    clock("2026-07-14 12:00:00")
    make_user(EMAIL)
    ask_reset(client)
    link = mailbox.link_in(mailbox.deliver()[0], "/compte/nouveau-mot-de-passe/")
    clock("2026-07-14 12:59:00")
    assert client.get(link).status_code == 200
    clock("2026-07-14 13:00:01")
    expired = client.get(link)
    assert expired.status_code == 400 and "expiré" in expired.get_data(as_text=True)
    assert choose(client, link, form_page="/compte/connexion").status_code == 400


def test_an_unknown_address_gets_the_same_page_and_no_mail(client, mailbox):
    page = ask_reset(client, "personne@exemple.fr").get_data(as_text=True)
    assert "Si un compte existe" in page
    assert mailbox.deliver() == []


def test_a_weak_new_password_is_refused(client, mailbox, make_user):
    make_user(EMAIL)
    ask_reset(client)
    link = mailbox.link_in(mailbox.deliver()[0], "/compte/nouveau-mot-de-passe/")
    page = choose(client, link, "motdepasse2024").get_data(as_text=True)
    assert "trop courant" in page


def test_resetting_closes_sessions_on_other_devices(app, client, mailbox, make_user, sign_in):
    make_user(EMAIL)
    other_device = app.test_client()
    sign_in(other_device, EMAIL)
    assert other_device.get("/compte/").status_code == 200
    ask_reset(client)
    choose(client, mailbox.link_in(mailbox.deliver()[0], "/compte/nouveau-mot-de-passe/"))
    assert other_device.get("/compte/").status_code == 302
    assert db.session.query(SignInSession).filter(SignInSession.ended_at.is_(None)).count() == 0
