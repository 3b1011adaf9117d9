"""What of a published call the applications use, so that the catalogue never drops it from the call file: the
windows (each application belongs to one), the documents (the files uploaded for them) and the questions (the
answers given to them)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from portal.accounts.models import Organisation
from portal.applications.models import Application, ApplicationFile, Version, VersionFile
from portal.catalog.models import Call, Window
from portal.catalog.usage import KeyInUse, keys_dropped
from portal.extensions import db


def register() -> None:
    """Answer the catalogue's question before it publishes a call file (a named function: connected once)."""
    keys_dropped.connect(keys_in_use)


def keys_in_use(call: Call, dropped: dict[str, list[str]]) -> list[KeyInUse]:
    """Receiver of `keys_dropped`: the dropped windows, documents and questions that applications of the call
    still use."""
    return [*_windows_in_use(call, dropped.get("windows", [])),
            *_documents_in_use(call, dropped.get("required_documents", [])),
            *_questions_in_use(call, dropped.get("questions", []))]


def application_names(applications: Iterable[tuple[str | None, str]]) -> list[str]:
    """(number, organisation) pairs as people name them: by number, a draft that has none yet by its organisation."""
    distinct = set(applications)
    return sorted(number for number, _ in distinct if number) + sorted(
        f"{organisation} (brouillon)" for number, organisation in distinct if not number)


def used_by(applications: Iterable[tuple[str | None, str]]) -> str:
    """« la candidature AAP-2025-0001 l'utilise », « les candidatures AAP-2025-0001, X (brouillon) l'utilisent »."""
    names = application_names(applications)
    if len(names) == 1:
        return f"la candidature {names[0]} l'utilise"
    return f"les candidatures {', '.join(names)} l'utilisent"


def _named(statement):
    """The statement's rows with the application's number and organisation name added."""
    return statement.add_columns(Application.number, Organisation.legal_name).join(
        Organisation, Organisation.id == Application.organisation_id)


def _windows_in_use(call: Call, keys: list[str]) -> list[KeyInUse]:
    if not keys:
        return []
    rows = db.session.execute(_named(select(Window.key).join(Application, Application.window_id == Window.id))
                              .where(Window.call_id == call.id, Window.key.in_(keys))).all()
    return _uses("windows", keys, rows)


def _documents_in_use(call: Call, keys: list[str]) -> list[KeyInUse]:
    """A document is used by a file the draft holds or by one a deposited version froze (removed from the draft
    since, the version still lists it)."""
    if not keys:
        return []
    held = db.session.execute(_named(select(ApplicationFile.slot)
                                     .join(Application, Application.id == ApplicationFile.application_id))
                              .where(Application.call_id == call.id, ApplicationFile.slot.in_(keys),
                                     ApplicationFile.removed_at.is_(None))).all()
    frozen = db.session.execute(_named(select(VersionFile.slot).join(Version, Version.id == VersionFile.version_id)
                                       .join(Application, Application.id == Version.application_id))
                                .where(Application.call_id == call.id, VersionFile.slot.in_(keys))).all()
    return _uses("required_documents", keys, [*held, *frozen])


def _questions_in_use(call: Call, keys: list[str]) -> list[KeyInUse]:
    """A question is used by an answer the draft holds or one a deposited version froze (an empty answer is none).
    Answers are JSON, read here rather than queried in SQL the same way on both databases."""
    if not keys:
        return []
    held = db.session.execute(_named(select(Application.answers).select_from(Application))
                              .where(Application.call_id == call.id)).all()
    frozen = db.session.execute(_named(select(Version.snapshot)
                                       .join(Application, Application.id == Version.application_id))
                                .where(Application.call_id == call.id)).all()
    answered = [*held, *(((snapshot or {}).get("answers"), number, name) for snapshot, number, name in frozen)]
    found = [(key, number, name) for answers, number, name in answered for key in keys
             if _answered(((answers or {}).get("questions") or {}).get(key))]
    return _uses("questions", keys, found)


def _answered(value) -> bool:
    if isinstance(value, list):  # a multiple choice, or a table's rows
        return any(_answered(item) for item in value)
    if isinstance(value, dict):
        return any(_answered(item) for item in value.values())
    return value not in (None, "")


def _uses(field: str, keys: list[str], rows) -> list[KeyInUse]:
    """One KeyInUse per key that has rows of (key, application number, organisation name)."""
    by_key: dict[str, set] = {}
    for key, number, organisation in rows:
        by_key.setdefault(key, set()).add((number, organisation))
    return [KeyInUse(field, key, used_by(by_key[key])) for key in keys if key in by_key]
