"""What of a published call the selection uses, so that the catalogue never drops it from the call file: the
criteria the reviews scored, and the windows whose selection round has begun."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.models import Organisation
from portal.applications.call_usage import application_names
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.catalog.usage import KeyInUse, keys_dropped
from portal.extensions import db
from portal.reviews.models import Review, ReviewRound, Score
from portal.reviews.phases import PHASES


def register() -> None:
    """Answer the catalogue's question before it publishes a call file (a named function: connected once)."""
    keys_dropped.connect(keys_in_use)


def keys_in_use(call: Call, dropped: dict[str, list[str]]) -> list[KeyInUse]:
    """Receiver of `keys_dropped`: the dropped criteria that reviews scored and the windows under selection."""
    return [*_windows_in_selection(call, dropped.get("windows", [])),
            *_criteria_in_use(call, dropped.get("selection_criteria", []))]


def _criteria_in_use(call: Call, keys: list[str]) -> list[KeyInUse]:
    """Every review, draft or submitted, keeps a score row per criterion: the criterion is part of its meaning."""
    if not keys:
        return []
    rows = db.session.execute(
        select(Score.criterion, Application.number, Organisation.legal_name, func.count(Review.id))
        .join(Review, Review.id == Score.review_id).join(Application, Application.id == Review.application_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.call_id == call.id, Score.criterion.in_(keys))
        .group_by(Score.criterion, Application.number, Organisation.legal_name)).all()
    uses = []
    for key in keys:
        found = [(number, organisation, count) for criterion, number, organisation, count in rows if criterion == key]
        if found:
            uses.append(KeyInUse("selection_criteria", key, _reviews_of(found)))
    return uses


def _reviews_of(found: list[tuple[str | None, str, int]]) -> str:
    """« 1 évaluation de la candidature X l'utilise », « 3 évaluations des candidatures X, Y l'utilisent »."""
    reviews = sum(count for _, _, count in found)
    names = application_names((number, organisation) for number, organisation, _ in found)
    of = f"de la candidature {names[0]}" if len(names) == 1 else f"des candidatures {', '.join(names)}"
    return f"{reviews} évaluation{'s' if reviews > 1 else ''} {of} l'utilise{'nt' if reviews > 1 else ''}"


def _windows_in_selection(call: Call, keys: list[str]) -> list[KeyInUse]:
    """A round refers to its window, even one that received no application."""
    if not keys:
        return []
    rows = db.session.execute(select(Window.key, ReviewRound.phase).join(ReviewRound, ReviewRound.window_id == Window.id)
                              .where(Window.call_id == call.id, Window.key.in_(keys))).all()
    return [KeyInUse("windows", key, f"sa sélection a commencé (phase « {PHASES[phase].label} »)")
            for key, phase in rows]
