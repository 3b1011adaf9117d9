"""« Mes candidatures », the association member's home: each application with its deadline counted down in Paris days,
what is still missing before depositing (each linked to where it is fixed), changes not deposited, pieces requested,
and the published decision; what needs her first, then what is deposited, then what is decided — in the same number
of statements whatever the number of applications."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from portal.applications import drafts, pieces
from portal.core import time
from portal.extensions import db
from portal.reviews import decisions
from tests.applications.conftest import CLOSES, DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.reviews.conftest import AFTER_CLOSING, CRITERIA, ISSUER, SIGNATORY, deposit_application, sign_in_as
from tests.reviews.test_decisions import decide_all, deliberate


def page_of(client) -> str:
    response = client.get("/candidatures/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def words(page: str) -> str:
    """The page as read, tags left out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


@pytest.fixture
def call(publish_call, clock):
    clock("2025-04-15 10:00:00")
    return publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": CLOSES}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        selection_criteria=CRITERIA,
                        issuer={"body": ISSUER, "siren": "226200012", "signatory": SIGNATORY})


@pytest.fixture
def claire(make_user):
    return make_user("claire@asso-logement.fr", "Claire Martin")


def draft(call, organisation, person):
    application, _ = drafts.start(call.windows[0], organisation, person, time.now())
    db.session.commit()
    return application


def test_a_draft_shows_its_countdown_and_what_is_missing_linked_to_where_it_is_fixed(
        client, call, claire, make_organisation, clock):
    organisation = make_organisation(claire, "Association Logement Solidaire")
    application = draft(call, organisation, claire)
    clock("2025-05-06 18:00:00")  # Tuesday: the deadline is Friday 9 May, 23:59 Paris time
    sign_in_as(client, claire)
    page = page_of(client)
    assert "Clôture dans 3 jours — le 9 mai 2025 à 23 h 59" in page
    assert f'<time datetime="{call.windows[0].closes_at.isoformat()}"' in page
    assert re.search(r"\d+ points à compléter avant de déposer", page)
    assert "2 pièces manquantes : Statuts de l'association, Demande de subvention (Cerfa n°12156)" in words(page)
    assert f'href="/candidatures/{application.id}/formulaire#q-objectifs"' in page
    assert f'href="/candidatures/{application.id}/pieces#doc-statuts"' in page

    clock("2025-05-09 08:00:00")
    assert "Clôture aujourd'hui à 23 h 59" in page_of(client)
    clock("2025-05-08 08:00:00")
    assert "Clôture demain à 23 h 59" in page_of(client)
    clock("2025-05-12 08:00:00")
    assert "Clos depuis le 9 mai 2025 à 23 h 59" in page_of(client)


def test_changes_not_deposited_and_pieces_requested_are_shown(client, call, claire, make_organisation, make_user,
                                                             clock):
    organisation = make_organisation(claire, "Association Logement Solidaire")
    application = deposit_application(call, organisation, claire)
    application.has_pending_changes = True
    db.session.commit()
    sign_in_as(client, claire)
    page = page_of(client)
    assert "Modifications non déposées" in page and "points à compléter" not in page
    assert "Clôture dans" in page

    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    clock(AFTER_CLOSING)
    pieces.request_pieces(application, ["statuts"], "Les statuts transmis ne sont pas signés.",
                          dt.date(2025, 5, 20), manager, time.now())
    db.session.commit()
    page = page_of(client)
    assert "Pièces demandées : Les statuts transmis ne sont pas signés." in words(page)
    assert "avant le 20 mai 2025" in words(page)
    assert f'href="/candidatures/{application.id}/pieces#demande"' in page


