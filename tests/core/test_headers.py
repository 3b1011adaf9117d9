"""What a proxy or a browser may keep: nothing of a signed-in person's pages, files and exports (ASVS 8.2.1),
nor of the pages that carry a personal link or form; the public catalogue stays cacheable. HTTPS is pinned by the
application itself when it runs behind HTTPS."""

import pytest

from portal import create_app
from portal.config import TestConfig

EMAIL = "claire.martin@asso-exemple.fr"


@pytest.mark.parametrize("path", ["/compte/", "/compte/donnees.json", "/candidatures/", "/appels/",
                                  "/appels/equipes-mobiles/"])
def test_nothing_a_signed_in_person_sees_is_stored_by_a_cache(client, make_user, sign_in, publish_call, path):
    publish_call()
    make_user(EMAIL)
    sign_in(client, EMAIL)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/compte/connexion", "/compte/inscription", "/compte/mot-de-passe-oublie"])
def test_pages_with_a_personal_form_are_not_stored_either(client, path):
    assert "no-store" in client.get(path).headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/appels/", "/appels/equipes-mobiles/", "/appels/flux.atom", "/accessibilite"])
def test_public_pages_stay_cacheable_for_visitors(client, publish_call, path):
    publish_call()
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_https_is_pinned_when_cookies_are_secure(tmp_path, app):
    secure = TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    secure.SESSION_COOKIE_SECURE = True
    response = create_app(secure).test_client().get("/accessibilite")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in app.test_client().get("/accessibilite").headers
