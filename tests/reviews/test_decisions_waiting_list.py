"""After publication the liste complémentaire is used: the manager records a laureate's withdrawal (reason and
date), then retains an application of the list — the first in ranking order unless she confirms another — with an
amount checked against the envelope. Both organisations get a letter and an e-mail; everything is audited; the
decision's history stays visible; nobody else may do it."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.accounts.models import Membership
from portal.core import mail, time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import decisions
from portal.reviews.models import Decision
from tests.conftest import post_form
from tests.reviews.conftest import SIGNATORY, refresh, sign_in_as
from tests.reviews.test_decisions import add_review, deliberate, text_of, url_of
from tests.reviews.test_envelope import read
from tests.reviews.test_letters import republish

WITHDRAWAL = "L'association renonce au projet faute de locaux."


def published(client, selection, publish_call, clock):
    """Alpha retenue (10 000 €) and Delta (8 000 €), Bêta then Gamma on the list (by their means), envelope of
    15 000 €; published through the page."""
    republish(selection, publish_call, clock, {"signatory": SIGNATORY}, funding={"envelope": "15000"})
    round_ = deliberate(selection)
    alpha, beta, gamma, delta = selection.applications
    reviewer = selection.reviewers[0]
    for application, marks in ((alpha, 5), (beta, 4), (gamma, 2), (delta, 3)):
        add_review(selection, application, reviewer, {"qualite": marks, "partenariat": marks})
    manager, now = selection.manager, time.now()
    decisions.record(alpha, "selected", "10 000", None, "", False, manager, now)
    decisions.record(beta, "waiting_list", "6 000", None, "", False, manager, now)
    decisions.record(gamma, "waiting_list", None, None, "", False, manager, now)
    decisions.record(delta, "selected", "8 000", None, "", False, manager, now)
    db.session.commit()
    sign_in_as(client, manager)
    url = f"/gestion/selection/{selection.call.slug}/fenetres/unique"
    response = post_form(client, f"{url}/publier", {"confirm": "y", "confirm_over_envelope": "y"},
                         form_page=f"{url}/publication")
    assert response.status_code == 302 and refresh(round_).phase == "decided"
    mail.pending()  # the publication's messages stay; the tests look at the ones that follow
    return url


def change_mails(subject: str) -> dict:
    return {m.recipient: m for m in mail.pending(500) if m.subject.startswith(subject)}


def test_a_withdrawal_then_a_promotion_from_the_list_with_letters_audit_and_history(
        client, selection, publish_call, clock):
    url = published(client, selection, publish_call, clock)
    alpha, beta, gamma, _ = selection.applications

    refused = post_form(client, f"{url_of(alpha)}/desistement", {"reason": " ", "effective_on": "2025-05-12"},
                        form_page=url_of(alpha))
    assert refused.status_code == 422
    assert "Le motif du désistement est obligatoire" in read(refused)
    assert 'aria-describedby="reason-hint reason-error"' in refused.get_data(as_text=True)

    response = post_form(client, f"{url_of(alpha)}/desistement",
                         {"reason": WITHDRAWAL, "effective_on": "2025-05-12"}, form_page=url_of(alpha))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{url}/liste-complementaire")
    assert refresh_decision(alpha).outcome == "withdrawn"
    message = change_mails("Désistement pris en compte")["presidence@asso1.fr"]
    assert "Décision : Désistement (le 12 mai 2025)" in message.body and WITHDRAWAL in message.body
    assert "La lettre indique les voies et délais de recours" in message.body
    letter_link = next(w for w in message.body.split() if "/decision/" in w and w.endswith(".pdf"))
    sign_in_as(client, selection.applicants[0])
    text = text_of(client.get(letter_link[letter_link.index("/candidatures"):]).get_data())
    assert "Nous prenons acte de votre désistement en date du 12 mai 2025" in text
    assert "10 000 €" in text and WITHDRAWAL in text and "Télérecours" in text and SIGNATORY["name"] in text
    # The first letter stays what was notified then.
    first = text_of(client.get(f"/candidatures/{alpha.id}/decision.pdf").get_data())
    assert "Retenu" in first and "Une subvention de 10 000 € vous est attribuée" in first
    page = read(client.get(f"/candidatures/{alpha.id}/decision"))
    assert "Décision actuelle : Désistement" in page and "publiée — Retenu (10 000 €)" in page

    sign_in_as(client, selection.manager)
    page = read(client.get(f"{url}/liste-complementaire"))
    assert page.index(beta.number) < page.index(gamma.number)
    assert "Enveloppe de l'appel : 8 000 € attribués sur 15 000 €, reste 7 000 €." in page
    assert re.search(rf'<input checked[^>]*value="{beta.id}"', client.get(f"{url}/liste-complementaire").get_data(
        as_text=True))

    out_of_order = post_form(client, f"{url}/liste-complementaire", {"application": str(gamma.id), "amount": "5 000"},
                             form_page=f"{url}/liste-complementaire")
    assert out_of_order.status_code == 422
    assert (f"Sur la liste complémentaire, la première, dans l'ordre du classement, est {beta.number} "
            f"(Association Bêta) : cochez la case de confirmation") in read(out_of_order)
    no_amount = post_form(client, f"{url}/liste-complementaire", {"application": str(beta.id), "amount": ""},
                          form_page=f"{url}/liste-complementaire")
    assert "Le montant attribué est obligatoire pour une candidature retenue" in read(no_amount)
    over = post_form(client, f"{url}/liste-complementaire", {"application": str(beta.id), "amount": "9 000"},
                     form_page=f"{url}/liste-complementaire")
    assert over.status_code == 422
    assert ("Enveloppe de l'appel : 17 000 € attribués pour 15 000 €, soit 2 000 € de dépassement. Cochez la case "
            "de confirmation pour retenir la candidature malgré le dépassement.") in read(over)
    assert refresh_decision(beta).outcome == "waiting_list"

    promoted = post_form(client, f"{url}/liste-complementaire",
                         {"application": str(beta.id), "amount": "7 000"}, form_page=f"{url}/liste-complementaire")
    assert promoted.status_code == 302
    decision = refresh_decision(beta)
    assert decision.outcome == "selected" and str(decision.amount) == "7000.00"
    message = change_mails("Candidature retenue")["presidence@asso2.fr"]
    assert "Montant attribué : 7 000 €" in message.body.replace("\u202f", " ")
    letter_link = next(w for w in message.body.split() if "/decision/" in w and w.endswith(".pdf"))
    sign_in_as(client, selection.applicants[1])
    text = text_of(client.get(letter_link[letter_link.index("/candidatures"):]).get_data())
    assert "avait été inscrite sur la liste complémentaire" in text and "elle est désormais retenue" in text
    assert "Une subvention de 7 000 € vous est attribuée" in text and "Voies et délais de recours" in text
    assert "Décision actuelle : Retenu — 7 000 €" in read(client.get(f"/candidatures/{beta.id}/decision"))

    sign_in_as(client, selection.manager)
    history = read(client.get(url_of(beta)))
    assert "Historique de la décision" in history and "publiée — Liste complémentaire (6 000 €)" in history
    assert "retenue depuis la liste complémentaire, 7 000 €" in history
    assert (f"désistement enregistré (l'organisation s'est désistée le 12 mai 2025 ; motif : {WITHDRAWAL})"
            in read(client.get(url_of(alpha))))
    assert "Désistement" in read(client.get(f"{url}/classement"))

    events = {e.action: e for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["review.withdrawal", "review.promotion"])))}
    assert events["review.withdrawal"].details["before"] == {"outcome": "selected", "amount": "10000.00"}
    assert events["review.withdrawal"].details["reason"] == WITHDRAWAL
    assert events["review.promotion"].details["after"] == {"outcome": "selected", "amount": "7000.00"}
    assert events["review.promotion"].actor_email == selection.manager.email


def test_nothing_to_promote_when_the_list_is_empty(client, selection, publish_call, clock):
    url = published(client, selection, publish_call, clock)
    _, beta, gamma, _ = selection.applications
    for application in (beta, gamma):
        response = post_form(client, f"{url}/liste-complementaire",
                             {"application": str(application.id), "amount": "1 000", "confirm_over_envelope": "y"},
                             form_page=f"{url}/liste-complementaire")
        assert response.status_code == 302
    page = read(client.get(f"{url}/liste-complementaire"))
    assert "La liste complémentaire est vide : aucune candidature ne peut être retenue." in page
    again = post_form(client, f"{url}/liste-complementaire", {"application": str(gamma.id), "amount": "1 000"},
                      form_page=f"{url}/liste-complementaire")
    assert again.status_code == 422
    assert "La liste complémentaire est vide" in read(again)


def test_a_withdrawal_before_publication_or_by_anyone_else_is_refused(client, selection, publish_call, clock,
                                                                     make_user):
    url = published(client, selection, publish_call, clock)
    alpha, beta, _, _ = selection.applications
    reviewer = selection.reviewers[0]
    sign_in_as(client, reviewer)
    assert post_form(client, f"{url_of(alpha)}/desistement", {"reason": WITHDRAWAL, "effective_on": "2025-05-12"},
                     form_page="/evaluation/").status_code == 404
    assert client.get(f"{url}/liste-complementaire").status_code == 404
    # A manager of the call who is a member of Alpha and of Bêta gets nothing of them.
    colleague = make_user("collegue@pasdecalais.fr", "Camille Collègue",
                          grants=[("manager", {"issuer": selection.call.spec.issuer.body})])
    for organisation in selection.organisations[:2]:
        db.session.add(Membership(organisation_id=organisation.id, user_id=colleague.id, role="member",
                                  joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, colleague)
    assert client.get(url_of(alpha)).status_code == 404
    token_page = f"{url}/liste-complementaire"
    assert post_form(client, f"{url_of(alpha)}/desistement", {"reason": WITHDRAWAL, "effective_on": "2025-05-12"},
                     form_page=token_page).status_code == 404
    page = read(client.get(token_page))
    assert beta.number not in page and "1 candidature de la liste ne vous est pas montrée" in page
    assert post_form(client, token_page, {"application": str(beta.id), "amount": "1 000"},
                     form_page=token_page).status_code == 404
    assert refresh_decision(alpha).outcome == "selected" and refresh_decision(beta).outcome == "waiting_list"


def refresh_decision(application) -> Decision:
    db.session.expire_all()
    return db.session.scalar(select(Decision).where(Decision.application_id == application.id))
