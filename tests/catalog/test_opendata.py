"""The catalogue as open data in Etalab's « dispositif d'aide » schema: its columns, in order, and its formats."""

import csv
import datetime as dt
import io
import re
import uuid

# Fields of the schema (schema.data.gouv.fr, etalab/schema-dispositif-aide v0.1.0): name, required, constraint.
SCHEMA = [
    ("id", True, uuid.UUID),
    ("titre", True, None),
    ("promesse", False, 180),
    ("description", True, 5000),
    ("eligibilite", True, None),
    ("types_aides", True, None),
    ("porteurs", True, None),
    ("programmes_parents", False, None),
    ("url_source", False, re.compile(r"^(https?://).+")),
    ("cibles", True, re.compile(r"^(professionnels|particuliers|associations|secteur public)"
                                r"(\|(professionnels|particuliers|associations|secteur public))*$")),
    ("eligibilite_geographique", True, re.compile(r"^[A-Z]+-\d+(\|[A-Z]+-\d+)*$")),
    ("eligibilite_geographique_exclusions", False, re.compile(r"^[A-Z]+-\d+(\|[A-Z]+-\d+)*$")),
    ("date_ouverture", False, dt.datetime),
    ("date_cloture", False, dt.datetime),
    ("date_mise_a_jour", True, dt.datetime),
]


def check_row(row: dict[str, str]) -> list[str]:
    problems = []
    for name, required, rule in SCHEMA:
        value = row[name]
        if not value:
            if required:
                problems.append(f"{name}: required")
            continue
        if rule is uuid.UUID:
            uuid.UUID(value)
        elif rule is dt.datetime:
            if dt.datetime.fromisoformat(value).tzinfo is None:
                problems.append(f"{name}: no offset")
        elif isinstance(rule, int) and len(value) > rule:
            problems.append(f"{name}: longer than {rule}")
        elif isinstance(rule, re.Pattern) and not rule.match(value):
            problems.append(f"{name}: pattern")
    return problems


def test_csv_has_the_schema_columns_in_order_and_valid_rows(client, publish_call, clock):
    clock("2025-04-20 10:00")
    publish_call("ouvert", territories=[{"name": "Pas-de-Calais", "code": "DEP-62"}, {"name": "Artois"}],
                 carriers={"types": ["association", "bailleur_social"]}, body="## Contexte\n\n" + "Texte. " * 1000)
    publish_call("cadre", kind="cadre", windows=[], carriers=None, title="Cadre national des équipes mobiles",
                 territories=[{"name": "France"}],
                 period={"start": "2021-01-01", "end": "2022-12-31"},
                 allocations=[{"territory": {"name": "Isère", "code": "DEP-38"}, "etp": "3", "budget": "117600"}])

    response = client.get("/donnees/dispositifs-aide.csv")
    assert response.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert reader.fieldnames == [name for name, _, _ in SCHEMA]
    rows = {row["url_source"].rstrip("/").rsplit("/", 1)[-1]: row for row in reader}

    assert {slug: check_row(row) for slug, row in rows.items()} == {"ouvert": [], "cadre": []}
    assert rows["ouvert"]["cibles"] == "professionnels|associations"
    assert rows["ouvert"]["eligibilite_geographique"] == "DEP-62"
    assert rows["ouvert"]["date_cloture"] == "2025-05-09T23:59:59+02:00"
    assert len(rows["ouvert"]["description"]) == 5000
    assert rows["cadre"]["eligibilite_geographique"] == "DEP-38"
    assert rows["cadre"]["cibles"] == "secteur public"


def test_json_carries_the_same_records(client, publish_call):
    publish_call("ouvert")
    csv_rows = list(csv.DictReader(io.StringIO(client.get("/donnees/dispositifs-aide.csv").get_data(as_text=True))))
    assert client.get("/donnees/dispositifs-aide.json").get_json() == csv_rows


def test_a_title_that_would_run_as_a_formula_is_written_as_text_in_the_csv(client, publish_call):
    publish_call(title="=HYPERLINK(\"http://evil.example\",\"Appel\")")
    [row] = list(csv.DictReader(io.StringIO(client.get("/donnees/dispositifs-aide.csv").get_data(as_text=True))))
    assert row["titre"].startswith("'=HYPERLINK")
