"""Issue 15, the reviewer's home (/evaluation/): per call, her assigned files with what is left to do (« À ouvrir »,
« Brouillon », « Soumise »), counted; the day the manager set for the reviews with its countdown and « en retard »
once passed; « Dossier suivant » takes her to her next file in one click; the same statements for 1 and 4 calls."""

from __future__ import annotations

import datetime as dt
import re

from portal.core import time
from portal.extensions import db
from portal.reviews import rounds
from tests.reviews import test_review_due_date as due
from tests.reviews.conftest import sign_in_as

assign = due.assign
in_review, committee_work = due.in_review, due.committee_work  # the same files and committee


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_her_home_says_what_is_left_per_file_with_counts_and_the_due_date(client, committee_work):
    s = committee_work
    one = s.reviewers[0]
    assign(s, s.applications[2], one, draft=False)
    from portal.reviews.models import Review

    db.session.add(Review(application_id=s.applications[2].id, reviewer_id=one.id, status="draft",
                          created_at=time.now(), updated_at=time.now()))
    db.session.commit()
    sign_in_as(client, one)
    page = text(client.get("/evaluation/"))
    assert "Il vous reste 2 évaluations à remettre" in page
    assert "Date limite des évaluations 20 mai 2025 (dans 8 jours)" in page  # Monday 12 May, Paris
    assert "À ouvrir 1" in page and "Brouillons 1" in page and "Soumises 1 / 3" in page
    first, second, third = (s.applications[i].number for i in (0, 1, 2))
    assert re.search(rf"{first} Association Alpha Soumise", page)
    assert re.search(rf"{second} Association Bêta À ouvrir", page)
    assert re.search(rf"{third} Association Gamma Brouillon", page)
    assert "En retard" not in page and "en retard" not in page


def test_past_the_due_date_her_undone_files_are_marked_late(client, committee_work, clock):
    s = committee_work
    clock("2025-05-22 09:00:00")
    sign_in_as(client, s.reviewers[0])
    page = text(client.get("/evaluation/"))
    assert "20 mai 2025 (dépassée de 2 jours) En retard" in page
    assert re.search(rf"{s.applications[1].number} Association Bêta À ouvrir en retard", page)
    assert not re.search(rf"{s.applications[0].number} Association Alpha Soumise en retard", page)


def test_a_file_she_is_in_conflict_with_leaves_her_home(client, committee_work):
    sign_in_as(client, committee_work.reviewers[2])
    page = text(client.get("/evaluation/"))
    assert committee_work.applications[3].number not in page


def test_dossier_suivant_opens_her_next_file_in_one_click(client, committee_work):
    s = committee_work
    sign_in_as(client, s.reviewers[0])
    html = client.get("/evaluation/").get_data(as_text=True)
    link = re.search(r'<a class="button" href="([^"]+)">Dossier suivant', html)[1]
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/evaluation/candidatures/{s.applications[1].id}")


def test_without_a_due_date_her_home_says_so(client, committee_work):
    s = committee_work
    round_ = rounds.round_of(s.window, time.now())
    rounds.set_reviews_due_on(round_, None, by=s.manager, at=time.now())
    db.session.commit()
    sign_in_as(client, s.reviewers[0])
    assert "Date limite des évaluations non fixée" in text(client.get("/evaluation/"))


def _statements(client, count_queries) -> int:
    with count_queries() as queries:
        response = client.get("/evaluation/")
    assert response.status_code == 200
    return queries.count


def test_her_home_reads_the_same_number_of_statements_for_1_and_4_calls(
        client, committee_work, publish_call, make_user, count_queries):
    from portal.accounts import roles

    s = committee_work
    one = s.reviewers[0]
    sign_in_as(client, one)
    single = _statements(client, count_queries)
    for number in (1, 2, 3):
        call = publish_call(f"appel-{number}", title=f"Appel numéro {number}",
                            windows=[{"key": "a", "opens_on": "2025-04-01", "closes_on": "2025-05-09"},
                                     {"key": "b", "opens_on": "2025-06-01", "closes_on": "2025-07-09"}])
        roles.grant_role(one, "reviewer", by=None, call_id=call.uuid)
    db.session.commit()
    four = _statements(client, count_queries)
    assert text(client.get("/evaluation/")).count("Appel numéro") == 3
    assert four == single, (single, four)
    assert single <= 8, single


def test_a_date_in_the_past_is_not_late_once_everything_is_in(client, in_review, clock):
    from tests.reviews.test_decisions import add_review

    add_review(in_review, in_review.applications[0], in_review.reviewers[0], {"qualite": 4, "partenariat": 3})
    clock(dt.datetime(2025, 5, 25, 9, tzinfo=time.PARIS))
    sign_in_as(client, in_review.reviewers[0])
    page = text(client.get("/evaluation/"))
    assert "En retard" not in page and "Aucune évaluation ne vous reste à remettre" in page
