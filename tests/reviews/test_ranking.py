"""The ranking on known score sets: weights, missing reviews, ties, medians, disagreement, per-criterion
averages, a harsh and a lenient reviewer corrected by the normalised ranking (never replacing the raw one), and
what a person in conflict or a committee member may see of it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from portal.accounts.models import Membership, RoleGrant
from portal.core import time
from portal.extensions import db
from portal.reviews import rounds, scoring
from portal.reviews.models import Assignment, Decision, Eligibility, Review, Score
from portal.reviews.ranking import counting_reviews, rank
from tests.reviews.conftest import sign_in_as


def assign(application, reviewer) -> Assignment:
    assignment = db.session.scalar(select(Assignment).where(Assignment.application_id == application.id,
                                                            Assignment.reviewer_id == reviewer.id))
    if assignment is None:
        assignment = Assignment(application_id=application.id, reviewer_id=reviewer.id, method="manual",
                                assigned_at=time.now(), no_conflict_declared_at=time.now())
        db.session.add(assignment)
        db.session.commit()
    return assignment


def review(call, application, reviewer, qualite: int, partenariat: int, budget: int | None = None,
           status: str = "submitted") -> Review:
    """An assigned reviewer's review with its scores; its total computed by the one formula (scoring.total).
    With the fixture's weights, total = 2 × qualité + partenariat + budget / 2 when the budget is scored."""
    assign(application, reviewer)
    values = {"qualite": qualite, "partenariat": partenariat, "budget": budget}
    at = time.now()
    row = Review(application_id=application.id, reviewer_id=reviewer.id, status=status, opinion="favourable",
                 total=scoring.total(call.spec.selection_criteria, values), created_at=at, updated_at=at,
                 submitted_at=at if status == "submitted" else None,
                 scores=[Score(criterion=key, value=value) for key, value in values.items()])
    db.session.add(row)
    db.session.commit()
    return row


def by_number(ranking) -> dict:
    return {row.number: row for row in ranking.rows}


def ranked(selection, user=None, **kwargs):
    return rank(selection.call, selection.window, user or selection.manager, **kwargs)


def screen_all(selection, verdicts: dict | None = None) -> None:
    for application in selection.applications:
        verdict = (verdicts or {}).get(application.id, "eligible")
        db.session.add(Eligibility(application_id=application.id, verdict=verdict, checklist={},
                                   reason="Hors du champ de l'appel" if verdict == "ineligible" else None,
                                   decided_by_id=selection.manager.id, decided_at=time.now()))
    db.session.commit()


def test_weights_apply_a_double_weight_criterion_counts_twice(selection):
    alpha, beta = selection.applications[:2]
    first = selection.reviewers[0]
    review(selection.call, alpha, first, qualite=5, partenariat=0, budget=0)  # 2 × 5 = 10
    review(selection.call, beta, first, qualite=0, partenariat=5, budget=0)  # 5
    rows = by_number(ranked(selection))
    assert rows[alpha.number].mean == Decimal("10.00")
    assert rows[beta.number].mean == Decimal("5.00")
    assert rows[alpha.number].raw_rank == 1 and rows[beta.number].raw_rank == 2


def test_missing_reviews_count_received_against_assigned(selection):
    alpha = selection.applications[0]
    one, two, three = selection.reviewers
    review(selection.call, alpha, one, qualite=4, partenariat=4, budget=8)  # 8 + 4 + 4 = 16
    review(selection.call, alpha, two, qualite=1, partenariat=1, budget=2, status="draft")  # a draft: not counted
    assign(alpha, three)  # nothing written yet
    row = by_number(ranked(selection))[alpha.number]
    assert (row.received, row.assigned) == (1, 3)
    assert row.mean == row.median == row.min == row.max == Decimal("16.00")
    assert row.std == Decimal("0.00") and not row.disagreement


def test_ties_share_a_rank_and_the_next_rank_is_skipped(selection):
    alpha, beta, gamma, delta = selection.applications
    one, two, _ = selection.reviewers
    review(selection.call, gamma, one, qualite=4, partenariat=4, budget=4)  # 14
    review(selection.call, alpha, one, qualite=3, partenariat=4, budget=4)  # 12
    review(selection.call, beta, two, qualite=4, partenariat=2, budget=4)  # 12
    review(selection.call, delta, two, qualite=3, partenariat=2, budget=4)  # 10
    result = ranked(selection)
    assert [(row.number, row.raw_rank) for row in result.rows] == [
        (gamma.number, 1), (alpha.number, 2), (beta.number, 2), (delta.number, 4)]


