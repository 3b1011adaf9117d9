"""Every page of the conventions' blueprint, walked from the URL map, answers 404 to whoever is outside the file —
another organisation's member, a manager of another issuer, a manager in conflict with the application, a reviewer
of the call — for GET and POST alike, and writes nothing. The issuer's finance department reads, never acts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.followup import conventions
from portal.followup.models import Convention, ConventionVersion, SignedCopy
from portal.reviews.models import Conflict
from tests.conftest import post_form
from tests.fakes.samples import pdf
from tests.followup.conftest import ISSUER, refresh, sign_in_as


@pytest.fixture
def signed(laureate):
    """The laureate's convention, sent and signed by the organisation (a signed copy exists)."""
    convention = conventions.draft(laureate.applications[0], laureate.manager, time.now())
    conventions.send(convention, laureate.manager, time.now())
    conventions.sign_for_organisation(convention, io.BytesIO(pdf()), "signee.pdf", time.today_paris(),
                                      laureate.applicants[0], time.now())
    db.session.commit()
    return laureate, convention


def urls(app, laureate, convention) -> list[tuple[str, str]]:
    copy = convention.versions[0].signed_copies[0]
    values = {"application_id": laureate.applications[0].id, "convention_id": convention.id,
              "slug": laureate.call.slug, "number": 1, "copy_id": copy.id}
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("conventions."):
                continue
            url = app.url_map.bind("localhost").build(rule.endpoint, {k: values[k] for k in rule.arguments})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, url))
    return found


def state(convention) -> tuple:
    convention = refresh(convention)
    return (convention.state, db.session.scalar(select(func.count(AuditEvent.id))),
            db.session.scalar(select(func.count(ConventionVersion.id))),
            db.session.scalar(select(func.count(SignedCopy.id))), db.session.scalar(select(func.count(Convention.id))))


def outsiders(laureate, make_user) -> dict:
    other_issuer = make_user("gestion@nord.fr", "Gestion Nord", grants=[("manager", {"issuer": "Département du Nord"})])
    conflicted = make_user("collegue@pasdecalais.fr", "Camille Collègue", grants=[("manager", {"issuer": ISSUER})])
    db.session.add(Conflict(application_id=laureate.applications[0].id, email=conflicted.email, user_id=conflicted.id,
                            kind="personal", declared_by_role="manager", reason="Proche de la présidente",
                            declared_by_id=laureate.manager.id, declared_at=time.now(),
                            confirmed_by_id=laureate.manager.id, confirmed_at=time.now()))
    db.session.commit()
    return {"another organisation's member": laureate.applicants[1], "a manager of another issuer": other_issuer,
            "a manager in conflict": conflicted, "a reviewer": laureate.reviewers[0]}


def test_the_blueprint_has_pages_to_walk(app, signed):
    laureate, convention = signed
    walked = urls(app, laureate, convention)
    assert len([u for u in walked if u[0] == "GET"]) >= 7 and len([u for u in walked if u[0] == "POST"]) >= 5


def test_outsiders_get_404_everywhere_and_nothing_is_written(app, client, signed, make_user):
    laureate, convention = signed
    people = outsiders(laureate, make_user)
    for who, person in people.items():
        sign_in_as(client, person)
        before = state(convention)
        for method, url in urls(app, laureate, convention):
            if method == "GET":
                response = client.get(url)
                if who == "a manager in conflict" and url.endswith("/conventions"):
                    # The call's list is hers; the file she is in conflict with is not on it.
                    assert response.status_code == 200 and convention.number not in response.get_data(as_text=True)
                    continue
            else:
                response = post_form(client, url, {"signed_on": "2025-07-01", "amount": "1,00",
                                                   "file": (io.BytesIO(pdf()), "x.pdf")},
                                     form_page="/", content_type="multipart/form-data")
            assert response.status_code == 404, (who, method, url, response.status_code)
        assert state(convention) == before, who


def test_the_finance_department_reads_but_does_not_act(app, client, signed, make_user):
    laureate, convention = signed
    finance = make_user("finances@pasdecalais.fr", "Fanny Finances", grants=[("finance", {"issuer": ISSUER})])
    sign_in_as(client, finance)
    before = state(convention)
    assert client.get(f"/gestion/suivi/conventions/{convention.id}").status_code == 200
    assert client.get(f"/gestion/suivi/{laureate.call.slug}/conventions").status_code == 200
    assert client.get(f"/gestion/suivi/conventions/{convention.id}/versions/1.pdf").status_code == 200
    page = client.get(f"/gestion/suivi/conventions/{convention.id}").get_data(as_text=True)
    assert "Enregistrer la signature" not in page
    for action in ("signature", "avenant", "envoyer"):
        response = post_form(client, f"/gestion/suivi/conventions/{convention.id}/{action}",
                             {"signed_on": dt.date.today().isoformat(), "file": (io.BytesIO(pdf()), "x.pdf")},
                             form_page="/", content_type="multipart/form-data")
        assert response.status_code == 404, action
    assert client.get(f"/candidatures/{laureate.applications[0].id}/convention").status_code == 404
    assert state(convention) == before


def test_a_partner_reads_but_only_the_lead_signs(laureate):
    """The rule itself: a member who is neither lead nor partner is 404; the lead signs."""
    from portal.followup import permissions

    convention = conventions.draft(laureate.applications[0], laureate.manager, time.now())
    db.session.commit()
    assert permissions.can_sign_for_organisation(laureate.applicants[0], convention) is None
    assert permissions.can_sign_for_organisation(laureate.applicants[1], convention).status == 404
    assert permissions.can_view_convention(laureate.applicants[1], convention).status == 404
    assert permissions.can_view_convention(laureate.manager, convention) is None
