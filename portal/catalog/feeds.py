"""Atom feed of new and updated calls, and iCalendar files of their dates: opening and closing instants, and the
selection, start and milestone days (all-day events; a period spans its days, a recurring one has its RRULE)."""

from __future__ import annotations

import datetime as dt

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app
from icalendar import Calendar, Event

from portal.catalog import queries
from portal.catalog.models import Call
from portal.catalog.schema import Recurrence
from portal.core.formatting import datetime_fr
from portal.core.time import PARIS, now
from portal.core.urls import external_url

bp = Blueprint("feeds", __name__, url_prefix="/appels")


@bp.get("/flux.atom")
def atom():
    listed = queries.all_calls(now())
    feed = FeedGenerator()
    feed.id(external_url("catalog.index"))
    feed.title(f"{current_app.config['SITE_NAME']} — appels nouveaux et mis à jour")
    feed.language("fr")
    feed.link(href=external_url("feeds.atom"), rel="self")
    feed.link(href=external_url("catalog.index"), rel="alternate")
    feed.author({"name": current_app.config["ISSUER_NAME"]})
    feed.updated(max((item.call.updated_at for item in listed), default=now()))
    for item in sorted(listed, key=lambda i: i.call.updated_at)[-50:]:
        call = item.call
        entry = feed.add_entry()
        entry.id(f"urn:uuid:{call.uuid}")
        entry.title(f"{call.kind_label} — {call.title}" + (" (mis à jour)" if call.was_updated else ""))
        entry.link(href=external_url("catalog.detail", slug=call.slug))
        entry.published(call.published_at)
        entry.updated(call.updated_at)
        changes = call.latest_revision.changes if call.was_updated else []
        text = f"{call.summary} — {item.status.label}."
        if changes:
            text += f" Modifié : {', '.join(changes)}."
        details = call.latest_revision.details if call.was_updated else None
        if details:  # what changed for applicants, as the call's page says it (catalog.changes)
            text += "".join(f" {d['label']} : {d['before']} → {d['after']}." for d in details)
        entry.summary(text)
        entry.author({"name": call.issuer})
    return Response(feed.atom_str(pretty=True), mimetype="application/atom+xml")


@bp.get("/calendrier.ics")
def calendar_all():
    return _ics([item.call for item in queries.all_calls(now())], "Appels à projets — ouvertures, clôtures et dates clés")


@bp.get("/<slug>/calendrier.ics")
def calendar_one(slug: str):
    call = queries.get_call(slug) or abort(404)
    return _ics([call], call.title, filename=f"{call.slug}.ics")


def _ics(calls: list[Call], name: str, filename: str = "appels.ics") -> Response:
    calendar = Calendar()
    calendar.add("prodid", "-//Portail des appels a projets//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    stamp = now()
    for call in calls:
        url = external_url("catalog.detail", slug=call.slug)
        for window in call.windows:
            suffix = f" ({window.display_label})" if window.display_label else ""
            if window.opens_at is not None:
                calendar.add_component(_event(f"{call.uuid}-{window.key}-ouverture", stamp, window.opens_at,
                                              f"Ouverture : {call.title}{suffix}", url,
                                              "Ouverture des candidatures."))
            calendar.add_component(_event(
                f"{call.uuid}-{window.key}-cloture", stamp, window.closes_at, f"Clôture : {call.title}{suffix}", url,
                f"Date limite de dépôt : {datetime_fr(window.closes_at)}."))
        for event in _days(call, stamp, url):
            calendar.add_component(event)
    # Times are written in Europe/Paris with the zone's rules, so summer and winter instants stay exact.
    calendar.add_missing_timezones()
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
