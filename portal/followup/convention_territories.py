"""The territories a convention's work covers (issue 17: the indicators « per territory and in total »).

No application names a territory of its own: the call (or its window) names them. A convention drafted under a call
(or a window) of exactly one territory takes it; otherwise the manager chooses among the call's territories. They
are part of what both sides sign, so they change only while the convention is unsigned (draft or sent); once signed,
an amendment would be the way, which this page does not offer."""

from __future__ import annotations

from portal.applications.models import Application
from portal.core import audit
from portal.core.errors import Refusal
from portal.extensions import db
from portal.followup.models import Convention
from portal.followup.states import ConventionState

EDITABLE = (ConventionState.DRAFT, ConventionState.SENT)
SIGNED = ("Les territoires ne changent plus une fois la convention signée par l'organisation : ils font partie de "
          "ce qu'elle a signé.")


def choices(call) -> list[str]:
    """The call's territories, in its file's order (the call's own, then its windows')."""
    return [territory.name for territory in call.spec.all_territories]


def default_for(application: Application) -> list[str]:
    """The one territory of the application's window, else of its call; none when there are several."""
    named = application.window.spec.territories or application.call.spec.territories
    return [named[0].name] if len(named) == 1 else []


def is_editable(convention: Convention) -> bool:
    return convention.state in EDITABLE


def set_territories(convention: Convention, call, names: list[str], by) -> list[str]:
    """Record the territories chosen among the call's (the caller has checked can_manage_convention)."""
    if not is_editable(convention):
        raise Refusal(SIGNED)
    known = choices(call)
    for name in names:
        if name not in known:
            raise Refusal(f"« {name} » n'est pas un territoire de l'appel : choisissez parmi "
                          f"{', '.join(known)}.", field="territories", status=422)
    chosen = [name for name in known if name in names]  # the call's order, each once
    before = list(convention.territories or [])
    if chosen != before:
        convention.territories = chosen
        db.session.flush()
        audit.record("followup.convention_territories", actor=by, target=f"convention:{convention.id}",
                     number=convention.number, before=before, after=chosen)
    return chosen
