"""The pages that list many rows read them in a bounded number of statements, whatever the number of rows: the
public catalogue, the staff list of a call's applications and the ranking of a window. Each count is pinned as
measured, at two sizes of data, so that a query per row (N+1) added by a change fails here."""

from __future__ import annotations

import pytest

from tests.reviews.conftest import AFTER_CLOSING, CRITERIA, ISSUER, Selection, deposit_application, sign_in_as
from tests.reviews.test_decisions import add_review, deliberate

SIZES = (3, 12)


def statements_of(client, url: str, count_queries):
    """The statements the page sends (the test's own setup is done and committed before)."""
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return queries


def shown(statements: list[str]) -> str:
    return "\n".join(" ".join(statement.split())[:160] for statement in statements)


# ---- the public catalogue --------------------------------------------------------------------------------

# /appels/ for a visitor, as measured at issue 18: the page cache's state of the catalogue (catalog.public_pages,
# one statement, held a second per process in production), the COUNT of the matching calls, the page's ids sorted
# over the calls' small columns, its 20 calls at most, their windows (selectin), the filters' choices in one
# statement (queries.facets): 6, nothing per call and nothing that grows with the archives
# (tests/catalog/test_catalogue_sql_scale.py checks it with 5,000 calls). Issue 14 read 7, all calls included.
CATALOGUE = 6


@pytest.mark.parametrize("size", SIZES)
def test_the_catalogue_reads_a_bounded_number_of_statements_whatever_the_number_of_calls(
        client, publish_call, clock, count_queries, size):
    clock("2025-04-15 10:00:00")
    for number in range(size):
        publish_call(f"appel-{number}", title=f"Appel numéro {number} pour les équipes mobiles")
    statements = statements_of(client, "/appels/", count_queries)
    assert statements.count <= CATALOGUE, f"{size} calls, {statements.count} statements:\n{shown(statements)}"


# ---- the staff list of a call's applications and the ranking ---------------------------------------------

def _selection(size: int, publish_call, clock, make_user, make_organisation) -> Selection:
    """`size` associations deposited before the deadline (as tests/reviews/conftest.py's `selection`)."""
    from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
    from tests.reviews.conftest import SIGNATORY

    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                        required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        selection_criteria=CRITERIA,
                        issuer={"body": ISSUER, "siren": "226200012", "signatory": SIGNATORY})
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    reviewers = [make_user(f"evaluateur{i}@pasdecalais.fr", f"Évaluateur {i}",
                           grants=[("reviewer", {"call_id": call.uuid})]) for i in (1, 2)]
    selection = Selection(call=call, window=call.windows[0], manager=manager, reviewers=reviewers)
    for index in range(1, size + 1):
        person = make_user(f"presidence@asso{index}.fr", f"Présidente {index}")
        organisation = make_organisation(person, f"Association {index}", rna=f"W6210{index:05d}")
        selection.applicants.append(person)
        selection.organisations.append(organisation)
        selection.applications.append(deposit_application(call, organisation, person))
    clock(AFTER_CLOSING)
    return selection


@pytest.fixture
def selection_of(publish_call, clock, make_user, make_organisation):
    return lambda size: _selection(size, publish_call, clock, make_user, make_organisation)


# /gestion/appels/<slug>/candidatures for a call manager, as measured at issue 14: the signed-in person (her sign-in
# session), the call by its slug with its revisions, tags and windows (4), her role grants, the applications her
# conflicts of interest hide; the applications with their window and organisation, then « selectin » for all of
# them at once their partners, piece requests, call, window, versions and files (6); the organisations
# (queries.organisations_by_id); the conflicts again and the counts by status (queries.counts_by_status): 17. Issue
# 15: the unread messages of every listed application in one statement (messages.unread_by_application): 18.
STAFF_LIST = 18


@pytest.mark.parametrize("size", SIZES)
def test_the_staff_list_reads_a_bounded_number_of_statements_whatever_the_number_of_applications(
        client, selection_of, count_queries, size):
    selection = selection_of(size)
    sign_in_as(client, selection.manager)
    statements = statements_of(client, f"/gestion/appels/{selection.call.slug}/candidatures", count_queries)
    assert statements.count <= STAFF_LIST, f"{size} applications, {statements.count} statements:\n{shown(statements)}"


# /gestion/selection/<slug>/fenetres/unique/classement for the call's manager in deliberation, as measured at issue
# 14: the signed-in person, the call with its revisions, tags and windows (4), her role grants, the window's review
# round and the call's review settings, the conflicts that hide applications from her (reviewable), the ranking
# itself in one statement (ranking.rank: WITH counted AS ...), the conflicts again and the total awarded
# (envelope.envelope_of): 12; since issue 15, the marks of the files registered by the service from a letter or an
# e-mail (applications.registration.marks_of, one statement for all rows): 13.
RANKING = 13


@pytest.mark.parametrize("size", SIZES)
def test_the_ranking_reads_a_bounded_number_of_statements_whatever_the_number_of_applications(
        client, selection_of, count_queries, size):
    selection = selection_of(size)
    deliberate(selection)
    first, second = selection.reviewers
    for application in selection.applications:
        add_review(selection, application, first, {"qualite": 4, "partenariat": 3, "budget": 6})
        add_review(selection, application, second, {"qualite": 2, "partenariat": 5, "budget": 8})
    sign_in_as(client, selection.manager)
    statements = statements_of(client, f"/gestion/selection/{selection.call.slug}/fenetres/unique/classement",
                               count_queries)
    assert statements.count <= RANKING, f"{size} applications, {statements.count} statements:\n{shown(statements)}"
