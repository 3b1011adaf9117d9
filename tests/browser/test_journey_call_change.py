"""Journey in a real browser: a published call changes. Gaëlle, who manages the Pas-de-Calais's calls, joins the
signed notice to a call written in the portal, then moves its closing date in the editor and publishes the new
version; Claire, whose association has a draft on that call, finds on the call's page the dated « Modification de
l'appel » with the closing date before and after, downloads the notice, and has the e-mail in the outbox. Every
page is checked by axe-core."""

from __future__ import annotations

import re

import yaml
from playwright.sync_api import expect
from sqlalchemy import select

from portal.applications import drafts
from portal.catalog import authoring
from portal.core import time
from portal.core.mail import OutboxMessage
from portal.extensions import db
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.browser.test_journey_application import sign_in
from tests.conftest import call_data
from tests.fakes.samples import pdf
from tests.reviews.conftest import ISSUER

SLUG = "aap-2025-equipes-mobiles"
CALL_ID = "6f1c2a3e-5b7d-4c9e-8a1f-2b3c4d5e6f70"
BODY = "## Contexte\n\nUn texte d'appel suffisant.\n"


def call_text(closes_on: str) -> str:
    data = call_data(id=CALL_ID, windows=[{"key": "unique", "label": "Fenêtre unique", "opens_on": "2025-04-01",
                               "closes_on": closes_on}],
                     required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    return f"---\n{yaml.safe_dump(data, allow_unicode=True, sort_keys=False)}---\n{BODY}"


def test_a_manager_moves_the_closing_date_and_an_association_with_a_draft_is_told(page, new_page, checked, clock,
                                                                                  make_user, make_organisation):
    moment = clock("2025-04-15 10:00:00")
    page.clock.set_fixed_time(moment)
    gaelle = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    draft = authoring.create(SLUG, ISSUER, call_text("2025-05-09"), gaelle, time.now(), origin="blank")
    call = authoring.publish(draft, gaelle, time.now())
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    association = make_organisation(claire, "Association Logement Solidaire")
    drafts.start(call.windows[0], association, claire, time.now())
    db.session.commit()  # the portal's server thread reads what is committed

    # Gaëlle joins the signed notice to the call.
    sign_in(page, checked, gaelle.email)
    # From her « Espace de gestion », the call's editor, then its documents: links only.
    page.get_by_role("link", name=re.compile("^Modifier l'appel")).first.click()
    page.get_by_role("link", name=re.compile("^Documents de l'appel")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Documents de l'appel « {SLUG} »")
    checked(page, "documents de l'appel vides")
    page.get_by_label("Titre du document").fill("Avis d’appel signé")
    page.get_by_label("Fichier").set_input_files([{"name": "avis signé.pdf", "mimeType": "application/pdf",
                                                   "buffer": pdf()}])
    page.get_by_role("button", name="Joindre le document").click()
    expect(page.locator(".notice-success")).to_contain_text("« Avis d’appel signé » est joint à l'appel")
    expect(page.get_by_role("table")).to_contain_text("avis signé.pdf")
    checked(page, "documents de l'appel")

    # On 3 May, she moves the closing date to 23 May in the editor and publishes the new version.
    moment = clock("2025-05-03 11:00:00")
    page.clock.set_fixed_time(moment)
    page.get_by_role("navigation", name="Fil d'Ariane").get_by_role("link", name=SLUG).click()
    page.get_by_label(re.compile("^Texte de l'appel")).fill(call_text("2025-05-23"))
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".notice-success")).to_contain_text("enregistrée")
    page.get_by_role("button", name="Publier cette version maintenant").click()
    expect(page.locator(".notice-success")).to_contain_text("L'appel est publié")

    # Claire opens the call's page: the dated modification says what changed.
    claire_page = new_page()
    claire_page.clock.set_fixed_time(moment)
    sign_in(claire_page, checked, claire.email)
    claire_page.goto(f"/appels/{SLUG}/")
    modification = claire_page.get_by_role("table", name="Modification de l'appel du 3 mai 2025")
    expect(modification).to_be_visible()
    row = modification.get_by_role("row", name=re.compile("clôture"))
    expect(row).to_contain_text("9 mai 2025")
    expect(row).to_contain_text("23 mai 2025")
    documents = claire_page.get_by_role("region", name="Documents de l'appel")
    expect(documents).to_contain_text("(PDF, ")
    checked(claire_page, "appel modifie")
    with claire_page.expect_download() as download:
        documents.get_by_role("link", name="Avis d’appel signé").click()
    assert download.value.suggested_filename == "avis signé.pdf"

    # And the e-mail waits in the outbox, with the link to the call and what changed.
    db.session.expire_all()
    mails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == claire.email,
                                                                 OutboxMessage.subject.contains("Modification"))))
    assert len(mails) == 1
    assert f"/appels/{SLUG}/" in mails[0].body and "9 mai 2025 → 23 mai 2025" in mails[0].body
