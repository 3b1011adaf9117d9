"""The total awarded is compared with the call's envelope and the window's budget on the ranking, the decision page
and the publication page; above it, publication asks for an explicit confirmation; a call without an envelope is
compared with nothing, and the pages say so."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import decisions
from tests.conftest import post_form
from tests.reviews.conftest import refresh, sign_in_as
from tests.reviews.test_decisions import decision_mails, deliberate, plain, url_of
from tests.reviews.test_letters import republish

PAGES = ("classement", "publication")


def read(response) -> str:
    """The page's text as a person reads it: entities decoded, every space a plain one."""
    return plain(html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True))))


def pages(client, selection) -> dict[str, str]:
    url = f"/gestion/selection/{selection.call.slug}/fenetres/unique"
    found = {name: read(client.get(f"{url}/{name}")) for name in PAGES}
    found["decision"] = read(client.get(url_of(selection.applications[0])))
    return found


def award(selection, amounts: list[str]) -> None:
    for application, amount in zip(selection.applications, amounts, strict=True):
        decisions.record(application, "selected", amount, None, "", False, selection.manager, time.now())
    db.session.commit()


def test_the_three_pages_compare_the_total_with_the_envelope_and_the_window_budget(
        client, selection, publish_call, clock):
    republish(selection, publish_call, clock, {"signatory": {"name": "Marie Exemple", "title": "Directrice"}},
              funding={"envelope": "30000", "envelope_note": "Crédits 2025 du fonds de solidarité logement."},
              windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09", "budget": "25000"}])
    deliberate(selection)
    award(selection, ["10 000", "8 000", "5 000", "4 000"])
    sign_in_as(client, selection.manager)
    for name, page in pages(client, selection).items():
        assert "Enveloppe de l'appel : 27 000 € attribués sur 30 000 €, reste 3 000 €." in page, name
        assert ("Dépassement — Budget de la fenêtre : 27 000 € attribués pour 25 000 €, soit 2 000 € de "
                "dépassement.") in page, name
        assert "Crédits 2025 du fonds de solidarité logement." in page, name


def test_publication_above_the_envelope_needs_an_explicit_confirmation(client, selection, publish_call, clock):
    republish(selection, publish_call, clock, {"signatory": {"name": "Marie Exemple", "title": "Directrice"}},
              funding={"envelope": "20000"})
    round_ = deliberate(selection)
    award(selection, ["10 000", "8 000", "5 000", "4 000"])
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/{selection.call.slug}/fenetres/unique"
    assert "Je confirme publier des décisions dont le total dépasse l'enveloppe" in read(client.get(f"{url}/publication"))

    refused = post_form(client, f"{url}/publier", {"confirm": "y"}, form_page=f"{url}/publication")
    assert refused.status_code == 422
    text = read(refused)
    assert ("Enveloppe de l'appel : 27 000 € attribués pour 20 000 €, soit 7 000 € de dépassement. Cochez la "
            "case de confirmation pour publier malgré le dépassement.") in text
    assert 'aria-describedby="confirm_over_envelope-error"' in refused.get_data(as_text=True)
    assert refresh(round_).phase == "deliberation" and not decision_mails()

    published = post_form(client, f"{url}/publier", {"confirm": "y", "confirm_over_envelope": "y"},
                          form_page=f"{url}/publication")
    assert published.status_code == 302 and refresh(round_).phase == "decided"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.publish"))
    assert "7 000 € de dépassement" in event.details["over_envelope"].replace("\u202f", " ")


def test_a_call_without_an_envelope_is_compared_with_nothing(client, selection):
    round_ = deliberate(selection)
    award(selection, ["10 000", "8 000", "5 000", "4 000"])
    sign_in_as(client, selection.manager)
    for name, page in pages(client, selection).items():
        assert "L'appel n'indique pas d'enveloppe : le total attribué (27 000 €) n'est comparé à aucun montant." \
            in page, name
    url = f"/gestion/selection/{selection.call.slug}/fenetres/unique"
    assert post_form(client, f"{url}/publier", {"confirm": "y"}, form_page=f"{url}/publication").status_code == 302
    assert refresh(round_).phase == "decided"
