"""Staff roles: granted and withdrawn by platform administrators, each change in the audit log."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from portal.accounts.models import Role, RoleGrant, User
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.time import now
from portal.extensions import db


def grant_role(user: User, role: Role | str, by: User | None, *, issuer: str | None = None,
               call_id: uuid.UUID | None = None) -> RoleGrant:
    try:
        role = Role(role)
    except ValueError as unknown:
        raise Refusal("Rôle inconnu.", field="role") from unknown
    if role == Role.ADMIN:
        issuer = call_id = None
    elif role == Role.MANAGER and bool(issuer) == bool(call_id):
        raise Refusal("Un gestionnaire agit soit pour tous les appels d'un émetteur, soit pour un appel nommé : "
                        "choisissez l'un des deux.")
    elif role == Role.REVIEWER:
        issuer = None
        if not call_id:
            raise Refusal("Choisissez l'appel dont cette personne évaluera les candidatures.")
    elif role == Role.FINANCE:
        call_id = None
        if not issuer:
            raise Refusal("Choisissez l'émetteur dont cette personne certifiera le service fait et les paiements.")
    duplicate = db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.role == role,
                                                          RoleGrant.issuer.is_(None) if issuer is None
                                                          else RoleGrant.issuer == issuer,
                                                          RoleGrant.call_id.is_(None) if call_id is None
                                                          else RoleGrant.call_id == call_id))
    if duplicate is not None:
        raise Refusal("Cette personne a déjà ce rôle.")
    grant = RoleGrant(user=user, role=role, issuer=issuer or None, call_id=call_id, granted_by_id=getattr(by, "id", None),
                      granted_at=now())
    db.session.add(grant)
    audit.record("role.grant", actor=by, target=f"user:{user.id}", email=user.email, role=role, issuer=issuer,
                 call_id=str(call_id) if call_id else None)
    db.session.flush()
    return grant


def withdraw_role(grant: RoleGrant, by: User) -> None:
    audit.record("role.withdraw", actor=by, target=f"user:{grant.user_id}", email=grant.user.email, role=grant.role,
                 issuer=grant.issuer, call_id=str(grant.call_id) if grant.call_id else None)
    db.session.delete(grant)
    db.session.flush()
