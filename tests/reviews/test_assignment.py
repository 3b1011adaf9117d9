"""Assigning applications to the committee: one by one, in bulk, from a CSV file and automatically — balanced,
within the limit, never onto a conflict nor an ineligible application, each assignment in the audit log."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.accounts.models import Membership
from portal.core import time
from portal.core.audit import AuditEvent
from portal.core.errors import Refusal
from portal.extensions import db
from portal.reviews import assignment, conflicts, rounds
from portal.reviews.models import Assignment, Eligibility, Review
from portal.reviews.queries import load_by_reviewer


def loads(selection) -> list[int]:
    by_reviewer = load_by_reviewer(selection.call)
    return [by_reviewer.get(r.id, 0) for r in selection.reviewers]


def join(person, organisation) -> None:
    db.session.add(Membership(organisation_id=organisation.id, user_id=person.id, role="member",
                              joined_at=time.now()))
    db.session.commit()


def screen(application, verdict: str, reason: str | None = None) -> None:
    db.session.add(Eligibility(application_id=application.id, verdict=verdict, checklist={}, reason=reason,
                               decided_at=time.now()))
    db.session.commit()


def pairs() -> set:
    return set(map(tuple, db.session.execute(select(Assignment.application_id, Assignment.reviewer_id))))


def test_automatic_assignment_is_balanced_within_one_and_deterministic(selection):
    report = assignment.auto_assign(selection.window, 2, None, selection.manager, time.now())
    assert len(report.made) == 8 and not report.short
    assert sorted(loads(selection), reverse=True) == [3, 3, 2]
    # Fewest-loaded first, ties by name: Évaluateur 1 and 2 take the first application.
    first = selection.applications[0]
    assert {r.id for a, r in report.made if a.id == first.id} == {selection.reviewers[0].id, selection.reviewers[1].id}
    # Run again: nothing more to do.
    again = assignment.auto_assign(selection.window, 2, None, selection.manager, time.now())
    assert again.made == [] and again.short == []
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.assign_auto")
                             .order_by(AuditEvent.id)).details["made"] == 8


def test_automatic_assignment_never_lands_on_a_conflict(selection):
    alice, bob = selection.reviewers[0], selection.reviewers[1]
    join(alice, selection.organisations[0])  # member of the first applying organisation
    conflicts.declare(selection.applications[1], bob.email, "personal", "Ma sœur préside l'association.",
                      "reviewer", bob, time.now())
    report = assignment.auto_assign(selection.window, 2, None, selection.manager, time.now())
    made = pairs()
    assert (selection.applications[0].id, alice.id) not in made
    assert (selection.applications[1].id, bob.id) not in made
    assert len(report.made) == 8 and not report.short
    assert max(loads(selection)) - min(loads(selection)) <= 1


def test_automatic_assignment_respects_the_limit_and_says_who_is_short(selection):
    report = assignment.auto_assign(selection.window, 3, 3, selection.manager, time.now())
    assert loads(selection) == [3, 3, 3]
    assert len(report.made) == 9
    assert [(s.application.number, s.missing) for s in report.short] == [(selection.applications[3].number, 3)]
    assert "3 au plafond de 3" in report.short[0].reason


def test_automatic_assignment_skips_ineligible_applications(selection):
    screen(selection.applications[2], "ineligible", "Pièce manquante")
    assignment.auto_assign(selection.window, 1, None, selection.manager, time.now())
    assert selection.applications[2].id not in {a for a, _ in pairs()}
    assert len(pairs()) == 3


def test_one_by_one_assignment_refuses_with_a_reason(selection):
    application, alice = selection.applications[0], selection.reviewers[0]
    assignment.assign(application, alice, selection.manager, time.now())
    with pytest.raises(Refusal, match="déjà affecté"):
        assignment.assign(application, alice, selection.manager, time.now())
    with pytest.raises(Refusal, match="ne fait pas partie du comité"):
        assignment.assign(application, selection.applicants[1], selection.manager, time.now())
    join(selection.reviewers[1], selection.organisations[0])
    with pytest.raises(Refusal, match="conflit d'intérêts"):
        assignment.assign(application, selection.reviewers[1], selection.manager, time.now())
    screen(selection.applications[1], "ineligible", "Hors territoire")
    with pytest.raises(Refusal, match="irrecevable"):
        assignment.assign(selection.applications[1], alice, selection.manager, time.now())


def test_the_limit_set_in_the_settings_is_respected_and_said_with_numbers(selection):
    settings = rounds.settings_of(selection.call)
    rounds.update_settings(settings, selection.manager, time.now(), max_per_reviewer=2)
    alice = selection.reviewers[0]
    for application in selection.applications[:2]:
        assignment.assign(application, alice, selection.manager, time.now())
    with pytest.raises(Refusal, match="déjà 2 candidature.* plafond est de 2"):
        assignment.assign(selection.applications[2], alice, selection.manager, time.now())


def test_no_assignment_once_deliberation_has_begun(selection):
    round_ = rounds.ensure_round(selection.window, time.now())
    round_.phase = "deliberation"
    db.session.commit()
    with pytest.raises(Refusal, match="Délibération"):
        assignment.assign(selection.applications[0], selection.reviewers[0], selection.manager, time.now())
    with pytest.raises(Refusal, match="Délibération"):
        assignment.auto_assign(selection.window, 2, None, selection.manager, time.now())


def test_unassigning_keeps_a_submitted_review_and_is_audited(selection):
    application, alice = selection.applications[0], selection.reviewers[0]
    assignment.assign(application, alice, selection.manager, time.now())
    db.session.add(Review(application_id=application.id, reviewer_id=alice.id, status="submitted",
                          created_at=time.now(), updated_at=time.now(), submitted_at=time.now()))
    db.session.commit()
    assignment.unassign(application, alice, selection.manager, time.now())
    assert pairs() == set()
    assert db.session.scalar(select(Review).where(Review.reviewer_id == alice.id)) is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.unassign"))
    assert event.details["review_kept"] == "submitted" and event.details["reviewer"] == alice.email


def test_refusal_answers_a_refusal_with_its_reason_or_none(selection):
    join(selection.reviewers[2], selection.organisations[1])
    application = selection.applications[1]
    assert assignment.refusal(application, selection.reviewers[0], time.now()) is None
    refused = assignment.refusal(application, selection.reviewers[2], time.now())
    assert isinstance(refused, Refusal) and refused.status == 409
    assert refused.message == f"Évaluateur 3 est en conflit d'intérêts avec la candidature {application.number}."


def test_bulk_assignment_reports_made_and_refused_pairs(selection):
    join(selection.reviewers[2], selection.organisations[1])
    report = assignment.bulk_assign(selection.applications[:2], selection.reviewers, selection.manager, time.now())
    assert len(report.made) == 5
    assert report.refused == [f"Évaluateur 3 est en conflit d'intérêts avec la candidature "
                              f"{selection.applications[1].number}."]
    assert db.session.query(AuditEvent).filter_by(action="review.assign").count() == 5


def test_csv_import_applies_the_good_lines_and_reports_the_bad_ones(selection):
    a, b, c = selection.applications[:3]
    alice, bob, _ = selection.reviewers
    join(bob, selection.organisations[2])
    text = ("\ufeffnuméro;email\n"
            f"{a.number};{alice.email}\n"
            f"AAP-1999-9999;{alice.email}\n"
            f"{b.number};inconnue@exemple.fr\n"
            f"{c.number};{bob.email}\n"
            "\n"
            f"{b.number};{bob.email.upper()}\n"
            f"{a.number}\n")
    report = assignment.import_csv(selection.call, selection.window, io.BytesIO(text.encode()), selection.manager,
                                   time.now())
    assert [(line.line, line.ok) for line in report.lines] == [(2, True), (3, False), (4, False), (5, False),
                                                              (7, True), (8, False)]
    messages = {line.line: line.message for line in report.refused}
    assert "Aucune candidature déposée ne porte le numéro AAP-1999-9999" in messages[3]
    assert "Aucun compte n'existe pour l'adresse inconnue@exemple.fr" in messages[4]
    assert "conflit d'intérêts" in messages[5]
    assert "Deux colonnes attendues" in messages[8]
    assert pairs() == {(a.id, alice.id), (b.id, bob.id)}
    assert {m for a_, m in db.session.execute(select(Assignment.application_id, Assignment.method))} == {"csv"}


def test_csv_import_accepts_commas_and_no_bom_but_refuses_another_encoding(selection):
    a = selection.applications[0]
    text = f"numero,email\r\n{a.number},{selection.reviewers[0].email}\r\n"
    report = assignment.import_csv(selection.call, selection.window, io.BytesIO(text.encode()), selection.manager,
                                   time.now())
    assert len(report.made) == 1
    with pytest.raises(Refusal, match="UTF-8"):
        assignment.import_csv(selection.call, selection.window, io.BytesIO("numéro;email\n".encode("latin-1")),
                              selection.manager, time.now())
