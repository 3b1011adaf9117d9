"""The JSON API: pagination, filters, errors, ISO instants with offset, and its OpenAPI description."""

import datetime as dt

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate


@pytest.fixture
def five_calls(publish_call, clock):
    clock("2025-04-20 10:00")
    for number in range(1, 6):
        publish_call(f"appel-{number}", title=f"Appel numéro {number}",
                     windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": f"2025-05-0{number}"}])


def schema_of(spec: dict, name: str) -> OAS31Validator:
    resolved = {**spec["components"]["schemas"][name], "components": spec["components"]}
    return OAS31Validator(resolved)


def test_openapi_description_is_valid(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert set(spec["paths"]) == {"/appels", "/appels/{slug}"}


def test_list_is_paginated_and_matches_its_description(client, five_calls):
    spec = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/appels?par_page=2&page=2").get_json()
    assert page["meta"] == {"page": 2, "par_page": 2, "total": 5, "pages": 3}
    assert [c["titre"] for c in page["donnees"]] == ["Appel numéro 3", "Appel numéro 4"]
    assert "page=3" in page["liens"]["suivante"] and "page=1" in page["liens"]["precedente"]
    for item in page["donnees"]:
        schema_of(spec, "CallSummary").validate(item)


def test_list_accepts_the_catalogue_filters(client, five_calls):
    data = client.get("/api/v1/appels?q=NUMERO+4").get_json()
    assert [c["slug"] for c in data["donnees"]] == ["appel-4"]
    assert client.get("/api/v1/appels?statut=cloture").get_json()["meta"]["total"] == 0


@pytest.mark.parametrize("query", ["page=0", "page=abc", "par_page=1000", "avant=demain"])
def test_bad_parameters_get_a_400_with_french_errors(client, five_calls, query):
    response = client.get(f"/api/v1/appels?{query}")
    assert response.status_code == 400
    assert response.get_json()["erreurs"]


def test_one_call_with_instants_in_iso_8601_with_paris_offset(client, five_calls):
    spec = client.get("/api/v1/openapi.json").get_json()
    data = client.get("/api/v1/appels/appel-5").get_json()
    schema_of(spec, "Call").validate(data)
    window = data["fenetres"][0]
    assert window["cloture"] == "2025-05-05T23:59:59+02:00"
    assert window["ouverture"] == "2025-04-01T00:00:00+02:00"
    assert dt.datetime.fromisoformat(window["cloture"]).utcoffset() == dt.timedelta(hours=2)
    assert data["statut"] == {"code": "ouvert", "libelle": "Ouvert — clôture le 5 mai 2025 à 23 h 59 (heure de Paris)"}
    assert data["donnees"]["windows"][0]["closes_on"] == "2025-05-05"


def test_unknown_call_is_a_json_404(client):
    response = client.get("/api/v1/appels/inconnu")
    assert response.status_code == 404 and response.get_json()["erreurs"]
