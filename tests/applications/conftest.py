"""An open call with documents, questions and a declaration, an applying association, and helpers to fill and
deposit its application as a browser would."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from tests.conftest import post_form
from tests.fakes.samples import pdf

CLOSES = "2025-05-09"  # a summer date: 23:59:59 Paris is 21:59:59 UTC
DOCUMENTS = [
    {"key": "statuts", "label": "Statuts de l'association", "formats": ["pdf"], "max_size_mb": 1},
    {"key": "cerfa-12156", "label": "Demande de subvention (Cerfa n°12156)"},
    {"key": "annexes", "label": "Annexes", "required": False, "multiple": True},
]
QUESTIONS = [
    {"key": "objectifs", "label": "Objectifs du projet", "type": "long_text", "max_length": 200},
    {"key": "menages", "label": "Nombre de ménages accompagnés", "type": "number"},
    {"key": "territoires", "label": "Territoires couverts", "type": "multiple_choice",
     "choices": ["Artois", "Boulonnais", "Lens-Hénin"]},
    {"key": "equipe", "label": "Équipe", "type": "table", "max_rows": 3,
     "columns": [{"key": "fonction", "label": "Fonction"}, {"key": "etp", "label": "ETP", "type": "number"}]},
]
DECLARATIONS = [{"key": "casf", "text": "Je déclare ne pas avoir fait l'objet des condamnations du livre III du CASF."}]
ANSWERS = {"q.objectifs": "Aller vers les ménages.", "q.menages": "120", "q.territoires": ["Artois", "Lens-Hénin"],
           "q.equipe.0.fonction": "Travailleuse sociale", "q.equipe.0.etp": "1,5",
           "cerfa.amount_requested": "12 000", "budget.64": "15 000", "budget.74-departement": "12 000",
           "budget.75": "3 000,00", "decl.casf": "1"}


@pytest.fixture
def open_call(publish_call, clock):
    clock("2025-04-15 10:00:00")
    return publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": CLOSES}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)


@pytest.fixture
def applicant(make_user, make_organisation):
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    paul = make_user("paul@asso-logement.fr", "Paul Durand")
    organisation = make_organisation(claire, "Association Logement Solidaire", members=[paul])
    return claire, paul, organisation


def start(client, call, organisation) -> str:
    """Click « Candidater »; returns the application's URL."""
    response = post_form(client, "/candidatures/nouvelle",
                         {"window_id": call.windows[0].id, "organisation_id": str(organisation.id)},
                         form_page=f"/appels/{call.slug}/")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def fill(client, url: str, answers: dict | None = None):
    return post_form(client, f"{url}formulaire", dict(ANSWERS if answers is None else answers),
                     form_page=f"{url}formulaire")


def upload(client, url: str, key: str, content: bytes, name: str):
    import io

    return post_form(client, f"{url}pieces/{key}", {"file": (io.BytesIO(content), name)},
                     form_page=f"{url}pieces", content_type="multipart/form-data")


def ready(client, url: str):
    """Answer everything and upload the required documents."""
    fill(client, url)
    upload(client, url, "statuts", pdf(), "statuts.pdf")
    upload(client, url, "cerfa-12156", pdf() + b"% cerfa\n", "cerfa 12156.pdf")


def deposit(client, url: str, **kwargs):
    return post_form(client, f"{url}deposer", {}, form_page=f"{url}deposer", **kwargs)


def application_id(url: str) -> str:
    return re.search(r"/candidatures/([0-9a-f-]{36})/", url).group(1)


def get_application(url: str):
    from portal.applications import queries

    db.session.expire_all()
    import uuid

    return queries.get(uuid.UUID(application_id(url)))
