"""The association is told the truth and told it where she looks. Claire saves her draft (the service does not see
it), has a file refused and another accepted with JavaScript (the refusal as the field's error, announced; the
accepted one listed with its size, no reload), deposits, then edits: the service sees version 1, not her changes.
Without JavaScript, a refused file brings her back to its slot with the error there, and in the summary above."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from portal.core.formatting import size_fr
from tests.applications.conftest import ANSWERS, DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.browser.test_journey_application import sign_in
from tests.fakes.samples import docx, pdf

TITLE = "Équipes mobiles de prévention des expulsions"
NOT_SEEN = "Ce dossier n'est pas encore déposé : le service instructeur ne le voit pas."
VERSION_1 = re.compile(r"Le service instructeur voit la version 1 déposée le 15 avril 2025 à 10\s?h\s?\d\d "
                       r"\(heure de Paris\) ; vos modifications enregistrées depuis ne lui sont pas transmises tant "
                       r"que vous n'avez pas cliqué sur « Déposer les modifications »\.")


def answer_everything(page) -> None:
    page.get_by_label("Objectifs du projet").fill(ANSWERS["q.objectifs"])
    page.get_by_label("Nombre de ménages accompagnés").fill(ANSWERS["q.menages"])
    page.get_by_label("Artois").check()
    page.get_by_label("Fonction, ligne 1").fill("Travailleuse sociale")
    page.get_by_label("ETP, ligne 1").fill("1,5")
    page.get_by_label("Montant de la subvention demandée").fill("12 000")
    page.get_by_label("64 – Charges de personnel").fill("15 000")
    page.get_by_label("74 – Subventions : Département").fill("12 000")
    page.get_by_label("75 – Autres produits de gestion courante").fill("3 000")
    page.get_by_label(DECLARATIONS[0]["text"]).check()


def test_the_association_is_told_what_the_service_sees_and_what_became_of_each_file(
        page, new_page, checked, clock, publish_call, make_user, make_organisation):
    moment = clock("2025-04-15 10:00:00")
    page.clock.set_fixed_time(moment)
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    make_organisation(make_user("claire@asso-logement.fr", "Claire Martin"), "Association Logement Solidaire")

    # A draft, saved with the button, then by autosave: the service does not see it, and she is told so.
    sign_in(page, checked, "claire@asso-logement.fr")
    page.goto(f"/appels/{call.slug}/")
    page.get_by_role("button", name="Candidater").click()
    dossier = page.url
    page.get_by_role("link", name="Répondre aux questions et au budget").click()
    answer_everything(page)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator(".flashes")).to_contain_text("Brouillon enregistré le 15 avril 2025")
    expect(page.locator(".flashes")).to_contain_text(NOT_SEEN)
    checked(page, "brouillon enregistre")
    page.get_by_label("Nombre de ménages accompagnés").fill("125")
    expect(page.locator("[data-autosave-status]")).to_contain_text(NOT_SEEN)

    # With JavaScript: a refused file is the field's error, announced; an accepted one is listed with its size.
    page.goto(f"{dossier}pieces")
    slot = page.get_by_role("region", name="Statuts de l'association")
    expect(slot).to_contain_text("Manquante : pièce obligatoire.")  # said once, not again after the heading
    heading = slot.get_by_role("heading", level=2)
    assert heading.evaluate("h => getComputedStyle(h, '::after').content") in ("none", "normal")
    field = slot.get_by_label("Choisir le fichier")
    field.set_input_files({"name": "statuts.docx", "mimeType": "application/pdf", "buffer": docx()})
    slot.get_by_role("button", name="Téléverser").click()
    error = slot.get_by_role("alert")
    expect(error).to_have_text(re.compile(r"^Erreur : « statuts\.docx » .*PDF"))
    expect(error).to_have_class("error-message")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", re.compile(rf"\b{error.get_attribute('id')}\b"))
    checked(page, "piece refusee avec javascript")
    statutes = pdf() + b"%" + b"s" * 40_000 + b"\n"
    field.set_input_files({"name": "statuts.pdf", "mimeType": "application/pdf", "buffer": statutes})
    page.on("framenavigated", lambda frame: reloads.append(frame.url) if frame == page.main_frame else None)
    reloads: list[str] = []
    slot.get_by_role("button", name="Téléverser").click()
    expect(slot.get_by_role("status")).to_have_text(f"Pièce ajoutée : statuts.pdf ({size_fr(len(statutes))}).")
    expect(slot.get_by_role("link", name="statuts.pdf")).to_be_visible()
    expect(slot.get_by_role("alert")).to_have_count(0)
    field = slot.get_by_label("Remplacer le fichier")  # the field's label follows what the slot holds
    expect(field).not_to_have_attribute("aria-invalid", "true")
    assert reloads == []  # said in place: she stays where she was
    checked(page, "piece ajoutee avec javascript")
    cerfa = page.get_by_role("region", name="Demande de subvention (Cerfa n°12156)")
    cerfa.get_by_label("Choisir le fichier").set_input_files(
        {"name": "cerfa.pdf", "mimeType": "application/pdf", "buffer": pdf() + b"% cerfa\n"})
    cerfa.get_by_role("button", name="Téléverser").click()
    expect(cerfa.get_by_role("status")).to_contain_text("Pièce ajoutée : cerfa.pdf (")

    # Deposited, then edited: the service sees version 1, not the edit, until « Déposer les modifications ».
    page.goto(f"{dossier}deposer")
    page.get_by_role("button", name="Déposer la candidature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accusé de réception — version 1")
    page.goto(f"{dossier}formulaire")
    page.get_by_label("Objectifs du projet").fill("Aller vers les ménages, et les bailleurs.")
    expect(page.locator("[data-autosave-status]")).to_contain_text(VERSION_1)
    expect(page.locator("[data-autosave-status]")).not_to_contain_text("pas encore déposé")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.locator(".flashes")).to_contain_text(VERSION_1)
    expect(page.locator(".status-box")).to_contain_text(VERSION_1)
    expect(page.locator("main")).not_to_contain_text("ne le voit pas")
    checked(page, "modifications enregistrees")

    # Without JavaScript: a refused file brings her back to its slot, the error there and in the summary above.
    plain = new_page(java_script_enabled=False)
    sign_in(plain, checked, "claire@asso-logement.fr")
    plain.goto(f"{dossier}pieces")
    slot = plain.get_by_role("region", name="Demande de subvention (Cerfa n°12156)")
    slot.get_by_label("Remplacer le fichier").set_input_files(
        {"name": "cerfa.pdf", "mimeType": "application/pdf", "buffer": b"<!doctype html><script>x</script>"})
    slot.get_by_role("button", name="Téléverser").click()
    assert plain.url.endswith("#doc-cerfa-12156")
    slot = plain.get_by_role("region", name="Demande de subvention (Cerfa n°12156)")
    error = slot.locator(".error-message")
    expect(error).to_have_text(re.compile(r"^Erreur : « cerfa\.pdf » .*HTML"))
    expect(error).to_be_in_viewport()  # where the page came back to, not 750 px above
    field = slot.get_by_label("Remplacer le fichier")
    expect(field).to_have_attribute("aria-describedby", re.compile(r"\bdoc-cerfa-12156-file-error\b"))
    summary = plain.locator(".error-summary")
    expect(summary.get_by_role("link", name=re.compile(r"^Demande de subvention \(Cerfa n°12156\) : « cerfa\.pdf »")))\
        .to_have_attribute("href", "#doc-cerfa-12156")
    assert plain.title().startswith("Erreur — Pièces justificatives")
    checked(plain, "piece refusee sans javascript")
    plain.goto(f"{dossier}formulaire")
    plain.get_by_label("Nombre de ménages accompagnés").fill("130")
    plain.get_by_role("button", name="Enregistrer les modifications").click()
    expect(plain.locator(".flashes")).to_contain_text(VERSION_1)
    expect(plain.locator("main")).not_to_contain_text("pas encore déposé")
