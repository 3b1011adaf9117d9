"""Organisations and their members: creation, identity, invitations, removal, hand-over of the admin role."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import or_, select

from portal.accounts import identifiers
from portal.accounts.models import Invitation, Membership, MembershipRole, Organisation, User
from portal.accounts.permissions import invitation_refusal
from portal.accounts.queries import members_of, normalise_email
from portal.core import audit, mail
from portal.core.errors import Refusal
from portal.core.time import now
from portal.core.urls import external_url
from portal.extensions import db

INVITATION_DAYS = 14


@dataclass
class Identity:
    legal_name: str
    legal_form: str
    address: str
    postcode: str
    city: str
    representative_name: str
    representative_role: str
    acronym: str | None = None
    rna: str | None = None
    siret: str | None = None
    email: str | None = None
    phone: str | None = None


def create_organisation(identity: Identity, by: User) -> Organisation:
    """The creator becomes the organisation's administrator."""
    organisation = Organisation(created_at=now(), **vars(identity))
    db.session.add(organisation)
    db.session.flush()
    db.session.add(Membership(organisation=organisation, user=by, role=MembershipRole.ADMIN, joined_at=now()))
    audit.record("organisation.create", actor=by, target=f"organisation:{organisation.id}",
                 name=organisation.legal_name)
    db.session.flush()
    return organisation


def find_or_register(identity: Identity, by: User) -> tuple[Organisation, bool]:
    """The organisation a file received by post or e-mail comes from: the known one with this SIRET (or SIREN) or
    RNA, else a new one with no member, created by the staff who registers the file (its people may join it later
    by invitation). Returns (it, created)."""
    known = None
    if identity.siret:
        known = db.session.scalar(select(Organisation).where(Organisation.siret == identity.siret).limit(1))
    if known is None and identity.rna:
        known = db.session.scalar(select(Organisation).where(Organisation.rna == identity.rna).limit(1))
    if known is not None:
        return known, False
    organisation = Organisation(created_at=now(), **vars(identity))
    db.session.add(organisation)
    db.session.flush()
    audit.record("organisation.create", actor=by, target=f"organisation:{organisation.id}",
                 name=organisation.legal_name, without_member=True)
    if organisation.email:
        # Nobody administers it yet, so nobody could invite its people: its contact is invited, and administers it.
        invite(organisation, organisation.email, by, registered=True)
    return organisation, True


def search(text: str, limit: int = 20) -> list[Organisation]:
    """Organisations whose SIRET (or SIREN), RNA or name matches what staff typed, for the registration's search."""
    cleaned = identifiers.clean(text)
    if len(cleaned) < 3:
        return []
    query = select(Organisation).where(or_(Organisation.siret.startswith(cleaned, autoescape=True),
                                           Organisation.rna == cleaned,
                                           Organisation.legal_name.icontains(text.strip(), autoescape=True)))
    return list(db.session.scalars(query.order_by(Organisation.legal_name).limit(limit)))


def update_organisation(organisation: Organisation, identity: Identity, by: User) -> None:
    changed = sorted(key for key, value in vars(identity).items() if getattr(organisation, key) != value)
    for key, value in vars(identity).items():
        setattr(organisation, key, value)
    audit.record("organisation.update", actor=by, target=f"organisation:{organisation.id}", fields=changed)
    db.session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(organisation: Organisation, email: str, by: User, registered: bool = False) -> Invitation:
    """`registered`: the organisation was created by the service that registered its file received by post or
    e-mail (the mail says so)."""
    email = normalise_email(email)
    if any(m.user.email == email for m in members_of(organisation)):
        raise Refusal(f"{email} fait déjà partie de l'organisation.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(organisation=organisation, email=email, token_hash=_token_hash(token), invited_by_id=by.id,
                            created_at=now(), expires_at=now() + dt.timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    mail.enqueue(email, f"Invitation à rejoindre {organisation.legal_name}", "invitation", inviter=by.name,
                 organisation=organisation.legal_name, days=INVITATION_DAYS, registered=registered,
                 url=external_url("accounts.invitation", token=token))
    audit.record("organisation.invite", actor=by, target=f"organisation:{organisation.id}", email=email)
    db.session.flush()
    return invitation


def invitation_for_token(token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if invitation is None:
        raise Refusal("Cette invitation n'existe pas ou a été annulée.")
    if invitation.accepted_at is not None:
        raise Refusal("Cette invitation a déjà été acceptée.")
    if invitation.expires_at <= now():
        raise Refusal("Cette invitation a expiré : demandez à l'administrateur de l'organisation de vous "
                              "inviter de nouveau.")
    return invitation


def accept_invitation(token: str, user: User) -> Membership:
    invitation = invitation_for_token(token)
    refusal = invitation_refusal(invitation.email, user)
    if refusal:
        raise Refusal(refusal)
    existing = db.session.scalar(select(Membership).where(Membership.organisation_id == invitation.organisation_id,
                                                          Membership.user_id == user.id))
    invitation.accepted_at = now()
    # The first to join an organisation nobody administers (one the service created) administers it.
    role = MembershipRole.MEMBER if _admins(invitation.organisation) else MembershipRole.ADMIN
    membership = existing or Membership(organisation_id=invitation.organisation_id, user=user, role=role,
                                        joined_at=now())
    db.session.add(membership)
    audit.record("organisation.join", actor=user, target=f"organisation:{invitation.organisation_id}")
    db.session.flush()
    return membership


def cancel_invitation(invitation: Invitation, by: User) -> None:
    audit.record("organisation.invitation_cancelled", actor=by, target=f"organisation:{invitation.organisation_id}",
                 email=invitation.email)
    db.session.delete(invitation)
    db.session.flush()


def _admins(organisation: Organisation) -> list[Membership]:
    return [m for m in members_of(organisation) if m.role == MembershipRole.ADMIN]


def remove_member(organisation: Organisation, membership: Membership, by: User) -> None:
    """Administrators remove members; anyone may leave. The last administrator must hand over first."""
    if membership.role == MembershipRole.ADMIN and len(_admins(organisation)) == 1:
        raise Refusal("L'organisation doit garder un administrateur : transmettez d'abord ce rôle à un "
                              "autre membre.")
    audit.record("organisation.remove_member", actor=by, target=f"organisation:{organisation.id}",
                 email=membership.user.email)
    db.session.delete(membership)
    db.session.flush()


def hand_over(organisation: Organisation, to: Membership, by: User) -> None:
    """The administrator makes another member administrator and becomes a member."""
    current = next((m for m in _admins(organisation) if m.user_id == by.id), None)
    if current is None or to.user_id == by.id:
        raise Refusal("Choisissez un autre membre de l'organisation.")
    to.role, current.role = MembershipRole.ADMIN, MembershipRole.MEMBER
    audit.record("organisation.hand_over", actor=by, target=f"organisation:{organisation.id}", to=to.user.email)
    db.session.flush()
