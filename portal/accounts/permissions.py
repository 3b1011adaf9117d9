"""Who may do what, for people, organisations and staff roles: the one place these rules live. Views,
templates and other domains call these predicates; none re-implements them inline."""

from __future__ import annotations

import uuid

from portal.accounts.models import Membership, MembershipRole, Organisation, Role, RoleGrant, User
from portal.core.errors import Refusal

ORGANISATION_ADMINS_ONLY = "Seuls les administrateurs de l'organisation peuvent faire cela."


def _grants(user) -> list[RoleGrant]:
    return list(user.grants) if getattr(user, "is_authenticated", False) else []


def is_admin(user) -> bool:
    return any(grant.role == Role.ADMIN for grant in _grants(user))


def is_manager(user) -> bool:
    """A call manager, by issuer or for one call."""
    return any(grant.role == Role.MANAGER for grant in _grants(user))


def is_staff(user) -> bool:
    """Platform administrators, call managers and reviewers: people who see the back office."""
    return bool(_grants(user))


def can_manage_issuer(user, issuer: str) -> Refusal | None:
    """Administrators and the managers of this issuer (not those named for one of its calls only): they write and
    publish its calls. To anyone else its back office does not exist (404)."""
    if is_admin(user) or any(grant.role == Role.MANAGER and grant.issuer and grant.issuer == issuer
                             for grant in _grants(user)):
        return None
    return Refusal.not_found()


def is_finance_for(user, issuer: str) -> bool:
    """The issuer's finance department (Role.FINANCE granted for this issuer): it sees the follow-up of its calls
    (conventions, tranches) read-only and certifies and records payments."""
    return any(grant.role == Role.FINANCE and grant.issuer and grant.issuer == issuer for grant in _grants(user))


def managed_issuers(user) -> set[str]:
    """The issuers her manager grants name (an administrator manages every issuer besides)."""
    return {grant.issuer for grant in _grants(user) if grant.role == Role.MANAGER and grant.issuer}


def can_manage_call(user, call_id: uuid.UUID, issuer: str) -> Refusal | None:
    """Administrators, managers of the call's issuer and managers named for this very call; to anyone else the
    call's back office does not exist (404)."""
    if can_manage_issuer(user, issuer) is None or any(grant.role == Role.MANAGER and grant.call_id == call_id
                                                      for grant in _grants(user)):
        return None
    return Refusal.not_found()


def is_reviewer_of(user, call_id: uuid.UUID) -> bool:
    """A committee member named for the call (conflicts of interest are the reviews domain's business). The same
    rule in SQL: accounts.queries.reviewer_grant_clause."""
    return any(grant.role == Role.REVIEWER and grant.call_id == call_id for grant in _grants(user))


def is_reviewer(user) -> bool:
    """A committee member of at least one call."""
    return any(grant.role == Role.REVIEWER for grant in _grants(user))


def membership_in(user, organisation_id: uuid.UUID) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return next((m for m in user.memberships if m.organisation_id == organisation_id), None)


def can_view_organisation(user, organisation: Organisation) -> Refusal | None:
    """Its members; to anyone else it does not exist (404)."""
    return None if membership_in(user, organisation.id) is not None else Refusal.not_found()


def can_manage_organisation(user, organisation: Organisation) -> Refusal | None:
    """The organisation's administrators edit it, invite, remove members and hand over the role; its other members
    are told why not (403), anyone else does not learn it exists (404)."""
    membership = membership_in(user, organisation.id)
    if membership is None:
        return Refusal.not_found()
    if membership.role != MembershipRole.ADMIN:
        return Refusal.forbidden(ORGANISATION_ADMINS_ONLY)
    return None


def can_grant_roles(user) -> Refusal | None:
    """Platform administrators; to anyone else the back office does not exist (404)."""
    return None if is_admin(user) else Refusal.not_found()


def is_signed_in_as(user, other: User) -> bool:
    return getattr(user, "is_authenticated", False) and user.id == other.id


def invitation_refusal(invited_email: str, user) -> str | None:
    """Why this person may not accept an invitation sent by e-mail, or None. A link can be forwarded, seen over a
    shoulder or left in a shared mailbox: only the account of the invited address accepts it (organisations and
    grouped applications alike)."""
    if getattr(user, "email", None) != invited_email:
        return (f"Cette invitation a été envoyée à {invited_email} : connectez-vous avec le compte de cette adresse "
                "pour l'accepter.")
    return None
