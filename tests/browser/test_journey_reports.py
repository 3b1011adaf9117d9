"""The reports in a real browser (issue 17): the association opens its final report from its application, types a
number the French way wrongly and is told at the field, files it with its indicators, unit-price quantities,
qualitative analysis and activity report; the manager sends it back to complete (a message in the thread), the
association completes it, the manager accepts it. The Cerfa 15059 asks an explanation of a gap above 15 %. Every
page passes axe-core."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.extensions import db
from portal.followup import reports
from portal.followup.states import ReportKind
from tests.browser.test_journey_selection import heading, sign_in
from tests.fakes.samples import pdf
from tests.followup import reports_setup

awarded = reports_setup.awarded  # the fixture


def test_the_final_report_is_filed_completed_and_accepted(page, new_page, checked, awarded, tmp_path):
    made = reports.calendar(awarded.convention, by=awarded.manager)
    db.session.commit()
    final = next(r for r in made if r.kind == ReportKind.FINAL)
    financial = next(r for r in made if r.kind == ReportKind.FINANCIAL)
    report_pdf = tmp_path / "rapport-activite.pdf"
    report_pdf.write_bytes(pdf())

    sign_in(page, checked, awarded.applicant.email)
    page.goto(f"/candidatures/{awarded.application.id}/")
    page.get_by_role("link", name=final.label).click()
    heading(page, final.label)
    expect(page.get_by_text("Objectif : au moins 30 ménages par an")).to_be_visible()
    page.get_by_label("Nombre de ménages accompagnés").fill("trente-quatre")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("#indicator\\.0-error")).to_contain_text("Saisissez un nombre")
    checked(page, "bilan erreur au champ")
    page.get_by_label("Nombre de ménages accompagnés").fill("34")
    page.get_by_label("Nombre de bailleurs contactés").fill("12")
    page.get_by_label("Diagnostic flash").fill("40")
    page.get_by_label("Semaine d'accompagnement").fill("6")
    page.get_by_label("Analyse qualitative (actions menées, publics, freins rencontrés)").fill(
        "Les freins rencontrés : la mobilité des ménages.")
    page.get_by_label("Rapport d'activité").set_input_files(str(report_pdf))
    page.get_by_role("button", name="Déposer le bilan").click()
    expect(page.get_by_text("est déposé")).to_be_visible()
    checked(page, "bilan depose", screenshot=True)

    manager = new_page()
    sign_in(manager, checked, awarded.manager.email)
    manager.goto(f"/gestion/appels/{awarded.call.slug}/candidatures")
    manager.get_by_role("link", name="Bilans", exact=True).click()
    heading(manager, f"Bilans de l'appel « {awarded.call.title} »")
    checked(manager, "bilans de l'appel")
    manager.get_by_role("link", name=f"{final.label} — {awarded.application.number}").click()
    expect(manager.get_by_text("la mobilité des ménages")).to_be_visible()
    checked(manager, "examen du bilan")
    manager.get_by_label("Ce qui manque au bilan").fill("Le tableau des ménages par territoire manque.")
    manager.get_by_role("button", name="Renvoyer à compléter").click()
    expect(manager.get_by_text("Renvoyé à compléter : Le tableau des ménages par territoire manque.")).to_be_visible()

    page.goto(f"/candidatures/{awarded.application.id}/messages")
    expect(page.get_by_text("Le tableau des ménages par territoire manque.")).to_be_visible()
    page.goto(f"/suivi/bilans/{final.id}")
    page.get_by_label("Analyse qualitative (actions menées, publics, freins rencontrés)").fill(
        "Complété : le tableau par territoire est joint au rapport.")
    page.get_by_role("button", name="Déposer le bilan").click()
    expect(page.get_by_text("est déposé")).to_be_visible()

    manager.reload()
    manager.get_by_role("button", name="Accepter le bilan").click()
    expect(manager.get_by_text("Accepté", exact=True)).to_be_visible()
    checked(manager, "bilan accepte")

    page.goto(f"/suivi/bilans/{financial.id}")
    heading(page, financial.label)
    page.get_by_label("64 – Charges de personnel").fill("17 500,00")
    page.get_by_label("74 – Subventions : Département").fill("12 000")
    page.get_by_label("75 – Autres produits de gestion courante (cotisations, dons)").fill("3 000")
    page.get_by_role("button", name="Déposer le bilan").click()
    expect(page.locator("#gap\\.64-error")).to_contain_text("dépasse 15 % du prévu")
    checked(page, "compte rendu financier ecart", screenshot=True)
