"""A closed call with scoring criteria, applications deposited by several organisations (built through the
applications domain's services, as fast as a fixture should be), a call manager and a committee."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from werkzeug.datastructures import MultiDict

from portal.accounts.models import Organisation, User
from portal.applications import documents, drafts, submission
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core import time
from portal.extensions import db
from tests.applications.conftest import ANSWERS, DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.conftest import post_form
from tests.fakes.samples import pdf

ISSUER = "Département du Pas-de-Calais"
CRITERIA = [
    {"key": "qualite", "label": "Qualité de l'accompagnement proposé", "weight": 2,
     "scale": {"min": 0, "max": 5, "labels": {0: "Insuffisant", 3: "Satisfaisant", 5: "Excellent"}}},
    {"key": "partenariat", "label": "Partenariat local", "weight": 1, "scale": {"min": 0, "max": 5}},
    {"key": "budget", "label": "Cohérence du budget", "weight": 1, "scale": {"min": 0, "max": 10},
     "required": False},
    {"key": "remarques", "label": "Points d'attention", "counted": False, "required": False},
]
AFTER_CLOSING = "2025-05-12 09:00:00"  # the Monday after the 9 May deadline
# Who signs the letters: without one, decisions cannot be published (test_letters.py).
SIGNATORY = {"name": "Marie Exemple", "title": "Directrice des Politiques d'Inclusion Durable",
             "by_delegation": True}


@dataclass
class Selection:
    call: Call
    window: Window
    manager: User
    reviewers: list[User]
    organisations: list[Organisation] = field(default_factory=list)
    applicants: list[User] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)


def deposit_application(call: Call, organisation: Organisation, by: User, answers: dict | None = None) -> Application:
    """Start, answer, upload the required documents and deposit, as the applicant's browser would."""
    at = time.now()
    application, _ = drafts.start(call.windows[0], organisation, by, at)
    given = answers or ANSWERS
    drafts.save(application, MultiDict([(k, v) for k, vs in given.items()
                                        for v in (vs if isinstance(vs, list) else [vs])]), by, at)
    for key, content in (("statuts", pdf()), ("cerfa-12156", pdf() + b"% cerfa\n")):
        documents.upload(application, key, io.BytesIO(content), f"{key}.pdf", by, organisation.id, at)
    submission.submit(application, by, at)
    db.session.commit()  # the use cases flush; the fixture commits once, as the request would
    return application


@pytest.fixture
def selection(publish_call, clock, make_user, make_organisation) -> Selection:
    """Four associations deposited before the deadline; the clock then stands after closing."""
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        selection_criteria=CRITERIA, issuer={"body": ISSUER, "siren": "226200012", "signatory": SIGNATORY})
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    reviewers = [make_user(f"evaluateur{i}@pasdecalais.fr", f"Évaluateur {i}",
                           grants=[("reviewer", {"call_id": call.uuid})]) for i in (1, 2, 3)]
    result = Selection(call=call, window=call.windows[0], manager=manager, reviewers=reviewers)
    for index, name in enumerate(["Association Alpha", "Association Bêta", "Association Gamma",
                                  "Association Delta"], start=1):
        person = make_user(f"presidence@asso{index}.fr", f"Présidente {index}")
        organisation = make_organisation(person, name, rna=f"W62100000{index}")
        result.applicants.append(person)
        result.organisations.append(organisation)
        result.applications.append(deposit_application(call, organisation, person))
    clock(AFTER_CLOSING)
    return result


def sign_in_as(client, user: User) -> None:
    from tests.conftest import PASSWORD

    response = post_form(client, "/compte/connexion", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def refresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
