"""The payment schedule of a convention (issue 17): planned from the call, made due by the signature and the
final report, computed at unit prices with the call's caps, requested, certified by finance only and paid with its
references, added up per call against the envelope and exported for finance."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.core import time
from portal.core.audit import AuditEvent
from portal.core.errors import Refusal
from portal.extensions import db
from portal.followup import payments, payments_totals
from portal.followup.states import TrancheState, Trigger
from tests.conftest import PASSWORD, csrf_token, post_form
from tests.followup.payments_setup import accept_report, funding_2025
from tests.followup.payments_setup import build_followed as build_followed  # noqa: F401 - the fixture
from tests.reviews.conftest import refresh, sign_in_as

pytestmark = pytest.mark.usefixtures("app")
AT = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def signed(followed, index=0):
    convention = followed.conventions[index]
    payments.on_signature(convention, AT, followed.manager)
    return convention


def test_the_2025_call_gives_60_percent_at_signature_and_the_balance_at_the_final_report(build_followed):
    followed = build_followed(funding=funding_2025(unit_costs=[]))
    convention = followed.conventions[0]
    advance, balance = payments.plan(convention, followed.manager)
    assert (advance.label, advance.percent, advance.trigger) == ("Avance", Decimal(60), Trigger.SIGNATURE)
    assert (balance.label, balance.percent, balance.planned_amount, balance.trigger) == (
        "Solde annuel", None, None, Trigger.REPORT)
    with pytest.raises(Refusal, match="déjà établi"):
        payments.plan(convention)

    payments.on_signature(convention, AT)
    assert advance.state == TrancheState.DUE and advance.amount_due == Decimal("6000.00")
    assert plain(advance.computation[-1]) == "60 % de 10 000 € (montant de la convention) = 6 000 €"
    assert balance.state == TrancheState.PLANNED

    payments.on_report_accepted(accept_report(convention), AT)
    assert balance.state == TrancheState.DUE and balance.amount_due == Decimal("4000.00")
    assert plain(balance.computation[-1]) == "Solde : 10 000 € − 6 000 € = 4 000 €"


def test_a_call_without_a_schedule_pays_once_at_signature_and_says_so(build_followed):
    followed = build_followed(funding={})
    (only,) = payments.plan(followed.conventions[0])
    assert (only.percent, only.trigger) == (Decimal(100), Trigger.SIGNATURE)
    assert "ne prévoit pas d'échéancier" in only.computation[0]


def test_an_amount_and_a_date_trigger(build_followed, clock):
    followed = build_followed(funding={"payment_schedule": [
        {"label": "Premier versement", "amount": "2500", "trigger": "date", "on": "2025-10-01"},
        {"label": "Solde", "trigger": "report", "report": "final"}]})
    first, _ = payments.plan(followed.conventions[0])
    assert payments.make_dated_tranches_due(dt.date(2025, 9, 30), AT) == []
    assert payments.make_dated_tranches_due(dt.date(2025, 10, 1), AT) == [first]
    assert first.amount_due == Decimal("2500.00") and first.computation[0] == "Échéance du 1er octobre 2025"


def test_unit_prices_give_the_balance_with_caps_and_the_computation(build_followed):
    followed = build_followed()
    convention = signed(followed)  # advance: 6 000 €
    # 40 diagnostics flash, 5 approfondis, and the weeks of 3 households: 10 (capped to 8), 3 and 8.
    accept_report(convention, {"Diagnostic flash": "40", "Diagnostic approfondi": "5",
                               "Semaine d'accompagnement": ["10", "3", "8"]})
    payments.on_report_accepted(convention.reports[0], AT)
    balance = convention.tranches[1]
    lines = [plain(line) for line in balance.computation]
    assert "Diagnostic flash : 40 × 150 € = 6 000 €" in lines
    assert "Diagnostic approfondi : 5 × 370 € = 1 850 €" in lines
    assert ("Semaine d'accompagnement : 3 ménages, 21 semaines déclarées, 1 ménage plafonné à 8 semaines : "
            "19 × 55 € = 1 045 €") in lines
    assert "Total du service fait : 8 895 €" in lines
    assert balance.amount_due == Decimal("2895.00")  # 8 895 − 6 000 already due


def test_unit_prices_are_capped_by_the_convention_and_what_was_overpaid_is_to_recover(build_followed):
    followed = build_followed()
    convention = signed(followed)
    accept_report(convention, {"Diagnostic flash": "100"})  # 15 000 € of service, the convention says 10 000 €
    payments.on_report_accepted(convention.reports[0], AT)
    assert convention.tranches[1].amount_due == Decimal("4000.00")
    assert "Plafonné au montant de la convention : 10 000 €" in [plain(x) for x in convention.tranches[1].computation]
    assert payments.amount_to_recover(convention) is None

    other = followed.conventions[0]
    other.reports[0].quantities = {"Diagnostic flash": "20"}  # 3 000 € done, 6 000 € advance paid
    advance = other.tranches[0]
    advance.state, advance.paid_amount = TrancheState.PAID, Decimal("6000.00")
    recovery = payments.amount_to_recover(other)
    assert recovery.amount == Decimal("3000.00")
    assert plain(recovery.computation[-1]) == "À reverser : 6 000 € − 3 000 € = 3 000 €"


def test_the_lifecycle_with_its_refusals_and_audit(build_followed, make_user):
    followed = build_followed()
    convention = signed(followed)
    advance = convention.tranches[0]
    with pytest.raises(Refusal, match="gestionnaires"):
        payments.request(advance, followed.finance, AT)
    payments.request(advance, followed.manager, AT)
    assert advance.state == TrancheState.REQUESTED

    with pytest.raises(Refusal, match="service financier"):
        payments.certify(advance, Decimal(6000), followed.manager, AT)
    elsewhere = make_user("finances@nord.fr", "Nord Finances", grants=[("finance", {"issuer": "Département du Nord"})])
    with pytest.raises(Refusal) as refused:
        payments.certify(advance, Decimal(6000), elsewhere, AT)
    assert refused.value.status == 404
    with pytest.raises(Refusal) as refused:
        payments.certify(advance, Decimal("6000.01"), followed.finance, AT)
    assert refused.value.field == "certified_amount" and "dépasse le montant dû" in refused.value.message
    payments.certify(advance, Decimal(6000), followed.finance, AT)
    assert advance.state == TrancheState.CERTIFIED and advance.certified_by_id == followed.finance.id

    with pytest.raises(Refusal) as refused:
        payments.pay(advance, commitment_ref="EJ-2025-17", payment_ref="", paid_on=dt.date(2025, 9, 15),
                     paid_amount=Decimal(6000), by=followed.finance, at=AT)
    assert refused.value.field == "payment_ref"
    payments.pay(advance, commitment_ref="EJ-2025-17", payment_ref="MDT-0042", paid_on=dt.date(2025, 9, 15),
                 paid_amount=Decimal(6000), by=followed.finance, at=AT)
    assert (advance.state, advance.paid_on, advance.paid_amount) == (TrancheState.PAID, dt.date(2025, 9, 15),
                                                                      Decimal("6000.00"))
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert [a for a in actions if a.startswith("payments.")] == [
        "payments.plan", "payments.due", "payments.request", "payments.certify", "payments.pay"]


def test_the_manager_who_asked_never_certifies_even_with_the_finance_role(build_followed, make_user):
    followed = build_followed()
    both = make_user("double@pasdecalais.fr", "Double Casquette", grants=[
        ("manager", {"issuer": followed.call.issuer}), ("finance", {"issuer": followed.call.issuer})])
    advance = signed(followed).tranches[0]
    payments.request(advance, both, AT)
    with pytest.raises(Refusal, match="séparation des tâches"):
        payments.certify(advance, Decimal(6000), both, AT)


@pytest.mark.parametrize("count", [2, 6])
def test_totals_per_call_in_bounded_statements(build_followed, count_queries, count):
    followed = build_followed(count=count)
    for convention in followed.conventions:
        tranche = payments.on_signature(convention, AT)[0]
        payments.request(tranche, followed.manager, AT)
        payments.certify(tranche, Decimal(6000), followed.finance, AT)
    payments.pay(followed.conventions[0].tranches[0], commitment_ref="EJ-1", payment_ref="M-1",
                 paid_on=dt.date(2025, 9, 15), paid_amount=Decimal(6000), by=followed.finance, at=AT)
    db.session.commit()
    db.session.expire_all()
    call = db.session.get(type(followed.call), followed.call.id)
    assert call.spec
    with count_queries() as counted:
        overview = payments_totals.call_overview(call)
    assert counted.count == 2, counted
    assert overview.committed == Decimal(10000) * count
    assert overview.certified == Decimal(6000) * count
    assert overview.paid == Decimal(6000)
    assert overview.envelope == Decimal(100000)
    assert len(overview.rows) == count and overview.rows[0].paid == Decimal(6000)


def test_the_finance_export_in_csv_and_xlsx(build_followed, app):
    followed = build_followed()
    tranche = signed(followed).tranches[0]
    db.session.commit()
    with app.test_request_context():
        response = payments_totals.export_response(followed.call, "csv")
        text = b"".join(response.response).decode("utf-8-sig")
        header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert header == payments_totals.HEADER
        assert header[:3] == ["Convention", "Organisation", "SIRET"]
        assert rows[0][header.index("Tranche")] == "Avance"
        assert rows[0][header.index("Montant dû (€)")] == "6000.00"
        response = payments_totals.export_response(followed.call, "xlsx")
        sheet = load_workbook(io.BytesIO(b"".join(response.response))).active
        values = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
        assert values[header.index("Montant dû (€)")] == 6000
        assert values[header.index("État")] == TrancheState(tranche.state).label
    assert time.now()


# ---- the pages ------------------------------------------------------------------------------------------------

def page(response) -> str:
    return plain(html.unescape(response.get_data(as_text=True)))


def test_the_pages_take_a_tranche_from_due_to_paid_with_errors_at_their_fields(build_followed, client, make_user):
    followed = build_followed()
    convention = followed.conventions[0]
    schedule = f"/gestion/suivi/conventions/{convention.id}/echeancier"
    sign_in_as(client, followed.manager)
    assert "L'échéancier n'est pas encore établi" in page(client.get(schedule))
    assert post_form(client, f"{schedule}/etablir", {}).status_code == 303
    text = page(client.get(schedule))
    assert "Avance — Due" in text and "60 % de 10 000 € (montant de la convention) = 6 000 €" in text
    assert "Solde annuel — Prévue" in text and "à l'acceptation d'un bilan : bilan final" in text.lower()
    advance = refresh(convention).tranches[0]
    assert post_form(client, f"{schedule}/tranches/{advance.id}/demander", {}).status_code == 303
    # The manager cannot certify: refused, nothing written.
    response = post_form(client, f"{schedule}/tranches/{advance.id}/certifier", {"tranche-0-certified_amount": "6000"})
    assert response.status_code in (303, 403)
    assert refresh(convention).tranches[0].state == TrancheState.REQUESTED
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client)})

    sign_in_as(client, followed.finance)
    assert "Service fait à certifier (1)" in page(client.get("/finances/"))
    response = post_form(client, f"{schedule}/tranches/{advance.id}/certifier", {"tranche-0-certified_amount": "6 500"})
    assert response.status_code == 422
    text = page(response)
    assert 'id="tranche-0-certified_amount-error"' in text and "dépasse le montant dû" in text
    assert post_form(client, f"{schedule}/tranches/{advance.id}/certifier",
                     {"tranche-0-certified_amount": "6 000,00"}).status_code == 303
    response = post_form(client, f"{schedule}/tranches/{advance.id}/payer", {
        "tranche-0-commitment_ref": "EJ-2025-17", "tranche-0-payment_ref": "", "tranche-0-paid_on": "2025-09-15",
        "tranche-0-paid_amount": "6000"})
    assert response.status_code == 422 and "Indiquez le numéro de mandat" in page(response)
    response = post_form(client, f"{schedule}/tranches/{advance.id}/payer", {
        "tranche-0-commitment_ref": "E" * 61, "tranche-0-payment_ref": "MDT-42", "tranche-0-paid_on": "2025-02-31",
        "tranche-0-paid_amount": "6000"})
    text = page(response)
    assert response.status_code == 422 and 'id="tranche-0-paid_on-error"' in text and "date valide" in text
    assert 'id="tranche-0-commitment_ref-error"' in text and "60 caractères au plus" in text
    assert refresh(convention).tranches[0].state == TrancheState.CERTIFIED
    assert post_form(client, f"{schedule}/tranches/{advance.id}/payer", {
        "tranche-0-commitment_ref": "EJ-2025-17", "tranche-0-payment_ref": "MDT-42", "tranche-0-paid_on": "2025-09-15",
        "tranche-0-paid_amount": "6000"}).status_code == 303
    text = page(client.get(schedule))
    assert "Avance — Payée" in text and "engagement EJ-2025-17, mandat MDT-42" in text
    text = page(client.get(f"/gestion/suivi/{followed.call.slug}/paiements"))
    assert "Engagé (conventions signées)" in text and "100 000 €" in text and "6 000 €" in text
    response = client.get(f"/gestion/suivi/{followed.call.slug}/paiements.csv")
    assert response.status_code == 200 and "MDT-42" in response.get_data(as_text=True)


def test_a_finance_person_lands_on_her_home_and_sees_finances_in_the_menu(build_followed, client):
    followed = build_followed()
    response = post_form(client, "/compte/connexion", {"email": followed.finance.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/finances/")
    assert 'href="/finances/"' in client.get("/finances/").get_data(as_text=True)


def test_the_daily_command_makes_dated_tranches_due(build_followed, app, clock):
    followed = build_followed(funding={"payment_schedule": [
        {"label": "Versement de septembre", "percent": 50, "trigger": "date", "on": "2025-09-15"},
        {"label": "Solde", "trigger": "report", "report": "final"}]})
    payments.plan(followed.conventions[0])
    db.session.commit()
    clock("2025-09-15 06:00:00")
    result = app.test_cli_runner().invoke(args=["followup", "payments-due"])
    assert result.exit_code == 0 and "1 tranche(s) devenue(s) due(s)." in result.output
    db.session.expire_all()
    assert followed.conventions[0].tranches[0].amount_due == Decimal("5000.00")
