"""A refused form on the selection side leads back to the page its view names (core.errors.refusals_go_to), with
the reason flashed as an error and nothing written — wherever the form was sent from."""

from __future__ import annotations

from portal.core.audit import AuditEvent
from portal.extensions import db
from tests.conftest import post_form
from tests.reviews.conftest import sign_in_as


def _flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return session.get("_flashes", [])


def test_withdrawing_an_assignment_that_does_not_exist_leads_back_to_the_applications_committee(client, selection):
    application, carol = selection.applications[0], selection.reviewers[0]
    sign_in_as(client, selection.manager)
    audited = db.session.query(AuditEvent).count()
    response = post_form(client, f"/gestion/selection/candidatures/{application.id}/affectations/{carol.id}/retirer",
                         {}, headers={"Referer": "http://localhost/ailleurs"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/gestion/selection/candidatures/{application.id}/comite"
    assert _flashes(client) == [
        ("error", f"{carol.name} n'est pas affecté(e) à la candidature {application.number}.")]
    assert db.session.query(AuditEvent).count() == audited


def test_an_empty_assignment_file_leads_back_to_the_assignments_matrix(client, selection):
    import io

    sign_in_as(client, selection.manager)
    slug, key = selection.call.slug, selection.window.key
    response = post_form(client, f"/gestion/selection/{slug}/fenetres/{key}/affectations/import",
                         {"file": (io.BytesIO(b"\n"), "affectations.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/gestion/selection/{slug}/fenetres/{key}/affectations"
    assert _flashes(client) == [("error", "Le fichier est vide.")]
