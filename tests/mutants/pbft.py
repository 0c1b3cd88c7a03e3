"""Deliberately broken PBFT variants: the checker must catch each one.

Each mutant changes one rule of `spec.pbft` through the hooks the spec exposes (its
quorum sizes, a named guard, `compute_o`, `prepared_set`, `support`), in the smallest
configuration where the break can show. `MUTANTS` pins what the checker must report: the
property that breaks and the length of the shortest counterexample (breadth-first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from spec import pbft
from spec.core import GuardError, Model


class CommitQuorum2f(pbft.Pbft):
    """Commit-local with 2f matching commits instead of 2f + 1."""

    def __init__(self, config: pbft.PbftConfig) -> None:
        super().__init__(config)
        self.q_commit = 2 * self.f


class SeedQuorum2fPlus1(pbft.Pbft):
    """The seed's `commit_threshold: 2f + 1` at every n: at n = 5 (f = 1) two quorums of
    3 may share only the faulty replica (P8)."""

    def __init__(self, config: pbft.PbftConfig) -> None:
        super().__init__(config)
        self.q_prepare, self.q_commit = 2 * self.f, 2 * self.f + 1
        self.q_view_change = self.q_checkpoint = 2 * self.f + 1


class PrepareQuorum2fMinus1(pbft.Pbft):
    """Prepared with 2f - 1 matching prepares instead of 2f."""

    def __init__(self, config: pbft.PbftConfig) -> None:
        super().__init__(config)
        self.q_prepare = 2 * self.f - 1


class AcceptsTwoPrePrepares(pbft.Pbft):
    """A backup accepts a second pre-prepare for a view and sequence number it has one for."""

    def guard(self, s: pbft.PbftState, a: pbft.Action) -> None:
        try:
            super().guard(s, a)
        except GuardError as err:
            if err.guard != "no_conflicting_pre_prepare":
                raise


class NewViewIgnoresP(pbft.Pbft):
    """The new primary computes O without the prepared certificates in V."""

    def compute_o(
        self, vcs: Sequence[tuple[int, tuple[int, ...], frozenset[pbft.Cert]]]
    ) -> tuple[int, tuple[int, ...], frozenset[tuple[int, int]]]:
        return super().compute_o([(stable, state, frozenset()) for stable, state, _ in vcs])


class ViewChangeWithoutP(pbft.Pbft):
    """Replicas send VIEW-CHANGE without their prepared certificates."""

    def prepared_set(self, s: pbft.PbftState, i: int) -> frozenset[pbft.Cert]:
        return frozenset()


class NoAuthentication(pbft.Pbft):
    """Messages are not authenticated: the adversary may send as any replica."""

    def support(self, senders: object, excluded: int | None = None) -> int:
        if self.byzantine and self.faulty:
            return self.n - (excluded is not None)
        return super().support(senders, excluded)  # type: ignore[arg-type]


@attrs.frozen
class TooManyFaultyConfig(pbft.PbftConfig):
    """A configuration that lets more than f replicas be faulty."""

    def check_tolerance(self) -> None:
        """Skip n >= 3f + 1: this is the broken assumption."""


class SeedPrepareRule(pbft.Pbft):
    """The seed's prepare rule: 2f + 1 prepares, while the primary sends none."""

    def __init__(self, config: pbft.PbftConfig) -> None:
        super().__init__(config)
        self.q_prepare = 2 * self.f + 1


@attrs.frozen
class Mutant:
    """A broken variant, where it shows, and what the checker must find."""

    name: str
    build: Callable[[], Model[Any, Any]]
    property: str
    length: int


MUTANTS = (
    Mutant("commit_quorum_2f", lambda: CommitQuorum2f(pbft.PbftConfig()), "agreement", 12),
    Mutant(
        "seed_quorum_2f_plus_1_at_n5",
        lambda: SeedQuorum2fPlus1(pbft.PbftConfig(replicas=5, max_view=0)),
        "prepared_unique",
        6,
    ),
    Mutant(
        "prepare_quorum_2f_minus_1",
        lambda: PrepareQuorum2fMinus1(pbft.PbftConfig()),
        "prepared_unique",
        4,
    ),
    Mutant(
        "accepts_two_pre_prepares",
        lambda: AcceptsTwoPrePrepares(pbft.PbftConfig()),
        "prepared_unique",
        6,
    ),
    Mutant("new_view_ignores_p", lambda: NewViewIgnoresP(pbft.PbftConfig()), "agreement", 14),
    Mutant("view_change_without_p", lambda: ViewChangeWithoutP(pbft.PbftConfig()), "agreement", 14),
    Mutant(
        "no_authentication",
        lambda: NoAuthentication(pbft.PbftConfig()),
        "committed_local_implies_committed",
        2,
    ),
    Mutant(
        "two_faulty_of_four",
        lambda: pbft.Pbft(TooManyFaultyConfig(faulty=(0, 1))),
        "committed_local_implies_committed",
        3,
    ),
    Mutant(
        "seed_prepare_rule_silent_backup",
        lambda: SeedPrepareRule(pbft.PbftConfig(faulty=(3,), adversary="silent")),
        "all_execute",
        11,
    ),
)


class SeedPreparesAcrossViews(pbft.Pbft):
    """The seed keys prepares by agent and sequence number only, so a prepare sent in an
    earlier view counts toward a later view's quorum."""

    def prepared(self, s: pbft.PbftState, i: int, v: int, n: int, d: int) -> bool:
        if d != pbft.NULL and d not in s.requests:
            return False
        if not self.accepted_pre_prepare(s, i, v, n, d):
            return False
        senders = {p.replica for p in s.prepares if p.seq == n and p.digest == d}
        return self.support(senders, excluded=self.primary(v)) >= self.q_prepare


class SeedViewChangeCommittedOnly(pbft.Pbft):
    """The seed's VIEW-CHANGE carries `committed_proposals`: only what the sender has
    committed locally, not everything it prepared."""

    def prepared_set(self, s: pbft.PbftState, i: int) -> frozenset[pbft.Cert]:
        return frozenset(
            c
            for c in super().prepared_set(s, i)
            if self.committed_local(s, i, c.view, c.seq, c.digest)
        )


SEED_MUTANTS = (
    Mutant(
        "seed_prepares_across_views",
        lambda: SeedPreparesAcrossViews(pbft.PbftConfig()),
        "prepared_unique",
        11,
    ),
    Mutant(
        "seed_view_change_committed_only",
        lambda: SeedViewChangeCommittedOnly(pbft.PbftConfig()),
        "agreement",
        14,
    ),
)
