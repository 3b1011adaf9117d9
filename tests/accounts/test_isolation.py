"""A member of organisation A reaches nothing of organisation B by changing an id: every registered URL that
names an object of an organisation answers 404, for GET and POST alike, and B's data stays as it was."""

import io

import pytest

from portal.accounts import organisations, vault
from portal.accounts.models import Agrement, Invitation, Membership, VaultDocument
from portal.catalog import alerts
from portal.extensions import db
from tests.conftest import csrf_token

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"

# The URL arguments that name an object belonging to an organisation (or to a person).
OBJECT_ARGUMENTS = {"organisation_id", "member_id", "agrement_id", "document_id", "invitation_id", "alert_id"}


@pytest.fixture
def two_organisations(app, make_user, make_organisation):
    import datetime as dt

    alice, bob, carol = (make_user("alice@asso-a.fr", "Alice A"), make_user("bob@asso-b.fr", "Bob B"),
                         make_user("carol@asso-b.fr", "Carol B"))
    a = make_organisation(alice, "Association A")
    b = make_organisation(bob, "Association B", members=[carol])
    with app.test_request_context():
        invitation = organisations.invite(b, "dan@asso-b.fr", by=bob)
    agrement = vault.add_agrement(b, bob, kind="Agrément ISFT", authority="Préfecture", issued_on=dt.date(2024, 1, 1))
    document = vault.add_document(b, bob, io.BytesIO(PDF), "statuts.pdf", kind="statuts", label="Statuts")
    with app.test_request_context():
        alert = alerts.subscribe("bob@asso-b.fr", "weekly", account=bob)
    carol_membership = db.session.query(Membership).filter_by(organisation_id=b.id, user_id=carol.id).one()
    values = {"organisation_id": b.id, "member_id": carol_membership.id, "agrement_id": agrement.id,
              "document_id": document.id, "invitation_id": invitation.id, "alert_id": alert.id}
    return alice, a, b, values


def object_routes(app):
    routes = [rule for rule in app.url_map.iter_rules() if set(rule.arguments) & OBJECT_ARGUMENTS]
    assert len(routes) >= 12  # the test must not pass by finding nothing
    return routes


def b_state(b):
    return (db.session.query(Membership).filter_by(organisation_id=b.id).count(),
            db.session.query(Agrement).filter_by(organisation_id=b.id).count(),
            db.session.query(VaultDocument).filter_by(organisation_id=b.id).count(),
            db.session.query(Invitation).filter_by(organisation_id=b.id).count(),
            db.session.query(alerts.Alert).count())


def test_a_member_of_a_gets_404_on_every_url_of_b(app, client, sign_in, two_organisations):
    alice, a, b, values = two_organisations
    sign_in(client, alice.email)
    before = b_state(b)
    token = csrf_token(client, "/compte/")
    tried = []
    for rule in object_routes(app):
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: add an object of B for {unknown} to this test"
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            tried.append(f"{method} {rule.rule}")
    assert b_state(b) == before
    assert len(tried) >= 12


def test_objects_of_b_are_not_reachable_through_the_organisation_of_a(app, client, sign_in, two_organisations):
    """Sub-objects are looked up within the organisation of the URL, not by their id alone."""
    alice, a, b, values = two_organisations
    sign_in(client, alice.email)
    token = csrf_token(client, "/compte/")
    mixed = dict(values, organisation_id=a.id)
    for rule in object_routes(app):
        if "organisation_id" not in rule.arguments or len(rule.arguments) == 1:
            continue
        url = rule.build(mixed, append_unknown=False)[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_page(app, client, two_organisations):
    _, _, _, values = two_organisations
    for rule in object_routes(app):
        if "GET" not in rule.methods or rule.endpoint.startswith("alerts.unsubscribe"):
            continue
        response = client.get(rule.build(values, append_unknown=False)[1])
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"], rule.rule


def test_the_members_of_b_do_see_their_own_organisation(client, sign_in, two_organisations):
    _, _, b, values = two_organisations
    sign_in(client, "carol@asso-b.fr")
    page = client.get(f"/organisations/{b.id}/").get_data(as_text=True)
    assert "Association B" in page and "Statuts" in page
    assert client.get(f"/organisations/{b.id}/coffre/{values['document_id']}/telecharger").data == PDF
