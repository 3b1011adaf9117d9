"""The committee reads its ranking on a desktop screen: a call with four criteria (as the Pas-de-Calais calls have),
long organisation names, decisions and amounts; at 1280 px every column is in view without scrolling sideways; on
a 375 px phone the table scrolls inside its own box, never the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.core import time
from portal.extensions import db
from portal.reviews import decisions
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD
from tests.reviews.conftest import AFTER_CLOSING, ISSUER, Selection, deposit_application
from tests.reviews.test_decisions import add_review, deliberate

CRITERIA = [
    {"key": "reseau", "label": "Inscription dans le réseau territorial et départemental", "weight": 2,
     "scale": {"min": 0, "max": 5}},
    {"key": "experience", "label": "Expérience dans l'accompagnement proposé", "weight": 1,
     "scale": {"min": 0, "max": 5}},
    {"key": "concertation", "label": "Manière d'accompagner de manière concertée le ménage", "weight": 1,
     "scale": {"min": 0, "max": 10}},
    {"key": "innovation", "label": "Caractère innovant de l'accompagnement proposé", "weight": 1,
     "scale": {"min": 0, "max": 5}},
]
ORGANISATIONS = ["Association départementale d'information sur le logement du Pas-de-Calais",
                 "Union régionale pour l'habitat des jeunes travailleurs", "Association Bêta", "Association Delta"]
HEADERS = ["Minimum", "Maximum", *[c["label"] for c in CRITERIA], "Score normalisé", "Décision", "Montant"]
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def ranked(publish_call, clock, make_user, make_organisation) -> Selection:
    """Four applications deposited, one found ineligible, three scored by two reviewers, decisions recorded."""
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        selection_criteria=CRITERIA, issuer={"body": ISSUER, "siren": "226200012"})
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    reviewers = [make_user(f"evaluateur{i}@pasdecalais.fr", f"Évaluateur {i}",
                           grants=[("reviewer", {"call_id": call.uuid})]) for i in (1, 2)]
    selection = Selection(call=call, window=call.windows[0], manager=manager, reviewers=reviewers)
    for index, name in enumerate(ORGANISATIONS, start=1):
        person = make_user(f"presidence@asso{index}.fr", f"Présidente {index}")
        organisation = make_organisation(person, name, rna=f"W62100000{index}")
        selection.organisations.append(organisation)
        selection.applications.append(deposit_application(call, organisation, person))
    clock(AFTER_CLOSING)
    deliberate(selection, {3: "Hors du champ de l'appel."})
    for application, values in zip(selection.applications[:3], [(5, 4, 8, 3), (3, 3, 6, 2), (1, 2, 3, 1)],
                                   strict=True):
        for shift, reviewer in enumerate(reviewers):
            scores = dict(zip([c["key"] for c in CRITERIA], [max(v - shift, 0) for v in values], strict=True))
            add_review(selection, application, reviewer, scores)
    now = time.now()
    first, second, third, _ = selection.applications
    decisions.record(first, "selected", "120 000", None, "", True, manager, now)
    decisions.record(second, "waiting_list", "45 000,50", None, "", True, manager, now)
    decisions.record(third, "rejected", None, None, "Projet trop peu abouti.", False, manager, now)
    db.session.commit()
    return selection


def open_ranking(page, selection) -> None:
    page.goto("/compte/connexion")
    page.get_by_label("Adresse électronique").fill(selection.manager.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible()
    page.goto(f"/gestion/selection/{selection.call.slug}/fenetres/unique/classement")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Classement des candidatures"))


def test_on_a_desktop_the_whole_ranking_is_in_view_and_a_phone_scrolls_the_table_not_the_page(new_page, checked,
                                                                                               ranked):
    desktop = new_page(viewport=DESKTOP)
    open_ranking(desktop, ranked)
    box = desktop.get_by_role("region", name=re.compile("^3 candidatures classées"))
    table = box.get_by_role("table")
    assert table.evaluate("(t) => t.scrollWidth <= t.parentElement.clientWidth"), "le tableau déborde à 1280 px"
    assert box.evaluate("(b) => b.scrollWidth <= b.clientWidth"), "le classement défile horizontalement à 1280 px"
    area = box.bounding_box()
    for name in HEADERS:
        header = table.get_by_role("columnheader", name=re.compile(re.escape(name)))
        expect(header).to_have_count(1)
        expect(header).to_be_visible()
        found = header.bounding_box()
        assert area["x"] <= found["x"] and found["x"] + found["width"] <= area["x"] + area["width"] + 0.5, name
    checked(desktop, "classement 1280")

    phone = new_page(viewport=PHONE)
    open_ranking(phone, ranked)
    box = phone.get_by_role("region", name=re.compile("^3 candidatures classées"))
    assert box.evaluate("(b) => b.scrollWidth > b.clientWidth && b.tabIndex === 0"), "le tableau ne défile pas"
    assert phone.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"), (
        "la page défile horizontalement sur un téléphone")
    checked(phone, "classement 375")


def test_the_manager_records_the_meeting_without_javascript_and_the_minutes_report_it(new_page, checked, ranked):
    page = new_page(java_script_enabled=False)
    open_ranking(page, ranked)
    page.goto(f"/gestion/selection/{ranked.call.slug}/")
    expect(page.get_by_text("la réunion du comité n'est pas encore enregistrée")).to_be_visible()
    page.get_by_role("link", name="Enregistrer la réunion du comité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réunion du comité de sélection")
    checked(page, "reunion du comite")
    # Nothing filled: the summary lists each error and leads to its field.
    page.get_by_role("button", name="Enregistrer la réunion du comité").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Le formulaire contient 7 erreurs")  # date, place, chair, title, 3 members
    checked(page, "reunion du comite erreurs")
    expect(page.get_by_role("group", name="Évaluateur 1")).to_have_attribute("aria-describedby", re.compile("error"))
    page.get_by_label("Date de la réunion").fill("2025-05-20")
    page.get_by_label("Heure de début").fill("14:30")
    page.get_by_label("Lieu de la réunion").fill("Arras, Hôtel du Département")
    page.get_by_label("Nom de la personne qui préside le comité").fill("Marie Lefebvre")
    page.get_by_label("Sa fonction").fill("Vice-présidente chargée du logement")
    for name in ("Évaluateur 1", "Gaëlle Gestion"):
        page.get_by_role("group", name=name).get_by_label("Présent", exact=True).check()
    page.get_by_role("group", name="Évaluateur 2").get_by_label("Absent", exact=True).check()
    page.get_by_role("button", name="Enregistrer la réunion du comité").click()
    expect(page.get_by_text("La réunion du comité est enregistrée")).to_be_visible()
    checked(page, "reunion du comite enregistree")
    page.goto(f"/gestion/selection/{ranked.call.slug}/")
    expect(page.get_by_text("réunion du 20 mai 2025, Arras, Hôtel du Département")).to_be_visible()
