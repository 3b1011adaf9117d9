"""Reads of the selection side shared by pages, services and exports, written for the database."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.accounts.queries import reviewer_grant_clause, reviewers_of
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.extensions import db
from portal.reviews.models import Assignment, Decision, Eligibility, Review, ReviewRound
from portal.reviews.states import DeclaredBy, ReviewStatus, RoundPhase, Verdict


def committee_of(call: Call) -> list[User]:
    """The call's reviewers (people holding the reviewer role for it)."""
    return reviewers_of(call.uuid)


def deposited_in_window(window: Window) -> list[Application]:
    """Applications of the window deposited at least once and not withdrawn, by number."""
    return list(db.session.scalars(
        select(Application).where(Application.window_id == window.id, Application.is_deposited)
        .options(selectinload(Application.versions), selectinload(Application.partners))
        .order_by(Application.number)))


def rounds_of(call: Call) -> dict[int, ReviewRound]:
    """The call's rounds by window id."""
    return {r.window_id: r for r in db.session.scalars(select(ReviewRound).where(ReviewRound.call_id == call.id))}


def assignment_of(user, application: Application) -> Assignment | None:
    return db.session.scalar(select(Assignment).where(Assignment.application_id == application.id,
                                                      Assignment.reviewer_id == user.id))


def assignments_of_application(application: Application) -> list[Assignment]:
    return list(db.session.scalars(select(Assignment).where(Assignment.application_id == application.id)
                                   .order_by(Assignment.assigned_at)))


def own_review(user, application: Application) -> Review | None:
    return db.session.scalar(select(Review).where(Review.application_id == application.id,
                                                  Review.reviewer_id == user.id)
                             .options(selectinload(Review.scores), selectinload(Review.versions)))


def reviews_of(application: Application, submitted_only: bool = True) -> list[Review]:
    query = (select(Review).where(Review.application_id == application.id)
             .options(selectinload(Review.scores)).order_by(Review.submitted_at))
    if submitted_only:
        query = query.where(Review.status == ReviewStatus.SUBMITTED)
    return list(db.session.scalars(query))


def eligibility_of(application: Application) -> Eligibility | None:
    return db.session.scalar(select(Eligibility).where(Eligibility.application_id == application.id))


def eligibility_by_application(ids) -> dict[uuid.UUID, Eligibility]:
    ids = list(ids)
    if not ids:
        return {}
    return {e.application_id: e for e in db.session.scalars(select(Eligibility)
                                                           .where(Eligibility.application_id.in_(ids)))}


def decision_of(application: Application) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.application_id == application.id))


def load_by_reviewer(call: Call) -> dict[int, int]:
    """How many applications of the call each reviewer is assigned."""
    rows = db.session.execute(select(Assignment.reviewer_id, func.count(Assignment.id))
                              .join(Application, Application.id == Assignment.application_id)
                              .where(Application.call_id == call.id).group_by(Assignment.reviewer_id))
    return {reviewer_id: count for reviewer_id, count in rows}


def screening_counts(window: Window, visible=None) -> dict[str, int]:
    """The window's deposited applications by eligibility verdict: deposited, eligible, ineligible, unscreened;
    only among `visible` (a select of application ids, e.g. permissions.reviewable) when given."""
    query = (select(Eligibility.verdict, func.count(Application.id))
             .outerjoin(Eligibility, Eligibility.application_id == Application.id)
             .where(Application.window_id == window.id, Application.is_deposited)
             .group_by(Eligibility.verdict))
    if visible is not None:
        query = query.where(Application.id.in_(visible))
    rows = db.session.execute(query)
    by_verdict = {verdict: count for verdict, count in rows}
    return {"deposited": sum(by_verdict.values()), "eligible": by_verdict.get(Verdict.ELIGIBLE, 0),
            "ineligible": by_verdict.get(Verdict.INELIGIBLE, 0), "unscreened": by_verdict.get(None, 0)}


# ---- a committee member's work (reviewing.py, views/reviewer.py) -------------------------------------------

def _on_committee(user_id, call_uuid):
    """The person still holds the reviewer role for the call (columns or values): accounts' one rule."""
    return reviewer_grant_clause(user_id, call_uuid)


