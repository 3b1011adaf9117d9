"""After publication, the liste complémentaire is used: a laureate who withdraws or declines is recorded (reason
and date) and becomes « Désistement »; an application of the list, the first in ranking order unless the manager
confirms another, becomes « Retenu » with an amount, within the envelope unless confirmed. Each change keeps what
it replaced (models.DecisionChange), is audited and notified by its own letter and e-mail through the outbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from portal.accounts.queries import members_of
from portal.applications.models import Application
from portal.applications.queries import organisations_by_id
from portal.catalog.models import Window
from portal.core import audit, mail
from portal.core.errors import Refusal
from portal.core.formatting import date_fr, money_fr
from portal.core.time import today_paris
from portal.core.urls import external_url
from portal.extensions import db
from portal.reviews import envelope, queries, rounds
from portal.reviews.decisions import (
    AMOUNT_REQUIRED,
    check_above_request,
    check_letters_can_go,
    letterhead_of,
    parse_amount,
)
from portal.reviews.models import Decision, DecisionChange
from portal.reviews.phases import PHASES
from portal.reviews.ranking import RankRow, rank
from portal.reviews.states import ChangeKind, Outcome

LISTED, WITHDRAWN = Outcome.WAITING_LIST, Outcome.WITHDRAWN


def check_published(application: Application, at: dt.datetime) -> None:
    round_ = rounds.round_of_application(application, at)
    if round_ is None or not PHASES[round_.phase].read_only:
        raise Refusal("Les désistements et la liste complémentaire s'enregistrent une fois les décisions "
                            "publiées ; avant, la décision du comité se modifie directement.")


def waiting_list(window: Window, user) -> tuple[list[RankRow], int]:
    """The liste complémentaire in ranking order, as this person may see it, and how many of it are hidden from her
    (conflict of interest)."""
    rows = [row for row in rank(window.call, window, user).rows if row.outcome == LISTED]
    total = db.session.scalar(select(func.count(Decision.id))
                              .join(Application, Application.id == Decision.application_id)
                              .where(Application.window_id == window.id, Decision.outcome == LISTED))
    return rows, total - len(rows)


def record_withdrawal(application: Application, reason: str | None, effective_on: dt.date | None, by,
                      at: dt.datetime) -> DecisionChange:
    """A laureate withdraws or declines: the decision becomes « Désistement », the letter acknowledges it."""
    check_published(application, at)
    decision = queries.decision_of(application)
    if decision is None or decision.outcome != Outcome.SELECTED:
        raise Refusal("Seule une candidature retenue peut se désister.")
    reason = (reason or "").strip() or None
    if reason is None:
        raise Refusal("Le motif du désistement est obligatoire : il figure dans la lettre envoyée au "
                            "candidat.", field="reason")
    if effective_on is None:
        raise Refusal("Indiquez la date du désistement (JJ/MM/AAAA).", field="effective_on")
    published_on = today_paris(decision.published_at)
    if not published_on <= effective_on <= today_paris(at):
        raise Refusal(f"La date du désistement est comprise entre la publication des décisions "
                            f"({date_fr(published_on)}) et aujourd'hui.", field="effective_on")
    check_letters_can_go(application.call)
    change = DecisionChange(kind=ChangeKind.WITHDRAWAL, outcome_before=decision.outcome, outcome_after=WITHDRAWN,
                            amount_before=decision.amount, amount_after=None, reason=reason,
                            effective_on=effective_on, recorded_by_id=getattr(by, "id", None), recorded_at=at,
                            letterhead=letterhead_of(application.call))
    decision.changes.append(change)
    decision.outcome, decision.amount = WITHDRAWN, None
    db.session.flush()
    messages = _notify(application, change)
    audit.record("review.withdrawal", actor=by, target=f"application:{application.id}", number=application.number,
                 before={"outcome": change.outcome_before, "amount": _text(change.amount_before)},
                 after={"outcome": WITHDRAWN}, reason=reason, effective_on=effective_on.isoformat(),
                 messages=messages)
    return change


def promote(application: Application, amount: str | Decimal | None, confirm_above_request: bool,
            confirm_out_of_order: bool, confirm_over_envelope: bool, by, at: dt.datetime) -> DecisionChange:
    """An application of the liste complémentaire becomes « Retenu » with an amount; the letter tells it so."""
    check_published(application, at)
    window = application.window
    listed, hidden = waiting_list(window, by)
    if not listed and not hidden:
        raise Refusal("La liste complémentaire est vide : aucune candidature ne peut être retenue.")
    decision = queries.decision_of(application)
    if decision is None or decision.outcome != LISTED:
        raise Refusal("Cette candidature n'est pas sur la liste complémentaire.", field="application")
    amount = parse_amount(amount)
    if not amount:
        raise Refusal(AMOUNT_REQUIRED, field="amount")
    above = check_above_request(application, amount, confirm_above_request)
    out_of_order = hidden > 0 or listed[0].application_id != application.id
    if out_of_order and not confirm_out_of_order:
        first = (f"la première, dans l'ordre du classement, est {listed[0].number} ({listed[0].organisation})"
                 if not hidden else "certaines ne vous sont pas montrées (conflit d'intérêts)")
        raise Refusal(f"Sur la liste complémentaire, {first} : cochez la case de confirmation pour retenir "
                            f"cette candidature-ci.", field="confirm_out_of_order")
    budget = envelope.envelope_of(application.call, window, extra=amount)
    if budget.exceeded and not confirm_over_envelope:
        raise Refusal(f"{budget.refusal()} Cochez la case de confirmation pour retenir la candidature malgré "
                            f"le dépassement.", field="confirm_over_envelope")
    check_letters_can_go(application.call)
    change = DecisionChange(kind=ChangeKind.PROMOTION, outcome_before=LISTED, outcome_after=Outcome.SELECTED,
                            amount_before=decision.amount, amount_after=amount, out_of_order=out_of_order,
                            recorded_by_id=getattr(by, "id", None), recorded_at=at,
                            letterhead=letterhead_of(application.call))
    decision.changes.append(change)
    decision.outcome, decision.amount, decision.above_request_confirmed = Outcome.SELECTED, amount, above
    db.session.flush()
    messages = _notify(application, change)
    audit.record("review.promotion", actor=by, target=f"application:{application.id}", number=application.number,
                 before={"outcome": LISTED, "amount": _text(change.amount_before)},
                 after={"outcome": Outcome.SELECTED, "amount": _text(amount)}, out_of_order=out_of_order,
                 over_envelope=budget.refusal() or None, messages=messages)
    return change


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


def _notify(application: Application, change: DecisionChange) -> int:
    """E-mail every member of the applying organisation, with the link to the change's letter."""
    organisation = organisations_by_id([application.organisation_id])[application.organisation_id]
    subject = (f"{'Désistement pris en compte' if change.kind == ChangeKind.WITHDRAWAL else 'Candidature retenue'} — "
               f"candidature {application.number} — {application.call.title}")
    context = dict(application=application, call=application.call, organisation=organisation, change=change,
                   amount=money_fr(change.amount_after) if change.amount_after is not None else None,
                   decision_url=external_url("selection_applicant.decision", application_id=application.id),
                   letter_url=external_url("selection_applicant.change_letter", application_id=application.id,
                                           change_id=change.id))
    members = members_of(organisation)
    for member in members:
        mail.enqueue(member.user.email, subject, "decision_change", **context)
    return len(members)
