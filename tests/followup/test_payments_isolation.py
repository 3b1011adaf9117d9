"""Isolation of the payments' pages (issue 17): walking every route of the `payments` blueprint, another
organisation's member, another issuer's manager and finance department, and a committee member of the call get
404 on GET and POST, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.followup import payments
from portal.followup.models import Tranche
from portal.reviews.models import Conflict
from tests.conftest import csrf_token
from tests.followup.payments_setup import OTHER_ISSUER
from tests.followup.payments_setup import build_followed as build_followed  # noqa: F401 - the fixture
from tests.reviews.conftest import sign_in_as

AT = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)


def urls(app, convention, tranche, slug: str):
    values = {"convention_id": convention.id, "tranche_id": tranche.id, "slug": slug, "extension": "csv"}
    found = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("payments."):
            continue
        url = adapter.build(rule.endpoint, {k: v for k, v in values.items() if k in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    assert len(found) >= 8
    return found


def stored(convention_id):
    db.session.expire_all()
    return ([(t.state, t.certified_amount, t.paid_amount) for t in db.session.query(Tranche)
             .filter_by(convention_id=convention_id).order_by(Tranche.position)],
            db.session.query(AuditEvent).count())


@pytest.fixture
def outsiders(build_followed, make_user, make_organisation):
    followed = build_followed()
    convention = followed.conventions[0]
    tranche = payments.on_signature(convention, AT, followed.manager)[0]
    payments.request(tranche, followed.manager, AT)
    db.session.commit()
    member = make_user("presidence@autre-asso.fr", "Autre Présidente")
    make_organisation(member, "Autre association", rna="W621999999")
    people = {
        "another organisation's member": member,
        "the applicant organisation's member": followed.applicants[0],
        "another issuer's manager": make_user("gestion@nord.fr", "Gestion Nord",
                                              grants=[("manager", {"issuer": OTHER_ISSUER})]),
        "another issuer's finance": make_user("finances@nord.fr", "Finances Nord",
                                              grants=[("finance", {"issuer": OTHER_ISSUER})]),
        "a reviewer of the call": make_user("evaluateur@pasdecalais.fr", "Évaluatrice",
                                            grants=[("reviewer", {"call_id": followed.call.uuid})]),
    }
    conflicted = make_user("collegue@pasdecalais.fr", "Camille Collègue",
                           grants=[("manager", {"issuer": followed.call.issuer})])
    db.session.add(Conflict(application_id=convention.application_id, email=conflicted.email, user_id=conflicted.id,
                            kind="personal", declared_by_role="manager", reason="Proche de la présidente",
                            declared_by_id=followed.manager.id, declared_at=time.now(),
                            confirmed_by_id=followed.manager.id, confirmed_at=time.now()))
    db.session.commit()
    people["a manager in conflict with the file"] = conflicted
    return followed, convention, tranche, people


@pytest.mark.parametrize("who", ["another organisation's member", "the applicant organisation's member",
                                 "another issuer's manager", "another issuer's finance", "a reviewer of the call",
                                 "a manager in conflict with the file"])
def test_every_payments_route_is_404_to_outsiders_and_writes_nothing(app, client, outsiders, who):
    followed, convention, tranche, people = outsiders
    sign_in_as(client, people[who])
    before = stored(convention.id)
    for method, url in urls(app, convention, tranche, followed.call.slug):
        if url == "/finances/" and who == "another issuer's finance":
            text = client.get(url).get_data(as_text=True)
            assert convention.number not in text  # her own home, without this issuer's tranches
            continue
        if "/paiements" in url and who == "a manager in conflict with the file" and method == "GET":
            response = client.get(url)  # the call's payments are hers, without the file she is in conflict with
            assert response.status_code == 200
            text = b"".join(response.response).decode("utf-8-sig") if url.endswith(".csv") else response.get_data(as_text=True)
            assert convention.number not in text
            continue
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client), "tranche-0-certified_amount": "6000",
                                              "tranche-0-commitment_ref": "EJ", "tranche-0-payment_ref": "M",
                                              "tranche-0-paid_on": "2025-09-15", "tranche-0-paid_amount": "6000"})
        assert response.status_code == 404, (who, method, url, response.status_code)
    assert stored(convention.id) == before
