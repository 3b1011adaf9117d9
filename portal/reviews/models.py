"""The selection of a window's applications: the round and its phase, the call's review settings, eligibility,
the committee's assignments, conflicts of interest, reviews with their per-criterion scores and versions, and
the decisions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, check_in
from portal.reviews.states import (
    AssignmentMethod,
    ChangeKind,
    ConflictKind,
    DeclaredBy,
    Opinion,
    Outcome,
    ReviewStatus,
    RoundPhase,
    Verdict,
)


class ReviewSettings(Base):
    """How a call's committee works; set by its managers (the call file publishes the criteria, not this)."""

    __tablename__ = "review_settings"
    __table_args__ = (CheckConstraint("reviews_per_application >= 1", name="k_positive"),
                      CheckConstraint("max_per_reviewer IS NULL OR max_per_reviewer >= 1", name="l_positive"))

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)  # reviewers' names hidden from each other
    # During the review phase, may a reviewer read the others' reviews once she has submitted her own?
    others_after_own: Mapped[bool] = mapped_column(Boolean, default=True)
    reviews_per_application: Mapped[int] = mapped_column(Integer, default=2)
    max_per_reviewer: Mapped[int | None] = mapped_column(Integer)
    # A reviewer's scores are normalised (z-scores) only once she has submitted this many reviews.
    min_reviews_for_normalisation: Mapped[int] = mapped_column(Integer, default=3)
    # Standard deviation of the totals (on 20) from which reviewers are said to disagree strongly.
    disagreement_threshold: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("3.00"))
    # The criteria weights the stored totals were computed with; a change in the call file triggers a recompute.
    weights_signature: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReviewRound(Base):
    """The selection of one window's applications, from closing to published decisions."""

    __tablename__ = "review_rounds"
    __table_args__ = (check_in("phase", RoundPhase, name="phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("call_windows.id"), unique=True)
    phase: Mapped[RoundPhase] = mapped_column(String(12), default=RoundPhase.ELIGIBILITY)
    phase_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    phase_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decisions_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The day the manager asks the reviews for (23:59:59 Paris time), and when the reminder two days before went.
    reviews_due_on: Mapped[dt.date | None] = mapped_column(Date)
    reviews_reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Who signed the published letters and which court they name, as the call file said then (letters.py).
    letterhead: Mapped[dict | None] = mapped_column(JSON)


class Eligibility(Base):
    """The manager's screening (recevabilité) of one submitted application, with the checklist as ticked."""

    __tablename__ = "eligibility_checks"
    __table_args__ = (check_in("verdict", Verdict, name="verdict"),
                      CheckConstraint(f"verdict = '{Verdict.ELIGIBLE}' OR reason IS NOT NULL",
                                      name="reason_when_ineligible"))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    verdict: Mapped[Verdict] = mapped_column(String(10))
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)  # item key → true / false, as the manager left it
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    @property
    def is_eligible(self) -> bool:
        return self.verdict == Verdict.ELIGIBLE


class Assignment(Base):
    """A committee member asked to review one application."""

    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),
                      check_in("method", AssignmentMethod, name="method"))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    method: Mapped[AssignmentMethod] = mapped_column(String(8), default=AssignmentMethod.MANUAL)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The reviewer states she has no conflict with this application before its file opens to her.
    no_conflict_declared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Conflict(Base):
    """A conflict of interest between a person (known by e-mail, so an applicant can name someone who has no
    account yet) and an application. Effective as soon as recorded — except that one the applicant named is a
    request, which spares the people who run the call until a manager confirms it (permissions.conflicted); a
    manager confirms it or, unless it was detected from memberships, lifts (for a request: refuses) it with a
    reason."""

    __tablename__ = "conflicts_of_interest"
    __table_args__ = (UniqueConstraint("application_id", "email", "kind"),
                      check_in("declared_by_role", DeclaredBy, name="declared_by_role"))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)  # lower-case
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[ConflictKind] = mapped_column(String(12))
    declared_by_role: Mapped[DeclaredBy] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lift_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def kind_label(self) -> str:
        return ConflictKind(self.kind).label

    @property
    def declared_by_label(self) -> str:
        return DeclaredBy(self.declared_by_role).label

    @hybrid_property
    def is_pending_request(self) -> bool:
        """Named by the applicant and not yet confirmed nor refused by a manager; in a query, the same condition."""
        return self.declared_by_role == DeclaredBy.APPLICANT and self.confirmed_at is None and self.lifted_at is None

    @is_pending_request.inplace.expression
    @classmethod
    def _is_pending_request(cls):
        return and_(cls.declared_by_role == DeclaredBy.APPLICANT, cls.confirmed_at.is_(None), cls.lifted_at.is_(None))


