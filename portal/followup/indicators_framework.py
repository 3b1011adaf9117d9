"""A national framework's indicators added up across the calls that put it into effect (issue 17: « for a national
framework (the DIHAL's mobile teams in 26 Départements), the same figures across the calls that share it »).

A member call names its framework in its file (`framework`, the slug of a call of kind cadre). Each indicator of the
framework is matched to the member call's indicator of the same label once folded (core.text.fold: case, accents
and spaces do not count; nothing fuzzier, so that no figure lands under a neighbour's label); a member call's
indicator that matches none is listed apart. Per member call the figures are those of its own page (indicators.py:
the latest accepted report of the kind per convention, a convention hidden from the viewer left out). The framework's
managers see every member call; anyone else only the member calls she manages (or follows as the issuer's finance
department). The conventions of every member call are read in one statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, select

from portal.accounts.permissions import can_manage_call, is_finance_for
from portal.catalog.models import Call
from portal.catalog.schema import Kind, Target
from portal.core.text import fold
from portal.extensions import db
from portal.followup.indicators import value_of
from portal.followup.models import Convention, Report
from portal.followup.permissions import visible_conventions
from portal.followup.states import REPORT_KIND_LABELS, ReportKind, ReportState


@dataclass(frozen=True)
class MemberColumn:
    call: Call
    territories: tuple[str, ...]  # the call's own territories, for the column's header
    conventions: int  # the visible ones
    counted: int  # how many have an accepted report of the kind


@dataclass(frozen=True)
class FrameworkRow:
    label: str
    group: str | None
    target: Target | None
    values: list[Decimal | None]  # per member call, in the columns' order; None: nothing accepted, or not asked
    asked: list[bool]  # whether the member call has this indicator at all
    total: Decimal


@dataclass(frozen=True)
class Unmatched:
    call: Call
    label: str
    total: Decimal


@dataclass
class FrameworkTable:
    kind: ReportKind
    columns: list[MemberColumn] = field(default_factory=list)
    rows: list[FrameworkRow] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return REPORT_KIND_LABELS[self.kind]


def members(framework: Call) -> list[Call]:
    """The published calls whose file names this framework, by title."""
    return list(db.session.scalars(select(Call).where(Call.spec_json["framework"].as_string() == framework.slug)
                                   .order_by(Call.title, Call.slug)))


def framework_of(call: Call) -> Call | None:
    """The published cadre the call names as its framework (None without one, or when it is not published)."""
    slug = call.spec.framework
    if slug is None:
        return None
    found = db.session.scalar(select(Call).where(Call.slug == slug))
    return found if found is not None and found.kind == Kind.CADRE else None


def manages_framework(user, framework: Call) -> bool:
    return can_manage_call(user, framework.uuid, framework.issuer) is None


def visible_members(user, framework: Call) -> list[Call] | None:
    """The member calls `user` may see on the framework's page; None when the page does not exist for her (she
    manages neither the framework nor any of its calls)."""
    listed = members(framework)
    if manages_framework(user, framework):
        return listed
    shown = [call for call in listed
             if can_manage_call(user, call.uuid, call.issuer) is None or is_finance_for(user, call.issuer)]
    return shown or None


def totals(framework: Call, calls: list[Call], user, kind: ReportKind = ReportKind.FINAL) -> FrameworkTable:
    """Per indicator of the framework, each member call's total and the sum — one statement for every call."""
    table = FrameworkTable(kind=kind)
    conventions: dict[int, set[uuid.UUID]] = {call.id: set() for call in calls}
    latest: dict[uuid.UUID, tuple[int, dict]] = {}  # convention → (call, values)
    if calls:
        accepted = and_(Report.convention_id == Convention.id, Report.kind == kind,
                        Report.state == ReportState.ACCEPTED)
        found = db.session.execute(
            select(Convention.call_id, Convention.id, Report.indicator_values, Report.accepted_at)
            .outerjoin(Report, accepted)
            .where(Convention.call_id.in_([call.id for call in calls]), *visible_conventions(user))
            .order_by(Convention.call_id, Convention.id, Report.accepted_at.nulls_first(), Report.id))
        for call_id, convention_id, values, accepted_at in found:
            conventions[call_id].add(convention_id)
            if accepted_at is not None:  # ordered by acceptance: the last one seen is the latest
                latest[convention_id] = (call_id, values or {})
    sums: dict[tuple[int, str], Decimal] = {}  # (call, indicator key) → total
    for call_id, values in latest.values():
        for key in values:
            value = value_of(values, key)
            if value is not None:
                sums[(call_id, key)] = sums.get((call_id, key), Decimal(0)) + value
    for call in calls:
        table.columns.append(MemberColumn(call, tuple(t.name for t in call.spec.territories),
                                          len(conventions[call.id]),
                                          sum(1 for owner, _ in latest.values() if owner == call.id)))
    keys = {call.id: {fold(indicator.label): str(index) for index, indicator in enumerate(_indicators(call))}
            for call in calls}
    wanted = set()
    for indicator in _indicators(framework):
        folded = fold(indicator.label)
        wanted.add(folded)
        asked = [folded in keys[call.id] for call in calls]
        values = [sums.get((call.id, keys[call.id][folded])) if is_asked else None
                  for call, is_asked in zip(calls, asked, strict=True)]
        table.rows.append(FrameworkRow(indicator.label, indicator.group, indicator.target, values, asked,
                                       sum((v for v in values if v is not None), Decimal(0))))
    for call in calls:
        for index, indicator in enumerate(_indicators(call)):
            if fold(indicator.label) not in wanted:
                table.unmatched.append(Unmatched(call, indicator.label, sums.get((call.id, str(index)), Decimal(0))))
    return table


def _indicators(call: Call) -> list:
    evaluation = call.spec.evaluation
    return list(evaluation.indicators) if evaluation else []
