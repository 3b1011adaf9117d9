"""Nobody outside an application's thread reaches it by changing an id: every URL of the thread (walked from the URL
map: its page, sending, « Marquer comme lu », sharing, the attachments) answers 404, GET and POST alike, to a member
of another organisation, a reviewer of the call not assigned to it, a manager in conflict with it and a reviewer in
conflict with it, and nothing changes — no message, no read mark, no sharing, no e-mail, no audit entry."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.applications import messages
from portal.applications.models import Message, MessageRead
from portal.applications.states import MessageSide
from portal.core import time
from portal.core.audit import AuditEvent
from portal.core.mail import OutboxMessage
from portal.extensions import db
from tests.conftest import csrf_token
from tests.fakes.samples import pdf
from tests.reviews.conftest import ISSUER, deposit_application, sign_in_as


@pytest.fixture
def scene(app, open_call, applicant, make_user, make_organisation, clock):
    from portal.reviews import assignment, conflicts, eligibility, queries, rounds
    from portal.reviews.models import Conflict

    claire, _, organisation = applicant
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    application = deposit_application(open_call, organisation, claire)
    asked = messages.send(application, "Question", [(io.BytesIO(pdf()), "question.pdf")], claire,
                          MessageSide.APPLICANT, time.now())
    answered = messages.send(application, "Réponse", [(io.BytesIO(pdf()), "reponse.pdf")], manager,
                             MessageSide.SERVICE, time.now())
    messages.share(answered, manager, time.now())
    db.session.commit()
    clock("2025-05-12 09:00:00")
    other = make_user("alice@asso-a.fr", "Alice A")
    make_organisation(other, "Association A", rna="W621000009")
    unassigned = make_user("evaluateur@pasdecalais.fr", "Évaluateur libre",
                           grants=[("reviewer", {"call_id": open_call.uuid})])
    conflicted_manager = make_user("direction@pasdecalais.fr", "Gaston Gestion",
                                   grants=[("manager", {"issuer": ISSUER})])
    conflicted_reviewer = make_user("evaluatrice@pasdecalais.fr", "Évaluatrice liée",
                                    grants=[("reviewer", {"call_id": open_call.uuid})])
    checked = {item.key: True for item in eligibility.checklist(application)}
    eligibility.record(application, "eligible", checked, None, manager, time.now())
    rounds.change_phase(rounds.round_of(application.window, time.now()), "review", manager, time.now())
    assignment.assign(application, conflicted_reviewer, manager, time.now())
    conflicts.declare_none(queries.assignment_of(conflicted_reviewer, application), conflicted_reviewer, time.now())
    for person in (conflicted_manager, conflicted_reviewer):
        db.session.add(Conflict(application_id=application.id, email=person.email, user_id=person.id,
                                kind="professional", declared_by_role="manager", declared_at=time.now()))
    db.session.commit()
    values = {"application_id": application.id, "message_id": asked.id, "attachment_id": answered.attachments[0].id}
    return dict(application=application, claire=claire, manager=manager, values=values,
                outsiders=[other, unassigned, conflicted_manager, conflicted_reviewer],
                attachments=[asked.attachments[0].id, answered.attachments[0].id], shared=answered.id)


def thread_routes(app) -> list:
    from portal.applications.views import messages as thread_views

    routes = [rule for rule in app.url_map.iter_rules()
              if getattr(app.view_functions[rule.endpoint], "__module__", "") == thread_views.__name__]
    assert len(routes) >= 5  # page, send, mark read, share, attachment: the walk must find them
    return routes


def stored(application_id) -> tuple:
    db.session.expire_all()

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return (count(Message, Message.application_id == application_id),
            count(Message, Message.application_id == application_id, Message.shared_at.is_not(None)),
            count(MessageRead), count(OutboxMessage), count(AuditEvent, AuditEvent.target == f"application:{application_id}"))


def test_the_routes_answer_those_entitled(app, client, scene):
    """Otherwise a 404 below would prove nothing."""
    values = scene["values"]
    sign_in_as(client, scene["manager"])
    for rule in thread_routes(app):
        url = rule.build(values, append_unknown=False)[1]
        if "GET" in rule.methods:
            assert client.get(url).status_code == 200, url
    sign_in_as(client, scene["claire"])
    assert client.get(f"/candidatures/{scene['application'].id}/messages").status_code == 200
    for attachment in scene["attachments"]:
        assert client.get(f"/candidatures/messages/pieces/{attachment}").status_code == 200


def test_outsiders_get_404_on_every_thread_url_and_nothing_changes(app, client, scene):
    before = stored(scene["application"].id)
    tried = []
    for person in scene["outsiders"]:
        sign_in_as(client, person)
        token = csrf_token(client, "/compte/")
        for rule in thread_routes(app):
            for values in ({**scene["values"], "attachment_id": a} for a in scene["attachments"]):
                url = rule.build(values, append_unknown=False)[1]
                for method in sorted(rule.methods & {"GET", "POST"}):
                    data = {"csrf_token": token, "message": "Intrusion", "jusqu_a": ""} if method == "POST" else None
                    response = client.open(url, method=method, data=data)
                    assert response.status_code == 404, f"{person.email}: {method} {url} answered " \
                                                        f"{response.status_code}"
                    tried.append(f"{method} {rule.endpoint}")
    assert len(tried) >= 4 * 2 * 5
    assert stored(scene["application"].id) == before


def test_a_partner_member_reads_nothing_of_the_thread(app, client, scene, make_user, make_organisation):
    from portal.applications.models import Partner

    partner = make_user("bea@asso-partenaire.fr", "Béa Partenaire")
    organisation = make_organisation(partner, "Association Partenaire", rna="W621000010")
    db.session.add(Partner(application_id=scene["application"].id, email=partner.email, name="Partenaire",
                           token_hash="x" * 64, organisation_id=organisation.id, invited_at=time.now(),
                           accepted_at=time.now()))
    db.session.commit()
    sign_in_as(client, partner)
    assert client.get(f"/candidatures/{scene['application'].id}/messages").status_code == 404
    for attachment in scene["attachments"]:
        assert client.get(f"/candidatures/messages/pieces/{attachment}").status_code == 404
