"""The call editor's preview shows, under the public page, the application form the call implies: its questions and
the Cerfa's budget with empty answers, every field disabled, and the documents asked — read-only, posting nowhere.
The form is the applications domain's, shown through the `call.preview_form` slot."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from portal.applications import cerfa
from portal.catalog import authoring
from portal.extensions import db
from tests.catalog.test_authoring import ISSUER, _main, new_from_template, save
from tests.conftest import post_form

HEADING = "Le formulaire de candidature qu'implique cet appel"


@pytest.fixture
def manager(make_user, sign_in, client):
    user = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    sign_in(client, user.email)
    return user


def _form_part(page: str) -> str:
    """The preview's form section: from its start to the end of the page's content, under which it is shown."""
    assert '<section id="formulaire-implique"' in page, "no « formulaire-implique » section in the preview"
    return page[page.index('<section id="formulaire-implique"'):page.index("</main>")]


def _preview(client, slug="aap-2026-essai") -> str:
    response = client.get(f"/gestion/redaction/{slug}/apercu")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_preview_shows_the_questions_and_budget_of_a_template_call_read_only(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    page = _preview(client)
    assert HEADING in page
    part = _form_part(page)
    spec = authoring.check("aap-2026-essai", authoring.source("aap-2026-essai").text).spec
    assert spec.questions
    for question in spec.questions:
        assert question.label in part
    for line in [*cerfa.CHARGES, *cerfa.PRODUITS, *cerfa.IN_KIND]:
        assert f'<label for="budget-{line.code}">{escape(line.label)}</label>' in part
    assert "Montant de la subvention demandée" in part
    # Every field sits in a disabled fieldset, empty.
    assert re.search(r"<fieldset[^>]*\bdisabled\b", part)
    assert '<textarea id="q-objectifs"' in part and re.search(r'<textarea id="q-objectifs"[^>]*></textarea>', part)
    assert 'value=""' in part and not re.search(r'value="[^"]+" data-line', part)
    # Nothing to post: no form in the section, and no form anywhere on the page posting to an application.
    assert "<form" not in part and "csrf_token" not in part
    assert not re.search(r'<form[^>]*action="/candidatures', page)
    assert "<button" not in part


MORE_QUESTIONS = """    type: long_text
  - key: territoires
    label: "Territoires couverts"
    type: multiple_choice
    choices: ["Artois", "Boulonnais"]
  - key: logement
    label: "Disposez-vous d'un logement relais ?"
    type: yes_no
  - key: equipe
    label: "Composition de l'équipe"
    type: table
    columns:
      - key: fonction
        label: "Fonction"
      - key: etp
        label: "ETP"
        type: number
declarations:
  - key: casf
    text: "Je déclare ne pas avoir fait l'objet des condamnations du livre III du CASF."
"""


def test_every_kind_of_question_and_the_declarations_are_shown_empty_and_disabled(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    text = authoring.source("aap-2026-essai").text.replace("    type: long_text\n", MORE_QUESTIONS, 1)
    assert authoring.check("aap-2026-essai", text).valid
    save(client, "aap-2026-essai", text)
    db.session.expire_all()
    part = _form_part(_preview(client))
    for said in ["Territoires couverts", "Artois", "Boulonnais", "Disposez-vous d&#39;un logement relais ?", "Oui",
                 "Composition de l&#39;équipe", "Fonction", "ETP", "Déclarations sur l'honneur",
                 "Je déclare ne pas avoir fait l&#39;objet des condamnations du livre III du CASF."]:
        assert said in part, said
    assert 'type="checkbox" id="q-territoires-1"' in part and 'type="radio" id="q-logement-1"' in part
    assert 'id="q-equipe-0-fonction"' in part and 'id="decl-casf"' in part
    assert " checked" not in part and "Cochée par" not in part
    # Headings under the section's own: the form's parts are h3.
    assert "<h3>Questions de l'appel</h3>" in part and "<h3>Déclarations sur l'honneur</h3>" in part
    assert "<h2>" not in part.split("</h2>", 1)[1]
    # The whole form sits in one disabled fieldset, which holds every input of the section.
    opened = part.index("<fieldset class=\"plain-fieldset\" disabled>")
    assert part.index("<input") > opened and part.rindex("<input") < part.rindex("</fieldset>")


def test_the_preview_lists_the_documents_asked_and_for_whom(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    text = authoring.source("aap-2026-essai").text.replace(
        "    label: \"Statuts de l'association\"\n",
        "    label: \"Statuts de l'association\"\n    required_for: [association]\n", 1)
    assert "required_for" in text
    save(client, "aap-2026-essai", text)
    db.session.expire_all()
    part = _form_part(_preview(client))
    assert "Statuts de l&#39;association" in part
    assert "obligatoire pour les associations" in part
    assert "Formats acceptés" in part


def test_the_page_above_the_form_is_still_the_public_page(client, manager, clock):
    """The form is added under the page: the preview without it is the page the publication gives."""
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    page = _preview(client)
    assert page.index("<h1>") < page.index(HEADING) < page.index("</main>")
    without = page.replace(_form_part(page), "")
    post_form(client, "/gestion/redaction/aap-2026-essai/publier", {})
    public = client.get("/appels/aap-2026-essai/").get_data(as_text=True)
    assert HEADING not in public
    assert _main(without).split() == _main(public).split()
