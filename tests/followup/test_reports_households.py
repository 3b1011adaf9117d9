"""A unit cost capped by the call is capped per household accompanied (« La semaine d'accompagnement : 55 €.
L'accompagnement sera limité à 8 semaines soit 440 € maximum », 2025 Pas-de-Calais): the report asks one figure
per household, one a line, and the balance caps each household, never the total."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from markupsafe import escape

from portal.extensions import db
from portal.followup import payments, reports
from portal.followup.models import Report
from portal.followup.states import ReportKind, ReportState
from tests.conftest import post_form
from tests.followup import reports_setup
from tests.followup.payments_setup import build_followed as build_followed  # noqa: F401 - the fixture
from tests.reviews.conftest import sign_in_as

awarded = reports_setup.awarded  # the fixture
AT = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
WEEKS = "quantity.2"  # the 2025 call's third unit cost, « Semaine d'accompagnement »


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _final_accepted(followed, weeks: str) -> list[str]:
    """The association types the weeks household by household in its final report, which is accepted; the
    computation of the unit-price lines."""
    convention = followed.conventions[0]
    report = Report(convention=convention, kind=ReportKind.FINAL, label="Bilan final", due_on=dt.date(2026, 9, 30),
                    state=ReportState.EXPECTED)
    db.session.add(report)
    db.session.flush()
    errors = reports.save(report, {WEEKS: weeks}, followed.applicants[0], AT)
    assert WEEKS not in errors, errors
    report.state = ReportState.ACCEPTED
    return [plain(line.text) for line in payments.service_lines(convention)]


def test_ten_households_of_five_weeks_are_not_capped(build_followed):
    lines = _final_accepted(build_followed(), "\n".join(["5"] * 10))
    assert lines == ["Semaine d'accompagnement : 10 ménages, 50 semaines déclarées : 50 × 55 € = 2 750 €"]


def test_one_household_of_twelve_weeks_is_capped_at_440_euros(build_followed):
    followed = build_followed()
    lines = _final_accepted(followed, "12")  # one number alone: one household
    assert lines == ["Semaine d'accompagnement : 1 ménage, 12 semaines déclarées, 1 ménage plafonné à 8 semaines : "
                     "8 × 55 € = 440 €"]
    assert payments.service_lines(followed.conventions[0])[0].amount == Decimal("440.00")


def test_the_caps_apply_to_each_household_of_a_mixed_list(build_followed):
    # 12 households: 3 of 10 weeks (each capped at 8) and 9 of 2: 48 weeks declared, 42 paid; blank lines ignored.
    lines = _final_accepted(build_followed(), "10\n10\n10\n" + "\n".join(["2"] * 9) + "\n\n")
    assert lines == ["Semaine d'accompagnement : 12 ménages, 48 semaines déclarées, 3 ménages plafonnés à "
                     "8 semaines : 42 × 55 € = 2 310 €"]


def test_the_form_asks_one_line_per_household_and_names_a_bad_line(awarded, client):
    final = next(r for r in reports.calendar(awarded.convention) if r.kind == ReportKind.FINAL)
    db.session.commit()
    sign_in_as(client, awarded.applicant)
    page = client.get(f"/suivi/bilans/{final.id}").get_data(as_text=True)
    # The reports_setup call: « Semaine d'accompagnement » is its second unit cost, capped at 8 weeks.
    assert '<textarea id="quantity.1" name="quantity.1"' in page
    assert str(escape("Semaine d'accompagnement : nombre de semaines par ménage accompagné — une ligne par ménage")) \
        in page
    assert '<input type="text" id="quantity.0"' in page  # « Diagnostic flash » has no cap: one total

    response = post_form(client, f"/suivi/bilans/{final.id}", {"quantity.0": "40", "quantity.1": "5\n12\ncinq\n3",
                                                              "action": "enregistrer"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="quantity.1-error"' in page
    assert "Ligne 3 : saisissez un nombre de semaines, par exemple « 5 »." in plain(page)
    db.session.expire_all()
    assert db.session.get(Report, final.id).quantities["Semaine d'accompagnement"] == ["5", "12", "cinq", "3"]


@pytest.mark.parametrize("typed", ["2,5", "-3"])
def test_a_household_figure_is_a_whole_number_of_weeks(awarded, typed):
    final = next(r for r in reports.calendar(awarded.convention) if r.kind == ReportKind.FINAL)
    errors = reports.save(final, {"quantity.1": f"4\n{typed}"}, awarded.applicant, AT)
    assert errors["quantity.1"].startswith("Ligne 2 : ")
    assert reports.missing(final)["quantity.1"].startswith("Ligne 2 : ")


def test_the_final_report_counts_alone_once_accepted_and_annual_reports_add_up_before(build_followed):
    """The final report covers the whole convention: an annual report's weeks are not paid twice."""
    from tests.followup.payments_setup import accept_report

    followed = build_followed()
    convention = followed.conventions[0]
    accept_report(convention, {"Semaine d'accompagnement": ["5", "5"]}, kind=ReportKind.ANNUAL)
    accept_report(convention, {"Semaine d'accompagnement": ["4"]}, kind=ReportKind.ANNUAL)
    assert [line.amount for line in payments.service_lines(convention)] == [Decimal("770.00")]  # 14 weeks
    accept_report(convention, {"Semaine d'accompagnement": ["5", "5", "4", "2"]})  # the final: the whole convention
    assert [line.amount for line in payments.service_lines(convention)] == [Decimal("880.00")]  # 16 weeks, not 30


def test_a_capped_unit_cost_without_a_unit_counts_units_in_good_french():
    from portal.followup.report_forms import QuantityField

    field = QuantityField(name="quantity.0", key="Mesure", label="Mesure", unit=None, amount=Decimal(100),
                          max_units=None, max_amount=Decimal(500), per_household=True, noun="unités")
    assert field.prompt == "Mesure : nombre d'unités par ménage accompagné — une ligne par ménage"
