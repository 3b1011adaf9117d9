"""The follow-up on the demo, in a real browser (issue 17, « Done when »): on the data `portal demo load` gives, the
call « [Démonstration] Appel fictif clos, lauréats en suivi » and its second laureate, Clés en Main, retained for
12 000 € and without a convention yet. Gaston, the demo manager, prepares and sends it; the association downloads the
PDF and deposits its signed copy; Gaston signs for the Département and it is in force. He asks for the 60 % advance,
which he cannot certify himself; Fanny, of the finance department, certifies « service fait » and pays it with its
references. The association files its final report (indicators, weeks of accompaniment per household, qualitative
analysis, activity report) and its Cerfa 15059 with a gap explained; Gaston asks for the missing accounts through
the thread, the association adds them and files again, Gaston accepts: the balance is due at unit prices, capped,
less the advance, and Fanny certifies and pays it. The call's indicators show the figures in the table and the
chart. Every step is in the audit log; every page passes axe-core."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.catalog import services
from portal.config import DEMO_ISSUER
from portal.core import time
from portal.core.audit import AuditEvent
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from tests.browser.test_journey_selection import heading
from tests.fakes.samples import pdf

CALL = "[Démonstration] Appel fictif clos, lauréats en suivi"
ORGANISATION = "Association fictive Clés en Main"
ASSOCIATION = "contact@asso2.demo.example.org"  # the demo's second laureate (demo_selection.applicant_email(2))
MANAGER = "gestionnaire@demo.example.org"
FRAMEWORK_FILE = Path(__file__).parents[2] / "calls" / "cadre-national-equipes-mobiles-prevention-expulsions.md"
FINANCE = "finances@demo.example.org"
MISSING = "Les comptes approuvés du dernier exercice manquent au bilan final."


def euros(text: str) -> str:
    """An amount as the portal prints it: a narrow no-break space between thousands (« 12 000 € »)."""
    return re.sub(r"(\d) (\d{3})", "\\1\u202f\\2", text)


def value_of(scope, term: str):
    """The <dd> that follows the <dt> saying exactly `term`."""
    return scope.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")).locator("xpath=following-sibling::dd[1]")


@pytest.fixture
def demo(app) -> int:
    """The demo loaded and committed for real, as `scripts/serve` does, its issuer named in the header as the demo
    portal names it; the audit log's last entry before the journey."""
    app.config["ISSUER_NAME"] = DEMO_ISSUER  # put back by _issuer_of_the_journeys_calls
    loaded = app.test_cli_runner().invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    # The national framework the demo call declares, published as `scripts/serve` publishes the shipped calls.
    synced = services.sync_calls([FRAMEWORK_FILE], time.now())
    assert not synced.errors, synced.errors
    db.session.commit()
    return db.session.scalar(select(func.max(AuditEvent.id)))


