"""The look of a public service: usable at 320 px wide and at 200 % zoom without scrolling sideways, printable
without its navigation, neutral by default and with the State's bloc-marque only when the theme says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.catalog import services
from portal.config import ROOT
from portal.core import time
from portal.extensions import db

CALL = "aap-2025-equipes-mobiles-prevention-expulsions"
# 200 % zoom on a 1280 × 900 laptop screen lays the page out in a 640 × 450 CSS-pixel viewport (WCAG 1.4.4 and
# 1.4.10); a device scale factor would keep the layout of a 1280 px screen and prove nothing.
NARROW = {"width": 320, "height": 640}
ZOOM_200 = {"width": 640, "height": 450}


@pytest.fixture
def calls(app, clock):
    """The real calls shipped in calls/, published while the 2025 call is open: long titles, tables, contacts."""
    clock("2025-04-15 10:00:00")
    report = services.sync_calls(sorted((ROOT / "calls").glob("*.md")), at=time.now())
    db.session.commit()  # sync_calls flushes; the portal's server thread reads what is committed
    assert CALL in report.created
    return report


def horizontal_overflow(page) -> list[str]:
    """What sticks out of the viewport on the right: empty when the page needs no sideways scroll."""
    return page.evaluate("""() => {
      const width = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth <= width) return [];
      return [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest('.table-wrap, .visually-hidden'))
        .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                              + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
    }""")


@pytest.mark.parametrize("viewport", [NARROW, ZOOM_200], ids=["320px", "zoom-200"])
def test_main_pages_need_no_horizontal_scroll(new_page, checked, calls, viewport):
    page = new_page(viewport=viewport)
    for path, title in [("/appels/", "Appels à projets et à manifestation d'intérêt"),
                        (f"/appels/{CALL}/", "Équipes mobiles de prévention des expulsions locatives"),
                        ("/compte/connexion", "Se connecter"),
                        ("/accessibilite", "Déclaration d'accessibilité")]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        checked(page, path)
        assert horizontal_overflow(page) == [], f"{path} à {viewport['width']} px"
        # The menu still works: its links are on screen, not cut off.
        expect(page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Se connecter"))\
            .to_be_in_viewport()


def test_a_call_and_the_catalogue_print_without_navigation_and_with_link_addresses(page, checked, calls, publish_call):
    publish_call("avec-lien", body="## Contexte\n\nLe formulaire [Cerfa n° 12156](https://www.service-public.fr/"
                                   "particuliers/vosdroits/R1271) est à joindre au dossier.")
    page.goto("/appels/avec-lien/")
    checked(page, "appel")
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu).to_be_visible()
    page.emulate_media(media="print")
    expect(menu).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="L'essentiel")).to_be_visible()
    spelled = page.evaluate("""() => {
      const link = document.querySelector('main a[href^="http"]');
      return link ? [link.href, getComputedStyle(link, '::after').content] : ['', ''];
    }""")
    assert spelled[0] and spelled[0] in spelled[1], spelled  # « (https://…) » after the link's text
    page.goto("/appels/")
    expect(page.get_by_role("search")).to_be_hidden()


def test_focus_is_visible_on_links_buttons_and_fields(page, checked, calls):
    page.goto("/compte/connexion")
    for target in [page.get_by_role("link", name="Appels à projets").first, page.get_by_label("Adresse électronique"),
                   page.get_by_role("button", name="Se connecter")]:
        target.focus()
        outline = target.evaluate("el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
        assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2, outline


@pytest.fixture
def setting(app):
    """Change a setting for one test, as PORTAL_THEME or PORTAL_ISSUER_LOGO would, and put it back afterwards."""
    saved = {}

    def change(name: str, value):
        saved.setdefault(name, app.config.get(name))
        app.config[name] = value

    yield change
    app.config.update(saved)


def test_the_neutral_theme_shows_no_state_identity(client, setting):
    setting("THEME", "neutre")
    setting("ISSUER_NAME", "Département du Pas-de-Calais")
    html = client.get("/appels/").get_data(as_text=True)
    assert 'class="theme-neutre"' in html
    assert "République française" not in html.replace("<br>", " ") and "bloc-marque" not in html
    assert "Département du Pas-de-Calais" in html


def test_the_state_theme_shows_the_republique_francaise_bloc_marque(client, setting):
    setting("THEME", "etat")
    setting("ISSUER_NAME", "Préfecture du Pas-de-Calais")
    html = client.get("/appels/").get_data(as_text=True)
    assert 'class="theme-etat"' in html
    assert "République<br>française" in html and "Liberté<br>Égalité<br>Fraternité" in html
    assert "Préfecture du Pas-de-Calais" in html


def test_the_state_theme_in_a_browser(page, checked, calls, setting):
    setting("THEME", "etat")
    page.goto("/appels/")
    banner = page.get_by_role("banner").inner_text()  # as drawn: the text is written in capitals by the style sheet
    assert "RÉPUBLIQUE\nFRANÇAISE" in banner and "Liberté\nÉgalité\nFraternité" in banner, banner
    checked(page, "catalogue-etat")


def test_the_issuer_logo_is_shown_with_the_issuer_name_as_its_text(page, checked, calls, setting, client):
    assert 'class="issuer-logo"' not in client.get("/appels/").get_data(as_text=True)  # none by default
    setting("ISSUER_LOGO", "img/logo-exemple.svg")
    setting("ISSUER_NAME", "Département du Pas-de-Calais")
    page.goto("/appels/")
    logo = page.get_by_role("banner").get_by_role("img", name="Département du Pas-de-Calais")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    checked(page, "catalogue-logo")


def test_the_footer_leads_to_the_accessibility_statement_legal_notice_and_personal_data(page, checked, setting):
    setting("CONTACT_EMAIL", "accessibilite@pasdecalais.example.fr")
    setting("ISSUER_NAME", "Département du Pas-de-Calais")
    setting("HOST", "Hébergeur Exemple SAS, 1 rue de l'Hébergement, 59000 Lille")
    page.goto("/appels/")
    footer = page.get_by_role("contentinfo")

    footer.get_by_role("link", name="Accessibilité : non conforme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    checked(page, "accessibilite")
    main = page.locator("main")
    for text in ["Département du Pas-de-Calais s'engage", "non conforme", "aucun audit", "Contenus non accessibles",
                 "Cette déclaration a été établie le 23 novembre 2026", "JavaScript (facultatif",
                 "Environnement de test", "Défenseur des droits", "Libre réponse 71120", "75342 Paris CEDEX 07"]:
        expect(main).to_contain_text(text)
    expect(main.get_by_role("link", name="accessibilite@pasdecalais.example.fr")).to_have_attribute(
        "href", "mailto:accessibilite@pasdecalais.example.fr")
    expect(main.get_by_role("link", name="formulaire en ligne")).to_have_attribute(
        "href", "https://formulaire.defenseurdesdroits.fr/")
    expect(main.get_by_role("link", name="le délégué du Défenseur des droits dans votre région")).to_be_visible()

    footer.get_by_role("link", name="Mentions légales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentions légales")
    checked(page, "mentions-legales")
    for text in ["édité par Département du Pas-de-Calais", "Directeur de la publication",
                 "hébergé par Hébergeur Exemple SAS, 1 rue de l'Hébergement, 59000 Lille"]:
        expect(main).to_contain_text(text)

    footer.get_by_role("link", name="Données personnelles et gestion des cookies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Données personnelles et gestion des cookies")
    checked(page, "donnees-personnelles")
    for heading in ["Responsable du traitement", "Finalités et base légale", "Ce que nous conservons, et combien de temps",
                    "Destinataires", "Vos droits", "Cookies"]:
        expect(main.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(main).to_contain_text("aucun consentement")
    assert [c["name"] for c in page.context.cookies()] in ([], ["session"])  # no cookie but the session, if any
