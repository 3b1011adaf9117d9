"""The demo's follow-up: a fictitious call closed weeks ago, three of the demo associations retained, and the first
one's convention carried through its services — signed by both sides and in force, its 60 % advance requested,
certified by the demo finance account and paid, its final report filed (submitted, not yet accepted) so that the
manager can try accepting it. Idempotent: every step looks first whether it was already done."""

from __future__ import annotations

import datetime as dt
import io

import click
from werkzeug.datastructures import MultiDict

from portal.accounts import queries
from portal.applications.queries import of_organisation_in_window
from portal.catalog.queries import get_call
from portal.core import time
from portal.demo_selection import PDF, _deposit, applicant_email
from portal.extensions import db
from portal.followup import conventions, payments, reports
from portal.followup.report_forms import form_of
from portal.followup.states import ConventionState, ReportKind, ReportState, TrancheState
from portal.reviews import decisions, eligibility, rounds
from portal.reviews.queries import decision_of, eligibility_of
from portal.reviews.states import RoundPhase, Verdict

SLUG = "demonstration-appel-en-suivi"
LAUREATES = (1, 2, 3)  # the demo associations (demo_selection's numbering) retained on this call


def _at(moment: dt.datetime, days_ago: int, hour: int = 10) -> dt.datetime:
    return time.start_of_day_paris(time.today_paris(moment) - dt.timedelta(days=days_ago)) + dt.timedelta(hours=hour)


class _Clock:
    """Place one past event: the services read time.now() too."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def __enter__(self):
        time.set_clock(lambda: self.at)
        return self.at

    def __exit__(self, *exc):
        time.set_clock(None)


def load_followup(manager, finance, moment: dt.datetime) -> None:
    call = get_call(SLUG)
    window = call.windows[0]
    applications = []
    for index in LAUREATES:
        person = queries.user_by_email(applicant_email(index))
        organisation = next(m.organisation for m in person.memberships)
        if of_organisation_in_window(organisation.id, window.id) is None:
            _deposit(window, organisation, person, index, window.spec.opens_on + dt.timedelta(days=10))
        applications.append((of_organisation_in_window(organisation.id, window.id), person))
    _select(window, manager, [a for a, _ in applications], moment)
    _follow(*applications[0], manager, finance, moment)


def _select(window, manager, applications: list, moment: dt.datetime) -> None:
    with _Clock(_at(moment, 80)) as at:
        round_ = rounds.round_of(window, at)
        if round_.phase == RoundPhase.ELIGIBILITY:
            for application in applications:
                if eligibility_of(application) is None:
                    checked = {item.key: bool(item.automatic) for item in eligibility.checklist(application)}
                    eligibility.record(application, Verdict.ELIGIBLE, checked, None, manager, at)
            rounds.change_phase(round_, RoundPhase.REVIEW, manager, at)
            rounds.change_phase(round_, RoundPhase.DELIBERATION, manager, at, missing_confirmed=len(applications))
            db.session.commit()  # screened and deliberated
        round_ = rounds.round_of(window, at)
        if round_.phase == RoundPhase.DELIBERATION:
            for index, application in zip(LAUREATES, applications, strict=True):
                if decision_of(application) is None:
                    decisions.record(application, "selected", str(8000 + 2000 * index), None,
                                     "Projet retenu (motivation de démonstration).", True, manager, at)
            decisions.publish(round_, manager, at, over_envelope_confirmed=True)
            db.session.commit()  # the decisions, published
            click.echo(f"décisions de démonstration publiées : {len(applications)} lauréats")


def _follow(application, person, manager, finance, moment: dt.datetime) -> None:
    convention = conventions.convention_of(application)
    if convention is None:
        with _Clock(_at(moment, 75)) as at:
            convention = conventions.draft(application, manager, at)
            conventions.send(convention, manager, at)
            db.session.commit()  # drafted and sent
    if convention.state == ConventionState.SENT:
        with _Clock(_at(moment, 72)) as at:
            conventions.sign_for_organisation(convention, io.BytesIO(PDF), "convention-signee.pdf",
                                              time.today_paris(at), person, at)
            db.session.commit()
    if convention.state == ConventionState.SIGNED_BY_ORGANISATION:
        with _Clock(_at(moment, 70)) as at:
            conventions.sign_for_issuer(convention, io.BytesIO(PDF), "convention-financeur.pdf",
                                        time.today_paris(at), manager, at)
            db.session.commit()  # in force: the advance is due
            click.echo(f"convention de démonstration en vigueur : {convention.number}")
    advance = convention.tranches[0]
    steps = [(TrancheState.DUE, 68, lambda at: payments.request(advance, manager, at)),
             (TrancheState.REQUESTED, 66, lambda at: payments.certify(advance, advance.amount_due, finance, at)),
             (TrancheState.CERTIFIED, 63, lambda at: payments.pay(
                 advance, commitment_ref="ENG-DEMO-0001", payment_ref="MANDAT-DEMO-0001",
                 paid_on=time.today_paris(at), paid_amount=advance.certified_amount, by=finance, at=at))]
    for state, days_ago, step in steps:
        if advance.state == state:
            with _Clock(_at(moment, days_ago)) as at:
                step(at)
                db.session.commit()  # one step of the advance
    final = next(r for r in convention.reports if r.kind == ReportKind.FINAL)
    if final.state == ReportState.EXPECTED:
        with _Clock(_at(moment, 3)) as at:
            reports.save(final, _final_answers(final), person, at)
            for slot in form_of(final).slots:
                if slot != "comptes" and not any(f.slot == slot for f in final.files):
                    reports.add_file(final, slot, io.BytesIO(PDF), f"{slot}-demonstration.pdf", person, at)
            reports.submit(final, person, at)
            db.session.commit()  # the final report, filed
            click.echo("bilan final de démonstration déposé")


def _final_answers(report) -> MultiDict:
    form = form_of(report)
    data = MultiDict()
    for number, field in enumerate(form.indicators):
        data[field.name] = str(30 + 12 * number)
    for number, field in enumerate(form.quantities):
        data[field.name] = str(min(field.max_units or 40, 40 - 10 * number))
    for line in form.budget:
        data[f"actual.{line.code}"] = str(getattr(line, "planned", None) or 0)
    data["qualitative"] = ("Les ménages accompagnés ont presque tous trouvé un logement stable ; les partenariats "
                           "avec les bailleurs se sont renforcés. (bilan de démonstration, fictif)")
    return data

