"""The awarded grants in the SCDL « subventions » 2.1.1 CSV: the schema's sixteen columns in its order, one line
per published « retenu » decision, every value matching the schema's patterns and allowed values; the facts the
portal does not hold come from a form that refuses a bad SIRET in French."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from portal.core import time
from portal.extensions import db
from portal.reviews import decisions, scdl
from tests.conftest import post_form
from tests.reviews.conftest import refresh, sign_in_as
from tests.reviews.test_decisions import REASON, deliberate

SIRET = "73282932000074"  # a valid SIRET (REFERENCE.md, « Identifiers »)
ISSUER_SIRET = "40483304800022"  # SIREN 404833048 (valid) + NIC, Luhn-valid as a whole
# The schema's own constraints (schema.json of scdl/subventions v2.1.1), restated here to check the file by them.
PATTERNS = {
    "idAttribuant": r"^\d{14}$", "idBeneficiaire": r"^(\d{14})?$", "rnaBeneficiaire": r"^(W\d{9})?$",
    "dateConvention": r"^\d{4}-\d{2}-\d{2}$",
    "datesPeriodeVersement": r"^[0-9]{4}\-[0-9]{2}\-[0-9]{2}(\/[0-9]{4}\-[0-9]{2}\-[0-9]{2})?$",
    "montant": r"^\d+\.\d{2}$", "notificationUE": r"^(oui|non)$", "idRAE": r"^.{0,5}$",
}
FORM = {"id_attribuant": ISSUER_SIRET, "date_convention": "2025-06-02", "reference_decision": "CP-2025-06-117",
        "nature": "aide en numéraire", "conditions": "échelonné", "conditions_other": "",
        "dates": "2025-07-01/2026-06-30", "notification_ue": "non"}


@pytest.fixture
def published(selection):
    """Alpha retained with 12 000,50 € (and a SIRET), Bêta retained with 8 000 €, Gamma on the waiting list with
    an amount, Delta ineligible; all published."""
    round_ = deliberate(selection, {3: REASON})
    alpha, beta, gamma, _ = selection.applications
    selection.organisations[0].siret = SIRET
    db.session.commit()
    manager, now = selection.manager, time.now()
    decisions.record(alpha, "selected", "12 000,50", 3, "", True, manager, now)
    decisions.record(beta, "selected", "8 000", None, "", False, manager, now)
    decisions.record(gamma, "waiting_list", "5 000", None, "", False, manager, now)
    decisions.publish(refresh(round_), manager, now)
    db.session.commit()
    return selection


def url(selection) -> str:
    return f"/gestion/selection/{selection.call.slug}/fenetres/unique/scdl"


def read(response) -> tuple[list[str], list[dict]]:
    text = response.get_data().decode("utf-8")
    assert not text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text), delimiter=","))
    return lines[0], [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def test_the_file_has_the_schema_columns_in_order_and_one_valid_line_per_beneficiary(client, published):
    sign_in_as(client, published.manager)
    response = post_form(client, url(published), FORM)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="20250512-subventions-equipes-mobiles.csv"' in response.headers["Content-Disposition"]
    header, rows = read(response)
    assert header == ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
                      "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
                      "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention",
                      "dispositifAide"]
    assert [r["nomBeneficiaire"] for r in rows] == ["Association Alpha", "Association Bêta"]
    for row in rows:
        for column, pattern in PATTERNS.items():
            assert re.fullmatch(pattern, row[column]), (column, row[column])
        assert row["idBeneficiaire"] or row["rnaBeneficiaire"]
        assert row["nature"] in ("aide en numéraire", "aide en nature", "aide en numéraire;aide en nature",
                                 "aide en nature;aide en numéraire")
        assert 0.01 <= float(row["pourcentageSubvention"]) <= 1 and len(row["objet"]) <= 256
        assert row["nomAttribuant"] == "Département du Pas-de-Calais" and row["idAttribuant"] == ISSUER_SIRET
        assert row["dispositifAide"] == str(published.call.uuid)
        assert row["conditionsVersement"] == "échelonné" and row["referenceDecision"] == "CP-2025-06-117"
    alpha, beta = rows
    assert alpha["montant"] == "12000.50" and beta["montant"] == "8000.00"
    assert alpha["idBeneficiaire"] == SIRET and alpha["rnaBeneficiaire"] == "W621000001"
    assert beta["idBeneficiaire"] == "" and beta["rnaBeneficiaire"] == "W621000002"
    assert alpha["objet"] == f"{published.call.title} — {published.applications[0].number}"
    assert scdl.validate(rows) == []


def test_a_bad_siret_is_refused_in_french(client, published):
    sign_in_as(client, published.manager)
    response = post_form(client, url(published), {**FORM, "id_attribuant": "73282932000079"})
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "Ce numéro SIRET n&#39;est pas valide" in response.get_data(as_text=True)
    response = post_form(client, url(published), {**FORM, "dates": "01/07/2025"})
    assert response.status_code == 422
    assert "Écrivez une date AAAA-MM-JJ ou une période AAAA-MM-JJ/AAAA-MM-JJ." in response.get_data(as_text=True)


def test_nothing_is_exported_before_publication(client, selection):
    deliberate(selection)
    decisions.record(selection.applications[0], "selected", "1 000", None, "", False, selection.manager, time.now())
    db.session.commit()
    sign_in_as(client, selection.manager)
    response = post_form(client, url(selection), FORM)
    assert response.mimetype == "text/html" and "une fois les décisions publiées" in response.get_data(as_text=True)


def test_validate_names_each_column_that_breaks_the_schema():
    good = {"nomAttribuant": "Département du Pas-de-Calais", "idAttribuant": ISSUER_SIRET,
            "dateConvention": "2025-06-02", "referenceDecision": "", "nomBeneficiaire": "Association Alpha",
            "idBeneficiaire": SIRET, "rnaBeneficiaire": "W621000001", "objet": "Objet", "montant": "12000.50",
            "nature": "aide en numéraire", "conditionsVersement": "unique", "datesPeriodeVersement": "2025-07-01",
            "idRAE": "", "notificationUE": "non", "pourcentageSubvention": "1.00", "dispositifAide": ""}
    assert scdl.validate([good]) == []
    bad = {**good, "idAttribuant": "4048330480002", "idBeneficiaire": "", "rnaBeneficiaire": "", "montant": "12 000,50",
           "nature": "aide en espèces", "datesPeriodeVersement": "2025-07-01_2025-12-31", "notificationUE": "false",
           "pourcentageSubvention": "100", "objet": "x" * 257, "dateConvention": "02/06/2025", "idRAE": "123456"}
    errors = scdl.validate([bad])
    for column in ("idAttribuant", "idBeneficiaire ou rnaBeneficiaire", "montant", "nature", "datesPeriodeVersement",
                   "notificationUE", "pourcentageSubvention", "objet", "dateConvention", "idRAE"):
        assert any(column in e for e in errors), column
    assert all(e.startswith("Ligne 2 (Association Alpha) : ") for e in errors)
    reordered = dict(reversed(list(good.items())))
    assert scdl.validate([reordered]) != []


def test_a_name_that_would_run_as_a_formula_is_written_as_text_and_the_file_stays_valid(client, published):
    """A spreadsheet runs a cell starting with = + - @ (OWASP « CSV injection »): the beneficiary's name, typed in
    a form, is written with a leading apostrophe, as in every export; the line still meets the schema."""
    published.organisations[0].legal_name = '=HYPERLINK("http://evil.example","Alpha")'
    published.organisations[1].legal_name = "@SUM(1+1)"
    db.session.commit()
    sign_in_as(client, published.manager)
    _, rows = read(post_form(client, url(published), FORM))
    assert [r["nomBeneficiaire"] for r in rows] == ['\'=HYPERLINK("http://evil.example","Alpha")', "'@SUM(1+1)"]
    for row in rows:
        for column, pattern in PATTERNS.items():
            assert re.fullmatch(pattern, row[column]), (column, row[column])
    assert scdl.validate(rows) == []


def test_an_objet_that_would_run_as_a_formula_still_fits_the_schema_length(client, published):
    published.call.title = "-" + "x" * 199  # the longest title a call file may have
    db.session.commit()
    sign_in_as(client, published.manager)
    _, rows = read(post_form(client, url(published), FORM))
    assert all(r["objet"].startswith("'-") and len(r["objet"]) <= 256 for r in rows)


def _followed(application, signed_on, paid_on: list, planned: int = 0):
    """A convention of `application` as the follow-up keeps it: signed by the issuer on `signed_on`, a tranche paid
    on each of `paid_on`, `planned` tranches still to come."""
    from portal.followup.models import Convention, Tranche
    from portal.followup.states import ConventionState, TrancheState, Trigger

    convention = Convention(application_id=application.id, call_id=application.call_id,
                            number=f"CONV-{application.number}", state=ConventionState.IN_FORCE, amount=12000,
                            organisation_signed_on=signed_on, issuer_signed_on=signed_on, created_at=time.now())
    for position, day in enumerate(paid_on + [None] * planned):
        convention.tranches.append(Tranche(
            position=position, label=f"Tranche {position + 1}", percent=50, trigger=Trigger.SIGNATURE,
            state=TrancheState.PAID if day else TrancheState.PLANNED, paid_on=day,
            paid_amount=6000 if day else None))
    db.session.add(convention)
    db.session.commit()
    return convention


def test_a_followed_grant_carries_its_convention_date_and_payment_dates(client, published, count_queries):
    """The follow-up gives the signed convention's date and the dates paid; the form's facts stay for the grants
    the portal does not follow (Bêta has no convention here)."""
    alpha, beta = published.applications[:2]
    _followed(alpha, dt.date(2025, 9, 1), [dt.date(2025, 9, 15)], planned=1)
    sign_in_as(client, published.manager)
    with count_queries() as counted:
        header, rows = read(post_form(client, url(published), FORM))
    by_name = {row["nomBeneficiaire"]: row for row in rows}
    assert (by_name["Association Alpha"]["dateConvention"], by_name["Association Alpha"]["datesPeriodeVersement"],
            by_name["Association Alpha"]["conditionsVersement"]) == ("2025-09-01", "2025-09-15", "échelonné")
    assert (by_name["Association Bêta"]["dateConvention"], by_name["Association Bêta"]["datesPeriodeVersement"],
            by_name["Association Bêta"]["conditionsVersement"]) == ("2025-06-02", "2025-07-01/2026-06-30",
                                                                    "échelonné")
    assert scdl.validate(rows) == []
    followup_reads = [s for s in counted if "payment_tranches" in s or "conventions" in s]
    assert len(followup_reads) == 1, followup_reads  # one statement for the whole export

    # Two payments make a period; one tranche in all is a single payment.
    _followed(beta, dt.date(2025, 10, 2), [dt.date(2025, 10, 10)])
    convention = _convention_of(alpha)
    convention.tranches[1].state, convention.tranches[1].paid_on = "paid", dt.date(2026, 3, 31)
    db.session.commit()
    _, rows = read(post_form(client, url(published), {**FORM, "conditions": "autre", "conditions_other": "À voir"}))
    by_name = {row["nomBeneficiaire"]: row for row in rows}
    assert by_name["Association Alpha"]["datesPeriodeVersement"] == "2025-09-15/2026-03-31"
    assert (by_name["Association Bêta"]["dateConvention"], by_name["Association Bêta"]["datesPeriodeVersement"],
            by_name["Association Bêta"]["conditionsVersement"]) == ("2025-10-02", "2025-10-10", "unique")


def test_an_unsigned_convention_leaves_the_forms_facts(client, published):
    convention = _followed(published.applications[0], None, [], planned=2)
    assert convention.issuer_signed_on is None
    sign_in_as(client, published.manager)
    _, rows = read(post_form(client, url(published), {**FORM, "conditions": "unique"}))
    alpha = next(row for row in rows if row["nomBeneficiaire"] == "Association Alpha")
    # Not signed, nothing paid: the date and the payments stay the form's; the schedule says « échelonné ».
    assert (alpha["dateConvention"], alpha["datesPeriodeVersement"], alpha["conditionsVersement"]) == (
        "2025-06-02", "2025-07-01/2026-06-30", "échelonné")


def _convention_of(application):
    from sqlalchemy import select

    from portal.followup.models import Convention

    return db.session.scalar(select(Convention).where(Convention.application_id == application.id))
