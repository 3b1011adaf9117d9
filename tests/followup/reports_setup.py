"""An awarded application of the 2025 Pas-de-Calais kind of call (interim and final reports, indicators with
targets, unit costs) and its convention in force, created directly as a row (the conventions part drafts them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from portal.accounts.models import Organisation, User
from portal.applications.models import Application
from portal.catalog.models import Call
from portal.core import time
from portal.extensions import db
from portal.followup.models import Convention
from portal.followup.states import ConventionState
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.reviews.conftest import ISSUER, deposit_application

EVALUATION = {
    "interim_report": "Un bilan intermédiaire sera transmis à mi-parcours.",
    "final_report": "Un bilan final sera attendu. Il comprendra les indicateurs d'évaluation et une analyse "
                    "qualitative visant à lever les freins rencontrés.",
    "indicators": [
        {"label": "Nombre de ménages accompagnés", "group": "Pour les équipes mobiles",
         "target": {"at_least": 30, "unit": "ménages", "per": "year"}},
        {"label": "Nombre de bailleurs contactés"},
    ],
}
FUNDING = {"unit_costs": [{"label": "Diagnostic flash", "amount": 150},
                          {"label": "Semaine d'accompagnement", "amount": 55, "unit": "par semaine", "max_units": 8}]}


@dataclass
class Awarded:
    call: Call
    manager: User
    applicant: User
    organisation: Organisation
    application: Application
    convention: Convention


def make_convention(application: Application, number: str = "CONV-2025-0001", starts_on=dt.date(2025, 9, 1),
                    ends_on=dt.date(2026, 8, 31)) -> Convention:
    convention = Convention(application_id=application.id, call_id=application.call_id, number=number,
                            state=ConventionState.IN_FORCE, amount=12000, starts_on=starts_on, ends_on=ends_on,
                            created_at=time.now())
    db.session.add(convention)
    db.session.commit()
    return convention


@pytest.fixture
def awarded(publish_call, clock, make_user, make_organisation) -> Awarded:
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        issuer={"body": ISSUER, "siren": "226200012"}, evaluation=EVALUATION, funding=FUNDING)
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    applicant = make_user("presidence@asso1.fr", "Présidente Alpha")
    organisation = make_organisation(applicant, "Association Alpha", rna="W621000001")
    application = deposit_application(call, organisation, applicant)
    clock("2025-09-01 09:00:00")
    return Awarded(call, manager, applicant, organisation, application, make_convention(application))
