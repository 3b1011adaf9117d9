"""Journey in a real browser: a file that came by post. Three days after the deadline, Gaëlle, the call's manager,
opens the call's applications from her « Espace de gestion » and registers the envelope of « Association Papier
Solidaire », postmarked on the closing day, with its scanned statutes (a first try with the date of arrival is
refused at the field: the postmark is what counts). The file is numbered and marked « Reçu par courrier » on the
list; she screens it (the checklist judges the postmark, not the registration), it is reviewed like the four others,
shows its mark on the ranking, and she decides it like the others."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.applications.models import Application
from portal.core import time
from portal.extensions import db
from portal.reviews import rounds
from tests.browser.test_journey_selection import heading, sign_in
from tests.fakes.samples import pdf
from tests.reviews import conftest as reviews
from tests.reviews.test_decisions import add_review, screen

selection = reviews.selection  # the fixture: a closed call, four deposited applications, a manager, three reviewers
BADGE = "Reçu par courrier — cachet du 09/05/2025"


def register_the_envelope(page, checked, selection) -> str:
    """From her home to the registered file's page; returns its number."""
    call = selection.call
    sign_in(page, checked, selection.manager.email)
    heading(page, "Espace de gestion")
    page.get_by_role("link", name=f"Candidatures — {call.title}", exact=True).click()
    heading(page, "Candidatures reçues")
    page.get_by_role("link", name="Enregistrer un dossier reçu par courrier ou courriel").click()
    heading(page, "Enregistrer un dossier reçu par courrier ou courriel")
    checked(page, "enregistrer dossier papier", screenshot=True)

    page.get_by_label("Dénomination (nom officiel)").fill("Association Papier Solidaire")
    page.get_by_label("Forme juridique").select_option("association")
    page.get_by_label("Numéro RNA").fill("W622000017")
    page.get_by_label("Adresse du siège").fill("3 place de la Mairie")
    page.get_by_label("Code postal").fill("62100")
    page.get_by_label("Commune").fill("Calais")
    page.get_by_label("Nom du représentant légal").fill("Louise Courrier")
    page.get_by_label("Qualité du représentant légal").fill("Présidente")
    page.get_by_label("Reçu par courrier").check()
    date = page.get_by_label("Date du cachet de la poste ou de réception")
    date.fill("2025-05-12")  # the day it arrived: not what counts
    statutes = {"name": "statuts scannés.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    page.get_by_label("Statuts de l'association", exact=True).set_input_files(statutes)
    page.get_by_label(re.compile("^Montant de la subvention demandée")).fill("9 000")
    page.get_by_role("button", name="Enregistrer et déposer le dossier").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Le cachet de la poste (12 mai 2025) est postérieur à la date limite du 9 mai "
                                    "2025 : le dossier est hors délai.")
    expect(date).to_have_attribute("aria-invalid", "true")
    checked(page, "enregistrer dossier papier erreur")
    date.fill("2025-05-09")  # the postmark on the envelope
    page.get_by_label("Statuts de l'association", exact=True).set_input_files(statutes)  # a browser forgets files
    page.get_by_role("button", name="Enregistrer et déposer le dossier").click()

    expect(page.locator(".notice-success")).to_contain_text("Dossier enregistré : ")
    number = db.session.scalar(select(Application.number).where(Application.received_on.is_not(None)))
    heading(page, f"{number} — Association Papier Solidaire")
    expect(page.get_by_text(BADGE).first).to_be_visible()
    checked(page, "dossier papier enregistre")
    page.get_by_role("link", name=re.compile("^Candidatures — ")).click()
    expect(page.get_by_role("row", name=re.compile(number))).to_contain_text(BADGE)
    return number


def test_a_paper_file_is_registered_then_screened_reviewed_and_decided_like_the_others(page, checked, selection):
    number = register_the_envelope(page, checked, selection)
    paper = db.session.scalar(select(Application).where(Application.number == number))

    # Screening in the browser: the deadline point is met by the postmark although registered after closing.
    page.goto(f"/gestion/selection/{selection.call.slug}/fenetres/unique/recevabilite")
    expect(page.get_by_role("row", name=re.compile(number))).to_contain_text(BADGE)
    page.get_by_role("link", name=f"Examiner la candidature {number}").click()
    heading(page, f"Recevabilité de {number} — Association Papier Solidaire")
    expect(page.get_by_text("Le cachet de la poste : 9 mai 2025 ; date limite : 9 mai 2025.")).to_be_visible()
    checked(page, "recevabilite dossier papier")
    page.get_by_label("Recevable", exact=True).check()
    page.get_by_role("button", name="Enregistrer la décision de recevabilité").click()
    expect(page.get_by_role("row", name=re.compile(number))).to_contain_text("Recevable")

    # The others are screened, the round moves to review and back, the reviews come in (browser paths covered by
    # test_journey_selection.py): by the same service functions and rows.
    screen(selection)
    round_ = rounds.round_of(selection.window, time.now())
    rounds.change_phase(round_, "review", by=selection.manager, at=time.now())
    db.session.commit()
    add_review(selection, paper, selection.reviewers[0], {"qualite": 5, "partenariat": 5})
    for application, marks in zip(selection.applications, (4, 3, 2, 1), strict=True):
        add_review(selection, application, selection.reviewers[0], {"qualite": marks, "partenariat": marks})
    rounds.change_phase(rounds.round_of(selection.window, time.now()), "deliberation", by=selection.manager,
                        at=time.now())
    db.session.commit()

    page.goto(f"/gestion/selection/{selection.call.slug}/fenetres/unique/classement")
    row = page.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text(BADGE)
    expect(row.locator("td").first).to_have_text("1")  # ranked first, counted like the others
    checked(page, "classement dossier papier")

    row.get_by_role("link", name=number, exact=True).click()
    heading(page, f"{number} — Association Papier Solidaire")
    expect(page.get_by_text(f"{BADGE}, enregistré par le service")).to_be_visible()
    page.get_by_label("Retenu", exact=True).check()
    page.get_by_label(re.compile("^Montant attribué")).fill("9 000")
    page.get_by_role("button", name=re.compile("^Enregistrer")).first.click()
    expect(page.locator(".notice-success")).to_contain_text("Décision enregistrée.")
