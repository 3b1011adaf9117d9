"""Who may manage an e-mail alert: the account that made it, or the person holding its address."""

from __future__ import annotations

from portal.catalog.alerts import Alert


def can_manage_alert(user, alert: Alert) -> bool:
    return getattr(user, "is_authenticated", False) and (alert.user_id == user.id or alert.email == user.email)
