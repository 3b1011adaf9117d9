"""The total on 20 of a review on known score sets (weights, scales, a blank optional criterion, a criterion left
out of the total, half-up rounding), and stored totals following the call's weights when the call file changes."""

from decimal import Decimal

from sqlalchemy import select

from portal.catalog.schema import Criterion
from portal.core.time import now
from portal.extensions import db
from portal.reviews import rounds, scoring
from portal.reviews.models import Review, Score
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.reviews.conftest import CRITERIA, ISSUER

GRID = [Criterion.model_validate(c) for c in CRITERIA]  # weights 2/1/1 on 0–5/0–5/0–10, and a non-counted one


def scores(qualite, partenariat, budget, remarques=None) -> dict:
    return {"qualite": qualite, "partenariat": partenariat, "budget": budget, "remarques": remarques}


def test_full_marks_give_twenty_and_zeros_give_zero():
    assert scoring.total(GRID, scores(5, 5, 10)) == Decimal("20.00")
    assert scoring.total(GRID, scores(0, 0, 0)) == Decimal("0.00")


def test_each_criterion_is_mapped_from_its_own_scale_then_weighted():
    # (2·3/5 + 1·5/5 + 1·5/10) / 4 · 20 = 2.7 / 4 · 20
    assert scoring.total(GRID, scores(3, 5, 5)) == Decimal("13.50")


def test_a_blank_optional_criterion_is_left_out_not_counted_as_zero():
    # (2·0.8 + 1·0.6) / 3 · 20 = 14.666…
    assert scoring.total(GRID, scores(4, 3, None)) == Decimal("14.67")
    assert scoring.total(GRID, scores(4, 3, 0)) == Decimal("11.00")


def test_a_criterion_not_counted_does_not_move_the_total():
    assert scoring.total(GRID, scores(4, 3, 6, remarques=0)) == scoring.total(GRID, scores(4, 3, 6, remarques=5))


def test_nothing_scored_has_no_total():
    assert scoring.total(GRID, scores(None, None, None, 5)) is None


def test_totals_are_rounded_half_up():
    fine = [Criterion.model_validate({"key": "detail", "label": "Détail", "scale": {"min": 0, "max": 32}})]
    assert scoring.total(fine, {"detail": 1}) == Decimal("0.63")  # 0.625: half-even would give 0.62
    assert scoring.total(fine, {"detail": 3}) == Decimal("1.88")  # 1.875


def test_stored_totals_follow_a_change_of_weights_in_the_call_file(selection, publish_call):
    rounds.ensure_settings(selection.call)  # the weights the totals are computed with are recorded here
    criteria = selection.call.spec.selection_criteria
    for reviewer, application, values in ((selection.reviewers[0], selection.applications[0], scores(5, 0, 0)),
                                          (selection.reviewers[1], selection.applications[0], scores(0, 5, 10))):
        review = Review(application_id=application.id, reviewer_id=reviewer.id, status="submitted",
                        created_at=now(), updated_at=now(), submitted_at=now(),
                        total=scoring.total(criteria, values),
                        scores=[Score(criterion=k, value=v) for k, v in values.items()])
        db.session.add(review)
    db.session.commit()
    assert _stored_totals() == [Decimal("10.00"), Decimal("10.00")]  # 2·1 / 4 and (1 + 1) / 4

    reweighted = [dict(c, weight=1) if c["key"] == "qualite" else c for c in CRITERIA]
    publish_call(id=str(selection.call.uuid), windows=[{"key": "unique", "opens_on": "2025-04-01",
                                                        "closes_on": "2025-05-09"}],
                 required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS,
                 selection_criteria=reweighted, issuer={"body": ISSUER, "siren": "226200012"})

    # qualite now weighs 1: 5/5 over 3 criteria → 6.67; (0 + 1 + 1) / 3 · 20 → 13.33
    assert _stored_totals() == [Decimal("6.67"), Decimal("13.33")]


def _stored_totals() -> list[Decimal]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(Review.total)))
