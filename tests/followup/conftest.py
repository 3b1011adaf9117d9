"""The follow-up's fixtures: the reviews' selection (a closed call, four deposited applications, a manager and a
committee), with the call's funding and evaluation as the 2025 Pas-de-Calais seeds say, and a published decision
that retains the first application (12 000,50 €)."""

from __future__ import annotations

import pytest

from portal.core import time
from portal.extensions import db
from portal.reviews import decisions
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.reviews.conftest import (  # noqa: F401 - fixtures and helpers shared with the reviews' tests
    AFTER_CLOSING,
    CRITERIA,
    ISSUER,
    SIGNATORY,
    Selection,
    deposit_application,
    refresh,
    sign_in_as,
)
from tests.reviews.test_decisions import decide_all, deliberate

FUNDING = {
    "envelope": "200000",
    "payment_schedule": [
        {"label": "Avance", "percent": "60", "when": "dès signature de la convention"},
        {"label": "Solde", "when": "après le bilan final, en fonction du service fait"}],
    "unit_costs": [{"label": "Diagnostic flash", "amount": "150"},
                   {"label": "Semaine d'accompagnement", "amount": "55", "unit": "par semaine", "max_units": 8}],
    "conditions": ["Respect des objectifs fixés et remise du bilan."],
}
EVALUATION = {
    "final_report": "Un bilan final sera attendu, avec les indicateurs d'évaluation et une analyse qualitative.",
    "indicators": [{"label": "Nombre de ménages accompagnés"}, {"label": "Nombre de diagnostics réalisés"}],
}


@pytest.fixture
def selection(publish_call, clock, make_user, make_organisation) -> Selection:
    """As tests/reviews/conftest.py's selection, the call's funding and evaluation added."""
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09",
                                  "agreement_period": {"start": "2025-07-01", "end": "2026-06-30"}}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        selection_criteria=CRITERIA, funding=FUNDING, evaluation=EVALUATION,
                        issuer={"body": ISSUER, "siren": "226200012", "signatory": SIGNATORY})
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    reviewers = [make_user(f"evaluateur{i}@pasdecalais.fr", f"Évaluateur {i}",
                           grants=[("reviewer", {"call_id": call.uuid})]) for i in (1, 2, 3)]
    result = Selection(call=call, window=call.windows[0], manager=manager, reviewers=reviewers)
    for index, name in enumerate(["Association Alpha", "Association Bêta", "Association Gamma"], start=1):
        person = make_user(f"presidence@asso{index}.fr", f"Présidente {index}")
        organisation = make_organisation(person, name, rna=f"W62100000{index}")
        result.applicants.append(person)
        result.organisations.append(organisation)
        result.applications.append(deposit_application(call, organisation, person))
    clock(AFTER_CLOSING)
    return result


def publish(selection) -> None:
    """Deliberate, decide (the first retained, the others refused) and publish the decisions."""
    round_ = deliberate(selection)
    decide_all(selection)
    decisions.publish(round_, selection.manager, time.now())
    db.session.commit()


@pytest.fixture
def laureate(selection):
    """The selection with its decisions published: applications[0] is « retenu » for 12 000,50 €."""
    publish(selection)
    return selection
