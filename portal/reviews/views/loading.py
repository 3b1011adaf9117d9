"""Loading what a manager's URL names, or answering 404: one place for the selection pages' doors, so that no
page forgets the conflict check (permissions.can_review) or lets a person learn that a selection is under way."""

from __future__ import annotations

import uuid

from flask import abort
from flask_login import current_user

from portal.applications import queries as applications
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.catalog.queries import get_call
from portal.core.time import now
from portal.reviews import permissions, rounds
from portal.reviews.models import ReviewRound


def managed_call(slug: str) -> Call:
    """The call, for its managers only."""
    call = get_call(slug)
    if call is None or permissions.can_manage_selection(current_user, call) is not None:
        abort(404)
    return call


def window_of(call: Call, key: str) -> Window:
    return next((w for w in call.windows if w.key == key), None) or abort(404)


def managed_window(slug: str, key: str) -> tuple[Call, Window, ReviewRound]:
    """The call, window and round for the call's managers, once the window has closed."""
    call = managed_call(slug)
    window = window_of(call, key)
    round_ = rounds.round_of(window, now()) or abort(404)
    return call, window, round_


def managed_application(application_id: uuid.UUID) -> Application:
    """A deposited application, for the call's managers who are not in conflict with it."""
    application = applications.get(application_id)
    if (application is None or not application.is_deposited
            or permissions.can_manage_selection(current_user, application.call) is not None
            or permissions.can_review(current_user, application) is not None):
        abort(404)
    return application
