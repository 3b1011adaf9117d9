"""Atom feed and iCalendar files, read back by real parsers."""

import datetime as dt

import feedparser
import icalendar

from portal.core.time import PARIS

SUMMER_ID = "4be0c3a4-5b8c-4c59-9d51-2a3f2f8c1f10"


def two_calls(publish_call, clock):
    clock("2025-03-01 10:00")
    publish_call("ete", id=SUMMER_ID, title="Appel qui clôt en été",
                 windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}])
    publish_call("hiver", title="Appel qui clôt en hiver",
                 windows=[{"key": "ami-1", "label": "AMI 1", "opens_on": "2022-12-15", "closes_on": "2023-02-03"},
                          {"key": "ami-2", "label": "AMI 2", "opens_on": "2023-07-01", "closes_on": "2023-09-15"}])


def test_atom_feed_is_valid_and_lists_new_and_updated_calls(client, publish_call, clock):
    two_calls(publish_call, clock)
    clock("2025-03-05 10:00")
    publish_call("ete", id=SUMMER_ID, title="Appel qui clôt en été",
                 windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-16"}])

    response = client.get("/appels/flux.atom")
    feed = feedparser.parse(response.data)

    assert response.mimetype == "application/atom+xml"
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.language == "fr"
    entries = {e.link.rsplit("/", 2)[-2]: e for e in feed.entries}
    assert set(entries) == {"ete", "hiver"}
    updated = entries["ete"]
    assert updated.title == "Appel à projets — Appel qui clôt en été (mis à jour)"
    assert "Modifié : Dates et fenêtres de candidature" in updated.summary
    assert updated.id.startswith("urn:uuid:")
    assert dt.datetime(*updated.updated_parsed[:6]) == dt.datetime(2025, 3, 5, 9, 0)  # 10:00 Paris = 09:00 UTC


def events(data: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_call_calendar_has_exact_opening_and_closing_instants_in_summer(client, publish_call, clock):
    two_calls(publish_call, clock)
    response = client.get("/appels/ete/calendrier.ics")
    assert response.mimetype == "text/calendar"
    assert 'filename="ete.ics"' in response.headers["Content-Disposition"]
    found = events(response.data)
    closing = found["Clôture : Appel qui clôt en été"]["dtstart"].dt
    opening = found["Ouverture : Appel qui clôt en été"]["dtstart"].dt
    assert closing == dt.datetime(2025, 5, 9, 23, 59, 59, tzinfo=PARIS)
    assert closing.astimezone(dt.UTC) == dt.datetime(2025, 5, 9, 21, 59, 59, tzinfo=dt.UTC)
    assert opening.astimezone(dt.UTC) == dt.datetime(2025, 3, 31, 22, 0, tzinfo=dt.UTC)
    assert b"BEGIN:VTIMEZONE" in response.data and b"TZID:Europe/Paris" in response.data


def test_catalogue_calendar_covers_every_window_in_winter_too(client, publish_call, clock):
    two_calls(publish_call, clock)
    found = events(client.get("/appels/calendrier.ics").data)
    assert len(found) == 6  # 3 windows x (opening, closing)
    winter = found["Clôture : Appel qui clôt en hiver (AMI 1)"]["dtstart"].dt
    assert winter.astimezone(dt.UTC) == dt.datetime(2023, 2, 3, 22, 59, 59, tzinfo=dt.UTC)
    assert "https://" in str(found["Clôture : Appel qui clôt en hiver (AMI 1)"]["description"]) or \
        "http://" in str(found["Clôture : Appel qui clôt en hiver (AMI 1)"]["description"])


def test_calendar_of_unknown_call_is_404(client):
    assert client.get("/appels/inconnu/calendrier.ics").status_code == 404