def counts(call_uuid):
    """The one condition under which a submitted review counts, for every aggregate (ranking.counting_reviews, the
    received counts, the reviews shown): its author is still assigned to the application and still holds the
    reviewer role for the call (`call_uuid`, a value or a column) — a review written before a conflict came to
    light, or by someone since removed, never counts."""
    from sqlalchemy import and_, exists

    return and_(Review.status == ReviewStatus.SUBMITTED,
                exists().where(Assignment.application_id == Review.application_id,
                               Assignment.reviewer_id == Review.reviewer_id),
                _on_committee(Review.reviewer_id, call_uuid))


def calls_reviewed_by(user) -> list[Call]:
    """The calls for which this person sits on the committee, their windows loaded at once."""
    return list(db.session.scalars(select(Call).where(_on_committee(user.id, Call.uuid))
                                   .options(selectinload(Call.windows)).order_by(Call.title)))


def reviewer_work(user, calls: list[Call]) -> list:
    """One statement for her home, whatever the number of calls: each application of `calls` assigned to her that
    she may see (deposited, never one she is in conflict with — permissions.reviewable's rule for an assigned
    committee member), with its organisation, its window, her review's status and pending changes, the eligibility
    verdict, the round's phase and due date and her no-conflict statement, by call, window and number."""
    from sqlalchemy import and_

    from portal.accounts.models import Organisation
    from portal.reviews.permissions import conflicted

    if not calls:
        return []
    return list(db.session.execute(
        select(Application.id, Application.number, Application.call_id, Application.window_id,
               Organisation.legal_name.label("organisation"), Review.status.label("review_status"),
               Review.pending_at.label("pending_at"), Eligibility.verdict.label("verdict"),
               func.coalesce(ReviewRound.phase, RoundPhase.ELIGIBILITY.value).label("phase"),
               ReviewRound.reviews_due_on.label("due_on"), Assignment.no_conflict_declared_at.label("declared_at"))
        .join(Assignment, and_(Assignment.application_id == Application.id, Assignment.reviewer_id == user.id))
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(Review, and_(Review.application_id == Application.id, Review.reviewer_id == user.id))
        .outerjoin(Eligibility, Eligibility.application_id == Application.id)
        .outerjoin(ReviewRound, ReviewRound.window_id == Application.window_id)
        .where(Application.call_id.in_([call.id for call in calls]), Application.is_deposited,
               Application.id.not_in(conflicted(user)))
        .order_by(Application.call_id, Application.window_id, Application.number)))


def assigned_to(user, call: Call) -> list:
    """Her assigned applications of the call that she may see (never one she is in conflict with), each with its
    organisation's name, her review's status, the round's phase and her no-conflict statement, by number."""
    from sqlalchemy import and_

    from portal.accounts.models import Organisation
    from portal.reviews.permissions import reviewable

    return list(db.session.execute(
        select(Application, Organisation.legal_name.label("organisation"), Review.status.label("review_status"),
               # an assignment is made after closing: no round stored yet is the first phase
               func.coalesce(ReviewRound.phase, RoundPhase.ELIGIBILITY.value).label("phase"),
               Assignment.no_conflict_declared_at.label("declared_at"))
        .join(Assignment, and_(Assignment.application_id == Application.id, Assignment.reviewer_id == user.id))
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(Review, and_(Review.application_id == Application.id, Review.reviewer_id == user.id))
        .outerjoin(ReviewRound, ReviewRound.window_id == Application.window_id)
        .where(Application.id.in_(reviewable(user, call)))
        .order_by(Application.number)))


def next_to_review(user, call: Call) -> Application | None:
    """One query: her assigned, eligible applications in a scoring phase that she has not submitted a review of,
    the one with the fewest counting reviews first, then the lowest number."""
    from sqlalchemy import and_

    from portal.reviews.permissions import reviewable
    from portal.reviews.phases import PHASES

    received = (select(func.count(Review.id)).where(Review.application_id == Application.id, counts(call.uuid))
                .correlate(Application).scalar_subquery())
    submitted_by_her = select(Review.application_id).where(Review.reviewer_id == user.id,
                                                           Review.status == ReviewStatus.SUBMITTED)
    return db.session.scalar(
        select(Application)
        .join(Assignment, and_(Assignment.application_id == Application.id, Assignment.reviewer_id == user.id))
        .join(ReviewRound, ReviewRound.window_id == Application.window_id)
        .join(Eligibility, Eligibility.application_id == Application.id)
        .where(Application.id.in_(reviewable(user, call)), Application.id.not_in(submitted_by_her),
               ReviewRound.phase.in_([key for key, phase in PHASES.items() if phase.scoring]),
               Eligibility.verdict == Verdict.ELIGIBLE)
        .order_by(received, Application.number).limit(1))


