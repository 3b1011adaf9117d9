"""The payments in a real browser (issue 17): the manager establishes the schedule of a convention in force and
asks for the 60 % advance; the issuer's finance person lands on « Finances », certifies « service fait » (an amount
above what is due is refused at its field) and records the payment with its references; the call's payments show
the totals against the envelope. Every page passes axe-core."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_journey_selection import heading, sign_in
from tests.followup.payments_setup import build_followed as build_followed  # noqa: F401 - the fixture


def test_the_advance_is_requested_certified_and_paid(page, new_page, checked, build_followed):
    followed = build_followed()
    convention = followed.conventions[0]
    schedule = f"/gestion/suivi/conventions/{convention.id}/echeancier"

    sign_in(page, checked, followed.manager.email)
    page.goto(schedule)
    heading(page, f"Échéancier de la convention {convention.number}")
    page.get_by_role("button", name="Établir l'échéancier d'après l'appel").click()
    expect(page.get_by_role("heading", name="Avance — Due")).to_be_visible()
    expect(page.get_by_text("60 % de 10 000 € (montant de la convention) = 6 000 €")).to_be_visible()
    checked(page, "echeancier gestionnaire")
    page.get_by_role("button", name="Demander le versement au service financier").click()
    expect(page.get_by_role("heading", name="Avance — Demandée")).to_be_visible()

    finance = new_page()
    sign_in(finance, checked, followed.finance.email)
    heading(finance, "Finances")
    checked(finance, "finances accueil")
    finance.get_by_role("link", name=convention.number).first.click()
    finance.get_by_label("Montant certifié").fill("6 500")
    finance.get_by_role("button", name="Certifier le service fait").click()
    expect(finance.locator("#tranche-0-certified_amount-error")).to_contain_text("dépasse le montant dû")
    checked(finance, "echeancier certification refusee")
    finance.get_by_label("Montant certifié").fill("6 000,00")
    finance.get_by_role("button", name="Certifier le service fait").click()
    expect(finance.get_by_role("heading", name="Avance — Service fait certifié")).to_be_visible()
    finance.get_by_label("Numéro d'engagement").fill("EJ-2025-17")
    finance.get_by_label("Numéro de mandat").fill("MDT-42")
    finance.get_by_label("Date du paiement").fill("2025-09-15")
    finance.get_by_label("Montant payé").fill("6000")
    checked(finance, "echeancier paiement")
    finance.get_by_role("button", name="Enregistrer le paiement").click()
    expect(finance.get_by_role("heading", name="Avance — Payée")).to_be_visible()
    expect(finance.get_by_text("engagement EJ-2025-17, mandat MDT-42")).to_be_visible()
    checked(finance, "echeancier payee", screenshot=True)

    finance.get_by_role("link", name=f"Paiements — {followed.call.title}").click()
    heading(finance, f"Paiements — {followed.call.title}")
    expect(finance.get_by_role("table")).to_contain_text(convention.number)
    checked(finance, "paiements de l'appel", screenshot=True)
