"""A committee member's review of one application: saving a draft, submitting it (the total on 20 is stored and
the submission frozen as a version), and the « next » application she should read."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError

from portal.applications.models import Application
from portal.catalog.models import Call
from portal.catalog.schema import Criterion
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.formatting import number_fr, too_long
from portal.extensions import db
from portal.reviews import permissions, queries, rounds, scoring
from portal.reviews.models import Review, ReviewVersion, Score
from portal.reviews.states import Opinion, ReviewStatus

COMMENT_MAX = 5000  # each comment, announced under its field


def comment_hint() -> str:
    return f"{number_fr(COMMENT_MAX)} caractères au maximum."


class ReviewInvalid(Refusal):
    """Values the reviewer must correct, by field: a criterion's key, « comment_<key> », « opinion » or « comment »."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("L'évaluation contient des erreurs : corrigez-les pour l'enregistrer.")
        self.errors = errors


def is_scored(criterion: Criterion) -> bool:
    """A criterion left out of the total and given no scale in the call file asks only for a comment."""
    return criterion.counted or criterion.scale is not None


def may_score(user, application: Application, at: dt.datetime) -> bool:
    """Whether the grid is open to her now (permissions.can_score says why when it is not)."""
    return _score_refusal(user, application, at) is None


def _score_refusal(user, application: Application, at: dt.datetime) -> Refusal | None:
    return permissions.can_score(user, application, rounds.round_of_application(application, at),
                                 queries.assignment_of(user, application))


def _check_may_score(user, application: Application, at: dt.datetime) -> None:
    refusal = _score_refusal(user, application, at)
    if refusal is not None:
        raise refusal


def _parse(criteria: list[Criterion], values: dict[str, str], opinion: str | None,
           submit: bool) -> tuple[dict[str, int | None], dict[str, str]]:
    """The values as integers on each criterion's scale, and the French message for each field in error."""
    parsed: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for criterion in criteria:
        raw = (values.get(criterion.key) or "").strip()
        parsed[criterion.key] = None
        if not is_scored(criterion):
            continue
        scale = scoring.scale_of(criterion)
        if raw:
            try:
                number = int(raw)
            except ValueError:
                number = None
            if number is None or not scale.min <= number <= scale.max:
                errors[criterion.key] = f"La note doit être un nombre entier entre {scale.min} et {scale.max}."
            else:
                parsed[criterion.key] = number
        elif submit and criterion.required:
            errors[criterion.key] = "Notez ce critère pour soumettre l'évaluation."
    if opinion and opinion not in list(Opinion):
        errors["opinion"] = "Choisissez un avis parmi « Favorable », « Réservé » et « Défavorable »."
    elif submit and not opinion:
        errors["opinion"] = "Choisissez un avis général pour soumettre l'évaluation."
    return parsed, errors


def _comments_too_long(comments: dict[str, str], comment: str | None) -> dict[str, str]:
    texts = {f"comment_{key}": text for key, text in comments.items()} | {"comment": comment}
    return {field: too_long(len(text), COMMENT_MAX) for field, text in texts.items() if text and len(text) > COMMENT_MAX}


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def save(application: Application, reviewer, values: dict[str, str], comments: dict[str, str], opinion: str | None,
         comment: str | None, submit: bool, at: dt.datetime) -> Review:
    """Create or update her review. A draft may be partial; a submission needs every required criterion and an
    opinion, stores the total and freezes a new version (the earlier ones stay). Once submitted, the scores stay
    those of her last version: changes saved without submitting wait aside (`pending`), seen by her alone, until
    she submits them as the next version or abandons them."""
    _check_may_score(reviewer, application, at)
    criteria = application.call.spec.selection_criteria
    parsed, errors = _parse(criteria, values, opinion, submit)
    errors.update(_comments_too_long(comments, comment))
    if errors:
        raise ReviewInvalid(errors)
    review = queries.own_review(reviewer, application)
    target = f"application:{application.id}"
    cleaned = {c.key: _clean(comments.get(c.key)) for c in criteria}
    if review is not None and review.status == ReviewStatus.SUBMITTED and not submit:
        review.pending = {"scores": parsed, "comments": cleaned, "opinion": opinion or None,
                          "comment": _clean(comment)}
        review.pending_at = at
        audit.record("review.save_pending", actor=reviewer, target=target, review=str(review.id),
                     submitted_version=len(review.versions),
                     **_changes(review, criteria, parsed, cleaned, opinion or None, _clean(comment)))
        _flush_once()
        return review
    if review is None:
        review = Review(application_id=application.id, reviewer_id=reviewer.id, status=ReviewStatus.DRAFT, created_at=at)
        db.session.add(review)
    changes = _apply(review, criteria, parsed, cleaned, opinion or None, _clean(comment))
    review.updated_at = at
    if not submit:
        audit.record("review.save", actor=reviewer, target=target, review=str(review.id), **changes)
        _flush_once()
        return review
    review.status, review.submitted_at = ReviewStatus.SUBMITTED, at
    review.pending, review.pending_at = None, None
    review.total = scoring.total(criteria, parsed)
    rounds.ensure_settings(application.call)  # records the weights the stored totals follow (totals.py)
    db.session.flush()
    number = len(review.versions) + 1
    review.versions.append(ReviewVersion(number=number, submitted_at=at, snapshot=snapshot(review)))
    audit.record("review.submit", actor=reviewer, target=target, review=str(review.id), version=number,
                 total=str(review.total) if review.total is not None else None, **changes)
    _flush_once()
    return review


