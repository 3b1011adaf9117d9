"""The review grid in a real browser: on a wide screen the deposited file (its answers and documents) stands beside
the grid, so a reviewer reads and scores at once; on a phone the file comes first, with a link straight to the
grid. Both pass axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_journey_selection import sign_in
from tests.reviews import conftest as reviews

selection = reviews.selection  # the fixture: a closed call, four deposited applications, a manager, three reviewers
WIDE = {"width": 1440, "height": 900}


def ready_to_score(selection):
    """Every application eligible, the round in review, Alpha assigned to Évaluateur 1 who declared no conflict."""
    from portal.core.time import now
    from portal.extensions import db
    from portal.reviews import assignment, conflicts, eligibility, queries, rounds

    for application in selection.applications:
        eligibility.record(application, "eligible", {}, None, by=selection.manager, at=now())
    rounds.change_phase(rounds.round_of(selection.window, now()), "review", by=selection.manager, at=now())
    alpha, reviewer = selection.applications[0], selection.reviewers[0]
    assignment.assign(alpha, reviewer, selection.manager, now())
    conflicts.declare_none(queries.assignment_of(reviewer, alpha), reviewer, now())
    db.session.commit()  # the use cases flush; the portal's server thread reads what is committed
    return alpha, reviewer


def boxes(page):
    answers = page.locator("dl.answers").first
    first_score = page.get_by_role("group", name="Note — Qualité de l'accompagnement proposé")
    expect(answers).to_be_visible()
    expect(first_score).to_be_visible()
    return answers.bounding_box(), first_score.bounding_box()


def test_on_a_wide_screen_the_answers_stand_beside_the_grid(new_page, checked, selection):
    alpha, reviewer = ready_to_score(selection)
    page = new_page(viewport=WIDE)
    sign_in(page, checked, reviewer.email)
    page.goto(f"/evaluation/candidatures/{alpha.id}/evaluation")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Votre évaluation de la candidature {alpha.number}")
    answers, score = boxes(page)
    for box in (answers, score):  # both within the first screen, without scrolling
        assert 0 <= box["y"] < WIDE["height"] and box["x"] + box["width"] <= WIDE["width"], box
    assert answers["x"] + answers["width"] <= score["x"], (answers, score)  # side by side, the file on the left
    assert abs(answers["y"] - score["y"]) < WIDE["height"] / 2
    expect(page.get_by_role("link", name="Aller directement à la grille d'évaluation")).to_be_hidden()
    checked(page, "grille-evaluation", screenshot=True)


def test_on_a_phone_the_file_comes_first_and_a_link_leads_to_the_grid(new_page, checked, selection):
    alpha, reviewer = ready_to_score(selection)
    page = new_page(viewport=PHONE)
    sign_in(page, checked, reviewer.email)
    page.goto(f"/evaluation/candidatures/{alpha.id}/evaluation")
    answers, score = boxes(page)
    assert answers["y"] + answers["height"] <= score["y"]  # stacked, the file first
    page.get_by_role("link", name="Aller directement à la grille d'évaluation").click()
    expect(page.get_by_role("group", name="Note — Qualité de l'accompagnement proposé")).to_be_in_viewport()
    checked(page, "grille-evaluation", screenshot=True, suffix="-mobile")


def test_the_hub_lists_the_reviews_undone_and_asks_to_confirm_before_the_deliberation(page, checked, selection):
    """The manager's side of the same round: the progress, and the box to tick, with its error when left empty."""
    alpha, _ = ready_to_score(selection)
    sign_in(page, checked, selection.manager.email)
    page.goto(f"/gestion/selection/{selection.call.slug}/")
    expect(page.get_by_role("row", name=f"{alpha.number} — Association Alpha")).to_contain_text(
        "0 / 1 évaluation remise")
    checked(page, "selection avancement")
    page.get_by_role("button", name=re.compile("^Ouvrir la délibération")).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Cochez « Ouvrir la délibération malgré 1 évaluation non remise »")
    checked(page, "selection avancement erreur")
    summary.get_by_role("link").click()
    box = page.get_by_label("Ouvrir la délibération malgré 1 évaluation non remise")
    expect(box).to_be_focused()
    box.check()
    page.get_by_role("button", name=re.compile("^Ouvrir la délibération")).click()
    expect(page.get_by_text("est maintenant en phase « Délibération »")).to_be_visible()
