"""Reports (« bilans ») under a convention: their calendar from the call and the law, the form built from the
call's indicators and the deposited budget, the organisation's filing, the service's review, the reminders."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal.applications.models import Message
from portal.core.audit import AuditEvent
from portal.core.errors import Refusal
from portal.core.mail import OutboxMessage
from portal.extensions import db
from portal.followup import reports
from portal.followup.models import Report
from portal.followup.states import ReportKind, ReportState
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.conftest import csrf_token, post_form
from tests.fakes.samples import pdf
from tests.followup import reports_setup
from tests.followup.reports_setup import make_convention
from tests.reviews.conftest import ISSUER, deposit_application, sign_in_as

awarded = reports_setup.awarded  # the fixture


def _calendar(awarded):
    made = reports.calendar(awarded.convention, by=awarded.manager)
    db.session.commit()
    return {r.kind: r for r in made}, made


def _actions(target: str) -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.target == target)
                                                 .order_by(AuditEvent.id))]


def test_calendar_from_the_call_and_the_law(awarded):
    by_kind, made = _calendar(awarded)
    assert [r.kind for r in made] == [ReportKind.INTERIM, ReportKind.FINAL, ReportKind.FINANCIAL,
                                      ReportKind.FINANCIAL]
    final = by_kind[ReportKind.FINAL]
    assert final.due_on == dt.date(2026, 8, 31)
    assert "fin de la convention" in final.label and "ne fixe pas de date" in final.label
    financial = [r for r in made if r.kind == ReportKind.FINANCIAL]
    # Loi 2000-321 art. 10: within six months of the end of each funded year.
    assert [(r.label, r.due_on, r.period_start, r.period_end) for r in financial] == [
        ("Compte rendu financier 2025 (Cerfa n°15059)", dt.date(2026, 6, 30), dt.date(2025, 9, 1),
         dt.date(2025, 12, 31)),
        ("Compte rendu financier 2026 (Cerfa n°15059)", dt.date(2027, 6, 30), dt.date(2026, 1, 1),
         dt.date(2026, 8, 31))]
    assert "mi-parcours" in by_kind[ReportKind.INTERIM].label
    assert reports.calendar(awarded.convention) == []  # never twice
    assert "followup.report_calendar" in _actions(f"convention:{awarded.convention.id}")


def test_calendar_reads_a_dated_milestone_of_the_call(publish_call, clock, make_user, make_organisation):
    clock("2025-04-15 10:00:00")
    call = publish_call(slug="cadre", required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                        evaluation={"interim_report": "Bilan d'étape chaque année."}, milestones=[
        {"date": "2025-07-01", "ends_on": "2025-07-07", "recurrence": "yearly", "until": "2027-07-07",
         "when": "au plus tard la première semaine de juillet", "label": "Bilan d'étape du dispositif"}])
    person = make_user("a@asso.fr", "A")
    application = deposit_application(call, make_organisation(person, "Asso"), person)
    convention = make_convention(application, starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2027, 8, 31))
    made = reports.calendar(convention)
    interim = [r for r in made if r.kind == ReportKind.INTERIM]
    assert [(r.label, r.due_on) for r in interim] == [("Bilan intermédiaire n°1", dt.date(2026, 7, 7)),
                                                      ("Bilan intermédiaire n°2", dt.date(2027, 7, 7))]
    assert not [r for r in made if r.kind == ReportKind.FINAL]  # the call asks for none


def test_form_built_from_the_indicators_with_units_and_targets(awarded, client):
    by_kind, _ = _calendar(awarded)
    final = by_kind[ReportKind.FINAL]
    form = reports.form_of(final)
    assert [(f.label, f.unit, f.target) for f in form.indicators] == [
        ("Nombre de ménages accompagnés", "ménages", "au moins 30 ménages par an"),
        ("Nombre de bailleurs contactés", None, None)]
    assert [q.label for q in form.quantities] == ["Diagnostic flash", "Semaine d'accompagnement"]
    sign_in_as(client, awarded.applicant)
    page = client.get(f"/suivi/bilans/{final.id}").get_data(as_text=True)
    assert '<label for="indicator.0">Nombre de ménages accompagnés' in page
    assert "Objectif : au moins 30 ménages par an" in page
    assert "Pour les équipes mobiles" in page
    assert 'for="quantity.1"' in page and "Prix unitaire : 150 €" in page


def test_number_parsing_errors_at_the_field(awarded, client):
    by_kind, _ = _calendar(awarded)
    final = by_kind[ReportKind.FINAL]
    assert reports.parse_number("1 234,50") == Decimal("1234.50")
    with pytest.raises(ValueError):
        reports.parse_number("douze")
    sign_in_as(client, awarded.applicant)
    response = post_form(client, f"/suivi/bilans/{final.id}", {"indicator.0": "trente", "indicator.1": "1 234",
                                                              "quantity.1": "9", "action": "enregistrer"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="indicator.0-error"' in page and "Saisissez un nombre" in page
    assert 'aria-invalid="true"' in page
    # 9 weeks for one household is no error: the cap applies to that household (test_reports_households).
    assert 'id="quantity.1-error"' not in page
    db.session.expire_all()
    kept = db.session.get(Report, final.id)
    assert kept.indicator_values == {"0": "trente", "1": "1 234"}  # a draft loses nothing
    assert kept.quantities == {"Diagnostic flash": "", "Semaine d'accompagnement": ["9"]}


def test_financial_gap_above_threshold_requires_an_explanation(awarded, client):
    by_kind, made = _calendar(awarded)
    financial = next(r for r in made if r.kind == ReportKind.FINANCIAL)
    form = reports.form_of(financial)
    planned = {line.code: line.planned for line in form.budget}
    assert planned["64"] == Decimal("15000.00") and planned["75"] == Decimal("3000.00")
    sign_in_as(client, awarded.applicant)
    data = {"actual.64": "17 500,00", "actual.74-departement": "12 000", "actual.75": "3 100", "action": "deposer"}
    response = post_form(client, f"/suivi/bilans/{financial.id}", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="gap.64-error"' in page and "dépasse 15 %" in page
    assert 'id="gap.75-error"' not in page  # 3,3 %: under the threshold
    db.session.expire_all()
    assert db.session.get(Report, financial.id).state == ReportState.EXPECTED
    gap = reports.gaps(db.session.get(Report, financial.id))["64"]
    assert (gap.amount, gap.percent, gap.above) == (Decimal("2500.00"), Decimal("16.7"), True)


def _file_final(awarded, client, final):
    sign_in_as(client, awarded.applicant)
    response = client.post(f"/suivi/bilans/{final.id}", data={
        "csrf_token": csrf_token(client),
        "indicator.0": "34", "indicator.1": "12", "quantity.0": "40", "quantity.1": "6",
        "qualitative": "Les freins rencontrés : la mobilité des ménages.", "action": "deposer",
        "file.rapport-activite": (io.BytesIO(pdf()), "rapport.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def test_submit_to_complete_message_then_accepted(awarded, client):
    by_kind, _ = _calendar(awarded)
    final = by_kind[ReportKind.FINAL]
    sign_in_as(client, awarded.applicant)
    response = post_form(client, f"/suivi/bilans/{final.id}", {"action": "deposer", "indicator.0": "34"})
    assert response.status_code == 422
    assert "analyse qualitative" in response.get_data(as_text=True)  # required for the final report
    _file_final(awarded, client, final)
    db.session.expire_all()
    final = db.session.get(Report, final.id)
    assert final.state == ReportState.SUBMITTED and final.quantities == {"Diagnostic flash": "40",
                                                                        "Semaine d'accompagnement": ["6"]}
    assert [f.slot for f in final.files] == ["rapport-activite"]

    sign_in_as(client, awarded.manager)
    page = client.get(f"/gestion/suivi/bilans/{final.id}").get_data(as_text=True)
    assert "34" in page and "la mobilité des ménages" in page
    response = post_form(client, f"/gestion/suivi/bilans/{final.id}/completer",
                         {"missing": "Le tableau des ménages par territoire manque."})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Report, final.id).state == ReportState.TO_COMPLETE
    message = db.session.scalar(select(Message).where(Message.application_id == awarded.application.id))
    assert "Le tableau des ménages par territoire manque." in message.body and message.side == "service"

    sign_in_as(client, awarded.applicant)
    assert post_form(client, f"/suivi/bilans/{final.id}", {
        "indicator.0": "34", "indicator.1": "12", "quantity.0": "40", "quantity.1": "6",
        "qualitative": "Complété : tableau joint.", "action": "deposer"}).status_code == 303
    sign_in_as(client, awarded.manager)
    assert post_form(client, f"/gestion/suivi/bilans/{final.id}/accepter", {}).status_code == 303
    db.session.expire_all()
    final = db.session.get(Report, final.id)
    assert final.state == ReportState.ACCEPTED and final.accepted_by_id == awarded.manager.id
    actions = _actions(f"report:{final.id}")
    for action in ("followup.report_submit", "followup.report_to_complete", "followup.report_accept",
                   "followup.report_file"):
        assert action in actions


def test_extension_asked_and_granted(awarded, client):
    by_kind, _ = _calendar(awarded)
    final = by_kind[ReportKind.FINAL]
    sign_in_as(client, awarded.applicant)
    assert post_form(client, f"/suivi/bilans/{final.id}/delai", {"new_date": "2026-10-15", "reason": ""}
                     ).status_code == 422
    assert post_form(client, f"/suivi/bilans/{final.id}/delai", {
        "new_date": "2026-10-15", "reason": "Le commissaire aux comptes certifie en septembre."}).status_code == 303
    sign_in_as(client, awarded.manager)
    assert "Le commissaire aux comptes" in client.get(f"/gestion/suivi/bilans/{final.id}").get_data(as_text=True)
    assert post_form(client, f"/gestion/suivi/bilans/{final.id}/delai", {"decision": "accorder"}).status_code == 303
    db.session.expire_all()
    final = db.session.get(Report, final.id)
    assert final.due_on == dt.date(2026, 10, 15) and final.extension_asked_on is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "followup.report_extension_grant"))
    assert event.details["before"] == "2026-08-31" and event.details["asked"] == "2026-10-15"
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.like("Demande de délai accordée%")))


def test_reminders_before_and_after_once_each(awarded, app, clock):
    by_kind, _ = _calendar(awarded)
    runner = app.test_cli_runner()
    clock("2026-08-16 08:00:00")  # 15 days before the final report's due date
    result = runner.invoke(args=["followup", "remind-reports"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    final = db.session.get(Report, by_kind[ReportKind.FINAL].id)
    assert final.reminded_before_at is not None and final.reminded_after_at is None
    subjects = [m.subject for m in db.session.scalars(select(OutboxMessage))]
    assert any(s.startswith("Bilan à déposer avant le 31 août 2026") for s in subjects)
    runner.invoke(args=["followup", "remind-reports"])
    assert len([s for s in db.session.scalars(select(OutboxMessage.subject)) if "Bilan final" in s]) == 1
    clock("2026-09-07 08:00:00")  # 7 days after
    runner.invoke(args=["followup", "remind-reports"])
    runner.invoke(args=["followup", "remind-reports"])
    late = [s for s in db.session.scalars(select(OutboxMessage.subject)) if s.startswith("Bilan en retard — Bilan final")]
    assert len(late) == 1


def test_reports_status_on_the_next_application_staff_page(awarded, client, clock, publish_call):
    by_kind, made = _calendar(awarded)
    for report in made[:2]:
        report.state = ReportState.ACCEPTED
    db.session.commit()
    clock("2027-07-15 10:00:00")  # both 15059 reports are now past due: the first late, the second too
    status = reports.reports_status_of(awarded.organisation.id, awarded.call.issuer)
    assert (status.accepted, status.late) == (2, 2)
    clock("2027-04-15 10:00:00")
    call = publish_call(slug="equipes-mobiles-2027", required_documents=DOCUMENTS, questions=QUESTIONS,
                        declarations=DECLARATIONS, issuer={"body": ISSUER},
                        windows=[{"key": "unique", "opens_on": "2027-04-01", "closes_on": "2027-05-09"}])
    second = deposit_application(call, awarded.organisation, awarded.applicant)
    clock("2027-07-15 10:00:00")
    sign_in_as(client, awarded.manager)
    page = client.get(f"/gestion/candidatures/{second.id}").get_data(as_text=True)
    assert "Bilans des subventions précédentes : 2 acceptés, 2 en retard" in page


def test_the_reports_are_reached_from_the_application_pages(awarded, client):
    by_kind, made = _calendar(awarded)
    final = by_kind[ReportKind.FINAL]
    sign_in_as(client, awarded.applicant)
    page = client.get(f"/candidatures/{awarded.application.id}/").get_data(as_text=True)
    assert "Bilans à rendre" in page and f"/suivi/bilans/{final.id}" in page
    mine = client.get("/suivi/bilans").get_data(as_text=True)
    assert all(str(escape(r.label)) in mine for r in made) and "dans 364 jours" in mine
    sign_in_as(client, awarded.manager)
    staff_list = client.get(f"/gestion/appels/{awarded.call.slug}/candidatures").get_data(as_text=True)
    assert f"/gestion/suivi/{awarded.call.slug}/bilans" in staff_list
    listed = client.get(f"/gestion/suivi/{awarded.call.slug}/bilans").get_data(as_text=True)
    assert f"/gestion/suivi/bilans/{final.id}" in listed and awarded.application.number in listed


def test_the_calendar_is_made_from_the_call_list(awarded, client):
    sign_in_as(client, awarded.manager)
    page = client.get(f"/gestion/suivi/{awarded.call.slug}/bilans").get_data(as_text=True)
    assert "1 convention sans calendrier" in page
    response = post_form(client, f"/gestion/suivi/{awarded.call.slug}/bilans/calendrier", {})
    assert response.status_code == 303
    db.session.expire_all()
    assert len(db.session.scalars(select(Report)).all()) == 4


def test_the_gap_threshold_is_the_portals_setting(awarded, app, monkeypatch):
    _, made = _calendar(awarded)
    financial = next(r for r in made if r.kind == ReportKind.FINANCIAL)
    financial.budget_actual = {"64": "17 500,00", "74-departement": "12 000", "75": "3 000"}
    assert reports.gaps(financial)["64"].above
    monkeypatch.setitem(app.config, "FOLLOWUP_GAP_THRESHOLD_PERCENT", 20)
    assert not reports.gaps(financial)["64"].above and "gap.64" not in reports.missing(financial)


def test_extension_refused_keeps_the_date_and_tells_the_organisation(awarded, client):
    by_kind, _ = _calendar(awarded)
    final = by_kind[ReportKind.FINAL]
    reports.ask_extension(final, dt.date(2026, 12, 31), "Retard de l'expert-comptable.", awarded.applicant,
                          dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    db.session.commit()
    sign_in_as(client, awarded.manager)
    assert post_form(client, f"/gestion/suivi/bilans/{final.id}/delai", {"decision": "refuser"}).status_code == 303
    db.session.expire_all()
    final = db.session.get(Report, final.id)
    assert final.due_on == dt.date(2026, 8, 31) and final.extension_asked_on is None
    assert "followup.report_extension_refuse" in _actions(f"report:{final.id}")
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.like("Demande de délai refusée%")))
    assert mail.recipient == awarded.applicant.email and "reste attendu le 31 août 2026" in mail.body


def test_every_typed_text_has_a_largest_length(awarded):
    by_kind, _ = _calendar(awarded)
    final = by_kind[ReportKind.FINAL]
    errors = reports.save(final, {"indicator.0": "1" * 31, "qualitative": "x" * 20001}, awarded.applicant,
                          dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    assert set(errors) == {"indicator.0", "qualitative"} and len(final.indicator_values["0"]) == 30
    with pytest.raises(Refusal) as refused:
        reports.ask_extension(final, dt.date(2026, 12, 1), "x" * 2001, awarded.applicant,
                              dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    assert refused.value.field == "reason"


def test_a_manager_in_conflict_with_an_earlier_file_reads_nothing_of_its_reports(awarded, client, clock, publish_call,
                                                                               make_user):
    """The earlier grants' reports on a new application's page are an aggregate of the earlier files: one hidden
    from her (a conflict of interest) counts for nothing there."""
    from portal.core import time
    from portal.reviews import conflicts

    _, made = _calendar(awarded)
    made[0].state = ReportState.ACCEPTED
    colleague = make_user("collegue@pasdecalais.fr", "Camille Collègue", grants=[("manager", {"issuer": ISSUER})])
    conflicts.declare(awarded.application, colleague.email, "personal", "Ma sœur préside l'association.", "manager",
                      awarded.manager, time.now())
    db.session.commit()
    clock("2027-04-15 10:00:00")
    call = publish_call(slug="equipes-mobiles-2027", required_documents=DOCUMENTS, questions=QUESTIONS,
                        declarations=DECLARATIONS, issuer={"body": ISSUER},
                        windows=[{"key": "unique", "opens_on": "2027-04-01", "closes_on": "2027-05-09"}])
    second = deposit_application(call, awarded.organisation, awarded.applicant)
    clock("2027-07-15 10:00:00")
    sign_in_as(client, awarded.manager)
    assert "Bilans des subventions précédentes : 1 accepté" in client.get(f"/gestion/candidatures/{second.id}").get_data(
        as_text=True)
    sign_in_as(client, colleague)
    page = client.get(f"/gestion/candidatures/{second.id}")
    assert page.status_code == 200 and "Bilans des subventions précédentes" not in page.get_data(as_text=True)