def sign_in(page, email: str) -> None:
    page.goto("/compte/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible()


def _files(tmp_path: Path) -> dict[str, Path]:
    made = {}
    for name in ("convention-signee-association.pdf", "convention-signee-departement.pdf", "rapport-activite.pdf",
                 "comptes-approuves.pdf"):
        made[name] = tmp_path / name
        made[name].write_bytes(pdf())
    return made


def test_the_demo_laureate_is_followed_from_convention_to_balance_and_indicators(page, new_page, checked, demo,
                                                                                    tmp_path):
    files = _files(tmp_path)
    today = time.today_paris().isoformat()

    # 1. The convention: prepared and sent by the manager, signed by the association, then by the Département.
    manager = page
    sign_in(manager, MANAGER)
    heading(manager, "Espace de gestion")
    manager.get_by_role("link", name=f"Candidatures — {CALL}", exact=True).click()
    manager.get_by_role("row", name=re.compile(ORGANISATION)).get_by_role("link").first.click()
    heading(manager, re.compile(f"— {ORGANISATION}$"))
    application_number = manager.get_by_role("heading", level=1).inner_text().split(" — ")[0]
    manager.get_by_role("button", name="Préparer la convention").click()
    expect(manager.get_by_text("est préparée. Relisez-la avant de l'envoyer pour signature.")).to_be_visible()
    number = manager.get_by_role("heading", level=1).inner_text().removeprefix("Convention ")
    assert re.fullmatch(r"CONV-\d{4}-\d{4}", number)
    status = manager.locator(".status-box")
    expect(status).to_contain_text("En préparation")
    expect(status).to_contain_text(euros("12 000 €"))
    expect(manager.locator(".markdown")).to_contain_text(
        "Coût unitaire « Semaine d'accompagnement (démonstration) » : 55 € par semaine, dans la limite de 8 semaines "
        "par ménage")
    manager.get_by_role("button", name="Envoyer pour signature").click()
    expect(status).to_contain_text("Envoyée pour signature")
    checked(manager, "suivi demo convention envoyee")

    association = new_page()
    sign_in(association, ASSOCIATION)
    association.get_by_role("link", name=CALL).click()
    expect(association.locator("section[aria-labelledby=convention]")).to_contain_text(
        f"Convention {number} : Envoyée pour signature")
    association.get_by_role("link", name="Lire et signer la convention").click()
    heading(association, f"Convention {number}")
    checked(association, "suivi demo convention a signer")
    with association.expect_download() as download:
        association.get_by_role("link", name="Version 1 (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    association.get_by_label("Date de la signature").fill(today)
    association.get_by_label("Exemplaire signé (PDF)").set_input_files(str(files["convention-signee-association.pdf"]))
    association.get_by_role("button", name="Déposer l'exemplaire signé").click()
    expect(association.locator(".status-box")).to_contain_text("Signée par l'organisation")
    expect(association.get_by_text("Votre exemplaire signé est enregistré.")).to_be_visible()

    manager.reload()
    expect(status).to_contain_text("Signée par l'organisation")
    manager.get_by_label("Date de la signature").fill(today)
    manager.get_by_label("Exemplaire signé (PDF)").set_input_files(str(files["convention-signee-departement.pdf"]))
    manager.get_by_role("button", name="Enregistrer la signature").click()
    expect(manager.get_by_text(f"La convention {number} est signée par les deux parties et en vigueur.")
           ).to_be_visible()
    expect(status).to_contain_text("En vigueur")
    expect(manager.get_by_role("table").first).to_contain_text("Financeur, signé le")
    checked(manager, "convention", screenshot=True)

    # 2. The 60 % advance: requested by the manager, who may not certify it; certified and paid by finance.
    manager.get_by_role("link", name="Échéancier des versements").click()
    heading(manager, f"Échéancier de la convention {number}")
    expect(manager.get_by_role("heading", name="Avance — Due")).to_be_visible()
    expect(manager.get_by_text(f"60 % de {euros('12 000 €')} (montant de la convention) = {euros('7 200 €')}")
           ).to_be_visible()
    expect(manager.get_by_role("heading", name="Solde — Prévue")).to_be_visible()
    manager.get_by_role("button", name="Demander le versement au service financier").click()
    expect(manager.get_by_role("heading", name="Avance — Demandée")).to_be_visible()
    expect(manager.get_by_text("En attente de la certification du service fait par le service financier.")
           ).to_be_visible()
    expect(manager.get_by_role("button", name="Certifier le service fait")).to_have_count(0)
    checked(manager, "suivi demo echeancier avance demandee")

    finance = new_page()
    sign_in(finance, FINANCE)
    heading(finance, "Finances")
    checked(finance, "suivi demo finances")
    finance.get_by_role("table", name=re.compile("Service fait à certifier")).get_by_role("link", name=number).click()
    heading(finance, f"Échéancier de la convention {number}")
    expect(finance.get_by_label("Montant certifié")).to_have_value("7200,00")
    certify = finance.locator("form", has=finance.get_by_role("button", name="Certifier le service fait"))
    # Separation of duties: the manager who asked never certifies, not even by posting finance's form himself.
    refused = _post_as(manager, certify.get_attribute("action"), {"tranche-0-certified_amount": "7200,00"})
    assert refused == 403
    manager.reload()
    expect(manager.get_by_role("heading", name="Avance — Demandée")).to_be_visible()
    finance.get_by_role("button", name="Certifier le service fait").click()
    expect(finance.get_by_role("heading", name="Avance — Service fait certifié")).to_be_visible()
    finance.get_by_label("Numéro d'engagement").fill("EJ-DEMO-2026-0002")
    finance.get_by_label("Numéro de mandat").fill("MDT-DEMO-0102")
    finance.get_by_label("Date du paiement").fill(today)
    finance.get_by_label("Montant payé").fill("7 200,00")
    finance.get_by_role("button", name="Enregistrer le paiement").click()
    expect(finance.get_by_role("heading", name="Avance — Payée")).to_be_visible()
    expect(finance.get_by_text("engagement EJ-DEMO-2026-0002, mandat MDT-DEMO-0102")).to_be_visible()
    expect(value_of(finance.locator(".summary"), "Payé")).to_have_text(euros("7 200 €"))

    # 3. The association files its final report and its compte rendu financier (Cerfa 15059).
    association.get_by_role("link", name=re.compile("^AAP-")).first.click()  # the breadcrumb: back to the application
    bilans = association.locator("section[aria-labelledby=bilans]")
    expect(bilans).to_contain_text("Bilan final")
    bilans.get_by_role("link", name=re.compile("^Bilan final")).click()
    heading(association, re.compile("^Bilan final"))
    expect(association.get_by_text("Objectif : au moins 40 ménages")).to_be_visible()
    association.get_by_label("Ménages accompagnés (démonstration)").fill("80")
    association.get_by_label("Nombre de relogements accompagnés").fill("46")
    association.get_by_label("Diagnostic (démonstration)", exact=True).fill("80")
    # The call caps an accompaniment at 8 weeks a household: one household's weeks a line, the 12 are capped.
    association.get_by_label("Semaine d'accompagnement (démonstration) : nombre de semaines par ménage accompagné"
                             ).fill("5\n12\n3")
    association.get_by_label(re.compile("^Analyse qualitative")).fill(
        "Quatre-vingts ménages accompagnés, quarante-six relogés ; le partenariat avec les bailleurs s'est renforcé.")
    association.get_by_label("Rapport d'activité").set_input_files(str(files["rapport-activite.pdf"]))
    checked(association, "suivi demo bilan final")
    association.get_by_role("button", name="Déposer le bilan").click()
    expect(association.get_by_text("est déposé : le service instructeur en accuse réception ici.")).to_be_visible()
    expect(association.locator("dd .badge")).to_have_text("Reçu")

    association.get_by_role("link", name="Mes bilans").click()
    association.get_by_role("link", name=re.compile("^Compte rendu financier")).click()
    heading(association, re.compile(r"^Compte rendu financier \d{4} \(Cerfa n°15059\)"))
    association.get_by_label("64 – Charges de personnel").fill("17 500,00")
    association.get_by_label("74 – Subventions : Département").fill("12 000")
    association.get_by_label("75 – Autres produits de gestion courante (cotisations, dons)").fill("3 000")
    association.get_by_label(re.compile("^Analyse qualitative")).fill(
        "Actions menées comme prévu ; un poste de travailleuse sociale renforcé en fin d'année.")
    association.get_by_label("Rapport d'activité").set_input_files(str(files["rapport-activite.pdf"]))
    association.get_by_label("Comptes approuvés du dernier exercice").set_input_files(
        str(files["comptes-approuves.pdf"]))
    association.get_by_role("button", name="Déposer le bilan").click()
    expect(association.locator("#gap\\.64-error")).to_contain_text("dépasse 15 % du prévu")
    checked(association, "suivi demo compte rendu financier ecart")
    association.get_by_label("Explication de l’écart — 64 – Charges de personnel").fill(
        "Un poste de travailleuse sociale porté de 0,8 à 1 ETP en fin d'année.")
    association.get_by_role("button", name="Déposer le bilan").click()
    expect(association.get_by_text("est déposé : le service instructeur en accuse réception ici.")).to_be_visible()
    expect(association.get_by_text(euros("2 500 €") + " (16,7 %)")).to_be_visible()

    # 4. The manager asks for a missing piece, the association adds it, the manager accepts: the balance is due.
    manager.get_by_role("link", name="Convention " + number).click()
    manager.get_by_role("link", name="Bilans de l'appel").click()
    heading(manager, f"Bilans de l'appel « {CALL} »")
    checked(manager, "suivi demo bilans de l'appel")
    manager.get_by_role("link", name=re.compile(f"^Bilan final.* — {application_number}$")).click()
    heading(manager, re.compile("^Bilan final"))
    expect(manager.get_by_text("Quatre-vingts ménages accompagnés")).to_be_visible()
    checked(manager, "suivi demo examen du bilan")
    manager.get_by_label("Ce qui manque au bilan").fill(MISSING)
    manager.get_by_role("button", name="Renvoyer à compléter").click()
    expect(manager.get_by_text(f"Renvoyé à compléter : {MISSING}")).to_be_visible()
    expect(manager.locator("dd .badge")).to_have_text("À compléter")

    association.get_by_role("link", name="Mes candidatures", exact=True).click()
    association.get_by_role("link", name=CALL).click()
    association.get_by_role("link", name=re.compile("^Messagerie")).first.click()
    expect(association.get_by_text(MISSING)).to_be_visible()
    checked(association, "suivi demo messagerie a completer")
    association.go_back()
    bilans.get_by_role("link", name=re.compile("^Bilan final")).click()
    expect(association.get_by_text("Le service instructeur demande de compléter le bilan")).to_be_visible()
    association.get_by_label("Comptes approuvés du dernier exercice").set_input_files(
        str(files["comptes-approuves.pdf"]))
    association.get_by_role("button", name="Déposer le bilan").click()
    expect(association.get_by_text("est déposé : le service instructeur en accuse réception ici.")).to_be_visible()
    expect(association.get_by_role("link", name="comptes-approuves.pdf")).to_be_visible()

    manager.reload()
    expect(manager.locator("dd .badge")).to_have_text("Reçu")
    manager.get_by_role("button", name="Accepter le bilan").click()
    expect(manager.locator("dd .badge")).to_have_text("Accepté")
    checked(manager, "suivi demo bilan accepte")

    manager.get_by_role("link", name="Espace de gestion", exact=True).click()
    manager.get_by_role("link", name=f"Conventions — {CALL}", exact=True).click()
    manager.get_by_role("link", name=number, exact=True).click()
    manager.get_by_role("link", name="Échéancier des versements").click()
    balance = manager.locator("section", has=manager.get_by_role("heading", name="Solde — Due"))
    expect(balance).to_be_visible()
    expect(balance).to_contain_text(f"Diagnostic (démonstration) : 80 × 150 € = {euros('12 000 €')}")
    expect(balance).to_contain_text("Semaine d'accompagnement (démonstration) : 3 ménages, 20 semaines déclarées, "
                                    "1 ménage plafonné à 8 semaines : 16 × 55 € = 880 €")
    expect(balance).to_contain_text(f"Total du service fait : {euros('12 880 €')}")
    expect(balance).to_contain_text(f"Plafonné au montant de la convention : {euros('12 000 €')}")
    expect(balance).to_contain_text(f"Déjà dû ou versé au titre des autres tranches : {euros('7 200 €')}")
    expect(balance).to_contain_text(f"Solde dû : {euros('12 000 €')} − {euros('7 200 €')} = {euros('4 800 €')}")
    expect(value_of(balance, "Montant dû")).to_have_text(euros("4 800 €"))
    manager.get_by_role("button", name="Demander le versement au service financier").click()
    expect(manager.get_by_role("heading", name="Solde — Demandée")).to_be_visible()
    checked(manager, "echeancier", screenshot=True)

    finance.get_by_role("link", name="Finances", exact=True).click()
    finance.get_by_role("table", name=re.compile("Service fait à certifier")).get_by_role("link", name=number).click()
    expect(finance.get_by_label("Montant certifié")).to_have_value("4800,00")
    finance.get_by_role("button", name="Certifier le service fait").click()
    expect(finance.get_by_role("heading", name="Solde — Service fait certifié")).to_be_visible()
    finance.get_by_label("Numéro d'engagement").fill("EJ-DEMO-2026-0002")
    finance.get_by_label("Numéro de mandat").fill("MDT-DEMO-0187")
    finance.get_by_label("Date du paiement").fill(today)
    finance.get_by_label("Montant payé").fill("4 800,00")
    finance.get_by_role("button", name="Enregistrer le paiement").click()
    expect(finance.get_by_role("heading", name="Solde — Payée")).to_be_visible()
    expect(finance.get_by_text("engagement EJ-DEMO-2026-0002, mandat MDT-DEMO-0187")).to_be_visible()
    expect(value_of(finance.locator(".summary"), "Payé")).to_have_text(euros("12 000 €"))
    checked(finance, "suivi demo echeancier solde paye")

    # 5. The call's indicators: the accepted final report's figures, in the table and in the chart.
    manager.get_by_role("link", name=f"Convention {number}", exact=True).click()
    manager.get_by_role("link", name=f"Conventions — {CALL}", exact=True).click()
    manager.get_by_role("link", name="Indicateurs additionnés, comparés aux objectifs").click()
    heading(manager, f"Indicateurs — {CALL}")
    table = manager.get_by_role("table").first
    expect(table.get_by_role("columnheader", name=re.compile(ORGANISATION))).to_be_visible()
    # Clés en Main's column first (the operators in alphabetical order), Toit d'Abord's report not accepted yet.
    row = table.get_by_role("row", name=re.compile("^Ménages accompagnés"))
    expect(row.get_by_role("cell").nth(0)).to_have_text("80")
    expect(row.get_by_role("cell").nth(1)).to_have_text("—")
    expect(row).to_contain_text("80 ménages")
    expect(table.get_by_role("row", name=re.compile("^Nombre de relogements")).get_by_role("cell").first).to_have_text("46")
    chart = manager.get_by_role("img", name=re.compile("^Ménages accompagnés"))
    expect(chart.locator("rect").first).to_have_attribute("width", re.compile("^[1-9]"))  # Clés en Main's bar
    expect(chart.locator("text", has_text=re.compile("^80$")).first).to_be_visible()
    expect(manager.locator("figure figcaption").first).to_contain_text("total 80")
    checked(manager, "indicateurs-suivi", screenshot=True)
    # The demo call belongs to the national framework: its relocations count there, beside the framework's other calls.
    manager.get_by_role("link", name=re.compile("^Document de cadrage national des équipes mobiles")).click()
    framework = manager.get_by_role("table").first
    expect(framework.get_by_role("row", name=re.compile("^Nombre de relogements accompagnés"))).to_contain_text("46")
    checked(manager, "indicateurs-cadre-national")

    # Every operation the journey performed is in the audit log, by whom it was done.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > (demo or 0))).all()
    kinds = Counter(e.action for e in events)
    expected = {"followup.convention_draft": 1, "followup.convention_send": 1,
                "followup.convention_sign_organisation": 1, "followup.convention_sign_issuer": 1,
                "followup.convention_in_force": 1, "payments.plan": 1, "followup.report_calendar": 1,
                "payments.due": 2, "payments.request": 2, "payments.certify": 2, "payments.pay": 2,
                "followup.report_submit": 3, "followup.report_to_complete": 1, "followup.report_accept": 1,
                "application.message": 1}
    assert {kind: kinds[kind] for kind in expected} == expected
    assert kinds["followup.report_save"] >= 4 and kinds["followup.report_file"] == 4
    by = {(e.action, e.actor_email) for e in events}
    assert {("payments.certify", FINANCE), ("payments.pay", FINANCE), ("payments.request", MANAGER),
            ("followup.convention_sign_organisation", ASSOCIATION), ("followup.report_accept", MANAGER)} <= by


def _post_as(page, url: str, form: dict) -> int:
    """A POST with the person's own session and CSRF token, as a forged form would send it."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    return page.request.post(url, form={"csrf_token": token, **form}, max_redirects=0).status
