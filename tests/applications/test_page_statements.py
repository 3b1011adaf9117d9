"""An applicant's pages during a deposit read only what they show (issue 18: a deposit's 17 requests cost the
server's CPU, a third of it in SQL). Each count is pinned as measured, so that a statement added to every request
fails here; the pages still show what they showed (the other tests of tests/applications/)."""

from __future__ import annotations

import io

import pytest

from tests.applications.conftest import fill, start, upload
from tests.applications.test_deposit import sign_in_as
from tests.conftest import post_form
from tests.fakes.samples import pdf

# As measured once the application is read in one statement with its window, call and versions, and its files,
# partners and piece requests only when the page uses them: the sign-in session, the application, the membership
# that lets her in, then the page's own reads (and the menu's role grants). Before: 10, 12 and 10.
PAGES = {"formulaire": 4, "pieces": 8, "deposer": 5}
# The same three and the files already there, then the application's revision, the file's row and its audit entry
# (before: 12).
UPLOAD = 7


@pytest.fixture
def draft(client, open_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    fill(client, url)
    upload(client, url, "statuts", pdf(), "statuts.pdf")
    return url


@pytest.mark.parametrize("page", sorted(PAGES))
def test_an_applicants_page_reads_a_bounded_number_of_statements(client, draft, count_queries, page):
    with count_queries() as statements:
        response = client.get(f"{draft}{page}")
    assert response.status_code == 200
    shown = "\n".join(" ".join(s.split())[:140] for s in statements)
    assert statements.count <= PAGES[page], f"{page}: {statements.count} statements:\n{shown}"


def test_an_upload_reads_and_writes_a_bounded_number_of_statements(client, draft, count_queries):
    data = {"file": (io.BytesIO(pdf() + b"% cerfa\n"), "cerfa.pdf")}
    with count_queries() as statements:
        response = post_form(client, f"{draft}pieces/cerfa-12156", data, content_type="multipart/form-data",
                             headers={"X-Upload": "1"})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    shown = "\n".join(" ".join(s.split())[:140] for s in statements)
    assert statements.count <= UPLOAD, f"{statements.count} statements:\n{shown}"
