"""The payment schedule of a convention (« échéancier », issue 17): its tranches planned from the call's
payment_schedule, made due by the convention's signature, a date or the acceptance of a report, with the amount due
and its computation in French; then requested by a manager, certified « service fait » by the issuer's finance
department (never by the manager who asked: separation of duties) and paid with finance's references.

The services flush and audit; the request, job or command around them commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from portal.accounts.permissions import is_admin, is_finance_for
from portal.catalog.models import Call
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.formatting import date_fr, money_fr, number_fr
from portal.extensions import db
from portal.followup.models import Convention, Report, Tranche
from portal.followup.permissions import can_manage_convention, can_view_convention_as_staff
from portal.followup.states import ConventionState, ReportKind, ReportState, TrancheState, Trigger

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# A convention commits the issuer's money once both sides have signed it.
SIGNED_STATES = (ConventionState.SIGNED_BY_ISSUER, ConventionState.IN_FORCE, ConventionState.CLOSED)
NO_SCHEDULE = "L'appel ne prévoit pas d'échéancier : un versement unique de 100 % à la signature de la convention."
ALREADY_PLANNED = "L'échéancier de cette convention est déjà établi."


def cents(value) -> Decimal:
    """Money as the portal keeps it: a Decimal with two places, half up."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def call_of(convention: Convention) -> Call:
    return db.session.get(Call, convention.call_id)


def _schedule(call: Call) -> list:
    funding = call.spec.funding
    return list(funding.payment_schedule) if funding else []


def _unit_costs(call: Call) -> list:
    funding = call.spec.funding
    return list(funding.unit_costs) if funding else []


# ---- who may do what ------------------------------------------------------------------------------------------

def can_view_schedule(user, convention: Convention) -> Refusal | None:
    """The convention's managers and the issuer's finance department; anyone else: 404."""
    return can_view_convention_as_staff(user, convention)


def can_request(user, convention: Convention) -> Refusal | None:
    """Establishing the schedule and asking finance for a payment: the convention's managers."""
    if (refusal := can_view_schedule(user, convention)) is not None:
        return refusal
    if can_manage_convention(user, convention) is not None:
        return Refusal.forbidden("Seuls les gestionnaires de l'appel demandent un versement.")
    return None


def can_handle_money(user, convention: Convention) -> Refusal | None:
    """Certifying « service fait » and recording a payment: the issuer's finance department (or an administrator)."""
    if (refusal := can_view_schedule(user, convention)) is not None:
        return refusal
    if not (is_admin(user) or is_finance_for(user, call_of(convention).issuer)):
        return Refusal.forbidden("Seul le service financier du financeur certifie le service fait et enregistre "
                                 "les paiements.")
    return None


def tranche_of(convention: Convention, tranche_id) -> Tranche:
    tranche = next((t for t in convention.tranches if t.id == tranche_id), None)
    if tranche is None:
        raise Refusal.not_found()
    return tranche


# ---- the plan -------------------------------------------------------------------------------------------------

def _is_balance(payment) -> bool:
    return payment.percent is None and payment.amount is None


def plan(convention: Convention, by=None) -> list[Tranche]:
    """The tranches of the call's schedule: a share of the convention's amount or an amount; the last one with
    neither is the balance (« solde »), the rest. A call without a schedule: one tranche of 100 % at signature."""
    if convention.tranches:
        raise Refusal(ALREADY_PLANNED)
    schedule = _schedule(call_of(convention))
    tranches: list[Tranche] = []
    if not schedule:
        tranches.append(Tranche(label="Versement unique", percent=HUNDRED, trigger=Trigger.SIGNATURE,
                                computation=[NO_SCHEDULE]))
    for position, payment in enumerate(schedule):
        trigger = Trigger(payment.trigger.value) if payment.trigger else (
            Trigger.SIGNATURE if position == 0 else Trigger.REPORT)
        balance = _is_balance(payment) and position == len(schedule) - 1
        tranches.append(Tranche(
            label=payment.label, trigger=trigger, due_on=payment.on,
            percent=None if balance else (payment.percent if payment.percent is not None else
                                          (None if payment.amount is not None else Decimal(0))),
            planned_amount=None if balance or payment.amount is None else cents(payment.amount)))
    for position, tranche in enumerate(tranches):
        tranche.position = position
        convention.tranches.append(tranche)
    db.session.flush()
    audit.record("payments.plan", actor=by, target=f"convention:{convention.id}",
                 tranches=[{"label": t.label, "percent": None if t.percent is None else format(t.percent, "f"),
                            "amount": None if t.planned_amount is None else format(t.planned_amount, "f"),
                            "trigger": t.trigger.value} for t in tranches])
    return tranches


