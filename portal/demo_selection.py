"""The demo's selection round: a fictitious call closed a few days ago, six fictitious associations that applied
in time, screened, assigned to the two demo reviewers and scored, so that the ranking, the decisions and the
letters can be tried at once. Built through the domains' own services, as a person would have done it."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import click
from werkzeug.datastructures import MultiDict

from portal.accounts import auth, organisations, queries
from portal.applications import documents, drafts, messages, submission
from portal.applications.queries import of_organisation_in_window
from portal.applications.states import MessageSide
from portal.catalog.queries import get_call
from portal.core import time
from portal.extensions import db
from portal.reviews import assignment, conflicts, eligibility, reviewing, rounds
from portal.reviews.queries import assignment_of, eligibility_of
from portal.reviews.states import AssignmentMethod, Opinion, RoundPhase, Verdict

SLUG = "demonstration-appel-en-selection"
# A tiny but well-formed PDF: the content check accepts it as what it is.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
ASSOCIATIONS = ["Toit d'Abord", "Clés en Main", "Habitat Partagé", "Pas-à-Pas Logement", "Le Relais du Foyer",
                "Entraide Locative"]
# The last one is screened out, so that the « irrecevable » letter can be tried beside the committee's decisions.
INELIGIBLE = len(ASSOCIATIONS)
INELIGIBLE_REASON = ("Le budget prévisionnel ne concerne pas le territoire de l'appel (motif fictif de "
                     "démonstration).")


def applicant_email(index: int) -> str:
    """The demo account of the index-th association (1-based), listed in the README."""
    return f"contact@asso{index}.demo.example.org"


def _answers(index: int) -> MultiDict:
    amount = 8000 + 2000 * index
    return MultiDict([
        ("q.objectifs", f"Accompagner {40 + 10 * index} ménages vers un logement stable (projet fictif)."),
        ("q.menages", str(40 + 10 * index)), ("q.territoires", "Territoire nord (exemple)"),
        ("q.equipe.0.fonction", "Travailleuse sociale"), ("q.equipe.0.etp", "1"), ("q.renouvellement", "non"),
        ("cerfa.amount_requested", str(amount)), ("budget.64", str(amount + 3000)),
        ("budget.74-departement", str(amount)), ("budget.75", "3000"), ("decl.engagement-republicain", "1")])


def _score(*parts: object, top: int = 5) -> int:
    """A stable pseudo-random mark, so the demo ranking is the same on every machine."""
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest(), 16) % (top + 1)


def load_selection(manager, reviewers: list, deposit_day: dt.date) -> None:
    call = get_call(SLUG)
    window = call.windows[0]
    ineligible_organisation_id = None
    for index, name in enumerate(ASSOCIATIONS, start=1):
        email = applicant_email(index)
        person = queries.user_by_email(email)
        if person is None:
            person = auth.create_confirmed_user(email, f"Contact {name}", "demonstration-portail")
        organisation = next((m.organisation for m in person.memberships), None)
        if organisation is None:
            organisation = organisations.create_organisation(organisations.Identity(
                legal_name=f"Association fictive {name}", legal_form="association", rna=f"W62200000{index}",
                address=f"{index} rue de l'Exemple", postcode="62000", city="Arras",
                representative_name=f"Contact {name}", representative_role="Président(e)"), by=person)
        db.session.commit()  # one loaded thing, one transaction: the person and her organisation
        if of_organisation_in_window(organisation.id, window.id) is None:
            _deposit(window, organisation, person, index, deposit_day)
        if index == INELIGIBLE:
            ineligible_organisation_id = organisation.id
        if index == 1:
            first = (of_organisation_in_window(organisation.id, window.id), person)
    _exchange(*first, manager, deposit_day)
    _screen_assign_and_score(call, manager, reviewers, ineligible_organisation_id)
    db.session.commit()  # the committee's work, as one


def _deposit(window, organisation, person, index: int, deposit_day: dt.date) -> None:
    at = time.start_of_day_paris(deposit_day) + dt.timedelta(hours=9 + index)
    time.set_clock(lambda: at)
    try:
        application, _ = drafts.start(window, organisation, person, at)
        drafts.save(application, _answers(index), person, at)
        for key in ("cerfa-12156", "statuts", "note"):
            documents.upload(application, key, io.BytesIO(PDF), f"{key}.pdf", person, organisation.id, at)
        submission.submit(application, person, at)
        db.session.commit()  # the application, deposited
    finally:
        time.set_clock(None)
    click.echo(f"candidature de démonstration : {organisation.legal_name}")


def _exchange(application, person, manager, deposit_day: dt.date) -> None:
    """A question of the first association and the service's answer, so that the « Messagerie » shows a thread and
    the association's home « 1 nouveau message »."""
    if messages.thread(application):
        return  # already there: messages are never rewritten
    asked = time.start_of_day_paris(deposit_day + dt.timedelta(days=1)) + dt.timedelta(hours=10)
    messages.send(application, "Bonjour, pouvons-nous transmettre le rapport d'activité 2024 après l'assemblée "
                  "générale du mois prochain ? (message de démonstration)", [], person, MessageSide.APPLICANT, asked)
    messages.send(application, "Bonjour, oui : envoyez-le par cette messagerie dès qu'il est adopté, nous "
                  "l'ajouterons au dossier. (réponse de démonstration)", [], manager, MessageSide.SERVICE,
                  asked + dt.timedelta(days=1, hours=4))
    db.session.commit()  # the exchange, as one


def _screen_assign_and_score(call, manager, reviewers: list, ineligible_organisation_id) -> None:
    window = call.windows[0]
    round_ = rounds.round_of(window, time.now())
    db.session.commit()
    if round_.phase != RoundPhase.ELIGIBILITY:
        return  # already prepared: the demo never rewrites what someone did with it
    from portal.reviews.queries import deposited_in_window

    applications = deposited_in_window(window)
    for application in applications:
        if eligibility_of(application) is None:
            checked = {item.key: bool(item.automatic) for item in eligibility.checklist(application)}
            ineligible = application.organisation_id == ineligible_organisation_id
            eligibility.record(application, Verdict.INELIGIBLE if ineligible else Verdict.ELIGIBLE, checked,
                               INELIGIBLE_REASON if ineligible else None, manager, time.now())
    applications = [a for a in applications if eligibility_of(a).is_eligible]
    rounds.change_phase(round_, RoundPhase.REVIEW, manager, time.now())
    criteria = call.spec.selection_criteria
    for application in applications:
        for reviewer in reviewers:
            if assignment_of(reviewer, application) is None:
                assignment.assign(application, reviewer, manager, time.now(), AssignmentMethod.AUTO)
            conflicts.declare_none(assignment_of(reviewer, application), reviewer, time.now())
            values = {c.key: str(_score(application.number, reviewer.email, c.key)) for c in criteria}
            reviewing.save(application, reviewer, values, {}, Opinion.FAVOURABLE if _score(application.number, reviewer.id,
                                                                                    top=2) else Opinion.RESERVED,
                           "Évaluation de démonstration (fictive).", True, time.now())
    rounds.change_phase(round_, RoundPhase.DELIBERATION, manager, time.now())
    click.echo(f"sélection de démonstration : {len(applications)} candidatures évaluées, phase de délibération")
