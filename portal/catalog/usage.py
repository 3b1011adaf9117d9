"""Keys of a published call that later data uses: a new version of the file may not drop a window, a criterion, a
document or a question that applications or reviews refer to. The catalogue asks, through `keys_dropped`, without knowing who
answers: the applications and reviews domains connect their receivers when the application starts."""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

from portal.catalog.models import Call
from portal.catalog.schema import CallSpec

# Sent with the published Call and `dropped` ({field: keys the new version lacks}) before anything of the call
# changes; each receiver returns the list of KeyInUse it knows of.
keys_dropped = Namespace().signal("call-keys-dropped")

# The keyed parts of a call that other rows refer to, with their French name and agreement.
KEYED_FIELDS = {"windows": ("la fenêtre", "retirée"), "selection_criteria": ("le critère", "retiré"),
                "required_documents": ("la pièce", "retirée"), "questions": ("la question", "retirée")}


@dataclass(frozen=True)
class KeyInUse:
    """A dropped key still in use. `users` is a French clause that ends with its verb, written by the domain that
    knows the rows: « les candidatures AAP-2025-0001, AAP-2025-0002 l'utilisent »."""

    field: str
    key: str
    users: str


class KeysInUse(Exception):
    """The new version drops keys still in use: nothing of the call was changed."""

    def __init__(self, uses: list[KeyInUse]) -> None:
        super().__init__(uses)
        self.uses = uses

    def messages(self) -> list[tuple[str, str]]:
        """One (field, French message) per refused key, every domain's reasons together."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for use in self.uses:
            grouped.setdefault((use.field, use.key), []).append(use.users)
        order = list(KEYED_FIELDS)
        return [(field, _message(field, key, clauses))
                for (field, key), clauses in sorted(grouped.items(), key=lambda item: order.index(item[0][0]))]


def _message(field: str, key: str, clauses: list[str]) -> str:
    noun, removed = KEYED_FIELDS[field]
    return (f"{noun} « {key} » ne peut pas être {removed} : {' ; '.join(clauses)}. "
            "La version en ligne reste inchangée.")


def dropped_keys(old: CallSpec, new: CallSpec) -> dict[str, list[str]]:
    """The keys of windows, criteria, documents and questions that the published version has and the new one lacks
    (a renamed key is dropped too); changing what a key describes, such as a window's dates, drops nothing."""
    dropped = {}
    for field in KEYED_FIELDS:
        kept = {item.key for item in getattr(new, field)}
        lost = [item.key for item in getattr(old, field) if item.key not in kept]
        if lost:
            dropped[field] = lost
    return dropped


def refuse_dropping_used_keys(call: Call, new: CallSpec) -> None:
    """Raise KeysInUse when the new version drops a key that a receiver of `keys_dropped` still finds in use."""
    dropped = dropped_keys(call.spec, new)
    if not dropped:
        return
    uses = [use for _receiver, found in keys_dropped.send(call, dropped=dropped) for use in found or ()]
    if uses:
        raise KeysInUse(uses)
