"""Who may see and do what on the selection side: the one place these rules live. Pages, files, exports, bulk
actions and aggregates all go through `reviewable` / `can_review`, so a person in conflict with an application
learns nothing of it, not even through an average or a count."""

from __future__ import annotations

from sqlalchemy import Select, exists, false, select, union

from portal.accounts.models import Membership
from portal.accounts.permissions import can_manage_call, is_reviewer_of
from portal.applications.models import Application, Partner
from portal.catalog.models import Call
from portal.core.errors import Refusal
from portal.extensions import db
from portal.reviews.models import Assignment, Conflict, Eligibility, Review, ReviewRound, ReviewSettings
from portal.reviews.phases import PHASES
from portal.reviews.states import ReviewStatus, Verdict


def _signed_in(user) -> bool:
    return getattr(user, "is_authenticated", False)


def conflicted(user) -> Select:
    """Ids of the applications this person is in conflict with: those of an organisation she belongs to, as lead
    or accepted partner (whether or not anyone declared it), and those where a conflict names her and stands.

    A conflict stands once recorded, except one the applying organisation named and no manager has confirmed yet:
    that request stands against a reviewer (she loses the file at once), never against a person who runs the call
    (its managers, the administrators), or an applicant could push the manager out of her own file — and out of
    the page where the request is decided. Confirmed, it stands against everyone, as a manager's record does."""
    organisations = select(Membership.organisation_id).where(Membership.user_id == user.id)
    named = select(Conflict.application_id).where(Conflict.email == user.email.lower(), Conflict.lifted_at.is_(None))
    parts = [select(Application.id).where(Application.organisation_id.in_(organisations)),
             select(Partner.application_id).where(Partner.organisation_id.in_(organisations)),
             named.where(~Conflict.is_pending_request)]
    requests = _requests_standing_against(user)
    if requests:
        parts.append(select(Application.id).where(Application.id.in_(requests)))
    return union(*parts)


def _requests_standing_against(user) -> list:
    """The applications where an unconfirmed request of the applicant names this person and she does not run the
    call. Who runs a call is accounts.permissions.can_manage_call's rule, asked here rather than restated in SQL;
    the requests naming one person are few (an indexed e-mail), so reading them first costs one small query."""
    pending = db.session.execute(
        select(Conflict.application_id, Call.uuid, Call.issuer)
        .join(Application, Application.id == Conflict.application_id).join(Call, Call.id == Application.call_id)
        .where(Conflict.email == user.email.lower(), Conflict.is_pending_request))
    return [application_id for application_id, call_uuid, issuer in pending
            if can_manage_call(user, call_uuid, issuer) is not None]


def reviewable(user, call: Call) -> Select:
    """Ids of the call's deposited applications this person may see on the selection side: all of them for the
    call's managers, the assigned ones for its reviewers, never one she is in conflict with."""
    query = select(Application.id).where(Application.call_id == call.id, Application.is_deposited)
    if not _signed_in(user):
        return query.where(false())
    if can_manage_call(user, call.uuid, call.issuer) is not None:
        if not is_reviewer_of(user, call.uuid):
            return query.where(false())
        query = query.where(Application.id.in_(select(Assignment.application_id)
                                                .where(Assignment.reviewer_id == user.id)))
    return query.where(Application.id.not_in(conflicted(user)))


def can_review(user, application: Application) -> Refusal | None:
    """The gate to one application on the selection side (its file, scores, decision, letters): None, or a 404
    refusal — out of her reach, not assigned to her or in conflict, she does not even learn the file exists."""
    if db.session.scalar(select(exists(reviewable(user, application.call).where(Application.id == application.id)))):
        return None
    return Refusal.not_found()


def has_conflict(user, application: Application) -> bool:
    if not _signed_in(user):
        return False
    ids = conflicted(user).subquery()
    return bool(db.session.scalar(select(exists().where(ids.c.id == application.id))))


def can_manage_selection(user, call: Call) -> Refusal | None:
    """The call's selection is run by those who run the call (accounts' can_manage_call); to anyone else its
    selection pages do not exist (404)."""
    return can_manage_call(user, call.uuid, call.issuer)


def is_assigned(user, application: Application) -> bool:
    return _signed_in(user) and bool(db.session.scalar(select(exists().where(
        Assignment.application_id == application.id, Assignment.reviewer_id == user.id))))


def can_score(user, application: Application, round_: ReviewRound | None,
              assignment: Assignment | None) -> Refusal | None:
    """An assigned committee member, once she has stated she has no conflict, during the review phase, on an
    application found recevable; else why not (the precise reasons first, the general one last)."""
    if round_ is not None and not PHASES[round_.phase].scoring:
        return Refusal(f"La phase « {PHASES[round_.phase].label} » ne permet pas de noter les candidatures.")
    mine = assignment is not None and assignment.reviewer_id == user.id
    if mine and assignment.no_conflict_declared_at is None:
        return Refusal("Déclarez d'abord que vous n'avez pas de conflit d'intérêts avec cette candidature.")
    if not _is_eligible(application):  # said before the general refusal, which includes it
        return Refusal("Cette candidature n'a pas été déclarée recevable : elle n'est pas évaluée.")
    if (round_ is None or not mine or not is_reviewer_of(user, application.call.uuid)
            or can_review(user, application) is not None):
        return Refusal("Vous ne pouvez pas évaluer cette candidature.")
    return None


def can_screen(application: Application, round_: ReviewRound | None) -> Refusal | None:
    """Eligibility is recorded on a deposited application, once its window has closed, until review starts."""
    if not application.is_deposited:
        return Refusal("Seule une candidature déposée s'examine.")
    if round_ is None:
        return Refusal("Le dépôt est encore ouvert : la recevabilité s'examine après la date limite.")
    if not PHASES[round_.phase].screening:
        return Refusal("La recevabilité ne se modifie plus une fois l'évaluation commencée.")
    return None


def _is_eligible(application: Application) -> bool:
    return bool(db.session.scalar(select(exists().where(Eligibility.application_id == application.id,
                                                        Eligibility.verdict == Verdict.ELIGIBLE))))


def can_read_other_reviews(user, application: Application, round_: ReviewRound | None, settings: ReviewSettings,
                           own: Review | None) -> Refusal | None:
    """Managers always; reviewers in deliberation, or during the review once their own is submitted if the call's
    settings say so; else when she will (none before the window's round exists)."""
    refusal = can_review(user, application)
    if refusal is not None:
        return refusal
    if round_ is not None:
        phase = PHASES[round_.phase]
        if can_manage_selection(user, application.call) is None or phase.committee_sees_all:
            return None
        if (phase.scoring and settings.others_after_own and own is not None
                and own.status == ReviewStatus.SUBMITTED):
            return None
    return Refusal("Vous lirez les autres évaluations après avoir soumis la vôtre." if settings.others_after_own
                   else "Les évaluations des autres membres du comité sont visibles à partir de la délibération.")


def sees_reviewer_names(user, call: Call, settings: ReviewSettings) -> bool:
    """In blind mode reviewers do not learn who wrote the other reviews; managers always do."""
    return not settings.blind or can_manage_selection(user, call) is None