def report_kind_of(tranche: Tranche, call: Call | None = None) -> ReportKind | None:
    """The kind of report whose acceptance makes a report tranche due, as the call's schedule says (final when the
    call leaves it out)."""
    if tranche.trigger != Trigger.REPORT:
        return None
    schedule = _schedule(call or call_of(tranche.convention))
    payment = schedule[tranche.position] if tranche.position < len(schedule) else None
    return ReportKind(payment.report) if payment is not None and payment.report else ReportKind.FINAL


def is_balance(tranche: Tranche) -> bool:
    return tranche.percent is None and tranche.planned_amount is None


# ---- what is due, and why -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    label: str
    quantity: Decimal
    unit_amount: Decimal
    amount: Decimal
    text: str


# A cap of the call applies to each accompaniment — to each household accompanied —, never to the total declared:
# the 2025 Pas-de-Calais call says « la semaine d'accompagnement : 55 €. L'accompagnement sera limité à 8 semaines
# soit 440 € maximum », and of the accompaniment offered to a household « Il ne devra pas excéder 8 semaines ». The
# other calls' seeds bound an accompaniment the same way (ASTRE: « 12 mois […] sans excéder 24 mois » per measure)
# or give no cap at all (a visit at 162,38 €, a diagnostic at 375 €); the coordinators' « 55 000 € maximum » is the
# grant's ceiling, which the convention's amount already caps. So a capped unit cost is declared one figure per
# household, and each figure is capped.
def is_per_household(cost) -> bool:
    return cost.max_units is not None or cost.max_amount is not None


def unit_noun(cost, count=2) -> str:
    """The unit counted, from the call's « par semaine » (« semaine », « semaines »); « unité » without one."""
    unit = (cost.unit or "").strip()
    noun = unit[4:].strip() if unit.lower().startswith("par ") else "unité"
    if count > 1 and not noun.endswith(("s", "x", "z")):
        noun += "s"
    return noun


def _plural(count, singular: str, plural: str) -> str:
    return f"{number_fr(count)} {plural if count > 1 else singular}"


def household_lines(value) -> list[str]:
    """The figures as typed: a list kept by the report form (one per household), or a text with one a line."""
    items = value if isinstance(value, list) else str(value or "").splitlines()
    return [str(item).strip() for item in items if str(item).strip()]


def _quantity(value) -> list[Decimal]:
    """A declared quantity: one figure (« 40 ») or one per household accompanied (« [10, 3] »); what is not a
    positive number is left out (the report form refused it before the report was filed)."""
    found = []
    for item in household_lines(value):
        try:
            found.append(Decimal(item.replace(",", ".").replace(" ", "").replace("\u00a0", "")))
        except ArithmeticError:
            continue
    return [q for q in found if q > 0]


