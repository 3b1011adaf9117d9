"""A call's committee: the people holding the reviewer role for it, named and removed by its managers. The role
is the accounts domain's grant; this module adds what the selection needs around it (an account must exist,
conflicts from memberships are recorded at once)."""

from __future__ import annotations

from portal.accounts import roles
from portal.accounts.models import Role, User
from portal.accounts.permissions import is_reviewer_of
from portal.accounts.queries import reviewer_grant, user_by_email
from portal.catalog.models import Call
from portal.core import audit
from portal.core.errors import Refusal
from portal.reviews import conflicts


def add_reviewer(call: Call, email: str, by) -> User:
    """Name a person to the committee. She needs an account first: the committee is made of people who sign in."""
    person = user_by_email(email)
    if person is None:
        raise Refusal("Aucun compte n'existe pour cette adresse : demandez à la personne de créer son compte, "
                          "puis ajoutez-la.")
    if is_reviewer_of(person, call.uuid):
        raise Refusal(f"{person.name} fait déjà partie du comité de cet appel.")
    roles.grant_role(person, Role.REVIEWER, by, call_id=call.uuid)  # refuses with its reason
    audit.record("review.committee_add", actor=by, target=f"call:{call.id}", email=person.email, name=person.name)
    conflicts.sync_automatic(call, by)  # in the same transaction: a member is never named without her conflicts
    return person


def remove_reviewer(call: Call, person: User, by) -> None:
    """Withdraw the reviewer role for this call. Her assignments stay recorded (so that a return restores them)
    but give no access: every predicate requires the role."""
    grant = reviewer_grant(person, call.uuid)
    if grant is None:
        raise Refusal(f"{person.name} ne fait pas partie du comité de cet appel.")
    audit.record("review.committee_remove", actor=by, target=f"call:{call.id}", email=person.email,
                 name=person.name)
    roles.withdraw_role(grant, by)  # with its own audit entry
    conflicts.sync_automatic(call, by)
