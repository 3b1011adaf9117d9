"""Journeys in a real browser: Debian's chromium driven by Playwright (never `playwright install`), against the
portal served by a real HTTP server on a free port, in this process so that it shares the test database, the
clock and the mail outbox. Every page a journey visits is checked by axe-core and by the public-sector
conventions (`accessibility.check`)."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.browser import accessibility
from tests.conftest import call_data

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# `scripts/screenshots` sets this to docs/screenshots to refresh the README's pictures; a plain test run writes
# them to a temporary folder, so that running the tests never changes committed files.
SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="portal-screenshots-"))
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def portal_server(app):
    """The portal on 127.0.0.1 and a free port, one thread per request as a production server would."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app.config["BASE_URL"]
    server.shutdown()


@pytest.fixture(autouse=True)
def _issuer_of_the_journeys_calls(app):
    """The journeys' calls are the Pas-de-Calais's (call_data): its portal names it in the header, as a real one
    would; put back afterwards, so that the tests after the journeys meet the default settings."""
    saved = app.config["ISSUER_NAME"]
    app.config["ISSUER_NAME"] = call_data()["issuer"]["body"]
    yield
    app.config["ISSUER_NAME"] = saved


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium est requis pour les parcours dans un navigateur : apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


def _context(browser, portal_server, **options):
    context = browser.new_context(base_url=portal_server, locale="fr-FR", timezone_id="Europe/Paris",
                                  accept_downloads=True, **options)
    context.set_default_timeout(15000)
    return context


@pytest.fixture
def page(browser, portal_server):
    context = _context(browser, portal_server, viewport=DESKTOP)
    yield context.new_page()
    context.close()


# Pages opened with JavaScript off: axe-core cannot run in them, so `checked` checks a twin (see `_twin_of`).
_WITHOUT_JAVASCRIPT: weakref.WeakSet = weakref.WeakSet()


@pytest.fixture
def new_page(browser, portal_server):
    """Another person's browser (or a phone, or JavaScript off): new_page(viewport=PHONE, java_script_enabled=False)."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", DESKTOP)
        context = _context(browser, portal_server, **options)
        contexts.append(context)
        page = context.new_page()
        if options.get("java_script_enabled") is False:
            _WITHOUT_JAVASCRIPT.add(page)
        return page

    yield make
    for context in contexts:
        context.close()


def _twin_of(page, browser, portal_server):
    """axe-core needs scripts to run, so a page seen without JavaScript is checked in a second browser that
    receives the very same HTML (and style sheets) with the portal's own scripts blocked."""
    context = _context(browser, portal_server, viewport=page.viewport_size)
    twin = context.new_page()
    twin.route("**/static/js/**", lambda route: route.abort())
    html, url = page.content(), page.url
    twin.route(url, lambda route: route.fulfill(content_type="text/html; charset=utf-8", body=html))
    twin.goto(url)
    return twin


@pytest.fixture
def pdf_screenshot():
    """pdf_screenshot(path, "name") draws the PDF's first page as <name>.png beside the other screenshots
    (docs/screenshots/ when scripts/screenshots refreshes them): a printed document is shown as printed."""

    def draw(path: str, name: str) -> None:
        import pypdfium2

        document = pypdfium2.PdfDocument(path)
        try:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            document[0].render(scale=1.5).to_pil().save(SCREENSHOTS / f"{name}.png")
        finally:
            document.close()

    return draw


@pytest.fixture
def checked(browser, portal_server):
    """checked(page, "name") runs axe-core and the conventions on the page as it is now; with screenshot=True it
    also saves docs/screenshots/<name>.png (and <name>-mobile.png when given a phone page). A page opened with
    JavaScript off is checked through its twin."""

    def check(page, name: str, screenshot: bool = False, suffix: str = "") -> None:
        if page in _WITHOUT_JAVASCRIPT:
            twin = _twin_of(page, browser, portal_server)
            try:
                accessibility.check(twin, name)
            finally:
                twin.context.close()
        else:
            accessibility.check(page, name)
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)

    return check
