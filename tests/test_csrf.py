"""Every form is protected against cross-site request forgery: a POST without the token is refused, on every
registered route, whoever is signed in. The only exception is the one-click unsubscribe of RFC 8058."""

import uuid

from werkzeug.routing import IntegerConverter, UUIDConverter

from portal.accounts.models import Membership
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests.conftest import csrf_token

EXEMPT = {"alerts.unsubscribe"}  # mail clients POST it without a form (RFC 8058); its token is the secret


def sample_values(rule) -> dict:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, UUIDConverter):
            values[name] = uuid.uuid4()
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "exemple"
    return values


def test_every_post_without_a_csrf_token_is_refused(app, client, make_user, make_organisation, sign_in):
    admin = make_user("admin@departement.fr", "Admin", grants=[("admin", {})])
    make_organisation(admin)
    sign_in(client, admin.email)
    memberships_before = db.session.query(Membership).count()
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods and rule.endpoint not in EXEMPT]
    assert len(posts) >= 15
    for rule in posts:
        url = rule.build(sample_values(rule), append_unknown=False)[1]
        response = client.post(url, data={"email": "x@exemple.fr", "password": "une phrase de passe solide"})
        assert response.status_code == 400, f"POST {url} without token answered {response.status_code}"
        assert "jeton" in response.get_data(as_text=True), url
    assert db.session.query(Membership).count() == memberships_before


def test_a_token_from_another_session_is_refused(client, make_user):
    make_user("claire.martin@asso-exemple.fr")
    stolen = csrf_token(client, "/compte/connexion")
    client.delete_cookie("session")
    client.get("/compte/connexion")
    response = client.post("/compte/connexion", data={"csrf_token": stolen, "email": "claire.martin@asso-exemple.fr",
                                                      "password": "une phrase de passe solide"})
    assert response.status_code == 400
    assert db.session.query(AuditEvent).filter_by(action="account.sign_in").count() == 0


def test_the_exempt_list_is_only_the_one_click_unsubscribe(app):
    from portal.extensions import csrf

    exempt_views = {name for name in app.view_functions
                    if f"{app.view_functions[name].__module__}.{app.view_functions[name].__name__}"
                    in csrf._exempt_views}
    assert exempt_views == EXEMPT
