"""After sign-in, and after choosing the organisation one acts for, the portal goes back where the person was —
never to another site, whatever characters the link hides, and never into an error page."""

import pytest

from portal.core.text import safe_next
from tests.conftest import PASSWORD, csrf_token

EMAIL = "claire.martin@asso-exemple.fr"

# Each of these is read by a browser as a link to another site (tab, line feed and carriage return are removed
# anywhere in a URL, spaces and control characters are trimmed at its ends, a backslash counts as a slash).
LEAVING = ["//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example",
           " //evil.example", "\x00//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example",
           "javascript:alert(1)", "/%09/evil.example".replace("%09", "\t"), "\x1f/\t/evil.example"]


@pytest.mark.parametrize("target", LEAVING)
def test_a_link_to_another_site_is_not_followed(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/appels/", "/candidatures/12?onglet=pieces", "/compte/#mot-de-passe"])
def test_a_path_on_this_site_is_kept(target):
    assert safe_next(target) == target


def sign_in_with_next(client, target):
    token = csrf_token(client, "/compte/connexion")
    return client.post("/compte/connexion", query_string={"next": target},
                       data={"csrf_token": token, "email": EMAIL, "password": PASSWORD})


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\n/evil.example", "/\r\nSet-Cookie: x=1", "//evil.example"])
def test_sign_in_with_a_hostile_next_lands_on_the_account_page(client, make_user, target):
    make_user(EMAIL)
    response = sign_in_with_next(client, target.replace("%09", "\t"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte/"
    assert "Set-Cookie: x" not in str(response.headers)


def test_sign_in_goes_back_to_the_page_that_asked(client, make_user):
    make_user(EMAIL)
    response = sign_in_with_next(client, "/appels/?statut=ouvert")
    assert response.headers["Location"] == "/appels/?statut=ouvert"


def test_choosing_the_organisation_never_leaves_the_site(client, make_user, make_organisation, sign_in):
    make_organisation(make_user(EMAIL))
    sign_in(client, EMAIL)
    token = csrf_token(client, "/compte/")
    for target in ("/\t/evil.example", "/\\evil.example"):
        response = client.post("/compte/organisation-active", data={"csrf_token": token, "organisation": "x",
                                                                    "next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/compte/", target
