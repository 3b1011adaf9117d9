"""The calendar of the reports (« bilans ») due under a convention: from the call (interim, annual, final reports,
dated by its milestones) and from the law (the Cerfa n°15059 « compte rendu financier », six months after each funded
year: loi 2000-321 art. 10, arrêté du 11 octobre 2006). The caller commits."""

from __future__ import annotations

import datetime as dt

from portal.catalog.models import Call
from portal.core import audit
from portal.core.errors import Refusal
from portal.extensions import db
from portal.followup.models import Convention, Report
from portal.followup.states import ReportKind, ReportState


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)  # pragma: no cover


def _is_about(label: str, *words: str) -> bool:
    text = label.lower()
    return "bilan" in text and any(word in text for word in words)


def _occurrences(milestone, start: dt.date, end: dt.date) -> list[dt.date]:
    """The due dates a dated milestone gives within the convention's period (a period's last day; each occurrence
    of a yearly one)."""
    if milestone.date is None:
        return []
    first = milestone.ends_on or milestone.date
    days = [first]
    if milestone.recurrence is not None:
        step = 12 if milestone.recurrence == "yearly" else 1
        last = milestone.until or end
        days, day = [], first
        while day <= last and len(days) < 120:
            days.append(day)
            day = _add_months(first, step * len(days))
    return [d for d in days if start <= d <= end]


def _annual(spec, start: dt.date, end: dt.date, final_asked: bool) -> list[dict]:
    """One « Bilan annuel » per calendar year of the convention (the funder's budget year, as for the Cerfa 15059),
    on its own part of the convention; due on the first occurrence of the call's dated « bilan annuel » milestone
    from the end of that part, else at that end, the label saying the call fixes no date. When the call also asks a
    final report, it reports on the year the convention ends: that year gets no annual report due the same day."""
    dated = sorted({d for m in spec.milestones if _is_about(m.label, "annuel")
                    for d in _occurrences(m, start, _add_months(end, 12))})
    wanted = []
    for year in range(start.year, (end.year if final_asked else end.year + 1)):
        period_start, period_end = max(start, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
        due = next((d for d in dated if d >= period_end), None)
        label = (f"Bilan annuel {year}" if due else
                 f"Bilan annuel {year} (dû à la fin de la période : l'appel ne fixe pas de date)")
        wanted.append(dict(kind=ReportKind.ANNUAL, label=label, due_on=due or period_end, period_start=period_start,
                           period_end=period_end))
    return wanted


def calendar(convention: Convention, by=None, at: dt.datetime | None = None) -> list[Report]:
    """Create the reports the call and the law ask under this convention (none twice: an existing report of the same
    kind and label is kept). Dates come from the call's dated milestones; where the call gives none, the final report
    is due at the convention's end (an annual one at the end of its year) and its label says so — no date is ever
    read from the call's prose."""
    if convention.starts_on is None or convention.ends_on is None:
        raise Refusal("Les dates de début et de fin de la convention sont nécessaires pour établir le calendrier "
                      "des bilans.")
    call = db.session.get(Call, convention.call_id)
    spec = call.spec
    evaluation = spec.evaluation
    start, end = convention.starts_on, convention.ends_on
    wanted: list[dict] = []
    if evaluation is not None and evaluation.interim_report:
        dated = [d for m in spec.milestones if _is_about(m.label, "étape", "intermédiaire")
                 for d in _occurrences(m, start, end)]
        if dated:
            for number, day in enumerate(sorted(set(dated)), start=1):
                suffix = f" n°{number}" if len(dated) > 1 else ""
                wanted.append(dict(kind=ReportKind.INTERIM, label=f"Bilan intermédiaire{suffix}", due_on=day,
                                   period_start=start, period_end=day))
        else:
            middle = start + (end - start) / 2
            wanted.append(dict(kind=ReportKind.INTERIM, label="Bilan intermédiaire (à mi-parcours de la convention : "
                               "l'appel ne fixe pas de date)", due_on=middle, period_start=start, period_end=middle))
    if evaluation is not None and evaluation.annual_report:
        wanted += _annual(spec, start, end, final_asked=bool(evaluation.final_report))
    if evaluation is not None and evaluation.final_report:
        dated = sorted(d for m in spec.milestones if _is_about(m.label, "final")
                       for d in _occurrences(m, start, _add_months(end, 12)))
        if dated:
            wanted.append(dict(kind=ReportKind.FINAL, label="Bilan final", due_on=dated[0], period_start=start,
                               period_end=end))
        else:
            wanted.append(dict(kind=ReportKind.FINAL, label="Bilan final (dû à la fin de la convention : l'appel ne "
                               "fixe pas de date)", due_on=end, period_start=start, period_end=end))
    # Loi 2000-321 art. 10 and arrêté du 11 octobre 2006: the compte rendu financier within six months of the end of
    # the financial year for which the grant was given (a calendar year here: the funder's budget year).
    for year in range(start.year, end.year + 1):
        wanted.append(dict(kind=ReportKind.FINANCIAL, label=f"Compte rendu financier {year} (Cerfa n°15059)",
                           due_on=_add_months(dt.date(year, 12, 31), 6), period_start=max(start, dt.date(year, 1, 1)),
                           period_end=min(end, dt.date(year, 12, 31))))
    existing = {(r.kind, r.label) for r in convention.reports}
    created = []
    for fields in wanted:
        if (fields["kind"], fields["label"]) in existing:
            continue
        report = Report(convention_id=convention.id, state=ReportState.EXPECTED, **fields)
        convention.reports.append(report)
        created.append(report)
    db.session.flush()
    if created:
        audit.record("followup.report_calendar", actor=by, target=f"convention:{convention.id}",
                     reports=[f"{r.label} — {r.due_on.isoformat()}" for r in created])
    return created
