"""A member of another organisation reaches nothing of an application by changing an id: every registered URL of
the applications domain that names an application, a file, a version or a request answers 404, GET and POST
alike, and nothing of the application changes."""

import pytest

from portal.applications.models import Application, ApplicationFile, PieceRequest, Version
from portal.core.time import end_of_day_paris, now
from portal.extensions import db
from tests.applications.conftest import deposit, get_application, ready, start
from tests.applications.test_deposit import sign_in_as
from tests.conftest import csrf_token

OBJECT_ARGUMENTS = {"application_id", "file_id", "number", "request_id"}


@pytest.fixture
def b_application(app, client, open_call, make_user, make_organisation):
    bob = make_user("bob@asso-b.fr", "Bob B")
    b = make_organisation(bob, "Association B", rna="W621000009")
    sign_in_as(client, bob)
    url = start(client, open_call, b)
    ready(client, url)
    deposit(client, url)
    application = get_application(url)
    request = PieceRequest(application_id=application.id, slots=["statuts"], message="Statuts signés",
                           due_at=end_of_day_paris(now().date().replace(year=2030)), requested_at=now())
    db.session.add(request)
    db.session.commit()
    values = {"application_id": application.id, "file_id": application.current_files[0].id, "number": 1,
              "request_id": request.id, "key": "statuts", "slug": open_call.slug}
    return application, values


def application_routes(app):
    routes = [rule for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("applications") and set(rule.arguments) & OBJECT_ARGUMENTS]
    assert len(routes) >= 14  # the test must not pass by finding nothing
    return routes


def state(application_id):
    db.session.expire_all()
    return (db.session.get(Application, application_id).answers, db.session.get(Application, application_id).status,
            db.session.query(ApplicationFile).filter_by(application_id=application_id, removed_at=None).count(),
            db.session.query(Version).filter_by(application_id=application_id).count())


def test_a_member_of_another_organisation_gets_404_on_every_application_url(app, client, make_user,
                                                                            make_organisation, b_application):
    application, values = b_application
    alice = make_user("alice@asso-a.fr", "Alice A")
    make_organisation(alice, "Association A")
    sign_in_as(client, alice)
    before = state(application.id)
    token = csrf_token(client, "/compte/")
    tried = []
    for rule in application_routes(app):
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: add a value for {unknown} to this test"
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            tried.append(f"{method} {rule.rule}")
    assert state(application.id) == before
    assert len(tried) >= 16


def test_a_manager_of_another_issuer_and_a_reviewer_get_404_on_the_staff_pages(app, client, make_user,
                                                                              b_application, open_call):
    application, values = b_application
    other = make_user("gestion@autre-departement.fr", "Gestionnaire ailleurs",
                      grants=[("manager", {"issuer": "Département du Nord"})])
    reviewer = make_user("evaluatrice@exemple.fr", "Évaluatrice", grants=[("reviewer", {"call_id": open_call.uuid})])
    staff_routes = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("applications_staff")]
    assert len(staff_routes) >= 6
    for person in (other, reviewer):
        sign_in_as(client, person)
        token = csrf_token(client, "/compte/")
        for rule in staff_routes:
            url = rule.build({**values, "extension": "csv"}, append_unknown=False)[1]
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
                assert response.status_code == 404, f"{person.email}: {method} {url} answered {response.status_code}"


def test_a_visitor_is_sent_to_sign_in_and_the_verification_link_needs_its_secret(app, b_application):
    application, values = b_application
    client = app.test_client()  # nobody signed in
    response = client.get(f"/candidatures/{application.id}/")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    assert client.get("/verifier/not-the-code").status_code == 404
    assert client.get(f"/verifier/{application.versions[0].verification_code}").status_code == 200
