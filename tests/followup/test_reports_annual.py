"""Annual reports (« bilan annuel », issue 17): a call that asks one gets one « Bilan annuel <année> » per calendar
year of the convention, due on the call's dated milestone, else at the end of that year of the convention with its
label saying the call fixes no date; its form is the call's indicators, as the final report's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from portal.catalog import loader
from portal.catalog.models import Call
from portal.core import time
from portal.extensions import db
from portal.followup import conventions, reports
from portal.followup.states import ReportKind
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.followup.reports_setup import EVALUATION, make_convention
from tests.reviews.conftest import deposit_application

CALLS = Path(__file__).resolve().parents[2] / "calls"
ANNUAL = "L'opérateur dressera un bilan annuel d'activité où figureront les indicateurs d'évaluation."


@pytest.fixture
def convention_under(publish_call, clock, make_user, make_organisation):
    """A convention from 1 September 2025 to 31 August 2026 under a call with this evaluation and milestones."""

    def make(evaluation: dict, milestones=()):
        clock("2025-04-15 10:00:00")
        call = publish_call(slug="annuel", required_documents=DOCUMENTS, questions=QUESTIONS,
                            declarations=DECLARATIONS, evaluation=evaluation, milestones=list(milestones))
        person = make_user("a@asso.fr", "A")
        application = deposit_application(call, make_organisation(person, "Asso"), person)
        return make_convention(application)

    return make


def _annual(made):
    return [(r.label, r.due_on, r.period_start, r.period_end) for r in made if r.kind == ReportKind.ANNUAL]


def test_one_annual_report_per_calendar_year_due_at_its_end_when_the_call_gives_no_date(convention_under):
    convention = convention_under({"annual_report": ANNUAL, "indicators": EVALUATION["indicators"]})
    made = reports.calendar(convention)
    assert _annual(made) == [
        ("Bilan annuel 2025 (dû à la fin de la période : l'appel ne fixe pas de date)", dt.date(2025, 12, 31),
         dt.date(2025, 9, 1), dt.date(2025, 12, 31)),
        ("Bilan annuel 2026 (dû à la fin de la période : l'appel ne fixe pas de date)", dt.date(2026, 8, 31),
         dt.date(2026, 1, 1), dt.date(2026, 8, 31))]
    annual = next(r for r in made if r.kind == ReportKind.ANNUAL)
    form = reports.form_of(annual)
    assert [f.label for f in form.indicators] == ["Nombre de ménages accompagnés", "Nombre de bailleurs contactés"]
    assert form.budget == []
    assert reports.calendar(convention) == []  # never twice


def test_an_annual_report_is_due_on_the_calls_dated_milestone(convention_under):
    convention = convention_under({"annual_report": ANNUAL}, milestones=[
        {"date": "2026-01-31", "recurrence": "yearly", "label": "Bilan annuel d'activité"}])
    assert [(label, due) for label, due, _, _ in _annual(reports.calendar(convention))] == [
        ("Bilan annuel 2025", dt.date(2026, 1, 31)), ("Bilan annuel 2026", dt.date(2027, 1, 31))]


def test_the_final_report_stands_for_the_annual_report_of_the_last_year(convention_under):
    """Both asked: the year the convention ends is reported by the final report, not twice on the same day."""
    convention = convention_under({"annual_report": ANNUAL, "final_report": EVALUATION["final_report"]})
    made = reports.calendar(convention)
    assert [label for label, *_ in _annual(made)] == [
        "Bilan annuel 2025 (dû à la fin de la période : l'appel ne fixe pas de date)"]
    assert [r.kind for r in made].count(ReportKind.FINAL) == 1


def test_no_annual_report_when_the_call_asks_none(convention_under):
    convention = convention_under({"final_report": EVALUATION["final_report"]})
    assert _annual(reports.calendar(convention)) == []


@pytest.mark.parametrize(("name", "words"), [
    ("aap-2023-astre-accompagnement-renovation-energetique.md", "bilan annuel d'activité"),
    ("aap-2023-coordinateurs-logement-d-abord.md", "rapport d'activité annuel quantitatif et qualitatif")])
def test_the_calls_whose_seed_asks_a_yearly_report_say_so_in_its_words(name, words):
    evaluation = loader.load(CALLS / name).spec.evaluation
    assert words in evaluation.annual_report.lower()


def test_the_other_calls_ask_no_annual_report():
    asked = [path.name for path in sorted(CALLS.glob("*.md"))
             if (spec := loader.load(path).spec).evaluation is not None and spec.evaluation.annual_report]
    assert asked == ["aap-2023-astre-accompagnement-renovation-energetique.md",
                     "aap-2023-coordinateurs-logement-d-abord.md"]


def test_the_call_page_and_the_convention_name_the_annual_report(laureate, client):
    call = db.session.get(Call, laureate.call.id)
    spec = call.spec.model_copy(update={"evaluation": call.spec.evaluation.model_copy(
        update={"annual_report": ANNUAL})})
    call.spec_json = spec.model_dump(mode="json", exclude_none=True)
    call.__dict__.pop("spec", None)  # Call.spec is read once per loaded row
    db.session.commit()
    convention = conventions.draft(laureate.applications[0], laureate.manager, time.now())
    assert f"Bilan annuel : {ANNUAL}" in conventions.current_version(convention).text
    db.session.commit()
    page = client.get(f"/appels/{call.slug}/").get_data(as_text=True)
    assert "Bilan annuel : " in page and "dressera un bilan annuel" in page.replace("&#39;", "'")
