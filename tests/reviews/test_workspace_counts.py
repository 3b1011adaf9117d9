"""Issue 15, what waits for the call manager on her « Espace de gestion », counted per window for all her calls and
each linked to the page where she acts: deposited since her last visit, unanswered messages, pieces requested and
received, applications to screen, reviewers missing, reviews overdue, decisions to record, letters to publish."""

from __future__ import annotations

import datetime as dt
import re

from portal.applications.models import Message, PieceRequest
from portal.core import time
from portal.extensions import db
from portal.reviews import rounds
from tests.reviews import test_review_due_date as due
from tests.reviews.conftest import sign_in_as
from tests.reviews.test_decisions import decide_all, deliberate

assign, in_review = due.assign, due.in_review  # in review, due on 20 May


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def linked(html: str, label: str) -> str:
    """The address of the link whose text starts with `label`."""
    match = re.search(r'<a href="([^"]+)">' + re.escape(label), html)
    assert match, label
    return match[1].replace("&amp;", "&")


def test_on_her_first_visit_every_deposit_counts_then_only_those_since_her_last_visit(client, selection):
    sign_in_as(client, selection.manager)
    html = client.get("/gestion/").get_data(as_text=True)
    assert "Déposées (première visite) : 4" in text(client.get("/gestion/"))
    assert linked(html, "Déposées (première visite)") == (
        f"/gestion/appels/{selection.call.slug}/candidatures?fenetre=unique")
    manager = selection.manager
    manager.last_login_at = time.now()  # her previous sign-in: after the four deposits
    db.session.commit()
    sign_in_as(client, manager)
    assert "Déposées depuis votre dernière visite : 0" in text(client.get("/gestion/"))


def test_pieces_requested_and_received_and_messages_waiting_are_counted(client, selection):
    first, second, third = selection.applications[:3]
    moment = time.now()
    db.session.add_all([
        PieceRequest(application_id=first.id, slots=["statuts"], message="Statuts signés", requested_at=moment,
                     due_at=moment + dt.timedelta(days=5), requested_by_id=selection.manager.id),
        PieceRequest(application_id=second.id, slots=["statuts"], message="Statuts signés", requested_at=moment,
                     due_at=moment + dt.timedelta(days=5), answered_at=moment, requested_by_id=selection.manager.id),
        PieceRequest(application_id=third.id, slots=["statuts"], message="Lapsed", requested_at=moment,
                     due_at=moment - dt.timedelta(days=1), requested_by_id=selection.manager.id),
        Message(application_id=first.id, side="applicant", author_name="Présidente 1", body="Une question",
                sent_at=moment),
        Message(application_id=second.id, side="applicant", author_name="Présidente 2", body="Question",
                sent_at=moment - dt.timedelta(hours=2)),
        Message(application_id=second.id, side="service", author_name="Gaëlle Gestion", body="Réponse",
                sent_at=moment - dt.timedelta(hours=1)),
    ])
    db.session.commit()
    sign_in_as(client, selection.manager)
    page = text(client.get("/gestion/"))
    assert "Pièces demandées, en attente : 1" in page  # the lapsed one no longer waits
    assert "Pièces reçues : 1" in page
    assert "Messages sans réponse : 1" in page
    assert "2 messages non lus dans vos dossiers" in page  # the two questions; her service's answer is not unread


def test_reviewers_missing_and_reviews_overdue_during_review(client, in_review, clock):
    s = in_review  # due on 20 May; two reviewers asked per application (the default settings)
    one, two = s.reviewers[:2]
    assign(s, s.applications[0], one)
    assign(s, s.applications[0], two)
    assign(s, s.applications[1], one)
    sign_in_as(client, s.manager)
    html = client.get("/gestion/").get_data(as_text=True)
    page = text(client.get("/gestion/"))
    assert "Évaluateurs manquants : 3" in page
    assert linked(html, "Évaluateurs manquants") == f"/gestion/selection/{s.call.slug}/fenetres/unique/affectations"
    assert "Évaluations en retard : 0" in page
    assert "Date limite des évaluations : 20 mai 2025" in page
    clock("2025-05-21 09:00:00")
    sign_in_as(client, s.manager)
    assert "Évaluations en retard : 3" in text(client.get("/gestion/"))


def test_decisions_to_record_and_letters_to_publish(client, selection):
    deliberate(selection, ineligible={3: "Hors champ."})
    decide_all(selection, skip=(2,))
    sign_in_as(client, selection.manager)
    html = client.get("/gestion/").get_data(as_text=True)
    page = text(client.get("/gestion/"))
    assert "Décisions à enregistrer : 1" in page and "Courriers à publier : 2" in page
    assert linked(html, "Décisions à enregistrer") == f"/gestion/selection/{selection.call.slug}/fenetres/unique/classement"
    assert linked(html, "Courriers à publier") == f"/gestion/selection/{selection.call.slug}/fenetres/unique/publication"
    assert rounds.round_of(selection.window, time.now()).decisions_published_at is None
