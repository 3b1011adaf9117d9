"""The managers' committee and assignment pages: naming reviewers by e-mail, removing them, assigning from either
side, the matrix with its bulk, CSV and automatic forms — and each refusal said in French."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import select

from portal.accounts.models import Membership
from portal.accounts.permissions import is_reviewer_of
from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import assignment, committee
from portal.reviews.models import Assignment, Conflict
from tests.conftest import post_form
from tests.reviews.conftest import refresh, sign_in_as


def shown(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def pairs() -> set:
    return set(map(tuple, db.session.execute(select(Assignment.application_id, Assignment.reviewer_id))))


def test_the_manager_names_a_reviewer_who_has_an_account_and_not_one_who_has_none(client, selection, make_user):
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/{selection.call.slug}/comite"
    page = post_form(client, url, {"email": "personne@nulle-part.fr"})
    assert "Aucun compte n'existe pour cette adresse : demandez à la personne de créer son compte" in \
        shown(page)
    newcomer = make_user("nouvelle@pasdecalais.fr", "Nadia Nouvelle")
    response = post_form(client, url, {"email": "Nouvelle@PasDeCalais.fr "}, follow_redirects=True)
    text = shown(response)
    assert "Nadia Nouvelle fait maintenant partie du comité." in text and "nouvelle@pasdecalais.fr" in text
    assert is_reviewer_of(refresh(newcomer), selection.call.uuid)
    again = shown(post_form(client, url, {"email": newcomer.email}))
    assert "Nadia Nouvelle fait déjà partie du comité de cet appel." in again
    assert db.session.query(AuditEvent).filter_by(action="review.committee_add").count() == 1


def test_a_new_reviewer_who_belongs_to_an_applying_organisation_is_in_conflict_at_once(selection, make_user):
    person = make_user("tresoriere@asso2.fr", "Trésorière Bêta")
    db.session.add(Membership(organisation_id=selection.organisations[1].id, user_id=person.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    committee.add_reviewer(selection.call, person.email, selection.manager)
    rows = db.session.scalars(select(Conflict)).all()
    assert [(c.application_id, c.email, c.kind, c.declared_by_role) for c in rows] == [
        (selection.applications[1].id, person.email, "member", "system")]
    committee.remove_reviewer(selection.call, refresh(person), selection.manager)
    committee.add_reviewer(selection.call, person.email, selection.manager)
    assert db.session.query(Conflict).count() == 1  # idempotent


def test_removing_a_reviewer_keeps_her_assignments_but_says_they_give_no_access(client, selection):
    alice = selection.reviewers[0]
    assignment.assign(selection.applications[0], alice, selection.manager, time.now())
    db.session.commit()  # the use case flushes; the test stands for its request's commit
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/{selection.call.slug}/comite"
    response = post_form(client, f"{url}/{alice.id}/retirer", {}, form_page=url, follow_redirects=True)
    assert "ne lui donnent plus accès aux dossiers" in shown(response)
    assert not is_reviewer_of(refresh(alice), selection.call.uuid)
    assert pairs() == {(selection.applications[0].id, alice.id)}
    assert client.get(f"{url}/{alice.id}").status_code == 404  # no longer on the committee


def test_the_committee_page_shows_each_reviewers_load(client, selection):
    assignment.auto_assign(selection.window, 2, None, selection.manager, time.now())
    sign_in_as(client, selection.manager)
    text = shown(client.get(f"/gestion/selection/{selection.call.slug}/comite"))
    assert "3 membres du comité" in text
    for reviewer in selection.reviewers:
        assert reviewer.name in text


def test_one_reviewers_applications_are_ticked_and_unticked(client, selection):
    alice = selection.reviewers[0]
    a, b, c, d = selection.applications
    db.session.add(Membership(organisation_id=selection.organisations[3].id, user_id=alice.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/{selection.call.slug}/comite/{alice.id}"
    page = shown(client.get(url))
    assert "Conflit d'intérêts" in page and f'value="{d.id}"' not in page
    post_form(client, url, {"applications": [str(a.id), str(b.id)]})
    assert pairs() == {(a.id, alice.id), (b.id, alice.id)}
    response = post_form(client, url, {"applications": [str(b.id), str(c.id), str(d.id)]}, follow_redirects=True)
    assert pairs() == {(b.id, alice.id), (c.id, alice.id)}
    assert "2 affectation(s) modifiée(s)" in shown(response)


def test_the_matrix_bulk_form_assigns_and_reports_refusals(client, selection):
    a, b = selection.applications[:2]
    alice, bob, carol = selection.reviewers
    db.session.add(Membership(organisation_id=selection.organisations[1].id, user_id=carol.id, role="member",
                              joined_at=time.now()))
    db.session.commit()
    sign_in_as(client, selection.manager)
    matrix = f"/gestion/selection/{selection.call.slug}/fenetres/unique/affectations"
    page = shown(client.get(matrix))
    assert a.number in page and "Conflit" in page
    response = post_form(client, f"{matrix}/groupe", {"applications": [str(a.id), str(b.id)],
                                                      "reviewers": [str(bob.id), str(carol.id)]}, form_page=matrix)
    text = shown(response)
    assert response.status_code == 200
    assert f"Évaluateur 3 est en conflit d'intérêts avec la candidature {b.number}." in text
    assert pairs() == {(a.id, bob.id), (a.id, carol.id), (b.id, bob.id)}


def test_the_csv_upload_gives_a_report_line_by_line(client, selection):
    a, b = selection.applications[:2]
    sign_in_as(client, selection.manager)
    matrix = f"/gestion/selection/{selection.call.slug}/fenetres/unique/affectations"
    assert "numero;email" in shown(client.get(matrix))
    content = f"numero;email\n{a.number};{selection.reviewers[0].email}\n{b.number};inconnu@exemple.fr\n"
    response = post_form(client, f"{matrix}/import", {"file": (io.BytesIO(content.encode()), "affectations.csv")},
                         form_page=matrix, content_type="multipart/form-data")
    text = shown(response)
    assert "1 ligne appliquée, 1 refusée" in text
    assert "Aucun compte n'existe pour l'adresse inconnu@exemple.fr." in text
    assert pairs() == {(a.id, selection.reviewers[0].id)}


def test_the_automatic_form_is_prefilled_from_the_settings_and_reports_shortfalls(client, selection):
    sign_in_as(client, selection.manager)
    matrix = f"/gestion/selection/{selection.call.slug}/fenetres/unique/affectations"
    page = shown(client.get(matrix))
    assert re.search(r'<input[^>]*id="k"[^>]*value="2"', page) and re.search(r'<input[^>]*id="limit"[^>]*>', page)
    response = post_form(client, f"{matrix}/auto", {"k": "3", "limit": "3"}, form_page=matrix)
    text = shown(response)
    assert "9 affectations faites" in text
    assert selection.applications[3].number in text and "3 au plafond de 3" in text


def test_one_applications_page_adds_and_withdraws_a_reviewer(client, selection):
    application, bob = selection.applications[0], selection.reviewers[1]
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/candidatures/{application.id}/comite"
    response = post_form(client, url, {"reviewer": str(bob.id)}, follow_redirects=True)
    assert f"Évaluateur 2 évaluera la candidature {application.number}." in shown(response)
    assert pairs() == {(application.id, bob.id)}
    response = post_form(client, f"/gestion/selection/candidatures/{application.id}/affectations/{bob.id}/retirer",
                         {}, form_page=url, follow_redirects=True)
    assert "reste enregistrée mais ne compte plus" in shown(response)
    assert pairs() == set()
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("review.%")))]
    assert actions.count("review.assign") == 1 and actions.count("review.unassign") == 1


def test_the_pages_are_404_for_reviewers_and_managers_of_another_issuer(client, selection, make_user):
    other = make_user("gestion@nord.fr", "Gestion Nord", grants=[("manager", {"issuer": "Département du Nord"})])
    urls = [f"/gestion/selection/{selection.call.slug}/comite",
            f"/gestion/selection/{selection.call.slug}/comite/{selection.reviewers[0].id}",
            f"/gestion/selection/{selection.call.slug}/fenetres/unique/affectations",
            f"/gestion/selection/{selection.call.slug}/conflits",
            f"/gestion/selection/candidatures/{selection.applications[0].id}/comite"]
    for person in (selection.reviewers[0], other):
        sign_in_as(client, person)
        for url in urls:
            assert client.get(url).status_code == 404, (person.email, url)


def test_the_matrix_costs_the_same_number_of_queries_whatever_the_number_of_applications(
        client, selection, clock, make_user, make_organisation):
    from sqlalchemy import event

    from tests.reviews.conftest import AFTER_CLOSING, deposit_application

    matrix = f"/gestion/selection/{selection.call.slug}/fenetres/unique/affectations"
    sign_in_as(client, selection.manager)
    assignment.auto_assign(selection.window, 2, None, selection.manager, time.now())

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(matrix).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    before = statements()
    clock("2025-05-02 10:00:00")
    for index in (5, 6, 7):
        person = make_user(f"presidence@asso{index}.fr", f"Présidente {index}")
        deposit_application(selection.call, make_organisation(person, f"Association {index}", rna=f"W62100000{index}"),
                            person)
    clock(AFTER_CLOSING)
    assignment.auto_assign(selection.window, 2, None, selection.manager, time.now())
    assert statements() <= before  # seven applications cost no more than four
