"""Decisions: recorded during deliberation only, with an amount in euros and cents that never exceeds the request
unless the manager confirms it, a motivation for every refusal; published all at once, which e-mails every member
of every applying organisation (ineligible ones with their reason) and freezes everything; the applicant reads
her decision and letter only from then on."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.accounts.models import Membership
from portal.core import mail, time
from portal.core.audit import AuditEvent
from portal.core.errors import Refusal
from portal.core.mail import OutboxMessage
from portal.extensions import db
from portal.reviews import decisions, rounds, scoring
from portal.reviews.models import Assignment, Decision, Eligibility, Review, ReviewRound, Score
from tests.conftest import post_form
from tests.reviews.conftest import refresh, sign_in_as

REASON = "Le porteur n'est pas une association ni un organisme agréé."


# ---- helpers shared with test_exports.py and test_scdl.py ------------------------------------------------

def screen(selection, ineligible: dict[int, str] | None = None) -> None:
    """Record a verdict for every application (index → reason for the ineligible ones)."""
    ineligible = ineligible or {}
    for index, application in enumerate(selection.applications):
        db.session.add(Eligibility(application_id=application.id, checklist={},
                                   verdict="ineligible" if index in ineligible else "eligible",
                                   reason=ineligible.get(index), decided_by_id=selection.manager.id,
                                   decided_at=time.now()))
    db.session.commit()


def deliberate(selection, ineligible: dict[int, str] | None = None) -> ReviewRound:
    """Screen everything, then move the round through review to deliberation."""
    screen(selection, ineligible)
    round_ = rounds.round_of(selection.window, time.now())
    rounds.change_phase(round_, "review", by=selection.manager, at=time.now())
    rounds.change_phase(round_, "deliberation", by=selection.manager, at=time.now())
    db.session.commit()  # the phase changes flush; the test stands for their requests' commit
    return round_


def add_review(selection, application, reviewer, values: dict, comments: dict | None = None,
               opinion: str = "favourable", comment: str = "") -> Review:
    """An assigned reviewer's submitted review, written straight into the tables."""
    comments = comments or {}
    moment = time.now()
    db.session.add(Assignment(application_id=application.id, reviewer_id=reviewer.id, method="manual",
                              assigned_by_id=selection.manager.id, assigned_at=moment,
                              no_conflict_declared_at=moment))
    review = Review(application_id=application.id, reviewer_id=reviewer.id, status="submitted", opinion=opinion,
                    comment=comment, total=scoring.total(selection.call.spec.selection_criteria, values),
                    created_at=moment, updated_at=moment, submitted_at=moment)
    review.scores = [Score(criterion=key, value=value, comment=comments.get(key)) for key, value in values.items()]
    db.session.add(review)
    db.session.commit()
    return review


def decide_all(selection, skip: tuple[int, ...] = ()) -> None:
    """Retenu for the first eligible, refusals for the others (ineligible ones are skipped by record's rule)."""
    for index, application in enumerate(selection.applications):
        eligibility = db.session.scalar(select(Eligibility).where(Eligibility.application_id == application.id))
        if index in skip or not eligibility.is_eligible:
            continue
        if index == 0:
            decisions.record(application, "selected", "12 000,50", None, "", True, selection.manager, time.now())
        else:
            decisions.record(application, "rejected", None, None, "Projet moins abouti que les autres.", False,
                             selection.manager, time.now())
    db.session.commit()


def decision_mails() -> list[OutboxMessage]:
    """Unsent decision messages (the deposits' receipts wait in the same outbox)."""
    return [m for m in mail.pending() if m.subject.startswith("Décision")]


def text_of(pdf: bytes) -> str:
    """The PDF's text with every kind of space (Babel's narrow no-break ones too) made a plain space."""
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def url_of(application) -> str:
    return f"/gestion/selection/candidatures/{application.id}"


# ---- recording ---------------------------------------------------------------------------------------------

def test_a_decision_is_refused_outside_deliberation(selection):
    screen(selection)
    with pytest.raises(Refusal, match="phase de délibération"):
        decisions.record(selection.applications[0], "selected", "5 000", None, "", False, selection.manager,
                         time.now())
    assert db.session.scalar(select(Decision)) is None


def test_an_amount_above_the_request_is_refused_unless_confirmed(selection):
    deliberate(selection)
    application = selection.applications[0]  # asked for 12 000 €
    with pytest.raises(Refusal) as refused:
        decisions.record(application, "selected", "15 000", None, "", False, selection.manager, time.now())
    assert plain(refused.value.message) == ("Le montant attribué (15 000 €) dépasse le montant demandé (12 000 €) : "
                                            "cochez la case de confirmation pour l'enregistrer.")
    assert refused.value.field == "confirm_above_request"
    decision = decisions.record(application, "selected", "15 000", None, "", True, selection.manager, time.now())
    assert refresh(decision).amount == Decimal("15000.00") and decision.above_request_confirmed