def test_median_with_an_odd_and_an_even_number_of_reviews(selection, make_user):
    alpha, beta = selection.applications[:2]
    fourth = make_user("evaluateur4@pasdecalais.fr", "Évaluateur 4",
                       grants=[("reviewer", {"call_id": selection.call.uuid})])
    one, two, three = selection.reviewers
    for reviewer, q in ((one, 2), (two, 3), (three, 5)):  # 2q + 0 + q: totals 6, 9, 15
        review(selection.call, alpha, reviewer, qualite=q, partenariat=0, budget=q * 2)
    for reviewer, q in ((one, 1), (two, 2), (three, 3), (fourth, 5)):  # 2q + q + q: totals 4, 8, 12, 20
        review(selection.call, beta, reviewer, qualite=q, partenariat=q, budget=q * 2)
    rows = by_number(ranked(selection))
    assert (rows[alpha.number].median, rows[alpha.number].mean) == (Decimal("9.00"), Decimal("10.00"))
    assert (rows[beta.number].median, rows[beta.number].mean) == (Decimal("10.00"), Decimal("11.00"))
    assert rows[beta.number].received == 4


def test_standard_deviation_flags_a_strong_disagreement(selection):
    alpha, beta, gamma = selection.applications[:3]
    one, two, _ = selection.reviewers
    review(selection.call, alpha, one, qualite=1, partenariat=0, budget=4)  # 4
    review(selection.call, alpha, two, qualite=5, partenariat=5, budget=10)  # 20
    review(selection.call, beta, one, qualite=3, partenariat=4, budget=4)  # 12
    review(selection.call, beta, two, qualite=3, partenariat=5, budget=4)  # 13
    review(selection.call, gamma, one, qualite=5, partenariat=5, budget=10)  # 20, alone: no disagreement possible
    rows = by_number(ranked(selection))
    assert (rows[alpha.number].std, rows[alpha.number].disagreement) == (Decimal("8.00"), True)
    assert (rows[alpha.number].min, rows[alpha.number].max) == (Decimal("4.00"), Decimal("20.00"))
    assert (rows[beta.number].std, rows[beta.number].disagreement) == (Decimal("0.50"), False)
    assert (rows[gamma.number].std, rows[gamma.number].disagreement) == (Decimal("0.00"), False)


def test_each_criterion_is_averaged_on_its_own_scale_and_can_sort_the_ranking(selection):
    alpha, beta, gamma = selection.applications[:3]
    one, two, _ = selection.reviewers
    review(selection.call, alpha, one, qualite=2, partenariat=1, budget=8)
    review(selection.call, alpha, two, qualite=4, partenariat=2)  # the optional budget left blank
    review(selection.call, beta, one, qualite=1, partenariat=5, budget=2)
    review(selection.call, gamma, one, qualite=5, partenariat=3, budget=0)
    rows = by_number(ranked(selection))
    assert rows[alpha.number].criteria == {"qualite": Decimal("3.00"), "partenariat": Decimal("1.50"),
                                           "budget": Decimal("8.00"), "remarques": None}
    by_partnership = ranked(selection, sort="criterion:partenariat")
    assert [row.number for row in by_partnership.rows][:3] == [beta.number, gamma.number, alpha.number]
    assert by_partnership.sort == "criterion:partenariat"
    ascending = ranked(selection, sort="criterion:budget", descending=False)
    assert [row.number for row in ascending.rows] == [gamma.number, beta.number, alpha.number,
                                                      selection.applications[3].number]  # no score: last


def test_unknown_sort_key_falls_back_to_the_mean(selection):
    assert ranked(selection, sort="criterion:inconnu").sort == "mean"
    assert ranked(selection, sort="DROP TABLE").sort == "mean"


def test_normalisation_corrects_a_harsh_and_a_lenient_reviewer(selection):
    """The harsh reviewer gives Bêta 9, Alpha 5, Gamma 4; the lenient one gives Bêta 19, Delta 18, Gamma 16.
    Raw means: Delta 18, Bêta 14, Gamma 10, Alpha 5. Bêta is each reviewer's best (z = +1.39 and +1.07) while
    Delta is only the lenient reviewer's middle one (z = +0.27): Bêta comes first once normalised."""
    alpha, beta, gamma, delta = selection.applications
    harsh, lenient, _ = selection.reviewers
    for application, (q, p, b) in ((beta, (2, 3, 4)), (alpha, (1, 2, 2)), (gamma, (1, 1, 2))):  # 9, 5, 4
        review(selection.call, application, harsh, q, p, b)
    for application, (q, p, b) in ((beta, (5, 5, 8)), (delta, (5, 4, 8)), (gamma, (4, 4, 8))):  # 19, 18, 16
        review(selection.call, application, lenient, q, p, b)
    result = ranked(selection)
    rows = by_number(result)
    assert [row.number for row in result.rows] == [delta.number, beta.number, gamma.number, alpha.number]
    assert [rows[a.number].raw_rank for a in (delta, beta, gamma, alpha)] == [1, 2, 3, 4]
    assert [rows[a.number].normalised_rank for a in (beta, delta, alpha, gamma)] == [1, 2, 3, 4]
    assert rows[beta.number].normalised == Decimal("1.23")
    assert rows[delta.number].normalised == Decimal("0.27")
    by_normalised = ranked(selection, sort="normalised")
    assert [row.number for row in by_normalised.rows] == [beta.number, delta.number, alpha.number, gamma.number]
    assert [row.raw_rank for row in by_normalised.rows] == [2, 1, 4, 3]  # the raw ranking is left as it was


