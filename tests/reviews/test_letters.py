"""Every decision letter states the « voies et délais de recours » (code de justice administrative R421-5: recours
gracieux to the author, recours contentieux before the tribunal administratif within two months, Télérecours
citoyens) and names its signatory; a call file without a signatory cannot publish its decisions."""

from __future__ import annotations

import pytest

from portal.core import time
from portal.core.errors import Refusal
from portal.extensions import db
from portal.reviews import decisions
from tests.conftest import post_form
from tests.reviews.conftest import AFTER_CLOSING, CRITERIA, ISSUER, SIGNATORY, sign_in_as
from tests.reviews.test_decisions import REASON, decision_mails, deliberate, text_of, url_of

COURT = "Tribunal administratif de Lille"


def republish(selection, publish_call, clock, issuer: dict, **overrides):
    """The same call file, its issuer block changed (as a `portal calls sync` after an edit)."""
    from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS

    overrides.setdefault("windows", [{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}])
    call = publish_call(id=str(selection.call.uuid), required_documents=DOCUMENTS, questions=QUESTIONS,
                        declarations=DECLARATIONS, selection_criteria=CRITERIA, issuer={"body": ISSUER, **issuer},
                        **overrides)
    clock(AFTER_CLOSING)
    return call


def decide_each_outcome(selection) -> None:
    """Alpha retenue, Bêta on the liste complémentaire, Gamma non retenue; Delta is irrecevable."""
    apps, manager, now = selection.applications, selection.manager, time.now()
    decisions.record(apps[0], "selected", "10 000", None, "", False, manager, now)
    decisions.record(apps[1], "waiting_list", None, None, "", False, manager, now)
    decisions.record(apps[2], "rejected", None, None, "Le budget n'est pas détaillé.", False, manager, now)
    db.session.commit()


def test_every_letter_states_the_appeals_the_court_and_is_signed(client, selection, publish_call, clock):
    republish(selection, publish_call, clock, {"siren": "226200012", "appeals_court": COURT,
                                               "signatory": SIGNATORY})
    round_ = deliberate(selection, {3: REASON})
    decide_each_outcome(selection)
    decisions.publish(round_, selection.manager, time.now())
    db.session.commit()
    for applicant, application, outcome in zip(selection.applicants, selection.applications,
                                               ["Retenu", "Liste complémentaire", "Non retenu", "irrecevable"],
                                               strict=True):
        sign_in_as(client, applicant)
        text = text_of(client.get(f"/candidatures/{application.id}/decision.pdf").get_data())
        assert outcome in text
        assert "Voies et délais de recours" in text
        assert (f"dans un délai de deux mois à compter de sa notification, d'un recours gracieux auprès de son "
                f"auteur ({ISSUER}), et d'un recours contentieux devant le tribunal administratif de Lille.") in text
        assert "Télérecours citoyens" in text and "www.telerecours.fr" in text
        assert f"Par délégation, {SIGNATORY['title']} {SIGNATORY['name']}" in text
    for message in decision_mails():
        assert "La lettre indique les voies et délais de recours contre cette décision" in message.body


def test_a_call_level_signatory_overrides_the_issuer_and_an_unnamed_court_is_the_competent_one(
        client, selection, publish_call, clock):
    republish(selection, publish_call, clock, {"signatory": SIGNATORY},
              signatory={"name": "Paul Exemple", "title": "Directeur général adjoint"})
    round_ = deliberate(selection)
    decide_each_outcome(selection)
    decisions.record(selection.applications[3], "selected", "5 000", None, "", False, selection.manager, time.now())
    decisions.publish(round_, selection.manager, time.now())
    db.session.commit()
    sign_in_as(client, selection.applicants[2])
    text = text_of(client.get(f"/candidatures/{selection.applications[2].id}/decision.pdf").get_data())
    assert "devant le tribunal administratif territorialement compétent" in text
    assert "Directeur général adjoint Paul Exemple" in text
    assert "Marie Exemple" not in text and "Par délégation" not in text


def test_without_a_signatory_the_page_says_what_is_missing_and_publication_is_refused(
        client, selection, publish_call, clock):
    republish(selection, publish_call, clock, {"appeals_court": COURT})
    round_ = deliberate(selection)
    decide_each_outcome(selection)
    decisions.record(selection.applications[3], "selected", "5 000", None, "", False, selection.manager, time.now())
    db.session.commit()
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/{selection.call.slug}/fenetres/unique"
    page = client.get(f"{url}/publication").get_data(as_text=True)
    assert "Les lettres ne peuvent pas partir : un paramètre manque dans le fichier de l" in page
    assert "le signataire des lettres de décision (« signatory »" in page
    assert "Publier les décisions et envoyer les lettres" not in page
    # The preview still shows the draft, saying why it cannot be sent.
    text = text_of(client.get(f"{url_of(selection.applications[0])}/lettre.pdf").get_data())
    assert "PROJET" in text and "Signataire à renseigner dans le fichier de l'appel" in text
    response = post_form(client, f"{url}/publier", {"confirm": "y"}, form_page=f"{url_of(selection.applications[0])}",
                         follow_redirects=True)
    assert "Les lettres ne peuvent pas partir : le fichier de l&#39;appel doit indiquer le signataire" in \
        response.get_data(as_text=True)
    with pytest.raises(Refusal, match="Les lettres ne peuvent pas partir"):
        decisions.publish(round_, selection.manager, time.now())


def test_a_court_that_is_not_a_tribunal_administratif_is_refused_in_french(write_call):
    from portal.catalog.loader import load
    from tests.conftest import call_data

    path = write_call("aap.md", call_data(issuer={"body": ISSUER, "appeals_court": "Lille",
                                                  "signatory": {"name": "Marie Exemple"}}))
    messages = {(e.field, e.message) for e in load(path).errors}
    assert ("issuer.appeals_court", "« Lille » : écrivez le nom du tribunal, par exemple « Tribunal administratif "
                                    "de Lille »") in messages
    assert ("issuer.signatory.title", "champ obligatoire manquant") in messages


def test_a_sent_letter_keeps_the_signatory_and_court_of_its_day(client, selection, publish_call, clock):
    republish(selection, publish_call, clock, {"appeals_court": COURT, "signatory": SIGNATORY})
    round_ = deliberate(selection)
    decide_each_outcome(selection)
    decisions.record(selection.applications[3], "selected", "5 000", None, "", False, selection.manager, time.now())
    decisions.publish(round_, selection.manager, time.now())
    db.session.commit()
    # The call file changes afterwards: a new director, no court any more.
    republish(selection, publish_call, clock, {"signatory": {"name": "Nouvelle Directrice", "title": "Directrice"}})
    sign_in_as(client, selection.applicants[0])
    text = text_of(client.get(f"/candidatures/{selection.applications[0].id}/decision.pdf").get_data())
    assert SIGNATORY["name"] in text and "devant le tribunal administratif de Lille" in text
    assert "Nouvelle Directrice" not in text
