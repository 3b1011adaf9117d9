"""The French label of a stored state. States are StrEnums with English values (core.db.check_in derives their
CheckConstraint); what a person reads is a label kept beside each enum and registered here, per enum: two enums
may store the same word (« reviewer ») and still say different things."""

from __future__ import annotations

from enum import StrEnum

_LABELS: dict[type, dict[StrEnum, str]] = {}


class Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS[type(self)][self]


def labelled(enum: type[Labelled], labels: dict) -> dict:
    """Register the labels of `enum`, one for each of its states, and return them (for templates and forms)."""
    missing = [state.value for state in enum if state not in labels]
    if missing:
        raise ValueError(f"{enum.__name__}: no label for {', '.join(missing)}")
    _LABELS[enum] = {enum(state): text for state, text in labels.items()}
    return labels
