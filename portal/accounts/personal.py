"""A person's data: export as JSON, deletion of the account. Every domain registers what it keeps with
core.personal_data, so this covers tables the accounts domain does not know."""

from __future__ import annotations

from portal.accounts import sessions
from portal.accounts.models import LEGAL_FORMS, MembershipRole, User
from portal.accounts.queries import members_of, memberships_of
from portal.core import audit, personal_data
from portal.core.errors import Refusal
from portal.core.time import now
from portal.extensions import db


def export(user: User) -> dict:
    data = {
        "compte": {"email": user.email, "nom": user.name, "cree_le": user.created_at.isoformat(),
                   "confirme_le": user.confirmed_at.isoformat() if user.confirmed_at else None,
                   "derniere_connexion": user.last_login_at.isoformat() if user.last_login_at else None},
        "organisations": [
            {"nom": m.organisation.legal_name, "forme": LEGAL_FORMS.get(m.organisation.legal_form),
             "role": m.role_label, "depuis": m.joined_at.isoformat()}
            for m in memberships_of(user)],
        "connexions": sessions.export(user),
        "roles": [{"role": g.role, "emetteur": g.issuer, "appel": str(g.call_id) if g.call_id else None,
                   "depuis": g.granted_at.isoformat()} for g in user.grants],
    }
    data.update(personal_data.export_all(user.id, user.email))
    return data


def delete_account(user: User) -> None:
    """Remove the person; what organisations must keep (their submitted applications) stays with the
    organisation, detached from the person. The last administrator of an organisation with other members
    hands over first, so no organisation is left without one."""
    for membership in memberships_of(user):
        others = [m for m in members_of(membership.organisation) if m.user_id != user.id]
        admin = MembershipRole.ADMIN
        if membership.role == admin and others and not any(m.role == admin for m in others):
            raise Refusal(f"Vous êtes le seul administrateur de « {membership.organisation.legal_name} » : "
                          "transmettez ce rôle à un autre membre avant de supprimer votre compte.")
    user_id, email = user.id, user.email
    personal_data.erase_all(user_id, email)
    for membership in list(user.memberships):
        db.session.delete(membership)
    for grant in list(user.grants):
        db.session.delete(grant)
    user.email = f"supprime-{user_id}@invalid"
    user.name = "Compte supprimé"
    user.password_hash = "!"
    user.deleted_at = now()
    sessions.end_all(user, user.deleted_at, "account_deleted")
    audit.record("account.delete", target=f"user:{user_id}")
    db.session.flush()
