"""The ranking of a window's applications: per application the mean, median, standard deviation, minimum and
maximum of the review totals (on 20), each criterion's average, and beside the raw ranking a ranking normalised
per reviewer (z-scores). Everything is computed by the database in one statement; Python only takes one square
root per row and formats the numbers.

Only what the viewer may see enters a figure: the rows are those of `permissions.reviewable`, and so are the
reviews behind every count, average and reviewer's z-score, so that a person in conflict with an application can
work none of its scores back from what the page shows."""

from __future__ import annotations

import math
import sqlite3
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from sqlalchemy import Float, Numeric, Select, case, cast, func, select
from sqlalchemy.orm import Session

from portal.accounts.models import Organisation
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.catalog.schema import Criterion
from portal.extensions import db
from portal.reviews import queries
from portal.reviews.models import Assignment, Decision, Eligibility, Review, Score
from portal.reviews.permissions import reviewable
from portal.reviews.rounds import settings_of
from portal.reviews.states import Verdict

CENT = Decimal("0.01")
# Below this variance a reviewer gave (almost) the same total every time: her z-scores are not defined.
NO_SPREAD = 1e-9
# Sort keys of rank(); "criterion:<key>" sorts by that criterion's average.
SORTS = ("mean", "median", "std", "min", "max", "received", "normalised", "number", "organisation")


@dataclass(frozen=True)
class RankRow:
    application_id: uuid.UUID
    number: str
    organisation: str
    verdict: str | None  # eligible / ineligible / None while not screened
    received: int  # counting reviews
    assigned: int
    mean: Decimal | None
    median: Decimal | None
    std: Decimal | None  # « désaccord »: population standard deviation of the totals
    min: Decimal | None
    max: Decimal | None
    disagreement: bool
    criteria: dict[str, Decimal | None]  # criterion key → average on the criterion's own scale
    normalised: Decimal | None  # mean of the reviewers' z-scores
    raw_rank: int | None
    normalised_rank: int | None
    outcome: str | None  # the Decision's outcome, if one is recorded
    amount: Decimal | None

    @property
    def is_ineligible(self) -> bool:
        return self.verdict == Verdict.INELIGIBLE


@dataclass(frozen=True)
class Ranking:
    call: Call
    window: Window
    criteria: list[Criterion]
    sort: str
    descending: bool
    min_reviews_for_normalisation: int
    disagreement_threshold: Decimal
    rows: list[RankRow] = field(default_factory=list)


def counting_reviews(call: Call | None = None) -> Select:
    """The reviews every aggregate counts, as (review_id, application_id, reviewer_id, total as a float):
    submitted, and written by someone still assigned to the application and still holding the call's reviewer
    role — a review written before a conflict came to light, or by someone since removed, never counts."""
    query = (select(Review.id.label("review_id"), Review.application_id, Review.reviewer_id,
                    cast(Review.total, Float).label("total"))
             .join(Application, Application.id == Review.application_id)
             .join(Call, Call.id == Application.call_id)
             .where(queries.counts(Call.uuid)))
    return query if call is None else query.where(Application.call_id == call.id)


