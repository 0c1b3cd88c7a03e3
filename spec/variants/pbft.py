"""PBFT variants: deliberately broken rules and configurations the checker must catch.

Each mutant changes one rule of `spec.pbft` through the hooks the spec exposes (its
quorum sizes, its guard table, `compute_o`, `prepared_set`, `support`, `prepared`,
`new_view_sources`, `new_view_choices`, `signed_requests`, `execution`, the checkpoint
adoption `_adopt`), in the smallest configuration where the break can show;
`two_faulty_of_four` is the spec itself with more faulty replicas than its hypothesis
n >= 3f + 1 allows. `MUTANTS` and
`SEED_MUTANTS` (the seed's own rules, spec/FINDINGS.md P3 and P4) pin what the checker
must report: the property that breaks and the length of the shortest counterexample
(breadth-first). `PORTFOLIO` holds one mutant per feature that the portfolio of
`coordspec check pbft` adds to the default (two sequence numbers, checkpoints with
binding watermarks, a view change after a checkpoint, two view changes, a faulty
backup that becomes primary): each is caught at its portfolio preset, which is its
configuration, and not at the default (tests/test_portfolio.py). `RESTATED` holds one
mutant per claim that spec/restated/pbft.py restates (the water marks, stable
checkpoints, the view-change's P, the NEW-VIEW's O), each caught by that claim alone at
its configuration (tests/test_restated_pbft.py); `EXECUTION` one for each of the spec's
own execution claims, validity and integrity, caught the same way. A mutant whose break
a restated claim sees before its pinned consequence does (agreement after a wrong O)
has `first=False`: its pinned property is found with `--continue`. `coordspec check
pbft --variant NAME` checks one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

import attrs

from spec import pbft
from spec.core import Eventually, Guard, eventually, put, without
from spec.pbft.messages import NewViewContent, ViewChangeContent
from spec.variants import MUTANT, Variant, preset_config


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
    """A backup accepts a second pre-prepare for a view and sequence number it has one for
    (§4.2's condition 3 dropped)."""

    guards: ClassVar[Mapping[type, tuple[Guard, ...]]] = {
        **pbft.Pbft.guards,
        pbft.Prepare: without(pbft.Pbft.guards[pbft.Prepare], "no_conflicting_pre_prepare"),
    }


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
    """A configuration that lets more than f replicas be faulty: the switch
    `Config.unsafe` (what `--allow-unsafe-faults` sets) skips n >= 3f + 1, the broken
    assumption."""

    unsafe: ClassVar[bool] = True


class SeedPrepareRule(pbft.Pbft):
    """The seed's prepare rule: 2f + 1 prepares, while the primary sends none."""

    def __init__(self, config: pbft.PbftConfig) -> None:
        super().__init__(config)
        self.q_prepare = 2 * self.f + 1


def _variant(
    name: str,
    reproduces: str,
    description: str,
    model: type[pbft.Pbft],
    config: pbft.PbftConfig,
    prop: str,
    length: int,
    first: bool = True,
) -> Variant[pbft.Pbft]:
    return Variant(name, "pbft", description, reproduces, model, config, prop, length, first)


DEFAULT = pbft.PbftConfig()

MUTANTS: tuple[Variant[pbft.Pbft], ...] = (
    _variant(
        "commit_quorum_2f",
        MUTANT,
        "Commit-local with 2f matching commits instead of 2f + 1.",
        CommitQuorum2f,
        DEFAULT,
        "agreement",
        12,
    ),
    _variant(
        "seed_quorum_2f_plus_1_at_n5",
        "P8",
        "The seed's quorums of 2f + 1 at n = 5: two of them may share only the faulty replica.",
        SeedQuorum2fPlus1,
        pbft.PbftConfig(replicas=5, max_view=0),
        "prepared_unique",
        6,
    ),
    _variant(
        "prepare_quorum_2f_minus_1",
        MUTANT,
        "Prepared with 2f - 1 matching prepares instead of 2f.",
        PrepareQuorum2fMinus1,
        DEFAULT,
        "prepared_unique",
        4,
    ),
    _variant(
        "accepts_two_pre_prepares",
        "P2",
        "A backup accepts a second pre-prepare for a view and sequence number it has one for.",
        AcceptsTwoPrePrepares,
        DEFAULT,
        "prepared_unique",
        6,
    ),
    _variant(
        "new_view_ignores_p",
        "P4",
        "The new primary computes O without the prepared certificates in V.",
        NewViewIgnoresP,
        DEFAULT,
        "agreement",
        14,
        first=False,  # new_view_o_from_v breaks first, in 7 steps
    ),
    _variant(
        "view_change_without_p",
        "P4",
        "Replicas send VIEW-CHANGE without their prepared certificates.",
        ViewChangeWithoutP,
        DEFAULT,
        "agreement",
        14,
        first=False,  # view_changes_carry_prepared breaks first, in 5 steps
    ),
    _variant(
        "no_authentication",
        MUTANT,
        "Messages are not authenticated: the adversary may send as any replica.",
        NoAuthentication,
        DEFAULT,
        "committed_local_implies_committed",
        2,
    ),
    _variant(
        "two_faulty_of_four",
        MUTANT,
        "The spec itself with replicas 0 and 1 faulty of 4, outside n >= 3f + 1.",
        pbft.Pbft,
        TooManyFaultyConfig(faulty=(0, 1)),
        "committed_local_implies_committed",
        3,
    ),
    _variant(
        "seed_prepare_rule_silent_backup",
        "P1",
        "The seed's prepare rule, 2f + 1 prepares (the primary sends none), backup 3 silent.",
        SeedPrepareRule,
        pbft.PbftConfig(faulty=(3,), adversary="silent"),
        "all_answered",
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


SEED_MUTANTS: tuple[Variant[pbft.Pbft], ...] = (
    _variant(
        "seed_prepares_across_views",
        "P3",
        "The seed keys prepares without their view: one of an earlier view counts in a later.",
        SeedPreparesAcrossViews,
        DEFAULT,
        "prepared_unique",
        11,
        first=False,  # view_changes_carry_prepared breaks first, in 10 steps
    ),
    _variant(
        "seed_view_change_committed_only",
        "P4",
        "The seed's VIEW-CHANGE carries what its sender committed, not what it prepared.",
        SeedViewChangeCommittedOnly,
        DEFAULT,
        "agreement",
        14,
        first=False,  # view_changes_carry_prepared breaks first, in 5 steps
    ),
)


# --- the portfolio's mutants: each caught by one portfolio preset, not by the default ----


class PreparedAcrossSeqs(pbft.Pbft):
    """prepared(m, v, n, i) counts the prepares that match the view and the digest, at
    any sequence number: a log keyed by (view, digest). With one sequence number this is
    the spec; with two, a faulty primary's pre-prepare of one request at both numbers
    lets the prepares of one number complete the other's quorum."""

    def prepared(self, s: pbft.PbftState, i: int, v: int, n: int, d: int) -> bool:
        if (d != pbft.NULL and d not in s.requests) or not self.accepted_pre_prepare(s, i, v, n, d):
            return False
        senders = {p.replica for p in s.prepares if p.view == v and p.digest == d}
        return self.support(senders, excluded=self.primary(v)) >= self.q_prepare


class NoStateTransfer(pbft.Pbft):
    """A replica that adopts a stable checkpoint beyond what it has executed moves its
    low water mark h there without fetching the checkpoint's state (§4.3's state
    transfer skipped): its log is shorter than h."""

    def _adopt(self, s: pbft.PbftState, i: int, seq: int, state: tuple[int, ...]) -> pbft.PbftState:
        if seq <= s.stable[i]:
            return s
        return attrs.evolve(s, stable=put(s.stable, i, seq))


class DiscardsAtOwnCheckpoint(pbft.Pbft):
    """A replica discards its prepared certificates up to a checkpoint when it produces
    the checkpoint, not when the checkpoint becomes stable (§4.3 discards on a stable
    one): its VIEW-CHANGE carries its older stable checkpoint and a P without them."""

    def prepared_set(self, s: pbft.PbftState, i: int) -> frozenset[pbft.Cert]:
        k = self.config.checkpoint_interval
        produced = len(s.executed[i]) // k * k if k else 0
        low = max(self.h(s, i), produced)
        return frozenset(
            pbft.Cert(c.seq, c.digest, c.view) for c in s.commits if c.replica == i and c.seq > low
        )


class NewViewLastViewOnly(pbft.Pbft):
    """The new primary of view v computes O from the certificates of view v - 1 alone,
    not from the latest of every earlier view (§4.4: "the highest view number in V"):
    a certificate carried over from two views back is lost. On the first view change
    every certificate is of view v - 1 = 0, so only a second one tells."""

    def new_view_sources(
        self, s: pbft.PbftState, v: int, primary: int | None
    ) -> Iterator[tuple[NewViewContent, int, ViewChangeContent | None]]:
        for vcs, k, forged in self.V(s, v, primary):
            last = [
                (stable, state, frozenset(c for c in p if c.view == v - 1))
                for stable, state, p in vcs
            ]
            yield self.compute_o(last), k, forged


class TrustsFaultyNewView(pbft.Pbft):
    """A backup accepts a faulty primary's NEW-VIEW without recomputing its O from V
    (§4.4: "if the set O is correct"): with a valid checkpoint, any pre-prepare of a
    requested or the null digest at one sequence number above it is accepted. An
    honest primary's NEW-VIEW is the spec's, so only a faulty new primary tells."""

    def new_view_choices(
        self, s: pbft.PbftState, v: int, primary: int | None
    ) -> set[NewViewContent]:
        valid = super().new_view_choices(s, v, primary)
        if primary is not None:  # an honest primary's own choices, as the spec's
            return valid
        forged = set(valid)
        digests = sorted(s.requests | {pbft.NULL})
        for stable, state, _ in valid:
            for n in range(stable + 1, self.config.max_seq + 1):
                forged |= {(stable, state, frozenset({(n, d)})) for d in digests}
        return forged


PORTFOLIO: tuple[Variant[pbft.Pbft], ...] = (
    _variant(
        "prepared_across_seqs",
        MUTANT,
        "Prepared counts matching prepares by view and digest, at any sequence number.",
        PreparedAcrossSeqs,
        preset_config(pbft.SPEC, "two_seqs"),
        "prepared_unique",
        6,
    ),
    _variant(
        "no_state_transfer",
        MUTANT,
        "A lagging replica adopts a stable checkpoint's h without fetching its state.",
        NoStateTransfer,
        preset_config(pbft.SPEC, "watermarks"),
        "type_ok",
        8,
    ),
    _variant(
        "discards_at_own_checkpoint",
        MUTANT,
        "Certificates are discarded at a replica's own checkpoint, before it is stable.",
        DiscardsAtOwnCheckpoint,
        preset_config(pbft.SPEC, "checkpoint_view_change"),
        "agreement",
        23,
        first=False,  # view_changes_carry_prepared breaks first, in 10 steps
    ),
    _variant(
        "new_view_last_view_only",
        MUTANT,
        "The new primary's O reads only view v - 1's certificates, not the latest of all.",
        NewViewLastViewOnly,
        preset_config(pbft.SPEC, "two_view_changes"),
        "agreement",
        23,
        first=False,  # new_view_o_from_v breaks first, in 12 steps
    ),
    _variant(
        "trusts_faulty_new_view",
        MUTANT,
        "Backups accept a faulty primary's NEW-VIEW without recomputing its O from V.",
        TrustsFaultyNewView,
        preset_config(pbft.SPEC, "faulty_backup"),
        "agreement",
        11,
    ),
)

# --- a claim too strong for PBFT (spec/FINDINGS.md P9) ----------------------------------


class EveryReplicaExecutes(pbft.Pbft):
    """The liveness claim that every honest replica executes every request, not only the
    f + 1 a client waits for: under §4.5.2's timer it is false."""

    def eventually(self) -> Sequence[Eventually[pbft.PbftState]]:
        (answered, *_) = super().eventually()
        target = min(self.config.max_seq, self.config.requests)
        honest = self.honest

        @eventually(*answered.fairness)
        def all_execute(s: pbft.PbftState) -> bool:
            """Every honest replica eventually executes 1..min(max_seq, requests)."""
            return all(len(s.executed[i]) >= target for i in honest)

        return [all_execute]


CLAIMS: tuple[Variant[pbft.Pbft], ...] = (
    _variant(
        "every_replica_executes",
        "P9",
        "Claims that every honest replica executes every request (not f + 1 of them).",
        EveryReplicaExecutes,
        preset_config(pbft.SPEC, "checkpoint_view_change"),
        "all_execute",
        23,
    ),
)

# --- the restated claims' mutants: each caught by its claim alone -----------------------
# (spec/restated/pbft.py: each breaks one rule that a restated claim states, at a
# configuration where no other invariant breaks, tests/test_restated_pbft.py)


class HighWaterMarkOffByOne(pbft.Pbft):
    """The high water mark is h + L + 1, one past §4.3's "H = h + k": with a log of 1 a
    backup prepares sequence number 2 before checkpoint 1 is stable."""

    def H(self, s: pbft.PbftState, i: int) -> int:  # noqa: N802 - the paper's letter
        high = self.config.max_seq
        if self.config.checkpoint_interval:
            high = min(high, self.h(s, i) + self.config.log_size + 1)
        return high


class CheckpointQuorum2f(pbft.Pbft):
    """A checkpoint is stable with 2f matching CHECKPOINT messages, not §4.3's 2f + 1."""

    def __init__(self, config: pbft.PbftConfig) -> None:
        super().__init__(config)
        self.q_checkpoint = 2 * self.f


class ViewChangeCarriesAccepted(pbft.Pbft):
    """A VIEW-CHANGE's P holds every pre-prepare its sender accepted above its checkpoint,
    prepared or not (§4.4: "for each request m that prepared at i")."""

    def prepared_set(self, s: pbft.PbftState, i: int) -> frozenset[pbft.Cert]:
        low = self.h(s, i)
        return frozenset(pbft.Cert(n, d, v) for v, n, d in self.accepted(s, i) if n > low)


class NewViewPadsWithNull(pbft.Pbft):
    """The new primary's O runs up to max_seq, null pre-prepares past max-s (§4.4: "for
    each sequence number n between min-s and max-s")."""

    def compute_o(self, vcs: Sequence[ViewChangeContent]) -> NewViewContent:
        min_s, state, o = super().compute_o(vcs)
        top = max((n for n, _ in o), default=min_s)
        padding = {(n, pbft.NULL) for n in range(top + 1, self.config.max_seq + 1)}
        return min_s, state, o | padding


#: Backup 3 crashed (silent) and one client request: a view change with no faulty help.
SILENT_BACKUP_ONE_REQUEST = pbft.PbftConfig(faulty=(3,), adversary="silent", requests=1)

RESTATED: tuple[Variant[pbft.Pbft], ...] = (
    _variant(
        "high_water_mark_off_by_one",
        MUTANT,
        "The high water mark is h + L + 1: a backup prepares past H.",
        HighWaterMarkOffByOne,
        pbft.PbftConfig(requests=1, max_view=0, max_seq=2, checkpoint_interval=1, log_size=1),
        "within_watermarks",
        2,
    ),
    _variant(
        "checkpoint_quorum_2f",
        MUTANT,
        "A checkpoint is stable with 2f matching CHECKPOINT messages instead of 2f + 1.",
        CheckpointQuorum2f,
        pbft.PbftConfig(faulty=(3,), requests=1, max_view=0, checkpoint_interval=1),
        "stable_checkpoints_proven",
        7,
    ),
    _variant(
        "view_change_carries_accepted",
        MUTANT,
        "A VIEW-CHANGE's P holds every pre-prepare its sender accepted, prepared or not.",
        ViewChangeCarriesAccepted,
        SILENT_BACKUP_ONE_REQUEST,
        "view_changes_carry_prepared",
        3,
    ),
    _variant(
        "new_view_pads_with_null",
        MUTANT,
        "The new primary's O runs to max_seq with null pre-prepares past max-s.",
        NewViewPadsWithNull,
        SILENT_BACKUP_ONE_REQUEST,
        "new_view_o_from_v",
        5,
    ),
)

# --- validity and integrity's mutants: each caught by its claim alone ---------------------
# (the spec's own execution claims, `validity` and `integrity`: each mutant breaks one
# rule that keeps them, with a faulty primary, where agreement and every restated claim
# still hold, tests/test_restated_pbft.py)


class ExecutesAgain(pbft.Pbft):
    """A request that has a second sequence number executes again there, instead of being
    the no-op that the spec's reply cache makes it (§4.1's exactly-once semantics)."""

    def execution(self, log: tuple[int, ...], d: int) -> int:
        return d


class ForgedRequests(pbft.Pbft):
    """Client requests are not authenticated (§4.1's <REQUEST, o, t, c> is signed by the
    client c): a faulty primary pre-prepares a value no client sent, and a backup
    prepares it, no longer asking for "the request m" in its log (prepared, §4.2)."""

    def signed_requests(self, s: pbft.PbftState) -> frozenset[int]:
        return frozenset(self.values)


#: The primary 0 faulty, one request, no view change (one sequence number).
FAULTY_PRIMARY = pbft.PbftConfig(faulty=(0,), requests=1, max_view=0)

EXECUTION: tuple[Variant[pbft.Pbft], ...] = (
    _variant(
        "forged_requests",
        MUTANT,
        "Client requests are not authenticated: a faulty primary orders one never sent.",
        ForgedRequests,
        FAULTY_PRIMARY,
        "validity",
        5,
    ),
    _variant(
        "executes_again",
        MUTANT,
        "A request with a second sequence number executes again instead of as a no-op.",
        ExecutesAgain,
        attrs.evolve(FAULTY_PRIMARY, max_seq=2),
        "integrity",
        11,
    ),
)

#: Every PBFT variant, in the order `coordspec list --variants` shows them.
VARIANTS: tuple[Variant[pbft.Pbft], ...] = (
    MUTANTS + SEED_MUTANTS + PORTFOLIO + CLAIMS + RESTATED + EXECUTION
)
