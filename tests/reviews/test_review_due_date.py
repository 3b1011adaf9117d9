"""Issue 15: the day the manager sets for the reviews (« Date limite des évaluations », per window's round), shown
to the committee, and `portal reviews remind`: two days before it (Paris days), each reviewer with assigned reviews
not submitted gets one e-mail with how many and a link — never for a file she is in conflict with, never twice,
nothing once the day has passed or when everything is in."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from sqlalchemy import select

from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import rounds
from portal.reviews.models import Assignment, Conflict, Review
from tests.conftest import post_form
from tests.reviews.conftest import refresh, sign_in_as
from tests.reviews.test_decisions import add_review, screen


def due_url(selection) -> str:
    return f"/gestion/selection/{selection.call.slug}/fenetres/{selection.window.key}/date-limite"


def assign(selection, application, reviewer, draft: bool = False) -> None:
    moment = time.now()
    db.session.add(Assignment(application_id=application.id, reviewer_id=reviewer.id, method="manual",
                              assigned_by_id=selection.manager.id, assigned_at=moment,
                              no_conflict_declared_at=moment))
    if draft:
        db.session.add(Review(application_id=application.id, reviewer_id=reviewer.id, status="draft",
                              created_at=moment, updated_at=moment))
    db.session.commit()


@pytest.fixture
def in_review(selection):
    """Everything screened eligible, the round in review, due on Tuesday 20 May 2025."""
    screen(selection)
    round_ = rounds.round_of(selection.window, time.now())
    rounds.change_phase(round_, "review", by=selection.manager, at=time.now())
    rounds.set_reviews_due_on(round_, dt.date(2025, 5, 20), by=selection.manager, at=time.now())
    db.session.commit()
    return selection


def test_the_manager_sets_the_due_date_on_the_hub_and_it_is_audited(client, selection):
    sign_in_as(client, selection.manager)
    hub = client.get(f"/gestion/selection/{selection.call.slug}/").get_data(as_text=True)
    assert "Date limite des évaluations" in hub and "non fixée" in hub
    assert due_url(selection) in hub
    page = client.get(due_url(selection))
    assert page.status_code == 200
    assert '<label for="reviews_due_on">Date limite des évaluations</label>' in page.get_data(as_text=True)
    response = post_form(client, due_url(selection), {"reviews_due_on": "2025-05-30"})
    assert response.status_code == 302
    round_ = rounds.round_of(refresh(selection.window), time.now())
    assert round_.reviews_due_on == dt.date(2025, 5, 30)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.due_date"))
    assert event is not None and event.details["after"] == "2025-05-30"
    assert "30 mai 2025" in client.get(f"/gestion/selection/{selection.call.slug}/").get_data(as_text=True)


@pytest.mark.parametrize("typed, message", [
    ("2025-05-12", "La date limite des évaluations doit être postérieure à aujourd'hui."),  # today, Paris time
    ("2025-05-01", "La date limite des évaluations doit être postérieure à aujourd'hui."),
    ("demain", "Indiquez une date valide, par exemple 30/05/2025."),
])
def test_a_due_date_not_after_today_or_unreadable_is_refused_on_its_field(client, selection, typed, message):
    sign_in_as(client, selection.manager)
    response = post_form(client, due_url(selection), {"reviews_due_on": typed})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert 'id="reviews_due_on-error"' in html and message in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.due_date")) is None


def test_a_date_typed_the_french_way_is_read(client, selection):
    sign_in_as(client, selection.manager)
    assert post_form(client, due_url(selection), {"reviews_due_on": "30/05/2025"}).status_code == 302
    assert rounds.round_of(refresh(selection.window), time.now()).reviews_due_on == dt.date(2025, 5, 30)


def test_only_the_calls_managers_reach_the_due_date(client, selection):
    sign_in_as(client, selection.reviewers[0])
    assert client.get(due_url(selection)).status_code == 404


# ---- the reminder ----------------------------------------------------------------------------------------

def remind(app) -> str:
    result = app.test_cli_runner().invoke(args=["reviews", "remind"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def reminders(mailbox) -> dict:
    return {m["To"]: m for m in mailbox.deliver() if m["Subject"].startswith("Rappel")}


@pytest.fixture
def committee_work(in_review):
    """Reviewer 1: one submitted, one not opened; reviewer 2: a draft; reviewer 3: only a file she is in conflict
    with (declared after her assignment)."""
    s = in_review
    one, two, three = s.reviewers
    add_review(s, s.applications[0], one, {"qualite": 4, "partenariat": 3, "budget": 6})
    assign(s, s.applications[1], one)
    assign(s, s.applications[2], two, draft=True)
    assign(s, s.applications[3], three)
    db.session.add(Conflict(application_id=s.applications[3].id, email=three.email, user_id=three.id,
                            kind="professional", declared_by_role="reviewer", declared_by_id=three.id,
                            declared_at=time.now()))
    db.session.commit()
    return s


def test_two_days_before_the_due_date_each_reviewer_with_reviews_left_is_reminded_once(
        app, committee_work, clock, mailbox):
    s = committee_work
    clock("2025-05-18 08:00:00")  # Sunday; due Tuesday 20 May
    assert remind(app) == "2 évaluateur(s) rappelé(s)."
    received = reminders(mailbox)
    assert set(received) == {s.reviewers[0].email, s.reviewers[1].email}  # not the one in conflict
    body = received[s.reviewers[0].email].get_content()
    assert "Bonjour Évaluateur 1" in body and "Il vous reste 1 évaluation à remettre" in body
    assert s.call.title in body and "20 mai 2025" in body
    assert mailbox.link_in(received[s.reviewers[0].email], "/evaluation/") == f"/evaluation/{s.call.slug}/suivante"
    assert refresh(rounds.round_of(s.window, time.now())).reviews_reminded_at is not None

    assert remind(app) == "0 évaluateur(s) rappelé(s)."  # a second run by mistake
    clock("2025-05-19 08:00:00")
    assert remind(app) == "0 évaluateur(s) rappelé(s)."
    assert reminders(mailbox) == {}


def test_three_days_before_nobody_is_reminded_yet(app, committee_work, clock, mailbox):
    clock("2025-05-17 23:59:59")
    assert remind(app) == "0 évaluateur(s) rappelé(s)."
    assert reminders(mailbox) == {}


def test_nothing_once_the_due_date_has_passed(app, committee_work, clock, mailbox):
    clock("2025-05-21 00:00:01")
    assert remind(app) == "0 évaluateur(s) rappelé(s)."
    assert reminders(mailbox) == {}


def test_nothing_when_every_review_is_in(app, in_review, clock, mailbox):
    add_review(in_review, in_review.applications[0], in_review.reviewers[0], {"qualite": 4, "partenariat": 3})
    clock("2025-05-18 08:00:00")
    assert remind(app) == "0 évaluateur(s) rappelé(s)."
    assert reminders(mailbox) == {}


def test_moving_the_date_allows_a_new_reminder(app, committee_work, clock, mailbox):
    s = committee_work
    clock("2025-05-18 08:00:00")
    assert remind(app) == "2 évaluateur(s) rappelé(s)."
    round_ = refresh(rounds.round_of(s.window, time.now()))
    rounds.set_reviews_due_on(round_, dt.date(2025, 5, 27), by=s.manager, at=time.now())
    db.session.commit()
    clock("2025-05-25 08:00:00")
    assert remind(app) == "2 évaluateur(s) rappelé(s)."