def counting_reviews_of(application: Application) -> list[tuple[Review, str, int]]:
    """The application's reviews that count, with their authors' names and their rank among all its reviews by
    creation (drafts included), so that each keeps its « Évaluateur A, B… » letter as others get submitted."""
    ranked = (select(Review.id, func.row_number().over(order_by=(Review.created_at, Review.id)).label("rank"))
              .where(Review.application_id == application.id).subquery())
    return list(db.session.execute(
        select(Review, User.name, ranked.c.rank).join(User, User.id == Review.reviewer_id)
        .join(ranked, ranked.c.id == Review.id).where(counts(application.call.uuid))
        .options(selectinload(Review.scores)).order_by(ranked.c.rank)))


def round_published_at(application: Application):
    """When the decisions of the application's window were published, or None while they are pending."""
    return db.session.scalar(select(ReviewRound.decisions_published_at)
                             .where(ReviewRound.window_id == application.window_id))


# ---- the committee, assignments and conflicts (committee.py, assignment.py, conflicts.py) -------------------

def conflict_pairs(reviewers, application_ids) -> set[tuple[uuid.UUID, int]]:
    """(application id, reviewer id) for every pair in conflict, in one statement built from
    permissions.conflicted for each reviewer (the rule stays there)."""
    from sqlalchemy import literal, union_all

    from portal.reviews.permissions import conflicted

    ids = list(application_ids)
    if not reviewers or not ids:
        return set()
    parts = []
    for reviewer in reviewers:
        theirs = conflicted(reviewer).subquery()
        parts.append(select(theirs.c.id.label("application_id"), literal(reviewer.id).label("reviewer_id"))
                     .where(theirs.c.id.in_(ids)))
    return {(application_id, reviewer_id) for application_id, reviewer_id in db.session.execute(union_all(*parts))}


def assignments_among(application_ids) -> dict[tuple[uuid.UUID, int], Assignment]:
    ids = list(application_ids)
    if not ids:
        return {}
    return {(a.application_id, a.reviewer_id): a
            for a in db.session.scalars(select(Assignment).where(Assignment.application_id.in_(ids)))}


def review_states_among(application_ids) -> dict[tuple[uuid.UUID, int], str]:
    """The status (draft / submitted) of each review written on these applications, by (application, reviewer)."""
    ids = list(application_ids)
    if not ids:
        return {}
    return {(application_id, reviewer_id): status for application_id, reviewer_id, status in db.session.execute(
        select(Review.application_id, Review.reviewer_id, Review.status).where(Review.application_id.in_(ids)))}


def committee_loads(call: Call, visible) -> dict[int, tuple[int, int]]:
    """For each reviewer: (applications assigned, reviews submitted on them), among `visible` (a select of
    application ids, permissions.reviewable of the person looking) — a manager in conflict counts nothing of it."""
    from sqlalchemy import and_

    rows = db.session.execute(
        select(Assignment.reviewer_id, func.count(Assignment.id), func.count(Review.id))
        .join(Application, Application.id == Assignment.application_id)
        .outerjoin(Review, and_(Review.application_id == Assignment.application_id,
                                Review.reviewer_id == Assignment.reviewer_id, Review.status == ReviewStatus.SUBMITTED))
        .where(Application.call_id == call.id, Application.id.in_(visible)).group_by(Assignment.reviewer_id))
    return {reviewer_id: (assigned, submitted) for reviewer_id, assigned, submitted in rows}


