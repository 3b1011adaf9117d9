"""The committee's files: the scores export carries every criterion's value and comment of the reviews that
count, in CSV and XLSX; the procès-verbal carries the ranking, the eligibility reasons, the decisions and the
total awarded; a manager in conflict with an application finds nothing of it in either."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import delete

from portal.accounts.models import Membership
from portal.core import time
from portal.extensions import db
from portal.reviews import decisions
from portal.reviews.models import Assignment
from tests.reviews.conftest import sign_in_as
from tests.reviews.test_decisions import REASON, add_review, deliberate, plain, text_of

QUALITY = "Qualité de l'accompagnement proposé"


def reviewed(selection):
    """Deliberation with three counting reviews (two on Alpha, one on Bêta) and Delta ineligible."""
    round_ = deliberate(selection, {3: REASON})
    alpha, beta = selection.applications[0], selection.applications[1]
    first, second, third = selection.reviewers
    add_review(selection, alpha, first, {"qualite": 5, "partenariat": 4, "budget": 8},
               {"qualite": "Accompagnement très solide.", "budget": "Budget cohérent."}, comment="Très bon projet.")
    add_review(selection, alpha, second, {"qualite": 3, "partenariat": 3, "budget": None}, {"qualite": "Correct."},
               opinion="reserved")
    add_review(selection, beta, third, {"qualite": 1, "partenariat": 1, "budget": 2}, {"qualite": "Trop vague."},
               opinion="unfavourable")
    return round_


def export_url(selection, extension: str) -> str:
    return f"/gestion/selection/{selection.call.slug}/fenetres/unique/notes.{extension}"


def csv_rows(response) -> list[dict]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_the_scores_csv_has_each_criterion_value_and_comment(client, selection):
    reviewed(selection)
    sign_in_as(client, selection.manager)
    response = client.get(export_url(selection, "csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = csv_rows(response)
    assert [(r["Numéro"], r["Évaluateur"]) for r in rows] == [
        (selection.applications[0].number, "Évaluateur 1"), (selection.applications[0].number, "Évaluateur 2"),
        (selection.applications[1].number, "Évaluateur 3")]
    first = rows[0]
    assert first["Organisation"] == "Association Alpha"
    assert first[f"{QUALITY} — note"] == "5" and first[f"{QUALITY} — commentaire"] == "Accompagnement très solide."
    assert first["Cohérence du budget — note"] == "8" and first["Cohérence du budget — commentaire"] == "Budget cohérent."
    assert first["Avis"] == "Favorable" and first["Commentaire général"] == "Très bon projet."
    assert first["Total (/20)"] == "18.00"  # (2·5/5 + 4/5 + 8/10) / 4 × 20
    assert rows[1]["Cohérence du budget — note"] == "" and rows[1]["Avis"] == "Réservé"


def test_the_scores_xlsx_holds_the_same_lines(client, selection):
    reviewed(selection)
    sign_in_as(client, selection.manager)
    response = client.get(export_url(selection, "xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    lines = list(sheet.iter_rows(values_only=True))
    header = list(lines[0])
    assert header[:3] == ["Numéro", "Organisation", "Évaluateur"]
    third = dict(zip(header, lines[3], strict=True))
    assert third["Évaluateur"] == "Évaluateur 3" and third[f"{QUALITY} — note"] == 1
    assert third[f"{QUALITY} — commentaire"] == "Trop vague." and third["Avis"] == "Défavorable"
    assert len(lines) == 4


def test_a_review_whose_author_is_no_longer_assigned_does_not_count(client, selection):
    reviewed(selection)
    db.session.execute(delete(Assignment).where(Assignment.reviewer_id == selection.reviewers[1].id))
    db.session.commit()
    sign_in_as(client, selection.manager)
    assert [r["Évaluateur"] for r in csv_rows(client.get(export_url(selection, "csv")))] == [
        "Évaluateur 1", "Évaluateur 3"]


def test_a_conflicted_managers_exports_carry_nothing_of_that_application(client, selection, make_user):
    reviewed(selection)
    colleague = make_user("collegue@pasdecalais.fr", "Camille Collègue",
                          grants=[("manager", {"issuer": selection.call.spec.issuer.body})])
    db.session.add(Membership(organisation_id=selection.organisations[0].id, user_id=colleague.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, colleague)
    alpha = selection.applications[0].number
    rows = csv_rows(client.get(export_url(selection, "csv")))
    assert [r["Numéro"] for r in rows] == [selection.applications[1].number]
    workbook = load_workbook(io.BytesIO(client.get(export_url(selection, "xlsx")).get_data()))
    assert all(alpha not in str(cell) for line in workbook.active.iter_rows(values_only=True) for cell in line)
    minutes = client.get(f"/gestion/selection/{selection.call.slug}/fenetres/unique/proces-verbal.pdf")
    text = text_of(minutes.get_data())
    assert alpha not in text and "Association Alpha" not in text and selection.applications[1].number in text


def test_the_minutes_give_the_ranking_the_eligibility_reasons_the_decisions_and_the_total(client, selection):
    reviewed(selection)
    manager, now = selection.manager, time.now()
    alpha, beta, gamma, _ = selection.applications
    decisions.record(alpha, "selected", "12 000,50", 3, "", True, manager, now)
    decisions.record(beta, "selected", "8 000", None, "", False, manager, now)
    decisions.record(gamma, "rejected", None, None, "Aucune évaluation favorable.", False, manager, now)
    db.session.commit()
    sign_in_as(client, manager)
    response = client.get(f"/gestion/selection/{selection.call.slug}/fenetres/unique/proces-verbal.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.get_data())
    assert "Procès-verbal du comité de sélection" in text
    assert "Évaluateur 1, Évaluateur 2, Évaluateur 3" in text
    # Alpha: totals 18 and 12 (blank budget left out) → mean 15 from 2 reviews; Bêta: 4 from 1.
    # Rank, number, organisation, mean, median, standard deviation, reviews — figures as on the ranking page.
    assert f"1 {alpha.number} Association Alpha 15,00 15,00 3,00 2 / 2" in text
    assert f"2 {beta.number} Association Bêta 4,00 4,00 0,00 1 / 1" in text
    assert plain(REASON) in text and "irrecevable" in text
    assert f"{alpha.number} Association Alpha Retenu 12 000,50 €" in text
    assert "Total attribué (candidatures retenues) 20 000,50 €" in text
