"""Deliberately broken weighted-voting variants: the checker must catch each one.

They live in `spec.variants.weighted` (shipped with the package, so `coordspec check
weighted --variant NAME` checks one); this module re-exports them for the tests.
`MUTANTS` pins what the checker reports first, `SECONDARY` further properties the same
rules break (spec/FINDINGS.md W1-W4), `RESTATED` one mutant for each property of
spec/restated/weighted.py, caught by it alone (tests/test_restated.py).
"""

from __future__ import annotations

from spec.variants import weighted as _variants
from spec.variants.weighted import (
    CapWithoutRedistribution,
    Config,
    OptionBlindConsensus,
    SeedRunningTotal,
    SeedVoteHandler,
    TallyAtVoteTime,
    VotesAfterDecision,
)
from tests.mutants.pbft import Mutant

#: Typed as the tests have always read them: `build()` gives a `Model`.
MUTANTS: tuple[Mutant, ...] = _variants.MUTANTS
SECONDARY: tuple[Mutant, ...] = _variants.SECONDARY
PORTFOLIO: tuple[Mutant, ...] = _variants.PORTFOLIO
RESTATED: tuple[Mutant, ...] = _variants.RESTATED

__all__ = [
    "MUTANTS",
    "PORTFOLIO",
    "RESTATED",
    "SECONDARY",
    "CapWithoutRedistribution",
    "Config",
    "Mutant",
    "OptionBlindConsensus",
    "SeedRunningTotal",
    "SeedVoteHandler",
    "TallyAtVoteTime",
    "VotesAfterDecision",
]