def conflicts_among(visible, application_id: uuid.UUID | None = None) -> list:
    """Conflicts on the visible applications (or on one), each with its application's number and organisation,
    the named person's account name when she has one, and who declared, confirmed or lifted it."""
    from sqlalchemy.orm import aliased

    from portal.accounts.models import Organisation
    from portal.reviews.models import Conflict

    person, declarer, confirmer, lifter = (aliased(User) for _ in range(4))
    query = (select(Conflict, Application.number.label("number"), Organisation.legal_name.label("organisation"),
                    person.name.label("person"), declarer.name.label("declared_by"),
                    confirmer.name.label("confirmed_by"), lifter.name.label("lifted_by"))
             .join(Application, Application.id == Conflict.application_id)
             .join(Organisation, Organisation.id == Application.organisation_id)
             .outerjoin(person, person.id == Conflict.user_id)
             .outerjoin(declarer, declarer.id == Conflict.declared_by_id)
             .outerjoin(confirmer, confirmer.id == Conflict.confirmed_by_id)
             .outerjoin(lifter, lifter.id == Conflict.lifted_by_id)
             .where(Conflict.application_id.in_(visible))
             .order_by(Application.number, Conflict.declared_at, Conflict.id))
    if application_id is not None:
        query = query.where(Conflict.application_id == application_id)
    return list(db.session.execute(query))


class UnsavedConflictRow(NamedTuple):
    """A conflict not stored yet (conflicts.detected_unrecorded), shaped as a row of conflicts_among."""

    Conflict: object
    number: str | None
    organisation: str
    person: str | None
    declared_by: None = None
    confirmed_by: None = None
    lifted_by: None = None


def conflicts_shown(visible, unsaved: list, application_id: uuid.UUID | None = None) -> list:
    """conflicts_among, with the unsaved conflicts on the same applications merged in, by number then date."""
    from portal.accounts.models import Organisation

    rows = conflicts_among(visible, application_id)
    unsaved = [c for c in unsaved if application_id is None or c.application_id == application_id]
    if not unsaved:
        return rows
    found = {app_id: (number, organisation) for app_id, number, organisation in db.session.execute(
        select(Application.id, Application.number, Organisation.legal_name)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.id.in_({c.application_id for c in unsaved}), Application.id.in_(visible)))}
    names = {user_id: name for user_id, name in db.session.execute(
        select(User.id, User.name).where(User.id.in_({c.user_id for c in unsaved})))}
    rows += [UnsavedConflictRow(c, *found[c.application_id], names.get(c.user_id))
             for c in unsaved if c.application_id in found]
    return sorted(rows, key=lambda row: (row.number or "", row.Conflict.declared_at))


def named_by_applicant(application: Application) -> list:
    """What the applying organisation named, and only that (never whether the person sits on the committee)."""
    from portal.reviews.models import Conflict

    return list(db.session.scalars(select(Conflict).where(Conflict.application_id == application.id,
                                                          Conflict.declared_by_role == DeclaredBy.APPLICANT)
                                   .order_by(Conflict.declared_at, Conflict.id)))


def pending_requests_on(application: Application) -> list:
    """The conflicts the applicant named on this application that no manager has confirmed or refused yet."""
    from portal.reviews.models import Conflict

    return list(db.session.scalars(select(Conflict).where(
        Conflict.application_id == application.id, Conflict.is_pending_request).order_by(Conflict.declared_at, Conflict.id)))


def declared_by_reviewer(user, call: Call) -> list:
    """The conflicts this committee member declared herself on the call's applications, with their numbers."""
    from portal.reviews.models import Conflict

    return list(db.session.execute(
        select(Conflict, Application.number.label("number")).join(Application, Application.id == Conflict.application_id)
        .where(Application.call_id == call.id, Conflict.email == user.email.lower(),
               Conflict.declared_by_role == DeclaredBy.REVIEWER, Conflict.declared_by_id == user.id)
        .order_by(Conflict.declared_at, Conflict.id)))


# ---- the committee's progress (the manager's hub, the move to deliberation) ---------------------------------

def _ineligible():
    return select(Eligibility.application_id).where(Eligibility.verdict == Verdict.INELIGIBLE)


