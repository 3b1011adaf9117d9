"""Browser journey (issue 18): a visitor pages through a catalogue longer than one page, with a filter kept from
page to page, on a desktop and on a 320 px phone; axe-core on every page."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

NARROW = {"width": 320, "height": 640}


def publish_many(publish_call) -> None:
    """45 open calls in the Artois closing one a day from 1 June 2025, and 3 in the Boulonnais."""
    for number in range(45):
        closes = dt.date(2025, 6, 1) + dt.timedelta(days=number)
        publish_call(f"appel-{number:02d}", title=f"Appel {number:02d} aux associations de l'Artois",
                     territories=[{"name": "Artois"}],
                     windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": closes.isoformat()}])
    for number in range(3):
        publish_call(f"ailleurs-{number}", title=f"Appel {number} du Boulonnais", territories=[{"name": "Boulonnais"}],
                     windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-12-31"}])


def titles(page) -> list[str]:
    return page.locator(".call-card h3").all_inner_texts()


def test_a_visitor_pages_through_the_calls_of_her_territory(page, new_page, checked, clock, publish_call):
    clock("2025-04-20 10:00:00")
    publish_many(publish_call)

    page.goto("/appels/")
    filters = page.get_by_role("search", name="Filtrer les appels")
    filters.get_by_label("Territoire").select_option("Artois")
    filters.get_by_role("button", name="Afficher les appels").click()
    expect(page.get_by_role("status")).to_have_text("45 appels correspondant à votre recherche — page 1 sur 3")
    assert len(titles(page)) == 20 and titles(page)[0] == "Appel 00 aux associations de l'Artois"
    pages = page.get_by_role("navigation", name="Pagination")
    expect(pages.get_by_role("link", name="Page 1", exact=True)).to_have_attribute("aria-current", "page")
    checked(page, "catalogue page 1")

    pages.get_by_role("link", name="Page suivante").click()
    expect(page.get_by_role("status")).to_have_text("45 appels correspondant à votre recherche — page 2 sur 3")
    assert titles(page)[0] == "Appel 20 aux associations de l'Artois"
    expect(page.get_by_role("search", name="Filtrer les appels").get_by_label("Territoire")).to_have_value("Artois")
    expect(page).to_have_title("Appels à projets — page 2 sur 3 — " + page.title().split(" — ")[-1])
    checked(page, "catalogue page 2")

    page.get_by_role("navigation", name="Pagination").get_by_role("link", name="Page 3", exact=True).click()
    assert titles(page) == [f"Appel {number} aux associations de l'Artois" for number in range(40, 45)]
    expect(page.get_by_role("navigation", name="Pagination").get_by_role("link", name="Page suivante")).to_have_count(0)

    phone = new_page(viewport=NARROW)
    phone.goto("/appels/?territoire=Artois&page=2")
    nav = phone.get_by_role("navigation", name="Pagination")
    following = nav.get_by_role("link", name="Page suivante")
    following.scroll_into_view_if_needed()
    expect(following).to_be_in_viewport()  # below the list, and not cut off on the right
    widths = phone.evaluate("({page: document.documentElement.scrollWidth, window: window.innerWidth})")
    assert widths["page"] <= widths["window"], widths
    checked(phone, "catalogue page 2 téléphone")