class Review(Base):
    """One reviewer's evaluation of one application: a draft until submitted; each submission is kept."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),
                      check_in("status", ReviewStatus, name="status"),
                      check_in("opinion", Opinion, name="opinion", nullable=True))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[ReviewStatus] = mapped_column(String(10), default=ReviewStatus.DRAFT)
    opinion: Mapped[Opinion | None] = mapped_column(String(12))
    comment: Mapped[str | None] = mapped_column(Text)
    total: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # weighted mean on 20, set on submission
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Changes saved after a submission and not submitted yet, seen by her alone: the rows above stay those of her
    # last version, which the ranking and every other reader use (reviewing.save_pending).
    pending: Mapped[dict | None] = mapped_column(JSON)
    pending_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    scores: Mapped[list[Score]] = relationship(back_populates="review", cascade="all, delete-orphan",
                                               order_by="Score.id")
    versions: Mapped[list[ReviewVersion]] = relationship(back_populates="review", cascade="all, delete-orphan",
                                                         order_by="ReviewVersion.number")

    @property
    def opinion_label(self) -> str:
        return Opinion(self.opinion).label if self.opinion else "—"

    def score_of(self, criterion: str) -> Score | None:
        return next((s for s in self.scores if s.criterion == criterion), None)


class Score(Base):
    """The value (on the criterion's scale) and comment a review gives one criterion; a row each, so that the
    database averages criteria for the ranking."""

    __tablename__ = "review_scores"
    __table_args__ = (UniqueConstraint("review_id", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(60))
    value: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)

    review: Mapped[Review] = relationship(back_populates="scores")


class ReviewVersion(Base):
    """A submitted review, frozen: editing after submission makes a new one, the earlier ones stay."""

    __tablename__ = "review_versions"
    __table_args__ = (UniqueConstraint("review_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(JSON)  # scores, comments, opinion, total as submitted
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    review: Mapped[Review] = relationship(back_populates="versions")


class Decision(Base):
    """The committee's decision on one eligible application, pending until the manager publishes the round."""

    __tablename__ = "decisions"
    __table_args__ = (
        check_in("outcome", Outcome, name="outcome"),
        CheckConstraint(f"outcome <> '{Outcome.REJECTED}' OR motivation IS NOT NULL", name="motivated_refusal"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    outcome: Mapped[Outcome] = mapped_column(String(22))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    duration_years: Mapped[int | None] = mapped_column(Integer)
    motivation: Mapped[str | None] = mapped_column(Text)
    above_request_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    changes: Mapped[list[DecisionChange]] = relationship(back_populates="decision", order_by="DecisionChange.id")

    @property
    def outcome_label(self) -> str:
        return Outcome(self.outcome).label


class DecisionChange(Base):
    """A change to a published decision, notified by its own letter: a laureate's withdrawal (with its reason and
    date) or a promotion from the liste complémentaire (with the amount). The rows, in order, are the history."""

    __tablename__ = "decision_changes"
    __table_args__ = (check_in("kind", ChangeKind, name="kind"),
                      CheckConstraint(f"kind <> '{ChangeKind.WITHDRAWAL}' OR (reason IS NOT NULL AND effective_on IS NOT NULL)",
                                      name="withdrawal_reason_and_date"),
                      CheckConstraint(f"kind <> '{ChangeKind.PROMOTION}' OR amount_after IS NOT NULL",
                                      name="promotion_amount"))

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisions.id"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(String(10))
    outcome_before: Mapped[Outcome] = mapped_column(String(22))
    outcome_after: Mapped[Outcome] = mapped_column(String(22))
    amount_before: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    amount_after: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reason: Mapped[str | None] = mapped_column(Text)
    effective_on: Mapped[dt.date | None] = mapped_column(Date)  # the day the laureate withdrew or declined
    out_of_order: Mapped[bool] = mapped_column(Boolean, default=False)  # promoted before one ranked higher
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    letterhead: Mapped[dict | None] = mapped_column(JSON)  # signatory and court of its letter, as then

    decision: Mapped[Decision] = relationship(back_populates="changes")

    @property
    def kind_label(self) -> str:
        return ChangeKind(self.kind).label

    @property
    def outcome_before_label(self) -> str:
        return Outcome(self.outcome_before).label
