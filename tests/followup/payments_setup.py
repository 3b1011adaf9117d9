"""Conventions in force under a call with the 2025 Pas-de-Calais payment schedule (60 % at signature, the balance
at the final report) and unit prices, with the issuer's manager and finance department, created directly as rows
(the conventions part drafts them through its own services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from portal.accounts.models import Organisation, User
from portal.applications.models import Application
from portal.catalog import loader
from portal.catalog.models import Call
from portal.core import time
from portal.extensions import db
from portal.followup.models import Convention, Report
from portal.followup.states import ConventionState, ReportKind, ReportState
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.reviews.conftest import ISSUER, deposit_application

CALL_FILE = Path(__file__).resolve().parents[2] / "calls" / "aap-2025-equipes-mobiles-prevention-expulsions.md"
OTHER_ISSUER = "Département du Nord"


def funding_2025(**changes) -> dict:
    """The 2025 call's own funding section (schedule and unit prices), as its file says."""
    funding = loader.load(CALL_FILE).spec.funding.model_dump(mode="json", exclude_none=True)
    funding.update(changes)
    return funding


@dataclass
class Followed:
    call: Call
    manager: User
    finance: User
    organisations: list[Organisation] = field(default_factory=list)
    applicants: list[User] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    conventions: list[Convention] = field(default_factory=list)


def add_convention(application: Application, amount="10000", number: str | None = None,
                   state=ConventionState.IN_FORCE) -> Convention:
    count = db.session.query(Convention).count()
    convention = Convention(application_id=application.id, call_id=application.call_id,
                            number=number or f"CONV-2025-{count + 1:04d}", state=state, amount=Decimal(amount),
                            issuer_signed_on=dt.date(2025, 9, 1), in_force_on=dt.date(2025, 9, 1),
                            created_at=time.now())
    db.session.add(convention)
    db.session.flush()
    return convention


def accept_report(convention: Convention, quantities: dict | None = None, kind=ReportKind.FINAL) -> Report:
    report = Report(convention=convention, kind=kind, label="Bilan final", due_on=dt.date(2026, 9, 30),
                    state=ReportState.ACCEPTED, quantities=quantities, accepted_at=time.now())
    db.session.add(report)
    db.session.flush()
    return report


@pytest.fixture
def build_followed(publish_call, clock, make_user, make_organisation):
    """A call with this funding and `count` conventions in force (10 000 € each unless said)."""

    def build(count: int = 1, funding: dict | None = None, slug: str = "equipes-mobiles") -> Followed:
        clock("2025-04-15 10:00:00")
        call = publish_call(slug=slug, windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
                            required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                            issuer={"body": ISSUER, "siren": "226200012"},
                            funding=funding if funding is not None else funding_2025(envelope="100000"))
        manager = make_user(f"gestion@{slug}.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
        finance = make_user(f"finances@{slug}.fr", "Fanny Finances", grants=[("finance", {"issuer": ISSUER})])
        result = Followed(call=call, manager=manager, finance=finance)
        for index in range(1, count + 1):
            person = make_user(f"presidence@asso{index}-{slug}.fr", f"Présidente {index}")
            organisation = make_organisation(person, f"Association {index} {slug}", rna=f"W62100{index:04d}")
            application = deposit_application(call, organisation, person)
            result.applicants.append(person)
            result.organisations.append(organisation)
            result.applications.append(application)
            result.conventions.append(add_convention(application))
        db.session.commit()
        clock("2025-09-01 10:00:00")
        return result

    return build
