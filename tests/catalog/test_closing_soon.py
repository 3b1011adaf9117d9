"""« Clôture imminente » marks the last seven days of a window (Paris calendar), or the call file's own number of
days; before that the call reads « Ouvert — clôture le … », on the status and on the catalogue alike."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from portal.catalog import loader
from portal.catalog.status import Status, call_status
from portal.core.time import PARIS
from tests.conftest import call_data

WINDOW = [{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}]


def card_status(client) -> str:
    page = html.unescape(client.get("/appels/").get_data(as_text=True))
    return " ".join(re.search(r'<p class="card-status">(.*?)</p>', page, re.S).group(1).replace("<strong>", "")
                    .replace("</strong>", "").split())


@pytest.mark.parametrize(("paris_time", "shown"), [
    ("2025-05-01 23:59:59", "Ouvert — clôture le 9 mai 2025 à 23 h 59 (heure de Paris)"),  # J-8
    ("2025-05-02 00:00:00", "Clôture imminente — J-7 — clôture le 9 mai 2025 à 23 h 59 (heure de Paris)"),
])
def test_the_catalogue_says_imminent_from_seven_days_before_in_paris_time(client, publish_call, clock, paris_time,
                                                                          shown):
    clock("2025-04-15 10:00:00")
    publish_call(windows=WINDOW)
    clock(paris_time)
    assert card_status(client) == shown


def test_the_boundary_is_midnight_in_paris_not_in_utc(publish_call, clock):
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=WINDOW)
    # 1 May 2025 22:30 UTC is already 2 May 00:30 in Paris (summer time): J-7.
    assert call_status(call, dt.datetime(2025, 5, 1, 22, 30, tzinfo=dt.UTC)).code == Status.CLOSING_SOON
    assert call_status(call, dt.datetime(2025, 5, 1, 21, 30, tzinfo=dt.UTC)).code == Status.OPEN


def test_a_call_file_sets_its_own_number_of_imminent_days(client, publish_call, clock):
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=WINDOW, imminent_days=15)
    at = dt.datetime(2025, 4, 24, 0, 0, tzinfo=PARIS)
    assert call_status(call, at).label == "Clôture imminente — J-15"
    assert call_status(call, at - dt.timedelta(seconds=1)).code == Status.OPEN
    clock(at)
    assert card_status(client).startswith("Clôture imminente — J-15")


@pytest.mark.parametrize("value", [0, 61, "deux semaines"])
def test_a_wrong_number_of_imminent_days_is_refused_in_french(write_call, value):
    result = loader.load(write_call("appel.md", call_data(imminent_days=value)))
    assert [(e.field, e.message) for e in result.errors] == [(
        "imminent_days", "nombre de jours de « Clôture imminente » : un nombre entier de 1 à 60 est attendu, "
                         f"reçu « {value} »")]
