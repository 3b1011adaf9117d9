"""A journey with the keyboard only (Tab, Enter, Space; never the mouse): the skip link comes first and leads to
the content, then Claire signs in from a call, starts her association's application and finds it in « Mes
candidatures ». At every step the element that has the focus shows it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import PASSWORD

TITLE = "Équipes mobiles de prévention des expulsions"
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  return {tag: el.tagName.toLowerCase(), id: el.id, name: (label || el.innerText || el.value || '').trim(),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


def focused(page) -> dict:
    """The element that has the focus, and proof that it shows it (an outline of at least 2 px)."""
    element = page.evaluate(FOCUSED)
    assert element["outline"] != "none" and element["width"] >= 2, f"focus invisible : {element}"
    return element


def tab_to(page, name: str, limit: int = 80) -> dict:
    """Press Tab until the focus reaches the element called `name`, checking the focus is visible at every stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["name"].startswith(name):
            return element
    raise AssertionError(f"« {name} » n'est pas atteignable avec la touche Tab")


def test_a_person_signs_in_and_starts_an_application_with_the_keyboard_only(page, checked, clock, publish_call,
                                                                          make_user, make_organisation):
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}])
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    make_organisation(claire, "Association Logement Solidaire")

    page.goto(f"/appels/{call.slug}/")
    checked(page, "appel")
    # The first Tab lands on the skip link; Enter moves the focus to the main content.
    assert tab_to(page, "Aller au contenu", limit=1)["tag"] == "a"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    focused(page)

    # From the content, the next stops lead to « Se connecter pour candidater ».
    tab_to(page, "Se connecter pour candidater")
    page.keyboard.press("Enter")
    page.wait_for_url("**/compte/connexion**")
    checked(page, "connexion")

    assert tab_to(page, "Adresse électronique")["id"] == "email"
    page.keyboard.type("claire@asso-logement.fr")
    assert tab_to(page, "Mot de passe", limit=1)["id"] == "password"
    page.keyboard.type(PASSWORD)
    tab_to(page, "Rester connecté", limit=1)
    page.keyboard.press("Space")
    expect(page.get_by_label("Rester connecté")).to_be_checked()
    tab_to(page, "Se connecter", limit=1)
    page.keyboard.press("Enter")

    # Back on the call, signed in: « Candidater » is a button, pressed with the space bar.
    page.wait_for_url(f"**/appels/{call.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    checked(page, "appel connecté")
    tab_to(page, "Candidater")
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Candidature à « {TITLE} »")
    checked(page, "candidature")

    # A new page starts from the top: the skip link, then the main menu, which leads to « Mes candidatures », where the new draft is listed.
    tab_to(page, "Mes candidatures")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes candidatures")
    expect(page.locator("main")).to_contain_text(TITLE)
    checked(page, "mes candidatures")
