"""The manager's selection hub: a window's round opens only after its deadline, moves from eligibility to review
(once every application is screened, freezing the files), to deliberation and back; the call's review settings
with French messages tied to their fields. Nobody but the call's managers gets in."""

import html
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.applications import pieces
from portal.core.audit import AuditEvent
from portal.core.errors import Refusal
from portal.core.time import now
from portal.extensions import db
from portal.reviews import eligibility, rounds
from portal.reviews.models import ReviewRound, ReviewSettings
from tests.conftest import post_form
from tests.reviews.conftest import refresh, sign_in_as


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def urls(selection) -> dict[str, str]:
    slug, key = selection.call.slug, selection.window.key
    return {"overview": f"/gestion/selection/{slug}/", "settings": f"/gestion/selection/{slug}/parametres",
            "phase": f"/gestion/selection/{slug}/fenetres/{key}/phase",
            "list": f"/gestion/selection/{slug}/fenetres/{key}/recevabilite",
            "screen": f"/gestion/selection/candidatures/{selection.applications[0].id}/recevabilite"}


def round_of(selection) -> ReviewRound | None:
    db.session.expire_all()
    return db.session.scalar(select(ReviewRound).where(ReviewRound.window_id == selection.window.id))


def screen_all(selection, verdict: str = "eligible") -> None:
    for application in selection.applications:
        eligibility.record(application, verdict, {}, "Hors champ" if verdict == "ineligible" else None,
                           by=selection.manager, at=now())


def move(client, selection, to: str):
    return post_form(client, urls(selection)["phase"], {"to": to}, form_page=urls(selection)["overview"],
                     follow_redirects=True)


@pytest.mark.parametrize("who", ["reviewer", "applicant", "other_manager"])
def test_selection_pages_are_404_for_anyone_but_the_calls_managers(client, selection, make_user, who):
    person = {"reviewer": lambda: selection.reviewers[0], "applicant": lambda: selection.applicants[0],
              "other_manager": lambda: make_user("gestion@nord.fr", "Autre Département",
                                                 grants=[("manager", {"issuer": "Département du Nord"})])}[who]()
    sign_in_as(client, person)
    for name in ("overview", "settings", "list", "screen"):
        assert client.get(urls(selection)[name]).status_code == 404, name
    response = post_form(client, urls(selection)["phase"], {"to": "review"}, form_page="/alertes/nouvelle")
    assert response.status_code == 404
    assert round_of(selection) is None or round_of(selection).phase == "eligibility"


def test_a_signed_out_visitor_is_sent_to_sign_in(client, selection):
    assert client.get(urls(selection)["overview"]).status_code == 302


def test_before_the_deadline_there_is_no_round_and_the_hub_says_deposits_are_open(client, selection, clock):
    clock("2025-05-09 23:59:59")
    assert rounds.round_of(selection.window, now()) is None
    sign_in_as(client, selection.manager)
    page = text_of(client.get(urls(selection)["overview"]))
    assert "Dépôt ouvert jusqu'au 9 mai 2025" in page
    assert "Commencer l'évaluation" not in page
    assert round_of(selection) is None
    clock("2025-05-10 00:00:00")
    assert rounds.round_of(selection.window, now()).phase == "eligibility"


def test_the_hub_shows_the_phase_the_counts_and_what_the_next_move_does(client, selection):
    eligibility.record(selection.applications[0], "eligible", {}, None, by=selection.manager, at=now())
    eligibility.record(selection.applications[1], "ineligible", {}, "Porteur hors champ", by=selection.manager,
                       at=now())
    sign_in_as(client, selection.manager)
    page = text_of(client.get(urls(selection)["overview"]))
    assert "Recevabilité" in page and "9 mai 2025" in page
    assert "1 recevable · 1 irrecevable · 2 à examiner" in page
    assert "Commencer l'évaluation — les dossiers seront figés" in page
    assert round_of(selection).phase == "eligibility"  # stored by the first verdict (looking stores nothing)


