"""The payment schedule's triggers (issue 17): each payment says what makes it due — the signature, a date or the
acceptance of a report — and is a share or an amount; the older files, with only `when`, still load."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from portal.catalog import loader
from portal.catalog.schema import PaymentTrigger
from tests.conftest import call_data


def load(write_call, schedule: list[dict]):
    return loader.load(write_call("appel.md", call_data(funding={"payment_schedule": schedule})))


def messages(result) -> list[str]:
    return [f"{e.field}: {e.message}" for e in result.errors]


def test_triggers_amounts_and_dates_load(write_call):
    result = load(write_call, [
        {"label": "Avance", "percent": 60, "trigger": "signature"},
        {"label": "Deuxième versement", "amount": "5000", "trigger": "date", "on": "2025-09-01"},
        {"label": "Solde", "trigger": "report", "report": "final", "when": "au service fait"}])
    assert not result.errors, messages(result)
    advance, second, balance = result.spec.funding.payment_schedule
    assert advance.trigger == PaymentTrigger.SIGNATURE and advance.percent == Decimal(60)
    assert second.amount == Decimal(5000) and second.on == dt.date(2025, 9, 1)
    assert balance.report == "final" and balance.percent is None and balance.amount is None


def test_a_bare_on_key_is_the_date_not_yaml_true(write_call):
    path = write_call("appel.md", call_data(funding={"payment_schedule": [{"label": "Avance"}]}))
    text = re.sub(r"( *)- label: Avance", lambda m: f"{m[1]}- label: Avance\n{m[1]}  trigger: date\n{m[1]}  on: 2025-09-01",
                  path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    result = loader.load(path)
    assert not result.errors, messages(result)
    assert result.spec.funding.payment_schedule[0].on == dt.date(2025, 9, 1)


def test_refusals_are_in_french(write_call):
    cases = [
        ([{"label": "Avance", "percent": 60, "amount": 100}], "pas les deux"),
        ([{"label": "Avance", "trigger": "date"}], "demande sa date"),
        ([{"label": "Avance", "trigger": "report"}], "interim, annual ou final"),
        ([{"label": "Avance", "trigger": "signature", "report": "final"}], "ne vaut que pour"),
    ]
    for schedule, words in cases:
        found = messages(load(write_call, schedule))
        assert found and any(words in m for m in found), (schedule, found)


def test_the_2025_pas_de_calais_call_says_advance_at_signature_and_balance_at_the_final_report():
    root = Path(__file__).resolve().parents[2]
    result = loader.load(root / "calls" / "aap-2025-equipes-mobiles-prevention-expulsions.md")
    assert not result.errors, messages(result)
    advance, balance = result.spec.funding.payment_schedule
    assert (advance.percent, advance.trigger) == (Decimal(60), PaymentTrigger.SIGNATURE)
    assert (balance.percent, balance.trigger, balance.report) == (None, PaymentTrigger.REPORT, "final")
    assert "service fait" in balance.when
