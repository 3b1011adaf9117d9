"""« Deposited » has one definition (Application.is_deposited): deposited and not withdrawn. An application
withdrawn after its deposit leaves every list of the selection side — the reviewer's home and her next file to
review, the manager's ranking, assignment matrix and eligibility list — though the committee had it assigned."""

from __future__ import annotations

from sqlalchemy import select

from portal.applications import submission
from portal.applications.models import Application
from portal.core import time
from portal.extensions import db
from portal.reviews import rounds
from portal.reviews.models import Assignment, Eligibility
from tests.reviews.conftest import refresh, selection, sign_in_as  # noqa: F401 (the fixture)


def _screened_and_assigned(selection):  # noqa: F811
    reviewer = selection.reviewers[0]
    for application in selection.applications:
        db.session.add(Eligibility(application_id=application.id, verdict="eligible", checklist={},
                                   decided_by_id=selection.manager.id, decided_at=time.now()))
        db.session.add(Assignment(application_id=application.id, reviewer_id=reviewer.id, method="manual",
                                  assigned_at=time.now(), no_conflict_declared_at=time.now()))
    db.session.commit()
    return reviewer


def test_a_withdrawn_application_is_out_of_every_reviewer_and_committee_list(app, client, selection):  # noqa: F811
    reviewer = _screened_and_assigned(selection)
    gone, kept = (refresh(a) for a in selection.applications[:2])  # the lowest number would be reviewed next
    submission.withdraw(gone, "Projet abandonné", selection.applicants[0], time.now())
    db.session.commit()
    assert refresh(gone).status == "withdrawn" and not refresh(gone).is_deposited
    assert db.session.scalar(select(Application.id).where(Application.is_deposited,
                                                          Application.id == gone.id)) is None
    slug, key = selection.call.slug, selection.window.key
    manager_pages = [f"/gestion/selection/{slug}/fenetres/{key}/recevabilite",
                     f"/gestion/selection/{slug}/fenetres/{key}/affectations"]
    reviewer_pages = ["/evaluation/"]
    seen = {}
    sign_in_as(client, selection.manager)
    for url in manager_pages:
        seen[url] = client.get(url)
    round_ = rounds.round_of(selection.window, time.now())
    rounds.change_phase(round_, "review", selection.manager, time.now())
    db.session.commit()
    ranking = f"/gestion/selection/{slug}/fenetres/{key}/classement"
    seen[ranking] = client.get(ranking)
    committee = app.test_client()  # the reviewer, in her own browser
    sign_in_as(committee, reviewer)
    for url in reviewer_pages:
        seen[url] = committee.get(url)
    # Her next application to review, picked from her list for the call, is never the withdrawn one.
    assert committee.get(f"/evaluation/{slug}/suivante").headers["Location"].endswith(f"/candidatures/{kept.id}")
    assert committee.get(f"/evaluation/candidatures/{gone.id}").status_code == 404
    for url, response in seen.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert kept.number in page, url
        assert gone.number not in page, url