def test_a_refusal_without_motivation_is_refused(selection):
    deliberate(selection)
    with pytest.raises(Refusal, match="La motivation est obligatoire pour une candidature non retenue"):
        decisions.record(selection.applications[1], "rejected", None, None, "  ", False, selection.manager,
                         time.now())
    with pytest.raises(Refusal, match="Le montant attribué est obligatoire pour une candidature retenue"):
        decisions.record(selection.applications[1], "selected", "", None, "", False, selection.manager, time.now())


def test_an_ineligible_application_gets_no_committee_decision(selection):
    deliberate(selection, {3: REASON})
    with pytest.raises(Refusal, match="n'est pas recevable"):
        decisions.record(selection.applications[3], "selected", "1 000", None, "", False, selection.manager,
                         time.now())


def test_the_manager_records_a_french_amount_exactly_and_the_audit_keeps_before_and_after(client, selection):
    deliberate(selection)
    application = selection.applications[0]
    sign_in_as(client, selection.manager)
    response = post_form(client, f"{url_of(application)}/decision",
                         {"outcome": "selected", "amount": "12 000,50", "duration_years": "3", "motivation": ""},
                         form_page=url_of(application))
    assert response.status_code == 422  # 12 000,50 € is above the 12 000 € asked for
    assert "Le montant attribué (12 000,50 €) dépasse le montant demandé (12 000 €)" in plain(
        response.get_data(as_text=True)).replace("\u202f", " ")
    response = post_form(client, f"{url_of(application)}/decision",
                         {"outcome": "selected", "amount": "12 000,50", "duration_years": "3", "motivation": "",
                          "confirm_above_request": "y"}, form_page=url_of(application))
    assert response.status_code == 302
    decision = db.session.scalar(select(Decision).where(Decision.application_id == application.id))
    assert decision.amount == Decimal("12000.50") and decision.duration_years == 3 and decision.published_at is None
    post_form(client, f"{url_of(application)}/decision",
              {"outcome": "waiting_list", "amount": "", "motivation": "En attente de crédits."},
              form_page=url_of(application))
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.decision")
                                     .order_by(AuditEvent.id)))
    assert [e.details["after"]["outcome"] for e in events] == ["selected", "waiting_list"]
    assert events[1].details["before"]["amount"] == "12000.50" and events[1].details["after"]["amount"] is None
    page = client.get(url_of(application)).get_data(as_text=True)
    assert "Liste complémentaire" in page and "non publiée" in page


