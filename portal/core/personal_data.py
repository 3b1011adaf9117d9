"""Each domain registers what it keeps about a person, so that the export and the deletion of an account
cover every table without the accounts domain knowing the others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Keeper:
    name: str
    export: Callable[[int, str], object]  # (user id, e-mail) -> JSON-serialisable data
    erase: Callable[[int, str], None]  # (user id, e-mail): delete or detach, inside the caller's transaction


_keepers: dict[str, Keeper] = {}


def register(name: str, export: Callable[[int, str], object], erase: Callable[[int, str], None]) -> None:
    _keepers[name] = Keeper(name, export, erase)


def export_all(user_id: int, email: str) -> dict[str, object]:
    return {name: keeper.export(user_id, email) for name, keeper in sorted(_keepers.items())}


def erase_all(user_id: int, email: str) -> None:
    for keeper in _keepers.values():
        keeper.erase(user_id, email)
