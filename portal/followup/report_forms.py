"""The form of a report, built from the call and the deposited application: the call's indicators (unit, period,
target), its unit costs (one number each, or one per household accompanied where the call caps the unit
cost: see payments.is_per_household), and for the Cerfa n°15059 the planned and actual amounts per line of the
Cerfa 12156 budget deposited, with the gaps the annex must explain above FOLLOWUP_GAP_THRESHOLD_PERCENT."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import current_app

from portal.applications import cerfa
from portal.applications.models import Application
from portal.catalog.models import Call
from portal.core.formatting import money_fr, number_fr
from portal.extensions import db
from portal.followup.models import Report
from portal.followup.payments import household_lines, is_per_household, unit_noun
from portal.followup.report_queries import application_of
from portal.followup.states import ReportKind

DEFAULT_GAP_THRESHOLD = Decimal(15)
# The documents a report carries: the Cerfa 15059 asks for the latest activity report and the approved accounts.
SLOTS = {"rapport-activite": "Rapport d'activité", "comptes": "Comptes approuvés du dernier exercice"}
NUMBER_ERROR = "Saisissez un nombre, par exemple « 1 234,50 »."
AMOUNT_ERROR = "Saisissez un montant en euros, par exemple « 1 234,50 »."
HOUSEHOLD_LINES_MAX = 5000  # one line per household: a thousand households and more


@dataclass(frozen=True)
class IndicatorField:
    name: str  # the form's field: « indicator.0 »
    key: str  # its key in Report.indicator_values
    label: str
    group: str | None
    unit: str | None
    per: str | None
    target: str | None  # « au moins 30 jeunes par an »


@dataclass(frozen=True)
class QuantityField:
    name: str
    key: str  # the unit cost's label, as Report.quantities keeps it
    label: str
    unit: str | None
    amount: Decimal
    max_units: int | None
    max_amount: Decimal | None = None
    per_household: bool = False  # a textarea, one figure a line
    noun: str = "unités"  # « semaines »

    @property
    def of_noun(self) -> str:
        """« de semaines », « d'unités » (elided before a vowel)."""
        return f"d'{self.noun}" if self.noun[:1].lower() in "aâeéèêiîoôuûhy" else f"de {self.noun}"

    @property
    def prompt(self) -> str:
        """The field's label: the unit cost, and for a capped one what each line holds."""
        if not self.per_household:
            return self.label
        return f"{self.label} : nombre {self.of_noun} par ménage accompagné — une ligne par ménage"

    @property
    def hint(self) -> str:
        hint = f"Prix unitaire : {money_fr(self.amount)}" + (f" {self.unit}" if self.unit else "")
        if not self.per_household:
            return hint
        caps = [f"{self.max_units} {self.noun}" if self.max_units else None,
                money_fr(self.max_amount) if self.max_amount is not None else None]
        return (f"{hint} — au plus {' soit '.join(c for c in caps if c)} par ménage. Une ligne par ménage accompagné, "
                "par exemple « 5 » ; un seul nombre pour un seul ménage.")


@dataclass(frozen=True)
class BudgetLine:
    code: str
    label: str
    planned: Decimal
    section: str  # « Charges », « Produits », « Contributions en nature »


@dataclass
class ReportForm:
    """What a report asks, built from the call and the deposited application."""

    indicators: list[IndicatorField]
    quantities: list[QuantityField]
    budget: list[BudgetLine]
    qualitative_required: bool
    slots: dict[str, str]
    threshold: Decimal

    @property
    def indicator_groups(self) -> list[tuple[str | None, list[IndicatorField]]]:
        groups: dict[str | None, list[IndicatorField]] = {}
        for field in self.indicators:
            groups.setdefault(field.group, []).append(field)
        return list(groups.items())


def gap_threshold() -> Decimal:
    return Decimal(str(current_app.config.get("FOLLOWUP_GAP_THRESHOLD_PERCENT", DEFAULT_GAP_THRESHOLD)))


def planned_budget(application: Application) -> dict[str, Decimal]:
    """The Cerfa 12156 budget as deposited (the latest version's answers), line by line; lines left empty are 0."""
    version = application.latest_version
    budget = ((version.answers if version else {}).get("cerfa") or {}).get("budget") or {}
    planned = {}
    for line in cerfa.ALL_LINES:
        try:
            planned[line.code] = cerfa.parse_amount(budget.get(line.code)) or Decimal("0.00")
        except ValueError:
            planned[line.code] = Decimal("0.00")
    return planned


def form_of(report: Report) -> ReportForm:
    call = db.session.get(Call, report.convention.call_id)
    spec = call.spec
    financial = report.kind == ReportKind.FINANCIAL
    indicators, quantities, budget = [], [], []
    if not financial and spec.evaluation is not None:
        for index, indicator in enumerate(spec.evaluation.indicators):
            target = indicator.target
            indicators.append(IndicatorField(
                name=f"indicator.{index}", key=str(index), label=indicator.label, group=indicator.group,
                unit=target.unit if target else None, per=target.per.label if target and target.per else None,
                target=target.text if target else None))
    if not financial and spec.funding is not None:
        for index, cost in enumerate(spec.funding.unit_costs):
            quantities.append(QuantityField(name=f"quantity.{index}", key=cost.label, label=cost.label,
                                            unit=cost.unit, amount=cost.amount, max_units=cost.max_units,
                                            max_amount=cost.max_amount, per_household=is_per_household(cost),
                                            noun=unit_noun(cost)))
    if financial:
        planned = planned_budget(application_of(report))
        for section, lines in (("Charges", cerfa.CHARGES), ("Produits", cerfa.PRODUITS),
                               ("Contributions volontaires en nature", cerfa.IN_KIND)):
            budget += [BudgetLine(line.code, line.label, planned[line.code], section) for line in lines]
    slots = dict(SLOTS) if report.kind in (ReportKind.FINAL, ReportKind.FINANCIAL, ReportKind.ANNUAL) else {
        "rapport-activite": SLOTS["rapport-activite"]}
    # The final report « comprendra […] une analyse qualitative » (the calls); the Cerfa 15059's first sheet is one.
    return ReportForm(indicators, quantities, budget,
                      qualitative_required=report.kind in (ReportKind.FINAL, ReportKind.FINANCIAL),
                      slots=slots, threshold=gap_threshold())


