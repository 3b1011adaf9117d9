"""The ranking page as the committee reads it: which standard deviation it shows (the population one: 10 and 18
give 4,00, said in a note shared with the procès-verbal), the median beside it, figures written as the PV writes
them, and the criteria headed C1, C2… with their full names above the table and in each header for screen
readers (so that the whole table fits a desktop screen; the browser test measures it)."""

from __future__ import annotations

import re

from tests.reviews.conftest import sign_in_as
from tests.reviews.test_decisions import add_review, deliberate, plain

QUALITY = "Qualité de l'accompagnement proposé"


def page_text(html: str) -> str:
    return plain(re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def ranking_page(client, selection) -> str:
    deliberate(selection)
    alpha, beta = selection.applications[:2]
    first, second, _ = selection.reviewers
    add_review(selection, alpha, first, {"qualite": 5, "partenariat": 4, "budget": 8})  # 18
    add_review(selection, alpha, second, {"qualite": 2, "partenariat": 2, "budget": 8})  # 10
    add_review(selection, beta, first, {"qualite": 1, "partenariat": 1, "budget": 2})  # 4
    sign_in_as(client, selection.manager)
    return client.get(f"/gestion/selection/{selection.call.slug}/fenetres/unique/classement").get_data(as_text=True)


def test_the_page_says_the_standard_deviation_is_the_population_one_beside_the_median(client, selection):
    text = page_text(ranking_page(client, selection))
    assert "Écart-type de population (σ) : 10 et 18 donnent 4,00" in text
    alpha = selection.applications[0].number
    # Received / assigned, mean, median, σ, minimum, maximum: as the procès-verbal writes them.
    assert re.search(rf"{alpha} Association Alpha Recevable 2 / 2 14,00 14,00 4,00 ⚠ Désaccord 10,00 18,00", text)


def test_the_criteria_are_headed_c1_c2_and_named_in_full_above_the_table_and_in_each_header(client, selection):
    html = ranking_page(client, selection)
    text = page_text(html)
    assert f"C1 : {QUALITY} (moyenne, de 0 à 5)" in text
    assert "C3 : Cohérence du budget (moyenne, de 0 à 10)" in text
    header = re.search(r'<th scope="col"[^>]*>\s*<a [^>]*>C1<span class="visually-hidden">([^<]*)</span></a>', html)
    assert header and page_text(header[1]).strip() == f": {QUALITY}, moyenne de 0 à 5"
    assert '<th scope="colgroup" colspan="3" class="ranking-criteria">Moyenne des critères</th>' in html
