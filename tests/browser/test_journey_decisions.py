"""Journey in a real browser: the decisions of a deliberated window. Gaëlle, the call's manager, records a decision
on each recevable application moving from one to the next in ranking order with « Enregistrer et passer à la
suivante » (an error at the motivation's field stops her once), watches the total against the call's envelope,
publishes; later Alpha declines its grant: she records the withdrawal and retains Bêta from the liste
complémentaire. Both associations get a letter and a message."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from portal.core import mail
from tests.browser.test_journey_selection import heading, numbers_of, sign_in
from tests.reviews import conftest as reviews
from tests.reviews.test_decisions import REASON, add_review, deliberate, text_of
from tests.reviews.test_letters import republish

selection = reviews.selection  # the fixture: a closed call, four deposited applications, a manager, three reviewers
WITHDRAWAL = "L'association renonce au projet : ses locaux ne sont plus disponibles."
SPACE = r"[\s\u202f]"


def deliberated(selection, publish_call, clock) -> None:
    """Envelope of 20 000 €; Alpha, Bêta, Gamma scored in this order; Delta irrecevable; deliberation open."""
    republish(selection, publish_call, clock, {"signatory": reviews.SIGNATORY}, funding={"envelope": "20000"})
    deliberate(selection, {3: REASON})
    for application, marks in zip(selection.applications[:3], (5, 4, 2), strict=True):
        add_review(selection, application, selection.reviewers[0], {"qualite": marks, "partenariat": marks})


def envelope_says(page, text: str) -> None:
    expect(page.locator("section.envelope")).to_contain_text(re.compile(text.replace(" ", SPACE + "?")))


def test_the_manager_decides_one_after_the_other_publishes_and_uses_the_liste_complementaire(
        page, checked, selection, publish_call, clock):
    deliberated(selection, publish_call, clock)
    numbers = numbers_of(selection)
    sign_in(page, checked, selection.manager.email)
    url = f"/gestion/selection/{selection.call.slug}/fenetres/unique"
    page.goto(f"{url}/classement")
    envelope_says(page, "Enveloppe de l'appel : 0 € attribués sur 20 000 €, reste 20 000 €.")
    checked(page, "classement enveloppe")

    page.get_by_role("table").get_by_role("link", name=numbers["Association Alpha"], exact=True).click()
    heading(page, f"{numbers['Association Alpha']} — Association Alpha")
    expect(page.locator(".decision-facts")).to_contain_text("rang 1 sur 3 au classement brut")
    checked(page, "decision flux")
    page.get_by_label("Retenu", exact=True).check()
    page.get_by_label(re.compile("^Montant attribué")).fill("10 000")
    page.get_by_role("button", name="Enregistrer et passer à la suivante").click()

    heading(page, f"{numbers['Association Bêta']} — Association Bêta")
    expect(page.locator(".notice-success")).to_contain_text("Décision enregistrée.")
    expect(page.get_by_role("link", name=re.compile("^← Précédente : " + numbers["Association Alpha"]))).to_be_visible()
    envelope_says(page, "10 000 € attribués sur 20 000 €, reste 10 000 €.")
    page.get_by_label("Liste complémentaire", exact=True).check()
    page.get_by_label(re.compile("^Montant attribué")).fill("6 000")
    page.get_by_role("button", name="Enregistrer et passer à la suivante").click()

    heading(page, f"{numbers['Association Gamma']} — Association Gamma")
    expect(page.get_by_role("button", name="Enregistrer et passer à la suivante")).to_have_count(0)
    page.get_by_label("Non retenu", exact=True).check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("La motivation est obligatoire pour une candidature non retenue")
    field = page.get_by_label(re.compile("^Motivation — obligatoire si la candidature n'est pas retenue"))
    expect(field).to_have_attribute("aria-invalid", "true")
    checked(page, "decision erreur motivation")
    field.fill("Le projet ne couvre pas le territoire visé.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator(".notice-success")).to_contain_text("Décision enregistrée.")

    page.goto(f"{url}/publication")
    envelope_says(page, "Enveloppe de l'appel : 10 000 € attribués sur 20 000 €, reste 10 000 €.")
    checked(page, "publication enveloppe")
    page.get_by_label("J'ai relu les lettres et les messages").check()
    page.get_by_role("button", name="Publier les décisions et envoyer les lettres").click()
    expect(page.get_by_text("Décisions publiées :")).to_be_visible()

    # Alpha declines its grant: the withdrawal, then Bêta, first on the list, retained.
    page.goto(f"/gestion/selection/candidatures/{selection.applications[0].id}")
    page.get_by_label("Motif du désistement").fill(WITHDRAWAL)
    page.get_by_label("Date du désistement").fill("2025-05-12")
    checked(page, "desistement")
    page.get_by_role("button", name="Enregistrer le désistement et envoyer la lettre").click()
    heading(page, re.compile("^Liste complémentaire"))
    expect(page.get_by_text("Désistement enregistré")).to_be_visible()
    envelope_says(page, "Enveloppe de l'appel : 0 € attribués sur 20 000 €, reste 20 000 €.")
    expect(page.get_by_label(re.compile("^" + numbers["Association Bêta"]))).to_be_checked()
    checked(page, "liste complementaire")
    page.get_by_label("Montant attribué (en euros)").fill("9 000")
    page.get_by_role("button", name="Retenir la candidature et envoyer la lettre").click()
    heading(page, f"{numbers['Association Bêta']} — Association Bêta")
    expect(page.locator("dl.status-box").first).to_contain_text("Retenu")
    expect(page.locator("ol.history")).to_contain_text(re.compile(f"retenue depuis la liste complémentaire, 9{SPACE}000"))
    checked(page, "decision historique")

    letters = {m.recipient: m for m in mail.pending(500) if not m.subject.startswith("Décision")
               and not m.subject.startswith("Accusé")}
    assert "Désistement pris en compte" in letters["presidence@asso1.fr"].subject
    assert "Candidature retenue" in letters["presidence@asso2.fr"].subject
    link = page.get_by_role("link", name=re.compile("^Lettre du "))
    pdf = page.request.get(link.get_attribute("href"))
    text = text_of(pdf.body())
    assert "elle est désormais retenue" in text and "Télérecours" in text
