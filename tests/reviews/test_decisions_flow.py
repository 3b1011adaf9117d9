"""The decision page: the amount and the motivation say for which decision each is required, and so do their
errors, tied to the field; the page gives the application's mean and rank, and leads to the previous and next
recevable application in ranking order (« Enregistrer et passer à la suivante »), skipping those the manager is
in conflict with."""

from __future__ import annotations

import re

from portal.accounts.models import Membership
from portal.core import time
from portal.extensions import db
from tests.conftest import post_form
from tests.reviews.conftest import sign_in_as
from tests.reviews.test_decisions import REASON, add_review, deliberate, url_of
from tests.reviews.test_envelope import read


def ranked(selection):
    """Alpha, Bêta, Gamma in this order of their means; Delta irrecevable."""
    deliberate(selection, {3: REASON})
    alpha, beta, gamma, _ = selection.applications
    for application, marks in ((alpha, 5), (beta, 4), (gamma, 2)):
        add_review(selection, application, selection.reviewers[0], {"qualite": marks, "partenariat": marks})
    return alpha, beta, gamma


def test_the_form_says_when_the_amount_and_the_motivation_are_required_and_its_errors_too(client, selection):
    deliberate(selection)
    application = selection.applications[0]
    sign_in_as(client, selection.manager)
    raw = client.get(url_of(application)).get_data(as_text=True)
    page = read(client.get(url_of(application)))
    assert "Montant attribué (en euros) — obligatoire si la candidature est retenue" in page
    assert "Motivation — obligatoire si la candidature n'est pas retenue" in page
    assert "Montant attribué (en euros) (optionnel)" not in page and "Motivation (optionnel)" not in page
    assert not re.search(r'<input[^>]*name="amount"[^>]*required', raw)

    refused = post_form(client, f"{url_of(application)}/decision", {"outcome": "selected", "amount": ""},
                        form_page=url_of(application))
    assert refused.status_code == 422
    raw = refused.get_data(as_text=True)
    assert re.search(r'<input[^>]*aria-describedby="amount-hint amount-error"[^>]*name="amount"', raw)
    assert ('<p class="error-message" id="amount-error"><span class="visually-hidden">Erreur : </span>Le montant '
            'attribué est obligatoire pour une candidature retenue') in raw
    assert '<a href="#amount">Montant attribué (en euros) : Le montant attribué est obligatoire' in raw

    refused = post_form(client, f"{url_of(application)}/decision", {"outcome": "rejected", "motivation": ""},
                        form_page=url_of(application))
    raw = refused.get_data(as_text=True)
    assert re.search(r'<textarea[^>]*aria-describedby="motivation-hint motivation-error"', raw)
    assert ("La motivation est obligatoire pour une candidature non retenue : elle figure dans la lettre envoyée "
            "au candidat.") in read(refused)


def test_the_page_gives_mean_and_rank_and_moves_to_the_next_in_ranking_order(client, selection):
    alpha, beta, gamma = ranked(selection)
    sign_in_as(client, selection.manager)
    page = read(client.get(url_of(beta)))
    assert "Moyenne : 16 / 20 · rang 2 sur 3 au classement brut · candidature 2 sur 3 recevables" in page
    raw = client.get(url_of(beta)).get_data(as_text=True)
    assert f'href="{url_of(alpha)}#decision">← Précédente : {alpha.number} — Association Alpha' in raw
    assert f'href="{url_of(gamma)}#decision">Suivante : {gamma.number} — Association Gamma →' in raw

    saved = post_form(client, f"{url_of(alpha)}/decision",
                      {"outcome": "selected", "amount": "10 000", "then": "next"}, form_page=url_of(alpha))
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{url_of(beta)}#decision")
    assert "Décision enregistrée" in read(client.get(url_of(beta)))
    last = client.get(url_of(gamma)).get_data(as_text=True)
    assert "Enregistrer et passer à la suivante" not in last and "Suivante :" not in last
    assert "Enregistrer et passer à la suivante" in client.get(url_of(alpha)).get_data(as_text=True)


def test_a_conflicted_manager_moves_past_the_application_she_is_in_conflict_with(client, selection, make_user):
    alpha, beta, gamma = ranked(selection)
    colleague = make_user("collegue@pasdecalais.fr", "Camille Collègue",
                          grants=[("manager", {"issuer": selection.call.spec.issuer.body})])
    db.session.add(Membership(organisation_id=selection.organisations[1].id, user_id=colleague.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, colleague)
    raw = client.get(url_of(alpha)).get_data(as_text=True)
    assert f'href="{url_of(gamma)}#decision">Suivante : {gamma.number}' in raw and beta.number not in raw
    saved = post_form(client, f"{url_of(alpha)}/decision",
                      {"outcome": "selected", "amount": "10 000", "then": "next"}, form_page=url_of(alpha))
    assert saved.headers["Location"].endswith(f"{url_of(gamma)}#decision")
