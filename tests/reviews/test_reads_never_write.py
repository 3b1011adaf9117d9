"""Looking never writes (GUIDE.md; issue 12): a window that has just closed is in its first phase, eligibility, and
a call whose managers never saved its settings has the defaults, without a row being stored for either. The rows
are created by the use cases that change them (a phase change, saved settings, a verdict, an assignment)."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import event, func, select

from portal.core import time
from portal.extensions import db
from portal.reviews import assignment, eligibility, rounds
from portal.reviews.models import ReviewRound, ReviewSettings
from tests.conftest import post_form
from tests.reviews.conftest import sign_in_as

SELECTION_TABLES = ("review_rounds", "review_settings", "review_assignments", "conflicts_of_interest", "reviews",
                    "review_scores", "review_versions", "eligibility_checks", "decisions")
WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def manager_pages(selection) -> list[str]:
    slug, key, application = selection.call.slug, selection.window.key, selection.applications[0]
    base = "/gestion/selection"
    return [f"{base}/{slug}/", f"{base}/{slug}/parametres", f"{base}/{slug}/fenetres/{key}/recevabilite",
            f"{base}/candidatures/{application.id}/recevabilite", f"{base}/{slug}/comite",
            f"{base}/{slug}/comite/{selection.reviewers[0].id}", f"{base}/{slug}/fenetres/{key}/affectations",
            f"{base}/candidatures/{application.id}/comite", f"{base}/{slug}/conflits",
            f"{base}/{slug}/fenetres/{key}/classement", f"{base}/candidatures/{application.id}",
            f"{base}/{slug}/fenetres/{key}/publication", f"{base}/{slug}/fenetres/{key}/notes.csv",
            f"{base}/{slug}/fenetres/{key}/scdl"]


def reviewer_pages(selection) -> list[str]:
    slug, key = selection.call.slug, selection.window.key
    return ["/evaluation/", f"/evaluation/{slug}/conflits", f"/evaluation/{slug}/fenetres/{key}/classement"]


@pytest.fixture
def writes():
    """The selection side's tables each statement run meanwhile writes to."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        found = WRITE.match(statement)
        if found and found.group(2).lower() in SELECTION_TABLES:
            seen.append(statement.split("\n", 1)[0])

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def stored(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("who", ["manager", "reviewer"])
def test_looking_at_a_just_closed_window_stores_no_round_and_no_settings(client, selection, writes, who):
    person, pages = ((selection.manager, manager_pages(selection)) if who == "manager"
                     else (selection.reviewers[0], reviewer_pages(selection)))
    sign_in_as(client, person)
    writes.clear()  # signing in is a POST
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    assert writes == []  # not even flushed then rolled back
    assert stored(ReviewRound) == 0 and stored(ReviewSettings) == 0


def test_the_hub_shows_the_first_phase_since_the_deadline_without_a_round_stored(client, selection):
    sign_in_as(client, selection.manager)
    page = html.unescape(client.get(f"/gestion/selection/{selection.call.slug}/").get_data(as_text=True))
    assert "Recevabilité</strong> depuis le 9 mai 2025" in page
    assert "Commencer l'évaluation" in page
    assert stored(ReviewRound) == 0


def test_the_first_verdict_stores_the_round_and_changing_phase_keeps_it(selection):
    at = time.now()
    for application in selection.applications:
        eligibility.record(application, "eligible", {}, None, by=selection.manager, at=at)
    (round_,) = db.session.scalars(select(ReviewRound))
    assert round_.phase == "eligibility" and round_.phase_changed_at == selection.window.closes_at
    rounds.change_phase(rounds.round_of(selection.window, at), "review", by=selection.manager, at=at)
    assert [r.phase for r in db.session.scalars(select(ReviewRound))] == ["review"]


def test_a_round_read_before_the_first_verdict_is_the_one_stored(selection):
    """As the demo does: read the round, screen, then move the very object read first."""
    at = time.now()
    round_ = rounds.round_of(selection.window, at)
    for application in selection.applications:
        eligibility.record(application, "eligible", {}, None, by=selection.manager, at=at)
    rounds.change_phase(round_, "review", by=selection.manager, at=at)
    rounds.change_phase(round_, "deliberation", by=selection.manager, at=at)
    db.session.expire_all()
    assert [r.phase for r in db.session.scalars(select(ReviewRound))] == ["deliberation"]


def test_an_assignment_stores_the_round(selection):
    assignment.assign(selection.applications[0], selection.reviewers[0], selection.manager, time.now())
    assert [r.phase for r in db.session.scalars(select(ReviewRound))] == ["eligibility"]


def test_saving_the_settings_stores_them(client, selection):
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/{selection.call.slug}/parametres"
    assert stored(ReviewSettings) == 0
    post_form(client, url, {"reviews_per_application": "3", "min_reviews_for_normalisation": "3",
                            "disagreement_threshold": "3", "others_after_own": "y"})
    assert stored(ReviewSettings) == 1


def test_the_phase_form_of_a_window_still_open_stores_nothing(client, selection, clock):
    clock("2025-05-09 12:00:00")
    sign_in_as(client, selection.manager)
    response = post_form(client, f"/gestion/selection/{selection.call.slug}/fenetres/{selection.window.key}/phase",
                         {"to": "review"}, form_page=f"/gestion/selection/{selection.call.slug}/",
                         follow_redirects=True)
    assert "Le dépôt est encore ouvert" in response.get_data(as_text=True)
    assert stored(ReviewRound) == 0


def test_a_conflict_detected_from_membership_shows_on_the_managers_pages_without_being_stored(
        client, selection, writes):
    from portal.accounts.models import Membership
    from portal.reviews.models import Assignment, Conflict

    alice, application = selection.reviewers[0], selection.applications[1]
    assignment.assign(application, alice, selection.manager, time.now())
    db.session.add(Membership(organisation_id=selection.organisations[1].id, user_id=alice.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, selection.manager)
    writes.clear()
    for url in (f"/gestion/selection/{selection.call.slug}/conflits",
                f"/gestion/selection/candidatures/{application.id}/comite"):
        page = html.unescape(client.get(url).get_data(as_text=True))
        assert alice.email in page and "Membre de l'organisation candidate" in page, url
        assert "En vigueur, détecté d'après l'appartenance" in page
    assert writes == [] and stored(Conflict) == 0
    sign_in_as(client, alice)
    assert client.get(f"/evaluation/candidatures/{application.id}/declaration").status_code == 404
    assert stored(Assignment) == 1  # withdrawn, and recorded, at the next change of the committee
