"""Issue 16 in a real browser. Gaëlle, who manages the Pas-de-Calais's calls, writes next year's edition of a
shipped call without asking anyone: from her « Espace de gestion », « Nouvel appel », she duplicates the call, makes
three mistakes and sees each in French at its line, fixes them, previews the page, schedules its publication at a
Paris minute, and the call appears at that minute (the clock and `portal calls publish-due`). In April an association
starts its application; Gaëlle moves the closing date and republishes: the association sees the dated « Modification
de l'appel » and gets the e-mail. The editor and the preview pass axe-core."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from portal.catalog import services
from portal.extensions import db
from tests.browser.test_journey_selection import heading, sign_in

SHIPPED = Path(__file__).resolve().parents[2] / "calls" / "aap-2025-equipes-mobiles-prevention-expulsions.md"
ISSUER = "Département du Pas-de-Calais"
SLUG = "aap-2026-equipes-mobiles"


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_manager_duplicates_a_call_fixes_three_errors_previews_and_schedules_it(app, page, new_page, checked, clock,
                                                                                   make_user, make_organisation,
                                                                                   mailbox):
    clock("2026-01-05 10:00:00")
    services.sync_calls([SHIPPED], at=clock("2026-01-05 10:00:00"))
    make_user("gaelle@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    db.session.commit()

    sign_in(page, checked, "gaelle@pasdecalais.fr")
    heading(page, "Espace de gestion")
    page.get_by_role("link", name="Nouvel appel").click()
    heading(page, "Nouvel appel")
    checked(page, "nouvel-appel")
    page.get_by_label("Appel à reprendre").select_option(label="Équipes mobiles de prévention des expulsions locatives (aap-2025-equipes-mobiles-prevention-expulsions)")
    page.get_by_label("Adresse du nouvel appel").fill(SLUG)
    page.get_by_role("button", name="Reprendre cet appel").click()
    heading(page, f"Rédaction de l'appel « {SLUG} »")

    editor = page.get_by_label("Texte de l'appel (en-tête YAML et texte en Markdown)")
    copied = editor.input_value()
    broken = (copied.replace("kind: AAP", "kind: APP", 1).replace("'2025-05-09'", "'2026-02-30'", 1)
              .replace("## ", "# Un titre de trop\n\n## ", 1))
    editor.fill(broken)
    page.get_by_role("button", name="Vérifier").click()
    report = page.locator("#verification")
    expect(report.get_by_role("heading", name="Le texte contient 3 erreurs")).to_be_visible()
    for fragment, message in (("kind: APP", "valeur « APP » non admise"), ("2026-02-30", "date invalide"),
                              ("# Un titre de trop", "titre de niveau 1 interdit")):
        line = line_of(broken, fragment)
        item = report.locator("li", has=page.get_by_role("link", name=f"Ligne {line}", exact=True))
        expect(item).to_contain_text(message)
    expect(editor).to_have_attribute("aria-invalid", "true")
    checked(page, "editeur-appel", screenshot=True)

    fixed = copied.replace("'2025-", "'2026-")
    editor.fill(fixed)
    expect(report).to_contain_text("Le texte est valide")  # checked as she types
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#verification")).to_contain_text("Le texte est valide")

    page.get_by_role("link", name="Aperçu de la page").click()
    expect(page.get_by_text("Aperçu : cet appel n'est pas publié")).to_be_visible()
    heading(page, "Équipes mobiles de prévention des expulsions locatives")
    expect(page.get_by_text("9 mai 2026", exact=False).first).to_be_visible()
    checked(page, "apercu-appel", screenshot=True)
    page.get_by_role("link", name="Retour à l'éditeur").click()

    page.get_by_label("Date de publication").fill("2026-01-06")
    page.get_by_label("Heure (heure de Paris)").fill("09:00")
    page.get_by_role("button", name="Programmer la publication").click()
    expect(page.get_by_text(re.compile("Publication programmée le 6 janvier 2026")).first).to_be_visible()

    runner = app.test_cli_runner()
    clock("2026-01-06 08:59:00")
    assert "0 appel(s) publié(s)" in runner.invoke(args=["calls", "publish-due"]).output
    assert page.goto(f"/appels/{SLUG}/").status == 404
    clock("2026-01-06 09:00:00")
    assert "1 appel(s) publié(s)" in runner.invoke(args=["calls", "publish-due"]).output
    assert page.goto(f"/appels/{SLUG}/").status == 200
    heading(page, "Équipes mobiles de prévention des expulsions locatives")
    expect(page.get_by_text("Publié le 6 janvier 2026")).to_be_visible()

    # In April, an association starts its application; the manager then moves the closing date and republishes.
    clock("2026-04-15 10:00:00")
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    make_organisation(claire, "Association Logement Solidaire", legal_form="organisme_agree")
    applicant = new_page()
    sign_in(applicant, checked, claire.email)
    applicant.goto(f"/appels/{SLUG}/")
    applicant.get_by_role("button", name=re.compile("^Candidater")).first.click()
    expect(applicant.get_by_role("heading", level=1)).to_be_visible()

    page.goto(f"/gestion/redaction/{SLUG}")
    editor = page.get_by_label("Texte de l'appel (en-tête YAML et texte en Markdown)")
    editor.fill(editor.input_value().replace("'2026-05-09'", "'2026-05-22'", 1))
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("button", name="Publier cette version maintenant").click()
    expect(page.get_by_text("L'appel est publié")).to_be_visible()

    applicant.goto(f"/appels/{SLUG}/")
    expect(applicant.get_by_text("Modification de l'appel du 15 avril 2026")).to_be_visible()
    mailbox.deliver()
    assert "Modification de l'appel" in mailbox.last_to(claire.email)["Subject"]
