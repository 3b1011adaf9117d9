"""What a call's conventions commit, what finance certified and paid, against the call's envelope; the export
for the finance department; the tranches waiting for a finance person. Each read is a bounded number of
statements, whatever the number of conventions (issue 17)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Response
from sqlalchemy import case, func, select

from portal.accounts.models import Organisation
from portal.accounts.permissions import is_admin, is_finance_for
from portal.applications.models import Application
from portal.catalog.models import Call
from portal.core.exports import csv_response, xlsx_response
from portal.core.time import now, to_paris
from portal.extensions import db
from portal.followup.models import Convention, Tranche
from portal.followup.payments import SIGNED_STATES
from portal.followup.permissions import visible_conventions
from portal.followup.states import TrancheState, Trigger

ZERO = Decimal("0.00")
DONE = (TrancheState.CERTIFIED, TrancheState.PAID)


@dataclass(frozen=True)
class ConventionRow:
    convention_id: uuid.UUID
    number: str
    organisation: str
    state: object
    amount: Decimal
    committed: Decimal
    certified: Decimal
    paid: Decimal


@dataclass
class Overview:
    envelope: Decimal | None
    rows: list[ConventionRow] = field(default_factory=list)

    @property
    def committed(self) -> Decimal:
        return sum((r.committed for r in self.rows), ZERO)

    @property
    def certified(self) -> Decimal:
        return sum((r.certified for r in self.rows), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((r.paid for r in self.rows), ZERO)

    @property
    def left(self) -> Decimal | None:
        """What the envelope still holds once the conventions in force are counted."""
        return None if self.envelope is None else self.envelope - self.committed


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def call_overview(call: Call, user=None) -> Overview:
    """Per convention of the call she may see: its amount, committed once signed, certified and paid — two
    statements."""
    sums = dict((cid, (c, p)) for cid, c, p in db.session.execute(
        select(Tranche.convention_id,
               func.sum(case((Tranche.state.in_(DONE), Tranche.certified_amount), else_=0)),
               func.sum(case((Tranche.state == TrancheState.PAID, Tranche.paid_amount), else_=0)))
        .join(Convention).where(Convention.call_id == call.id, *visible_conventions(user)).group_by(Tranche.convention_id)))
    rows = db.session.execute(
        select(Convention.id, Convention.number, Organisation.legal_name, Convention.state, Convention.amount)
        .join(Application, Application.id == Convention.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Convention.call_id == call.id, *visible_conventions(user)).order_by(Convention.number))
    funding = call.spec.funding
    overview = Overview(envelope=funding.envelope if funding else None)
    for cid, number, organisation, state, amount in rows:
        certified, paid = sums.get(cid, (0, 0))
        overview.rows.append(ConventionRow(cid, number, organisation, state, _money(amount),
                                           _money(amount) if state in SIGNED_STATES else ZERO,
                                           _money(certified), _money(paid)))
    return overview


def convention_totals(convention: Convention) -> dict[str, Decimal]:
    """The same figures for one convention, from its loaded tranches."""
    tranches = convention.tranches
    return {"committed": _money(convention.amount) if convention.state in SIGNED_STATES else ZERO,
            "due": _money(sum((t.amount_due or 0 for t in tranches if t.state != TrancheState.CANCELLED), ZERO)),
            "certified": _money(sum((t.certified_amount or 0 for t in tranches if t.state in DONE), ZERO)),
            "paid": _money(sum((t.paid_amount or 0 for t in tranches if t.state == TrancheState.PAID), ZERO))}


HEADER = ["Convention", "Organisation", "SIRET", "Montant de la convention (€)", "Tranche", "Déclencheur", "État",
          "Montant dû (€)", "Montant certifié (€)", "Service fait certifié le", "Numéro d'engagement",
          "Numéro de mandat", "Payée le", "Montant payé (€)"]


def _tranche_rows(call: Call, user):
    query = (select(Convention.number, Organisation.legal_name, Organisation.siret, Convention.amount, Tranche)
             .join(Tranche, Tranche.convention_id == Convention.id)
             .join(Application, Application.id == Convention.application_id)
             .join(Organisation, Organisation.id == Application.organisation_id)
             .where(Convention.call_id == call.id, *visible_conventions(user)).order_by(Convention.number, Tranche.position))
    for number, organisation, siret, amount, tranche in db.session.execute(query):
        yield [number, organisation, siret or "", _money(amount), tranche.label, Trigger(tranche.trigger).label,
               TrancheState(tranche.state).label, tranche.amount_due, tranche.certified_amount,
               to_paris(tranche.certified_at).date() if tranche.certified_at else None,
               tranche.commitment_ref or "", tranche.payment_ref or "", tranche.paid_on, tranche.paid_amount]


def export_response(call: Call, extension: str, user=None) -> Response:
    """The finance department's file: one line per tranche, amounts as numbers."""
    name = f"paiements-{call.slug}-{to_paris(now()).date().isoformat()}.{extension}"
    if extension == "xlsx":
        return xlsx_response(name, "Paiements", HEADER, _tranche_rows(call, user))
    return csv_response(name, HEADER, _tranche_rows(call, user))


def finance_issuers(user) -> set[str]:
    """The issuers whose finance department she is."""
    grants = list(user.grants) if getattr(user, "is_authenticated", False) else []
    return {g.issuer for g in grants if g.issuer and is_finance_for(user, g.issuer)}


@dataclass(frozen=True)
class Waiting:
    tranche: Tranche
    number: str
    organisation: str
    call_title: str
    call_slug: str


def finance_queue(user) -> dict[str, list[Waiting]]:
    """The tranches she has to certify (requested) and to pay (certified), for her issuers — one statement; none of
    a file she is in conflict of interest with."""
    issuers = finance_issuers(user)
    query = (select(Tranche, Convention.number, Organisation.legal_name, Call.title, Call.slug)
             .join(Convention, Convention.id == Tranche.convention_id)
             .join(Call, Call.id == Convention.call_id)
             .join(Application, Application.id == Convention.application_id)
             .join(Organisation, Organisation.id == Application.organisation_id)
             .where(Tranche.state.in_((TrancheState.REQUESTED, TrancheState.CERTIFIED)), *visible_conventions(user))
             .order_by(Tranche.requested_at, Convention.number, Tranche.position))
    if not is_admin(user):
        if not issuers:
            return {"certify": [], "pay": []}
        query = query.where(Call.issuer.in_(sorted(issuers)))
    found: dict[str, list[Waiting]] = {"certify": [], "pay": []}
    for tranche, number, organisation, title, slug in db.session.execute(query):
        found["certify" if tranche.state == TrancheState.REQUESTED else "pay"].append(
            Waiting(tranche, number, organisation, title, slug))
    return found
