"""The status of a call around its opening and closing instants, in Paris time, summer and winter."""

import datetime as dt

import pytest

from portal.catalog.status import Status, call_status
from portal.core.time import PARIS


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.mark.parametrize(("closes_on", "last_second_utc"), [
    ("2025-05-09", "2025-05-09T21:59:59+00:00"),  # summer time, UTC+2
    ("2023-02-03", "2023-02-03T22:59:59+00:00"),  # winter time, UTC+1
])
def test_call_closes_at_235959_paris_time_on_its_closing_day(publish_call, closes_on, last_second_utc):
    call = publish_call(windows=[{"key": "unique", "opens_on": "2022-12-15", "closes_on": closes_on}])
    assert call.windows[0].closes_at == dt.datetime.fromisoformat(last_second_utc)

    assert call_status(call, at(f"{closes_on} 23:59:59")).is_open
    assert call_status(call, at(f"{closes_on} 23:59:59.999")).is_open
    after = call_status(call, at(f"{closes_on} 23:59:59") + dt.timedelta(seconds=1))
    assert after.code == Status.CLOSED and after.label == "Clôturé"


def test_call_opens_at_midnight_paris_time(publish_call):
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}])
    before = call_status(call, at("2025-03-31 23:59:59"))
    assert before.code == Status.UPCOMING
    assert before.label == "À venir — ouverture le 1er avril 2025"
    assert call_status(call, at("2025-04-01 00:00:00")).is_open


def test_open_call_shows_its_deadline_with_time_and_zone(publish_call):
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-01-02", "closes_on": "2025-05-09"}])
    status = call_status(call, at("2025-02-01 10:00"))
    assert status.code == Status.OPEN
    assert status.label == "Ouvert — clôture le 9 mai 2025 à 23 h 59 (heure de Paris)"


@pytest.mark.parametrize(("moment", "label"), [
    ("2025-04-09 00:00", "Ouvert — clôture le 9 mai 2025 à 23 h 59 (heure de Paris)"),  # J-30: not imminent yet
    ("2025-05-01 23:59:59", "Ouvert — clôture le 9 mai 2025 à 23 h 59 (heure de Paris)"),  # J-8
    ("2025-05-02 00:00", "Clôture imminente — J-7"),
    ("2025-05-04 12:00", "Clôture imminente — J-5"),
    ("2025-05-09 23:59:59", "Clôture imminente — dernier jour"),
])
def test_closing_soon_in_the_last_7_days_counts_paris_calendar_days(publish_call, moment, label):
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-01-02", "closes_on": "2025-05-09"}])
    assert call_status(call, at(moment)).label == label


def test_window_without_opening_date_is_open_until_it_closes(publish_call):
    call = publish_call(windows=[{"key": "unique", "closes_on": "2021-01-22"}])
    assert call_status(call, at("2020-12-01 09:00")).is_open
    assert call_status(call, at("2021-01-23 00:00")).is_closed


def test_call_with_two_windows_is_upcoming_between_them(publish_call):
    call = publish_call(windows=[
        {"key": "ami-1", "label": "AMI 1", "opens_on": "2022-12-15", "closes_on": "2023-02-03"},
        {"key": "ami-2", "label": "AMI 2", "opens_on": "2023-07-01", "closes_on": "2023-09-15"}])
    assert call_status(call, at("2023-01-10 10:00")).window.key == "ami-1"
    between = call_status(call, at("2023-03-01 10:00"))
    assert between.label == "À venir — ouverture le 1er juillet 2023" and between.window.key == "ami-2"
    assert call_status(call, at("2023-08-01 10:00")).window.key == "ami-2"
    assert call_status(call, at("2023-09-16 00:00")).is_closed


def test_framework_without_windows_is_for_information_then_closed(publish_call):
    call = publish_call(kind="cadre", windows=[], carriers=None,
                        period={"start": "2021-01-01", "end": "2022-12-31"})
    assert call_status(call, at("2021-06-01 10:00")).code == Status.INFORMATION
    assert call_status(call, at("2023-01-01 00:00")).is_closed