def rank(call: Call, window: Window, user, sort: str = "mean", descending: bool = True) -> Ranking:
    """The window's deposited applications this person may see, with their figures, sorted by `sort` (unknown
    keys fall back to the mean), rows without a value last, ineligible applications at the bottom."""
    settings = settings_of(call)
    criteria = list(call.spec.selection_criteria)
    keys = [c.key for c in criteria]
    if sort not in SORTS and not (sort.startswith("criterion:") and sort.split(":", 1)[1] in keys):
        sort = "mean"
    _ensure_sqrt(db.session)

    visible = reviewable(user, call)
    ineligible = select(Eligibility.application_id).where(Eligibility.verdict == Verdict.INELIGIBLE)
    reviews = (counting_reviews(call)
               .where(Review.application_id.in_(visible), Review.application_id.not_in(ineligible))
               .cte("counted"))
    total = reviews.c.total

    stats = (select(reviews.c.application_id, func.count(reviews.c.review_id).label("received"),
                    func.avg(total).label("mean"), func.avg(total * total).label("mean_sq"),
                    func.min(total).label("min"), func.max(total).label("max"))
             .group_by(reviews.c.application_id).subquery("stats"))

    # Median: the middle one (odd count) or the two middle ones (even count) of the ordered totals, averaged.
    ordered = (select(reviews.c.application_id, total,
                      func.row_number().over(partition_by=reviews.c.application_id, order_by=total).label("position"),
                      func.count().over(partition_by=reviews.c.application_id).label("n"))
               .where(total.is_not(None)).subquery("ordered"))
    medians = (select(ordered.c.application_id, func.avg(ordered.c.total).label("median"))
               .where((2 * ordered.c.position).between(ordered.c.n, ordered.c.n + 2))
               .group_by(ordered.c.application_id).subquery("medians"))

    averages = (select(reviews.c.application_id,
                       *[func.avg(case((Score.criterion == key, cast(Score.value, Float)))).label(f"criterion_{i}")
                         for i, key in enumerate(keys)])
                .join(Score, Score.review_id == reviews.c.review_id)
                .group_by(reviews.c.application_id).subquery("averages"))

    # Each reviewer's mean and spread over the reviews the viewer may see; z = (total − mean) / spread.
    by_reviewer = (select(reviews.c.reviewer_id, func.count(total).label("n"), func.avg(total).label("mu"),
                          (func.avg(total * total) - func.avg(total) * func.avg(total)).label("variance"))
                   .group_by(reviews.c.reviewer_id).subquery("by_reviewer"))
    spreads = (select(by_reviewer.c.reviewer_id, by_reviewer.c.mu,
                      func.sqrt(by_reviewer.c.variance, type_=Float).label("sigma"))
               .where(by_reviewer.c.n >= settings.min_reviews_for_normalisation,
                      by_reviewer.c.variance > NO_SPREAD).subquery("spreads"))
    normalised = (select(reviews.c.application_id,
                         func.avg((total - spreads.c.mu) / spreads.c.sigma).label("normalised"))
                  .join(spreads, spreads.c.reviewer_id == reviews.c.reviewer_id)
                  .where(total.is_not(None)).group_by(reviews.c.application_id).subquery("normalised"))

    assigned = (select(Assignment.application_id, func.count(Assignment.id).label("assigned"))
                .group_by(Assignment.application_id).subquery("assigned"))

    base = (select(Application.id.label("application_id"), Application.number,
                   Organisation.legal_name.label("organisation"), Eligibility.verdict,
                   func.coalesce(stats.c.received, 0).label("received"),
                   func.coalesce(assigned.c.assigned, 0).label("assigned"),
                   stats.c.mean, stats.c.mean_sq, medians.c.median, stats.c.min, stats.c.max,
                   (stats.c.mean_sq - stats.c.mean * stats.c.mean).label("variance"),
                   *[averages.c[f"criterion_{i}"] for i in range(len(keys))],
                   normalised.c.normalised, Decision.outcome, Decision.amount)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .outerjoin(Eligibility, Eligibility.application_id == Application.id)
            .outerjoin(stats, stats.c.application_id == Application.id)
            .outerjoin(medians, medians.c.application_id == Application.id)
            .outerjoin(averages, averages.c.application_id == Application.id)
            .outerjoin(normalised, normalised.c.application_id == Application.id)
            .outerjoin(assigned, assigned.c.application_id == Application.id)
            .outerjoin(Decision, Decision.application_id == Application.id)
            .where(Application.window_id == window.id, Application.is_deposited,
                   Application.id.in_(visible))
            .subquery("base"))

    is_ineligible = case((base.c.verdict == Verdict.INELIGIBLE, 1), else_=0)
    mean_key, normalised_key = _key(base.c.mean), _key(base.c.normalised)
    raw_rank = case((base.c.mean.is_not(None), func.rank().over(order_by=mean_key.desc().nulls_last())))
    normalised_rank = case((base.c.normalised.is_not(None),
                            func.rank().over(order_by=normalised_key.desc().nulls_last())))
    columns = {"mean": mean_key, "median": _key(base.c.median), "std": _key(base.c.variance),
               "min": _key(base.c.min), "max": _key(base.c.max), "received": base.c.received,
               "normalised": normalised_key, "number": base.c.number, "organisation": base.c.organisation,
               **{f"criterion:{key}": _key(base.c[f"criterion_{i}"]) for i, key in enumerate(keys)}}
    column = columns[sort]
    query = (select(base, raw_rank.label("raw_rank"), normalised_rank.label("normalised_rank"))
             .order_by(is_ineligible, (column.desc() if descending else column.asc()).nulls_last(), base.c.number))
    rows = [_row(record, keys, settings.disagreement_threshold) for record in db.session.execute(query).mappings()]
    return Ranking(call=call, window=window, criteria=criteria, sort=sort, descending=descending,
                   min_reviews_for_normalisation=settings.min_reviews_for_normalisation,
                   disagreement_threshold=settings.disagreement_threshold, rows=rows)


def _key(expression):
    """A float rounded away from its last bits, so that equal means tie (12.1 + 13.3 and 12.7 + 12.7 alike)."""
    return func.round(cast(expression, Numeric), 6)


def _row(record, keys: list[str], threshold: Decimal) -> RankRow:
    ineligible = record["verdict"] == Verdict.INELIGIBLE
    received = int(record["received"])
    std = None
    if record["mean"] is not None and not ineligible:
        std = math.sqrt(max(float(record["variance"] or 0), 0.0))
    return RankRow(
        application_id=_uuid(record["application_id"]), number=record["number"],
        organisation=record["organisation"], verdict=record["verdict"], received=received,
        assigned=int(record["assigned"]), mean=_cents(record["mean"]), median=_cents(record["median"]),
        std=_cents(std), min=_cents(record["min"]), max=_cents(record["max"]),
        disagreement=std is not None and received >= 2 and _cents(std) >= threshold,
        criteria={key: _cents(record[f"criterion_{i}"]) for i, key in enumerate(keys)},
        normalised=_cents(record["normalised"]), raw_rank=record["raw_rank"],
        normalised_rank=record["normalised_rank"], outcome=record["outcome"], amount=record["amount"])


def _cents(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(repr(float(value))).quantize(CENT, rounding=ROUND_HALF_UP)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@cache
def _sqlite_has_sqrt() -> bool:
    """SQLite has sqrt() only when built with its math functions (the default from 3.35 on)."""
    try:
        sqlite3.connect(":memory:").execute("SELECT sqrt(4)")
    except sqlite3.OperationalError:
        return False
    return True


def _ensure_sqrt(session: Session) -> None:
    """On a SQLite built without its math functions, lend it Python's (for the reviewers' spreads only)."""
    if session.get_bind().dialect.name == "sqlite" and not _sqlite_has_sqrt():
        session.connection().connection.driver_connection.create_function("sqrt", 1, math.sqrt, deterministic=True)