def _line(cost, figures: list[Decimal]) -> Line:
    """One unit cost's line: each household's figure capped by max_units, then its amount by max_amount."""
    declared = sum(figures, Decimal(0))
    kept_units, amount, capped = Decimal(0), Decimal(0), 0
    for figure in figures:
        kept = min(figure, Decimal(cost.max_units)) if cost.max_units else figure
        value = kept * cost.amount
        if cost.max_amount is not None and value > cost.max_amount:
            value = cost.max_amount
        capped += kept != figure or value != kept * cost.amount
        kept_units += kept
        amount += value
    amount = cents(amount)
    gross = cents(kept_units * cost.amount)
    product = f"{number_fr(kept_units)} × {money_fr(cost.amount)} = {money_fr(gross)}"
    if not is_per_household(cost):
        return Line(cost.label, declared, cost.amount, amount, f"{cost.label} : {product}")
    noun = unit_noun(cost, 1)
    feminine = noun.endswith(("e", "é"))  # « semaines déclarées », « mois déclarés »
    said = [_plural(len(figures), "ménage", "ménages"),
            f"{number_fr(declared)} {unit_noun(cost, declared)} déclaré{'e' if feminine else ''}"
            f"{'s' if declared > 1 else ''}"]
    if capped:
        limit = (f"{cost.max_units} {unit_noun(cost, cost.max_units)}" if cost.max_units
                 else money_fr(cost.max_amount))
        said.append(f"{_plural(capped, 'ménage plafonné', 'ménages plafonnés')} à {limit}")
    text = f"{cost.label} : {', '.join(said)} : {product}"
    if amount != gross:
        text += f", dans la limite de {money_fr(cost.max_amount)} par ménage : {money_fr(amount)}"
    return Line(cost.label, declared, cost.amount, amount, text)


def _counted(convention: Convention) -> list[Report]:
    """The accepted reports whose figures make the service done. The final report covers the whole convention: once
    accepted, it alone counts (an interim or annual report's figures are already in it); until then the accepted
    reports add up, each on its own period (the annual reports' calendar years do not overlap)."""
    accepted = [r for r in convention.reports if r.state == ReportState.ACCEPTED and r.kind != ReportKind.FINANCIAL]
    finals = [r for r in accepted if r.kind == ReportKind.FINAL]
    return finals[-1:] if finals else accepted


def service_lines(convention: Convention, call: Call | None = None) -> list[Line]:
    """The unit-price lines of the accepted reports: quantity × rate; a capped unit cost (max_units, max_amount)
    is declared per household and each household's figure is capped."""
    lines = []
    for cost in _unit_costs(call or call_of(convention)):
        figures = [figure for report in _counted(convention)
                   for figure in _quantity((report.quantities or {}).get(cost.label))]
        if figures:
            lines.append(_line(cost, figures))
    return lines


def _others(tranche: Tranche) -> Decimal:
    """What the other tranches already took: paid, else certified, else due."""
    total = Decimal(0)
    for other in tranche.convention.tranches:
        if other is tranche or other.state in (TrancheState.PLANNED, TrancheState.CANCELLED):
            continue
        total += next((v for v in (other.paid_amount, other.certified_amount, other.amount_due) if v is not None),
                      Decimal(0))
    return total


def _planned_share(tranche: Tranche, amount: Decimal) -> Decimal:
    if tranche.planned_amount is not None:
        return tranche.planned_amount
    return cents(amount * (tranche.percent or 0) / HUNDRED)


def compute(tranche: Tranche) -> tuple[Decimal, list[str]]:
    """The amount due of a tranche and the French lines that give it."""
    convention = tranche.convention
    amount = convention.amount
    call = call_of(convention)
    if tranche.percent is not None:
        due = min(_planned_share(tranche, amount), amount)
        return due, [f"{number_fr(tranche.percent)} % de {money_fr(amount)} (montant de la convention) = {money_fr(due)}"]
    if tranche.planned_amount is not None:
        due = min(tranche.planned_amount, amount)
        lines = [f"Montant fixé par l'appel : {money_fr(tranche.planned_amount)}"]
        if due < tranche.planned_amount:
            lines.append(f"Dans la limite du montant de la convention : {money_fr(due)}")
        return due, lines
    others = _others(tranche)
    units = service_lines(convention, call) if _unit_costs(call) else []
    if _unit_costs(call):
        lines = [line.text for line in units]
        done = cents(sum((line.amount for line in units), Decimal(0)))
        lines.append(f"Total du service fait : {money_fr(done)}")
        if done > amount:
            done = amount
            lines.append(f"Plafonné au montant de la convention : {money_fr(amount)}")
        due = max(done - others, Decimal(0))
        lines.append(f"Déjà dû ou versé au titre des autres tranches : {money_fr(others)}")
        lines.append(f"Solde dû : {money_fr(done)} − {money_fr(others)} = {money_fr(due)}" if due else
                     "Solde dû : rien (le service fait ne dépasse pas ce qui a déjà été versé)")
        return cents(due), lines
    due = max(amount - others, Decimal(0))
    return cents(due), [f"Montant de la convention : {money_fr(amount)}",
                        f"Déjà dû ou versé au titre des autres tranches : {money_fr(others)}",
                        f"Solde : {money_fr(amount)} − {money_fr(others)} = {money_fr(cents(due))}"]


