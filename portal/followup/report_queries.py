"""The reads of the reports: a person's, a call's, an application's, and whether an organisation filed the reports
of its earlier grants from an issuer (reports_status_of, shown on the staff page of its next application)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.applications.models import Application
from portal.catalog.models import Call
from portal.core import time
from portal.extensions import db
from portal.followup.models import Convention, Report
from portal.followup.permissions import visible_conventions
from portal.followup.states import ReportState


def application_of(report: Report) -> Application:
    return db.session.get(Application, report.convention.application_id)


@dataclass(frozen=True)
class ReportsStatus:
    accepted: int
    submitted: int  # received, not yet accepted (or to complete)
    late: int  # due date passed, not filed
    pending: int  # not yet due

    @property
    def total(self) -> int:
        return self.accepted + self.submitted + self.late + self.pending

    @property
    def text(self) -> str:
        parts = [f"{self.accepted} accepté{'s' if self.accepted > 1 else ''}"]
        if self.submitted:
            parts.append(f"{self.submitted} en cours d'examen")
        if self.late:
            parts.append(f"{self.late} en retard")
        if self.pending:
            parts.append(f"{self.pending} à venir")
        return ", ".join(parts)


def is_late(report: Report, today: dt.date) -> bool:
    return report.state in (ReportState.EXPECTED, ReportState.TO_COMPLETE) and report.due_on < today


def reports_status_of(organisation_id: uuid.UUID, issuer: str, at: dt.datetime | None = None,
                      excluding_application: uuid.UUID | None = None, user=None) -> ReportsStatus:
    """Whether an organisation filed the reports of its earlier grants from this issuer (the Cerfa 15059 is due
    before any new grant from the same funder); for `user`, none of a file hidden from her."""
    today = time.today_paris(at or time.now())
    query = (select(Report).join(Convention).join(Application, Application.id == Convention.application_id)
             .join(Call, Call.id == Convention.call_id)
             .where(Application.organisation_id == organisation_id, Call.issuer == issuer, *visible_conventions(user)))
    if excluding_application is not None:
        query = query.where(Application.id != excluding_application)
    counts = {"accepted": 0, "submitted": 0, "late": 0, "pending": 0}
    for report in db.session.scalars(query):
        if report.state == ReportState.ACCEPTED:
            counts["accepted"] += 1
        elif report.state == ReportState.SUBMITTED:
            counts["submitted"] += 1
        elif is_late(report, today):
            counts["late"] += 1
        else:
            counts["pending"] += 1
    return ReportsStatus(**counts)


def of_organisations(user) -> list[Report]:
    """The reports of the conventions of the organisations this person belongs to, soonest due first."""
    from portal.accounts.models import Membership

    mine = select(Membership.organisation_id).where(Membership.user_id == user.id)
    return list(db.session.scalars(
        select(Report).join(Convention).join(Application, Application.id == Convention.application_id)
        .where(Application.organisation_id.in_(mine)).options(selectinload(Report.convention))
        .order_by(Report.due_on, Report.label)))


def of_call(call: Call, user) -> list[Report]:
    """A call's reports, for its managers: none of an application hidden from this person (a conflict)."""
    query = (select(Report).join(Convention).join(Application, Application.id == Convention.application_id)
             .where(Convention.call_id == call.id).options(selectinload(Report.convention))
             .order_by(Report.due_on, Application.number))
    query = query.where(*visible_conventions(user))
    return list(db.session.scalars(query))


def conventions_without_calendar(call: Call, user) -> list[Convention]:
    query = select(Convention).join(Application, Application.id == Convention.application_id).where(
        Convention.call_id == call.id, ~Convention.reports.any())
    query = query.where(*visible_conventions(user))
    return list(db.session.scalars(query))


def of_application(application_id: uuid.UUID) -> list[Report]:
    """The reports due under the convention of one application, soonest due first."""
    return list(db.session.scalars(select(Report).join(Convention).where(Convention.application_id == application_id)
                                   .order_by(Report.due_on, Report.label)))


def get(report_id: uuid.UUID) -> Report | None:
    return db.session.get(Report, report_id)
