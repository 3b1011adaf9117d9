"""The public catalogue: open calls first, filters, accent-insensitive search, archives, the call page."""

import html
import re

import pytest

from portal.core.text import fold


@pytest.fixture
def catalogue(publish_call, clock):
    """Three calls seen on 20 April 2025: one open, one upcoming, one closed."""
    clock("2025-04-20 10:00")
    publish_call("equipes-mobiles", title="Équipes mobiles de prévention des expulsions",
                 windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                 themes=["prévention des expulsions"], carriers={"types": ["organisme_agree"]},
                 territories=[{"name": "Pas-de-Calais", "code": "DEP-62"}, {"name": "Artois"}])
    publish_call("microcredit", title="Microcrédit personnel accompagné",
                 summary="Retenir quatre opérateurs du microcrédit personnel sur tout le département.",
                 windows=[{"key": "unique", "opens_on": "2025-06-01", "closes_on": "2025-07-15"}],
                 themes=["microcrédit"], carriers={"types": ["association"]})
    publish_call("ami-seine-et-marne", kind="AMI", title="AMI équipes mobiles en Seine-et-Marne",
                 issuer={"body": "Préfet de Seine-et-Marne"},
                 windows=[{"key": "unique", "closes_on": "2021-01-22"}],
                 territories=[{"name": "Seine-et-Marne", "code": "DEP-77"}])


def titles(client, query: str = "") -> list[str]:
    page = client.get(f"/appels/{query}").get_data(as_text=True)
    return re.findall(r'<h3 id="call-\d+"><a href="[^"]+">([^<]+)</a>', page)


def test_default_list_shows_open_then_upcoming_and_leaves_closed_calls_out(client, catalogue):
    assert titles(client) == ["Équipes mobiles de prévention des expulsions", "Microcrédit personnel accompagné"]


def test_closed_calls_stay_online_as_archives_with_a_banner(client, catalogue):
    assert titles(client, "?statut=cloture") == ["AMI équipes mobiles en Seine-et-Marne"]
    page = client.get("/appels/ami-seine-et-marne/").get_data(as_text=True)
    assert "Archive :" in page and "cet appel est clôturé depuis le 22 janvier 2021" in page


@pytest.mark.parametrize(("query", "expected"), [
    ("?q=EQUIPES+mobiles", ["Équipes mobiles de prévention des expulsions"]),
    ("?q=microcredit", ["Microcrédit personnel accompagné"]),
    ("?q=%C3%A9quipes&statut=tout", ["Équipes mobiles de prévention des expulsions",
                                      "AMI équipes mobiles en Seine-et-Marne"]),
    ("?q=inexistant", []),
    ("?q=100%25", []),
    ("?statut=ouvert", ["Équipes mobiles de prévention des expulsions"]),
    ("?statut=a-venir", ["Microcrédit personnel accompagné"]),
    ("?organisme=Pr%C3%A9fet+de+Seine-et-Marne&statut=tout", ["AMI équipes mobiles en Seine-et-Marne"]),
    ("?type=AMI&statut=tout", ["AMI équipes mobiles en Seine-et-Marne"]),
    ("?porteur=association", ["Microcrédit personnel accompagné"]),
    ("?territoire=Artois", ["Équipes mobiles de prévention des expulsions"]),
    ("?theme=microcr%C3%A9dit", ["Microcrédit personnel accompagné"]),
    ("?avant=2025-05-31", ["Équipes mobiles de prévention des expulsions"]),
    ("?avant=2025-07-15", ["Équipes mobiles de prévention des expulsions", "Microcrédit personnel accompagné"]),
])
def test_filters_and_search(client, catalogue, query, expected):
    assert titles(client, query) == expected


def test_sort_by_publication_date(client, publish_call, clock):
    clock("2025-01-10 10:00")
    publish_call("ancien", title="Appel publié en janvier",
                 windows=[{"key": "unique", "opens_on": "2025-01-10", "closes_on": "2025-03-01"}])
    clock("2025-02-10 10:00")
    publish_call("recent", title="Appel publié en février",
                 windows=[{"key": "unique", "opens_on": "2025-02-10", "closes_on": "2025-12-01"}])
    assert titles(client, "?tri=publication") == ["Appel publié en février", "Appel publié en janvier"]
    assert titles(client, "?tri=cloture") == ["Appel publié en janvier", "Appel publié en février"]


