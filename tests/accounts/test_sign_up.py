"""Sign-up with e-mail confirmation by a signed, expiring, single-use link; sign-in; no account enumeration."""

import datetime as dt

from portal.accounts.models import User
from portal.core.time import now
from portal.extensions import db
from tests.conftest import PASSWORD, post_form

EMAIL = "claire.martin@asso-exemple.fr"


def sign_up(client, email=EMAIL, password=PASSWORD, name="Claire Martin"):
    return post_form(client, "/compte/inscription",
                     {"name": name, "email": email, "password": password, "confirm": password})


def test_sign_up_confirm_then_sign_in(client, mailbox, sign_in):
    page = sign_up(client).get_data(as_text=True)
    assert "Consultez votre messagerie" in page and EMAIL in page
    [message] = mailbox.deliver()
    assert message["To"] == EMAIL and "Confirmez" in message["Subject"]
    user = db.session.query(User).filter_by(email=EMAIL).one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash

    refused = sign_in(client, EMAIL)
    assert refused.status_code == 400 and "pas encore confirmée" in refused.get_data(as_text=True)

    link = mailbox.link_in(message, "/compte/confirmer/")
    assert client.get(link).status_code == 302
    assert sign_in(client, EMAIL).status_code == 302
    assert "Claire Martin" in client.get("/compte/").get_data(as_text=True)


def test_confirmation_link_cannot_be_replayed(client, mailbox):
    sign_up(client)
    link = mailbox.link_in(mailbox.deliver()[0], "/compte/confirmer/")
    assert client.get(link).status_code == 302
    replay = client.get(link)
    assert replay.status_code == 400 and "déjà été utilisé" in replay.get_data(as_text=True)


def test_confirmation_link_expires_after_48_hours(client, mailbox, clock):
    clock("2026-03-02 10:00:00")
    sign_up(client)
    link = mailbox.link_in(mailbox.deliver()[0], "/compte/confirmer/")
    clock("2026-03-04 10:00:01")
    expired = client.get(link)
    assert expired.status_code == 400 and "expiré" in expired.get_data(as_text=True)
    assert db.session.query(User).filter_by(email=EMAIL).one().confirmed_at is None


def test_a_tampered_link_is_refused(client, mailbox):
    sign_up(client)
    link = mailbox.link_in(mailbox.deliver()[0], "/compte/confirmer/")
    assert client.get(link[:-3] + "abc").status_code == 400


def test_signing_up_with_a_known_address_says_the_same_and_warns_its_owner(client, mailbox, make_user):
    make_user(EMAIL)
    page = sign_up(client, password="un tout autre mot de passe").get_data(as_text=True)
    assert "Consultez votre messagerie" in page
    [message] = mailbox.deliver()
    assert "déjà un compte" in message.get_content()
    assert db.session.query(User).filter_by(email=EMAIL).count() == 1


def test_weak_passwords_are_refused_with_a_french_message(client):
    for password, expected in [("court", "au moins 12 caractères"), ("password1234", "trop courant"),
                               ("azertyuiop123", "trop courant"), ("123456789012", "trop courant")]:
        page = sign_up(client, password=password).get_data(as_text=True)
        assert expected in page, password
        assert "Le formulaire contient" in page
    assert db.session.query(User).count() == 0


def test_wrong_password_and_unknown_address_get_the_same_answer(client, make_user, sign_in):
    make_user(EMAIL)
    wrong = sign_in(client, EMAIL, "pas le bon mot de passe").get_data(as_text=True)
    unknown = sign_in(client, "personne@exemple.fr", "pas le bon mot de passe").get_data(as_text=True)
    message = "Adresse électronique ou mot de passe incorrect."
    assert message in wrong and message in unknown


def test_remember_me_sets_a_lasting_cookie(client, make_user):
    make_user(EMAIL)
    response = post_form(client, "/compte/connexion", {"email": EMAIL, "password": PASSWORD, "remember": "y"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "Expires=" in cookie


def test_sign_out_ends_the_session(client, make_user, sign_in):
    make_user(EMAIL)
    sign_in(client, EMAIL)
    assert client.get("/compte/").status_code == 200
    post_form(client, "/compte/deconnexion", {}, form_page="/compte/")
    assert client.get("/compte/").status_code == 302


def test_clock_is_respected_by_last_login(client, make_user, sign_in, clock):
    moment = clock("2026-01-15 09:30:00")
    make_user(EMAIL)
    sign_in(client, EMAIL)
    assert db.session.query(User).filter_by(email=EMAIL).one().last_login_at == moment.astimezone(dt.UTC)
    assert now() == moment


def test_signing_up_does_the_same_hashing_work_for_a_known_and_a_new_address(client, mailbox, make_user, monkeypatch):
    """The argon2 hash is the slow part (0.2 s with production parameters): done for a new address only, the answer
    time told whether an address has an account. Both paths hash once; scripts/bench/sign_up.py measures the times."""
    from portal.accounts import passwords

    make_user(EMAIL)
    hashed = []
    real = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda password: hashed.append(password) or real(password))
    sign_up(client, password="une autre phrase de passe")
    assert len(hashed) == 1
    sign_up(client, email="nouvelle.personne@asso-exemple.fr")
    assert len(hashed) == 2
    assert len(mailbox.deliver()) == 2  # a note to the owner, a confirmation link to the newcomer: one each