def test_a_reviewer_under_the_minimum_count_is_left_out_of_normalisation(selection):
    alpha, beta, gamma, _ = selection.applications
    steady, occasional, _ = selection.reviewers
    for application, q in ((alpha, 4), (beta, 2), (gamma, 3)):
        review(selection.call, application, steady, qualite=q, partenariat=q, budget=2 * q)  # 4q: 16, 8, 12
    review(selection.call, alpha, occasional, qualite=0, partenariat=0, budget=0)  # two reviews only
    review(selection.call, beta, occasional, qualite=5, partenariat=5, budget=10)
    rows = by_number(ranked(selection))
    # Only the steady reviewer's z-scores: (16 − 12) / √(32/3) = 1.22, (8 − 12) / √(32/3) = −1.22.
    assert rows[alpha.number].normalised == Decimal("1.22")
    assert rows[beta.number].normalised == Decimal("-1.22")
    assert rows[alpha.number].mean == Decimal("8.00")  # the raw figures still count her reviews


def test_a_review_whose_author_is_no_longer_assigned_does_not_count(selection):
    alpha = selection.applications[0]
    one, two, _ = selection.reviewers
    review(selection.call, alpha, one, qualite=5, partenariat=5, budget=10)  # 20
    review(selection.call, alpha, two, qualite=1, partenariat=0, budget=0)  # 2
    db.session.execute(delete(Assignment).where(Assignment.reviewer_id == two.id))
    db.session.commit()
    row = by_number(ranked(selection))[alpha.number]
    assert (row.received, row.assigned, row.mean) == (1, 1, Decimal("20.00"))
    counted = db.session.execute(counting_reviews(selection.call)).all()
    assert [(r.reviewer_id, r.total) for r in counted] == [(one.id, 20.0)]


def test_a_review_whose_author_lost_the_reviewer_role_does_not_count(selection):
    alpha = selection.applications[0]
    one, two, _ = selection.reviewers
    review(selection.call, alpha, one, qualite=5, partenariat=5, budget=10)
    review(selection.call, alpha, two, qualite=1, partenariat=0, budget=0)
    db.session.execute(delete(RoleGrant).where(RoleGrant.user_id == two.id))
    db.session.commit()
    row = by_number(ranked(selection))[alpha.number]
    assert (row.received, row.assigned, row.mean) == (1, 2, Decimal("20.00"))


def test_ineligible_applications_come_last_unscored(selection):
    alpha, beta, gamma, delta = selection.applications
    screen_all(selection, {alpha.id: "ineligible"})
    one = selection.reviewers[0]
    review(selection.call, alpha, one, qualite=5, partenariat=5, budget=10)  # should never have been written
    review(selection.call, beta, one, qualite=1, partenariat=1, budget=2)
    result = ranked(selection, sort="mean", descending=False)
    assert result.rows[-1].number == alpha.number
    last = result.rows[-1]
    assert (last.verdict, last.mean, last.raw_rank, last.received) == ("ineligible", None, None, 0)
    assert result.rows[0].verdict == "eligible"


def test_decisions_are_shown_beside_the_figures(selection):
    alpha = selection.applications[0]
    review(selection.call, alpha, selection.reviewers[0], qualite=4, partenariat=4, budget=8)
    db.session.add(Decision(application_id=alpha.id, outcome="selected", amount=Decimal("12000.00"),
                            decided_by_id=selection.manager.id, decided_at=time.now()))
    db.session.commit()
    row = by_number(ranked(selection))[alpha.number]
    assert (row.outcome, row.amount) == ("selected", Decimal("12000.00"))


