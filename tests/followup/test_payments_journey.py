"""The payments follow the conventions and the reports through their own services (issue 17): a drafted convention
has its schedule, its signature makes the 60 % advance due, the final report accepted gives the balance at unit
prices, capped by the convention."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from portal.core import time
from portal.extensions import db
from portal.followup import conventions, payments, reports
from portal.followup.models import Report
from portal.followup.states import ReportKind, ReportState, TrancheState, Trigger
from tests.fakes.samples import pdf
from tests.followup.test_conventions import sent


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_signature_then_the_final_report_make_the_tranches_due(laureate, clock):
    clock("2025-07-01 10:00:00")
    convention = sent(laureate)  # 12 000,50 €
    clock("2025-07-10 10:00:00")
    conventions.sign_for_organisation(convention, io.BytesIO(pdf()), "signee.pdf", dt.date(2025, 7, 3),
                                      laureate.applicants[0], time.now())
    conventions.sign_for_issuer(convention, io.BytesIO(pdf()), "financeur.pdf", dt.date(2025, 7, 4),
                                laureate.manager, time.now())
    advance, balance = convention.tranches
    assert (advance.trigger, balance.trigger) == (Trigger.SIGNATURE, Trigger.REPORT)  # the call names no trigger
    assert advance.state == TrancheState.DUE and advance.amount_due == Decimal("7200.30")
    assert balance.state == TrancheState.PLANNED

    report = Report(convention=convention, kind=ReportKind.FINAL, label="Bilan final", due_on=dt.date(2026, 9, 30),
                    state=ReportState.SUBMITTED, quantities={"Diagnostic flash": "100"})
    db.session.add(report)
    db.session.flush()
    reports.accept(report, laureate.manager, time.now())
    assert balance.state == TrancheState.DUE and balance.report_id == report.id
    lines = [plain(line) for line in balance.computation]
    assert "Diagnostic flash : 100 × 150 € = 15 000 €" in lines
    assert "Plafonné au montant de la convention : 12 000,50 €" in lines
    assert balance.amount_due == Decimal("4800.20")
    assert payments.amount_to_recover(convention) is None
