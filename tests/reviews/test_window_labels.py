"""A window's key is a name for the call files: on a one-window call (key « unique »), the staff's lists, the
selection pages, the letters, the procès-verbal and the names of downloaded files show no window."""

from __future__ import annotations

import html
import re

from tests.reviews.conftest import sign_in_as
from tests.reviews.test_decisions import add_review, decide_all, deliberate, text_of


def visible(response) -> str:
    """The text a person reads: the PDF's text, the page without its tags (so without URLs), the CSV as it is."""
    if response.mimetype == "application/pdf":
        return text_of(response.get_data())
    body = response.get_data(as_text=True)
    return html.unescape(re.sub(r"<[^>]+>", " ", body)) if response.mimetype == "text/html" else body


def staff_pages(selection) -> list[str]:
    slug, application = selection.call.slug, selection.applications[0]
    window = f"/gestion/selection/{slug}/fenetres/unique"
    return [f"/gestion/appels/{slug}/candidatures", f"/gestion/appels/{slug}/candidatures.csv",
            f"/gestion/selection/{slug}/", f"/gestion/selection/{slug}/comite",
            f"/gestion/selection/{slug}/comite/{selection.reviewers[0].id}",
            f"{window}/affectations", f"{window}/recevabilite", f"{window}/classement", f"{window}/publication",
            f"{window}/scdl", f"{window}/proces-verbal.pdf", f"{window}/notes.csv",
            f"/gestion/appels/{slug}/fenetres/unique/pieces.zip",
            f"/gestion/selection/candidatures/{application.id}",
            f"/gestion/selection/candidatures/{application.id}/lettre.pdf"]


def test_the_staff_never_read_the_key_of_a_one_window_call(client, selection):
    deliberate(selection)
    add_review(selection, selection.applications[0], selection.reviewers[0], {"qualite": 4, "partenariat": 3})
    decide_all(selection)
    sign_in_as(client, selection.manager)
    for path in staff_pages(selection):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "unique" not in response.headers.get("Content-Disposition", ""), path  # the downloaded file's name
        if response.mimetype != "application/zip":
            assert "unique" not in visible(response).lower(), path
    sign_in_as(client, selection.reviewers[0])
    for path in ("/evaluation/", f"/evaluation/{selection.call.slug}/fenetres/unique/classement"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "unique" not in visible(response).lower(), path
