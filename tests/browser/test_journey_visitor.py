"""Journey 1 in a real browser: a visitor finds an open call. She opens the portal, filters the catalogue by
territory with the filter form, searches by a word, opens the call she found, reads its deadline and adds it to her
calendar with the iCalendar link; the downloaded .ics holds the call's title and its closing instant. The catalogue
and the call page are also read on a phone, without sideways scrolling."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import expect

from portal.core.time import PARIS
from tests.browser.conftest import PHONE

CALL_TITLE = "Équipes mobiles de prévention des expulsions"
DEADLINE = "9 mai 2025 à 23 h 59 (heure de Paris)"


def publish_catalogue(publish_call) -> None:
    """The open call she looks for, another open one on her territory, a closed one there, one elsewhere."""
    publish_call("equipes-mobiles", themes=["prévention des expulsions"],
                 windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}])
    publish_call("jardins-partages", title="Jardins partagés dans les quartiers prioritaires",
                 summary="Créer et animer des jardins partagés avec les habitants.", themes=["cadre de vie"],
                 windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-06-30"}])
    publish_call("maraudes-2024", title="Maraudes et prévention des expulsions en hiver",
                 summary="Aller vers les personnes sans abri pendant l'hiver 2024.", themes=["prévention des expulsions"],
                 windows=[{"key": "unique", "opens_on": "2024-09-01", "closes_on": "2024-10-15"}])
    publish_call("expulsions-nord", title="Prévention des expulsions dans le Nord",
                 summary="Accompagner les ménages menacés d'expulsion dans le Nord.",
                 issuer={"body": "Département du Nord"}, territories=[{"name": "Nord", "code": "DEP-59"}],
                 windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-31"}])


def listed_titles(page) -> list[str]:
    return page.locator(".call-list h3").all_inner_texts()


def assert_no_sideways_scroll(page) -> None:
    widths = page.evaluate("({page: document.documentElement.scrollWidth, window: window.innerWidth})")
    assert widths["page"] <= widths["window"], f"la page défile horizontalement sur un téléphone : {widths}"


def test_a_visitor_finds_an_open_call_reads_it_and_adds_its_deadline_to_her_calendar(
        page, new_page, checked, clock, publish_call, tmp_path):
    moment = clock("2025-04-15 10:00:00")
    page.clock.set_fixed_time(moment)  # the browser's countdown lives at the portal's instant
    publish_catalogue(publish_call)

    # The portal opens on the catalogue: open calls only, the closed one is in the archives.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Appels à projets et à manifestation d'intérêt")
    expect(page.get_by_role("status")).to_have_text("3 appels")
    assert "Maraudes et prévention des expulsions en hiver" not in listed_titles(page)
    checked(page, "catalogue", screenshot=True)

    # She keeps the calls of her territory, with the filter form.
    filters = page.get_by_role("search", name="Filtrer les appels")
    filters.get_by_label("Territoire").select_option("Pas-de-Calais")
    filters.get_by_role("button", name="Afficher les appels").click()
    expect(page.get_by_role("status")).to_have_text("2 appels correspondant à votre recherche")
    assert listed_titles(page) == [CALL_TITLE, "Jardins partagés dans les quartiers prioritaires"]  # nearest deadline first
    assert "territoire=Pas-de-Calais" in page.url
    checked(page, "catalogue filtre territoire")

    # Then she searches a word, accents left out: the filter stays, one call remains.
    expect(filters.get_by_label("Territoire")).to_have_value("Pas-de-Calais")
    filters.get_by_label("Rechercher").fill("expulsion")
    filters.get_by_role("button", name="Afficher les appels").click()
    expect(page.get_by_role("status")).to_have_text("1 appel correspondant à votre recherche")
    assert listed_titles(page) == [CALL_TITLE]
    expect(filters.get_by_label("Rechercher")).to_have_value("expulsion")
    checked(page, "catalogue recherche")

    # She opens it and reads its deadline.
    page.get_by_role("link", name=CALL_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CALL_TITLE)
    facts = page.get_by_role("complementary", name="L'essentiel")
    expect(facts).to_contain_text(f"Ouvert — clôture le {DEADLINE}")  # J-24: not imminent, that is the last 7 days
    expect(facts).to_contain_text("Temps restant : 24 jours, 14 heures, 0 minute.")
    expect(facts).to_contain_text(f"du 1er avril 2025 jusqu'au {DEADLINE}")
    expect(facts).to_contain_text("Pas-de-Calais")
    expect(page.get_by_role("region", name="Candidater")).to_contain_text(f"Date limite : {DEADLINE}.")
    checked(page, "appel", screenshot=True)
    call_url = page.url

    # She adds the deadline to her calendar: the file holds the call's title and the closing instant.
    with page.expect_download() as download:
        facts.get_by_role("link", name="Ajouter les dates à mon agenda (.ics)").click()
    saved = Path(tmp_path / download.value.suggested_filename)
    download.value.save_as(saved)
    assert saved.name == "equipes-mobiles.ics"
    calendar = Calendar.from_ical(saved.read_bytes())
    events = {str(event["summary"]): event for event in calendar.walk("VEVENT")}
    closing = events[f"Clôture : {CALL_TITLE}"]
    deadline = dt.datetime(2025, 5, 9, 23, 59, 59, tzinfo=PARIS)
    assert closing.decoded("dtstart") == deadline and closing.decoded("dtend") == deadline
    assert closing.decoded("dtstart").tzinfo is not None  # an instant, not a floating local time
    assert f"Date limite de dépôt : {DEADLINE}." in str(closing["description"])
    assert str(closing["url"]) == call_url
    assert events[f"Ouverture : {CALL_TITLE}"].decoded("dtstart").date() == dt.date(2025, 4, 1)

    # The same pages on a phone whose clock is 47 minutes fast: the countdown follows the portal's clock, not the
    # phone's, so nobody is told she has less (or more) time than she really has.
    phone = new_page(viewport=PHONE)
    phone.clock.set_fixed_time(moment + dt.timedelta(minutes=47))
    phone.goto("/appels/")
    expect(phone.get_by_role("status")).to_have_text("3 appels")
    assert_no_sideways_scroll(phone)
    checked(phone, "catalogue", screenshot=True, suffix="-mobile")
    phone.get_by_role("link", name=CALL_TITLE).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(CALL_TITLE)
    expect(phone.get_by_role("region", name="Candidater")).to_contain_text(f"Date limite : {DEADLINE}.")
    expect(phone.locator(".countdown")).to_have_text("Temps restant : 24 jours, 14 heures, 0 minute.")
    assert_no_sideways_scroll(phone)
    checked(phone, "appel", screenshot=True, suffix="-mobile")
