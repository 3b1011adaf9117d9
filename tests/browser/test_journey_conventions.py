"""The convention in a real browser (issue 17): Gaëlle, the call's manager, prepares the convention of the retained
application from its staff page and sends it; the association's president reads it from her application, is refused
a PNG renamed .pdf at the field, deposits her signed PDF; Gaëlle records the issuer's signature and the convention is
in force. Every page passes axe-core."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.core import time
from tests.browser.test_journey_selection import heading, sign_in
from tests.fakes.samples import pdf, png
from tests.followup import conftest as followup

selection = followup.selection  # the fixture: the selection with the call's funding and evaluation
laureate = followup.laureate  # its decisions published: the first application retained for 12 000,50 €


def test_the_convention_is_prepared_sent_signed_by_both_and_in_force(page, new_page, checked, laureate, tmp_path):
    application = laureate.applications[0]
    sign_in(page, checked, laureate.manager.email)
    page.goto(f"/gestion/candidatures/{application.id}")
    page.get_by_role("button", name="Préparer la convention").click()
    heading(page, "Convention CONV-2025-0001")
    expect(page.locator(".status-box")).to_contain_text("En préparation")
    checked(page, "convention en preparation", screenshot=True)
    page.get_by_role("button", name="Envoyer pour signature").click()
    expect(page.locator(".status-box")).to_contain_text("Envoyée pour signature")

    today = time.today_paris().isoformat()
    fake = tmp_path / "convention-signee.pdf"
    fake.write_bytes(png())
    real = tmp_path / "convention-signee-vraie.pdf"
    real.write_bytes(pdf())
    president = new_page()
    sign_in(president, checked, laureate.applicants[0].email)
    president.goto(f"/candidatures/{application.id}/")
    president.get_by_role("link", name="Lire et signer la convention").click()
    heading(president, "Convention CONV-2025-0001")
    checked(president, "convention a signer")
    president.get_by_label("Date de la signature").fill(today)
    president.get_by_label("Exemplaire signé (PDF)").set_input_files(str(fake))
    president.get_by_role("button", name="Déposer l'exemplaire signé").click()
    expect(president.locator("#file-error")).to_be_visible()
    checked(president, "convention signature refusee")
    president.get_by_label("Date de la signature").fill(today)
    president.get_by_label("Exemplaire signé (PDF)").set_input_files(str(real))
    president.get_by_role("button", name="Déposer l'exemplaire signé").click()
    expect(president.locator(".status-box")).to_contain_text("Signée par l'organisation")

    page.reload()
    page.get_by_label("Date de la signature").fill(today)
    page.get_by_label("Exemplaire signé (PDF)").set_input_files(str(real))
    checked(page, "convention signature financeur")
    page.get_by_role("button", name="Enregistrer la signature").click()
    expect(page.locator(".status-box")).to_contain_text("En vigueur")
    expect(page.get_by_role("heading", name="Établir un avenant")).to_be_visible()
    checked(page, "convention en vigueur", screenshot=True)
    page.get_by_label("Nouveau montant, en euros").fill("13 000,00")
    page.get_by_label("Motif de l'avenant").fill("Extension à un second territoire")
    page.get_by_role("button", name="Proposer l'avenant").click()
    expect(page.get_by_role("table").first).to_contain_text("Avenant")
    # Proposed, mailed to the organisation; it binds once both parties have signed it (tests/followup/test_amendments.py).
    expect(page.get_by_role("heading", name="Avenant n° 1 en cours de signature (version 2)")).to_be_visible()
    expect(page.get_by_text("attend l'exemplaire signé par l'organisation")).to_be_visible()
    checked(page, "convention avenant")
    page.get_by_role("link", name="Conventions — ").click()
    expect(page.get_by_role("table")).to_contain_text("CONV-2025-0001")
    checked(page, "conventions de l'appel")
    page.get_by_role("link", name="Modèle de convention de l'organisme").click()
    page.get_by_label("Modèle de convention (Markdown)").fill("Avec {{ inconnu }}.")
    page.get_by_role("button", name="Enregistrer le modèle").click()
    expect(page.locator("#text-error")).to_contain_text("champs inconnus")
    checked(page, "modele de convention refuse")
