"""Reads of people, organisations and roles."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Exists, exists, func, or_, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import (
    Agrement,
    Invitation,
    Membership,
    Organisation,
    Role,
    RoleGrant,
    User,
    VaultDocument,
)
from portal.accounts.permissions import can_view_organisation
from portal.core.time import now
from portal.extensions import db


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None)))


def organisation_for(user, organisation_id: uuid.UUID) -> Organisation | None:
    """The organisation if the person is one of its members, else None (the view answers 404)."""
    organisation = db.session.get(Organisation, organisation_id)
    return organisation if organisation is not None and can_view_organisation(user, organisation) is None else None


def memberships_of(user: User) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).where(Membership.user_id == user.id)
        .options(selectinload(Membership.organisation)).join(Membership.organisation)
        .order_by(Organisation.legal_name)))


def members_of(organisation: Organisation) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).where(Membership.organisation_id == organisation.id)
        .options(selectinload(Membership.user)).join(Membership.user)
        .order_by(Membership.role, User.name)))


def member(organisation: Organisation, membership_id: uuid.UUID) -> Membership | None:
    return db.session.scalar(select(Membership).where(Membership.id == membership_id,
                                                      Membership.organisation_id == organisation.id))


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).where(Invitation.organisation_id == organisation.id, Invitation.accepted_at.is_(None),
                                 Invitation.expires_at > now()).order_by(Invitation.created_at)))


def invitation(organisation: Organisation, invitation_id: uuid.UUID) -> Invitation | None:
    return db.session.scalar(select(Invitation).where(Invitation.id == invitation_id,
                                                      Invitation.organisation_id == organisation.id))


def agrements_of(organisation: Organisation) -> list[Agrement]:
    return list(db.session.scalars(select(Agrement).where(Agrement.organisation_id == organisation.id)
                                   .order_by(Agrement.issued_on.desc())))


def agrement(organisation: Organisation, agrement_id: uuid.UUID) -> Agrement | None:
    return db.session.scalar(select(Agrement).where(Agrement.id == agrement_id,
                                                    Agrement.organisation_id == organisation.id))


def vault_of(organisation: Organisation) -> list[VaultDocument]:
    return list(db.session.scalars(select(VaultDocument).where(VaultDocument.organisation_id == organisation.id)
                                   .order_by(VaultDocument.kind, VaultDocument.year.desc(), VaultDocument.label)))


def vault_document(organisation: Organisation, document_id: uuid.UUID) -> VaultDocument | None:
    return db.session.scalar(select(VaultDocument).where(VaultDocument.id == document_id,
                                                         VaultDocument.organisation_id == organisation.id))


def search_users(text: str = "", limit: int = 100) -> list[User]:
    query = select(User).where(User.deleted_at.is_(None)).options(selectinload(User.grants)).order_by(User.name)
    if text.strip():
        pattern = f"%{text.strip().lower()}%"
        query = query.where(or_(User.email.like(pattern), func.lower(User.name).like(pattern)))
    return list(db.session.scalars(query.limit(limit)))


def grant(grant_id: int) -> RoleGrant | None:
    return db.session.get(RoleGrant, grant_id)


def reviewer_grant_clause(user_id: int | ColumnElement, call_id: uuid.UUID | ColumnElement | None = None) -> Exists:
    """SQL for « the person holds the reviewer role for the call » (permissions.is_reviewer_of in Python): user_id
    and call_id are values or columns of the enclosing query (Review.reviewer_id, Call.uuid); without call_id,
    for any call."""
    condition = [RoleGrant.user_id == user_id, RoleGrant.role == Role.REVIEWER]
    if call_id is not None:
        condition.append(RoleGrant.call_id == call_id)
    return exists().where(*condition)


def reviewer_grant(user: User, call_id: uuid.UUID) -> RoleGrant | None:
    """The grant that makes the person a committee member of the call, if she is one."""
    return db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.role == Role.REVIEWER,
                                                     RoleGrant.call_id == call_id))


def reviewers_of(call_id: uuid.UUID) -> list[User]:
    return list(db.session.scalars(select(User).where(reviewer_grant_clause(User.id, call_id)).order_by(User.name)))


def managers_of(call_id: uuid.UUID, issuer: str) -> list[User]:
    """The managers of a call: named for it or for its issuer (the platform's administrators are not listed)."""
    return list(db.session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                   .where(RoleGrant.role == Role.MANAGER,
                                          or_(RoleGrant.call_id == call_id, RoleGrant.issuer == issuer))
                                   .distinct().order_by(User.name)))