def test_what_needs_her_comes_first_then_deposited_then_decided_and_only_published_decisions_show(
        client, call, claire, make_organisation, make_user, publish_call, clock):
    from tests.reviews.conftest import Selection

    organisations = [make_organisation(claire, f"Association {n}", rna=f"W62100000{n}") for n in (1, 2, 3)]
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    decided = deposit_application(call, organisations[0], claire)
    later = publish_call("autre-appel", title="Appel pour les jardins partagés",
                         windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-06-30"}],
                         required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    deposited = deposit_application(later, organisations[1], claire)
    waiting = draft(later, organisations[2], claire)
    clock(AFTER_CLOSING)
    selection = Selection(call=call, window=call.windows[0], manager=manager, reviewers=[],
                          organisations=[organisations[0]], applicants=[claire], applications=[decided])
    round_ = deliberate(selection)
    decide_all(selection)
    sign_in_as(client, claire)
    page = page_of(client)
    assert "Retenu" not in page  # decided, not yet published

    decisions.publish(round_, manager, time.now())
    db.session.commit()
    page = page_of(client)
    assert "Décision : Retenu — 12 000,50 €" in words(page)
    assert f'href="/candidatures/{decided.id}/decision"' in page
    positions = [page.index(f"/candidatures/{application.id}/") for application in (waiting, deposited, decided)]
    assert positions == sorted(positions), "needs action, then deposited, then decided"


def test_the_list_reads_the_same_number_of_statements_at_two_and_six_applications(
        client, call, claire, make_organisation, count_queries):
    def add(numbers):
        for number in numbers:
            organisation = make_organisation(claire, f"Association {number}", rna=f"W6210{number:05d}")
            if number % 2:
                deposit_application(call, organisation, claire)
            else:
                draft(call, organisation, claire)

    def statements():
        with count_queries() as sent:
            assert client.get("/candidatures/").status_code == 200
        return sent

    sign_in_as(client, claire)
    add(range(2))
    two = statements()
    add(range(2, 6))
    six = statements()
    assert page_of(client).count("<li class=\"application") == 6
    assert two.count == six.count, "\n".join(" ".join(s.split())[:160] for s in six)


def test_unread_messages_of_the_service_are_counted_and_linked_to_the_thread(client, call, claire, make_organisation,
                                                                             make_user, clock):
    from portal.applications import messages
    from portal.applications.states import MessageSide

    organisation = make_organisation(claire, "Association Logement Solidaire")
    application = deposit_application(call, organisation, claire)
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    for body in ("Votre budget est-il à jour ?", "Merci de préciser le nombre de ménages."):
        messages.send(application, body, [], manager, MessageSide.SERVICE, time.now())
    db.session.commit()
    sign_in_as(client, claire)
    page = page_of(client)
    assert "2 nouveaux messages" in words(page)
    assert "Vous avez 2 nouveaux messages du service instructeur." in words(page)  # counted at the top of her home
    assert f'href="/candidatures/{application.id}/messages"' in page


def test_a_withdrawn_application_and_a_draft_past_its_deadline_are_listed_last(client, call, claire,
                                                                               make_organisation, publish_call,
                                                                               clock):
    from portal.applications import submission

    first, second, third = (make_organisation(claire, f"Association {n}", rna=f"W62100000{n}") for n in (1, 2, 3))
    withdrawn = deposit_application(call, first, claire)
    submission.withdraw(withdrawn, "Projet abandonné", claire, time.now())
    lapsed = draft(call, second, claire)
    later = publish_call("autre-appel", title="Appel pour les jardins partagés",
                         windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-06-30"}],
                         required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS)
    waiting = draft(later, third, claire)
    db.session.commit()
    clock(AFTER_CLOSING)
    sign_in_as(client, claire)
    page = page_of(client)
    done = page.split('id="groupe-done"', 1)[1]
    assert f"/candidatures/{withdrawn.id}/" in done and f"/candidatures/{lapsed.id}/" in done
    assert f"/candidatures/{waiting.id}/" not in done
    assert "Désistement enregistré le 15 avril 2025" in words(page)
    assert "points à compléter" in words(page.split('id="groupe-done"', 1)[0])  # the open draft's, not the lapsed
    assert words(done).count("points à compléter") == 0


def test_an_ineligible_application_reads_it_once_the_decisions_are_published(client, call, claire,
                                                                             make_organisation, make_user, clock):
    from tests.reviews.conftest import Selection
    from tests.reviews.test_decisions import REASON

    organisation = make_organisation(claire, "Association Logement Solidaire")
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    application = deposit_application(call, organisation, claire)
    clock(AFTER_CLOSING)
    selection = Selection(call=call, window=call.windows[0], manager=manager, reviewers=[],
                          organisations=[organisation], applicants=[claire], applications=[application])
    round_ = deliberate(selection, {0: REASON})
    sign_in_as(client, claire)
    assert "Irrecevable" not in words(page_of(client))
    decisions.publish(round_, manager, time.now())
    db.session.commit()
    page = page_of(client)
    assert "Décision : Irrecevable." in words(page)
    assert 'id="groupe-done"' in page
