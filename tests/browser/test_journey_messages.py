"""Journey in a real browser: the application's thread. Claire, of an association that deposited its application,
writes to the service from her application's page with a PDF attached; Gaëlle, the call's manager, signs in, sees
« 1 non lu » on her list of applications, opens the thread (it is marked read as she sees it), downloads the PDF and
replies; Claire finds « 1 nouveau message » on her application and the e-mail waiting in the outbox, with a link and
without the content. Every page of the thread is checked by axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.mail import OutboxMessage
from portal.extensions import db
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.browser.test_journey_application import sign_in
from tests.fakes.samples import pdf
from tests.reviews.conftest import ISSUER, deposit_application

QUESTION = ("Bonjour, notre trésorière est absente jusqu'au 25 avril : pouvons-nous transmettre le budget signé "
            "après cette date ? Vous trouverez ci-joint la version non signée.")
ANSWER = "Bonjour, oui : transmettez-le avant le 30 avril par la messagerie, nous l'ajouterons au dossier."


def test_an_association_and_the_manager_exchange_messages_with_an_attachment(page, new_page, checked, clock,
                                                                             publish_call, make_user,
                                                                             make_organisation):
    moment = clock("2025-04-15 10:00:00")
    page.clock.set_fixed_time(moment)
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    association = make_organisation(claire, "Association Logement Solidaire")
    make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    application = deposit_application(call, association, claire)
    db.session.commit()  # the portal's server thread reads what is committed

    # Claire writes from her application's page, with the unsigned budget attached.
    sign_in(page, checked, claire.email)
    page.goto(f"/candidatures/{application.id}/")
    page.get_by_role("link", name="Messagerie avec le service instructeur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Messagerie de la candidature {application.number}")
    expect(page.get_by_text("Aucun message pour l'instant.")).to_be_visible()
    checked(page, "messagerie vide")
    page.get_by_label("Votre message").fill(QUESTION)
    page.get_by_label(re.compile("^Pièces jointes")).set_input_files(
        [{"name": "budget non signé.pdf", "mimeType": "application/pdf", "buffer": pdf()}])
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator(".notice-success")).to_contain_text("Votre message est envoyé.")
    message = page.locator("ol.thread > li").last
    expect(message).to_contain_text("Claire Martin")
    expect(message).to_contain_text("Organisation candidate")
    expect(message).to_contain_text("15 avril 2025")
    expect(message.get_by_role("link", name="budget non signé.pdf")).to_be_visible()
    checked(page, "messagerie envoyee")

    # In the afternoon, Gaëlle signs in and sees, on her list, one message waiting for her.
    clock("2025-04-15 14:30:00")
    manager = new_page()
    sign_in(manager, checked, "gestion@pasdecalais.fr")
    # Her home counts the question waiting for an answer and leads to the list, where the thread is marked.
    manager.get_by_role("link", name="Messages sans réponse : 1").click()
    waiting = manager.get_by_role("link", name=re.compile(r"^1 non lu"))
    expect(waiting).to_be_visible()
    checked(manager, "liste messages non lus")
    waiting.click()
    expect(manager.locator("ol.thread > li").last).to_contain_text("nouveau")
    expect(manager.locator("#messages-non-lus")).to_have_text("Les nouveaux messages sont marqués comme lus.")
    checked(manager, "messagerie-gestionnaire")
    with manager.expect_download() as download:
        manager.get_by_role("link", name="budget non signé.pdf").click()
    assert download.value.suggested_filename == "budget non signé.pdf"
    manager.get_by_label("Votre message").fill(ANSWER)
    manager.get_by_role("button", name="Envoyer le message").click()
    expect(manager.locator(".notice-success")).to_contain_text("Votre message est envoyé.")
    expect(manager.locator("ol.thread > li").last).to_contain_text("Service instructeur")
    manager.goto(f"/gestion/appels/{call.slug}/candidatures")
    expect(manager.get_by_role("link", name=re.compile(r"non lu"))).to_have_count(0)  # read as she saw it

    # Claire sees the answer waiting on her application, and the e-mail that told her, without its content.
    page.goto(f"/candidatures/{application.id}/")
    expect(page.get_by_text("1 nouveau message")).to_be_visible()
    page.get_by_role("link", name="Messagerie avec le service instructeur").click()
    expect(page.locator("ol.thread > li").last).to_contain_text(ANSWER)
    checked(page, "messagerie", screenshot=True)
    db.session.expire_all()
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == claire.email,
                                                            OutboxMessage.subject.contains("Nouveau message")))
    assert f"/candidatures/{application.id}/messages" in mail.body and "30 avril" not in mail.body
    [told] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "gestion@pasdecalais.fr"))
    assert "trésorière" not in told.body


def test_without_javascript_the_thread_is_written_and_marked_read_with_its_buttons(new_page, checked, clock,
                                                                                  publish_call, make_user,
                                                                                  make_organisation):
    from portal.applications import messages
    from portal.applications.states import MessageSide

    moment = clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    association = make_organisation(claire, "Association Logement Solidaire")
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    application = deposit_application(call, association, claire)
    messages.send(application, QUESTION, [], claire, MessageSide.APPLICANT, moment)
    db.session.commit()
    clock("2025-04-15 14:30:00")

    page = new_page(java_script_enabled=False)
    sign_in(page, checked, manager.email)
    page.goto(f"/candidatures/{application.id}/messages")
    expect(page.locator("#messages-non-lus")).to_have_text("1 message non lu.")  # no script marked it
    checked(page, "messagerie sans javascript")
    page.get_by_role("button", name="Marquer comme lu").click()
    expect(page.locator(".notice-success")).to_contain_text("Les messages sont marqués comme lus.")
    expect(page.get_by_role("button", name="Marquer comme lu")).to_have_count(0)
    page.get_by_role("button", name="Envoyer le message").click()  # empty: refused beside the field
    expect(page.locator("#message-error")).to_contain_text("Écrivez votre message.")
    expect(page.get_by_label("Votre message")).to_have_attribute("aria-invalid", "true")
    checked(page, "messagerie erreur")
    page.get_by_label("Votre message").fill(ANSWER)
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator("ol.thread > li").last).to_contain_text(ANSWER)
    assert messages.unread_count(claire) == 1