def test_a_conflicted_manager_sees_nothing_of_the_application(client, selection, make_user):
    deliberate(selection)
    colleague = make_user("collegue@pasdecalais.fr", "Camille Collègue",
                          grants=[("manager", {"issuer": selection.call.spec.issuer.body})])
    db.session.add(Membership(organisation_id=selection.organisations[0].id, user_id=colleague.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, colleague)
    assert client.get(url_of(selection.applications[0])).status_code == 404
    assert client.get(f"{url_of(selection.applications[0])}/lettre.pdf").status_code == 404
    assert client.get(url_of(selection.applications[1])).status_code == 200


# ---- publication -------------------------------------------------------------------------------------------

def test_publication_is_refused_while_a_decision_is_missing(selection):
    round_ = deliberate(selection)
    decide_all(selection, skip=(2,))
    with pytest.raises(Refusal, match=r"1 candidature\(s\) n'ont pas encore de décision"):
        decisions.publish(round_, selection.manager, time.now())
    assert refresh(round_).phase == "deliberation" and not decision_mails()


def test_the_preview_shows_every_letter_and_message_before_anything_is_sent(client, selection):
    deliberate(selection, {3: REASON})
    decide_all(selection)
    sign_in_as(client, selection.manager)
    page = plain(client.get(f"/gestion/selection/{selection.call.slug}/fenetres/unique/publication")
                 .get_data(as_text=True))
    for application in selection.applications:
        assert f"/gestion/selection/candidatures/{application.id}/lettre.pdf" in page
    assert "presidence@asso1.fr" in page and "Irrecevable" in page and REASON.replace("'", "&#39;") in page
    assert "J&#39;ai relu les lettres et les messages" in page
    assert not decision_mails()
    preview = client.get(f"{url_of(selection.applications[0])}/lettre.pdf")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    text = text_of(preview.get_data())
    assert "PROJET" in text and "Retenu" in text and "12 000,50 €" in text


def test_publishing_mails_every_member_sets_the_phase_and_freezes_every_decision(client, selection, make_user):
    round_ = deliberate(selection, {3: REASON})
    decide_all(selection)
    second = make_user("tresorier@asso1.fr", "Trésorier Alpha")
    db.session.add(Membership(organisation_id=selection.organisations[0].id, user_id=second.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/{selection.call.slug}/fenetres/unique"
    refused = post_form(client, f"{url}/publier", {}, form_page=f"{url}/publication", follow_redirects=True)
    assert "Cochez la case" in refused.get_data(as_text=True) and refresh(round_).phase == "deliberation"

    response = post_form(client, f"{url}/publier", {"confirm": "y"}, form_page=f"{url}/publication")
    assert response.status_code == 302
    messages = {m.recipient: m for m in decision_mails()}
    assert set(messages) == {"presidence@asso1.fr", "tresorier@asso1.fr", "presidence@asso2.fr",
                             "presidence@asso3.fr", "presidence@asso4.fr"}
    assert len(decision_mails()) == 5
    assert messages["presidence@asso2.fr"].subject == (f"Décision — candidature {selection.applications[1].number} — "
                                                        f"{selection.call.title}")
    assert "Décision : Retenu" in messages["tresorier@asso1.fr"].body
    assert "12 000,50 €" in plain(messages["tresorier@asso1.fr"].body)
    assert "Décision : Non retenu" in messages["presidence@asso2.fr"].body
    assert "Décision : Irrecevable" in messages["presidence@asso4.fr"].body
    assert REASON in messages["presidence@asso4.fr"].body
    assert re.search(rf"https?://\S+/candidatures/{selection.applications[0].id}/decision\s",
                     messages["presidence@asso1.fr"].body)

    round_ = refresh(round_)
    assert round_.phase == "decided" and round_.decisions_published_at is not None
    assert all(d.published_at is not None for d in db.session.scalars(select(Decision)))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.publish")).details["messages"] == 5
    with pytest.raises(Refusal, match="ne peuvent plus être modifiées"):
        decisions.record(selection.applications[0], "rejected", None, None, "Revirement.", False,
                         selection.manager, time.now())
    with pytest.raises(Refusal):
        decisions.publish(round_, selection.manager, time.now())
    with pytest.raises(Refusal):
        rounds.change_phase(round_, "review", by=selection.manager, at=time.now())


def test_the_applicant_reads_her_decision_and_letter_only_once_published(client, selection):
    round_ = deliberate(selection)
    decide_all(selection)
    application = selection.applications[0]
    sign_in_as(client, selection.applicants[0])
    assert client.get(f"/candidatures/{application.id}/decision").status_code == 404
    assert client.get(f"/candidatures/{application.id}/decision.pdf").status_code == 404
    decisions.publish(round_, selection.manager, time.now())
    db.session.commit()

    page = plain(client.get(f"/candidatures/{application.id}/decision").get_data(as_text=True))
    assert "Retenu" in page and "12 000,50 €" in page
    response = client.get(f"/candidatures/{application.id}/decision.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = text_of(response.get_data())
    assert "Retenu" in text and "12 000,50 €" in text and application.number in text and "PROJET" not in text
    assert "Association Alpha" in text and selection.call.title in text
    # Another association's member learns nothing of it.
    assert client.get(f"/candidatures/{selection.applications[1].id}/decision").status_code == 404


def test_an_ineligible_application_letter_gives_the_reason(client, selection):
    round_ = deliberate(selection, {3: REASON})
    decide_all(selection)
    decisions.publish(round_, selection.manager, time.now())
    db.session.commit()
    sign_in_as(client, selection.applicants[3])
    application = selection.applications[3]
    assert REASON.replace("'", "&#39;") in client.get(f"/candidatures/{application.id}/decision").get_data(
        as_text=True)
    text = text_of(client.get(f"/candidatures/{application.id}/decision.pdf").get_data())
    assert "irrecevable" in text and REASON in text


def test_recording_and_publishing_wait_for_the_callers_single_commit(selection):
    """The use cases flush and audit; the request commits once, so a request that fails afterwards leaves nothing."""
    round_ = deliberate(selection)
    decisions.record(selection.applications[0], "selected", "5 000", None, "", False, selection.manager, time.now())
    db.session.rollback()
    assert db.session.scalar(select(Decision)) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.decision")) is None
    decide_all(selection)
    decisions.publish(round_, selection.manager, time.now())
    db.session.rollback()
    assert refresh(round_).phase == "deliberation" and not decision_mails()
