"""Signing out ends the sign-in on the server: the next request is anonymous, the « rester connecté » cookie is
deleted, and a cookie copied before (on a shared computer, by someone looking over a shoulder) opens nothing."""

from portal.accounts.models import SignInSession
from portal.extensions import db
from tests.conftest import PASSWORD, post_form

EMAIL = "claire.martin@asso-exemple.fr"


def sign_in_remembered(client):
    return post_form(client, "/compte/connexion", {"email": EMAIL, "password": PASSWORD, "remember": "y"})


def sign_out(client):
    return post_form(client, "/compte/deconnexion", {}, form_page="/compte/")


def copy_cookies(source, target, *names):
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        target.set_cookie(name, cookie.value)


def test_signing_out_of_a_remembered_session_leaves_the_browser_anonymous(client, make_user):
    make_user(EMAIL)
    sign_in_remembered(client)
    assert client.get("/compte/").status_code == 200
    response = sign_out(client)
    deleted = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0]
    assert client.get("/compte/").status_code == 302


def test_a_session_cookie_copied_before_sign_out_opens_nothing_afterwards(app, client, make_user, sign_in):
    make_user(EMAIL)
    sign_in(client, EMAIL)
    thief = app.test_client()
    copy_cookies(client, thief, "session")
    assert thief.get("/compte/").status_code == 200
    sign_out(client)
    assert thief.get("/compte/").status_code == 302


def test_a_remember_cookie_copied_before_sign_out_opens_nothing_afterwards(app, client, make_user):
    make_user(EMAIL)
    sign_in_remembered(client)
    thief = app.test_client()
    copy_cookies(client, thief, "remember_token")
    assert thief.get("/compte/").status_code == 200  # the copy alone signs in, as the real cookie would
    sign_out(client)
    assert thief.get("/compte/").status_code == 302  # neither the session it got nor the copied cookie
    second_thief = app.test_client()
    copy_cookies(thief, second_thief, "remember_token")
    assert second_thief.get("/compte/").status_code == 302


def test_signing_out_everywhere_closes_every_device(app, client, make_user, sign_in):
    make_user(EMAIL)
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, EMAIL)
    sign_in_remembered(laptop)
    sign_in(client, EMAIL)
    page = client.get("/compte/").get_data(as_text=True)
    assert "ouvert sur 3 appareils" in page
    response = post_form(client, "/compte/deconnexion-partout", {}, form_page="/compte/")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    for device in (client, phone, laptop):
        assert device.get("/compte/").status_code == 302
    fresh_laptop = app.test_client()
    fresh_laptop.set_cookie("remember_token", laptop.get_cookie("remember_token").value)
    assert fresh_laptop.get("/compte/").status_code == 302
    assert db.session.query(SignInSession).filter(SignInSession.ended_at.is_(None)).count() == 0


def test_changing_the_password_keeps_this_device_and_closes_the_others(app, client, make_user, sign_in):
    make_user(EMAIL)
    other_device = app.test_client()
    sign_in(other_device, EMAIL)
    sign_in(client, EMAIL)
    new = "un tout nouveau mot de passe"
    response = post_form(client, "/compte/mot-de-passe", {"current": PASSWORD, "password": new, "confirm": new},
                         form_page="/compte/")
    assert response.status_code == 302
    assert client.get("/compte/").status_code == 200
    assert other_device.get("/compte/").status_code == 302


def test_a_session_id_without_its_server_side_session_is_refused(app, client, make_user, sign_in):
    """A forged or old-format cookie (« <id>:<version> ») signs nobody in."""
    user = make_user(EMAIL)
    with client.session_transaction() as stored:
        stored["_user_id"] = f"{user.id}:1"
        stored["_fresh"] = True
    assert client.get("/compte/").status_code == 302


def test_a_remembered_sign_in_ends_after_thirty_days_even_for_a_copy(app, client, make_user, clock):
    clock("2026-03-01 10:00:00")
    make_user(EMAIL)
    sign_in_remembered(client)
    copy = app.test_client()
    copy_cookies(client, copy, "remember_token")
    clock("2026-03-30 10:00:00")
    assert copy.get("/compte/").status_code == 200
    clock("2026-03-31 10:00:01")
    late = app.test_client()
    copy_cookies(client, late, "remember_token")
    assert late.get("/compte/").status_code == 302
