"""How far the committee has got, as the manager sees it: submitted / assigned reviews per application and per
reviewer on the hub, the confirmation asked before opening the deliberation with reviews still undone, and the
objective of the matrix following the k of the automatic assignment."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from portal.accounts.models import Membership
from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import reviewing, rounds
from portal.reviews.models import Assignment, Eligibility, ReviewRound, ReviewSettings
from tests.conftest import post_form
from tests.reviews.conftest import sign_in_as

FULL = {"qualite": "4", "partenariat": "3", "budget": ""}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def hub(selection) -> str:
    return f"/gestion/selection/{selection.call.slug}/"


def phase_url(selection) -> str:
    return f"/gestion/selection/{selection.call.slug}/fenetres/{selection.window.key}/phase"


def in_review(selection):
    for application in selection.applications:
        db.session.add(Eligibility(application_id=application.id, verdict="eligible", checklist={},
                                   decided_at=time.now()))
    db.session.commit()
    round_ = rounds.round_of(selection.window, time.now())
    rounds.change_phase(round_, "review", selection.manager, time.now())
    db.session.commit()
    return round_


def assign(reviewer, application) -> None:
    db.session.add(Assignment(application_id=application.id, reviewer_id=reviewer.id, method="manual",
                              assigned_at=time.now(), no_conflict_declared_at=time.now()))
    db.session.commit()


def submit(reviewer, application) -> None:
    reviewing.save(application, reviewer, FULL, {}, "favourable", None, submit=True, at=time.now())


def phase_now(selection) -> str:
    db.session.expire_all()
    return db.session.scalar(select(ReviewRound.phase).where(ReviewRound.window_id == selection.window.id))


def three_of_five_done(selection):
    """Alpha: 2 of 3 reviews in; Bêta: 1 of 2. Évaluateur 3 has not submitted Alpha, Évaluateur 2 not Bêta."""
    in_review(selection)
    alpha, beta = selection.applications[:2]
    one, two, three = selection.reviewers
    for reviewer in (one, two, three):
        assign(reviewer, alpha)
    for reviewer in (one, two):
        assign(reviewer, beta)
    submit(one, alpha)
    submit(two, alpha)
    submit(one, beta)
    reviewing.save(beta, two, {"qualite": "2"}, {}, None, None, submit=False, at=time.now())  # a draft only


# ---- 1. opening the deliberation with reviews undone ----------------------------------------------------------

def test_opening_deliberation_with_reviews_undone_asks_for_an_explicit_confirmation(client, selection):
    three_of_five_done(selection)
    alpha, beta = selection.applications[:2]
    sign_in_as(client, selection.manager)
    page = text_of(client.get(hub(selection)))
    assert "2 évaluations affectées ne sont pas remises" in page
    assert f"{alpha.number} — Association Alpha : Évaluateur 3 (pas commencée)" in page
    assert f"{beta.number} — Association Bêta : Évaluateur 2 (brouillon)" in page
    assert "Ouvrir la délibération malgré 2 évaluations non remises" in page

    refused = post_form(client, phase_url(selection), {"to": "deliberation"}, form_page=hub(selection))
    assert refused.status_code == 422
    page = text_of(refused)
    message = ("Cochez « Ouvrir la délibération malgré 2 évaluations non remises » pour ouvrir la délibération "
               "sans elles.")
    assert f'<a href="#confirmer-{selection.window.key}">' in page and message in page  # the summary links to it
    field = re.search(rf'<input[^>]*id="confirmer-{selection.window.key}"[^>]*>', page).group(0)
    assert re.search(rf'aria-describedby="[^"]*confirmer-{selection.window.key}-error"', field)
    assert f'id="confirmer-{selection.window.key}-error"' in page
    assert phase_now(selection) == "review"

    done = post_form(client, phase_url(selection), {"to": "deliberation", "confirm_missing": "2"},
                     form_page=hub(selection), follow_redirects=True)
    assert "est maintenant en phase « Délibération »" in text_of(done)
    assert phase_now(selection) == "deliberation"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.phase")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details["after"] == "deliberation" and event.details["missing_reviews"] == 2


def test_a_confirmation_given_for_fewer_missing_reviews_than_now_is_refused(client, selection):
    three_of_five_done(selection)
    sign_in_as(client, selection.manager)
    response = post_form(client, phase_url(selection), {"to": "deliberation", "confirm_missing": "1"},
                         form_page=hub(selection))
    assert response.status_code == 422
    assert "Ouvrir la délibération malgré 2 évaluations non remises" in text_of(response)
    assert phase_now(selection) == "review"


def test_with_every_review_in_the_deliberation_opens_without_confirmation(client, selection):
    in_review(selection)
    alpha = selection.applications[0]
    assign(selection.reviewers[0], alpha)
    submit(selection.reviewers[0], alpha)
    sign_in_as(client, selection.manager)
    page = text_of(client.get(hub(selection)))
    assert "non remises" not in page
    done = post_form(client, phase_url(selection), {"to": "deliberation"}, form_page=hub(selection),
                     follow_redirects=True)
    assert "est maintenant en phase « Délibération »" in text_of(done)
    assert phase_now(selection) == "deliberation"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.phase")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details["missing_reviews"] == 0


# ---- 2. the progress on the hub ---------------------------------------------------------------------------------

def test_the_hub_shows_submitted_over_assigned_per_application_per_reviewer_and_in_total(client, selection):
    three_of_five_done(selection)
    alpha, beta, gamma, _ = selection.applications
    sign_in_as(client, selection.manager)
    page = text_of(client.get(hub(selection)))
    assert "3 / 5 évaluations remises" in page  # the total
    assert re.search(rf"{alpha.number} — Association Alpha\s*</a></th>\s*<td>2 / 3 évaluations remises", page)
    assert re.search(rf"{beta.number} — Association Bêta\s*</a></th>\s*<td>1 / 2 évaluations remises", page)
    assert re.search(rf"{gamma.number} — Association Gamma\s*</a></th>\s*<td>Aucun évaluateur affecté", page)
    assert re.search(r"Évaluateur 1\s*</a></th>\s*<td>2 / 2 évaluations remises", page)
    assert re.search(r"Évaluateur 2\s*</a></th>\s*<td>1 / 2 évaluations remises", page)
    assert re.search(r"Évaluateur 3\s*</a></th>\s*<td>0 / 1 évaluation remise", page)


def test_a_manager_in_conflict_sees_nothing_of_that_applications_progress(client, selection):
    three_of_five_done(selection)
    alpha = selection.applications[0]
    db.session.add(Membership(organisation_id=selection.organisations[0].id, user_id=selection.manager.id,
                              role="member", joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, selection.manager)
    page = text_of(client.get(hub(selection)))
    assert alpha.number not in page and "Association Alpha" not in page
    assert "1 / 2 évaluations remises" in page  # Bêta, and the total is Bêta's alone
    assert "Évaluateur 3" not in page  # her only assignment is Alpha
    assert re.search(r"Évaluateur 1\s*</a></th>\s*<td>1 / 1 évaluation remise", page)
    assert "1 évaluation affectée n'est pas remise" in page


# ---- 3. the objective of the matrix --------------------------------------------------------------------------------

def test_automatic_assignment_with_k_3_makes_3_the_objective_of_the_matrix(client, selection):
    sign_in_as(client, selection.manager)
    matrix = f"/gestion/selection/{selection.call.slug}/fenetres/{selection.window.key}/affectations"
    assert "Objectif : 2 évaluateurs par candidature" in text_of(client.get(matrix))
    report = post_form(client, matrix + "/auto", {"k": "3", "limit": ""}, form_page=matrix)
    assert report.status_code == 200
    assert "Les paramètres de la sélection retiennent désormais 3 évaluateurs par candidature" in text_of(report)
    page = text_of(client.get(matrix))
    assert "Objectif : 3 évaluateurs par candidature" in page
    assert "3 / 3" in page and "3 / 2" not in page
    assert db.session.get(ReviewSettings, selection.call.id).reviews_per_application == 3
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.settings"))
    assert event.details["reviews_per_application"] == ["2", "3"]


def test_the_progress_is_one_statement_whatever_the_number_of_applications(selection):
    from sqlalchemy import event

    from portal.reviews import permissions, queries

    three_of_five_done(selection)
    window, visible = selection.window, permissions.reviewable(selection.manager, selection.call)
    assert window.id  # loaded before counting
    statements = []
    engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        progress = queries.review_progress(window, visible)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert (progress.submitted, progress.assigned) == (3, 5)
