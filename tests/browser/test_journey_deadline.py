"""Journey 5 in a real browser: the deadline is a second. Claire's draft is complete; she opens the summary before
midnight and clicks « Déposer » one second after the deadline: the portal refuses in French, naming the deadline,
and her draft is still there with every answer and file. Another association clicking at 23:59:59 is accepted."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.applications.conftest import ANSWERS, DECLARATIONS, DOCUMENTS, QUESTIONS, get_application, ready, start
from tests.browser.test_journey_application import sign_in as browser_sign_in

CALL_TITLE = "Équipes mobiles de prévention des expulsions"


def ready_draft(client, sign_in, call, organisation, email: str) -> str:
    """A draft with every answer and every required file, prepared earlier; returns its URL."""
    sign_in(client, email)
    url = start(client, call, organisation)
    ready(client, url)
    return url


def at(clock, moment: str, *pages):
    """The portal and the browsers stand at the same instant (Paris time)."""
    instant = clock(moment)
    for page in pages:
        page.clock.set_fixed_time(instant)


def open_summary(page, checked, url: str) -> None:
    page.goto(url)
    checked(page, "dossier pret")
    page.get_by_role("link", name="Relire et déposer la candidature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Relire et déposer")
    expect(page.get_by_role("region", name="Ce qui manque")).to_contain_text("Le dossier est complet")
    checked(page, "relecture avant la limite")


def test_one_second_late_is_refused_and_the_draft_is_kept_while_the_last_second_is_accepted(
        page, new_page, checked, clock, publish_call, make_user, make_organisation, app, sign_in):
    at(clock, "2025-05-09 18:00:00", page)
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    late = ready_draft(app.test_client(), sign_in, call, make_organisation(claire, "Association Logement Solidaire"),
                       "claire@asso-logement.fr")
    karim = make_user("karim@toit-pour-tous.fr", "Karim Benali")
    on_time = ready_draft(app.test_client(), sign_in, call, make_organisation(karim, "Collectif Toit pour tous"),
                          "karim@toit-pour-tous.fr")

    # Claire opens her summary just before midnight, and clicks one second after the deadline.
    at(clock, "2025-05-09 23:59:30", page)
    browser_sign_in(page, checked, "claire@asso-logement.fr")
    open_summary(page, checked, late)
    at(clock, "2025-05-10 00:00:00", page)
    page.get_by_role("button", name="Déposer la candidature").click()
    refusal = page.get_by_text("Dépôt refusé : la date limite était le 9 mai 2025 à 23 h 59 (heure de Paris)")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("votre demande est arrivée le 10 mai 2025 à 0 h 00 (heure de Paris) (00:00:00)")
    expect(refusal).to_contain_text("Votre brouillon est conservé tel quel.")
    expect(page.get_by_text("Brouillon — non déposé")).to_be_visible()
    checked(page, "depot refuse")
    stored = get_application(late)
    assert (stored.status, stored.number, list(stored.versions)) == ("draft", None, [])

    # Her draft is intact: the answers, the ticked declaration, the budget and the files.
    page.get_by_role("link", name="Consulter les réponses").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions et budget")
    checked(page, "reponses apres la limite")
    page.reload()
    expect(page.get_by_label("Objectifs du projet")).to_have_value("Aller vers les ménages.")
    expect(page.get_by_label("Nombre de ménages accompagnés")).to_have_value("120")
    expect(page.get_by_label("Artois")).to_be_checked()
    expect(page.get_by_label("Boulonnais")).not_to_be_checked()
    expect(page.get_by_label("Lens-Hénin")).to_be_checked()
    expect(page.get_by_label("Fonction, ligne 1")).to_have_value("Travailleuse sociale")
    expect(page.get_by_label("64 – Charges de personnel")).to_have_value("15 000")
    expect(page.get_by_label(DECLARATIONS[0]["text"])).to_be_checked()
    page.goto(late + "pieces")
    checked(page, "pieces apres la limite")
    expect(page.get_by_role("link", name="statuts.pdf")).to_be_visible()
    expect(page.get_by_role("link", name="cerfa 12156.pdf")).to_be_visible()
    expect(page.get_by_role("button", name="Téléverser")).to_have_count(0)  # closed: nothing can be added
    assert get_application(late).answers["questions"]["objectifs"] == ANSWERS["q.objectifs"]

    # Karim clicks in the last second, 23:59:59: accepted.
    karim_page = new_page()
    at(clock, "2025-05-09 23:59:30", karim_page)
    browser_sign_in(karim_page, checked, "karim@toit-pour-tous.fr")
    open_summary(karim_page, checked, on_time)
    at(clock, "2025-05-09 23:59:59", karim_page)
    karim_page.get_by_role("button", name="Déposer la candidature").click()
    expect(karim_page.get_by_role("heading", level=1)).to_have_text("Accusé de réception — version 1")
    expect(karim_page.locator(".key-facts")).to_contain_text(
        "Déposée le9 mai 2025 à 23 h 59 min 59 s (heure de Paris)")  # the last second, said to the second
    checked(karim_page, "depot a la derniere seconde")
    assert get_application(on_time).status == "submitted"
