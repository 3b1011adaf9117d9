"""The review grid, built from the call's selection criteria: a radio group over each scored criterion's scale,
a comment per criterion, the general opinion and comment. The values are checked by reviewing.save, which knows
the scales and when a value is required; the form only carries them and shows the errors on their fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField, TextAreaField

from portal.catalog.schema import Criterion
from portal.reviews import scoring
from portal.reviews.reviewing import COMMENT_MAX, comment_hint, is_scored
from portal.reviews.states import Opinion


def score_field(key: str) -> str:
    return f"score_{key}"


def comment_field(key: str) -> str:
    return f"comment_{key}"


def level_choices(criterion: Criterion) -> list[SelectChoice]:
    """Each level of the scale, with the label the call gives it (« 3 — Satisfaisant »)."""
    scale = scoring.scale_of(criterion)
    return [SelectChoice(str(level), f"{level} — {scale.labels[level]}" if level in scale.labels else str(level))
            for level in range(scale.min, scale.max + 1)]


def _limited() -> dict:
    """Every comment announces its limit, which reviewing.save checks."""
    return {"description": comment_hint(), "render_kw": {"maxlength": COMMENT_MAX}}


def review_form(criteria: list[Criterion], shown: dict | None, formdata=None):
    """The grid for these criteria, filled on display from what reviewing.shown gives (her pending changes or her
    review) and from the request once posted."""

    class ReviewForm(FlaskForm):
        opinion = RadioField("Avis général", choices=[SelectChoice(o, o.label) for o in Opinion], validate_choice=False)
        comment = TextAreaField("Commentaire général", **_limited())
        save_draft = SubmitField("Enregistrer le brouillon")
        submit_review = SubmitField("Soumettre l'évaluation")
        discard_changes = SubmitField("Abandonner les modifications")

    shown = shown or {}
    scores, comments = shown.get("scores", {}), shown.get("comments", {})
    data: dict = {"opinion": shown.get("opinion"), "comment": shown.get("comment")}
    for criterion in criteria:
        value = scores.get(criterion.key)
        if is_scored(criterion):
            setattr(ReviewForm, score_field(criterion.key),
                    RadioField(criterion.label, choices=level_choices(criterion), validate_choice=False))
            data[score_field(criterion.key)] = str(value) if value is not None else None
        setattr(ReviewForm, comment_field(criterion.key), TextAreaField(f"Commentaire — {criterion.label}", **_limited()))
        data[comment_field(criterion.key)] = comments.get(criterion.key)
    return ReviewForm(formdata=formdata, data=data) if formdata is not None else ReviewForm(data=data)


def values_of(form, criteria: list[Criterion]) -> tuple[dict[str, str], dict[str, str]]:
    """The posted scores and comments by criterion key, as reviewing.save takes them."""
    values = {c.key: form[score_field(c.key)].data or "" for c in criteria if is_scored(c)}
    comments = {c.key: form[comment_field(c.key)].data or "" for c in criteria}
    return values, comments


def show_errors(form, errors: dict[str, str]) -> None:
    """Put the service's messages on the fields they are about, for the fields and the error summary."""
    for key, message in errors.items():
        name = key if key in ("opinion", "comment") or key.startswith("comment_") else score_field(key)
        if name in form:
            form[name].errors = [message]
