"""Who may see and change an application: the one place these rules live. The reviews domain adds its own
rules for committee members on top of these; nothing here knows of reviewers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Select, exists, select

from portal.accounts.permissions import can_manage_call, membership_in
from portal.applications.models import Application
from portal.extensions import db


def is_lead_member(user, application: Application) -> bool:
    return membership_in(user, application.organisation_id) is not None


def partner_organisation_of(user, application: Application):
    """The id of the accepted partner organisation this person acts for, else None."""
    return next((p.organisation_id for p in application.partners
                 if p.organisation_id is not None and membership_in(user, p.organisation_id) is not None), None)


# Other domains may withdraw staff access to applications without this one knowing why: the reviews domain hides
# from a manager the applications she has a conflict of interest with. Each rule maps a person to a SELECT of the
# application ids to hide from her on the staff side.
_staff_exclusions: list[Callable[[object], Select]] = []


def exclude_from_staff(rule: Callable[[object], Select]) -> None:
    if rule not in _staff_exclusions:
        _staff_exclusions.append(rule)


def hidden_from_staff(user) -> list[Select]:
    return [rule(user) for rule in _staff_exclusions] if getattr(user, "is_authenticated", False) else []


def can_manage_application(user, application: Application) -> bool:
    """The call's managers (and platform administrators), unless a rule hides this application from them."""
    if not can_manage_call(user, application.call.uuid, application.call.issuer):
        return False
    return not any(db.session.scalar(select(exists().where(Application.id == application.id,
                                                           Application.id.in_(hidden))))
                   for hidden in hidden_from_staff(user))


def can_view_application(user, application: Application) -> bool:
    """Members of the applying organisation and of its accepted partners."""
    return is_lead_member(user, application) or partner_organisation_of(user, application) is not None


def can_edit_answers(user, application: Application, moment: dt.datetime) -> bool:
    """The lead organisation's members, while the window is open and the application not withdrawn."""
    return (is_lead_member(user, application) and application.status != "withdrawn"
            and application.window.is_open_at(moment))


def can_delete_draft(user, application: Application) -> bool:
    """The lead organisation's members, while the application has never been deposited: once deposited, the
    service has seen it, and it is withdrawn instead."""
    return is_lead_member(user, application) and application.status == "draft" and not application.versions


def can_withdraw(user, application: Application) -> bool:
    """The lead organisation's members, once the application is deposited (a draft never deposited is deleted)."""
    return is_lead_member(user, application) and application.status == "submitted"


def can_add_documents(user, application: Application, moment: dt.datetime) -> bool:
    """Lead and partner members while the window is open; after closing, only through a request for pieces."""
    return (can_view_application(user, application) and application.status != "withdrawn"
            and application.window.is_open_at(moment))


def open_piece_request(application: Application, moment: dt.datetime):
    if application.locked_at is not None:
        return None  # the review has started: requests still open lapse
    return next((r for r in application.piece_requests if r.is_open_at(moment)), None)