def _committee_work(window: Window, visible, *, among=None):
    """Each assignment of the window's deposited, not ineligible, visible applications to a person still on the
    committee, with her submitted review's id (None while it is not submitted) — the reviews still expected.
    `among` (a condition on Application) stands for the window to cover several at once (the workspace)."""
    from sqlalchemy import and_

    query = (select(Assignment.application_id, Assignment.reviewer_id, Review.id.label("review_id"),
                    Review.status.label("status"))
             .join(Application, Application.id == Assignment.application_id)
             .join(Call, Call.id == Application.call_id)
             .outerjoin(Review, and_(Review.application_id == Assignment.application_id,
                                     Review.reviewer_id == Assignment.reviewer_id))
             .where(Application.window_id == window.id if among is None else among, Application.is_deposited,
                    Application.id.not_in(_ineligible()), _on_committee(Assignment.reviewer_id, Call.uuid)))
    return query if visible is None else query.where(Application.id.in_(visible))


class Progress(NamedTuple):
    """Submitted / assigned reviews: per application (its number and organisation), per reviewer, in total."""

    applications: list  # rows: application_id, number, organisation, submitted, assigned
    reviewers: list  # rows: reviewer_id, name, submitted, assigned
    submitted: int
    assigned: int


def review_progress(window: Window, visible) -> Progress:
    """One statement: the counts per application (every visible deposited application not found ineligible,
    none assigned included), per reviewer and in total, grouped by the database."""
    from sqlalchemy import Integer, Uuid, case, literal, null, type_coerce, union_all

    from portal.accounts.models import Organisation

    work = _committee_work(window, visible).cte("work")
    done = func.count(case((work.c.status == ReviewStatus.SUBMITTED, 1)))
    per_application = (
        select(literal("application").label("kind"), Application.id.label("application_id"),
               type_coerce(null(), Integer).label("reviewer_id"), Application.number.label("label"),
               Organisation.legal_name.label("organisation"), done.label("submitted"),
               func.count(work.c.reviewer_id).label("assigned"))
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(work, work.c.application_id == Application.id)
        .where(Application.window_id == window.id, Application.is_deposited,
               Application.id.not_in(_ineligible()), Application.id.in_(visible))
        .group_by(Application.id, Application.number, Organisation.legal_name))
    per_reviewer = (
        select(literal("reviewer"), type_coerce(null(), Uuid), work.c.reviewer_id, User.name, null(), done,
               func.count(work.c.application_id))
        .join(User, User.id == work.c.reviewer_id).group_by(work.c.reviewer_id, User.name))
    total = select(literal("total"), type_coerce(null(), Uuid), type_coerce(null(), Integer), null(), null(), done,
                   func.count(work.c.application_id)).select_from(work)
    rows = db.session.execute(union_all(per_application, per_reviewer, total)).all()
    by_kind = {kind: [r for r in rows if r.kind == kind] for kind in ("application", "reviewer", "total")}
    overall = by_kind["total"][0] if by_kind["total"] else None
    return Progress(
        applications=sorted(by_kind["application"], key=lambda r: r.label or ""),
        reviewers=sorted(by_kind["reviewer"], key=lambda r: ((r.label or "").casefold(), r.reviewer_id)),
        submitted=int(overall.submitted) if overall else 0, assigned=int(overall.assigned) if overall else 0)


