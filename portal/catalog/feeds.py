"""Atom feed of new and updated calls, and iCalendar files of their dates: opening and closing instants, and the
selection, start and milestone days (all-day events; a period spans its days, a recurring one has its RRULE)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app, stream_with_context
from icalendar import Calendar, Event, Timezone

from portal.catalog import queries
from portal.catalog.models import Call
from portal.catalog.schema import Recurrence
from portal.core.formatting import datetime_fr
from portal.core.time import PARIS, now
from portal.core.urls import external_url

bp = Blueprint("feeds", __name__, url_prefix="/appels")


@bp.get("/flux.atom")
def atom():
    latest = queries.latest(now())  # the 50 calls published or changed last, newest first
    feed = FeedGenerator()
    feed.id(external_url("catalog.index"))
    feed.title(f"{current_app.config['SITE_NAME']} — appels nouveaux et mis à jour")
    feed.language("fr")
    feed.link(href=external_url("feeds.atom"), rel="self")
    feed.link(href=external_url("catalog.index"), rel="alternate")
    feed.author({"name": current_app.config["ISSUER_NAME"]})
    feed.updated(latest[0][0].call.updated_at if latest else now())
    for item, revision in reversed(latest):
        call = item.call
        updated = revision is not None and revision.number > 1
        entry = feed.add_entry()
        entry.id(f"urn:uuid:{call.uuid}")
        entry.title(f"{call.kind_label} — {call.title}" + (" (mis à jour)" if updated else ""))
        entry.link(href=external_url("catalog.detail", slug=call.slug))
        entry.published(call.published_at)
        entry.updated(call.updated_at)
        changes = revision.changes if updated else []
        text = f"{call.summary} — {item.status.label}."
        if changes:
            text += f" Modifié : {', '.join(changes)}."
        details = revision.details if updated else None
        if details:  # what changed for applicants, as the call's page says it (catalog.changes)
            text += "".join(f" {d['label']} : {d['before']} → {d['after']}." for d in details)
        entry.summary(text)
        entry.author({"name": call.issuer})
    return Response(feed.atom_str(pretty=True), mimetype="application/atom+xml")


@bp.get("/calendrier.ics")
def calendar_all():
    stamp = now()
    calls = (item.call for item in queries.all_calls(stamp))  # read from the database as the file is sent
    return _ics((_ical(call, stamp) for call in calls), "Appels à projets — ouvertures, clôtures et dates clés", stamp)


@bp.get("/<slug>/calendrier.ics")
def calendar_one(slug: str):
    call = queries.get_call(slug) or abort(404)
    stamp = now()
    # Written before the view returns: the request's session ends (rolled back) before a streamed body is read, so
    # only rows the stream reads itself may be used there.
    return _ics([_ical(call, stamp)], call.title, stamp, filename=f"{call.slug}.ics")


def _ical(call: Call, stamp: dt.datetime) -> bytes:
    return b"".join(event.to_ical() for event in _events(call, stamp))


def _ics(events: Iterable[bytes], name: str, stamp: dt.datetime, filename: str = "appels.ics") -> Response:
    """The calendar, streamed: its head and Paris's time zone, then each call's events as its row is read."""
    head = Calendar()
    head.add("prodid", "-//Portail des appels a projets//FR")
    head.add("version", "2.0")
    head.add("x-wr-calname", name)
    head.add("x-wr-timezone", "Europe/Paris")
    # Times are written in Europe/Paris with the zone's rules, so summer and winter instants stay exact; the zone
    # is described before the events that use it (icalendar's default span, 1970–2038, as add_missing_timezones).
    head.add_component(Timezone.from_tzid("Europe/Paris"))
    opening, _, closing = head.to_ical().rpartition(b"END:VCALENDAR")

    def body() -> Iterator[bytes]:
        yield opening
        yield from events
        yield b"END:VCALENDAR" + closing

    response = Response(stream_with_context(body()), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _events(call: Call, stamp: dt.datetime) -> list[Event]:
    url = external_url("catalog.detail", slug=call.slug)
    events = []
    for window in call.windows:
        suffix = f" ({window.display_label})" if window.display_label else ""
        if window.opens_at is not None:
            events.append(_event(f"{call.uuid}-{window.key}-ouverture", stamp, window.opens_at,
                                 f"Ouverture : {call.title}{suffix}", url, "Ouverture des candidatures."))
        events.append(_event(f"{call.uuid}-{window.key}-cloture", stamp, window.closes_at,
                             f"Clôture : {call.title}{suffix}", url,
                             f"Date limite de dépôt : {datetime_fr(window.closes_at)}."))
    return events + _days(call, stamp, url)


def _days(call: Call, stamp: dt.datetime, url: str) -> list[Event]:
    """The call's dated days beside its windows. A milestone the call dates only in words (« lors du dernier
    trimestre de chaque année », no `date`) has no day to put in a calendar and stays on the page only."""
    spec = call.spec
    days = []
    if spec.selection_date:
        days.append(_day(f"{call.uuid}-selection", stamp, spec.selection_date, None, f"Sélection : {call.title}", url,
                         "Date de sélection des projets."))
    if spec.start_date:
        days.append(_day(f"{call.uuid}-demarrage", stamp, spec.start_date, None, f"Démarrage : {call.title}", url,
                         "Date de démarrage des projets."))
    for number, milestone in enumerate(spec.milestones, start=1):
        if milestone.date is None:
            continue
        event = _day(f"{call.uuid}-jalon-{number}", stamp, milestone.date, milestone.ends_on,
                     f"{milestone.label} — {call.title}", url, f"{milestone.when_fr} : {milestone.label}.")
        if milestone.recurrence is not None:
            rule = {"freq": {Recurrence.YEARLY: "yearly", Recurrence.MONTHLY: "monthly"}[milestone.recurrence]}
            if milestone.until is not None:
                rule["until"] = milestone.until
            event.add("rrule", rule)
        days.append(event)
    return days


def _day(uid: str, stamp: dt.datetime, first: dt.date, last: dt.date | None, summary: str, url: str,
         description: str) -> Event:
    """An all-day event from `first` to `last` inclusive (DTEND is the day after: RFC 5545 ends are exclusive)."""
    event = Event()
    event.add("uid", f"{uid}@appels")
    event.add("dtstamp", stamp)
    event.add("dtstart", first)
    event.add("dtend", (last or first) + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", f"{description}\n{url}")
    event.add("url", url)
    return event


def _event(uid: str, stamp: dt.datetime, at: dt.datetime, summary: str, url: str, description: str) -> Event:
    event = Event()
    event.add("uid", f"{uid}@appels")
    event.add("dtstamp", stamp)
    event.add("dtstart", at.astimezone(PARIS))
    event.add("dtend", at.astimezone(PARIS))
    event.add("summary", summary)
    event.add("description", f"{description}\n{url}")
    event.add("url", url)
    return event
