"""The calendars and the open-data exports are streamed from the database row by row (issue 18): through a real
HTTP server, where the rows are read after the view has returned, each one arrives whole — every call, to the
closing line — and the server logs no error."""

from __future__ import annotations

import json
import logging
import urllib.request

import pytest

from portal.extensions import db

EXPORTS = {"/appels/calendrier.ics": b"END:VCALENDAR", "/appels/equipes-mobiles/calendrier.ics": b"END:VCALENDAR",
           "/donnees/dispositifs-aide.csv": b"\r\n", "/donnees/dispositifs-aide.json": b"]\n"}


@pytest.fixture
def published(publish_call, clock):
    clock("2025-04-15 10:00:00")
    publish_call("equipes-mobiles", windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}])
    publish_call("jardins-partages", title="Jardins partagés dans les quartiers prioritaires",
                 windows=[{"key": "unique", "opens_on": "2025-03-01", "closes_on": "2025-03-31"}])
    db.session.commit()


@pytest.mark.parametrize("path", list(EXPORTS))
def test_a_streamed_export_arrives_whole_through_a_real_server(portal_server, published, caplog, path):
    with caplog.at_level(logging.ERROR), urllib.request.urlopen(portal_server + path, timeout=20) as answer:
        status, body = answer.status, answer.read()
    assert status == 200
    assert body.rstrip().endswith(EXPORTS[path].rstrip()), body[-200:]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    if path.endswith(".json"):
        assert {record["titre"] for record in json.loads(body)} >= {"Jardins partagés dans les quartiers prioritaires"}
    if path == "/appels/calendrier.ics" or path.endswith(".csv"):
        assert b"Jardins partag" in body and b"quipes mobiles" in body
