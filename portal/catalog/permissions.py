"""Who may manage an e-mail alert: the account that made it, or the person holding its address."""

from __future__ import annotations

from portal.catalog.alerts import Alert
from portal.core.errors import Refusal


def can_manage_alert(user, alert: Alert) -> Refusal | None:
    """Someone else's alert does not exist for her (404): an address is not disclosed."""
    if getattr(user, "is_authenticated", False) and (alert.user_id == user.id or alert.email == user.email):
        return None
    return Refusal.not_found()
