"""« Mes candidatures » (the applications domain's page) shows, under each application, the outcome this domain
published (slot applicant_list.status)."""

from __future__ import annotations

from flask import g, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from portal.applications.models import Application
from portal.applications.permissions import is_lead_member
from portal.extensions import db
from portal.reviews.models import Decision, Eligibility, ReviewRound
from portal.reviews.states import Outcome, Verdict


def published_outcome(application, listed) -> Markup | None:
    """Under an application of « Mes candidatures »: its outcome once the window's decisions are published (never
    before), read for the whole list in one statement, kept for the request."""
    key = frozenset(item.id for item in listed)
    cached = g.setdefault("published_outcomes", {})
    if key not in cached:
        cached[key] = _published_outcomes(key)
    outcome = cached[key].get(application.id)
    if outcome is None:
        return None
    return Markup(render_template("reviews/_applicant_list_status.html", application=application, outcome=outcome,
                                  is_lead=is_lead_member(current_user, application)))


def _published_outcomes(application_ids) -> dict:
    """{application id: (Outcome or Verdict.INELIGIBLE, amount)} for those whose window's decisions are published:
    the published decision, else the ineligibility the publication told them of. One statement."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        select(Application.id, Decision.outcome, Decision.amount, Eligibility.verdict)
        .join(ReviewRound, ReviewRound.window_id == Application.window_id)
        .outerjoin(Decision, (Decision.application_id == Application.id) & Decision.published_at.is_not(None))
        .outerjoin(Eligibility, Eligibility.application_id == Application.id)
        .where(Application.id.in_(list(application_ids)), ReviewRound.decisions_published_at.is_not(None)))
    found = {}
    for application_id, outcome, amount, verdict in rows:
        if outcome is not None:
            found[application_id] = (Outcome(outcome), amount)
        elif verdict == Verdict.INELIGIBLE:
            found[application_id] = (Verdict.INELIGIBLE, None)
    return found
