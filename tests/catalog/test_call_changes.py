"""A published call that changes: what changed for applicants is kept with the revision in French, shown on the
call's page as a dated « Modification de l'appel », and mailed once to each member of the organisations that
have a draft or a deposit on it; a change that would break applications already made is refused, saying why."""

from __future__ import annotations

import hashlib

import pytest
import yaml
from sqlalchemy import select

from portal.applications import drafts, submission
from portal.catalog import authoring, services
from portal.catalog.changes import applicant_changes, parts_of
from portal.catalog.queries import get_call
from portal.catalog.schema import CallSpec
from portal.catalog.services import sync_calls
from portal.catalog.usage import KeysInUse
from portal.core import time
from portal.core.mail import OutboxMessage
from portal.core.text import fold
from portal.extensions import db
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.conftest import call_data, post_form
from tests.reviews.conftest import deposit_application

FILE = "aap-2025-equipes-mobiles.md"
SLUG = "aap-2025-equipes-mobiles"
WINDOWS = [{"key": "unique", "label": "Fenêtre unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}]


@pytest.fixture
def published(app, clock, write_call):
    clock("2025-04-15 10:00:00")
    data = call_data(windows=WINDOWS, required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                     selection_date="2025-06-15", funding={"envelope": 120000})
    write_call(FILE, data)
    assert sync_calls([write_call.folder], time.now()).created == [SLUG]
    db.session.commit()
    return data


@pytest.fixture
def applying(published, make_user, make_organisation):
    """« Alpha » deposited (two members), « Bêta » has a draft, « Gamma » withdrew, « Delta » applies elsewhere."""
    call = get_call(SLUG)
    people = {}
    for index, name in enumerate(["Alpha", "Bêta", "Gamma", "Delta"], start=1):
        person = make_user(f"presidence@{fold(name)}.fr", f"Présidente {name}")
        members = [make_user("tresorier@alpha.fr", "Trésorier Alpha")] if name == "Alpha" else []
        organisation = make_organisation(person, f"Association {name}", rna=f"W62100000{index}", members=members)
        people[name] = person
        if name in ("Alpha", "Gamma"):
            application = deposit_application(call, organisation, person)
            if name == "Gamma":
                submission.withdraw(application, "Le projet est reporté.", person, time.now())
        elif name == "Bêta":
            drafts.start(call.windows[0], organisation, person, time.now())
    db.session.commit()
    db.session.query(OutboxMessage).delete()  # the receipts of the deposits
    db.session.commit()
    return people


def republish(write_call, data: dict, **changes):
    write_call(FILE, {**data, **changes})
    report = sync_calls([write_call.folder], time.now())
    db.session.commit()
    return report


def mails() -> dict[str, list[OutboxMessage]]:
    found: dict[str, list[OutboxMessage]] = {}
    for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        found.setdefault(message.recipient, []).append(message)
    return found


def test_closing_date_moved_is_kept_in_french_with_the_revision(published, write_call, clock):
    clock("2025-05-03 11:00:00")
    report = republish(write_call, published, windows=[{**WINDOWS[0], "closes_on": "2025-05-23"}],
                       funding={"envelope": 150000.5})

    assert report.updated == [SLUG]
    revision = get_call(SLUG).latest_revision
    assert revision.details == [
        {"label": "Dates et fenêtres de candidature : clôture (Fenêtre unique)", "before": "9 mai 2025",
         "after": "23 mai 2025"},
        {"label": "Financement : enveloppe", "before": "120\u202f000 €", "after": "150\u202f000,50 €"}]
    # One vocabulary: each detail falls under a part the revision's « ce qui a changé » names.
    assert set(parts_of(revision.details)) <= set(revision.changes)


def test_a_change_that_does_not_matter_to_applicants_has_no_details(published, write_call):
    republish(write_call, published, title="Équipes mobiles : un titre revu")
    revision = get_call(SLUG).latest_revision
    assert revision.changes == ["Titre"] and revision.details is None


def test_documents_questions_and_criteria_added_or_changed_are_described():
    old = CallSpec.model_validate(call_data(required_documents=DOCUMENTS, questions=QUESTIONS))
    documents = [{**DOCUMENTS[0], "required": False}, *DOCUMENTS[1:],
                 {"key": "budget", "label": "Budget prévisionnel", "formats": ["xlsx", "ods"]}]
    questions = [{**QUESTIONS[0], "max_length": 500}, *QUESTIONS[1:]]
    new = CallSpec.model_validate(call_data(required_documents=documents, questions=questions,
                                            selection_criteria=[{"key": "qualite", "label": "Qualité", "weight": 2}],
                                            start_date="2025-09-01"))

    assert applicant_changes(old, new) == [
        {"label": "Date de démarrage", "before": "—", "after": "1er septembre 2025"},
        {"label": "Pièces à fournir : « Statuts de l'association »",
         "before": "Statuts de l'association, obligatoire, PDF, 1 Mo au plus",
         "after": "Statuts de l'association, facultative, PDF, 1 Mo au plus"},
        {"label": "Pièces à fournir : « Budget prévisionnel »", "before": "—",
         "after": "ajoutée — Budget prévisionnel, obligatoire, XLSX, ODS, 20 Mo au plus"},
        {"label": "Questions du dossier : « Objectifs du projet »",
         "before": "Objectifs du projet, obligatoire, 200 caractères au plus",
         "after": "Objectifs du projet, obligatoire, 500 caractères au plus"},
        {"label": "Critères de sélection : « Qualité »", "before": "—", "after": "ajouté — Qualité, coefficient 2"}]


def test_a_document_required_of_some_carriers_and_yearly_envelopes_are_described():
    old = CallSpec.model_validate(call_data(required_documents=DOCUMENTS[:1], selection_years=2,
                                            funding={"envelopes": [{"year": 2025, "amount": 50000}]}))
    new = CallSpec.model_validate(call_data(
        required_documents=[{**DOCUMENTS[0], "required_for": ["association"]}], selection_years=2,
        funding={"envelopes": [{"year": 2025, "amount": 50000}, {"year": 2026, "amount": 60000}]}))
    assert applicant_changes(old, new) == [
        {"label": "Pièces à fournir : « Statuts de l'association »",
         "before": "Statuts de l'association, obligatoire, PDF, 1 Mo au plus",
         "after": "Statuts de l'association, obligatoire pour les associations, PDF, 1 Mo au plus"},
        {"label": "Financement : enveloppe 2026", "before": "—", "after": "60\u202f000 €"}]


def test_the_call_page_shows_the_dated_modification(client, published, write_call, clock):
    clock("2025-05-03 11:00:00")
    republish(write_call, published, windows=[{**WINDOWS[0], "closes_on": "2025-05-23"}])

    page = client.get(f"/appels/{SLUG}/").get_data(as_text=True)
    assert "Modification de l'appel du 3 mai 2025" in page
    section = page[page.index("Modification de l'appel du 3 mai 2025"):]
    assert "clôture (Fenêtre unique)" in section and "9 mai 2025" in section and "23 mai 2025" in section


def test_feed_says_what_changed(client, published, write_call, clock):
    clock("2025-05-03 11:00:00")
    republish(write_call, published, windows=[{**WINDOWS[0], "closes_on": "2025-05-23"}])
    feed = client.get("/appels/flux.atom").get_data(as_text=True)
    assert "clôture (Fenêtre unique) : 9 mai 2025 → 23 mai 2025" in feed


def test_organisations_with_a_draft_or_a_deposit_get_one_mail_per_member(published, applying, write_call, clock):
    clock("2025-05-03 11:00:00")
    republish(write_call, published, windows=[{**WINDOWS[0], "closes_on": "2025-05-23"}])

    sent = mails()
    assert sorted(sent) == ["presidence@alpha.fr", "presidence@beta.fr", "tresorier@alpha.fr"]
    assert all(len(messages) == 1 for messages in sent.values())
    message = sent["presidence@beta.fr"][0]
    assert "Équipes mobiles" in message.subject
    assert f"/appels/{SLUG}/" in message.body
    assert "9 mai 2025 → 23 mai 2025" in message.body


def test_a_change_without_details_sends_no_mail(published, applying, write_call):
    republish(write_call, published, title="Équipes mobiles : un titre revu")
    assert mails() == {}


def test_removing_a_question_in_use_is_refused_by_sync_in_french(published, applying, write_call):
    report = republish(write_call, published, questions=QUESTIONS[:1] + QUESTIONS[2:])

    assert report.updated == []
    assert [str(e) for e in report.errors] == [
        f"{FILE}: questions: la question « menages » ne peut pas être retirée : les candidatures AAP-2025-0001, "
        "AAP-2025-0002 l'utilisent. La version en ligne reste inchangée."]
    assert len(get_call(SLUG).spec.questions) == 4


def test_a_question_no_application_answered_may_go(published, make_user, make_organisation,
                                                                    write_call):
    call = get_call(SLUG)
    person = make_user("presidence@beta.fr", "Présidente Bêta")
    organisation = make_organisation(person, "Association Bêta")
    drafts.start(call.windows[0], organisation, person, time.now())  # nothing answered yet
    db.session.commit()
    report = republish(write_call, published, questions=QUESTIONS[:1] + QUESTIONS[2:])
    assert report.errors == [] and report.updated == [SLUG]


def test_removing_a_document_in_use_is_refused_by_publish(published, applying):
    data = {**published, "required_documents": DOCUMENTS[1:]}
    spec = CallSpec.model_validate(data)
    with pytest.raises(KeysInUse) as refused:
        services.publish(SLUG, spec, "## Contexte\n\nUn texte d'appel suffisant.",
                         hashlib.sha256(b"autre").hexdigest(), time.now())
    assert refused.value.messages() == [
        ("required_documents", "la pièce « statuts » ne peut pas être retirée : les candidatures AAP-2025-0001, "
                               "AAP-2025-0002 l'utilisent. La version en ligne reste inchangée.")]


def test_removing_a_question_in_use_is_refused_in_the_editor_too(client, clock, make_user, make_organisation,
                                                                 sign_in):
    """The editor publishes through services.publish: its refusal names the question and the application."""
    clock("2025-04-15 10:00:00")
    issuer = "Département du Pas-de-Calais"
    gaelle = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": issuer})])
    data = call_data(windows=WINDOWS, required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)

    def text(questions):
        front = yaml.safe_dump({**data, "questions": questions}, allow_unicode=True, sort_keys=False)
        return f"---\n{front}---\n## Contexte\n\nUn texte d'appel suffisant.\n"

    source = authoring.create("equipes-mobiles", issuer, text(QUESTIONS), gaelle, time.now(), origin="blank")
    call = authoring.publish(source, gaelle, time.now())
    person = make_user("presidence@alpha.fr", "Présidente Alpha")
    deposit_application(call, make_organisation(person, "Association Alpha"), person)

    sign_in(client, gaelle.email)
    post_form(client, "/gestion/redaction/equipes-mobiles", {"text": text(QUESTIONS[:1] + QUESTIONS[2:]),
                                                             "action": "enregistrer"})
    response = post_form(client, "/gestion/redaction/equipes-mobiles/publier", {}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "la question « menages » ne peut pas être retirée : la candidature AAP-2025-0001 l&#39;utilise" in page
    db.session.expire_all()
    assert len(get_call("equipes-mobiles").spec.questions) == 4
