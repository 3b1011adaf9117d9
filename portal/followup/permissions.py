"""Who may see and act on the follow-up of an award: the one place these rules live (issue 17).

The call's managers see and manage a convention (applications' can_manage_application: a manager in conflict of
interest with the file does not see it); the lead organisation's members see it and upload their signed copy; the
issuer's finance department sees it read-only; to anyone else it does not exist (404)."""

from __future__ import annotations

from sqlalchemy import exists, select

from portal.accounts.permissions import is_finance_for
from portal.applications.models import Application
from portal.applications.permissions import (
    can_manage_application,
    can_view_application,
    hidden_from_staff,
    is_lead_member,
)
from portal.core.errors import Refusal
from portal.extensions import db
from portal.followup.models import Convention

__all__ = ["visible_conventions", "can_manage_convention", "can_prepare_convention", "can_sign_for_organisation", "can_view_as_organisation",
           "can_view_convention",
           "can_view_convention_as_staff", "is_finance_for"]


def visible_conventions(user) -> list:
    """SQL conditions leaving out the conventions whose application a rule hides from this person (a conflict of
    interest with the file): for every list and aggregate of the follow-up, as can_view_convention_as_staff is for
    one convention. None: no person, nothing hidden (a command)."""
    return [Convention.application_id.not_in(hidden) for hidden in hidden_from_staff(user)] if user is not None else []


def _application(convention_or_application) -> Application:
    """The application of a convention (or the application itself)."""
    if isinstance(convention_or_application, Application):
        return convention_or_application
    return db.session.get(Application, convention_or_application.application_id)


def can_manage_convention(user, convention) -> Refusal | None:
    """Draft, send, amend, record the issuer's signature: the call's managers (not in conflict with the file)."""
    return can_manage_application(user, _application(convention))


def can_prepare_convention(user, application) -> Refusal | None:
    """Drafting a convention for an application: the same people as managing it."""
    return can_manage_application(user, application)


def _hidden_from(user, application: Application) -> bool:
    """Whether a rule of another domain hides the file from this person on the staff side (a conflict of interest
    with it): as for its managers, so for the issuer's finance department."""
    return any(db.session.scalar(select(exists().where(Application.id == application.id, Application.id.in_(hidden))))
               for hidden in hidden_from_staff(user))


def can_view_convention_as_staff(user, convention) -> Refusal | None:
    """The staff side of a convention: its managers, and the issuer's finance department (read-only) unless she is
    in conflict of interest with the file."""
    application = _application(convention)
    if can_manage_application(user, application) is None:
        return None
    if is_finance_for(user, application.call.issuer) and not _hidden_from(user, application):
        return None
    return Refusal.not_found()


def can_view_convention(user, convention) -> Refusal | None:
    """Its managers, the issuer's finance department, and the members of the organisation (lead and accepted
    partners, as for the application); to anyone else it does not exist (404)."""
    if can_view_convention_as_staff(user, convention) is None:
        return None
    return can_view_application(user, _application(convention))


def can_view_as_organisation(user, convention) -> Refusal | None:
    """The organisation's side of a convention: the members of the lead organisation and accepted partners."""
    return can_view_application(user, _application(convention))


def can_sign_for_organisation(user, convention) -> Refusal | None:
    """Uploading the organisation's signed copy: the lead organisation's members only (a partner's member is told
    why not, anyone else does not learn it exists)."""
    application = _application(convention)
    if is_lead_member(user, application):
        return None
    if can_view_application(user, application) is None:
        return Refusal.forbidden("Seule l'organisation porteuse signe la convention.")
    return Refusal.not_found()
