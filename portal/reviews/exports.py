"""The committee's files: the scores with every criterion's value and comment (CSV, XLSX) and the procès-verbal
(PDF) with the ranking, the eligibility verdicts and the decisions. Both hold only the applications the person
may see (`permissions.reviewable`) and only the reviews that count (`ranking.counting_reviews`): a person in
conflict with an application finds nothing of it there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts.models import Organisation, User
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core.exports import csv_response, xlsx_response
from portal.core.pdf import render_pdf
from portal.extensions import db
from portal.reviews import meeting, queries, ranking
from portal.reviews.decisions import decisions_by_application
from portal.reviews.meeting import CommitteeMeeting, StoodAside
from portal.reviews.models import Review, ReviewRound
from portal.reviews.permissions import reviewable
from portal.reviews.phases import PHASES
from portal.reviews.states import OUTCOME_LABELS, Outcome


def score_header(call: Call) -> list[str]:
    criteria = [part for c in call.spec.selection_criteria for part in (f"{c.label} — note", f"{c.label} — commentaire")]
    return ["Numéro", "Organisation", "Évaluateur", *criteria, "Avis", "Commentaire général", "Total (/20)",
            "Soumise le (heure de Paris)"]


def score_rows(call: Call, window: Window, user) -> Iterator[list]:
    """One line per counting review of the window's applications this person may see, by number then author."""
    counted = ranking.counting_reviews(call).where(Review.application_id.in_(reviewable(user, call))).subquery()
    query = (select(Review, Application.number, Organisation.legal_name, User.name)
             .join(counted, counted.c.review_id == Review.id)
             .join(Application, Application.id == Review.application_id)
             .join(Organisation, Organisation.id == Application.organisation_id)
             .join(User, User.id == Review.reviewer_id)
             .where(Application.window_id == window.id)
             .options(selectinload(Review.scores))
             .order_by(Application.number, User.name))
    criteria = call.spec.selection_criteria
    for review, number, organisation, reviewer in db.session.execute(query):
        cells = []
        for criterion in criteria:
            score = review.score_of(criterion.key)
            cells += [score.value if score else None, (score.comment or "") if score else ""]
        # Managers always know who wrote what (blind mode hides names between reviewers only).
        yield [number, organisation, reviewer, *cells, review.opinion_label, review.comment or "", review.total,
               review.submitted_at]


def scores_response(call: Call, window: Window, user, extension: str):
    name = f"notes-{window.file_stem}.{extension}"
    if extension == "xlsx":
        return xlsx_response(name, "Notes", score_header(call), score_rows(call, window, user))
    return csv_response(name, score_header(call), score_rows(call, window, user))


@dataclass(frozen=True)
class Minutes:
    call: Call
    window: Window
    round: ReviewRound
    dated: dt.datetime
    committee: list[str]
    ranking: ranking.Ranking
    eligibility: dict  # application id → Eligibility
    total_awarded: Decimal
    meeting: CommitteeMeeting | None  # None until the manager records it
    stood_aside: list[StoodAside]
    decisions: dict  # application id → Decision (its motivation)

    @property
    def phase_label(self) -> str:
        return PHASES[self.round.phase].label

    @property
    def scored(self) -> list[ranking.RankRow]:
        return [row for row in self.ranking.rows if not row.is_ineligible]

    @property
    def ineligible(self) -> list[ranking.RankRow]:
        return [row for row in self.ranking.rows if row.is_ineligible]

    @property
    def decided(self) -> list[ranking.RankRow]:
        return [row for row in self.ranking.rows if row.outcome is not None]


def minutes_of(call: Call, window: Window, round_: ReviewRound, user, at: dt.datetime) -> Minutes:
    result = ranking.rank(call, window, user, sort="mean", descending=True)
    verdicts = queries.eligibility_by_application(row.application_id for row in result.rows)
    awarded = sum((row.amount for row in result.rows if row.outcome == Outcome.SELECTED and row.amount is not None),
                  Decimal("0.00"))
    return Minutes(call, window, round_, at, [u.name for u in queries.committee_of(call)], result, verdicts,
                   awarded, meeting.meeting_of(round_), meeting.stood_aside(call, window, user),
                   decisions_by_application(row.application_id for row in result.rows if row.outcome))


def minutes_pdf(call: Call, window: Window, round_: ReviewRound, user, at: dt.datetime) -> bytes:
    return render_pdf("pdf/minutes.html", minutes=minutes_of(call, window, round_, user, at),
                      outcomes=OUTCOME_LABELS, issuer_name=call.spec.issuer.body)