def test_review_cannot_start_while_an_application_is_unscreened(client, selection):
    sign_in_as(client, selection.manager)
    for application in selection.applications[:3]:
        eligibility.record(application, "eligible", {}, None, by=selection.manager, at=now())
    page = text_of(move(client, selection, "review"))
    assert "1 candidature(s) n'ont pas encore de décision de recevabilité" in page
    assert round_of(selection).phase == "eligibility"
    assert refresh(selection.applications[3]).locked_at is None


def test_starting_review_freezes_the_files_and_no_piece_can_be_requested(client, selection):
    screen_all(selection)
    sign_in_as(client, selection.manager)
    page = text_of(move(client, selection, "review"))
    assert "est maintenant en phase « Évaluation »" in page
    assert round_of(selection).phase == "review"
    for application in selection.applications:
        assert refresh(application).locked_at is not None
    application = refresh(selection.applications[0])
    with pytest.raises(Refusal, match="le dossier est figé"):
        pieces.request_pieces(application, ["statuts"], "Statuts signés", now().date().replace(day=30),
                              selection.manager, now())
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.phase"))
    assert event.details["before"] == "eligibility" and event.details["after"] == "review"
    assert "Ouvrir la délibération" in page


def test_review_goes_to_deliberation_and_back(client, selection):
    screen_all(selection)
    sign_in_as(client, selection.manager)
    move(client, selection, "review")
    assert "Rouvrir l'évaluation" in text_of(move(client, selection, "deliberation"))
    assert round_of(selection).phase == "deliberation"
    move(client, selection, "review")
    assert round_of(selection).phase == "review"


def test_eligibility_cannot_jump_to_deliberation_nor_to_decided(client, selection):
    screen_all(selection)
    sign_in_as(client, selection.manager)
    assert "On ne passe pas de la phase « Recevabilité » à « Délibération »" in text_of(
        move(client, selection, "deliberation"))
    move(client, selection, "review")
    move(client, selection, "deliberation")
    assert "On ne passe pas de la phase « Délibération » à « Décisions publiées »" in text_of(
        move(client, selection, "decided"))
    assert round_of(selection).phase == "deliberation"


def test_settings_errors_are_french_and_tied_to_their_fields(client, selection):
    sign_in_as(client, selection.manager)
    response = post_form(client, urls(selection)["settings"],
                         {"reviews_per_application": "0", "min_reviews_for_normalisation": "1",
                          "max_per_reviewer": "", "disagreement_threshold": "abc"})
    page = text_of(response)
    assert response.status_code == 400
    assert '<a href="#reviews_per_application">Évaluateurs par candidature : Il faut au moins 1' in page
    assert 'id="reviews_per_application-error"' in page
    assert '<a href="#disagreement_threshold">Seuil de désaccord (écart type des notes sur 20) : Saisissez un ' \
           'nombre, par exemple 3,5.' in page
    assert "Il faut au moins 2 évaluations pour normaliser les notes." in page
    assert "Not a valid" not in page
    settings = db.session.get(ReviewSettings, selection.call.id)
    assert settings is None or settings.reviews_per_application == 2


def test_a_threshold_above_20_is_refused(client, selection):
    sign_in_as(client, selection.manager)
    response = post_form(client, urls(selection)["settings"],
                         {"reviews_per_application": "2", "min_reviews_for_normalisation": "3",
                          "disagreement_threshold": "21"})
    assert "Le seuil de désaccord est compris entre 0 et 20." in text_of(response)


def test_settings_are_saved_with_a_french_decimal_and_audited(client, selection):
    sign_in_as(client, selection.manager)
    response = post_form(client, urls(selection)["settings"],
                         {"blind": "y", "reviews_per_application": "3", "max_per_reviewer": "2",
                          "min_reviews_for_normalisation": "4", "disagreement_threshold": "3,5"},
                         follow_redirects=True)
    assert "Les paramètres de la sélection sont enregistrés." in text_of(response)
    assert 'value="3,50"' in text_of(response)
    settings = db.session.get(ReviewSettings, selection.call.id)
    assert (settings.blind, settings.others_after_own, settings.reviews_per_application, settings.max_per_reviewer,
            settings.min_reviews_for_normalisation, settings.disagreement_threshold) == (
        True, False, 3, 2, 4, Decimal("3.50"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.settings"))
    assert event.details["reviews_per_application"] == ["2", "3"]
    assert event.actor_email == selection.manager.email
