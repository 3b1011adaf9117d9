"""The core flow with JavaScript turned off (RGAA: the service must not depend on it): Claire signs in, starts
her association's application on an open call, answers, saves with « Enregistrer le brouillon », uploads the statutes
through the plain form and sees them listed."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.conftest import PASSWORD
from tests.fakes.samples import pdf

TITLE = "Équipes mobiles de prévention des expulsions"


def test_an_application_is_started_answered_saved_and_given_a_document_without_javascript(
        new_page, checked, clock, publish_call, make_user, make_organisation, tmp_path):
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    make_organisation(claire, "Association Logement Solidaire")
    statutes = tmp_path / "statuts.pdf"
    statutes.write_bytes(pdf() + b"% statuts\n")

    page = new_page(java_script_enabled=False)
    page.route("**/essai-sans-javascript", lambda route: route.fulfill(
        content_type="text/html", body="<title>sans</title><script>document.title = 'avec'</script>"))
    page.goto("/essai-sans-javascript")
    assert page.title() == "sans"  # JavaScript really is off: a page's own scripts do not run
    page.unroute("**/essai-sans-javascript")

    page.goto("/compte/connexion")
    checked(page, "connexion")
    page.get_by_label("Adresse électronique").fill("claire@asso-logement.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible()
    checked(page, "espace personnel")

    page.goto(f"/appels/{call.slug}/")
    checked(page, "appel")
    page.get_by_role("button", name="Candidater").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Candidature à « {TITLE} »")
    checked(page, "candidature")

    page.get_by_role("link", name="Répondre aux questions et au budget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions et budget")
    checked(page, "formulaire")
    page.get_by_label("Objectifs du projet").fill("Aller vers les ménages avant l'audience.")
    page.get_by_label("Nombre de ménages accompagnés").fill("120")
    page.get_by_label("Artois").check()
    page.get_by_label("Fonction, ligne 1").fill("Travailleuse sociale")
    page.get_by_label("64 – Charges de personnel").fill("15 000")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator(".flashes")).to_contain_text("Brouillon enregistré")
    checked(page, "formulaire enregistré")

    # What was saved is there when she comes back to the form.
    page.goto(page.url)
    expect(page.get_by_label("Objectifs du projet")).to_have_value("Aller vers les ménages avant l'audience.")
    expect(page.get_by_label("Artois")).to_be_checked()
    expect(page.get_by_label("64 – Charges de personnel")).to_have_value("15 000")

    page.get_by_role("navigation", name="Fil d'Ariane").get_by_role("link", name="Dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Candidature à « {TITLE} »")
    checked(page, "candidature enregistrée")
    page.get_by_role("link", name="Pièces justificatives").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pièces justificatives")
    checked(page, "pieces")
    slot = page.get_by_role("region", name="Statuts de l'association")
    expect(slot).to_contain_text("Manquante")
    expect(slot).to_contain_text("PDF")  # the hint states the formats and the maximum size
    slot.get_by_label("Choisir le fichier").set_input_files(str(statutes))
    slot.get_by_role("button", name="Téléverser").click()
    slot = page.get_by_role("region", name="Statuts de l'association")
    expect(slot.get_by_role("link", name="statuts.pdf")).to_be_visible()
    expect(slot).not_to_contain_text("Manquante")
    checked(page, "pieces deposees")
