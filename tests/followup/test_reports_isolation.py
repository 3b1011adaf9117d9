"""Every route of the reports' blueprint that names a report is a 404, on GET and POST, to another organisation's
member, another issuer's manager, a manager in conflict with the file and a committee member — and writes nothing.
The call's list names no report of a file hidden from its reader."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal.applications.models import Message
from portal.core import time
from portal.core.audit import AuditEvent
from portal.core.mail import OutboxMessage
from portal.extensions import db
from portal.followup import reports
from portal.followup.models import Report
from portal.followup.states import ReportKind
from portal.reviews import conflicts
from tests.conftest import csrf_token
from tests.fakes.samples import pdf
from tests.followup import reports_setup
from tests.reviews.conftest import sign_in_as

awarded = reports_setup.awarded  # the fixture


def _written() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (AuditEvent, OutboxMessage, Message, Report))


def _state(report_id) -> tuple:
    db.session.expire_all()
    report = db.session.get(Report, report_id)
    return (report.state, report.due_on, report.indicator_values, report.qualitative, report.extension_asked_on,
            report.completion_asked, len(report.files))


@pytest.fixture
def outsiders(awarded, make_user, make_organisation):
    other = make_user("autre@asso.fr", "Autre association")
    make_organisation(other, "Association Voisine", rna="W621000099")
    elsewhere = make_user("gestion@nord.fr", "Gestion Nord", grants=[("manager", {"issuer": "Département du Nord"})])
    conflicted = make_user("gestion2@pasdecalais.fr", "Gestionnaire en conflit",
                           grants=[("manager", {"issuer": awarded.call.issuer})])
    conflicts.declare(awarded.application, conflicted.email, "personal", "Ma sœur préside l'association.",
                      "manager", awarded.manager, time.now())
    reviewer = make_user("evaluatrice@pasdecalais.fr", "Évaluatrice",
                         grants=[("reviewer", {"call_id": awarded.call.uuid})])
    db.session.commit()
    return {"autre organisation": other, "autre financeur": elsewhere, "gestionnaire en conflit": conflicted,
            "évaluatrice": reviewer}


def _urls(app, report, file, slug):
    values = {"report_id": report.id, "file_id": file.id, "slug": slug}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("reports.") or not rule.arguments:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
        found += [(method, path, rule.arguments) for method in ("GET", "POST") if method in rule.methods]
    return found


def test_every_report_route_is_404_and_writes_nothing(app, client, awarded, outsiders):
    made = reports.calendar(awarded.convention, by=awarded.manager)
    final = next(r for r in made if r.kind == ReportKind.FINAL)
    file = reports.add_file(final, "rapport-activite", io.BytesIO(pdf()), "rapport.pdf", awarded.applicant,
                            time.now())
    reports.ask_extension(final, final.due_on.replace(month=10), "Comptes certifiés en septembre.",
                          awarded.applicant, time.now())
    db.session.commit()
    urls = _urls(app, final, file, awarded.call.slug)
    assert len(urls) >= 10
    body = {"missing": "Tout.", "decision": "accorder", "new_date": "2026-12-01", "reason": "Parce que.",
            "qualitative": "Réécrit.", "indicator.0": "1", "action": "deposer"}
    for who, person in outsiders.items():
        sign_in_as(client, person)
        before, state = _written(), _state(final.id)
        for method, path, arguments in urls:
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data={"csrf_token": csrf_token(client), **body})
            page = response.get_data(as_text=True)
            if arguments == {"slug"} and who == "gestionnaire en conflit":  # she runs the call, not this file
                assert response.status_code in (200, 303), (who, method, path)
                assert final.label not in page and awarded.application.number not in page, (who, path)
                continue
            assert response.status_code == 404, (who, method, path, response.status_code)
            assert awarded.application.number not in page
        assert _written() == before, who
        assert _state(final.id) == state, who


def test_a_partner_or_finance_does_not_file(app, client, awarded, make_user):
    """The issuer's finance department reads the report on the staff side, and acts on nothing."""
    finance = make_user("finances@pasdecalais.fr", "Finances", grants=[("finance", {"issuer": awarded.call.issuer})])
    final = next(r for r in reports.calendar(awarded.convention) if r.kind == ReportKind.FINAL)
    db.session.commit()
    sign_in_as(client, finance)
    assert client.get(f"/gestion/suivi/bilans/{final.id}").status_code == 200
    before = _written()
    for path in (f"/gestion/suivi/bilans/{final.id}/accepter", f"/gestion/suivi/bilans/{final.id}/completer",
                 f"/suivi/bilans/{final.id}"):
        assert client.post(path, data={"csrf_token": csrf_token(client), "missing": "x"}).status_code == 404
    assert _written() == before
