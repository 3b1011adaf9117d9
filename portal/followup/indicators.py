"""A call's indicators added up across its operators, against the call's targets (issue 17, « What no one else
shows »).

Per convention, the latest accepted report of one kind counts (the final report unless another kind is asked):
a report submitted, to complete or expected counts for nothing, and an earlier accepted report of the same kind is
replaced by the later one, so that no figure is counted twice. The values are read as the reports' form reads them
(report_forms.parse_number) under the keys it gives them (the indicator's index). Figures are grouped per operator
(the lead organisation) and per territory of the convention (convention_territories: a convention in two territories
counts in each, and once in the total; « Territoire non renseigné » gathers those with none). Conventions hidden from a manager (a conflict of interest with the file) are left out of both the rows and the
totals. One statement, whatever the number of conventions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, select

from portal.accounts.models import Organisation
from portal.applications.models import Application
from portal.catalog.models import Call
from portal.catalog.schema import Target
from portal.core.formatting import number_fr
from portal.extensions import db
from portal.followup.models import Convention, Report
from portal.followup.permissions import visible_conventions
from portal.followup.report_forms import parse_number
from portal.followup.states import REPORT_KIND_LABELS, ReportKind, ReportState

KINDS = (ReportKind.FINAL, ReportKind.ANNUAL, ReportKind.INTERIM)  # the reports that carry indicators
HUNDRED = Decimal(100)
NO_TERRITORY = "Territoire non renseigné"


@dataclass(frozen=True)
class Operator:
    organisation_id: uuid.UUID
    name: str
    conventions: tuple[str, ...]  # their numbers
    counted: int  # how many of them have an accepted report of the kind


@dataclass(frozen=True)
class TerritoryColumn:
    name: str  # a territory of the call, or NO_TERRITORY
    conventions: int  # the visible conventions in it
    counted: int  # how many of them have an accepted report of the kind


@dataclass(frozen=True)
class Row:
    key: str  # the indicator's key in Report.indicator_values
    label: str
    group: str | None
    target: Target | None
    values: list[Decimal | None]  # one per operator, in Table.operators' order; None: nothing accepted
    total: Decimal
    by_territory: list[Decimal | None] = field(default_factory=list)  # in Table.territories' order

    @property
    def unit(self) -> str | None:
        return self.target.unit if self.target else None

    @property
    def reference(self) -> Decimal | None:
        """The figure the share is taken of: the exact value, else the floor, else the ceiling."""
        if self.target is None:
            return None
        for bound in (self.target.value, self.target.at_least, self.target.at_most):
            if bound is not None:
                return bound
        return None  # pragma: no cover - a target always has one

    @property
    def share(self) -> Decimal | None:
        """The total as a percentage of the target, to one decimal."""
        reference = self.reference
        if not reference:
            return None
        return (self.total * HUNDRED / reference).quantize(Decimal("0.1"))

    @property
    def reached(self) -> bool | None:
        target = self.target
        if target is None:
            return None
        if target.value is not None:
            return self.total >= target.value
        return ((target.at_least is None or self.total >= target.at_least)
                and (target.at_most is None or self.total <= target.at_most))


@dataclass
class Table:
    kind: ReportKind
    operators: list[Operator] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    territories: list[TerritoryColumn] = field(default_factory=list)
    territories_without_conventions: list[str] = field(default_factory=list)  # the call's, none of its conventions'

    @property
    def kind_label(self) -> str:
        return REPORT_KIND_LABELS[self.kind]

    @property
    def counted(self) -> int:
        return sum(o.counted for o in self.operators)


def value_of(values: dict, key: str) -> Decimal | None:
    try:
        return parse_number(values.get(key))
    except ValueError:  # an accepted report was checked when filed; a stray value counts for nothing
        return None


def totals(call: Call, user, kind: ReportKind = ReportKind.FINAL) -> Table:
    """Per indicator of the call, each operator's figure (its conventions' latest accepted report of `kind`) and
    the total, with the call's target and the share reached — one statement."""
    accepted = and_(Report.convention_id == Convention.id, Report.kind == kind, Report.state == ReportState.ACCEPTED)
    found = db.session.execute(
        select(Convention.id, Convention.number, Organisation.id, Organisation.legal_name, Report.indicator_values,
               Report.accepted_at, Convention.territories)
        .join(Application, Application.id == Convention.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(Report, accepted)
        .where(Convention.call_id == call.id, *visible_conventions(user))
        .order_by(Organisation.legal_name, Convention.number, Report.accepted_at.nulls_first(), Report.id))
    names: dict[uuid.UUID, str] = {}
    numbers: dict[uuid.UUID, list[str]] = {}
    latest: dict[uuid.UUID, tuple[uuid.UUID, dict]] = {}  # convention → (organisation, values)
    places: dict[uuid.UUID, list[str]] = {}  # convention → its territories, or [NO_TERRITORY]
    for convention_id, number, organisation_id, name, values, accepted_at, territories in found:
        names[organisation_id] = name
        if number not in numbers.setdefault(organisation_id, []):
            numbers[organisation_id].append(number)
        places[convention_id] = list(territories or []) or [NO_TERRITORY]
        if accepted_at is not None:  # ordered by acceptance: the last one seen is the latest
            latest[convention_id] = (organisation_id, values or {})
    table = Table(kind=kind)
    for organisation_id, name in names.items():
        counted = sum(1 for owner, _ in latest.values() if owner == organisation_id)
        table.operators.append(Operator(organisation_id, name, tuple(numbers[organisation_id]), counted))
    table.territories, table.territories_without_conventions = _columns(call, places, latest)
    evaluation = call.spec.evaluation
    for index, indicator in enumerate(evaluation.indicators if evaluation else []):
        key = str(index)
        per_operator: dict[uuid.UUID, Decimal | None] = {o.organisation_id: None for o in table.operators}
        per_territory: dict[str, Decimal | None] = {t.name: None for t in table.territories}
        for convention_id, (owner, values) in latest.items():
            value = value_of(values, key)
            if value is not None:
                per_operator[owner] = (per_operator[owner] or Decimal(0)) + value
                for place in places[convention_id]:  # in each of its territories: the total counts it once
                    per_territory[place] = (per_territory[place] or Decimal(0)) + value
        shown = [per_operator[o.organisation_id] for o in table.operators]
        table.rows.append(Row(key, indicator.label, indicator.group, indicator.target, shown,
                              sum((v for v in shown if v is not None), Decimal(0)),
                              [per_territory[t.name] for t in table.territories]))
    return table


def _columns(call: Call, places: dict[uuid.UUID, list[str]], latest: dict) -> tuple[list[TerritoryColumn], list[str]]:
    """The territories holding a visible convention: the call's first, in its order, then any other a convention
    names (a territory since removed from the call file), then NO_TERRITORY; and the call's territories left out."""
    held = {place for listed in places.values() for place in listed}
    known = [territory.name for territory in call.spec.all_territories]
    order = ([name for name in known if name in held] + sorted(held - set(known) - {NO_TERRITORY})
             + ([NO_TERRITORY] if NO_TERRITORY in held else []))
    columns = [TerritoryColumn(name, sum(1 for listed in places.values() if name in listed),
                               sum(1 for convention_id in latest if name in places[convention_id]))
               for name in order]
    return columns, [name for name in known if name not in held]


# The chart: one horizontal bar per operator for each indicator, then one per territory when there are several
# (a lighter colour: a convention in two territories is in both bars), the total last, the target as a vertical
# line, drawn on the server so that it needs no JavaScript. The tables are the accessible source; the chart carries
# the same figures.
# The operators' names (up to 32 characters, right-aligned) need about 7.5 px each at the page's size.
LABEL_WIDTH, BAR_WIDTH, BAR_HEIGHT, GAP, TOP = 260, 300, 18, 8, 40
WIDTH = LABEL_WIDTH + BAR_WIDTH + 90


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the figure as the table writes it
    y: int
    width: int
    kind: str = "operator"  # operator, territory or total: its colour


@dataclass(frozen=True)
class Chart:
    row: Row
    bars: list[Bar]
    target_x: int | None
    target_text: str | None
    height: int
    description: str


def _scaled(value: Decimal, top: Decimal) -> int:
    return int((value * BAR_WIDTH / top).to_integral_value()) if top else 0


def charts(table: Table) -> list[Chart]:
    drawn = []
    for row in table.rows:
        reference = row.reference
        places = (list(zip(table.territories, row.by_territory, strict=True))
                  if len(table.territories) > 1 else [])  # one territory would repeat the total
        top = max([v for v in row.values if v is not None] + [v for _, v in places if v is not None]
                  + ([reference] if reference is not None else []) + [row.total])
        bars = []
        for position, (operator, value) in enumerate(zip(table.operators, row.values, strict=True)):
            bars.append(Bar(operator.name, "—" if value is None else number_fr(value),
                            TOP + position * (BAR_HEIGHT + GAP), _scaled(value or Decimal(0), top)))
        target_text = row.target.text if row.target else None
        parts = [f"{bar.label} : {bar.text}" for bar in bars]
        territories = []
        for territory, value in places:
            text = "—" if value is None else number_fr(value)
            territories.append(f"{territory.name} : {text}")
            label = territory.name if territory.name == NO_TERRITORY else f"Territoire : {territory.name}"
            bars.append(Bar(label, text, TOP + len(bars) * (BAR_HEIGHT + GAP),
                            _scaled(value or Decimal(0), top), "territory"))
        bars.append(Bar("Total", number_fr(row.total), TOP + len(bars) * (BAR_HEIGHT + GAP),
                        _scaled(row.total, top), "total"))  # the bar the target is read against
        description = (f"{row.label}. " + " ; ".join(parts)
                       + (". Par territoire : " + " ; ".join(territories) if territories else "")
                       + f". Total : {number_fr(row.total)}"
                       + (f". Objectif : {target_text}" if target_text else ". Pas d'objectif chiffré") + ".")
        drawn.append(Chart(row, bars, LABEL_WIDTH + _scaled(reference, top) if reference is not None else None,
                           target_text, TOP + len(bars) * (BAR_HEIGHT + GAP) + 10, description))
    return drawn
