"""Every page a visitor can reach answers without a server error, and looking never writes.

Issue 12 found six shipped calls answering 500 to everyone while the suite stayed green: each page was tested on the
call its test built, never on the calls actually shipped nor through the links people follow. This crawl clicks every
link reachable from the home page, as anonymous and as each role of the demo, plus the page of every call in calls/
and of the demo calls (open, upcoming, in selection), so a new page or a new call file is covered without a line here.
"""

from __future__ import annotations

import pytest

from portal.catalog import queries
from portal.catalog.services import sync_calls
from portal.config import ROOT
from portal.core.time import now
from portal.demo import DEMO_PASSWORD
from tests.crawl import Crawler

ROLES = {
    "anonymous": None,
    "administrator": "admin@demo.example.org",
    "call-manager": "gestionnaire@demo.example.org",
    "reviewer": "evaluatrice1@demo.example.org",
    "finance": "finances@demo.example.org",
    "association-administrator": "presidente@asso-logement.demo.example.org",
    "association-member": "salarie@asso-logement.demo.example.org",
    # The two associations above have applied to nothing; this one's deposited file opens the applicant's pages
    # (the file, its versions, the receipt, the decision).
    "applicant": "contact@asso1.demo.example.org",
}


@pytest.fixture
def demo_portal(app):
    """The demo's people, organisations and calls, plus the real calls shipped in calls/; returns every call's slug."""
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    report = sync_calls([ROOT / "calls"], now())
    assert report.errors == []
    slugs = [item.call.slug for item in queries.all_calls(now())]
    assert len(slugs) == len(list((ROOT / "calls").glob("*.md"))) + 4  # every file of calls/, and the demo's four
    return slugs


@pytest.mark.parametrize("role", ROLES)
def test_every_page_reachable_from_home_answers_without_server_error_and_without_writing(
        app, client, sign_in, demo_portal, role):
    """A 5xx on any page, file download or export a link leads to fails with the page that linked to it; a GET that
    writes (INSERT, UPDATE, DELETE) fails with its statement: a GET never writes (GUIDE.md), reloads and
    prefetches must stay harmless."""
    if ROLES[role]:
        signed_in = sign_in(client, ROLES[role], DEMO_PASSWORD)
        assert signed_in.status_code == 302 and "/compte/connexion" not in signed_in.location, role
    calls = [(f"/appels/{slug}/", "(no link: a published call)") for slug in demo_portal]

    crawler = Crawler(app, client)
    visits = crawler.crawl("/", also=calls)
    print(f"{role}: {len(visits)} URLs visited; links left out as their parameter values were all tried: "
          f"{dict(crawler.left_out) or 'none'}")

    if ROLES[role]:
        assert client.get("/compte/").status_code == 200, f"{role}: a link followed by the crawl signed out"
    assert not crawler.limit_reached, (
        f"{role}: the crawl stopped after {crawler.limit} URLs, so some pages were not checked; raise the limit in "
        "tests/crawl.py or normalise the URLs that multiply")
    problems = [f"{role}: GET {v.url} answered {v.status}{f' ({v.error})' if v.error else ''}, linked from "
                f"{v.linked_from}" for v in visits if v.status >= 500]
    problems += [f"{role}: GET {v.url} wrote, linked from {v.linked_from}: {statement}"
                 for v in visits for statement in dict.fromkeys(v.writes)]
    # Behind sign-in nothing may stay in a proxy's or the browser's cache (ASVS 8.2.1): pages, exports, files.
    problems += [f"{role}: GET {v.url} may be cached (Cache-Control: {v.cache_control or 'none'})"
                 for v in visits if ROLES[role] and v.status < 300 and "no-store" not in v.cache_control]
    assert not problems, "\n".join(problems)
