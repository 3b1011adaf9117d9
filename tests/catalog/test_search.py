"""Full-text search of the catalogue with the database's engine (FTS5 on SQLite, tsvector on PostgreSQL): French
forms of a word, accents and case ignored, ranked by relevance, the index following publication, and no query
— whatever characters it holds — ever answered with a 500."""

from __future__ import annotations

import html
import re

import pytest

from portal.catalog import queries, search
from portal.core.time import now
from portal.extensions import db

BODY = "## Contexte\n\nUn texte d'appel suffisant."


def titles(client, query: str) -> list[str]:
    response = client.get(f"/appels/{query}")
    assert response.status_code == 200, query
    return re.findall(r'<h3 id="call-\d+"><a href="[^"]+">([^<]+)</a>', html.unescape(response.get_data(as_text=True)))


@pytest.fixture
def calls(publish_call, clock):
    clock("2025-04-20 10:00")
    publish_call("prevention", title="Prévenir l'expulsion locative", summary="Aller vers les ménages en impayé.",
                 themes=["logement"], body="## Contexte\n\nLe Département finance la prévention de l'expulsion.")
    publish_call("equipes", title="Des équipes pour l'accès au droit", summary="Renforcer la présence sur place.",
                 themes=["accès au droit"], body=BODY)
    publish_call("microcredit", title="Microcrédit personnel accompagné", summary="Quatre opérateurs retenus.",
                 themes=["microcrédit"], body=BODY)


def test_a_plural_finds_the_singular_and_accents_and_case_are_ignored(client, calls):
    assert titles(client, "?q=expulsions") == ["Prévenir l'expulsion locative"]
    assert titles(client, "?q=Equipe") == ["Des équipes pour l'accès au droit"]
    assert titles(client, "?q=%C3%89QUIPES") == ["Des équipes pour l'accès au droit"]
    assert titles(client, "?q=MICROCREDIT+accompagnes") == ["Microcrédit personnel accompagné"]


def test_every_word_must_match_but_french_stop_words_are_not_required(client, calls):
    assert titles(client, "?q=expulsion+microcredit") == []
    assert titles(client, "?q=prevention+des+expulsions") == ["Prévenir l'expulsion locative"]


def test_no_match_is_an_empty_list_with_a_link_to_the_archives(client, calls):
    page = html.unescape(client.get("/appels/?q=tramway").get_data(as_text=True))
    assert titles(client, "?q=tramway") == []
    assert "0 appel correspondant à votre recherche" in page and "Chercher dans les archives" in page


