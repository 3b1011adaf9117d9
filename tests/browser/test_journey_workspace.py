"""Issue 15's homes in a real browser. Gaëlle, the call's manager, signs in, lands on her « Espace de gestion » and
reaches every step of her call from it by following links, never typing an address: the applications received,
the eligibility screening, the committee and its assignments, the ranking, a decision, the letters' publication.
Évaluateur 1 signs in, lands on her home, and opens her next file in one click with « Dossier suivant ». Both homes
pass axe-core."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.browser.test_journey_selection import heading, sign_in
from tests.reviews import conftest as reviews

selection = reviews.selection  # the fixture: a closed call, four deposited applications, a manager, three reviewers


def in_deliberation(selection):
    """Every application eligible, Alpha reviewed by Évaluateur 1, the round in deliberation (committed)."""
    from portal.core.time import now
    from portal.extensions import db
    from portal.reviews import eligibility, rounds
    from tests.reviews.test_decisions import add_review

    for application in selection.applications:
        eligibility.record(application, "eligible", {}, None, by=selection.manager, at=now())
    round_ = rounds.round_of(selection.window, now())
    rounds.change_phase(round_, "review", by=selection.manager, at=now())
    db.session.commit()
    add_review(selection, selection.applications[0], selection.reviewers[0], {"qualite": 4, "partenariat": 3})
    rounds.change_phase(rounds.round_of(selection.window, now()), "deliberation", by=selection.manager, at=now())
    db.session.commit()  # the portal's server thread reads what is committed


def in_review_with_work(selection):
    """The round in review, due in eight days; Alpha and Bêta assigned to Évaluateur 1, no conflict declared."""
    from portal.core.time import now
    from portal.extensions import db
    from portal.reviews import assignment, conflicts, eligibility, queries, rounds

    for application in selection.applications:
        eligibility.record(application, "eligible", {}, None, by=selection.manager, at=now())
    round_ = rounds.round_of(selection.window, now())
    rounds.change_phase(round_, "review", by=selection.manager, at=now())
    rounds.set_reviews_due_on(round_, dt.date(2025, 5, 20), by=selection.manager, at=now())
    reviewer = selection.reviewers[0]
    for application in selection.applications[:2]:
        assignment.assign(application, reviewer, selection.manager, now())
        conflicts.declare_none(queries.assignment_of(reviewer, application), reviewer, now())
    db.session.commit()
    return reviewer


def home(page) -> None:
    """Back to her home by the header's entry, as she would."""
    page.get_by_role("link", name="Espace de gestion", exact=True).first.click()
    heading(page, "Espace de gestion")


def test_the_manager_reaches_every_step_of_her_call_from_her_home(page, checked, selection):
    in_deliberation(selection)
    title = selection.call.title
    sign_in(page, checked, selection.manager.email)
    heading(page, "Espace de gestion")
    expect(page.get_by_role("heading", level=3, name=title)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Décisions à enregistrer : 4"))).to_be_visible()
    checked(page, "espace-gestion", screenshot=True)

    page.get_by_role("link", name=f"Candidatures — {title}", exact=True).click()
    heading(page, "Candidatures reçues")
    home(page)

    page.get_by_role("link", name=re.compile(r"^À examiner : 0")).click()
    heading(page, "Recevabilité des candidatures")
    home(page)

    page.get_by_role("link", name=f"Sélection — {title}", exact=True).click()
    heading(page, "Sélection des candidatures")
    page.get_by_role("link", name="Comité d'évaluation", exact=True).click()
    heading(page, "Comité d'évaluation")
    home(page)

    page.get_by_role("link", name=re.compile(r"^Évaluateurs manquants")).click()
    heading(page, re.compile(r"^Affectations"))
    home(page)

    page.get_by_role("link", name=re.compile(r"^Décisions à enregistrer")).click()
    heading(page, re.compile(r"^Classement des candidatures"))
    alpha = selection.applications[0]
    page.get_by_role("table").get_by_role("link", name=alpha.number, exact=True).click()
    heading(page, f"{alpha.number} — Association Alpha")
    expect(page.get_by_role("button", name="Enregistrer la décision")).to_be_visible()
    home(page)

    page.get_by_role("link", name=re.compile(r"^Courriers à publier")).click()
    heading(page, re.compile(r"^Publication des décisions"))


def test_the_reviewer_lands_on_her_home_and_opens_her_next_file_in_one_click(page, checked, selection):
    reviewer = in_review_with_work(selection)
    sign_in(page, checked, reviewer.email)
    heading(page, "Évaluation des candidatures")
    expect(page.get_by_text("Il vous reste 2 évaluations à remettre.")).to_be_visible()
    expect(page.locator("dl.key-facts")).to_contain_text("20 mai 2025 (dans 8 jours)")
    checked(page, "accueil-evaluateur", screenshot=True)
    page.get_by_role("link", name=re.compile(r"^Dossier suivant")).click()
    alpha = selection.applications[0]  # neither has a review yet: the lowest number first
    heading(page, f"{alpha.number} — Association Alpha")
