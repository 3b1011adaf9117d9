"""Journey 4 in a real browser: the selection of a closed call. Gaëlle, the call's manager, screens the
eligibility of the four deposited applications (Delta is irrecevable, with its reason), starts the evaluation and
assigns two reviewers with the matrix. Évaluateur 1 declares a conflict of interest on Gamma before its file opens,
states she has none on the others and scores them through the grid; Évaluateur 2 scores hers. Gaëlle opens the
deliberation, sorts the ranking by a column, records a decision on each application, previews what will go out
and publishes. Alpha's president reads her decision and downloads the letter."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD
from tests.reviews import conftest as reviews

selection = reviews.selection  # the fixture: a closed call, four deposited applications, a manager, three reviewers

# What each reviewer gives, by organisation: (qualité 0–5, partenariat 0–5, avis).
SCORES = {
    "Évaluateur 1": {"Association Alpha": ("5", "4", "Favorable"), "Association Bêta": ("3", "3", "Réservé")},
    "Évaluateur 2": {"Association Alpha": ("4", "5", "Favorable"), "Association Bêta": ("2", "3", "Réservé"),
                     "Association Gamma": ("1", "2", "Défavorable")},
}
OPINION_KEYS = {"Favorable": "favourable", "Réservé": "reserved", "Défavorable": "unfavourable"}
INELIGIBLE = "Les statuts déposés ne sont pas signés."


def sign_in(page, checked, email: str) -> None:
    page.goto("/compte/connexion")
    checked(page, "connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible()
    checked(page, "espace personnel")


def heading(page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def numbers_of(selection) -> dict[str, str]:
    return {o.legal_name: a.number for o, a in zip(selection.organisations, selection.applications, strict=True)}


def screen_and_assign(page, checked, selection) -> None:
    """The manager: eligibility of every application, the evaluation started, two reviewers assigned."""
    numbers = numbers_of(selection)
    sign_in(page, checked, selection.manager.email)
    heading(page, "Espace de gestion")  # where a call manager lands; her call's hub is one link away
    page.get_by_role("link", name=f"Sélection — {selection.call.title}", exact=True).click()
    heading(page, "Sélection des candidatures")
    expect(page.locator(".key-facts")).to_contain_text("0 recevable · 0 irrecevable · 4 à examiner")
    checked(page, "selection")

    page.get_by_role("link", name="Recevabilité", exact=True).click()
    heading(page, "Recevabilité des candidatures")
    checked(page, "recevabilite")
    for name, number in numbers.items():
        page.get_by_role("link", name=f"Examiner la candidature {number}").click()
        heading(page, f"Recevabilité de {number} — {name}")
        checked(page, f"recevabilite {number}")
        if name == "Association Delta":
            # Irrecevable without a reason: the error summary says what is missing and links to the field.
            page.get_by_label("Irrecevable", exact=True).check()
            page.get_by_role("button", name="Enregistrer la décision de recevabilité").click()
            summary = page.get_by_role("alert")
            expect(summary).to_contain_text("Le formulaire contient 1 erreur")
            checked(page, "recevabilite erreur")
            summary.get_by_role("link", name=re.compile("^Motif")).click()
            expect(page.get_by_label("Motif")).to_be_focused()
            page.get_by_label("Motif").fill(INELIGIBLE)
        else:
            page.get_by_label("Recevable", exact=True).check()
        page.get_by_role("button", name="Enregistrer la décision de recevabilité").click()
        expect(page.get_by_role("row", name=re.compile(number))).to_contain_text(
            "Irrecevable" if name == "Association Delta" else "Recevable")
        checked(page, "recevabilite apres decision")
    expect(page.get_by_role("row", name=re.compile(numbers["Association Delta"]))).to_contain_text(INELIGIBLE)
    expect(page.get_by_text("3 recevables · 1 irrecevable · 0 à examiner")).to_be_visible()

    # Back to the hub: the evaluation starts with the button that says what it does.
    page.get_by_role("link", name=f"Sélection — {selection.call.title}").click()
    page.get_by_role("button", name=re.compile("^Commencer l'évaluation")).click()
    expect(page.get_by_text("est maintenant en phase « Évaluation »")).to_be_visible()
    checked(page, "selection evaluation")

    # The matrix: tick two reviewers (columns) and the three eligible applications (rows).
    page.get_by_role("link", name="Affectations aux évaluateurs").click()
    heading(page, re.compile("^Affectations"))
    checked(page, "affectations")
    page.get_by_label("Évaluateur 1", exact=True).check()
    page.get_by_label("Évaluateur 2", exact=True).check()
    for name in ("Association Alpha", "Association Bêta", "Association Gamma"):
        page.get_by_label(numbers[name], exact=True).check()
    expect(page.get_by_role("row", name=re.compile(numbers["Association Delta"]))).to_contain_text("Irrecevable")
    page.get_by_role("button", name="Affecter les évaluateurs cochés aux candidatures cochées").click()
    heading(page, "Affectation en groupe : compte rendu")
    expect(page.get_by_text("6 affectations faites")).to_be_visible()
    checked(page, "affectations compte rendu")
    page.get_by_role("link", name="Retour aux affectations").click()
    expect(page.get_by_role("row", name=re.compile(numbers["Association Gamma"]))).to_contain_text("2 / ")
    checked(page, "affectations faites")


def score(page, checked, reviewer: str, organisation: str, number: str) -> None:
    """On the open file: the grid, filled by the labels of its radios, then submitted."""
    quality, partnership, opinion = SCORES[reviewer][organisation]
    page.get_by_role("link", name="Évaluer cette candidature").click()
    heading(page, f"Votre évaluation de la candidature {number}")
    checked(page, "grille")
    page.get_by_role("group", name=re.compile("^Note — Qualité")).get_by_label(re.compile(f"^{quality}( —|$)")).check()
    page.get_by_role("group", name=re.compile("^Note — Partenariat")).get_by_label(partnership, exact=True).check()
    page.get_by_label("Commentaire sur ce critère").first.fill(f"Avis de {reviewer} sur {organisation}.")
    page.get_by_role("group", name="Avis général").get_by_label(opinion, exact=True).check()
    page.get_by_role("button", name="Soumettre l'évaluation").click()
    expect(page.get_by_text("Votre évaluation est soumise.")).to_be_visible()
    submitted = page.locator(".notice-success").filter(has_text="Évaluation soumise le")
    expect(submitted).to_contain_text(f"Avis : {opinion}")
    checked(page, "grille soumise")


def open_declaring_no_conflict(page, checked, number: str) -> None:
    """From « Évaluation », a file first asks for the declaration of interests."""
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Évaluation").click()
    checked(page, "evaluation")
    page.get_by_role("link", name=number, exact=True).click()
    heading(page, f"Avant d'ouvrir la candidature {number}")
    checked(page, "declaration")
    page.get_by_label("Je déclare n'avoir aucun conflit d'intérêts avec ce dossier").check()
    page.get_by_role("button", name="Valider ma déclaration").click()
    heading(page, re.compile(f"^{number} — "))
    checked(page, "dossier evalue")


def first_reviewer_declares_and_scores(new_page, checked, selection) -> None:
    numbers = numbers_of(selection)
    first = new_page()
    sign_in(first, checked, selection.reviewers[0].email)
    first.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Évaluation").click()
    heading(first, "Évaluation des candidatures")
    expect(first.get_by_role("table")).to_contain_text("3 dossiers")
    checked(first, "evaluation")
    # Gamma: she knows its president; she declares it before the file opens, and it is withdrawn from her.
    first.get_by_role("link", name=numbers["Association Gamma"], exact=True).click()
    heading(first, f"Avant d'ouvrir la candidature {numbers['Association Gamma']}")
    checked(first, "declaration")
    first.get_by_label("Je déclare un conflit d'intérêts avec ce dossier").check()
    first.get_by_label("Nature du conflit (si vous en déclarez un)").select_option(label="Lien personnel ou familial")
    first.get_by_label("Explication (si vous déclarez un conflit)").fill("La présidente est ma belle-sœur.")
    first.get_by_role("button", name="Valider ma déclaration").click()
    heading(first, "Mes conflits d'intérêts")
    expect(first.get_by_text(f"la candidature {numbers['Association Gamma']} ne vous est plus confiée")).to_be_visible()
    expect(first.get_by_role("list").filter(has_text="belle-sœur")).to_contain_text("Lien personnel ou familial")
    checked(first, "mes conflits")
    for organisation in ("Association Alpha", "Association Bêta"):
        open_declaring_no_conflict(first, checked, numbers[organisation])
        score(first, checked, "Évaluateur 1", organisation, numbers[organisation])
    first.get_by_role("link", name="Évaluation", exact=True).first.click()
    expect(first.get_by_role("table")).to_contain_text("2 dossiers")
    expect(first.get_by_role("table")).not_to_contain_text(numbers["Association Gamma"])
    checked(first, "evaluation terminee")


def second_reviewer_scores(new_page, checked, selection) -> None:
    numbers = numbers_of(selection)
    second = new_page()
    sign_in(second, checked, selection.reviewers[1].email)
    for organisation in ("Association Alpha", "Association Bêta", "Association Gamma"):
        open_declaring_no_conflict(second, checked, numbers[organisation])
        score(second, checked, "Évaluateur 2", organisation, numbers[organisation])


def decide_and_publish(page, new_page, checked, selection) -> None:
    numbers = numbers_of(selection)
    hub = f"/gestion/selection/{selection.call.slug}/"
    page.goto(hub)
    checked(page, "selection")
    page.get_by_role("button", name=re.compile("^Ouvrir la délibération")).click()
    expect(page.get_by_text("est maintenant en phase « Délibération »")).to_be_visible()
    checked(page, "selection deliberation")

    page.get_by_role("link", name="Classement", exact=True).click()
    heading(page, re.compile("^Classement des candidatures"))
    table = page.get_by_role("table")
    expect(table.locator("tbody tr").first).to_contain_text(numbers["Association Alpha"])  # best mean first
    checked(page, "classement")
    # Sorted by organisation with a click on the column's header: alphabetical, and the header says so.
    table.get_by_role("link", name="Organisation").click()
    header = page.get_by_role("columnheader", name=re.compile("^Organisation"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    rows = page.get_by_role("table").locator("tbody tr")  # the header has two rows (the criteria's group)
    expect(rows.nth(0)).to_contain_text("Association Alpha")
    expect(rows.nth(1)).to_contain_text("Association Bêta")
    expect(rows.nth(3)).to_contain_text("Association Delta")
    checked(page, "classement par organisation")

    decisions = [("Association Alpha", "Retenu", "10 000", "Projet solide, partenariats établis."),
                 ("Association Bêta", "Liste complémentaire", "6 000", ""),
                 ("Association Gamma", "Non retenu", "", "Le projet ne couvre pas le territoire visé.")]
    for organisation, outcome, amount, motivation in decisions:
        page.get_by_role("table").get_by_role("link", name=numbers[organisation], exact=True).click()
        heading(page, f"{numbers[organisation]} — {organisation}")
        expect(page.get_by_role("heading", name=re.compile(r"— avis"))).to_have_count(
            1 if organisation == "Association Gamma" else 2)
        checked(page, "decision")
        page.get_by_label(outcome, exact=True).check()
        if amount:
            page.get_by_label("Montant attribué (en euros)").fill(amount)
        if motivation:
            page.get_by_label("Motivation").fill(motivation)
        page.get_by_role("button", name="Enregistrer la décision").click()
        expect(page.get_by_text("Décision enregistrée.")).to_be_visible()
        expect(page.locator("dl.status-box")).to_contain_text(outcome)
        checked(page, "decision enregistree")
        page.get_by_role("navigation", name="Fil d'Ariane").get_by_role("link", name=re.compile("^Classement")).click()
    alpha = page.get_by_role("row", name=re.compile(numbers["Association Alpha"]))
    expect(alpha).to_contain_text(re.compile(r"10\s000\s€"))
    expect(alpha).to_contain_text("Retenu")
    checked(page, "classement", screenshot=True)
    phone = new_page(viewport=PHONE)
    sign_in(phone, checked, selection.manager.email)
    phone.goto(page.url)
    heading(phone, re.compile("^Classement des candidatures"))
    checked(phone, "classement", screenshot=True, suffix="-mobile")
    # On both screens the page itself never scrolls sideways: the wide table does, in its own box named by its
    # caption, which the keyboard reaches.
    for screen in (page, phone):
        assert screen.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    box = phone.get_by_role("region", name=re.compile("^3 candidatures classées"))
    assert box.evaluate("el => el.scrollWidth > el.clientWidth && el.tabIndex === 0")

    # The preview of what goes out: a letter and a message per application, Delta's with its reason.
    page.get_by_role("navigation", name="Fil d'Ariane").get_by_role("link").click()
    page.get_by_role("link", name="Publication des décisions").click()
    heading(page, re.compile("^Publication des décisions"))
    expect(page.get_by_role("table")).to_contain_text("Notifications prêtes (4)")
    checked(page, "publication")
    page.get_by_text(f"{numbers['Association Delta']} — ").click()  # the message unfolds
    expect(page.locator("details[open] .mail-body")).to_contain_text(INELIGIBLE)
    checked(page, "publication message")
    letter = page.get_by_role("link", name=f"Lettre de {numbers['Association Gamma']} (PDF)")
    preview = page.request.get(letter.get_attribute("href"))
    assert preview.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(preview.body())).pages)
    assert "n'avons" in text or "n'a pas retenu" in text.replace("\n", " ")

    page.get_by_label("J'ai relu les lettres et les messages").check()
    page.get_by_role("button", name="Publier les décisions et envoyer les lettres").click()
    expect(page.get_by_text("Décisions publiées :")).to_be_visible()
    expect(page.locator(".notice-success").filter(has_text="Décisions publiées le")).to_be_visible()
    checked(page, "publication faite")


def read_decision(new_page, checked, selection) -> None:
    number = numbers_of(selection)["Association Alpha"]
    reader = new_page()
    sign_in(reader, checked, selection.applicants[0].email)
    reader.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes candidatures").click()
    checked(reader, "mes candidatures")
    # « Mes candidatures » lists each application as a card: its title links to it.
    reader.locator("li.application", has_text=number).get_by_role("link").first.click()
    heading(reader, f"Candidature à « {selection.call.title} »")
    checked(reader, "candidature")
    reader.get_by_role("link", name="Lire la décision et la lettre de notification").click()
    heading(reader, f"Décision sur la candidature {number}")
    box = reader.locator("dl.status-box")
    expect(box).to_contain_text("Retenu")
    expect(box).to_contain_text(re.compile(r"10\s000\s€"))
    checked(reader, "decision publiee")
    with reader.expect_download() as download:
        reader.get_by_role("link", name="Télécharger la lettre de notification (PDF)").click()
    assert download.value.suggested_filename == f"decision-{number}.pdf"
    text = re.sub(r"\s+", " ", "".join(p.extract_text() for p in PdfReader(download.value.path()).pages))
    assert "a retenu votre candidature" in text
    assert number in text
    assert re.search(r"10\s?000\s?€", text), text


def as_after_the_first_test(selection) -> None:
    """Where the first test leaves the selection, reached through the same domain services as its pages: Delta
    irrecevable, the others recevables, the evaluation started, Évaluateurs 1 and 2 on Alpha, Bêta and Gamma,
    Évaluateur 1 in conflict with Gamma and her two reviews submitted."""
    from portal.core.time import now
    from portal.extensions import db
    from portal.reviews import assignment, conflicts, eligibility, queries, reviewing, rounds

    manager, (first, second, _) = selection.manager, selection.reviewers
    by_name = {o.legal_name: a for o, a in zip(selection.organisations, selection.applications, strict=True)}
    for name, application in by_name.items():
        ticks = {item.key: item.automatic is True for item in eligibility.checklist(application)}
        ineligible = name == "Association Delta"
        eligibility.record(application, "ineligible" if ineligible else "eligible", ticks,
                           INELIGIBLE if ineligible else "", by=manager, at=now())
    rounds.change_phase(rounds.round_of(selection.window, now()), "review", by=manager, at=now())
    scored = [by_name[n] for n in ("Association Alpha", "Association Bêta", "Association Gamma")]
    assert len(assignment.bulk_assign(scored, [first, second], manager, now()).made) == 6
    conflicts.declare(by_name["Association Gamma"], first.email, "personal", "La présidente est ma belle-sœur.",
                      "reviewer", first, now())
    for name, (quality, partnership, opinion) in SCORES["Évaluateur 1"].items():
        application = by_name[name]
        conflicts.declare_none(queries.assignment_of(first, application), first, now())
        reviewing.save(application, first, {"qualite": quality, "partenariat": partnership, "budget": ""},
                       {"qualite": f"Avis de Évaluateur 1 sur {name}."}, OPINION_KEYS[opinion], "", submit=True,
                       at=now())
    db.session.commit()  # the use cases flush; the portal's server thread reads what is committed


def test_the_manager_screens_and_assigns_and_a_reviewer_declares_a_conflict_and_scores(
        page, new_page, checked, selection):
    screen_and_assign(page, checked, selection)
    first_reviewer_declares_and_scores(new_page, checked, selection)


def test_the_second_reviewer_scores_the_manager_decides_and_publishes_and_the_association_reads(
        page, new_page, checked, selection):
    as_after_the_first_test(selection)
    second_reviewer_scores(new_page, checked, selection)
    sign_in(page, checked, selection.manager.email)
    decide_and_publish(page, new_page, checked, selection)
    read_decision(new_page, checked, selection)
