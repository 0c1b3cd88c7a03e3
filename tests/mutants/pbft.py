"""Deliberately broken PBFT variants: the checker must catch each one.

They live in `spec.variants.pbft` (shipped with the package, so `coordspec check pbft
--variant NAME` checks one); this module re-exports them for the tests. A `Mutant` is a
`spec.variants.Variant`: `name`, `build()`, `property` and `length` (the shortest
counterexample, breadth-first) are what the tests pin.
"""

from __future__ import annotations

from typing import Any

from spec.core import Model
from spec.variants import Variant
from spec.variants.pbft import (
    CLAIMS,
    EXECUTION,
    MUTANTS,
    PORTFOLIO,
    RESTATED,
    SEED_MUTANTS,
    AcceptsTwoPrePrepares,
    CommitQuorum2f,
    NewViewIgnoresP,
    NoAuthentication,
    PrepareQuorum2fMinus1,
    SeedPrepareRule,
    SeedPreparesAcrossViews,
    SeedQuorum2fPlus1,
    SeedViewChangeCommittedOnly,
    TooManyFaultyConfig,
    ViewChangeWithoutP,
)

#: A broken variant, where it shows, and what the checker must find.
Mutant = Variant[Model[Any, Any]]

__all__ = [
    "CLAIMS",
    "EXECUTION",
    "MUTANTS",
    "PORTFOLIO",
    "RESTATED",
    "SEED_MUTANTS",
    "AcceptsTwoPrePrepares",
    "CommitQuorum2f",
    "Mutant",
    "NewViewIgnoresP",
    "NoAuthentication",
    "PrepareQuorum2fMinus1",
    "SeedPrepareRule",
    "SeedPreparesAcrossViews",
    "SeedQuorum2fPlus1",
    "SeedViewChangeCommittedOnly",
    "TooManyFaultyConfig",
    "ViewChangeWithoutP",
]
