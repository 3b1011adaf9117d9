"""A committee member's work, through her browser: her list shows only what is assigned to her, a file opens only
after she states she has no conflict, drafts may be partial, a submission needs every required criterion and an
opinion, stores the total and a version (edits make the next one), scoring happens only in the review phase, the
others' reviews open after her own and hide names in blind mode, and « next » takes the least-reviewed file."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Membership
from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import reviewing, rounds
from portal.reviews.models import Assignment, Eligibility, Review, ReviewRound, ReviewVersion
from tests.conftest import post_form
from tests.reviews.conftest import sign_in_as

FULL = {"score_qualite": "4", "score_partenariat": "3", "score_budget": "", "opinion": "favourable",
        "comment_qualite": "Accompagnement solide.", "comment": "Un projet sérieux."}


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def screen_all(selection, verdict: str = "eligible") -> None:
    for application in selection.applications:
        db.session.add(Eligibility(application_id=application.id, verdict=verdict, checklist={},
                                   reason=None if verdict == "eligible" else "Hors champ", decided_at=time.now()))
    db.session.commit()


def move_to(selection, *phases: str) -> ReviewRound:
    round_ = rounds.round_of(selection.window, time.now())
    db.session.commit()
    for phase in phases:
        rounds.change_phase(round_, phase, selection.manager, time.now())
    return round_


def assign(reviewer, application, declared: bool = True) -> Assignment:
    row = Assignment(application_id=application.id, reviewer_id=reviewer.id, method="manual",
                     assigned_at=time.now(), no_conflict_declared_at=time.now() if declared else None)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def in_review(selection):
    """Every application screened eligible and the round in its review phase."""
    screen_all(selection)
    move_to(selection, "review")
    return selection


def url(application, page: str = "") -> str:
    return f"/evaluation/candidatures/{application.id}{page}"


def send(client, application, data: dict, submit: bool):
    button = {"submit_review": "Soumettre l'évaluation"} if submit else {"save_draft": "Enregistrer le brouillon"}
    return post_form(client, url(application, "/evaluation"), {**data, **button})


def checked(page: str, name: str) -> str | None:
    """The value of the radio button ticked in a group, as the browser would show it."""
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page):
        if " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def review_of(reviewer, application) -> Review | None:
    db.session.expire_all()
    return db.session.scalar(select(Review).where(Review.reviewer_id == reviewer.id,
                                                  Review.application_id == application.id))


def submitted_review(reviewer, application, values: dict, opinion: str = "favourable") -> Review:
    return reviewing.save(application, reviewer, values, {}, opinion, None, submit=True, at=time.now())


# ---- seeing her files -----------------------------------------------------------------------------------------

def test_her_list_shows_only_her_assigned_applications_and_never_a_conflict(client, in_review):
    alice = in_review.reviewers[0]
    first, second, third, fourth = in_review.applications
    assign(alice, first)
    assign(alice, second, declared=False)
    assign(alice, fourth)
    db.session.add(Membership(organisation_id=in_review.organisations[3].id, user_id=alice.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, alice)
    page = text_of(client.get("/evaluation/"))
    assert first.number in page and "Association Alpha" in page
    assert second.number in page and "Déclaration d'absence de conflit d'intérêts à faire" in page
    assert third.number not in page and "Association Gamma" not in page  # not assigned
    assert fourth.number not in page and "Association Delta" not in page  # she belongs to it
    assert "À ouvrir" in page and "Évaluation" in page and "Dossier suivant" in page


def test_the_file_opens_only_after_she_states_she_has_no_conflict(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assignment = assign(alice, application, declared=False)
    sign_in_as(client, alice)
    for page in ("", "/evaluation", "/evaluations"):
        response = client.get(url(application, page))
        assert response.status_code == 302, page
        assert response.headers["Location"].endswith(url(application, "/declaration"))
    assignment.no_conflict_declared_at = time.now()
    db.session.commit()
    page = text_of(client.get(url(application)))
    assert application.number in page and "Association Alpha" in page and "Recevable" in page
    assert "statuts.pdf" in page and "Demande de subvention (Cerfa n°12156)" in page


def test_she_downloads_the_deposited_files_as_attachments(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    sign_in_as(client, alice)
    file = application.latest_version.snapshot["files"][0]
    response = client.get(url(application, f"/fichiers/{file['id']}"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"  # the content's own type, always as an attachment
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(b"%PDF")


def test_an_unassigned_or_conflicted_reviewer_gets_404_on_every_committee_page_of_the_application(
        app, client, in_review):
    alice, bob, application = in_review.reviewers[0], in_review.reviewers[1], in_review.applications[0]
    assign(alice, application)
    assign(bob, application)
    submitted_review(alice, application, {"qualite": "4", "partenariat": "3"})
    db.session.add(Membership(organisation_id=in_review.organisations[0].id, user_id=bob.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    file_id = application.latest_version.snapshot["files"][0]["id"]
    pages = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("committee.") and "application_id" in rule.arguments and "GET" in rule.methods]
    assert {"committee.application", "committee.download", "committee.review", "committee.reviews"} <= {
        r.endpoint for r in pages}
    for person in (in_review.reviewers[2], bob):  # never assigned; assigned but a member of the applicant
        sign_in_as(client, person)
        for rule in pages:
            path = re.sub(r"<uuid:application_id>", str(application.id), rule.rule)
            path = re.sub(r"<uuid:file_id>", file_id, path)
            assert client.get(path).status_code == 404, (person.name, rule.endpoint)
        refused = post_form(client, url(application, "/evaluation"), {**FULL, "submit_review": "Soumettre"},
                            form_page="/evaluation/")
        assert refused.status_code == 404
        assert review_of(person, application) is None


# ---- scoring ------------------------------------------------------------------------------------------------

def test_a_draft_keeps_partial_values(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    sign_in_as(client, alice)
    response = send(client, application, {"score_qualite": "2", "comment_qualite": "À préciser."}, submit=False)
    assert response.status_code == 302
    review = review_of(alice, application)
    assert review.status == "draft" and review.total is None and review.versions == []
    assert review.score_of("qualite").value == 2 and review.score_of("partenariat").value is None
    assert review.score_of("qualite").comment == "À préciser."
    page = text_of(client.get(url(application, "/evaluation")))
    assert "Votre brouillon est enregistré." in page
    assert checked(page, "score_qualite") == "2" and checked(page, "score_partenariat") is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.save")).details["scores"] == {
        "qualite": "— → 2"}


def test_submitting_without_a_required_criterion_is_refused_and_nothing_is_submitted(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    sign_in_as(client, alice)
    response = send(client, application, {**FULL, "score_partenariat": ""}, submit=True)
    assert response.status_code == 422
    page = text_of(response)
    assert "Notez ce critère pour soumettre l'évaluation." in page
    assert 'href="#score_partenariat"' in page
    assert checked(page, "score_qualite") == "4" and checked(page, "opinion") == "favourable"  # her values stay
    assert review_of(alice, application) is None


def test_a_value_outside_the_scale_is_refused(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    sign_in_as(client, alice)
    for value in ("7", "2,5", "trois"):
        response = send(client, application, {**FULL, "score_qualite": value}, submit=False)
        assert response.status_code == 422
        assert "La note doit être un nombre entier entre 0 et 5." in text_of(response)
    response = send(client, application, {**FULL, "score_budget": "11"}, submit=True)
    assert "La note doit être un nombre entier entre 0 et 10." in text_of(response)
    assert review_of(alice, application) is None


def test_a_comment_past_its_announced_length_is_refused_at_its_field(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    sign_in_as(client, alice)
    assert "5 000 caractères au maximum." in text_of(client.get(url(application, "/evaluation"))).replace("\u202f", " ")
    response = send(client, application, {**FULL, "comment_qualite": "c" * 5001, "comment": "g" * 9000}, submit=False)
    assert response.status_code == 422
    page = text_of(response).replace("\u202f", " ").replace("\xa0", " ")
    assert "5 001 caractères pour 5 000 au plus : raccourcissez de 1." in page
    assert "9 000 caractères pour 5 000 au plus : raccourcissez de 4 000." in page
    assert 'href="#comment_qualite"' in page and 'href="#comment"' in page
    assert review_of(alice, application) is None

def test_submitting_stores_the_total_and_version_one_then_an_edit_makes_version_two(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    sign_in_as(client, alice)
    assert send(client, application, FULL, submit=True).status_code == 302
    review = review_of(alice, application)
    # (2·4/5 + 1·3/5) / 3 · 20, the optional budget left blank
    assert review.status == "submitted" and str(review.total) == "14.67"
    assert [v.number for v in review.versions] == [1]
    assert review.versions[0].snapshot["scores"]["qualite"] == 4 and review.versions[0].snapshot["total"] == "14.67"
    page = text_of(client.get(url(application, "/evaluation")))
    assert "Votre évaluation est soumise." in page and "14,67 / 20" in page and "Version 1" in page

    # A submitted review does not go back to draft: changes saved without submitting wait aside
    # (test_review_drafts.py)…
    kept = send(client, application, {**FULL, "score_qualite": "1"}, submit=False)
    assert kept.status_code == 302
    assert "la version 1 reste celle que voit le comité" in text_of(client.get(kept.headers["Location"]))
    assert review_of(alice, application).score_of("qualite").value == 4
    # …its edits are submitted as a new version, the first one kept.
    assert send(client, application, {**FULL, "score_qualite": "5", "score_budget": "10"}, submit=True
                ).status_code == 302
    review = review_of(alice, application)
    assert str(review.total) == "18.00"  # (2·1 + 0.6 + 1) / 4 · 20
    assert [(v.number, v.snapshot["total"]) for v in review.versions] == [(1, "14.67"), (2, "18.00")]
    page = text_of(client.get(url(application, "/evaluation")))
    assert "Version 1" in page and "Version 2" in page and "18,00 / 20" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.submit")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.details["version"] == 2 and event.details["scores"] == {"qualite": "4 → 5", "budget": "— → 10"}


def test_submitting_needs_an_opinion(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    sign_in_as(client, alice)
    response = send(client, application, {**FULL, "opinion": ""}, submit=True)
    assert response.status_code == 422
    assert "Choisissez un avis général pour soumettre l'évaluation." in text_of(response)
    assert review_of(alice, application) is None


@pytest.mark.parametrize("phases", [(), ("review", "deliberation")], ids=["eligibility", "deliberation"])
def test_scoring_is_refused_outside_the_review_phase(client, selection, phases):
    alice, application = selection.reviewers[0], selection.applications[0]
    screen_all(selection)
    move_to(selection, *phases)
    assign(alice, application)
    sign_in_as(client, alice)
    page = text_of(client.get(url(application, "/evaluation")))
    assert "Lecture seule : la phase" in page and "Soumettre l'évaluation" not in page
    response = post_form(client, url(application, "/evaluation"), {**FULL, "submit_review": "Soumettre"},
                         form_page="/evaluation/")  # no grid to post from: the service refuses all the same
    assert response.status_code == 302
    assert "ne permet pas de noter les candidatures." in text_of(client.get(response.headers["Location"]))
    assert review_of(alice, application) is None


def test_an_ineligible_application_is_not_scored(client, in_review):
    alice, application = in_review.reviewers[0], in_review.applications[0]
    assign(alice, application)
    screened = db.session.scalar(select(Eligibility).where(Eligibility.application_id == application.id))
    screened.verdict, screened.reason = "ineligible", "Hors champ"
    db.session.commit()
    sign_in_as(client, alice)
    response = post_form(client, url(application, "/evaluation"), {**FULL, "submit_review": "Soumettre"},
                         form_page="/evaluation/")
    assert "n'a pas été déclarée recevable" in text_of(client.get(response.headers["Location"]))
    assert review_of(alice, application) is None


# ---- the others' reviews --------------------------------------------------------------------------------------

def test_others_reviews_open_after_her_own_and_hide_names_in_blind_mode(client, clock, in_review):
    alice, bob, carol = in_review.reviewers
    application = in_review.applications[0]
    for person in (alice, bob, carol):
        assign(person, application)
    submitted_review(bob, application, {"qualite": "5", "partenariat": "5"})
    clock("2025-05-12 09:05:00")
    reviewing.save(application, carol, {"qualite": "1"}, {}, None, None, submit=False, at=time.now())  # a draft
    clock("2025-05-12 09:10:00")
    sign_in_as(client, alice)
    hidden = client.get(url(application, "/evaluations"))
    assert hidden.status_code == 302
    assert "Vous lirez les autres évaluations après avoir soumis la vôtre." in text_of(
        client.get(hidden.headers["Location"]))

    assert send(client, application, FULL, submit=True).status_code == 302
    page = text_of(client.get(url(application, "/evaluations")))
    assert "Évaluateur 2" in page and "20,00 / 20" in page  # Bob's, with his name
    assert "Évaluateur 1 (vous)" in page and "14,67 / 20" in page
    assert "Évaluateur 3" not in page  # a draft is nobody's business

    settings = rounds.settings_of(in_review.call)
    settings.blind = True
    db.session.commit()
    page = text_of(client.get(url(application, "/evaluations")))
    assert "Évaluateur 2" not in page and "Évaluateur 1 " not in page
    # Letters follow the order the reviews were begun in, drafts included, so they never shift.
    assert "Évaluateur A</h2>" in page and "Évaluateur C (vous)" in page and "20,00 / 20" in page


def test_a_review_whose_author_is_no_longer_assigned_does_not_show(client, in_review):
    alice, bob = in_review.reviewers[0], in_review.reviewers[1]
    application = in_review.applications[0]
    assign(alice, application)
    bobs = assign(bob, application)
    submitted_review(bob, application, {"qualite": "5", "partenariat": "5"})
    db.session.delete(bobs)
    db.session.commit()
    sign_in_as(client, alice)
    send(client, application, FULL, submit=True)
    page = text_of(client.get(url(application, "/evaluations")))
    assert "Évaluateur 2" not in page and "20,00 / 20" not in page


# ---- next ---------------------------------------------------------------------------------------------------

def test_next_takes_her_least_reviewed_application(client, in_review):
    alice, bob, carol = in_review.reviewers
    first, second, third, fourth = in_review.applications
    for application in (first, second, third):
        assign(alice, application)
    for person in (bob, carol):
        assign(person, first)
        submitted_review(person, first, {"qualite": "3", "partenariat": "3"})
    assign(bob, second)
    submitted_review(bob, second, {"qualite": "3", "partenariat": "3"})
    assign(carol, third)
    submitted_review(carol, third, {"qualite": "3", "partenariat": "3"})
    assign(bob, fourth)  # not hers
    assert reviewing.next_for(alice, in_review.call).id == second.id  # one review each; lower number wins
    sign_in_as(client, alice)
    slug = in_review.call.slug
    assert client.get(f"/evaluation/{slug}/suivante").headers["Location"].endswith(url(second))
    send(client, second, FULL, submit=True)
    assert client.get(f"/evaluation/{slug}/suivante").headers["Location"].endswith(url(third))
    send(client, third, FULL, submit=True)
    assert client.get(f"/evaluation/{slug}/suivante").headers["Location"].endswith(url(first))
    send(client, first, FULL, submit=True)
    done = client.get(f"/evaluation/{slug}/suivante", follow_redirects=True)
    assert "Tous vos dossiers sont évalués." in text_of(done)
    assert db.session.scalar(select(func.count(ReviewVersion.id))) == 7
