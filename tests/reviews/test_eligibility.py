"""Eligibility (recevabilité): a checklist generated from the call — carrier type, agréments, required documents,
deposit on time —, pre-ticked from what the portal can tell; the manager records « recevable » or « irrecevable »
with a reason, audited, only while the round is screening, and never on an application she is in conflict with."""

import datetime as dt
import html

import pytest
from sqlalchemy import select

from portal.accounts.models import Agrement, Membership
from portal.core.audit import AuditEvent
from portal.core.errors import Refusal
from portal.core.time import now
from portal.extensions import db
from portal.reviews import eligibility, rounds
from portal.reviews.models import Assignment, Eligibility
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.conftest import post_form
from tests.reviews.conftest import AFTER_CLOSING, deposit_application, refresh, sign_in_as


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def screen_url(application) -> str:
    return f"/gestion/selection/candidatures/{application.id}/recevabilite"


def list_url(selection) -> str:
    return f"/gestion/selection/{selection.call.slug}/fenetres/{selection.window.key}/recevabilite"


def items_by_key(application) -> dict:
    return {item.key: item for item in eligibility.checklist(refresh(application))}


def verdict_of(application) -> Eligibility | None:
    db.session.expire_all()
    return db.session.scalar(select(Eligibility).where(Eligibility.application_id == application.id))


def start_review(selection) -> None:
    for application in selection.applications:
        if verdict_of(application) is None:
            eligibility.record(application, "eligible", {}, None, by=selection.manager, at=now())
    rounds.change_phase(rounds.round_of(selection.window, now()), "review", by=selection.manager, at=now())


def test_a_regular_application_meets_every_automatic_point(selection):
    items = items_by_key(selection.applications[0])
    assert list(items) == ["porteur", "piece-statuts", "piece-cerfa-12156", "delai"]  # « annexes » is optional
    assert all(item.automatic is True for item in items.values())
    assert "Association loi 1901" in items["porteur"].detail
    assert "« statuts.pdf »" in items["piece-statuts"].detail


def test_a_carrier_the_call_does_not_admit_gets_the_carrier_point_unticked(client, selection):
    selection.organisations[0].legal_form = "fondation"
    db.session.commit()
    item = items_by_key(selection.applications[0])["porteur"]
    assert item.automatic is False
    assert "« Fondation »" in item.detail and "Association loi 1901, Organisme agréé" in item.detail
    sign_in_as(client, selection.manager)
    page = text_of(client.get(screen_url(selection.applications[0])))
    assert 'id="coche-porteur" aria-describedby="coche-porteur-hint">' in page  # not pre-ticked
    assert 'id="coche-delai" aria-describedby="coche-delai-hint" checked>' in page
    assert "Vérification automatique : non conforme." in page


def test_a_required_document_missing_from_the_deposited_version_is_unticked(selection):
    version = refresh(selection.applications[1]).latest_version
    version.snapshot = {**version.snapshot, "files": [f for f in version.snapshot["files"] if f["slot"] != "statuts"]}
    version.files = [f for f in version.files if f.slot != "statuts"]
    db.session.commit()
    items = items_by_key(selection.applications[1])
    assert items["piece-statuts"].automatic is False
    assert items["piece-statuts"].detail == "Absent de la version 1 déposée."
    assert items["piece-cerfa-12156"].automatic is True


def test_a_first_deposit_after_the_deadline_is_unticked(selection):
    application = refresh(selection.applications[2])
    application.versions[0].submitted_at = application.window.closes_at + dt.timedelta(seconds=1)
    db.session.commit()
    assert items_by_key(application)["delai"].automatic is False


def test_agreements_are_left_to_the_manager_beside_the_organisations_own(client, publish_call, clock, make_user,
                                                                        make_organisation):
    clock("2025-04-15 10:00:00")
    call = publish_call("agrements", windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        carriers={"types": ["association"], "agreements": ["Intermédiation locative (IML)"]})
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion",
                        grants=[("manager", {"issuer": "Département du Pas-de-Calais"})])
    person = make_user("presidence@asso-iml.fr", "Présidente")
    organisation = make_organisation(person, "Association IML")
    db.session.add_all([
        Agrement(organisation_id=organisation.id, kind="Intermédiation locative", authority="Préfecture du 62",
                 issued_on=dt.date(2020, 4, 1), expires_on=dt.date(2025, 3, 31)),
        Agrement(organisation_id=organisation.id, kind="Ingénierie sociale", authority="Préfecture du 62",
                 issued_on=dt.date(2021, 1, 1), expires_on=None)])
    db.session.commit()
    application = deposit_application(call, organisation, person)
    clock(AFTER_CLOSING)
    item = items_by_key(application)["agrement-1"]
    assert item.label == "Agrément requis : Intermédiation locative (IML)"
    assert item.automatic is None
    assert "Intermédiation locative (Préfecture du 62) — expiré le 31 mars 2025 avant la clôture" in item.detail
    assert "Ingénierie sociale (Préfecture du 62) — valable à la clôture" in item.detail
    sign_in_as(client, manager)
    page = text_of(client.get(screen_url(application)))
    assert "Vérification automatique : à apprécier par vous." in page
    assert 'id="coche-agrement-1" aria-describedby="coche-agrement-1-hint">' in page  # not pre-ticked
    assert "<td>expiré</td>" in page and "<td>valable</td>" in page