def _make_due(tranche: Tranche, at: dt.datetime, by, cause: str) -> None:
    tranche.amount_due, lines = compute(tranche)
    tranche.computation = [cause, *lines]
    tranche.state = TrancheState.DUE
    db.session.flush()
    audit.record("payments.due", actor=by, target=f"tranche:{tranche.id}", convention=str(tranche.convention_id),
                 amount_due=format(tranche.amount_due, "f"), computation=tranche.computation, at=at.isoformat())


def on_signature(convention: Convention, at: dt.datetime, by=None) -> list[Tranche]:
    """Both sides signed: the tranches due at signature become due (the schedule is planned first if it was not)."""
    if not convention.tranches:
        plan(convention, by)
    signed = convention.issuer_signed_on or convention.in_force_on
    cause = f"Convention signée le {date_fr(signed)}" if signed else "Convention signée"
    made = [t for t in convention.tranches if t.state == TrancheState.PLANNED and t.trigger == Trigger.SIGNATURE]
    for tranche in made:
        _make_due(tranche, at, by, cause)
    return made


def on_report_accepted(report: Report, at: dt.datetime, by=None) -> list[Tranche]:
    """A report accepted (« service fait ») makes due the tranches waiting for it, or for a report of its kind."""
    convention = report.convention
    call = call_of(convention)
    made = []
    for tranche in convention.tranches:
        if tranche.state != TrancheState.PLANNED or tranche.trigger != Trigger.REPORT:
            continue
        if tranche.report_id == report.id or (tranche.report_id is None and report_kind_of(tranche, call) == report.kind):
            tranche.report_id = report.id
            _make_due(tranche, at, by, f"{report.label} accepté le {date_fr(at)}")
            made.append(tranche)
    return made


def make_dated_tranches_due(today: dt.date, at: dt.datetime) -> list[Tranche]:
    """The daily job: the date tranches of signed conventions whose date has come (the caller commits)."""
    rows = db.session.scalars(
        select(Tranche).join(Convention).where(Tranche.state == TrancheState.PLANNED, Tranche.trigger == Trigger.DATE,
                                               Tranche.due_on <= today, Convention.state.in_(SIGNED_STATES))).all()
    for tranche in rows:
        _make_due(tranche, at, None, f"Échéance du {date_fr(tranche.due_on)}")
    return list(rows)


@dataclass(frozen=True)
class Recovery:
    amount: Decimal
    computation: list[str]


def amount_to_recover(convention: Convention) -> Recovery | None:
    """Paid beyond what the final figures allow (the service done at unit prices, or the convention's amount after
    an amendment): the amount to recover (« titre de recette »), shown, not a tranche."""
    paid = cents(sum((t.paid_amount or 0 for t in convention.tranches), Decimal(0)))
    if not paid:
        return None
    call = call_of(convention)
    lines: list[str] = []
    allowed = convention.amount
    final_accepted = any(r.state == ReportState.ACCEPTED and r.kind == ReportKind.FINAL for r in convention.reports)
    if _unit_costs(call) and final_accepted:
        units = service_lines(convention, call)
        done = cents(sum((line.amount for line in units), Decimal(0)))
        lines += [line.text for line in units] + [f"Total du service fait : {money_fr(done)}"]
        allowed = min(done, allowed)
    else:
        lines.append(f"Montant de la convention : {money_fr(allowed)}")
    if paid <= allowed:
        return None
    lines += [f"Déjà versé : {money_fr(paid)}", f"À reverser : {money_fr(paid)} − {money_fr(allowed)} = "
              f"{money_fr(paid - allowed)}"]
    return Recovery(cents(paid - allowed), lines)


# ---- the tranche's way: requested, certified, paid ------------------------------------------------------------

