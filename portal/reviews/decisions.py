"""The committee's decisions: recorded one by one during deliberation (pending, seen by managers only), then
published all at once, which notifies every applying organisation — ineligible ones included, with the reason —
through the outbox, in the same transaction that freezes the round."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from flask import render_template
from sqlalchemy import select

from portal.accounts.models import Organisation
from portal.accounts.queries import members_of
from portal.applications import cerfa
from portal.applications.models import Application
from portal.applications.queries import organisations_by_id
from portal.catalog.models import Call, Window
from portal.core import audit, mail
from portal.core.errors import Refusal
from portal.core.formatting import money_fr
from portal.core.urls import external_url
from portal.extensions import db
from portal.reviews import envelope, queries, rounds
from portal.reviews.models import Decision, Eligibility, ReviewRound
from portal.reviews.phases import PHASES
from portal.reviews.states import Outcome, RoundPhase, Verdict

INELIGIBLE = Verdict.INELIGIBLE  # what an ineligible application is told instead of an outcome
OUTCOME_WORDS = {**{o: o.label for o in Outcome}, INELIGIBLE: INELIGIBLE.label}
MAX_YEARS = 10


def amount_requested(application: Application) -> Decimal | None:
    """The amount the applicant asked for, as last deposited (Cerfa 12156, « montant de la subvention demandée »)."""
    version = application.latest_version
    return version.amount_requested if version is not None else None


def parse_amount(value: str | Decimal | None) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value.quantize(Decimal("0.01")) if isinstance(value, Decimal) else None
    try:
        return cerfa.parse_amount(value)
    except ValueError as error:
        raise Refusal(f"« {value} » n'est pas un montant : écrivez par exemple 12 000,50.", field="amount") from error


def _state(decision: Decision | None) -> dict | None:
    if decision is None:
        return None
    return {"outcome": decision.outcome, "amount": None if decision.amount is None else format(decision.amount, "f"),
            "duration_years": decision.duration_years, "motivation": decision.motivation,
            "above_request_confirmed": decision.above_request_confirmed}


AMOUNT_REQUIRED = ("Le montant attribué est obligatoire pour une candidature retenue : indiquez-le en euros, "
                   "par exemple 12 000,50.")


def check_above_request(application: Application, amount: Decimal | None, confirmed: bool) -> bool:
    """An amount above the request needs the manager's confirmation; says whether it is above."""
    requested = amount_requested(application)
    above = amount is not None and requested is not None and amount > requested
    if above and not confirmed:
        raise Refusal(f"Le montant attribué ({money_fr(amount)}) dépasse le montant demandé "
                            f"({money_fr(requested)}) : cochez la case de confirmation pour l'enregistrer.",
                      field="confirm_above_request")
    return above


def missing_letter_settings(call: Call) -> list[str]:
    """What the call file must still say before its decision letters can go out, in French (empty when nothing):
    a letter names its signatory (CRPA L212-1)."""
    if call.spec.letter_signatory is None:
        return ["le signataire des lettres de décision (« signatory » : nom, fonction et, s'il y a lieu, "
                "« by_delegation: true »), dans le bloc « issuer » du fichier de l'appel ou à la racine de celui-ci"]
    return []


def letterhead_of(call: Call) -> dict:
    """The signatory and court of the letters sent now, stored with them: a later edit of the call file does not
    rewrite a letter already notified."""
    signatory = call.spec.letter_signatory
    return {"signatory": signatory.model_dump() if signatory else None, "appeals_court": call.spec.letter_appeals_court}


def check_letters_can_go(call: Call) -> None:
    lacking = missing_letter_settings(call)
    if lacking:
        raise Refusal(f"Les lettres ne peuvent pas partir : le fichier de l'appel doit indiquer "
                          f"{' ; '.join(lacking)}.")


def check_deciding(round_: ReviewRound | None) -> None:
    if round_ is None or not PHASES[round_.phase].deciding:
        if round_ is not None and PHASES[round_.phase].read_only:
            raise Refusal("Les décisions ont été publiées : elles ne peuvent plus être modifiées.")
        raise Refusal("Les décisions s'enregistrent pendant la phase de délibération.")


def record(application: Application, outcome: str, amount: str | Decimal | None, duration_years: int | None,
           motivation: str | None, confirm_above_request: bool, by, at: dt.datetime) -> Decision:
    """Record (or change) the committee's decision on one eligible application; it stays pending until published.
    The caller commits."""
    check_deciding(rounds.round_of_application(application, at))
    eligibility = queries.eligibility_of(application)
    if eligibility is None or not eligibility.is_eligible:
        raise Refusal("Cette candidature n'est pas recevable : elle ne reçoit pas de décision du comité ; "
                            "la lettre d'irrecevabilité part à la publication des décisions.")
    if outcome not in Outcome.committee():
        raise Refusal("Choisissez la décision du comité.", field="outcome")
    amount = parse_amount(amount)
    motivation = (motivation or "").strip() or None
    if outcome == Outcome.SELECTED and not amount:
        raise Refusal(AMOUNT_REQUIRED, field="amount")
    if outcome == Outcome.REJECTED and amount is not None:
        raise Refusal("Une candidature non retenue ne reçoit pas de montant : laissez ce champ vide.", field="amount")
    if outcome == Outcome.REJECTED and motivation is None:
        raise Refusal("La motivation est obligatoire pour une candidature non retenue : elle figure dans la "
                            "lettre envoyée au candidat.", field="motivation")
    above = check_above_request(application, amount, confirm_above_request)
    if duration_years is None:
        duration_years = application.call.spec.selection_years
    elif not 1 <= duration_years <= MAX_YEARS:
        raise Refusal(f"La durée est comprise entre 1 et {MAX_YEARS} ans.", field="duration_years")

    decision = queries.decision_of(application)
    before = _state(decision)
    if decision is None:
        decision = Decision(application_id=application.id)
    decision.outcome, decision.amount, decision.duration_years = Outcome(outcome), amount, duration_years
    decision.motivation, decision.above_request_confirmed = motivation, above
    decision.decided_by_id, decision.decided_at, decision.published_at = getattr(by, "id", None), at, None
    db.session.add(decision)
    audit.record("review.decision", actor=by, target=f"application:{application.id}", number=application.number,
                 before=before, after=_state(decision))
    db.session.flush()
    return decision