_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def parse_number(text: str | None) -> Decimal | None:
    """« 1 234,50 » (French: spaces between thousands, a comma before decimals) as a Decimal; None when empty;
    ValueError when not a non-negative number."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text or "").replace(",", ".")
    if not cleaned:
        return None
    if not _NUMBER.match(cleaned):
        raise ValueError(text)
    try:
        return Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the pattern guarantees a number
        raise ValueError(text) from error


def quantity_error(field: QuantityField, value) -> str | None:
    """What is wrong with a declared quantity, in French (a household's line named by its number), or None; an
    empty one is missing(), not wrong."""
    if not field.per_household:
        try:
            number = parse_number(value)
        except ValueError:
            return NUMBER_ERROR
        return "Saisissez un nombre entier d'unités." if number is not None and number % 1 else None
    lines = value if isinstance(value, list) else str(value or "").splitlines()
    for position, line in enumerate(lines, start=1):
        try:
            number = parse_number(str(line))
        except ValueError:
            return f"Ligne {position} : saisissez un nombre {field.of_noun}, par exemple « 5 »."
        if number is not None and number % 1:
            return f"Ligne {position} : saisissez un nombre entier {field.of_noun}."
    return None


@dataclass(frozen=True)
class Gap:
    code: str
    planned: Decimal
    actual: Decimal | None
    amount: Decimal | None  # actual − planned
    percent: Decimal | None  # of the planned amount; None when nothing was planned
    above: bool  # above the threshold: an explanation is required


def gaps(report: Report, form: ReportForm | None = None) -> dict[str, Gap]:
    """Cerfa 15059, second sheet: planned and actual per line of the Cerfa 12156 budget, and the gap; above the
    threshold (FOLLOWUP_GAP_THRESHOLD_PERCENT) the annex must explain it."""
    form = form or form_of(report)
    actual_given = report.budget_actual or {}
    found = {}
    for line in form.budget:
        try:
            actual = cerfa.parse_amount(actual_given.get(line.code))
        except ValueError:
            actual = None
        if actual is None:
            found[line.code] = Gap(line.code, line.planned, None, None, None, False)
            continue
        amount = actual - line.planned
        if line.planned:
            percent = (abs(amount) * 100 / line.planned).quantize(Decimal("0.1"))
            above = percent > form.threshold
        else:
            percent, above = None, amount != 0
        found[line.code] = Gap(line.code, line.planned, actual, amount, percent, above)
    return found



def missing(report: Report) -> dict[str, str]:
    """What a report lacks before it is filed, by field, in French."""
    form = form_of(report)
    errors: dict[str, str] = {}
    values = report.indicator_values or {}
    for field in form.indicators:
        try:
            if parse_number(values.get(field.key)) is None:
                errors[field.name] = "Indiquez la valeur atteinte (0 si rien)."
        except ValueError:
            errors[field.name] = NUMBER_ERROR
    quantities = report.quantities or {}
    for field in form.quantities:
        value = quantities.get(field.key)
        if error := quantity_error(field, value):
            errors[field.name] = error
        elif field.per_household and not household_lines(value):
            errors[field.name] = (f"Indiquez le nombre {field.of_noun} de chaque ménage accompagné, une ligne par "
                                  "ménage (0 si aucun).")
        elif not field.per_household and parse_number(value) is None:
            errors[field.name] = "Indiquez le nombre réalisé (0 si aucun)."
    explanations = report.gap_explanations or {}
    for code, gap in gaps(report, form).items():
        given = (report.budget_actual or {}).get(code)
        if gap.actual is None and given:
            errors[f"actual.{code}"] = AMOUNT_ERROR
        elif gap.actual is None and gap.planned:
            errors[f"actual.{code}"] = "Indiquez le montant réalisé (0 si rien)."
        elif gap.above and not explanations.get(code):
            shown = f"{number_fr(gap.percent)} %" if gap.percent is not None else "une ligne non prévue"
            errors[f"gap.{code}"] = (f"L'écart ({money_fr(gap.amount)}, {shown}) dépasse {number_fr(form.threshold)} % "
                                     "du prévu : expliquez-le.")
    if form.qualitative_required and not report.qualitative:
        errors["qualitative"] = (f"{'Le bilan final' if report.kind == ReportKind.FINAL else 'Le compte rendu financier'}"
                                 " comprend une analyse qualitative : rédigez-la.")
    for slot, label in form.slots.items():
        if slot == "comptes" and report.kind != ReportKind.FINANCIAL:
            continue
        if not any(f.slot == slot for f in report.files):
            errors[f"file.{slot}"] = f"Joignez le document « {label} »."
    return errors
