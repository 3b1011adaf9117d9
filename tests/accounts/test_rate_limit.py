"""Sign-in attempts are limited per account and per address, the limit resets, and the answer never says
whether the address has an account. The storage is in memory, or Redis when PORTAL_RATELIMIT_STORAGE says so
(CI runs the PostgreSQL pass with Redis)."""

import os
import time as wall

import pytest

from tests.conftest import PASSWORD, post_form


@pytest.fixture
def limits(app):
    """Limits for one test, counted from zero. Windows are long (an hour) wherever the test does not wait for
    one to pass, so that a slow machine cannot let a window lapse in the middle of a test."""
    from portal.extensions import limiter

    saved = {key: app.config[key] for key in ("LOGIN_LIMIT_ACCOUNT", "LOGIN_LIMIT_ADDRESS")}
    limiter.reset()

    def set_limits(account: str, address: str) -> None:
        app.config.update(LOGIN_LIMIT_ACCOUNT=account, LOGIN_LIMIT_ADDRESS=address)

    yield set_limits
    app.config.update(saved)
    limiter.reset()


def attempt(client, email, password="pas le bon mot de passe", address="203.0.113.7"):
    return post_form(client, "/compte/connexion", {"email": email, "password": password},
                     environ_base={"REMOTE_ADDR": address})


def wait_for_window_to_pass(seconds: int) -> None:
    """A window starts at the first attempt it counts, so it has passed `seconds` later."""
    wall.sleep(seconds + 0.1)


def test_too_many_attempts_on_one_account_are_refused_even_with_the_right_password(client, make_user, limits):
    limits(account="3 per hour", address="100 per hour")
    make_user("claire.martin@asso-exemple.fr")
    for _ in range(3):
        assert attempt(client, "claire.martin@asso-exemple.fr").status_code == 400
    blocked = attempt(client, "claire.martin@asso-exemple.fr", PASSWORD)
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.get_data(as_text=True)
    # Another account from the same address is not affected by this account's limit.
    make_user("paul.durand@asso-exemple.fr", "Paul Durand")
    assert attempt(client, "paul.durand@asso-exemple.fr", PASSWORD).status_code == 302


def test_the_limit_resets_after_its_window(client, make_user, limits):
    limits(account="2 per 4 seconds", address="100 per hour")
    make_user("claire.martin@asso-exemple.fr")
    attempt(client, "claire.martin@asso-exemple.fr")
    attempt(client, "claire.martin@asso-exemple.fr")
    assert attempt(client, "claire.martin@asso-exemple.fr", PASSWORD).status_code == 429
    wait_for_window_to_pass(4)
    assert attempt(client, "claire.martin@asso-exemple.fr", PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_limited(client, limits):
    limits(account="100 per hour", address="4 per hour")
    for number in range(4):
        assert attempt(client, f"inconnu{number}@exemple.fr").status_code == 400
    assert attempt(client, "inconnu9@exemple.fr").status_code == 429
    assert attempt(client, "inconnu9@exemple.fr", address="198.51.100.20").status_code == 400


def test_unknown_and_known_addresses_are_limited_alike(client, make_user, limits):
    """Being blocked must not reveal that an account exists."""
    limits(account="2 per hour", address="100 per hour")
    make_user("claire.martin@asso-exemple.fr")
    answers = {}
    for email in ("claire.martin@asso-exemple.fr", "personne@exemple.fr"):
        answers[email] = [attempt(client, email).status_code for _ in range(3)]
    assert answers["claire.martin@asso-exemple.fr"] == answers["personne@exemple.fr"] == [400, 400, 429]


def test_limits_live_in_the_configured_storage(app):
    from portal.extensions import limiter

    wanted = os.environ.get("PORTAL_RATELIMIT_STORAGE", "memory://")
    assert app.config["RATELIMIT_STORAGE_URI"] == wanted
    assert type(limiter.storage).__name__ == ("RedisStorage" if wanted.startswith("redis") else "MemoryStorage")
    assert limiter.storage.check()
