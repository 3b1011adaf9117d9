"""The selection side's predicates answer None (allowed) or a Refusal saying why: a 404 when the person must not
even learn the file exists (not assigned to her, in conflict, not running the call)."""

from __future__ import annotations

from portal.core import time
from portal.reviews import assignment, permissions, rounds


def test_can_review_hides_a_file_not_assigned_and_opens_an_assigned_one(selection):
    application, alice = selection.applications[0], selection.reviewers[0]
    assert permissions.can_review(alice, application).status == 404
    assignment.assign(application, alice, selection.manager, time.now())
    assert permissions.can_review(alice, application) is None
    assert permissions.can_review(selection.manager, application) is None


def test_can_manage_selection_does_not_exist_for_a_reviewer(selection):
    assert permissions.can_manage_selection(selection.manager, selection.call) is None
    assert permissions.can_manage_selection(selection.reviewers[0], selection.call).status == 404


def test_can_read_other_reviews_says_when_she_will(selection):
    application, alice, bob = selection.applications[0], selection.reviewers[0], selection.reviewers[1]
    assignment.assign(application, alice, selection.manager, time.now())
    round_ = rounds.round_of_application(application, time.now())
    settings = rounds.settings_of(selection.call)
    assert permissions.can_read_other_reviews(selection.manager, application, round_, settings, None) is None
    assert permissions.can_read_other_reviews(bob, application, round_, settings, None).status == 404
    refused = permissions.can_read_other_reviews(alice, application, round_, settings, None)
    assert refused.status == 409
    assert refused.message == ("Vous lirez les autres évaluations après avoir soumis la vôtre." if settings.others_after_own
                               else "Les évaluations des autres membres du comité sont visibles à partir de la "
                                    "délibération.")
