"""A review's total: the weighted mean of its counted criteria, each mapped from its own scale onto one scale out
of 20. The one place the formula lives; stored totals are recomputed here when a call's weights change."""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

from portal.catalog.schema import CallSpec, Criterion, Scale

OUT_OF = Decimal(20)
DEFAULT_SCALE = Scale()  # 0 to 5, when the call gives no scale


def scale_of(criterion: Criterion) -> Scale:
    return criterion.scale or DEFAULT_SCALE


def weight_of(criterion: Criterion) -> Decimal:
    return criterion.weight if criterion.weight is not None else Decimal(1)


def total(criteria: list[Criterion], values: dict[str, int | None]) -> Decimal | None:
    """Σ wᵢ·(vᵢ − minᵢ)/(maxᵢ − minᵢ) / Σ wᵢ × 20 over the counted criteria that were scored; None if none was.
    An optional criterion left blank is left out of both sums rather than counted as zero."""
    scored = [(c, values[c.key]) for c in criteria if c.counted and values.get(c.key) is not None]
    if not scored:
        return None
    weights = sum(weight_of(c) for c, _ in scored)
    weighted = sum(weight_of(c) * Decimal(v - scale_of(c).min) / Decimal(scale_of(c).max - scale_of(c).min)
                   for c, v in scored)
    return (weighted / weights * OUT_OF).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def weights_signature(spec: CallSpec) -> str:
    """What the totals depend on: a change in any weight, scale or « counted » flag changes it."""
    parts = [[c.key, str(weight_of(c)), scale_of(c).min, scale_of(c).max, c.counted] for c in spec.selection_criteria]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
