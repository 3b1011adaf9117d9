"""With 5,000 published calls, page 1 of the catalogue (the default list, a filter, a search, the archives) and of
the API reads the same few statements as with 50, and 20 rows: the status, the filters, the sort, the search and
the page run in SQL, and only the page's calls are loaded. The calls are inserted in bulk (rows copied from four
published calls), not published one by one."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, insert, select

from portal.catalog import search
from portal.catalog.models import Call, CallRevision, CallTag, Window
from portal.extensions import db

URLS = ["/appels/", "/appels/?territoire=Artois", "/appels/?q=expulsions", "/appels/?statut=cloture",
        "/api/v1/appels", "/api/v1/appels?q=expulsions&statut=tout"]
# Besides the archives, 30 calls: 15 open, 10 upcoming, 5 for information (more than a page of 20 in every list).
LIVE = {"ouvert": 15, "a-venir": 10, "cadre": 5}


@pytest.fixture
def templates(publish_call, clock):
    """One published call of each kind of status on 15 April 2025, whose rows the bulk insert copies."""
    clock("2025-04-15 10:00")
    body = "## Contexte\n\nPrévenir les expulsions locatives par l'accompagnement des ménages."
    made = {
        "cloture": publish_call("modele-archive", windows=[{"key": "unique", "opens_on": "2023-01-02",
                                                            "closes_on": "2023-03-31"}], body=body),
        "ouvert": publish_call("modele-ouvert", windows=[{"key": "unique", "opens_on": "2025-04-01",
                                                          "closes_on": "2025-06-30"}], body=body),
        "a-venir": publish_call("modele-a-venir", windows=[{"key": "unique", "opens_on": "2025-09-01",
                                                            "closes_on": "2025-10-31"}], body=body),
        "cadre": publish_call("modele-cadre", kind="cadre", windows=[], carriers=None, body=body),
    }
    rows = {name: _rows_of(call) for name, call in made.items()}
    for call in made.values():
        db.session.delete(call)
    db.session.commit()
    return rows


def _rows_of(call: Call) -> dict:
    columns = [c.key for c in Call.__table__.columns if c.key != "id"]
    return {"call": {key: getattr(call, key) for key in columns},
            "windows": [{"key": w.key, "label": w.label, "opens_at": w.opens_at, "closes_at": w.closes_at}
                        for w in call.windows],
            "revision": {"number": 1, "created_at": call.updated_at, "content_hash": call.content_hash,
                         "changes": ["Publication"], "details": None, "spec_json": call.spec_json,
                         "body_md": call.body_md}}


def bulk_insert(templates: dict, first: int, count: int) -> None:
    """Calls number first … first + count − 1: the first 30 of all are live, the others archives; every other
    call (and every live one) is in Artois."""
    calls, windows, tags, revisions = [], [], [], []
    for number in range(first, first + count):
        kind = next((name for name, bound in _live_bounds() if number < bound), "cloture")
        row = templates[kind]
        call_id = number + 1
        slug = f"appel-{number:05d}"
        # Archives closed one a day before the model's, publications a minute apart: as an archive's years are.
        back = dt.timedelta(days=number) if kind == "cloture" else dt.timedelta(0)
        published = row["call"]["published_at"] - dt.timedelta(minutes=number)
        calls.append({**row["call"], "id": call_id, "uuid": uuid.uuid4(), "slug": slug,
                      "title": f"Appel {number:05d} : prévention des expulsions ({kind})",
                      "published_at": published, "updated_at": published,
                      "ends_at": row["call"]["ends_at"] and row["call"]["ends_at"] - back})
        windows += [{**window, "call_id": call_id, "opens_at": window["opens_at"] and window["opens_at"] - back,
                     "closes_at": window["closes_at"] - back} for window in row["windows"]]
        tags.append({"call_id": call_id, "kind": "theme", "value": "prévention des expulsions"})
        if kind != "cloture" or number % 2 == 0:
            tags.append({"call_id": call_id, "kind": "territory", "value": "Artois"})
        revisions.append({**row["revision"], "call_id": call_id})
    for model, rows in ((Call, calls), (Window, windows), (CallTag, tags), (CallRevision, revisions)):
        if rows:
            db.session.execute(insert(model), rows)
    search.rebuild(db.session)
    db.session.commit()


def _live_bounds():
    bound = 0
    for name, count in LIVE.items():
        bound += count
        yield name, bound


def _listed(response) -> int:
    if response.is_json:
        return len(response.get_json()["donnees"])
    return len(re.findall(r'<h3 id="call-\d+">', response.get_data(as_text=True)))


def measure(client, count_queries) -> dict[str, tuple[int, int]]:
    """Per page: (statements, rows listed)."""
    found = {}
    for url in URLS:
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        found[url] = (statements.count, _listed(response))
    return found


def test_page_one_reads_the_same_statements_and_twenty_rows_with_50_or_5000_calls(
        client, templates, count_queries, clock):
    clock("2025-04-15 10:00")
    bulk_insert(templates, 0, 50)
    assert db.session.scalar(select(func.count(Call.id))) == 50
    small = measure(client, count_queries)

    bulk_insert(templates, 50, 4950)
    assert db.session.scalar(select(func.count(Call.id))) == 5000
    large = measure(client, count_queries)

    assert large == small, f"50 calls: {small}\n5,000 calls: {large}"
    assert all(rows == 20 for _statements, rows in large.values()), large


def test_the_bulk_calls_are_listed_as_their_status_says(client, templates, clock):
    """The helper's rows are calls like published ones: 30 live, the archives closed, the search finds them."""
    clock("2025-04-15 10:00")
    bulk_insert(templates, 0, 50)
    data = client.get("/api/v1/appels?par_page=100").get_json()
    assert data["meta"]["total"] == 30
    assert {call["statut"]["code"] for call in data["donnees"]} == {"ouvert", "a-venir", "information"}
    assert client.get("/api/v1/appels?statut=cloture").get_json()["meta"]["total"] == 20
    assert client.get("/api/v1/appels?q=expulsion&statut=tout").get_json()["meta"]["total"] == 50
