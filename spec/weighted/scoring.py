"""The expertise scoring algorithm of seed §2.4: from an agent's metrics to its capped
weight, and the distribution statistics of §2.2 (`weight_distribution_stats`).

A weighted sum of the four metrics (`raw_score`), scaled piecewise "to emphasize
expertise differences" (`expertise_scaling`, its pieces in `SCALING`), bounded to
[0.1, 3.0] (`expertise_weight`), then capped so that "no single agent [holds] >50% of
total weight" (`cap_weights`); `gini`, `max_individual_share` and `normalised_entropy`
describe the capped weights. Exact but for x^0.7 and the logarithms (`PRECISION`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Context, Decimal
from fractions import Fraction
from typing import NamedTuple

#: Irrational results (x^0.7, logarithms) are rounded toward zero to this many parts.
PRECISION = 10**9
_DECIMAL = Context(prec=40)

MIN_WEIGHT = Fraction(1, 10)
MAX_WEIGHT = Fraction(3)
MAX_SHARE = Fraction(1, 2)
NO_CONSENSUS = "no_consensus"


class Metrics(NamedTuple):
    """One expertise measurement of an agent (§2.2's `expertise_metric`), each in [0, 1]."""

    accuracy: Fraction
    consistency: Fraction
    domain_knowledge: Fraction
    past_performance: Fraction


#: The factor weights of the raw score (they sum to 1).
FACTOR_WEIGHTS = Metrics(Fraction(3, 10), Fraction(1, 5), Fraction(3, 10), Fraction(1, 5))

#: The metric profiles an assessment may report: novice, average, expert.
PROFILES = (
    Metrics(Fraction(1, 5), Fraction(1, 5), Fraction(1, 5), Fraction(1, 5)),
    Metrics(Fraction(1, 2), Fraction(1, 2), Fraction(1, 2), Fraction(1, 2)),
    Metrics(Fraction(1), Fraction(1), Fraction(1), Fraction(1)),
)
PROFILE_NAMES = ("novice", "average", "expert")


def _rounded(value: Decimal) -> Fraction:
    """A decimal result rounded toward zero to 1/PRECISION."""
    scaled = _DECIMAL.multiply(value, PRECISION).to_integral_value(
        rounding=ROUND_FLOOR, context=_DECIMAL
    )
    return Fraction(int(scaled), PRECISION)


def _decimal(q: Fraction) -> Decimal:
    return _DECIMAL.divide(Decimal(q.numerator), Decimal(q.denominator))


def raw_score(m: Metrics) -> Fraction:
    """§2.4: "base_metrics.accuracy * factor_weights.accuracy + ..." (in [0, 1])."""
    return sum((x * w for x, w in zip(m, FACTOR_WEIGHTS, strict=True)), Fraction(0))


class Piece(NamedTuple):
    """One piece of the scaling: from `low` up, raw -> factor * raw^exponent.

    `inclusive`: the piece starts at `low` itself (`raw >= low`, the seed's choice at
    every boundary) or just above it (`raw > low`).
    """

    low: Fraction
    factor: Fraction
    exponent: Fraction
    inclusive: bool = True

    def covers(self, raw: Fraction) -> bool:
        """Whether `raw` is at or above where this piece starts."""
        return raw >= self.low if self.inclusive else raw > self.low


#: §2.4's `apply_expertise_scaling`, highest piece first: "raw_score >= 0.8 ->
#: :math.pow(raw_score, 0.7) * 2.0; raw_score >= 0.6 -> raw_score * 1.5; raw_score >=
#: 0.4 -> raw_score * 1.2; true -> raw_score" (every boundary inclusive: FINDINGS W6).
#: proofs/weights.py reads this table: the result is in [0, 2], monotone on [0, 1], and
#: takes the seed's values at the boundaries.
SCALING = (
    Piece(Fraction(4, 5), Fraction(2), Fraction(7, 10), inclusive=True),
    Piece(Fraction(3, 5), Fraction(3, 2), Fraction(1), inclusive=True),
    Piece(Fraction(2, 5), Fraction(6, 5), Fraction(1), inclusive=True),
    Piece(Fraction(0), Fraction(1), Fraction(1), inclusive=True),
)


def expertise_scaling(raw: Fraction, pieces: Sequence[Piece] | None = None) -> Fraction:
    """§2.4's `apply_expertise_scaling`: "exponential scaling to emphasize high performers".

    raw >= 0.8: raw^0.7 * 2.0; raw >= 0.6: raw * 1.5; raw >= 0.4: raw * 1.2; else raw
    (the rows of `SCALING`, or of `pieces`: a broken variant's table). A fractional
    power is rounded toward zero to 1/PRECISION.
    """
    for piece in SCALING if pieces is None else pieces:
        if piece.covers(raw):
            if piece.exponent == 1:
                return piece.factor * raw
            power = _DECIMAL.power(_decimal(raw), _decimal(piece.exponent))
            return piece.factor * _rounded(power)
    return raw


def reaches(support: Fraction, threshold: Fraction, max_possible_weight: Fraction) -> bool:
    """§2.3's consensus check: support reaches `threshold` of the maximum possible weight."""
    return support >= threshold * max_possible_weight


@functools.lru_cache(maxsize=4096)
def expertise_weight(m: Metrics, pieces: Sequence[Piece] | None = None) -> Fraction:
    """§2.4: scaled score "bounded ... (0.1 to 3.0)"; the cap comes after, on all agents
    (`pieces`: a broken variant's scaling table, as in `expertise_scaling`)."""
    return max(MIN_WEIGHT, min(MAX_WEIGHT, expertise_scaling(raw_score(m), pieces)))


@functools.lru_cache(maxsize=4096)
def cap_weights(
    weights: Sequence[Fraction], max_share: Fraction = MAX_SHARE
) -> tuple[Fraction, ...]:
    """Water-filling: no agent above `max_share` of the total, the total unchanged.

    Agents above the cap are cut to `max_share * total`; their excess goes to the agents
    below it, in proportion to their weights (in equal parts if those are all zero);
    repeated until no agent is above the cap. One agent (or an all-zero vector) is
    returned as it is: a single agent always holds the whole weight. The result
    preserves the total and the order of the weights (ties may appear, never
    inversions). Requires `max_share * len(weights) >= 1`.
    """
    result = list(weights)
    total = sum(result, Fraction(0))
    if len(result) < 2 or total == 0:
        return tuple(result)
    cap = max_share * total
    capped = [False] * len(result)
    while True:
        over = [i for i, w in enumerate(result) if w > cap]
        if not over:
            return tuple(result)
        excess = Fraction(0)
        for i in over:
            excess += result[i] - cap
            result[i] = cap
            capped[i] = True
        free = [i for i, done in enumerate(capped) if not done]
        base = sum((result[i] for i in free), Fraction(0))
        for i in free:
            share = result[i] / base if base else Fraction(1, len(free))
            result[i] += excess * share


@functools.lru_cache(maxsize=4096)
def gini(weights: Sequence[Fraction]) -> Fraction:
    """Gini coefficient: sum |w_i - w_j| over all pairs (i, j), over 2 n total.

    0 for one agent or an all-zero vector; at most 1 - 1/n.
    """
    n, total = len(weights), sum(weights, Fraction(0))
    if n < 2 or total == 0:
        return Fraction(0)
    diffs = sum((abs(a - b) for a in weights for b in weights), Fraction(0))
    return diffs / (2 * n * total)


@functools.lru_cache(maxsize=4096)
def max_individual_share(weights: Sequence[Fraction]) -> Fraction:
    """The largest weight over the total (0 for an all-zero vector, 1 for one agent)."""
    total = sum(weights, Fraction(0))
    return max(weights) / total if total else Fraction(0)


@functools.lru_cache(maxsize=4096)
def normalised_entropy(weights: Sequence[Fraction]) -> Fraction:
    """Shannon entropy of the shares over ln n, in [0, 1] (rounded to 1/PRECISION).

    1 for equal weights, 0 when one agent holds everything; 1 for one agent (nothing to
    be unequal about) and 0 for an all-zero vector; zero shares contribute 0.
    """
    n, total = len(weights), sum(weights, Fraction(0))
    if total == 0:
        return Fraction(0)
    if n < 2 or len(set(weights)) == 1:
        return Fraction(1)
    h = Decimal(0)
    for w in weights:
        if w:
            p = _decimal(w / total)
            h = _DECIMAL.subtract(h, _DECIMAL.multiply(p, _DECIMAL.ln(p)))
    value = _DECIMAL.divide(h, _DECIMAL.ln(Decimal(n)))
    return min(Fraction(1), max(Fraction(0), _rounded(value)))
