"""Conflicts of interest: detected from memberships, declared by the reviewer before the file opens or at any time,
named by the applying organisation, recorded, confirmed or lifted by a manager — a person in conflict loses her
assignment and her draft review, and nothing here tells an applicant who sits on the committee."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from portal.accounts.models import Membership
from portal.core import time
from portal.core.audit import AuditEvent
from portal.core.errors import Refusal
from portal.extensions import db
from portal.reviews import assignment, conflicts, permissions
from portal.reviews.models import Assignment, Conflict, Review
from tests.conftest import post_form
from tests.reviews.conftest import refresh, sign_in_as


def shown(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def review(application, person, status: str) -> Review:
    row = Review(application_id=application.id, reviewer_id=person.id, status=status, created_at=time.now(),
                 updated_at=time.now(), submitted_at=time.now() if status == "submitted" else None)
    db.session.add(row)
    db.session.commit()
    return row


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("review.%"))
                                                 .order_by(AuditEvent.id))]


def test_a_member_of_the_applying_organisation_is_in_conflict_automatically(selection):
    alice = selection.reviewers[0]
    db.session.add(Membership(organisation_id=selection.organisations[2].id, user_id=alice.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    application = selection.applications[2]
    assert permissions.has_conflict(alice, application)
    assert permissions.can_review(alice, application).status == 404
    created = conflicts.sync_automatic(selection.call, selection.manager)
    assert [(c.application_id, c.kind, c.declared_by_role) for c in created] == [(application.id, "member", "system")]
    assert conflicts.sync_automatic(selection.call, selection.manager) == []
    with pytest.raises(Refusal, match="conflit d'intérêts"):
        assignment.assign(application, alice, selection.manager, time.now())
    assert "review.conflict_detect" in actions()


def test_a_reviewer_who_joins_an_applying_organisation_later_loses_the_assignment_and_her_draft(selection):
    alice, application = selection.reviewers[0], selection.applications[0]
    assignment.assign(application, alice, selection.manager, time.now())
    review(application, alice, "draft")
    db.session.add(Membership(organisation_id=selection.organisations[0].id, user_id=alice.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    conflicts.sync_automatic(selection.call, selection.manager)
    assert db.session.query(Assignment).count() == 0 and db.session.query(Review).count() == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.unassign"))
    assert event.details["draft_review_deleted"] and event.details["assignment_removed"]


def test_the_reviewer_sees_only_the_number_and_names_then_declares_no_conflict(client, selection):
    alice, application = selection.reviewers[0], selection.applications[0]
    assignment.assign(application, alice, selection.manager, time.now())
    sign_in_as(client, alice)
    url = f"/evaluation/candidatures/{application.id}/declaration"
    page = shown(client.get(url))
    assert application.number in page and "Association Alpha" in page
    assert "Je déclare n'avoir aucun conflit d'intérêts avec ce dossier" in page
    assert "statuts.pdf" not in page  # nothing of the file before the statement
    response = post_form(client, url, {"choice": "none"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/evaluation/candidatures/{application.id}")
    assert refresh(db.session.scalar(select(Assignment))).no_conflict_declared_at is not None
    assert actions()[-1] == "review.no_conflict"


def test_declaring_a_conflict_before_opening_removes_the_assignment_and_the_draft(client, selection):
    alice, application = selection.reviewers[0], selection.applications[0]
    assignment.assign(application, alice, selection.manager, time.now())
    review(application, alice, "draft")
    sign_in_as(client, alice)
    url = f"/evaluation/candidatures/{application.id}/declaration"
    page = shown(post_form(client, url, {"choice": "conflict", "kind": "", "reason": ""}))
    assert "Choisissez la nature du conflit." in page and "Expliquez en quelques mots" in page
    response = post_form(client, url, {"choice": "conflict", "kind": "professional",
                                       "reason": "J'ai travaillé pour cette association l'an dernier."},
                         follow_redirects=True)
    assert f"la candidature {application.number} ne vous est plus confiée" in shown(response)
    assert db.session.query(Assignment).count() == 0 and db.session.query(Review).count() == 0
    conflict = db.session.scalar(select(Conflict))
    assert (conflict.email, conflict.kind, conflict.declared_by_role) == (alice.email, "professional", "reviewer")
    assert client.get(url).status_code == 404  # no longer assigned, and in conflict
    assert actions()[-2:] == ["review.conflict_declare", "review.unassign"]


def test_a_submitted_review_stays_stored_but_its_assignment_goes(selection):
    bob, application = selection.reviewers[1], selection.applications[1]
    assignment.assign(application, bob, selection.manager, time.now())
    review(application, bob, "submitted")
    conflicts.declare(application, bob.email, "financial", "Il détient des parts.", "manager", selection.manager,
                      time.now())
    assert db.session.query(Assignment).count() == 0
    assert db.session.scalar(select(Review)).status == "submitted"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.unassign"))
    assert event.details["submitted_review_kept"] and not event.details["draft_review_deleted"]


def test_the_declaration_page_is_404_when_not_assigned(client, selection):
    sign_in_as(client, selection.reviewers[0])
    assert client.get(f"/evaluation/candidatures/{selection.applications[0].id}/declaration").status_code == 404


def test_a_reviewer_declares_a_conflict_at_any_time_from_her_list(client, selection):
    alice = selection.reviewers[0]
    a, b = selection.applications[:2]
    for application in (a, b):
        assignment.assign(application, alice, selection.manager, time.now())
    sign_in_as(client, alice)
    url = f"/evaluation/{selection.call.slug}/conflits"
    page = shown(client.get(url))
    assert a.number in page and b.number in page
    post_form(client, url, {"application": str(b.id), "kind": "personal", "reason": "Ma cousine y travaille."})
    page = shown(client.get(url))
    assert "Ma cousine y travaille." in page
    assert set(db.session.scalars(select(Assignment.application_id))) == {a.id}
    sign_in_as(client, selection.applicants[0])
    assert client.get(url).status_code == 404


def test_an_applicant_named_conflict_blocks_that_reviewer_and_reveals_nothing(client, selection):
    application, alice = selection.applications[0], selection.reviewers[0]
    sign_in_as(client, selection.applicants[0])
    url = f"/candidatures/{application.id}/conflits"
    first = shown(post_form(client, url, {"email": alice.email, "kind": "professional",
                                          "reason": "Ancienne salariée licenciée."}, follow_redirects=True))
    second = shown(post_form(client, url, {"email": "inconnu@exemple.fr", "kind": "other",
                                           "reason": "Concurrent direct."}, follow_redirects=True))
    message = "Votre signalement est enregistré. Si cette personne participe à l'évaluation"
    assert message in first and message in second
    assert "Évaluateur" not in second  # never the committee's names
    assert alice.email in second and "Ancienne salariée licenciée." in second
    assert permissions.has_conflict(alice, application)
    with pytest.raises(Refusal, match="conflit d'intérêts"):
        assignment.assign(application, alice, selection.manager, time.now())
    again = shown(post_form(client, url, {"email": alice.email, "kind": "professional", "reason": "Encore."}))
    assert "Ce conflit est déjà enregistré" in again
    for person in (selection.applicants[1], selection.reviewers[1]):
        sign_in_as(client, person)
        assert client.get(url).status_code == 404


def test_an_applicant_naming_someone_a_reviewer_already_declared_learns_nothing(client, selection):
    application, alice = selection.applications[0], selection.reviewers[0]
    conflicts.declare(application, alice.email, "personal", "Lien familial.", "reviewer", alice, time.now())
    sign_in_as(client, selection.applicants[0])
    url = f"/candidatures/{application.id}/conflits"
    page = shown(post_form(client, url, {"email": alice.email, "kind": "personal", "reason": "Sa sœur."},
                           follow_redirects=True))
    assert "Votre signalement est enregistré." in page and "Lien familial." not in page


def test_the_manager_confirms_and_lifts_a_declared_conflict_with_a_reason(client, selection):
    application, bob = selection.applications[0], selection.reviewers[1]
    conflict = conflicts.declare(application, bob.email, "other", "Doute signalé.", "reviewer", bob, time.now())
    sign_in_as(client, selection.manager)
    page_url = f"/gestion/selection/candidatures/{application.id}/comite"
    assert "Doute signalé." in shown(client.get(page_url))
    post_form(client, f"/gestion/selection/conflits/{conflict.id}/confirmer", {}, form_page=page_url)
    assert refresh(conflict).confirmed_by_id == selection.manager.id
    response = post_form(client, f"/gestion/selection/conflits/{conflict.id}/lever", {"reason": ""},
                         form_page=page_url, follow_redirects=True)
    assert "Indiquez pourquoi ce conflit est levé." in shown(response)
    post_form(client, f"/gestion/selection/conflits/{conflict.id}/lever", {"reason": "Vérifié : aucun lien."},
              form_page=page_url)
    lifted = refresh(conflict)
    assert lifted.lifted_at is not None and lifted.lift_reason == "Vérifié : aucun lien."
    assert not permissions.has_conflict(bob, application)
    assert actions() == ["review.conflict_declare", "review.conflict_confirm", "review.conflict_lift"]


def test_lifting_a_conflict_detected_from_membership_is_refused(client, selection):
    alice = selection.reviewers[0]
    db.session.add(Membership(organisation_id=selection.organisations[1].id, user_id=alice.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    (conflict,) = conflicts.sync_automatic(selection.call, selection.manager)
    with pytest.raises(Refusal, match="ne peut pas être levé"):
        conflicts.lift(conflict, "Je le connais bien.", selection.manager, time.now())
    sign_in_as(client, selection.manager)
    page_url = f"/gestion/selection/{selection.call.slug}/conflits"
    page = shown(client.get(page_url))
    assert "Détecté d'après l'appartenance : ne se lève pas." in page
    response = post_form(client, f"/gestion/selection/conflits/{conflict.id}/lever", {"reason": "Essai",
                                                                                      "retour": "appel"},
                         form_page=page_url, follow_redirects=True)
    assert "ne peut pas être levé" in shown(response)
    assert refresh(conflict).lifted_at is None


def test_the_manager_declares_a_conflict_and_a_duplicate_gets_a_friendly_message(client, selection):
    application, carol = selection.applications[3], selection.reviewers[2]
    assignment.assign(application, carol, selection.manager, time.now())
    sign_in_as(client, selection.manager)
    page_url = f"/gestion/selection/candidatures/{application.id}/comite"
    data = {"email": carol.email, "kind": "financial", "reason": "Administratrice rémunérée."}
    response = post_form(client, f"/gestion/selection/candidatures/{application.id}/conflits", data,
                         form_page=page_url, follow_redirects=True)
    assert "Le conflit d'intérêts est enregistré" in shown(response)
    assert db.session.query(Assignment).count() == 0
    response = post_form(client, f"/gestion/selection/candidatures/{application.id}/conflits", data,
                         form_page=page_url, follow_redirects=True)
    assert "Ce conflit est déjà enregistré pour cette personne et cette candidature." in shown(response)
    assert db.session.query(Conflict).count() == 1


def test_a_conflict_cannot_be_declared_once_decisions_are_published(selection):
    from portal.reviews import rounds

    round_ = rounds.ensure_round(selection.window, time.now())
    round_.phase = "decided"
    db.session.commit()
    with pytest.raises(Refusal, match="décisions sont publiées"):
        conflicts.declare(selection.applications[0], "x@exemple.fr", "other", "Raison", "manager",
                          selection.manager, time.now())
