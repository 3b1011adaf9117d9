"""THE isolation test of the selection side: a person in conflict with an application — a committee member who
belongs to the applying organisation, one named by a conflict of interest, a manager who belongs to it — gets 404 on
every registered URL of that application (found by walking the URL map, GET and POST alike) and finds nothing of
it in her lists, rankings and exports; a committee member never sees an application she is not assigned."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Membership
from portal.applications.models import Application, PieceRequest
from portal.core import time
from portal.core.time import end_of_day_paris
from portal.extensions import db
from portal.reviews import assignment, conflicts, eligibility, permissions, reviewing, rounds
from portal.reviews.models import Assignment, Conflict, Decision, Eligibility, Review
from portal.reviews.queries import assignment_of
from tests.conftest import csrf_token
from tests.reviews.conftest import ISSUER, sign_in_as

OBJECT_ARGUMENTS = {"application_id", "conflict_id"}
REVIEWER_SIDE = {"selection", "committee"}
EVERY_SIDE = REVIEWER_SIDE | {"selection_applicant", "applications", "applications_staff"}
# What a person with every right still gets 404 on at this stage: nothing is decided nor published yet.
NOT_YET = {"selection_applicant.decision", "selection_applicant.letter", "selection.letter_preview",
           "selection_applicant.change_letter", "selection.change_letter_preview"}


def score(application, reviewer, at) -> None:
    assignment.assign(application, reviewer, None, at)
    conflicts.declare_none(assignment_of(reviewer, application), reviewer, at)
    values = {"qualite": str(2 + len(application.number) % 3), "partenariat": "3", "budget": "6"}
    reviewing.save(application, reviewer, values, {"qualite": "Commentaire d'évaluation"}, "favourable",
                   "Avis général.", True, at)


@pytest.fixture
def scene(selection, make_user):
    """Everyone reviews everything; then Évaluateur 1 and a second manager turn out to belong to Association Alpha
    and Évaluateur 2 is named in a conflict on it. Their assignments and reviews are left in place: the rule
    alone must keep them out. Évaluateur 3 stays clear of any conflict."""
    at = time.now()
    manager = selection.manager
    for application in selection.applications:
        checked = {item.key: True for item in eligibility.checklist(application)}
        eligibility.record(application, "eligible", checked, None, manager, at)
    round_ = rounds.round_of(selection.window, at)
    rounds.change_phase(round_, "review", manager, at)
    for application in selection.applications:
        for reviewer in selection.reviewers:
            score(application, reviewer, at)
    target = selection.applications[0]
    member, named, clear = selection.reviewers
    insider = make_user("direction@pasdecalais.fr", "Gaston Gestion", grants=[("manager", {"issuer": ISSUER})])
    for person in (member, insider):
        db.session.add(Membership(organisation_id=selection.organisations[0].id, user_id=person.id,
                                  role="member", joined_at=at))
    conflict = Conflict(application_id=target.id, email=named.email, user_id=named.id, kind="professional",
                        declared_by_role="applicant", reason="Ancienne salariée.", declared_at=at)
    request = PieceRequest(application_id=target.id, slots=["statuts"], message="Statuts signés",
                           due_at=end_of_day_paris(at.date().replace(year=2030)), requested_at=at)
    db.session.add_all([conflict, request])
    db.session.commit()
    values = {"application_id": target.id, "conflict_id": conflict.id, "file_id": target.current_files[0].id,
              "user_id": clear.id, "request_id": request.id, "number": 1, "slug": selection.call.slug,
              "key": selection.window.key, "extension": "csv", "change_id": 1}
    return dict(target=target, member=member, named=named, clear=clear, insider=insider, round=round_,
                values=values, others=selection.applications[1:])


def routes(app, sides: set[str]) -> list:
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".")[0] in sides and set(rule.arguments) & OBJECT_ARGUMENTS]


def url_of(rule, values) -> str:
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.rule}: add a value for {unknown} to this test"
    return rule.build(values, append_unknown=False)[1]


def stored(application_id) -> tuple:
    """Everything the selection holds on the application, to show that no refused request changed it."""
    db.session.expire_all()
    count = lambda model, *where: db.session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
    return (db.session.get(Application, application_id).status,
            count(Assignment, Assignment.application_id == application_id),
            count(Assignment, Assignment.application_id == application_id, Assignment.no_conflict_declared_at
                  .is_not(None)),
            count(Conflict, Conflict.application_id == application_id, Conflict.lifted_at.is_(None)),
            count(Conflict, Conflict.application_id == application_id, Conflict.confirmed_at.is_not(None)),
            count(Review, Review.application_id == application_id, Review.status == "submitted"),
            count(Eligibility, Eligibility.application_id == application_id, Eligibility.verdict == "eligible"),
            count(Decision, Decision.application_id == application_id),
            count(PieceRequest, PieceRequest.application_id == application_id))


def all_404(app, client, person, sides, values) -> list[str]:
    sign_in_as(client, person)
    token = csrf_token(client, "/compte/")
    tried = []
    for rule in routes(app, sides):
        url = url_of(rule, values)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 404, f"{person.email}: {method} {url} answered {response.status_code}"
            tried.append(f"{method} {rule.endpoint}")
    return tried


def test_the_routes_exist_and_open_to_those_entitled(app, client, selection, scene):
    """The walk below must find the routes, and each one must answer its rightful user: otherwise a 404 would
    prove nothing."""
    # Floors counted when this test was written (14 and 35 routes): the walk cannot pass by finding nothing.
    assert len(routes(app, REVIEWER_SIDE)) >= 14
    assert len(routes(app, EVERY_SIDE)) >= 35
    rightful = {"selection": selection.manager, "applications_staff": selection.manager,
                "committee": scene["clear"], "selection_applicant": selection.applicants[0],
                "applications": selection.applicants[0]}
    refused = []
    for side, person in rightful.items():
        sign_in_as(client, person)
        for rule in routes(app, {side}):
            if "GET" in rule.methods and client.get(url_of(rule, scene["values"])).status_code == 404:
                refused.append(rule.endpoint)
    assert set(refused) <= NOT_YET, refused


def test_a_reviewer_member_of_the_applying_organisation_gets_404_everywhere(app, client, scene):
    before = stored(scene["target"].id)
    tried = all_404(app, client, scene["member"], REVIEWER_SIDE, scene["values"])
    assert len(tried) >= 18  # requests (GET and POST) on 14 routes
    assert stored(scene["target"].id) == before


def test_a_reviewer_named_in_a_conflict_gets_404_everywhere(app, client, scene):
    before = stored(scene["target"].id)
    tried = all_404(app, client, scene["named"], EVERY_SIDE, scene["values"])
    assert len(tried) >= 41  # requests on 35 routes
    assert stored(scene["target"].id) == before


def test_a_manager_member_of_the_applying_organisation_gets_404_on_the_selection_and_staff_sides(app, client,
                                                                                                 scene):
    before = stored(scene["target"].id)
    tried = all_404(app, client, scene["insider"], REVIEWER_SIDE | {"applications_staff"}, scene["values"])
    assert len(tried) >= 22
    assert stored(scene["target"].id) == before


def absent(page: str, application, others) -> None:
    assert application.number not in page and "Association Alpha" not in page
    assert all(other.number in page for other in others)  # the page did list what she may see


def test_nothing_of_it_in_a_conflicted_reviewers_lists_and_ranking(app, client, selection, scene):
    target, others = scene["target"], scene["others"]
    for person in (scene["member"], scene["named"]):
        assert target.id not in set(db.session.scalars(permissions.reviewable(person, selection.call)))
        sign_in_as(client, person)
        absent(client.get("/evaluation/").get_data(as_text=True), target, others)
        absent(client.get(f"/evaluation/{selection.call.slug}/conflits").get_data(as_text=True), target, others)
    rounds.change_phase(scene["round"], "deliberation", selection.manager, time.now())
    for person in (scene["member"], scene["named"]):
        sign_in_as(client, person)
        page = client.get(f"/evaluation/{selection.call.slug}/fenetres/unique/classement")
        assert page.status_code == 200
        absent(page.get_data(as_text=True), target, others)
    sign_in_as(client, scene["clear"])  # the same page for a member in no conflict lists it
    assert target.number in client.get(f"/evaluation/{selection.call.slug}/fenetres/unique/classement").get_data(
        as_text=True)


def test_nothing_of_it_in_a_conflicted_managers_pages_and_exports(app, client, selection, scene):
    target, others = scene["target"], scene["others"]
    rounds.change_phase(scene["round"], "deliberation", selection.manager, time.now())
    base = f"/gestion/selection/{selection.call.slug}"
    pages = [f"{base}/fenetres/unique/classement", f"{base}/fenetres/unique/notes.csv",
             f"{base}/fenetres/unique/affectations", f"{base}/fenetres/unique/recevabilite",
             f"/gestion/appels/{selection.call.slug}/candidatures",
             f"/gestion/appels/{selection.call.slug}/candidatures.csv"]
    sign_in_as(client, scene["insider"])
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        absent(response.get_data(as_text=True), target, others)
    conflicts_page = client.get(f"{base}/conflits").get_data(as_text=True)
    assert target.number not in conflicts_page and "Ancienne salariée." not in conflicts_page
    sign_in_as(client, selection.manager)  # the same pages for a manager in no conflict list it
    for url in pages:
        assert target.number in client.get(url).get_data(as_text=True), url


def test_a_reviewer_never_sees_an_application_she_is_not_assigned(app, client, selection, make_user):
    newcomer = make_user("evaluatrice4@pasdecalais.fr", "Évaluatrice 4",
                         grants=[("reviewer", {"call_id": selection.call.uuid})])
    assigned, unassigned = selection.applications[1], selection.applications[2]
    assignment.assign(assigned, newcomer, selection.manager, time.now())
    values = {"application_id": unassigned.id, "file_id": unassigned.current_files[0].id, "conflict_id": 0,
              "user_id": newcomer.id, "slug": selection.call.slug, "key": "unique", "extension": "csv",
              "change_id": 1}
    tried = all_404(app, client, newcomer, REVIEWER_SIDE, values)
    assert len(tried) >= 18
    home = client.get("/evaluation/").get_data(as_text=True)
    assert assigned.number in home and unassigned.number not in home
    assert set(db.session.scalars(permissions.reviewable(newcomer, selection.call))) == {assigned.id}