def unsubmitted_reviews(window: Window, visible=None) -> list:
    """The reviews still expected from the committee (assigned, not submitted), each with the application's number
    and organisation, the reviewer's name and whether she has a draft, by number then name; among `visible` when
    given (a select of application ids)."""
    from portal.accounts.models import Organisation

    work = _committee_work(window, visible).subquery("work")
    return list(db.session.execute(
        select(work.c.application_id, Application.number, Organisation.legal_name.label("organisation"),
               User.name.label("reviewer"), work.c.status)
        .join(Application, Application.id == work.c.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(User, User.id == work.c.reviewer_id)
        .where((work.c.status.is_(None)) | (work.c.status != ReviewStatus.SUBMITTED))
        .order_by(Application.number, User.name)))


def unsubmitted_by_reviewer(window: Window, visible=None) -> dict[int, int]:
    """How many of the window's assigned reviews each committee member has not submitted yet (drafts and files
    never opened alike), among `visible` when given (a select of application ids)."""
    work = _committee_work(window, visible).subquery("work")
    return dict(db.session.execute(
        select(work.c.reviewer_id, func.count()).where(work.c.status.is_(None) | (work.c.status != ReviewStatus.SUBMITTED))
        .group_by(work.c.reviewer_id)).all())


# ---- the staff's workspace (views/workspace.py) -------------------------------------------------------------

class WindowCounts(NamedTuple):
    """One window's figures on the workspace, among the applications the person may see."""

    deposited: int = 0
    unscreened: int = 0
    eligible: int = 0
    decided: int = 0
    unpublished: int = 0  # decisions recorded, their letters not published yet
    submitted: int = 0
    assigned: int = 0
    overdue: int = 0  # assigned reviews not submitted once the round's due day has passed
    reviewers_missing: int = 0  # during the review phase, applications with fewer reviewers than the settings ask

    @property
    def undecided(self) -> int:
        return self.eligible - self.decided


def workspace_counts(window_ids: list[int], visible, today=None) -> dict[int, WindowCounts]:
    """For every window of `window_ids` at once, in three grouped statements whatever their number: deposited
    applications, those to screen, the eligible ones with their decisions recorded and those not yet published;
    the committee's submitted over assigned reviews and those overdue on `today` (Paris); during the review phase,
    the applications with fewer reviewers than ReviewSettings.reviews_per_application — only among `visible` (a
    select of application ids)."""
    from sqlalchemy import and_, case

    from portal.reviews.models import ReviewSettings

    if not window_ids:
        return {}
    screening = db.session.execute(
        select(Application.window_id, Eligibility.verdict, func.count(Application.id), func.count(Decision.id),
               func.count(case((ReviewRound.decisions_published_at.is_(None), Decision.id))))
        .outerjoin(Eligibility, Eligibility.application_id == Application.id)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .outerjoin(ReviewRound, ReviewRound.window_id == Application.window_id)
        .where(Application.window_id.in_(window_ids), Application.is_deposited, Application.id.in_(visible))
        .group_by(Application.window_id, Eligibility.verdict))
    figures: dict[int, dict[str, int]] = {}
    for window_id, verdict, applications, decisions, unpublished in screening:
        row = figures.setdefault(window_id, {})
        row["deposited"] = row.get("deposited", 0) + applications
        if verdict is None:
            row["unscreened"] = applications
        elif verdict == Verdict.ELIGIBLE:
            row["eligible"], row["decided"], row["unpublished"] = applications, decisions, unpublished
    work = _committee_work(None, visible, among=Application.window_id.in_(window_ids)).add_columns(
        Application.window_id.label("window_id")).subquery("work")
    undone = work.c.status.is_(None) | (work.c.status != ReviewStatus.SUBMITTED)
    late = and_(undone, ReviewRound.reviews_due_on < today) if today is not None else None
    reviews = db.session.execute(
        select(work.c.window_id, func.count(case((work.c.status == ReviewStatus.SUBMITTED, 1))),
               func.count(work.c.reviewer_id), func.count(case((late, 1))) if late is not None else func.count(None))
        .outerjoin(ReviewRound, ReviewRound.window_id == work.c.window_id).group_by(work.c.window_id))
    for window_id, submitted, assigned, overdue in reviews:
        figures.setdefault(window_id, {}).update(submitted=submitted, assigned=assigned, overdue=overdue)
    per_application = (select(work.c.application_id, func.count().label("reviewers"))
                       .group_by(work.c.application_id).subquery("per_application"))
    missing = db.session.execute(
        select(Application.window_id, func.count(Application.id))
        .join(ReviewRound, and_(ReviewRound.window_id == Application.window_id,
                                ReviewRound.phase == RoundPhase.REVIEW))
        .outerjoin(ReviewSettings, ReviewSettings.call_id == Application.call_id)
        .outerjoin(per_application, per_application.c.application_id == Application.id)
        .where(Application.window_id.in_(window_ids), Application.is_deposited, Application.id.in_(visible),
               Application.id.not_in(_ineligible()),
               func.coalesce(per_application.c.reviewers, 0) < func.coalesce(ReviewSettings.reviews_per_application, 2))
        .group_by(Application.window_id))
    for window_id, count in missing:
        figures.setdefault(window_id, {})["reviewers_missing"] = count
    return {window_id: WindowCounts(**row) for window_id, row in figures.items()}