def discard_pending(application: Application, reviewer, at: dt.datetime) -> Review:
    """Abandon the changes she saved since her last submission: her submitted version stays as it was. The caller
    commits."""
    _check_may_score(reviewer, application, at)
    review = queries.own_review(reviewer, application)
    if review is None or review.pending is None:
        raise Refusal("Vous n'avez pas de modifications en attente sur cette évaluation.")
    audit.record("review.discard_pending", actor=reviewer, target=f"application:{application.id}",
                 review=str(review.id), submitted_version=len(review.versions),
                 saved_at=review.pending_at.isoformat() if review.pending_at else None)
    review.pending, review.pending_at = None, None
    db.session.flush()
    return review


def shown(review: Review | None) -> dict | None:
    """What her grid shows: the changes she saved since submitting if any, else her review's rows."""
    if review is None:
        return None
    if review.pending is not None:
        return review.pending
    return {"scores": {s.criterion: s.value for s in review.scores},
            "comments": {s.criterion: s.comment for s in review.scores}, "opinion": review.opinion,
            "comment": review.comment}


def _flush_once() -> None:
    """Two tabs saving the same review at the same instant collide on a unique key: the second is told (its
    request rolls back), and the first one's save stands."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Refusal("Votre évaluation vient d'être enregistrée depuis une autre fenêtre : rechargez la page "
                          "et vérifiez vos notes avant de recommencer.") from None


def _changes(review: Review, criteria: list[Criterion], parsed: dict[str, int | None], comments: dict[str, str | None],
             opinion: str | None, comment: str | None) -> dict:
    """What these values change on the review's rows, as « old → new », for the audit log."""
    scores: dict[str, str] = {}
    commented: list[str] = []
    for criterion in criteria:
        row = review.score_of(criterion.key)
        old_value, old_comment = (row.value, row.comment) if row is not None else (None, None)
        if old_value != parsed[criterion.key]:
            scores[criterion.key] = f"{_shown(old_value)} → {_shown(parsed[criterion.key])}"
        if old_comment != comments[criterion.key]:
            commented.append(criterion.key)
    changes: dict = {}
    if scores:
        changes["scores"] = scores
    if commented:
        changes["comments_changed"] = commented
    if review.opinion != opinion:
        changes["opinion"] = f"{_shown(review.opinion)} → {_shown(opinion)}"
    if review.comment != comment:
        changes["comment_changed"] = True
    return changes


def _apply(review: Review, criteria: list[Criterion], parsed: dict[str, int | None], comments: dict[str, str | None],
           opinion: str | None, comment: str | None) -> dict:
    """Write the values onto the review's rows; return what changed (_changes)."""
    changes = _changes(review, criteria, parsed, comments, opinion, comment)
    for criterion in criteria:
        row = review.score_of(criterion.key)
        if row is None:
            row = Score(criterion=criterion.key)
            review.scores.append(row)
        row.value, row.comment = parsed[criterion.key], comments[criterion.key]
    review.opinion, review.comment = opinion, comment
    return changes


def _shown(value) -> str:
    return "—" if value is None else str(value)


def snapshot(review: Review) -> dict:
    """The review as submitted, for its version: what a later reader needs without the live rows."""
    return {"scores": {s.criterion: s.value for s in review.scores},
            "comments": {s.criterion: s.comment for s in review.scores if s.comment},
            "opinion": review.opinion, "comment": review.comment,
            "total": str(review.total) if review.total is not None else None}


def next_for(user, call: Call) -> Application | None:
    """Among her assigned applications still open to her scoring, the one that has received the fewest submitted
    reviews (ties: lowest number), so that every application gets read."""
    return queries.next_to_review(user, call)
