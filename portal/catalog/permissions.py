"""Who may manage an e-mail alert (the account that made it, or the person holding its address), and who writes
and publishes calls in the browser (the issuer's managers, the platform's administrators)."""

from __future__ import annotations

import uuid

from flask import current_app

from portal.catalog.alerts import Alert
from portal.core.errors import Refusal


def can_manage_alert(user, alert: Alert) -> Refusal | None:
    """Someone else's alert does not exist for her (404): an address is not disclosed."""
    if getattr(user, "is_authenticated", False) and (alert.user_id == user.id or alert.email == user.email):
        return None
    return Refusal.not_found()


# ---- calls written in the browser (authoring) -------------------------------------------------------------------
# Who manages an issuer is the accounts domain's rule, which the catalogue may not import: create_app hands it its
# predicate (accounts.permissions.can_manage_call) through `use_staff_rule`.
_NO_CALL = uuid.UUID(int=0)  # no grant names the nil UUID: only the issuer's managers and administrators pass


def use_staff_rule(app, can_manage_call) -> None:
    app.extensions["catalog.can_manage_call"] = can_manage_call


def _can_manage_call(user, call_id: uuid.UUID, issuer: str) -> Refusal | None:
    if not getattr(user, "is_authenticated", False):
        return Refusal.not_found()
    return current_app.extensions["catalog.can_manage_call"](user, call_id, issuer)


def can_author_calls(user, issuer: str) -> Refusal | None:
    """A manager whose grant covers the issuer, or a platform administrator, writes and publishes its calls; to
    anyone else the drafts do not exist (404)."""
    return _can_manage_call(user, _NO_CALL, issuer)


def can_edit_source(user, source) -> Refusal | None:
    """A draft (no published call yet) is private to its issuer's managers; a published one, the same."""
    return can_author_calls(user, source.issuer)


def can_read_call_file(user, call) -> Refusal | None:
    """A call synced from calls/ opens read-only in the editor for those who manage it."""
    return _can_manage_call(user, call.uuid, call.issuer)