def test_the_screening_page_shows_the_organisation_and_links_to_the_file(client, selection):
    sign_in_as(client, selection.manager)
    application = selection.applications[0]
    page = text_of(client.get(screen_url(application)))
    assert f"Recevabilité de {application.number} — Association Alpha" in page
    assert "W621000001" in page
    assert f'href="/gestion/candidatures/{application.id}"' in page
    assert "À examiner" in page


def test_ineligible_without_a_reason_is_refused(client, selection):
    application = selection.applications[0]
    with pytest.raises(Refusal, match="Indiquez le motif d'irrecevabilité"):
        eligibility.record(application, "ineligible", {}, "  ", by=selection.manager, at=now())
    sign_in_as(client, selection.manager)
    response = post_form(client, screen_url(application), {"verdict": "ineligible", "reason": ""})
    assert response.status_code == 400
    assert ('<a href="#reason">Motif : Indiquez le motif d\'irrecevabilité : il sera communiqué à '
            "l'organisation.</a>") in text_of(response)
    assert verdict_of(application) is None


def test_the_manager_records_eligible_then_ineligible_with_the_checklist_and_an_audit_entry(client, selection):
    application = selection.applications[0]
    sign_in_as(client, selection.manager)
    response = post_form(client, screen_url(application),
                         {"verdict": "eligible", "coche": ["porteur", "piece-statuts", "delai"]},
                         follow_redirects=True)
    assert f"{application.number} : recevable." in text_of(response)
    row = verdict_of(application)
    assert (row.verdict, row.reason, row.decided_by_id) == ("eligible", None, selection.manager.id)
    assert row.checklist == {"porteur": True, "piece-statuts": True, "piece-cerfa-12156": False, "delai": True}

    response = post_form(client, screen_url(application),
                         {"verdict": "ineligible", "reason": "Le Cerfa n'est pas signé.", "coche": ["porteur"]},
                         follow_redirects=True)
    page = text_of(response)
    assert "Irrecevable" in page and "Le Cerfa n'est pas signé." in page
    row = verdict_of(application)
    assert (row.verdict, row.reason) == ("ineligible", "Le Cerfa n'est pas signé.")
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.eligibility")
                                     .order_by(AuditEvent.id)))
    assert [(e.details["before"], e.details["after"]) for e in events] == [(None, "eligible"),
                                                                           ("eligible", "ineligible")]
    assert events[1].target == f"application:{application.id}"
    assert events[1].details["reason"] == "Le Cerfa n'est pas signé."
    assert events[1].actor_email == selection.manager.email


def test_the_list_shows_each_verdict_in_words_and_the_counts(client, selection):
    eligibility.record(selection.applications[0], "eligible", {}, None, by=selection.manager, at=now())
    eligibility.record(selection.applications[1], "ineligible", {}, "Hors territoire", by=selection.manager, at=now())
    sign_in_as(client, selection.manager)
    page = text_of(client.get(list_url(selection)))
    assert "1 recevable · 1 irrecevable · 2 à examiner" in page.replace("<strong>", "").replace("</strong>", "")
    assert ">Recevable</span>" in page and ">Irrecevable</span>" in page and page.count(">À examiner</span>") == 2
    assert "Hors territoire" in page
    for application in selection.applications:
        assert screen_url(application) in page


def test_an_ineligible_application_leaves_the_committees_lists(selection):
    application = selection.applications[0]
    db.session.add(Assignment(application_id=application.id, reviewer_id=selection.reviewers[0].id, method="manual",
                              assigned_at=now()))
    db.session.commit()
    eligibility.record(application, "ineligible", {}, "Hors champ", by=selection.manager, at=now())
    assert db.session.scalar(select(Assignment).where(Assignment.application_id == application.id)) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.unassign")) is not None


def test_screening_is_refused_once_review_has_started(client, selection):
    application = selection.applications[0]
    start_review(selection)
    with pytest.raises(Refusal, match="La recevabilité ne se modifie plus une fois l'évaluation commencée."):
        eligibility.record(application, "ineligible", {}, "Trop tard", by=selection.manager, at=now())
    sign_in_as(client, selection.manager)
    page = text_of(client.get(screen_url(application)))
    assert "la recevabilité ne se modifie plus une fois l'évaluation commencée" in page
    assert "Enregistrer la décision de recevabilité" not in page
    response = post_form(client, screen_url(application), {"verdict": "ineligible", "reason": "Trop tard"},
                         form_page="/alertes/nouvelle", follow_redirects=True)
    assert "La recevabilité ne se modifie plus une fois l'évaluation commencée." in text_of(response)
    assert verdict_of(application).verdict == "eligible"


def test_a_manager_in_conflict_sees_nothing_of_the_application(client, selection):
    application = selection.applications[0]
    db.session.add(Membership(organisation_id=selection.organisations[0].id, user_id=selection.manager.id,
                              role="member", joined_at=now()))
    db.session.commit()
    sign_in_as(client, selection.manager)
    assert client.get(screen_url(application)).status_code == 404
    response = post_form(client, screen_url(application), {"verdict": "eligible"}, form_page="/alertes/nouvelle")
    assert response.status_code == 404
    page = text_of(client.get(list_url(selection)))
    assert "Association Alpha" not in page and application.number not in page
    assert "1 autre candidature, avec laquelle vous êtes en conflit d'intérêts, attend l'examen" in page
    assert verdict_of(application) is None


def test_a_reviewer_cannot_screen(client, selection):
    sign_in_as(client, selection.reviewers[0])
    response = post_form(client, screen_url(selection.applications[0]), {"verdict": "eligible"},
                         form_page="/alertes/nouvelle")
    assert response.status_code == 404
    assert verdict_of(selection.applications[0]) is None
