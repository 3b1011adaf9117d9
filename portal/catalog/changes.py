"""What changed in a published call for the people applying to it: dates, documents, criteria, questions and
amounts, each as {label, before, after} in French, kept with the revision (CallRevision.details), shown on the
call's page as a dated « Modification de l'appel » and sent to the organisations that already apply.

Each label starts with the part's name in schema.FIELD_LABELS (the names `changes` lists), or is that name: one
vocabulary for « Mis à jour le … : ce qui a changé » and for the details below it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from portal.catalog.schema import FIELD_LABELS, CallSpec, Criterion, Document, Question, UnitCost, Window
from portal.core.files import formats_label
from portal.core.formatting import date_fr, money_fr, number_fr

NONE = "—"  # what a page shows for a part the version does not have


def applicant_changes(old: CallSpec, new: CallSpec) -> list[dict]:
    """Every change between two versions of a call that matters to applicants, in French, [] when none does."""
    changes: list[dict] = []
    changes += _windows(old.windows, new.windows)
    for field in ("selection_date", "start_date"):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            changes.append(_change(FIELD_LABELS[field], date_fr(before) or NONE, date_fr(after) or NONE))
    changes += _keyed("required_documents", old.required_documents, new.required_documents, _document, "e")
    changes += _keyed("questions", old.questions, new.questions, _question, "e")
    changes += _keyed("selection_criteria", old.selection_criteria, new.selection_criteria, _criterion, "")
    changes += _funding(old, new)
    return changes


def parts_of(details: Iterable[dict]) -> list[str]:
    """The part names (schema.FIELD_LABELS, as a revision's `changes` lists them) the details fall under, once
    each: a detail's label is its part's name, or that name, « : » and what of it changed."""
    return list(dict.fromkeys(detail["label"].split(" : ", 1)[0] for detail in details))


def _change(label: str, before: str, after: str) -> dict:
    return {"label": label, "before": before, "after": after}


def _windows(old: list[Window], new: list[Window]) -> list[dict]:
    part = FIELD_LABELS["windows"]
    before, after = {w.key: w for w in old}, {w.key: w for w in new}
    several = len(old) > 1 or len(new) > 1
    changes = []
    for key, window in after.items():
        name = f" ({window.label or key})" if several or window.label else ""
        previous = before.get(key)
        if previous is None:
            changes.append(_change(f"{part} : fenêtre ajoutée", NONE, _window(window)))
            continue
        for label, was, now in (("ouverture", previous.opens_on, window.opens_on),
                                ("clôture", previous.closes_on, window.closes_on)):
            if was != now:
                changes.append(_change(f"{part} : {label}{name}", date_fr(was) or NONE, date_fr(now) or NONE))
        if previous.budget != window.budget:
            changes.append(_change(f"{part} : budget{name}", _money(previous.budget), _money(window.budget)))
    changes += [_change(f"{part} : fenêtre retirée", _window(window), "retirée")
                for key, window in before.items() if key not in after]
    return changes


def _window(window: Window) -> str:
    opening = f"du {date_fr(window.opens_on)} " if window.opens_on else ""
    return f"{window.label or window.key} : {opening}jusqu'au {date_fr(window.closes_on)}"


def _keyed(field: str, old: list, new: list, describe: Callable, agreement: str) -> list[dict]:
    """Added, removed and changed items of a keyed list (documents, questions, criteria), named by their label;
    `agreement` is the French ending of the participles (« retirée » for a document, « retiré » for a criterion)."""
    part = FIELD_LABELS[field]
    before, after = {item.key: item for item in old}, {item.key: item for item in new}
    changes = []
    for key, item in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append(_change(f"{part} : « {item.label} »", NONE, f"ajouté{agreement} — {describe(item)}"))
        elif describe(previous) != describe(item) or previous.label != item.label:
            changes.append(_change(f"{part} : « {item.label} »", describe(previous), describe(item)))
    changes += [_change(f"{part} : « {item.label} »", describe(item), f"retiré{agreement}")
                for key, item in before.items() if key not in after]
    return changes


def _document(document: Document) -> str:
    requirement = document.required_for_label or ("obligatoire" if document.required else "facultative")
    parts = [document.label, requirement,
             formats_label(document.effective_formats), f"{document.effective_max_size_mb} Mo au plus"]
    if document.multiple:
        parts.append("plusieurs fichiers possibles")
    return ", ".join(parts)


def _question(question: Question) -> str:
    parts = [question.label, "obligatoire" if question.required else "facultative"]
    if question.max_length:
        parts.append(f"{number_fr(question.max_length)} caractères au plus")
    if question.choices:
        parts.append(f"choix : {' / '.join(question.choices)}")
    if question.columns:
        parts.append(f"colonnes : {' / '.join(c.label for c in question.columns)}")
    return ", ".join(parts)


def _criterion(criterion: Criterion) -> str:
    parts = [criterion.label]
    if criterion.weight is not None:
        parts.append(f"coefficient {number_fr(criterion.weight)}")
    if criterion.scale is not None:
        parts.append(f"noté de {criterion.scale.min} à {criterion.scale.max}")
    if not criterion.counted:
        parts.append("commenté, non compté")
    return ", ".join(parts)


def _funding(old: CallSpec, new: CallSpec) -> list[dict]:
    part, changes = FIELD_LABELS["funding"], []
    was = old.funding.envelope if old.funding else None
    now = new.funding.envelope if new.funding else None
    if was != now:
        changes.append(_change(f"{part} : enveloppe", _money(was), _money(now)))
    yearly_before = {e.year: e.amount for e in (old.funding.envelopes if old.funding else [])}
    yearly_after = {e.year: e.amount for e in (new.funding.envelopes if new.funding else [])}
    for year in sorted(set(yearly_before) | set(yearly_after)):
        if yearly_before.get(year) != yearly_after.get(year):
            changes.append(_change(f"{part} : enveloppe {year}", _money(yearly_before.get(year)),
                                   _money(yearly_after.get(year))))
    before = {c.label: c for c in (old.funding.unit_costs if old.funding else [])}
    after = {c.label: c for c in (new.funding.unit_costs if new.funding else [])}
    for label in dict.fromkeys([*before, *after]):
        first, second = before.get(label), after.get(label)
        if first != second:
            changes.append(_change(f"{part} : coût unitaire « {label} »", _unit_cost(first) if first else NONE,
                                   _unit_cost(second) if second else "retiré"))
    return changes


def _unit_cost(cost: UnitCost) -> str:
    text = f"{money_fr(cost.amount)}{f' {cost.unit}' if cost.unit else ''}"
    if cost.max_units:
        text += f", {cost.max_units} au plus"
    if cost.max_amount is not None:
        text += f" ({money_fr(cost.max_amount)} maximum)"
    return text


def _money(amount) -> str:
    return money_fr(amount) if amount is not None else NONE
