"""Every absolute link the portal e-mails, prints or publishes leads to its configured address (PORTAL_BASE_URL),
whatever Host header a request carried, and a request for another host is refused."""

import pytest

from tests.conftest import csrf_token

EMAIL = "claire.martin@asso-exemple.fr"


def test_a_request_for_an_unknown_host_is_refused(client):
    assert client.get("/appels/", base_url="http://evil.example").status_code == 400
    assert client.post("/compte/mot-de-passe-oublie", data={"email": EMAIL},
                       base_url="http://evil.example").status_code == 400


def test_the_reset_link_comes_from_the_base_url_not_from_the_request(app, client, mailbox, make_user):
    """The test client's Host is « localhost » (trusted, as on the server itself); the link still names BASE_URL."""
    make_user(EMAIL)
    client.post("/compte/mot-de-passe-oublie", data={"email": EMAIL,
                                                      "csrf_token": csrf_token(client, "/compte/mot-de-passe-oublie")})
    [message] = mailbox.deliver()
    body = message.get_content()
    assert f"{app.config['BASE_URL']}/compte/nouveau-mot-de-passe/" in body
    assert "http://localhost" not in body


@pytest.mark.parametrize("path", ["/appels/flux.atom", "/api/v1/appels", "/donnees/dispositifs-aide.json"])
def test_feeds_and_open_data_link_to_the_base_url(app, client, publish_call, path):
    publish_call()
    text = client.get(path).get_data(as_text=True)
    assert app.config["BASE_URL"] + "/" in text and "http://localhost" not in text


def test_links_keep_a_path_prefix_of_the_base_url(app):
    from portal.core.urls import external_url

    previous = app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://www.pasdecalais.fr/appels-a-projets"
    try:
        with app.app_context():
            assert external_url("accounts.confirm", token="abc") == \
                "https://www.pasdecalais.fr/appels-a-projets/compte/confirmer/abc"
    finally:
        app.config["BASE_URL"] = previous
