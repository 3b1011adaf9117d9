"""The notification letters of a decision, one PDF template per outcome (templates/pdf/letter_<outcome>.html), and
one per later change (letter_withdrawal.html, letter_promotion.html). A letter states only what the portal knows:
the issuer, court and signatory as the call file names them, the organisation as registered, the decision as
recorded (or the eligibility reason); nothing is made up about the call.

Every letter states the « voies et délais de recours » (code de justice administrative R421-5: without them the
two-month delay never starts to run) and names its signatory (CRPA L212-1); a call file without a signatory can
preview its letters, marked as drafts, but not send them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from portal.accounts.models import Organisation
from portal.applications.models import Application
from portal.catalog.schema import Signatory
from portal.core.pdf import render_pdf
from portal.core.time import now
from portal.extensions import db
from portal.reviews import queries
from portal.reviews.decisions import INELIGIBLE, OUTCOME_WORDS
from portal.reviews.models import Decision, DecisionChange, Eligibility, ReviewRound

UNNAMED_COURT = "le tribunal administratif territorialement compétent"


@dataclass(frozen=True)
class Terms:
    """The decision as one letter states it: as published for the first letter, as changed for a later one."""

    outcome: str
    amount: Decimal | None
    duration_years: int | None
    motivation: str | None


@dataclass(frozen=True)
class Letter:
    application: Application
    organisation: Organisation
    outcome: str
    decision: Terms | None
    eligibility: Eligibility
    dated: dt.datetime
    draft: bool  # not published yet: the manager's preview, marked as such
    change: DecisionChange | None = None  # a later letter: the withdrawal acknowledged, or the promotion
    letterhead: dict | None = None  # signatory and court stored when it was sent (decisions.letterhead_of)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_WORDS[self.outcome]

    @property
    def issuer(self):
        return self.application.call.spec.issuer

    @property
    def signatory(self) -> Signatory | None:
        if self.letterhead is None:  # a draft (or sent before letterheads were kept): as the call file says now
            return self.application.call.spec.letter_signatory
        stored = self.letterhead.get("signatory")
        return Signatory(**stored) if stored else None

    @property
    def appeals_court(self) -> str:
        """As the letter writes it after « devant » : « le tribunal administratif de Lille »."""
        named = (self.application.call.spec.letter_appeals_court if self.letterhead is None
                 else self.letterhead.get("appeals_court"))
        return f"le {named[0].lower()}{named[1:]}" if named else UNNAMED_COURT

    @property
    def template(self) -> str:
        return f"pdf/letter_{self.change.kind if self.change else self.outcome}.html"


def _terms(decision: Decision) -> Terms:
    """The decision as first published: a later change keeps what it replaced in its row."""
    first = decision.changes[0] if decision.changes else None
    if first is None:
        return Terms(decision.outcome, decision.amount, decision.duration_years, decision.motivation)
    return Terms(first.outcome_before, first.amount_before, decision.duration_years, decision.motivation)


def letter_of(application: Application) -> Letter | None:
    """The first letter as it stands; None while there is nothing to notify (not screened, or eligible but
    undecided)."""
    eligibility = queries.eligibility_of(application)
    if eligibility is None:
        return None
    decision = queries.decision_of(application) if eligibility.is_eligible else None
    if eligibility.is_eligible and decision is None:
        return None
    published_at, letterhead = db.session.execute(
        select(ReviewRound.decisions_published_at, ReviewRound.letterhead)
        .where(ReviewRound.window_id == application.window_id)).one_or_none() or (None, None)
    terms = _terms(decision) if decision is not None else None
    organisation = db.session.get(Organisation, application.organisation_id)
    return Letter(application, organisation, terms.outcome if terms else INELIGIBLE, terms, eligibility,
                  published_at or now(), draft=published_at is None,
                  letterhead=letterhead if published_at is not None else None)


def change_letter(application: Application, change: DecisionChange) -> Letter:
    """The letter that notified one change of the application's published decision."""
    decision = change.decision
    terms = Terms(change.outcome_after, change.amount_after, decision.duration_years, decision.motivation)
    organisation = db.session.get(Organisation, application.organisation_id)
    return Letter(application, organisation, change.outcome_after, terms, queries.eligibility_of(application),
                  change.recorded_at, draft=False, change=change, letterhead=change.letterhead)


def render(letter: Letter) -> bytes:
    # The letter comes from the call's issuer, whoever runs the portal.
    return render_pdf(letter.template, letter=letter, issuer_name=letter.issuer.body)


def letter_pdf(application: Application) -> bytes:
    """The PDF of the first letter; the caller has checked that there is one (letter_of is not None)."""
    letter = letter_of(application)
    if letter is None:
        raise LookupError(f"no decision to notify for application {application.id}")
    return render(letter)


def filename(application: Application, change: DecisionChange | None = None) -> str:
    return f"decision-{application.number}.pdf" if change is None else f"decision-{application.number}-{change.id}.pdf"
