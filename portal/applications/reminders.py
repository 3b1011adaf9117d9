"""Two days before a deadline, the members of organisations holding an undeposited draft get a reminder:
a saved draft is not a submission."""

from __future__ import annotations

import datetime as dt

from portal.accounts.models import Organisation
from portal.accounts.queries import members_of
from portal.applications.queries import needing_reminder
from portal.core import mail
from portal.core.formatting import datetime_fr
from portal.core.time import end_of_day_paris, today_paris
from portal.core.urls import external_url
from portal.extensions import db

AHEAD = dt.timedelta(days=2)


def send_due(moment: dt.datetime) -> int:
    """Queue one reminder per application (never twice); returns how many applications were reminded."""
    # Counted in days of the Paris calendar: a call closing on 9 May at 23:59:59 is reminded on 7 May, whatever the
    # hour of the daily run (48 hours before would be 7 May at 23:59:59, past any morning run).
    applications = needing_reminder(moment, end_of_day_paris(today_paris(moment) + AHEAD))
    for application in applications:
        organisation = db.session.get(Organisation, application.organisation_id)
        for membership in members_of(organisation):
            mail.enqueue(membership.user.email, f"Rappel : votre candidature n'est pas déposée — {application.call.title}",
                         "draft_reminder", name=membership.user.name, application=application,
                         deadline=datetime_fr(application.window.closes_at),
                         url=external_url("applications.show", application_id=application.id))
        application.reminded_at = moment
        db.session.commit()  # a job: each reminder is its own unit, so one failure does not resend the others
    return len(applications)