# ---- publication -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What one applying organisation is told when the decisions are published."""

    application: Application
    organisation: Organisation
    outcome: str  # a key of OUTCOME_WORDS
    decision: Decision | None
    eligibility: Eligibility | None
    recipients: list[str]
    subject: str
    context: dict  # what templates/mail/decision.txt is rendered with, for the preview and for each member

    @property
    def body(self) -> str:
        return render_template("mail/decision.txt", unsubscribe_url=None, **self.context)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_WORDS[self.outcome]



def _round_applications(round_: ReviewRound) -> tuple[Window, list[Application]]:
    window = db.session.get(Window, round_.window_id)
    return window, queries.deposited_in_window(window)


def decisions_by_application(ids) -> dict[uuid.UUID, Decision]:
    ids = list(ids)
    if not ids:
        return {}
    return {d.application_id: d for d in db.session.scalars(select(Decision).where(Decision.application_id.in_(ids)))}


def missing(round_: ReviewRound) -> list[Application]:
    """Applications that still lack what publication needs: a verdict of eligibility and, if eligible, a decision."""
    _, applications = _round_applications(round_)
    verdicts = queries.eligibility_by_application(a.id for a in applications)
    decided = decisions_by_application(a.id for a in applications)
    return [a for a in applications
            if a.id not in verdicts or (verdicts[a.id].is_eligible and a.id not in decided)]


def _subject(application: Application) -> str:
    return f"Décision — candidature {application.number} — {application.call.title}"[:250]


def notices(round_: ReviewRound) -> list[Notice]:
    """One notice per application of the round that has what it needs (see `missing`), by number."""
    _, applications = _round_applications(round_)
    ids = [a.id for a in applications]
    verdicts = queries.eligibility_by_application(ids)
    decided = decisions_by_application(ids)
    organisations = organisations_by_id(a.organisation_id for a in applications)
    result = []
    for application in applications:
        eligibility, decision = verdicts.get(application.id), decided.get(application.id)
        if eligibility is None or (eligibility.is_eligible and decision is None):
            continue
        outcome = decision.outcome if eligibility.is_eligible else INELIGIBLE
        organisation = organisations[application.organisation_id]
        decision = decision if eligibility.is_eligible else None
        context = dict(
            application=application, call=application.call, organisation=organisation, outcome=outcome,
            outcome_label=OUTCOME_WORDS[outcome], decision=decision, eligibility=eligibility,
            decision_url=external_url("selection_applicant.decision", application_id=application.id),
            letter_url=external_url("selection_applicant.letter", application_id=application.id))
        result.append(Notice(application, organisation, outcome, decision, eligibility,
                             [m.user.email for m in members_of(organisation)], _subject(application), context))
    return result


def preview(round_: ReviewRound) -> list[Notice]:
    """What publishing would send, without sending anything."""
    return notices(round_)


def publish(round_: ReviewRound, by, at: dt.datetime, over_envelope_confirmed: bool = False) -> int:
    """Publish every decision of the round, notify every applying organisation (members each get the e-mail) and
    close the round for good, in the caller's one transaction. Returns the number of e-mails queued.

    A total above the envelope is published only once the manager confirms it: the deliberating body may have
    raised the credits, which the call file cannot know; the audit entry keeps the excess."""
    check_deciding(round_)
    lacking = missing(round_)
    if lacking:
        raise Refusal(f"{len(lacking)} candidature(s) n'ont pas encore de décision : "
                          f"{', '.join(a.number or '' for a in lacking)}. Les décisions ne peuvent pas être publiées.")
    window, applications = _round_applications(round_)
    check_letters_can_go(window.call)
    budget = envelope.envelope_of(window.call, window)
    if budget.exceeded and not over_envelope_confirmed:
        raise Refusal(f"{budget.refusal()} Cochez la case de confirmation pour publier malgré le dépassement.",
                            field="confirm_over_envelope")
    for decision in decisions_by_application(a.id for a in applications).values():
        decision.published_at = at
    sent = 0
    counts = dict.fromkeys(OUTCOME_WORDS, 0)
    for notice in notices(round_):
        counts[notice.outcome] += 1
        for recipient in notice.recipients:
            # The body does not depend on the recipient, so the preview shows exactly what each member receives.
            mail.enqueue(recipient, notice.subject, "decision", **notice.context)
            sent += 1
    audit.record("review.publish", actor=by, target=f"round:{round_.id}", window=window.key,
                 before=round_.phase, after=RoundPhase.DECIDED, messages=sent, over_envelope=budget.refusal() or None,
                 **counts)
    round_.phase, round_.phase_changed_at, round_.phase_changed_by_id = RoundPhase.DECIDED, at, getattr(by, "id", None)
    round_.decisions_published_at = at
    round_.letterhead = letterhead_of(window.call)
    db.session.flush()
    return sent