def test_a_title_match_ranks_before_a_body_match(client, publish_call, clock):
    clock("2025-04-20 10:00")
    # Published first and closing first: only relevance can put the other one before it.
    publish_call("corps", title="Appel aux associations du territoire", summary="Une aide au fonctionnement.",
                 windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                 body="## Contexte\n\nParmi les actions, l'insertion par le logement des jeunes.")
    publish_call("titre", title="Insertion par le logement", summary="Une aide au fonctionnement.",
                 windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-06-30"}], body=BODY)
    assert titles(client, "?q=insertion") == ["Insertion par le logement", "Appel aux associations du territoire"]
    # As the filters' form sends it, every field present and the order left as it is.
    form = "?q=insertion&statut=&organisme=&type=&porteur=&territoire=&theme=&avant=&tri="
    assert titles(client, form) == ["Insertion par le logement", "Appel aux associations du territoire"]
    # The order asked for still applies: by closing, the call closing first comes first.
    assert titles(client, "?q=insertion&tri=cloture") == ["Appel aux associations du territoire",
                                                         "Insertion par le logement"]


def test_an_open_call_still_comes_before_an_archive_that_matches_better(client, publish_call, clock):
    clock("2025-04-20 10:00")
    publish_call("archive", title="Insertion", windows=[{"key": "unique", "closes_on": "2024-05-09"}])
    publish_call("ouvert", title="Appel ouvert", body="## Contexte\n\nL'insertion des jeunes.")
    assert titles(client, "?q=insertion&statut=tout") == ["Appel ouvert", "Insertion"]


@pytest.mark.parametrize("query", [
    '"', '""', "'", "*", "equipe*", "-equipe", "équipe -droit", "title:equipe", ":", "(", ")", "(equipe",
    "equipe)", "NEAR(equipe droit)", "equipe OR droit", "equipe AND", "NOT equipe", "^equipe", "{equipe}",
    "equipe & | ! <-> :*", "' OR 1=1 --", "%", "_", "\\", "équipe\u00a0droit", "😀", "equipe" * 30,
])
def test_the_syntax_characters_of_fts5_or_tsquery_are_never_a_500(client, calls, query):
    response = client.get("/appels/", query_string={"q": query})
    assert response.status_code == 200, query
    assert client.get("/api/v1/appels", query_string={"q": query}).status_code == 200, query


def test_syntax_characters_are_read_as_spaces_between_words(client, calls):
    assert titles(client, '?q="equipe*"') == ["Des équipes pour l\'accès au droit"]
    assert titles(client, "?q=acces:droit") == ["Des équipes pour l\'accès au droit"]
    assert titles(client, "?q=(") == []


def test_the_index_follows_publication_updates_and_withdrawal(client, calls, publish_call, make_user):
    from portal.catalog import authoring
    from portal.catalog.authoring_models import CallSource
    from portal.catalog.queries import get_call
    from portal.extensions import db

    call = get_call("microcredit")
    publish_call("microcredit", id=str(call.uuid), title="Épargne solidaire accompagnée",
                 summary="Quatre opérateurs retenus.", themes=["épargne"], body=BODY)
    assert titles(client, "?q=microcredit") == []
    assert titles(client, "?q=epargne") == ["Épargne solidaire accompagnée"]

    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion")
    source = CallSource(slug="microcredit", issuer=call.issuer, text="", call_id=call.id, created_at=now(),
                        updated_at=now())
    db.session.add(source)
    db.session.flush()
    authoring.unpublish(source, manager)
    db.session.commit()
    assert titles(client, "?q=epargne") == []


def test_the_api_searches_the_same_way(client, calls):
    data = client.get("/api/v1/appels?q=expulsions").get_json()
    assert [call["slug"] for call in data["donnees"]] == ["prevention"] and data["meta"]["total"] == 1


def test_rebuilding_the_index_finds_what_publication_indexed(app, calls):
    from portal.extensions import db

    before = {item.call.slug for item in queries.search_calls(queries.CatalogFilter(q="equipe"), now())}
    assert search.rebuild(db.session) in (0, 3)  # 0 on PostgreSQL: the database keeps its column itself
    after = {item.call.slug for item in queries.search_calls(queries.CatalogFilter(q="equipe"), now())}
    assert before == after == {"equipes"}


def test_words_are_folded_split_and_stemmed_alike_for_the_index_and_the_query():
    assert search.words("L'Équipe_mobile (œuvre)") == ["l", "equipe", "mobile", "oeuvre"]
    assert search.stems("expulsions expulsion") == ["expuls", "expuls"]
    assert search.query_words("la prévention des expulsions") == ["prevention", "expulsions"]


def test_on_postgresql_a_calls_vector_is_kept_in_its_row(app):
    """Matched, then ranked, for each candidate call: out of line (TOAST) it was read twice from another table."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's storage of the tsvector; SQLite keeps the index in its FTS5 table")
    connection = db.session.connection()
    storage = connection.exec_driver_sql("SELECT attstorage FROM pg_attribute WHERE attrelid = 'calls'::regclass "
                                         "AND attname = 'search_vector'").scalar()
    options = connection.exec_driver_sql("SELECT reloptions FROM pg_class WHERE oid = 'calls'::regclass").scalar()
    assert storage == "m" and "toast_tuple_target=8160" in options
