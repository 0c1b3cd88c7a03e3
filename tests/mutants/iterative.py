"""Deliberately broken iterative-refinement variants: the checker must catch each one.

They live in `spec.variants.iterative` (shipped with the package, so `coordspec check
iterative --variant NAME` checks one); this module re-exports them for the tests.
`MUTANTS` pins the seed's own rules (spec/FINDINGS.md I1-I4), `ASSUMPTIONS` a broken
environment assumption (I6), `RESTATED` one mutant per
property of spec/restated/iterative.py, caught by it alone.
"""

from __future__ import annotations

from spec import iterative as it
from spec.variants import Variant
from spec.variants.iterative import (
    ASSUMPTIONS,
    MUTANTS,
    PORTFOLIO,
    RESTATED,
    MapOrderTieBreak,
    NoMaxRounds,
    OrderedState,
    SeedAllSubmitted,
    SelfFeedbackCounted,
    SilentParticipant,
)

#: A broken variant, where it shows, and what the checker must find: the same record
#: as `tests.mutants.pbft.Mutant`, typed for iterative models.
Mutant = Variant[it.Iterative]

__all__ = [
    "ASSUMPTIONS",
    "MUTANTS",
    "PORTFOLIO",
    "RESTATED",
    "MapOrderTieBreak",
    "Mutant",
    "NoMaxRounds",
    "OrderedState",
    "SeedAllSubmitted",
    "SelfFeedbackCounted",
    "SilentParticipant",
]