def request(tranche: Tranche, by, at: dt.datetime) -> Tranche:
    """A manager asks finance for a due tranche."""
    if (refusal := can_request(by, tranche.convention)) is not None:
        raise refusal
    if tranche.state != TrancheState.DUE:
        raise Refusal(f"Seule une tranche due se demande ; celle-ci est « {TrancheState(tranche.state).label} ».")
    tranche.state, tranche.requested_at, tranche.requested_by_id = TrancheState.REQUESTED, at, by.id
    db.session.flush()
    audit.record("payments.request", actor=by, target=f"tranche:{tranche.id}",
                 amount_due=format(tranche.amount_due, "f"))
    return tranche


def certify(tranche: Tranche, amount: Decimal | None, by, at: dt.datetime) -> Tranche:
    """Finance certifies « service fait » for at most the amount due; the manager who asked never certifies."""
    if (refusal := can_handle_money(by, tranche.convention)) is not None:
        raise refusal
    if tranche.state != TrancheState.REQUESTED:
        raise Refusal(f"Le service fait se certifie sur une tranche demandée ; celle-ci est « {TrancheState(tranche.state).label} ».")
    if tranche.requested_by_id == by.id:
        raise Refusal("Vous avez demandé ce versement : une autre personne certifie le service fait (séparation des "
                      "tâches).")
    if amount is None:
        raise Refusal("Indiquez le montant certifié, par exemple 6 000,00.", field="certified_amount")
    if amount <= 0:
        raise Refusal("Le montant certifié est supérieur à zéro.", field="certified_amount")
    if amount > tranche.amount_due:
        raise Refusal(f"Le montant certifié ({money_fr(amount)}) dépasse le montant dû ({money_fr(tranche.amount_due)}).",
                      field="certified_amount")
    tranche.state, tranche.certified_at, tranche.certified_by_id = TrancheState.CERTIFIED, at, by.id
    tranche.certified_amount = cents(amount)
    db.session.flush()
    audit.record("payments.certify", actor=by, target=f"tranche:{tranche.id}",
                 certified_amount=format(tranche.certified_amount, "f"))
    return tranche


def pay(tranche: Tranche, *, commitment_ref: str, payment_ref: str, paid_on: dt.date | None,
        paid_amount: Decimal | None, by, at: dt.datetime) -> Tranche:
    """Finance records the payment with its references (« engagement », « mandat »), its Paris date and amount."""
    if (refusal := can_handle_money(by, tranche.convention)) is not None:
        raise refusal
    if tranche.state != TrancheState.CERTIFIED:
        raise Refusal(f"Un paiement s'enregistre sur une tranche certifiée ; celle-ci est « {TrancheState(tranche.state).label} ».")
    for field, value, label in (("commitment_ref", commitment_ref, "le numéro d'engagement"),
                                ("payment_ref", payment_ref, "le numéro de mandat")):
        if not (value or "").strip():
            raise Refusal(f"Indiquez {label}.", field=field)
        if len(value.strip()) > 60:
            raise Refusal("60 caractères au plus.", field=field)
    if paid_on is None:
        raise Refusal("Indiquez la date du paiement.", field="paid_on")
    if paid_amount is None or paid_amount <= 0:
        raise Refusal("Indiquez le montant payé, par exemple 6 000,00.", field="paid_amount")
    if paid_amount > tranche.certified_amount:
        raise Refusal(f"Le montant payé ({money_fr(paid_amount)}) dépasse le montant certifié "
                      f"({money_fr(tranche.certified_amount)}).", field="paid_amount")
    tranche.commitment_ref, tranche.payment_ref = commitment_ref.strip(), payment_ref.strip()
    tranche.paid_on, tranche.paid_amount, tranche.state = paid_on, cents(paid_amount), TrancheState.PAID
    db.session.flush()
    audit.record("payments.pay", actor=by, target=f"tranche:{tranche.id}", paid_amount=format(tranche.paid_amount, "f"),
                 paid_on=paid_on.isoformat(), commitment_ref=tranche.commitment_ref, payment_ref=tranche.payment_ref,
                 at=at.isoformat())
    return tranche
