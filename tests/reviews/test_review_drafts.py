"""After submitting, a reviewer saves changes without submitting them: the committee and the ranking keep reading
her submitted version, she alone sees the changes (« Modifications non remises »), then she submits them as the
next version or abandons them — each step in the audit log."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews.models import Review
from tests.conftest import post_form
from tests.reviews import test_reviewing
from tests.reviews.conftest import sign_in_as
from tests.reviews.test_reviewing import FULL, assign, checked, url

in_review = test_reviewing.in_review  # the fixture: every application eligible, the round in its review phase


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def press(client, application, data: dict, button: str, label: str):
    return post_form(client, url(application, "/evaluation"), {**data, button: label})


def ranking_of(manager_client, selection) -> str:
    page = manager_client.get(f"/gestion/selection/{selection.call.slug}/fenetres/{selection.window.key}/classement")
    assert page.status_code == 200
    return text_of(page)


def review_of(reviewer, application) -> Review:
    db.session.expire_all()
    return db.session.scalar(select(Review).where(Review.reviewer_id == reviewer.id,
                                                  Review.application_id == application.id))


def last(action: str) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id.desc())).first()


@pytest.fixture
def submitted_once(app, client, in_review):
    """Évaluateur 1 submitted version 1 of her review of Alpha (14,67 / 20); the manager reads the ranking."""
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    sign_in_as(client, alice)
    assert press(client, application, FULL, "submit_review", "Soumettre l'évaluation").status_code == 302
    manager = app.test_client()
    sign_in_as(manager, in_review.manager)
    assert "14,67" in ranking_of(manager, in_review)
    return alice, application, manager


def test_changes_saved_after_submitting_wait_aside_and_the_ranking_keeps_the_submitted_version(
        client, in_review, submitted_once):
    alice, application, manager = submitted_once
    grid = text_of(client.get(url(application, "/evaluation")))
    assert "Enregistrer les modifications sans les remettre" in grid and "Remettre la nouvelle version" in grid
    assert "Abandonner les modifications" not in grid  # nothing to abandon yet

    saved = press(client, application, {**FULL, "score_qualite": "1", "opinion": "reserved"}, "save_draft",
                  "Enregistrer les modifications sans les remettre")
    assert saved.status_code == 302
    page = text_of(client.get(saved.headers["Location"]))
    assert "Vos modifications sont enregistrées sans être remises : la version 1 reste celle que voit le comité." \
        in page
    assert re.search(r"Modifications non remises — la version 1 remise le 12 mai 2025 à \d+ h \d+ \(heure de Paris\) "
                     r"reste celle que voit le comité\.", page)
    assert checked(page, "score_qualite") == "1" and checked(page, "opinion") == "reserved"  # her changes
    assert "Abandonner les modifications" in page
    assert "Soumise — 14,67 / 20 — modifications non remises" in text_of(client.get(url(application)))

    review = review_of(alice, application)
    assert review.status == "submitted" and str(review.total) == "14.67" and len(review.versions) == 1
    assert review.score_of("qualite").value == 4  # the committee's rows are untouched
    ranking = ranking_of(manager, in_review)
    assert "14,67" in ranking and "6,67" not in ranking  # (2·1/5 + 3/5) / 3 · 20 would be the changes' total
    committee_page = text_of(manager.get(f"/gestion/selection/candidatures/{application.id}"))
    assert "14,67" in committee_page and "Réservé" not in committee_page
    assert last("review.save_pending").details["scores"] == {"qualite": "4 → 1"}

    submitted = press(client, application, {**FULL, "score_qualite": "1", "opinion": "reserved"}, "submit_review",
                      "Remettre la nouvelle version")
    assert submitted.status_code == 302
    page = text_of(client.get(submitted.headers["Location"]))
    assert "La version 2 de votre évaluation est remise." in page
    assert "Modifications non remises" not in page
    review = review_of(alice, application)
    assert str(review.total) == "6.67" and [v.number for v in review.versions] == [1, 2]
    assert review.pending is None
    ranking = ranking_of(manager, in_review)
    assert "6,67" in ranking and "14,67" not in ranking
    event = last("review.submit")
    assert event.details["version"] == 2 and event.details["scores"] == {"qualite": "4 → 1"}


def test_abandoning_the_changes_keeps_the_submitted_version_as_it_was(client, in_review, submitted_once):
    alice, application, manager = submitted_once
    press(client, application, {**FULL, "score_partenariat": "0"}, "save_draft",
          "Enregistrer les modifications sans les remettre")
    assert review_of(alice, application).pending is not None
    response = press(client, application, {**FULL, "score_partenariat": "0"}, "discard_changes",
                     "Abandonner les modifications")
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Vos modifications sont abandonnées : la version 1 remise reste celle que voit le comité." in page
    assert "Modifications non remises" not in page
    assert checked(page, "score_partenariat") == "3"  # the submitted value is back in her grid
    review = review_of(alice, application)
    assert review.pending is None and len(review.versions) == 1 and str(review.total) == "14.67"
    assert "14,67" in ranking_of(manager, in_review)
    assert last("review.discard_pending").details["submitted_version"] == 1


def test_abandoning_with_nothing_pending_is_refused(client, in_review, submitted_once):
    _, application, _ = submitted_once
    response = press(client, application, FULL, "discard_changes", "Abandonner les modifications")
    page = text_of(client.get(response.headers["Location"]))
    assert "Vous n'avez pas de modifications en attente sur cette évaluation." in page


def test_the_pending_changes_are_hers_alone_in_the_committees_reviews(app, client, in_review, submitted_once):
    alice, application, _ = submitted_once
    press(client, application, {**FULL, "comment": "Brouillon secret."}, "save_draft",
          "Enregistrer les modifications sans les remettre")
    assert "Brouillon secret." in text_of(client.get(url(application, "/evaluation")))  # her grid keeps them
    bob = in_review.reviewers[1]
    assign(bob, application)
    other = app.test_client()
    sign_in_as(other, bob)
    press(other, application, FULL, "submit_review", "Soumettre l'évaluation")
    page = text_of(other.get(url(application, "/evaluations")))
    assert "Un projet sérieux." in page and "Brouillon secret." not in page
