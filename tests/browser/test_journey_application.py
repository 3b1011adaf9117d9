"""Journey 3 in a real browser: Claire applies for her association. She signs in, opens the call, clicks
« Candidater », answers the questions and the Cerfa budget, uploads the Cerfa while the progress bar moves, reuses
the statutes kept in the organisation's vault, sees what is missing until nothing is, reads the summary, deposits,
downloads the receipt PDF and follows its verification link; Paul, her colleague, sees the deposited version."""

from __future__ import annotations

import hashlib
import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD
from tests.fakes.samples import pdf

CALL_TITLE = "Équipes mobiles de prévention des expulsions"


def sign_in(page, checked, email: str) -> None:
    page.goto("/compte/connexion")
    checked(page, "connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible()
    checked(page, "espace personnel")


def cerfa_pdf(megabytes: int = 4) -> bytes:
    """A real PDF of a few megabytes (a scanned form's size), so that the upload takes visible time."""
    return pdf() + b"%" + b"cerfa 12156 " * (megabytes * 1024 * 1024 // 12) + b"\n%%EOF\n"


def test_an_association_applies_deposits_and_checks_its_receipt(page, new_page, checked, clock, publish_call,
                                                                 make_user, make_organisation, pdf_screenshot):
    from portal.accounts import vault
    from portal.extensions import db

    moment = clock("2025-04-15 10:00:00")
    page.clock.set_fixed_time(moment)  # the browser lives at the portal's instant: its countdown agrees
    publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                 required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    paul = make_user("paul@asso-logement.fr", "Paul Durand")
    association = make_organisation(claire, "Association Logement Solidaire", members=[paul])
    statutes = pdf() + b"% statuts adoptes en assemblee generale\n"
    vault.add_document(association, claire, io.BytesIO(statutes), "statuts.pdf", kind="statuts",
                       label="Statuts signés", year=2024)
    db.session.commit()  # the vault flushes; the portal's server thread reads what is committed
    cerfa = cerfa_pdf()

    # She signs in and finds the call in the catalogue.
    sign_in(page, checked, "claire@asso-logement.fr")
    page.goto("/appels/")
    checked(page, "catalogue")
    page.get_by_role("link", name=CALL_TITLE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CALL_TITLE)
    checked(page, "appel")
    page.get_by_role("button", name="Candidater").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Candidature à « {CALL_TITLE} »")
    expect(page.locator(".countdown")).to_have_text("Temps restant : 24 jours, 14 heures, 0 minute.")
    checked(page, "dossier")
    dossier = page.url

    # The questions, the team table, the Cerfa figures and the declaration, filled by their labels.
    page.get_by_role("link", name="Répondre aux questions et au budget").click()
    checked(page, "questions")
    page.get_by_label("Objectifs du projet").fill("Aller vers les ménages menacés d'expulsion.")
    page.get_by_label("Nombre de ménages accompagnés").fill("120")
    page.get_by_label("Artois").check()
    page.get_by_label("Lens-Hénin").check()
    page.get_by_label("Fonction, ligne 1").fill("Travailleuse sociale")
    page.get_by_label("ETP, ligne 1").fill("1,5")
    page.get_by_label("Montant de la subvention demandée").fill("12 000")
    page.get_by_label("64 – Charges de personnel").fill("15 000")
    page.get_by_label("74 – Subventions : Département").fill("12 000")
    page.get_by_label("75 – Autres produits de gestion courante").fill("3 000,00")
    expect(page.locator("#budget-total")).to_have_text(re.compile(r"Budget équilibré : 15\s000,00\s€"))
    page.get_by_label(DECLARATIONS[0]["text"]).check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Brouillon enregistré")).to_be_visible()
    checked(page, "questions enregistrées")
    assert page.get_by_label("Objectifs du projet").input_value() == "Aller vers les ménages menacés d'expulsion."

    # What is missing: the two required documents, on a desktop and on her phone.
    page.goto(dossier)
    panel = page.get_by_role("region", name="Ce qui manque")
    expect(panel).to_contain_text("2 points à compléter")
    expect(panel.get_by_role("link", name="Statuts de l'association")).to_be_visible()
    expect(panel.get_by_role("link", name="Demande de subvention (Cerfa n°12156)")).to_be_visible()
    checked(page, "formulaire", screenshot=True)
    phone = new_page(viewport=PHONE)
    phone.clock.set_fixed_time(moment)
    sign_in(phone, checked, "claire@asso-logement.fr")
    phone.goto(dossier)
    expect(phone.get_by_role("region", name="Ce qui manque")).to_contain_text("2 points à compléter")
    checked(phone, "formulaire", screenshot=True, suffix="-mobile")

    # The Cerfa, uploaded with a progress bar: the request is held while she watches the bar.
    panel.get_by_role("link", name="Demande de subvention (Cerfa n°12156)").click()
    checked(page, "pieces")
    slot = page.get_by_role("region", name="Demande de subvention (Cerfa n°12156)")
    bar = slot.locator("progress")
    expect(bar).to_be_hidden()
    page.evaluate("""() => {  // what the bar shows while the file is sent
      const bar = document.querySelector('#doc-cerfa-12156 progress');
      new MutationObserver(() => sessionStorage.setItem('progress',
        (sessionStorage.getItem('progress') || '') + (bar.hidden ? 'hidden' : bar.value) + ' '))
        .observe(bar, {attributes: true, attributeFilter: ['hidden', 'value']});
    }""")
    while_sending = []

    def hold_the_upload(route):  # the request is on its way: she sees the bar before the server answers
        while_sending.append(bar.is_visible())
        route.continue_()

    page.route("**/pieces/cerfa-12156", hold_the_upload)
    slot.get_by_label("Choisir le fichier").set_input_files(
        {"name": "cerfa 12156.pdf", "mimeType": "application/pdf", "buffer": cerfa})
    slot.get_by_role("button", name="Téléverser").click()  # the server answers: the slot lists the file, no reload
    expect(slot.get_by_role("status")).to_have_text("Pièce ajoutée : cerfa 12156.pdf (4 Mo).")
    assert while_sending == [True]
    seen = page.evaluate("() => sessionStorage.getItem('progress')").split()
    assert "100" in seen, seen  # the bar went up to 100 % while the file was sent
    page.unroute("**/pieces/cerfa-12156")
    checked(page, "pieces apres televersement")
    slot = page.get_by_role("region", name="Demande de subvention (Cerfa n°12156)")
    expect(slot.get_by_role("link", name="cerfa 12156.pdf")).to_be_visible()

    # The statutes, reused from the vault rather than uploaded again.
    statutes_slot = page.get_by_role("region", name="Statuts de l'association")
    statutes_slot.get_by_label("Ou reprendre un document du coffre-fort").select_option(label="Statuts signés (2024)")
    statutes_slot.get_by_role("button", name="Reprendre ce document").click()
    expect(page.get_by_text("« Statuts signés » est repris du coffre-fort.")).to_be_visible()
    checked(page, "pieces depuis le coffre")
    expect(page.get_by_role("region", name="Statuts de l'association")).to_contain_text("repris du coffre-fort")

    # Nothing is missing any more: the panel says so.
    page.get_by_role("link", name="Retour au dossier").click()
    panel = page.get_by_role("region", name="Ce qui manque")
    expect(panel).to_contain_text("Le dossier est complet : vous pouvez le déposer.")
    expect(panel.get_by_role("listitem")).to_have_count(0)
    checked(page, "dossier complet")

    # The summary, then the deposit.
    page.get_by_role("link", name="Relire et déposer la candidature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Relire et déposer")
    expect(page.get_by_text("Aller vers les ménages menacés d'expulsion.")).to_be_visible()
    checked(page, "relecture")
    page.get_by_role("button", name="Déposer la candidature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accusé de réception — version 1")
    notice = page.get_by_text("Candidature déposée : n°")
    number = re.search(r"n° (\S+), version 1", notice.inner_text()).group(1)
    expect(page.locator(".key-facts")).to_contain_text(number)
    checked(page, "accuse-reception", screenshot=True)
    receipt_url = page.url
    phone.goto(receipt_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Accusé de réception — version 1")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "le reçu déborde sur un téléphone"
    checked(phone, "accuse-reception", screenshot=True, suffix="-mobile")

    # Printed, the receipt keeps its facts and its verification address, written once, without the menus.
    phone.emulate_media(media="print")
    expect(phone.get_by_role("navigation", name="Menu principal")).to_be_hidden()
    expect(phone.locator(".key-facts")).to_contain_text(number)
    printed = phone.locator("main").inner_text() + phone.evaluate(
        "() => [...document.querySelectorAll('main a')].map(a => getComputedStyle(a, '::after').content).join(' ')")
    assert len(re.findall(r"/verifier/[\w-]{24}", printed)) == 1, printed

    # The receipt PDF: the number, each file's SHA-256 and the verification link.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger l'accusé de réception (PDF)").click()
    assert download.value.suggested_filename == f"accuse-reception-{number}-v1.pdf"
    pdf_screenshot(download.value.path(), "accuse-reception-pdf")
    text = "".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    flat = re.sub(r"\s+", "", text)
    assert number in flat
    assert hashlib.sha256(cerfa).hexdigest() in flat
    assert hashlib.sha256(statutes).hexdigest() in flat
    link = re.search(r"https?://[\w.:-]+/verifier/[\w-]{24}", flat).group(0)  # secrets.token_urlsafe(18)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérification d'un accusé de réception")
    expect(page.get_by_text("Ce lien correspond à un dépôt enregistré par le portail.")).to_be_visible()
    expect(page.locator(".key-facts")).to_contain_text(number)
    expect(page.get_by_text(hashlib.sha256(cerfa).hexdigest())).to_be_visible()
    checked(page, "verification")

    # Paul, her colleague, sees the deposited version from his own browser.
    colleague = new_page()
    colleague.clock.set_fixed_time(moment)
    sign_in(colleague, checked, "paul@asso-logement.fr")
    colleague.get_by_role("link", name="Mes candidatures").first.click()
    checked(colleague, "mes candidatures")
    colleague.locator("li.application", has_text=number).get_by_role("link", name=CALL_TITLE).click()
    checked(colleague, "dossier du collegue")
    expect(colleague.get_by_text(number).first).to_be_visible()
    colleague.get_by_role("link", name="Version 1").click()
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Accusé de réception — version 1")
    expect(colleague.locator(".key-facts")).to_contain_text(f"{number} — version 1")
    checked(colleague, "version deposee")
