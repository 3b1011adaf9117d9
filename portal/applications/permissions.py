"""Who may see and change an application: the one place these rules live. The reviews domain adds its own
rules for committee members on top of these; nothing here knows of reviewers."""

from __future__ import annotations

import datetime as dt

from portal.accounts.permissions import can_manage_call, membership_in
from portal.applications.models import Application


def is_lead_member(user, application: Application) -> bool:
    return membership_in(user, application.organisation_id) is not None


def partner_organisation_of(user, application: Application):
    """The id of the accepted partner organisation this person acts for, else None."""
    return next((p.organisation_id for p in application.partners
                 if p.organisation_id is not None and membership_in(user, p.organisation_id) is not None), None)


def can_manage_application(user, application: Application) -> bool:
    """The call's managers (and platform administrators)."""
    return can_manage_call(user, application.call.uuid, application.call.issuer)


def can_view_application(user, application: Application) -> bool:
    """Members of the applying organisation and of its accepted partners."""
    return is_lead_member(user, application) or partner_organisation_of(user, application) is not None


def can_edit_answers(user, application: Application, moment: dt.datetime) -> bool:
    """The lead organisation's members, while the window is open and the application not withdrawn."""
    return (is_lead_member(user, application) and application.status != "withdrawn"
            and application.window.is_open_at(moment))


def can_add_documents(user, application: Application, moment: dt.datetime) -> bool:
    """Lead and partner members while the window is open; after closing, only through a request for pieces."""
    return (can_view_application(user, application) and application.status != "withdrawn"
            and application.window.is_open_at(moment))


def open_piece_request(application: Application, moment: dt.datetime):
    if application.locked_at is not None:
        return None  # the review has started: requests still open lapse
    return next((r for r in application.piece_requests if r.is_open_at(moment)), None)
