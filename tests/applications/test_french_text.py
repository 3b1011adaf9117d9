"""French as a person writes it on the application's pages: the grant asked « au Département du Pas-de-Calais » or
« à la Préfecture du Nord », declarations dated « le 15 avril 2025 à 10 h 00 », the amount asked written like every
amount, the error summary's items beginning with a capital letter, a missing document said once."""

import html
import re

import pytest

from portal.core.text import addressed_to
from tests.applications.conftest import ANSWERS, DECLARATIONS, DOCUMENTS, QUESTIONS, fill, start
from tests.applications.test_deposit import sign_in_as


def visible(response) -> str:
    text = re.sub(r"<script.*?</script>|<[^>]+>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(text).replace("\u202f", " ").replace("\xa0", " "))


@pytest.mark.parametrize("issuer, said", [
    ("Département du Pas-de-Calais", "au Département du Pas-de-Calais"),
    ("Préfecture du Nord", "à la Préfecture du Nord"),
    ("État", "à l'État"),
    ("Agence nationale de l'habitat", "à l'Agence nationale de l'habitat"),
    ("Direction départementale de l'emploi, du travail et des solidarités du Nord",
     "à la Direction départementale de l'emploi, du travail et des solidarités du Nord"),
    ("Région Hauts-de-France", "à la Région Hauts-de-France"),
    ("Conseil départemental de Seine-et-Marne", "au Conseil départemental de Seine-et-Marne"),
    ("Services de l'État dans le Nord", "aux Services de l'État dans le Nord"),
    ("Fonds de solidarité pour le logement", "au Fonds de solidarité pour le logement"),
    ("Caisse d'allocations familiales du Nord", "à la Caisse d'allocations familiales du Nord"),
    ("Office français de l'immigration", "à l'Office français de l'immigration"),
    ("Métropole européenne de Lille", "à la Métropole européenne de Lille"),
    ("Ville de Lens", "à la Ville de Lens"),
    ("La Poste", "à La Poste"), ("Le Département du Nord", "au Département du Nord"),
    ("Les Départements de France", "aux Départements de France"), ("L'Agence régionale", "à L'Agence régionale"),
])
def test_the_grant_is_asked_with_the_article_of_the_issuers_name(issuer, said):
    assert addressed_to(issuer) == said


@pytest.fixture
def prefecture_call(publish_call, clock):
    clock("2025-04-15 10:00:00")
    return publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        issuer={"body": "Préfecture du Nord"})


def test_the_form_asks_the_amount_of_the_prefecture_with_its_article(client, prefecture_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, prefecture_call, organisation)
    page = visible(client.get(f"{url}formulaire"))
    assert "Montant de la subvention demandée à la Préfecture du Nord (en euros)" in page


def test_declarations_amounts_summary_and_missing_documents_are_written_as_a_person_writes(
        client, open_call, applicant, clock):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    clock("2025-05-01 10:05:00")  # the first of the month: « 1er »
    response = fill(client, url, {"q.objectifs": "", "decl.casf": "1", "cerfa.amount_requested": "12000,5"})
    form = client.get(response.headers["Location"])
    text = visible(form)
    assert "Montant de la subvention demandée au Département du Pas-de-Calais (en euros)" in text
    assert "Cochée par Claire Martin le 1er mai 2025 à 10 h 05 (heure de Paris)." in text
    items = re.findall(r'<div class="error-summary".*?</div>', form.get_data(as_text=True), re.S)[0]
    items = [html.unescape(re.sub(r"<[^>]+>", "", i)).strip() for i in re.findall(r"<li>(.*?)</li>", items, re.S)]
    assert items and all(i[0].isupper() for i in items), items
    assert "Objectifs du projet : réponse obligatoire." in items

    fill(client, url, {**ANSWERS, "cerfa.amount_requested": "12000,5", "budget.64": "15 000,50"})
    summary = visible(client.get(f"{url}deposer"))
    assert "Montant demandé : 12 000,50 €" in summary
    assert "cochée par Claire Martin le 1er mai 2025 à 10 h 05 (heure de Paris)" in summary
    assert "2025-05-01" not in summary
    # Each missing document is said missing once: in the list of what is missing, not again in the list of pieces.
    assert summary.count("manquante") == 2  # the statutes and the Cerfa, once each
    assert "Statuts de l'association : pièce obligatoire manquante." in summary
