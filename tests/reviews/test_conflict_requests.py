"""Issue 12, finding 9: a conflict the applying organisation names is a request. It removes a reviewer at once, but
never the people who run the call (its managers, the administrators) until a manager confirms it; once confirmed it
applies to them as a manager-recorded conflict would. The managers see each request, with who was named and why,
and confirm or refuse it; the applicant never learns who sits on the committee."""

from __future__ import annotations

import html

from sqlalchemy import select

from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import assignment
from portal.reviews.models import Assignment, Conflict
from tests.conftest import post_form
from tests.reviews.conftest import ISSUER, refresh, sign_in_as


def shown(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def name_in_conflict(client, applicant, application, email: str, reason: str = "Ancienne salariée.") -> str:
    """The applicant names someone on her application's conflicts page, as her browser would."""
    sign_in_as(client, applicant)
    url = f"/candidatures/{application.id}/conflits"
    return shown(post_form(client, url, {"email": email, "kind": "professional", "reason": reason},
                           follow_redirects=True))


def committee_page(application) -> str:
    return f"/gestion/selection/candidatures/{application.id}/comite"


def staff_pages(application) -> list[str]:
    return [committee_page(application), f"/gestion/selection/candidatures/{application.id}",
            f"/gestion/candidatures/{application.id}"]


def conflict_named(email: str) -> Conflict:
    db.session.expire_all()
    return db.session.scalar(select(Conflict).where(Conflict.email == email))


def test_an_applicant_naming_the_call_manager_leaves_her_the_file_and_shows_her_the_request(client, selection):
    application, manager = selection.applications[0], selection.manager
    page = name_in_conflict(client, selection.applicants[0], application, manager.email,
                            "Elle a présidé notre conseil d'administration.")
    assert "Votre signalement est enregistré." in page
    assert "Gaëlle Gestion" not in page  # the applicant learns nothing of who runs or sits on the committee

    sign_in_as(client, manager)
    for url in staff_pages(application):
        assert client.get(url).status_code == 200, url
    page = shown(client.get(committee_page(application)))
    assert manager.email in page and "Elle a présidé notre conseil d'administration." in page
    assert "Demande du candidat, à examiner" in page
    assert "Vous êtes la personne signalée" in page
    listing = shown(client.get(f"/gestion/selection/{selection.call.slug}/conflits"))
    assert application.number in listing and "Demande du candidat, à examiner" in listing
    staff_list = shown(client.get(f"/gestion/appels/{selection.call.slug}/candidatures"))
    assert application.number in staff_list


def test_an_administrator_named_by_the_applicant_keeps_the_file(client, selection, make_user):
    application = selection.applications[0]
    admin = make_user("admin@portail.fr", "Adèle Admin", grants=[("admin", {})])
    name_in_conflict(client, selection.applicants[0], application, admin.email)
    sign_in_as(client, admin)
    for url in staff_pages(application):
        assert client.get(url).status_code == 200, url


def test_an_applicant_naming_a_reviewer_removes_her_at_once(client, selection):
    application, alice = selection.applications[0], selection.reviewers[0]
    assignment.assign(application, alice, selection.manager, time.now())
    sign_in_as(client, alice)
    assert client.get(f"/evaluation/candidatures/{application.id}/declaration").status_code == 200

    name_in_conflict(client, selection.applicants[0], application, alice.email)

    assert db.session.query(Assignment).count() == 0
    sign_in_as(client, alice)
    assert client.get(f"/evaluation/candidatures/{application.id}/declaration").status_code == 404
    assert client.get(f"/evaluation/candidatures/{application.id}").status_code == 404
    assert application.number not in shown(client.get("/evaluation/"))


def test_a_manager_confirming_a_request_that_names_another_manager_hides_the_file_from_her(
        client, selection, make_user):
    application = selection.applications[0]
    colleague = make_user("direction@pasdecalais.fr", "Gaston Gestion", grants=[("manager", {"issuer": ISSUER})])
    name_in_conflict(client, selection.applicants[0], application, colleague.email)
    sign_in_as(client, colleague)
    assert client.get(committee_page(application)).status_code == 200  # pending: she still runs the call

    conflict = conflict_named(colleague.email)
    sign_in_as(client, selection.manager)
    response = post_form(client, f"/gestion/selection/conflits/{conflict.id}/confirmer", {},
                         form_page=committee_page(application), follow_redirects=True)
    assert f"Conflit confirmé pour {colleague.email}" in shown(response)
    assert refresh(conflict).confirmed_by_id == selection.manager.id

    sign_in_as(client, colleague)
    for url in staff_pages(application):
        assert client.get(url).status_code == 404, url
    assert application.number not in shown(client.get(f"/gestion/appels/{selection.call.slug}/candidatures"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.conflict_confirm"))
    assert event.actor_email == selection.manager.email and event.details["email"] == colleague.email


def test_a_manager_refuses_a_request_with_a_reason_and_it_is_audited(client, selection, make_user):
    application, alice = selection.applications[0], selection.reviewers[0]
    name_in_conflict(client, selection.applicants[0], application, alice.email)
    conflict = conflict_named(alice.email)
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/conflits/{conflict.id}/lever"
    response = post_form(client, url, {"reason": ""}, form_page=committee_page(application), follow_redirects=True)
    assert "Indiquez pourquoi ce conflit est levé." in shown(response)
    assert refresh(conflict).lifted_at is None
    response = post_form(client, url, {"reason": "Aucun lien vérifié : homonyme."},
                         form_page=committee_page(application), follow_redirects=True)
    assert "Demande refusée pour" in shown(response)
    refused = refresh(conflict)
    assert refused.lifted_by_id == selection.manager.id and refused.lift_reason == "Aucun lien vérifié : homonyme."
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.conflict_lift"))
    assert event.details["reason"] == "Aucun lien vérifié : homonyme." and event.details["applicant_request"]


def test_the_only_manager_named_may_decide_the_request_naming_her(client, selection):
    """Nobody else runs the call: were the request hidden from her, it could never be decided."""
    application, manager = selection.applications[0], selection.manager
    name_in_conflict(client, selection.applicants[0], application, manager.email)
    conflict = conflict_named(manager.email)
    sign_in_as(client, manager)
    post_form(client, f"/gestion/selection/conflits/{conflict.id}/confirmer", {},
              form_page=committee_page(application))
    assert refresh(conflict).confirmed_at is not None
    assert client.get(committee_page(application)).status_code == 404  # she recused herself
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.conflict_confirm"))
    assert event.details["decided_by_the_person_named"]


def test_confirming_or_refusing_needs_the_form_token(client, selection):
    application, manager = selection.applications[0], selection.manager
    name_in_conflict(client, selection.applicants[0], application, manager.email)
    conflict = conflict_named(manager.email)
    sign_in_as(client, manager)
    assert client.post(f"/gestion/selection/conflits/{conflict.id}/confirmer").status_code == 400
    assert client.post(f"/gestion/selection/conflits/{conflict.id}/lever", data={"reason": "x"}).status_code == 400
    assert refresh(conflict).confirmed_at is None and refresh(conflict).lifted_at is None


def test_a_manager_recording_what_the_applicant_already_asked_is_sent_to_the_request(client, selection):
    application, manager = selection.applications[0], selection.manager
    name_in_conflict(client, selection.applicants[0], application, manager.email)
    sign_in_as(client, manager)
    response = post_form(client, f"/gestion/selection/candidatures/{application.id}/conflits",
                         {"email": manager.email, "kind": "professional", "reason": "Je me récuse."},
                         form_page=committee_page(application), follow_redirects=True)
    assert "Le candidat a déjà signalé ce conflit : confirmez sa demande" in shown(response)
    assert conflict_named(manager.email).confirmed_at is None
