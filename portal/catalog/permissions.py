"""Who may manage an e-mail alert (the account that made it, or the person holding its address), and who writes
and publishes calls in the browser (the issuer's managers, the platform's administrators)."""

from __future__ import annotations

from flask import current_app

from portal.catalog.alerts import Alert
from portal.core.errors import Refusal


def can_manage_alert(user, alert: Alert) -> Refusal | None:
    """Someone else's alert does not exist for her (404): an address is not disclosed."""
    if getattr(user, "is_authenticated", False) and (alert.user_id == user.id or alert.email == user.email):
        return None
    return Refusal.not_found()


# ---- calls written in the browser (authoring) -------------------------------------------------------------------
# Who manages an issuer or a call is the accounts domain's rule, which the catalogue may not import: create_app hands
# it the accounts' predicates through `use_staff_rules`.


def use_staff_rules(app, *, can_manage_call, can_manage_issuer, managed_issuers) -> None:
    app.extensions["catalog.staff_rules"] = {"call": can_manage_call, "issuer": can_manage_issuer,
                                             "issuers": managed_issuers}


def _rule(name: str):
    return current_app.extensions["catalog.staff_rules"][name]


def issuers_named(user) -> set[str]:
    """The issuers her grants name, for the lists of the editor (each still passes can_author_calls)."""
    return _rule("issuers")(user) if getattr(user, "is_authenticated", False) else set()


def can_author_calls(user, issuer: str) -> Refusal | None:
    """A manager of the issuer, or a platform administrator, writes and publishes its calls; to anyone else the
    drafts do not exist (404). A manager named for one call only does not write the issuer's calls."""
    if not getattr(user, "is_authenticated", False):
        return Refusal.not_found()
    return _rule("issuer")(user, issuer)


def can_edit_source(user, source) -> Refusal | None:
    """A draft (no published call yet) is private to its issuer's managers; a published one, the same."""
    return can_author_calls(user, source.issuer)


def can_read_call_file(user, call) -> Refusal | None:
    """A call synced from calls/ opens read-only in the editor for those who manage it."""
    if not getattr(user, "is_authenticated", False):
        return Refusal.not_found()
    return _rule("call")(user, call.uuid, call.issuer)