def test_a_conflicted_manager_sees_no_row_of_that_application_and_the_same_figures_elsewhere(
        selection, make_user):
    alpha, beta, gamma, delta = selection.applications
    one, two, three = selection.reviewers
    scores = {alpha: [(5, 5, 10), (5, 4, 10)], beta: [(3, 3, 6), (2, 4, 6)], gamma: [(1, 2, 2), (4, 1, 4)],
              delta: [(2, 2, 2), (3, 3, 3)]}
    for application, given in scores.items():
        for reviewer, values in zip((one, two), given, strict=True):
            review(selection.call, application, reviewer, *values)
    review(selection.call, alpha, three, 0, 0, 0)
    review(selection.call, beta, three, 5, 5, 10)
    review(selection.call, gamma, three, 3, 3, 6)
    colleague = make_user("gestion2@pasdecalais.fr", "Gilles Gestion",
                          grants=[("manager", {"issuer": selection.call.issuer})])
    before = by_number(ranked(selection, colleague))
    db.session.add(Membership(organisation_id=selection.organisations[0].id, user_id=colleague.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    colleague = db.session.get(type(colleague), colleague.id)
    after = by_number(ranked(selection, colleague))
    assert alpha.number not in after and alpha.number in before
    for number, row in after.items():
        other = before[number]
        assert (row.received, row.assigned, row.mean, row.median, row.std, row.min, row.max, row.criteria) == (
            other.received, other.assigned, other.mean, other.median, other.std, other.min, other.max,
            other.criteria)
    # Ranks are among the rows she sees: no gap betrays an application above them.
    assert sorted(row.raw_rank for row in after.values()) == [1, 2, 3]


# ---- the pages ---------------------------------------------------------------------------------------------------

def ranking_url(selection, side: str = "gestion/selection", **query) -> str:
    url = f"/{side}/{selection.call.slug}/fenetres/{selection.window.key}/classement"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def to_deliberation(selection) -> None:
    screen_all(selection)
    round_ = rounds.round_of(selection.window, time.now())
    rounds.change_phase(round_, "review", selection.manager, time.now())
    rounds.change_phase(round_, "deliberation", selection.manager, time.now())


def test_the_manager_page_shows_both_rankings_sortable_and_the_flags(client, selection):
    alpha, beta = selection.applications[:2]
    one, two, _ = selection.reviewers
    review(selection.call, alpha, one, qualite=1, partenariat=0, budget=4)  # 4
    review(selection.call, alpha, two, qualite=5, partenariat=5, budget=10)  # 20
    assign(beta, one)
    sign_in_as(client, selection.manager)
    page = client.get(ranking_url(selection, tri="mediane", ordre="asc"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Rang brut" in text and "Rang normalisé" in text and "score z" in text
    assert 'aria-sort="ascending"' in text and "tri=mediane&amp;ordre=desc" in text
    assert "Désaccord" in text and "1 / 2" not in text and "2 / 2" in text and "0 / 1" in text
    assert "12,00" in text and "8,00" in text  # the mean and the standard deviation
    assert "À examiner" in text
    assert f"/gestion/selection/candidatures/{alpha.id}" in text


def test_an_unknown_sort_word_on_the_page_sorts_by_the_mean(client, selection):
    sign_in_as(client, selection.manager)
    text = client.get(ranking_url(selection, tri="nimporte", ordre="asc")).get_data(as_text=True)
    assert text.count("aria-sort=") == 1 and 'aria-sort="ascending"' in text
    assert re.search(r'<th scope="col"[^>]* aria-sort="ascending">\s*<a [^>]*>Moyenne</a>', text)


@pytest.mark.parametrize("who", ["reviewer", "applicant", "stranger"])
def test_the_manager_page_is_404_for_anyone_else(client, selection, make_user, who):
    person = {"reviewer": selection.reviewers[0], "applicant": selection.applicants[0],
              "stranger": None}[who] or make_user("curieux@exemple.fr", "Curieux")
    sign_in_as(client, person)
    assert client.get(ranking_url(selection)).status_code == 404


def test_a_reviewer_reads_the_ranking_of_her_assigned_applications_only_in_deliberation(client, selection):
    alpha, beta, gamma, _ = selection.applications
    one, two, _ = selection.reviewers
    screen_all(selection)
    review(selection.call, alpha, one, qualite=4, partenariat=4, budget=8)  # 16
    review(selection.call, beta, one, qualite=2, partenariat=2, budget=4)  # 8
    review(selection.call, gamma, two, qualite=5, partenariat=5, budget=10)  # 20, not hers
    round_ = rounds.round_of(selection.window, time.now())
    rounds.change_phase(round_, "review", selection.manager, time.now())
    sign_in_as(client, one)
    during_review = client.get(ranking_url(selection, "evaluation"))
    text = during_review.get_data(as_text=True)
    assert during_review.status_code == 200 and "pendant la délibération" in text
    assert alpha.number not in text and "16,00" not in text

    rounds.change_phase(round_, "deliberation", selection.manager, time.now())
    text = client.get(ranking_url(selection, "evaluation")).get_data(as_text=True)
    assert alpha.number in text and beta.number in text and "16,00" in text
    assert gamma.number not in text and "20,00" not in text
    assert f"/evaluation/candidatures/{alpha.id}" in text


def test_the_committee_page_is_404_for_a_manager_who_is_not_a_reviewer(client, selection):
    to_deliberation(selection)
    sign_in_as(client, selection.manager)
    assert client.get(ranking_url(selection, "evaluation")).status_code == 404
