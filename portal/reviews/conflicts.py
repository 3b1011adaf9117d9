"""Conflicts of interest: detected from memberships, declared by a reviewer, named by an applicant or recorded by a
manager; confirmed or (unless detected) lifted by a manager. Whether a person is in conflict is decided by
permissions.conflicted / has_conflict alone; this module keeps the table and draws the consequences: a person in
conflict loses her assignment and her draft review (a submitted review stays stored, but no longer counts since
the aggregates count only the reviews of people still assigned)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from portal.accounts.models import Membership, User
from portal.accounts.queries import normalise_email, user_by_email
from portal.applications.models import Application, Partner
from portal.catalog.models import Call
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.time import now
from portal.extensions import db
from portal.reviews import permissions, rounds
from portal.reviews.models import Assignment, Conflict, Review
from portal.reviews.phases import PHASES
from portal.reviews.queries import committee_of
from portal.reviews.states import ConflictKind, DeclaredBy, ReviewStatus

SYSTEM_KINDS = tuple(k for k in ConflictKind if k.is_detected)  # never declared by hand, never lifted
DECLARABLE_KINDS = {k: k.label for k in ConflictKind if not k.is_detected}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _target(application_id) -> str:
    return f"application:{application_id}"


def _person(email: str) -> User | None:
    return user_by_email(email)


def _withdraw_from(application: Application, person: User | None, by, at: dt.datetime, why: str) -> None:
    """A person in conflict with an application loses its assignment and her draft review, audited. Her submitted
    review stays stored (it is evidence) but stops counting, since the assignment is gone."""
    if person is None or not permissions.has_conflict(person, application):
        return
    round_ = rounds.round_of(application.window, at)
    if round_ is not None and PHASES[round_.phase].read_only:
        return  # decisions published: the record of who reviewed what stays as it was
    assignment = db.session.scalar(select(Assignment).where(Assignment.application_id == application.id,
                                                            Assignment.reviewer_id == person.id))
    review = db.session.scalar(select(Review).where(Review.application_id == application.id,
                                                    Review.reviewer_id == person.id))
    draft_deleted = review is not None and review.status == ReviewStatus.DRAFT
    if assignment is None and not draft_deleted:
        return
    if assignment is not None:
        db.session.delete(assignment)
    if draft_deleted:
        db.session.delete(review)
    audit.record("review.unassign", actor=by, target=_target(application.id), reviewer=person.email,
                 reason=why, assignment_removed=assignment is not None, draft_review_deleted=draft_deleted,
                 submitted_review_kept=review is not None and review.status == ReviewStatus.SUBMITTED)


def _refuse_when_read_only(application: Application, at: dt.datetime) -> None:
    round_ = rounds.round_of(application.window, at)
    if round_ is not None and PHASES[round_.phase].read_only:
        raise Refusal("Les décisions sont publiées : plus rien ne change pour cette candidature.")


def _unrecorded(call: Call) -> list[tuple]:
    """(application id, reviewer, kind) for every reviewer of the call who belongs to an applying organisation
    (lead) or to an accepted partner of a deposited application, and whom no « system » row records yet."""
    reviewers = committee_of(call)
    if not reviewers:
        return []
    by_id = {r.id: r for r in reviewers}
    deposited = select(Application.id).where(Application.call_id == call.id, Application.is_deposited)
    lead = db.session.execute(
        select(Application.id, Membership.user_id).join(Membership, Membership.organisation_id ==
                                                         Application.organisation_id)
        .where(Application.id.in_(deposited), Membership.user_id.in_(by_id)))
    partner = db.session.execute(
        select(Partner.application_id, Membership.user_id).join(Membership, Membership.organisation_id ==
                                                                Partner.organisation_id)
        .where(Partner.application_id.in_(deposited), Partner.accepted_at.is_not(None),
               Membership.user_id.in_(by_id)))
    wanted = {(app_id, user_id, ConflictKind.MEMBER) for app_id, user_id in lead}
    wanted |= {(app_id, user_id, ConflictKind.PARTNER) for app_id, user_id in partner}
    if not wanted:
        return []
    existing = set(map(tuple, db.session.execute(
        select(Conflict.application_id, Conflict.email, Conflict.kind)
        .where(Conflict.application_id.in_({w[0] for w in wanted}), Conflict.kind.in_(SYSTEM_KINDS)))))
    return [(app_id, by_id[user_id], kind)
            for app_id, user_id, kind in sorted(wanted, key=lambda w: (str(w[0]), by_id[w[1]].email, w[2]))
            if (app_id, by_id[user_id].email, kind) not in existing]


def detected_unrecorded(call: Call, at: dt.datetime | None = None) -> list[Conflict]:
    """The conflicts the rule already enforces from memberships that no row records yet, as unsaved rows for the
    managers' lists: a GET never writes (GUIDE.md), so sync_automatic records them at the next change of the
    committee or of the assignments, not when someone looks."""
    at = at or now()
    return [Conflict(application_id=app_id, email=person.email, user_id=person.id, kind=kind,
                     declared_by_role=DeclaredBy.SYSTEM, declared_by_id=None, declared_at=at)
            for app_id, person, kind in _unrecorded(call)]


def sync_automatic(call: Call, by=None, at: dt.datetime | None = None) -> list[Conflict]:
    """Record as « system » conflicts every reviewer of the call who belongs to an applying organisation (lead)
    or to an accepted partner of a deposited application, and draw the consequences. Idempotent: rows already
    there stay as they are. The rule itself lives in permissions.conflicted; these rows make it visible."""
    at = at or now()
    missing = _unrecorded(call)
    if not missing:
        return []
    created = []
    applications = {a.id: a for a in db.session.scalars(select(Application).where(
        Application.id.in_({app_id for app_id, _, _ in missing})))}
    for app_id, person, kind in missing:
        conflict = Conflict(application_id=app_id, email=person.email, user_id=person.id, kind=kind,
                            declared_by_role=DeclaredBy.SYSTEM, declared_by_id=None, declared_at=at)
        db.session.add(conflict)
        created.append(conflict)
        audit.record("review.conflict_detect", actor=by, target=_target(app_id), email=person.email, kind=kind)
        db.session.flush()
        _withdraw_from(applications[app_id], person, by, at, f"conflit détecté : {ConflictKind(kind).label}")
    db.session.flush()
    return created


def declare(application: Application, email: str, kind: str, reason: str | None, role: str, by,
            at: dt.datetime) -> Conflict:
    """Record a conflict between a person (by e-mail: she may have no account yet) and an application. It stands
    at once and the person loses her assignment and draft review — unless the applicant named someone who runs the
    call: that request waits for a manager (permissions.conflicted). A declaration already there is not
    duplicated."""
    email = normalise_email(email)
    reason = (reason or "").strip() or None
    if role not in DeclaredBy.__members__.values():
        raise ValueError(role)
    if not EMAIL.match(email):
        raise Refusal("Indiquez une adresse électronique valide (exemple : nom@exemple.fr).")
    if kind not in (list(ConflictKind) if role == DeclaredBy.SYSTEM else DECLARABLE_KINDS):
        raise Refusal("Choisissez la nature du conflit dans la liste.")
    if role != DeclaredBy.SYSTEM and not reason:
        raise Refusal("Expliquez en quelques mots la nature du conflit.")
    _refuse_when_read_only(application, at)
    conflict = db.session.scalar(select(Conflict).where(Conflict.application_id == application.id,
                                                        Conflict.email == email, Conflict.kind == kind))
    person = _person(email)
    if conflict is not None and conflict.lifted_at is None:
        if role == DeclaredBy.APPLICANT and conflict.declared_by_role != DeclaredBy.APPLICANT:
            return conflict  # the applicant learns nothing of who else declared what
        if role == DeclaredBy.MANAGER and conflict.is_pending_request:
            raise Refusal("Le candidat a déjà signalé ce conflit : confirmez sa demande dans la liste des "
                              "conflits d'intérêts de la candidature.")
        raise Refusal("Ce conflit est déjà enregistré pour cette personne et cette candidature.")
    if conflict is not None:  # lifted earlier: a new declaration makes it stand again
        audit.record("review.conflict_declare", actor=by, target=_target(application.id), email=email, kind=kind,
                     role=role, reason=reason, reinstated_after_lift=conflict.lift_reason)
        conflict.declared_by_role, conflict.reason, conflict.declared_by_id = role, reason, getattr(by, "id", None)
        conflict.declared_at, conflict.user_id = at, person.id if person else conflict.user_id
        conflict.lifted_at = conflict.lifted_by_id = conflict.lift_reason = None
        conflict.confirmed_at = conflict.confirmed_by_id = None
    else:
        conflict = Conflict(application_id=application.id, email=email, user_id=person.id if person else None,
                            kind=kind, declared_by_role=role, reason=reason, declared_by_id=getattr(by, "id", None),
                            declared_at=at)
        db.session.add(conflict)
        audit.record("review.conflict_declare", actor=by, target=_target(application.id), email=email, kind=kind,
                     role=role, reason=reason)
    db.session.flush()
    _withdraw_from(application, person, by, at, f"conflit déclaré : {ConflictKind(kind).label}")
    db.session.flush()
    return conflict


def declare_none(assignment: Assignment, by, at: dt.datetime) -> None:
    """The assigned reviewer states she has no conflict with the application; its file then opens to her."""
    if getattr(by, "id", None) != assignment.reviewer_id:
        raise Refusal("Seule la personne affectée peut faire cette déclaration.")
    if assignment.no_conflict_declared_at is not None:
        return
    assignment.no_conflict_declared_at = at
    audit.record("review.no_conflict", actor=by, target=_target(assignment.application_id), reviewer=by.email,
                 declared_at=at.isoformat())
    db.session.flush()


def _managed(conflict: Conflict, by) -> Application:
    """The application, if `by` runs its call and may see it. A manager named in a pending request still may: the
    request spares her until confirmed (permissions.conflicted), so that it can always be decided — even when she
    is the only manager of the call. The audit entry then says she decided a request naming herself."""
    application = db.session.get(Application, conflict.application_id)
    if (permissions.can_manage_selection(by, application.call) is not None
            or permissions.can_review(by, application) is not None):
        raise Refusal("Seul un gestionnaire de l'appel peut faire cela.")
    return application


def _named_self(conflict: Conflict, by) -> bool:
    return normalise_email(getattr(by, "email", "") or "") == conflict.email


def confirm(conflict: Conflict, by, at: dt.datetime) -> None:
    """A manager confirms a conflict. One declared by a reviewer or a manager stood already: this records that she
    checked it. A request of the applicant now stands against everyone, the people who run the call included."""
    application = _managed(conflict, by)
    _refuse_when_read_only(application, at)
    if conflict.lifted_at is not None:
        raise Refusal("Ce conflit a été levé : il ne peut plus être confirmé.")
    if conflict.confirmed_at is not None:
        raise Refusal("Ce conflit est déjà confirmé.")
    request = conflict.is_pending_request
    conflict.confirmed_at, conflict.confirmed_by_id = at, by.id
    audit.record("review.conflict_confirm", actor=by, target=_target(application.id), email=conflict.email,
                 kind=conflict.kind, applicant_request=request, decided_by_the_person_named=_named_self(conflict, by))
    db.session.flush()
    if request:  # a manager or administrator it spared may hold an assignment too
        _withdraw_from(application, _person(conflict.email), by, at,
                       f"conflit signalé par le candidat et confirmé : {ConflictKind(conflict.kind).label}")


def lift(conflict: Conflict, reason: str | None, by, at: dt.datetime) -> None:
    """A manager lifts a declared conflict, or refuses a request of the applicant, with a reason. One detected from
    memberships cannot be lifted: it would come back at once, since the membership is the conflict."""
    application = _managed(conflict, by)
    reason = (reason or "").strip()
    if conflict.kind in SYSTEM_KINDS:
        raise Refusal("Un conflit détecté d'après l'appartenance à une organisation ne peut pas être levé.")
    if conflict.lifted_at is not None:
        raise Refusal("Ce conflit est déjà levé.")
    if not reason:
        raise Refusal("Indiquez pourquoi ce conflit est levé.")
    _refuse_when_read_only(application, at)
    request = conflict.is_pending_request
    conflict.lifted_at, conflict.lifted_by_id, conflict.lift_reason = at, by.id, reason
    audit.record("review.conflict_lift", actor=by, target=_target(application.id), email=conflict.email,
                 kind=conflict.kind, reason=reason, applicant_request=request,
                 decided_by_the_person_named=_named_self(conflict, by))
    db.session.flush()
