"""The total awarded against what the call can spend: the call's envelope (funding.envelope) and, where the call
states one, the window's own budget (windows[].budget). One function computes it for the ranking, the decision
page, the publication and the promotions from the liste complémentaire; a call that states neither is compared
with nothing, and the pages say so."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select

from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core.formatting import money_fr
from portal.extensions import db
from portal.reviews.models import Decision
from portal.reviews.states import Outcome

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Limit:
    """One ceiling and what is awarded under it."""

    label: str  # « Enveloppe de l'appel », « Budget de la fenêtre … »
    ceiling: Decimal
    awarded: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.ceiling - self.awarded

    @property
    def exceeded(self) -> bool:
        return self.awarded > self.ceiling

    @property
    def sentence(self) -> str:
        if self.exceeded:
            return (f"{self.label} : {money_fr(self.awarded)} attribués pour {money_fr(self.ceiling)}, "
                    f"soit {money_fr(-self.remaining)} de dépassement.")
        return (f"{self.label} : {money_fr(self.awarded)} attribués sur {money_fr(self.ceiling)}, "
                f"reste {money_fr(self.remaining)}.")


@dataclass(frozen=True)
class Envelope:
    awarded_window: Decimal  # the window's decisions « retenu », pending ones included
    limits: list[Limit]  # empty when the call states no envelope and the window no budget
    note: str | None  # the call's own words on its envelope (funding.envelope_note)

    @property
    def stated(self) -> bool:
        return bool(self.limits)

    @property
    def exceeded(self) -> bool:
        return any(limit.exceeded for limit in self.limits)

    def refusal(self) -> str:
        return " ".join(limit.sentence for limit in self.limits if limit.exceeded)


def _awarded(call: Call, window: Window | None, visible: Select | None) -> Decimal:
    query = (select(func.coalesce(func.sum(Decision.amount), 0))
             .join(Application, Application.id == Decision.application_id)
             .where(Application.call_id == call.id, Decision.outcome == Outcome.SELECTED))
    if window is not None:
        query = query.where(Application.window_id == window.id)
    if visible is not None:
        query = query.where(Application.id.in_(visible))
    return Decimal(db.session.scalar(query) or 0).quantize(Decimal("0.01"))


def envelope_of(call: Call, window: Window, visible: Select | None = None, extra: Decimal = ZERO) -> Envelope:
    """What the window's and the call's decisions « retenu » add up to (only over `visible` application ids when
    given, so that a page shows nothing of an application hidden from its reader), plus `extra` (an amount about
    to be awarded), against the window's budget and the call's envelope."""
    funding = call.spec.funding
    in_window = _awarded(call, window, visible) + extra
    limits = []
    budget = window.spec.budget
    if budget is not None:
        named = f" « {window.spec.label} »" if window.spec.label else ""  # never the key, a name for the files
        limits.append(Limit(f"Budget de la fenêtre{named}", budget, in_window))
    if funding is not None and funding.envelope is not None:
        in_call = in_window if len(call.spec.windows) == 1 else _awarded(call, None, visible) + extra
        limits.append(Limit("Enveloppe de l'appel", funding.envelope, in_call))
    return Envelope(awarded_window=in_window, limits=limits, note=funding.envelope_note if funding else None)
