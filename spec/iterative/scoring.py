"""The scores of iterative refinement (seed §3.4's helper functions): word-set Jaccard
similarity (`calculate_jaccard_similarity`), the stand-in quality assessment, and the
composite score by which `select_best_proposal` chooses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

#: The proposals agents may submit (short texts; their word sets are what is compared).
TEXTS = (
    "plan a budget",
    "plan the budget",
    "cut the budget now",
    "plan a budget and a schedule",
)

#: Composite score weights (the seed's `select_best_proposal`).
QUALITY_WEIGHT = Fraction(2, 5)
FEEDBACK_WEIGHT = Fraction(2, 5)
CONFIDENCE_WEIGHT = Fraction(1, 5)
NO_FEEDBACK = Fraction(1, 2)

#: A word: a maximal run of letters and digits of any script (`\w` without "_").
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> frozenset[str]:
    """The word set of a text: lower case, maximal runs of letters and digits."""
    return frozenset(_WORD.findall(text.lower()))


def jaccard(a: str, b: str) -> Fraction:
    """|A & B| / |A | B| of the word sets; 1 when both are empty."""
    x, y = words(a), words(b)
    union = x | y
    return Fraction(len(x & y), len(union)) if union else Fraction(1)


def quality(text: str) -> Fraction:
    """The quality of a proposal: its share of the words of all `TEXTS` (in [0, 1]).

    A stand-in for the seed's unspecified `quality_assessment`: a deterministic function
    of the text, so that an assessment has one outcome.
    """
    vocabulary = frozenset().union(*(words(t) for t in TEXTS))
    return Fraction(len(words(text) & vocabulary), len(vocabulary))


Similarity = Callable[[str, str], Fraction]

#: The convergence methods (`convergence_method`); `semantic` and `custom` are pluggable
#: functions, Jaccard by default until a deployment registers its own.
METHODS: dict[str, Similarity] = {"jaccard": jaccard, "semantic": jaccard, "custom": jaccard}


def composite(quality_score: Fraction, feedback: Fraction, confidence: Fraction) -> Fraction:
    """§3.4: "base_quality * 0.4 + feedback_score * 0.4 + confidence_score * 0.2"."""
    return (
        QUALITY_WEIGHT * quality_score + FEEDBACK_WEIGHT * feedback + CONFIDENCE_WEIGHT * confidence
    )
