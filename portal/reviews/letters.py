"""The notification letter of a decision, one PDF template per outcome (templates/pdf/letter_<outcome>.html).
It states only what the portal knows: the issuer as the call file names it, the organisation as registered, the
decision as recorded (or the eligibility reason); nothing is made up about the call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.accounts.models import Organisation
from portal.applications.models import Application
from portal.core.pdf import render_pdf
from portal.core.time import now
from portal.extensions import db
from portal.reviews import queries
from portal.reviews.decisions import INELIGIBLE, OUTCOME_WORDS
from portal.reviews.models import Decision, Eligibility


@dataclass(frozen=True)
class Letter:
    application: Application
    organisation: Organisation
    outcome: str
    decision: Decision | None
    eligibility: Eligibility
    dated: dt.datetime
    draft: bool  # not published yet: the manager's preview, marked as such

    @property
    def outcome_label(self) -> str:
        return OUTCOME_WORDS[self.outcome]

    @property
    def issuer(self):
        return self.application.call.spec.issuer


def letter_of(application: Application) -> Letter | None:
    """The letter as it stands; None while there is nothing to notify (not screened, or eligible but undecided)."""
    eligibility = queries.eligibility_of(application)
    if eligibility is None:
        return None
    decision = queries.decision_of(application) if eligibility.is_eligible else None
    if eligibility.is_eligible and decision is None:
        return None
    published_at = queries.round_published_at(application)
    outcome = decision.outcome if decision is not None else INELIGIBLE
    organisation = db.session.get(Organisation, application.organisation_id)
    return Letter(application, organisation, outcome, decision, eligibility, published_at or now(),
                  draft=published_at is None)


def letter_pdf(application: Application) -> bytes:
    """The PDF letter; the caller has checked that there is one (letter_of is not None)."""
    letter = letter_of(application)
    if letter is None:
        raise LookupError(f"no decision to notify for application {application.id}")
    # The letter comes from the call's issuer, whoever runs the portal.
    return render_pdf(f"pdf/letter_{letter.outcome}.html", letter=letter, issuer_name=letter.issuer.body)


def filename(application: Application) -> str:
    return f"decision-{application.number}.pdf"
