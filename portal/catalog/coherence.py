"""Dates of a call that contradict each other: warnings, not errors — the file stays valid and may be published.

`warnings(spec, root=None, file="")` returns CallErrors (same shape as the loader's errors); with the front-matter's
composed YAML (`root`), each warning carries the line of the date it is about. `loader.load_text` fills
`CallFile.warnings` with them; `portal calls check` prints them as « avertissement ».

A contradiction is only what no real call could mean: a window that closed before the call was published, one
that opens before it, a selection before every window has closed, a start before the selection (or, without one,
before the first closing), a milestone over before publication, an agreement that ends before its window closes.
"""

from __future__ import annotations

import datetime as dt

import yaml

from portal.catalog.loader import CallError, line_of
from portal.catalog.schema import CallSpec
from portal.core.formatting import date_fr


def warnings(spec: CallSpec, root: yaml.Node | None = None, file: str = "") -> list[CallError]:
    found: list[CallError] = []

    def warn(loc: tuple, message: str) -> None:
        found.append(CallError(file, _path(loc), message, line=line_of(root, loc)))

    published = spec.published_on
    windows = [(index, window) for index, window in enumerate(spec.windows)]
    for index, window in windows:
        name = f"la fenêtre « {window.key} »"
        if published and window.closes_on < published:
            warn(("published_on",), f"la publication ({date_fr(published)}) est postérieure à la clôture de "
                                    f"{name} ({date_fr(window.closes_on)})")
        if published and window.opens_on and window.opens_on < published <= window.closes_on:
            warn(("windows", index, "opens_on"), f"{name} ouvre ({date_fr(window.opens_on)}) avant la publication "
                                                 f"de l'appel ({date_fr(published)})")
        period = window.agreement_period
        if period and period.end < window.closes_on:
            warn(("windows", index, "agreement_period", "end"),
                 f"la convention de {name} se termine ({date_fr(period.end)}) avant sa clôture "
                 f"({date_fr(window.closes_on)})")
    first = min(windows, key=lambda item: item[1].closes_on, default=None)
    if first is not None and spec.selection_date and spec.selection_date < first[1].closes_on:
        warn(("selection_date",), f"la sélection ({date_fr(spec.selection_date)}) précède la clôture de la fenêtre "
                                  f"« {first[1].key} » ({date_fr(first[1].closes_on)})")
    if spec.start_date and spec.selection_date and spec.start_date < spec.selection_date:
        warn(("start_date",), f"le démarrage ({date_fr(spec.start_date)}) précède la sélection "
                              f"({date_fr(spec.selection_date)})")
    elif spec.start_date and not spec.selection_date and first is not None and spec.start_date < first[1].closes_on:
        warn(("start_date",), f"le démarrage ({date_fr(spec.start_date)}) précède la clôture de la fenêtre "
                              f"« {first[1].key} » ({date_fr(first[1].closes_on)})")
    for index, milestone in enumerate(spec.milestones):
        when = _last_day(milestone)
        if published and when and when < published:
            warn(("milestones", index), f"la date clé « {milestone.label} » ({date_fr(when)}) précède la "
                                        f"publication ({date_fr(published)})")
    return found


def _last_day(milestone) -> dt.date | None:
    """The milestone's last day: its day, the end of its period, its last occurrence (None: it recurs without end,
    or has no day)."""
    if getattr(milestone, "recurrence", None) is not None:
        return getattr(milestone, "until", None)
    for name in ("ends_on", "date"):
        value = getattr(milestone, name, None)
        if isinstance(value, dt.date):
            return value
    return None


def _path(loc: tuple) -> str:
    from portal.catalog.loader import _path as path

    return path(loc)
