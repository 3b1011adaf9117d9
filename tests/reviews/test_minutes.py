"""The committee's meeting and its procès-verbal: the manager records the meeting (date, time, place, who was
present or absent, who chaired it) through a form whose French errors are tied to their fields; the PV then gives
the meeting, the members who stood aside for an application, the motivations, each application's median and
population standard deviation written as on the screen (« 14,00 »), and a signature block. Without a recorded
meeting, the PV and its link say so."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import conflicts, decisions
from tests.conftest import post_form
from tests.reviews.conftest import sign_in_as
from tests.reviews.test_decisions import add_review, deliberate, text_of

PLACE = "Arras, Hôtel du Département — salle 204"
CHAIR, CHAIR_TITLE = "Marie Lefebvre", "Vice-présidente chargée du logement"
MOTIVATION = "Projet solide, partenariats établis avec les bailleurs."
REFUSAL = "Aucune évaluation favorable."


def meeting_url(selection) -> str:
    return f"/gestion/selection/{selection.call.slug}/fenetres/unique/reunion"


def minutes_url(selection) -> str:
    return f"/gestion/selection/{selection.call.slug}/fenetres/unique/proces-verbal.pdf"


def deliberated(selection):
    """Alpha scored 18 and 10 (mean and median 14, σ 4), Bêta 4; Évaluateur 3 stood aside for Alpha; decisions with
    their motivations."""
    round_ = deliberate(selection, {3: "Hors du champ de l'appel."})
    alpha, beta, gamma, _ = selection.applications
    first, second, third = selection.reviewers
    add_review(selection, alpha, first, {"qualite": 5, "partenariat": 4, "budget": 8})  # 10 + 4 + 4 = 18
    add_review(selection, alpha, second, {"qualite": 2, "partenariat": 2, "budget": 8})  # 4 + 2 + 4 = 10
    add_review(selection, beta, third, {"qualite": 1, "partenariat": 1, "budget": 2})  # 2 + 1 + 1 = 4
    now = time.now()
    conflicts.declare(alpha, third.email, "professional", "Ancienne salariée de l'association.", "reviewer",
                      by=third, at=now)
    decisions.record(alpha, "selected", "12 000", None, MOTIVATION, False, selection.manager, now)
    decisions.record(gamma, "rejected", None, None, REFUSAL, False, selection.manager, now)
    db.session.commit()
    return round_


def member_fields(client, selection) -> dict[str, str]:
    """The attendance radios of the form, by the name of the person they are about."""
    html = client.get(meeting_url(selection)).get_data(as_text=True)
    fields = {}
    for name, person in re.findall(r'<fieldset[^>]*id="(member_\d+)"[^>]*>\s*<legend>([^<]+)</legend>', html):
        fields[person.strip()] = name
    return fields


def record_meeting(client, selection, absent: tuple[str, ...] = ("Évaluateur 2",)):
    fields = member_fields(client, selection)
    data = {"held_on": "2025-05-20", "starts_at": "14:30", "place": PLACE, "chair_name": CHAIR,
            "chair_title": CHAIR_TITLE}
    data |= {name: "absent" if person.startswith(absent) else "present" for person, name in fields.items()}
    return post_form(client, meeting_url(selection), data)


def test_the_form_offers_the_calls_reviewers_and_managers(client, selection):
    deliberated(selection)
    sign_in_as(client, selection.manager)
    people = member_fields(client, selection)
    assert sorted(people) == sorted(["Évaluateur 1", "Évaluateur 2", "Évaluateur 3", "Gaëlle Gestion"])


def test_the_meeting_form_refuses_in_french_and_ties_each_error_to_its_field(client, selection):
    deliberated(selection)
    sign_in_as(client, selection.manager)
    response = post_form(client, meeting_url(selection), {"held_on": "", "place": "  ", "chair_name": CHAIR,
                                                          "chair_title": CHAIR_TITLE})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Le formulaire contient 6 erreurs" in html
    assert "Indiquez la date de la réunion (par exemple 20/05/2025)." in html and "Indiquez le lieu de la réunion." in html
    assert "Choisissez « présent » ou « absent » pour Évaluateur 1." in html
    assert re.search(r'<input[^>]*aria-describedby="[^"]*held_on-error[^"]*"[^>]*id="held_on"', html)
    member = member_fields(client, selection)["Évaluateur 1"]
    assert re.search(rf'<fieldset[^>]*id="{member}"[^>]*aria-describedby="{member}-error"', html)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.meeting")) is None


def test_a_recorded_meeting_is_audited_and_shown_again_in_the_form(client, selection):
    deliberated(selection)
    sign_in_as(client, selection.manager)
    assert record_meeting(client, selection).status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.meeting"))
    assert event is not None and event.details["place"] == PLACE and event.details["absent"] == ["Évaluateur 2"]
    html = client.get(meeting_url(selection)).get_data(as_text=True)
    assert "20 mai 2025" in html and PLACE in html and 'value="2025-05-20"' in html


def test_the_minutes_give_the_meeting_the_conflicts_the_motivations_the_statistics_and_a_signature(client,
                                                                                                  selection):
    deliberated(selection)
    alpha, beta = selection.applications[:2]
    sign_in_as(client, selection.manager)
    record_meeting(client, selection)
    text = text_of(client.get(minutes_url(selection)).get_data())
    assert "Réunion du comité : 20 mai 2025 à 14 h 30" in text and PLACE in text
    assert "Membres présents : Évaluateur 1, Évaluateur 3, Gaëlle Gestion" in text
    assert "Membres absents : Évaluateur 2" in text
    assert (f"Évaluateur 3 s'est retiré(e) pour la candidature {alpha.number} (Association Alpha) et ne prend pas "
            "part à sa délibération ni à sa décision") in text
    assert f"{alpha.number} Association Alpha Retenu 12 000 € {MOTIVATION}" in text
    assert REFUSAL in text
    # Rank, number, organisation, mean, median, σ, reviews: the figures written as on the ranking page.
    assert f"1 {alpha.number} Association Alpha 14,00 14,00 4,00 2 / 2" in text
    assert f"2 {beta.number} Association Bêta 4,00 4,00 0,00 1 / 1" in text
    assert "Écart-type de population (σ) : 10 et 18 donnent 4,00" in text
    assert f"Fait à {PLACE}, le 20 mai 2025" in text
    assert f"Le président ou la présidente du comité {CHAIR} {CHAIR_TITLE}" in text
    assert "Signature :" in text


def test_without_a_recorded_meeting_the_minutes_and_their_link_say_so(client, selection):
    deliberated(selection)
    sign_in_as(client, selection.manager)
    hub = client.get(f"/gestion/selection/{selection.call.slug}/").get_data(as_text=True)
    assert "la réunion du comité n'est pas encore enregistrée" in hub
    assert f'href="{meeting_url(selection)}"' in hub
    text = text_of(client.get(minutes_url(selection)).get_data())
    assert "La réunion du comité n'a pas été enregistrée" in text
    assert "Fait à" not in text