def test_bad_filter_date_is_explained_not_a_crash(client, catalogue):
    response = client.get("/appels/?avant=31-05-2025")
    assert response.status_code == 200
    assert "La date « Candidater avant le » n'est pas valide" in html.unescape(response.get_data(as_text=True))


def test_call_page_shows_key_facts_in_french(client, publish_call, clock):
    clock("2025-05-04 12:00")
    publish_call("vej", title="Équipes mobiles et visites explicatives de jugement",
                 windows=[{"key": "ami-1", "label": "Territoires AMI 1", "opens_on": "2025-04-01",
                           "closes_on": "2025-05-09", "budget": "80928"},
                          {"key": "ami-2", "label": "Territoires AMI 2", "opens_on": "2025-07-01",
                           "closes_on": "2025-09-15", "budget": "25493.66",
                           "agreement_period": {"start": "2025-11-01", "end": "2026-10-31"}}],
                 funding={"unit_costs": [{"label": "Diagnostic flash", "amount": "150"},
                                         {"label": "Semaine d'accompagnement", "amount": "55", "max_units": 8,
                                          "max_amount": "440"}],
                          "payment_schedule": [{"label": "Avance", "percent": "60",
                                                "when": "dès signature de la convention"}]},
                 required_documents=[{"key": "agrement", "label": "Agrément L.366-1 CCH",
                                      "formats": ["pdf"], "max_size_mb": 5}],
                 contacts=[{"name": "Marie PERRIER", "scope": "AMI 1", "phone": "03 21 21 67 88",
                            "email": "perrier.marie@pasdecalais.fr"}])
    page = html.unescape(client.get("/appels/vej/").get_data(as_text=True)).replace("\u202f", " ").replace("\u00a0", " ")
    for fact in ["Clôture imminente — J-5", "Il reste 5 jours pour candidater",
                 "du 1er avril 2025 jusqu'au 9 mai 2025 à 23 h 59 (heure de Paris)",
                 "80 928 €", "25 493,66 €", "Diagnostic flash : 150 €", "8 au plus (440 € maximum)",
                 "Avance : 60 % — dès signature de la convention", "du 1er novembre 2025 au 31 octobre 2026",
                 "Agrément L.366-1 CCH", "Formats acceptés : PDF — taille maximale : 5 Mo",
                 "AMI 1 : Marie PERRIER", 'href="mailto:perrier.marie@pasdecalais.fr"',
                 'href="/appels/vej/calendrier.ics"', 'id="candidater"']:
        assert fact in page, fact


def test_call_body_is_sanitised(client, publish_call):
    publish_call("piege", body="## Contexte\n\n<script>alert(1)</script>\n\n[lien](javascript:alert(1)) texte sûr")
    page = client.get("/appels/piege/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page and "texte sûr" in page


def test_unknown_call_is_a_french_404(client):
    response = client.get("/appels/n-existe-pas/")
    assert response.status_code == 404 and "Page introuvable" in response.get_data(as_text=True)


def test_pages_carry_security_headers_and_french_language(client, catalogue):
    response = client.get("/appels/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page and 'class="skip-link" href="#contenu"' in page
    assert page.count("<h1") == 1


def test_search_text_is_folded_like_the_query():
    assert fold("Équipes") in fold("AMI ÉQUIPES mobiles")


def test_indicators_written_as_plain_text_or_grouped_are_listed_in_the_file_order(client, publish_call):
    """Both forms docs/calls.md teaches: plain strings (no group) and `label` + `group`, mixed in one call."""
    publish_call(evaluation={"indicators": [
        "Nombre de ménages accompagnés", "Nombre de visites à domicile",
        {"label": "Nombre d'expulsions évitées", "group": "Pour les équipes mobiles"},
        {"label": "Nombre de diagnostics sociaux", "group": "Pour les équipes mobiles"},
        {"label": "Nombre d'appels reçus", "group": "Pour le numéro vert"}]})
    response = client.get("/appels/equipes-mobiles/")
    assert response.status_code == 200
    text = html.unescape(response.get_data(as_text=True))
    order = ["Nombre de ménages accompagnés", "Nombre de visites à domicile", "<h3>Pour les équipes mobiles</h3>",
             "Nombre d'expulsions évitées", "Nombre de diagnostics sociaux", "<h3>Pour le numéro vert</h3>",
             "Nombre d'appels reçus"]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)
    assert text.count("<h3>Pour les équipes mobiles</h3>") == 1
