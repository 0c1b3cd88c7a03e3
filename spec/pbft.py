"""PBFT: Practical Byzantine Fault Tolerance, as a pure transition system.

Source: M. Castro and B. Liskov, "Practical Byzantine Fault Tolerance", OSDI 1999, §4
(the protocol with signed messages), and Part 1 of the MABEAM seed (its event names:
`pre_prepare`, `prepare`, `commit`, `view_change`, `new_view`, `timeout`).

## The algorithm (§4)

Replicas `0..n-1`, `n >= 3f + 1`; the primary of view `v` is `v mod n` (§4: "The
primary of a view is replica p such that p = v mod |R|"). A client's request is
assigned a sequence number by the primary (PRE-PREPARE); backups that accept it say so
to everyone (PREPARE); a replica that has the pre-prepare and 2f matching prepares from
different backups is *prepared* and says so (COMMIT); with 2f + 1 matching commits it has
*committed locally* and executes the request once all lower sequence numbers are
executed. Checkpoints every K requests become *stable* with 2f + 1 matching CHECKPOINT
messages; they set the low water mark h, and the high one is H = h + L. A backup whose
timer expires moves to the next view and sends VIEW-CHANGE with its stable checkpoint (C)
and its prepared certificates (P); the new primary, with 2f + 1 view-changes, sends
NEW-VIEW with the set O of pre-prepares it computes from them (§4.4), and backups that
recompute the same O accept it and prepare each of its pre-prepares.

## How it is modelled (Lamport's Paxos.tla style)

- One global set per message kind holds every message an honest replica has sent; it is
  never shrunk. An action is enabled once the messages it needs are in the sets:
  asynchrony (delay, reordering, loss of any message not yet used) is the action not
  having happened yet, and duplication changes nothing in a set. There are no receive
  buffers; per-replica variables are small (view, view-change flag, executed log, low
  water mark).
- Messages are authenticated: an honest replica's message exists only if it sent it.
- Byzantine replicas' messages are not stored. Wherever an honest replica counts a
  quorum or accepts a certificate, each faulty replica counts as a sender of whatever
  matching message is needed (`support`). This loses no behaviour: a faulty replica may
  send any well-formed message under its own identity at any time, to any subset of
  replicas, so equivocation (one message to some replicas, another to others) is the
  same faulty replica counting for two different digests at two replicas. A faulty
  primary's pre-prepares and new-views are whatever the guards allow it to produce; a
  faulty replica's view-changes carry any checkpoint and prepared certificate that is
  valid (has its 2f + 1 / 2f signatures). Since these messages appear in no state,
  `relied_on` names, for each step, the ones its guard counted (`PREPARE(v0, n1, d1)
  from faulty 3`), so that a counterexample shows them. With `adversary = silent` the
  faulty replicas send nothing at all (crash faults), which is the setting for liveness
  under the seed's rules.
- Requests: clients send requests `1..requests` (`request`); digest 0 is the null
  request. A replica executes a request already executed as a no-op (the reply cache of
  §4.1) and records the null digest for it.

## Simplifications

- Replies to clients, client retransmission and the timer's doubling are not modelled;
  `timeout` is nondeterministic and bounded by `max_view`.
- Digests are the request values themselves; a checkpoint's state digest is the executed
  log itself, so state transfer to a lagging replica is adopting that log.
- A replica's knowledge of being prepared is the COMMIT it sent (it sends one exactly
  when it becomes prepared); its view-change's P is therefore built from its commits.
- A faulty primary's pre-prepare is for a requested value; a null pre-prepare arises
  only from a NEW-VIEW (a faulty-only certificate for the null request would need more
  than f faulty backups).

## Constants (one place: `max_faulty` and the `*_quorum` functions)

| constant | value | why (the paper) |
|---|---|---|
| f | (n - 1) // 3 | the seed: "up to f = (n-1)/3 Byzantine failures"; n >= 3f + 1 |
| quorum q | (n + f) // 2 + 1 | 2f + 1 at the paper's n = 3f + 1; any two share f + 1 (P8) |
| prepare quorum | q - 1 backups + pre-prepare | §4.2: "2f prepares from different backups" |
| commit quorum | q | §4.2: "2f + 1 commits (possibly including its own)" |
| view-change quorum | q | §4.4: the primary's own and "2f valid view-change messages" |
| checkpoint quorum | q | §4.3: "2f + 1 checkpoint messages" make it stable |
| committed | f + 1 | §4.2: prepared at "some set of f + 1 non-faulty replicas" |
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import combinations, permutations, product
from typing import NamedTuple

import attrs

from spec.core import (
    Config,
    ConfigError,
    Eventually,
    GuardedModel,
    GuardError,
    HypothesisError,
    Invariant,
    Reliance,
    Specification,
    Witness,
    action_name,
    action_names,
    eventually,
    invariant,
    leads_to,
    param,
    put,
    relabel,
    witness,
)

#: The digest of the null request (§4.4: "a special null request ... which goes
#: through the protocol like other requests, but its execution is a no-op").
NULL = 0


def max_faulty(n: int) -> int:
    """f for n replicas: the largest f with n >= 3f + 1."""
    return (n - 1) // 3


def quorum(n: int, f: int) -> int:
    """The size of a quorum: the smallest q with 2q - n >= f + 1 and q <= n - f.

    Any two quorums then share f + 1 replicas, so an honest one (intersection), and the
    n - f honest replicas alone form one (availability): q = ceil((n + f + 1) / 2), which
    is the paper's 2f + 1 when n = 3f + 1 (§4: "For simplicity, we assume |R| = 3f + 1").
    For the other n of the seed's range 2f + 1 is too small: with n = 5, f = 1 two sets of
    3 replicas may share only the faulty one (spec/FINDINGS.md P8; proofs/quorum.py).
    """
    return (n + f) // 2 + 1


def prepare_quorum(n: int, f: int) -> int:
    """Matching prepares from different backups that, with the pre-prepare, prepare m.

    §4.2: "2f prepares from different backups": a quorum less the primary.
    """
    return quorum(n, f) - 1


def commit_quorum(n: int, f: int) -> int:
    """Matching commits from different replicas that make m committed-local (2f + 1)."""
    return quorum(n, f)


def view_change_quorum(n: int, f: int) -> int:
    """View-change messages (the new primary's own included) a NEW-VIEW needs (2f + 1)."""
    return quorum(n, f)


def checkpoint_quorum(n: int, f: int) -> int:
    """Matching checkpoint messages that make a checkpoint stable (2f + 1)."""
    return quorum(n, f)


def committed_quorum(n: int, f: int) -> int:
    """Non-faulty replicas that must be prepared for m to be committed (f + 1, any n)."""
    del n  # the same for every n: one more than the faulty replicas
    return f + 1


# --- messages (what honest replicas have sent) -----------------------------------------


class PrePrepareMsg(NamedTuple):
    """<PRE-PREPARE, v, n, d> from the primary of view v."""

    view: int
    seq: int
    digest: int


class PrepareMsg(NamedTuple):
    """<PREPARE, v, n, d, i> from backup i."""

    view: int
    seq: int
    digest: int
    replica: int


class CommitMsg(NamedTuple):
    """<COMMIT, v, n, d, i> from replica i."""

    view: int
    seq: int
    digest: int
    replica: int


class CheckpointMsg(NamedTuple):
    """<CHECKPOINT, n, d, i>: the state after executing n is the log `state`."""

    seq: int
    state: tuple[int, ...]
    replica: int


class Cert(NamedTuple):
    """A prepared certificate P_m: the pre-prepare (view, seq, digest) and 2f prepares."""

    seq: int
    digest: int
    view: int


class ViewChangeMsg(NamedTuple):
    """<VIEW-CHANGE, v+1, n, C, P, i>: the stable checkpoint and prepared certificates."""

    view: int
    replica: int
    stable: int
    state: tuple[int, ...]
    prepared: frozenset[Cert]


class NewViewMsg(NamedTuple):
    """<NEW-VIEW, v+1, V, O>, with V summarised by the checkpoint O starts from."""

    view: int
    stable: int
    state: tuple[int, ...]
    pre_prepares: frozenset[tuple[int, int]]


# --- configuration ---------------------------------------------------------------------


@attrs.frozen
class PbftConfig(Config):
    """The bounds of a PBFT model."""

    replicas: int = param(4, low=1, high=10, help="n, the number of replicas")
    faulty: tuple[int, ...] = param(
        (0,),
        low=0,
        high=9,
        help="the numbers of the Byzantine replicas, comma-separated, e.g. 0 or 0,3; "
        "replica 0 is view 0's primary",
    )
    requests: int = param(2, low=1, high=3, help="client requests 1..requests")
    max_view: int = param(1, low=0, high=4, help="views 0..max_view (bounds timeouts)")
    max_seq: int = param(1, low=1, high=4, help="sequence numbers 1..max_seq")
    checkpoint_interval: int = param(
        0, low=0, high=4, help="K: a checkpoint every K requests (0: no checkpoints)"
    )
    log_size: int = param(2, low=1, high=8, help="L: the high water mark is h + L")
    adversary: str = param(
        "byzantine",
        choices=("byzantine", "silent"),
        help="what faulty replicas do: anything well-formed, or nothing at all",
    )

    def validate(self) -> None:
        for r in self.faulty:
            if r >= self.replicas:
                raise ConfigError("faulty", f"replica {r} does not exist (0..{self.replicas - 1})")

    def check_hypotheses(self) -> None:
        self.check_tolerance()

    def check_tolerance(self) -> None:
        """n >= 3f + 1 for the number of faulty replicas (`unsafe_config` and
        `--allow-unsafe-faults` allow more: then violations are expected)."""
        k = len(self.faulty)
        if k > max_faulty(self.replicas):
            raise HypothesisError(
                "faulty",
                f"{k} faulty replicas need n >= {3 * k + 1}, got n = {self.replicas}",
                f"{k} faulty replicas of {self.replicas} is outside PBFT's hypothesis "
                "n >= 3f + 1: violations are expected",
            )


# --- state -----------------------------------------------------------------------------


@attrs.frozen
class PbftState:
    """Per-replica variables and the sets of messages honest replicas have sent."""

    view: tuple[int, ...]
    changing: tuple[bool, ...]
    executed: tuple[tuple[int, ...], ...]
    stable: tuple[int, ...]
    requests: frozenset[int]
    pre_prepares: frozenset[PrePrepareMsg]
    prepares: frozenset[PrepareMsg]
    commits: frozenset[CommitMsg]
    checkpoints: frozenset[CheckpointMsg]
    view_changes: frozenset[ViewChangeMsg]
    new_views: frozenset[NewViewMsg]


def _log(entries: tuple[int, ...]) -> str:
    """An executed log (a checkpoint's state) as the reports write a tuple: `<<1, 2>>`."""
    return "<<" + ", ".join(str(d) for d in entries) + ">>"


def _checkpoint(stable: int, state: tuple[int, ...]) -> str:
    """The checkpoint a VIEW-CHANGE or NEW-VIEW carries, as the head of its fields:
    `n0, ` (none yet) or `n2, C=<<1, 2>>, `."""
    return f"n{stable}, " + (f"C={_log(state)}, " if stable else "")


# --- actions ---------------------------------------------------------------------------


@attrs.frozen
class Request:
    """A client sends request `value` (§4.1)."""

    value: int


@attrs.frozen
class PrePrepare:
    """The primary assigns sequence number `seq` to request `digest` (§4.2)."""

    replica: int
    view: int
    seq: int
    digest: int


@attrs.frozen
class Prepare:
    """Backup `replica` accepts the pre-prepare and multicasts PREPARE (§4.2)."""

    replica: int
    view: int
    seq: int
    digest: int


@attrs.frozen
class Commit:
    """`replica` becomes prepared and multicasts COMMIT (§4.2)."""

    replica: int
    view: int
    seq: int
    digest: int


@attrs.frozen
class Execute:
    """`replica`, committed-local, executes `seq` after all lower ones (§4.2)."""

    replica: int
    view: int
    seq: int
    digest: int


@attrs.frozen
class StableCheckpoint:
    """`replica` collects 2f + 1 matching checkpoints and moves h to `seq` (§4.3)."""

    replica: int
    seq: int
    state: tuple[int, ...]


@attrs.frozen
class Timeout:
    """`replica`'s timer expires: it moves to `view` and multicasts VIEW-CHANGE (§4.4)."""

    replica: int
    view: int


@attrs.frozen
class NewView:
    """The new primary multicasts NEW-VIEW with the O it computed (§4.4)."""

    replica: int
    view: int
    stable: int
    state: tuple[int, ...]
    pre_prepares: frozenset[tuple[int, int]]


@attrs.frozen
class AcceptNewView:
    """Backup `replica` checks O, enters `view` and prepares O's pre-prepares (§4.4)."""

    replica: int
    view: int
    stable: int
    state: tuple[int, ...]
    pre_prepares: frozenset[tuple[int, int]]


Action = (
    Request
    | PrePrepare
    | Prepare
    | Commit
    | Execute
    | StableCheckpoint
    | Timeout
    | NewView
    | AcceptNewView
)


class _Senders:
    """Who sent each (view, seq, digest) prepare and commit in one state: a lookup table,
    with the `prepared` verdicts already computed for that state."""

    def __init__(self, s: PbftState) -> None:
        self.prepares: dict[tuple[int, int, int], set[int]] = {}
        self.commits: dict[tuple[int, int, int], set[int]] = {}
        self.prepared: dict[tuple[int, int, int, int], bool] = {}
        for p in s.prepares:
            self.prepares.setdefault(p[:3], set()).add(p.replica)
        for c in s.commits:
            self.commits.setdefault(c[:3], set()).add(c.replica)


class Pbft(GuardedModel[PbftState, Action]):
    """PBFT over one configuration: see the module docstring."""

    #: Measured (benchmarks/bench_pbft.py): at the default bounds the reduction cuts the
    #: distinct states 3.9x and the time about 1.8x, so it is on by default.
    symmetry_default = True

    def __init__(self, config: PbftConfig) -> None:
        self.config = config
        self.n = config.replicas
        self.f = max_faulty(self.n)
        self.faulty = frozenset(config.faulty)
        self.honest = tuple(i for i in range(self.n) if i not in self.faulty)
        self.byzantine = config.adversary == "byzantine"
        self.values = tuple(range(1, config.requests + 1))
        self.q_prepare = prepare_quorum(self.n, self.f)
        self.q_commit = commit_quorum(self.n, self.f)
        self.q_view_change = view_change_quorum(self.n, self.f)
        self.q_checkpoint = checkpoint_quorum(self.n, self.f)
        self.q_committed = committed_quorum(self.n, self.f)
        self._senders_of: tuple[PbftState | None, _Senders | None] = (None, None)
        self._faulty_senders: dict[int | None, tuple[int, ...]] = {}
        self._symmetries = self.symmetries()
        #: The replicas every symmetry leaves in place (the primaries of 0..max_view).
        self._fixed = frozenset(
            i for i in range(self.n) if all(r[i] == i for r, _ in self._symmetries)
        )

    def senders(self, s: PbftState) -> _Senders:
        """The sender tables of `s` (kept for the last state asked about)."""
        last, table = self._senders_of
        if last is not s or table is None:
            table = _Senders(s)
            self._senders_of = (s, table)
        return table

    # -- helpers ----------------------------------------------------------------------

    def primary(self, view: int) -> int:
        """§4: the primary of view v is v mod n."""
        return view % self.n

    def support(self, senders: Iterable[int], excluded: int | None = None) -> int:
        """How many different replicas can count as senders of a matching message.

        The honest `senders` that did send it, plus `faulty_senders`: unless the
        adversary is silent, every faulty replica (it may send whatever matches);
        `excluded` (the primary, for prepares) never counts.
        """
        return len(set(senders) - self.faulty - {excluded}) + len(self.faulty_senders(excluded))

    def faulty_senders(self, excluded: int | None = None) -> tuple[int, ...]:
        """The faulty replicas that `support` counts as senders of any matching message,
        lowest first: all of them but `excluded`, none when the adversary is silent."""
        known = self._faulty_senders.get(excluded)
        if known is None:
            known = tuple(sorted(self.faulty - {excluded})) if self.byzantine else ()
            self._faulty_senders[excluded] = known
        return known

    def quorum_faulty(
        self, senders: Iterable[int], need: int, excluded: int | None = None
    ) -> tuple[int, ...]:
        """The faulty replicas a quorum of `need` matching messages counts, as `support`
        counts them: the honest `senders` first, then the lowest-numbered faulty
        replicas that complete the quorum (none when the honest ones suffice)."""
        honest = len(set(senders) - self.faulty - {excluded})
        return self.faulty_senders(excluded)[: max(0, need - honest)]

    def window(self, state: PbftState, i: int) -> range:
        """Sequence numbers between the water marks h < n <= H (all, without checkpoints)."""
        low = state.stable[i]
        high = self.config.max_seq
        if self.config.checkpoint_interval:
            high = min(high, low + self.config.log_size)
        return range(low + 1, high + 1)

    # -- the paper's predicates -------------------------------------------------------

    def accepted_pre_prepare(self, s: PbftState, i: int, v: int, n: int, d: int) -> bool:
        """Replica i has the pre-prepare (v, n, d) in its log: it sent it or prepared it."""
        if i == self.primary(v):
            return PrePrepareMsg(v, n, d) in s.pre_prepares
        return PrepareMsg(v, n, d, i) in s.prepares

    def prepared(self, s: PbftState, i: int, v: int, n: int, d: int) -> bool:
        """prepared(m, v, n, i) (§4.2).

        "We define the predicate prepared(m, v, n, i) to be true if and only if replica
        i has inserted in its log: the request m, a pre-prepare for m in view v with
        sequence number n, and 2f prepares from different backups that match the
        pre-prepare."
        """
        table = self.senders(s)
        known = table.prepared.get((i, v, n, d))
        if known is not None:
            return known
        if (d != NULL and d not in s.requests) or not self.accepted_pre_prepare(s, i, v, n, d):
            answer = False
        else:
            senders = table.prepares.get((v, n, d), ())
            answer = self.support(senders, excluded=self.primary(v)) >= self.q_prepare
        table.prepared[(i, v, n, d)] = answer
        return answer

    def committed_local(self, s: PbftState, i: int, v: int, n: int, d: int) -> bool:
        """committed-local(m, v, n, i) (§4.2).

        "committed-local(m, v, n, i) is true if and only if prepared(m, v, n, i) is true
        and i has accepted 2f + 1 commits (possibly including its own) from different
        replicas that match the pre-prepare for m."
        """
        senders = self.senders(s).commits.get((v, n, d), ())
        return self.support(senders) >= self.q_commit and self.prepared(s, i, v, n, d)

    def committed(self, s: PbftState, v: int, n: int, d: int) -> bool:
        """committed(m, v, n) (§4.2).

        "committed(m, v, n) is true if and only if prepared(m, v, n, i) is true for all
        i in some set of f + 1 non-faulty replicas."
        """
        count = sum(1 for i in self.honest if self.prepared(s, i, v, n, d))
        return count >= self.q_committed

    def accepted(self, s: PbftState, i: int) -> Iterator[tuple[int, int, int]]:
        """The (view, seq, digest) of every pre-prepare in honest replica i's log."""
        for p in s.pre_prepares:
            if self.primary(p.view) == i:
                yield p
        for q in s.prepares:
            if q.replica == i:
                yield q[:3]

    def certificates(self, s: PbftState, below: int) -> set[Cert]:
        """Every valid prepared certificate of a view below `below` (faulty help included)."""
        candidates: set[tuple[int, int, int]] = {p[:3] for p in s.prepares if p.view < below}
        candidates |= {p for p in s.pre_prepares if p.view < below}
        if self.byzantine:
            for v in range(below):
                if self.primary(v) in self.faulty:
                    candidates |= {
                        (v, n, d)
                        for n in range(1, self.config.max_seq + 1)
                        for d in self.values
                        if d in s.requests
                    }
        certs = set()
        for v, n, d in candidates:
            if d != NULL and d not in s.requests:
                continue
            if self.primary(v) not in self.faulty and PrePrepareMsg(v, n, d) not in s.pre_prepares:
                continue
            senders = self.senders(s).prepares.get((v, n, d), ())
            if self.support(senders, excluded=self.primary(v)) >= self.q_prepare:
                certs.add(Cert(n, d, v))
        return certs

    def stable_proofs(self, s: PbftState) -> set[tuple[int, tuple[int, ...]]]:
        """Every checkpoint with 2f + 1 matching CHECKPOINT messages (faulty help included)."""
        proofs: set[tuple[int, tuple[int, ...]]] = {(0, ())}
        for c in s.checkpoints:
            if self.support(self.checkpoint_senders(s, c.seq, c.state)) >= self.q_checkpoint:
                proofs.add((c.seq, c.state))
        return proofs

    @staticmethod
    def checkpoint_senders(s: PbftState, seq: int, state: tuple[int, ...]) -> list[int]:
        """The honest replicas that sent CHECKPOINT(seq, state)."""
        return [x.replica for x in s.checkpoints if x[:2] == (seq, state)]

    def compute_o(
        self, vcs: Sequence[tuple[int, tuple[int, ...], frozenset[Cert]]]
    ) -> tuple[int, tuple[int, ...], frozenset[tuple[int, int]]]:
        """The new primary's O from the view-changes V (§4.4).

        "min-s [is] the sequence number of the latest stable checkpoint in V and max-s
        [is] the highest sequence number in a prepare message in V. ... the primary
        creates a new pre-prepare message for view v+1 for each sequence number n
        between min-s and max-s. There are two cases: (1) there is at least one set in
        the P component of some view-change message in V with sequence number n, or (2)
        there is no such set. In the first case, the primary creates a new message
        <PRE-PREPARE, v+1, n, d>, where d is the request digest in the pre-prepare message
        for sequence number n with the highest view number in V. In the second case, it
        creates a new pre-prepare message <PRE-PREPARE, v+1, n, d_null>."

        Two certificates of one view and sequence number with different digests cannot
        both be valid (§4.2's invariant); if a broken variant produces them, the higher
        digest wins (spec/FINDINGS.md).
        """
        min_s, state = max((stable, st) for stable, st, _ in vcs)
        certs = [c for _, _, prepared in vcs for c in prepared if c.seq > min_s]
        max_s = max((c.seq for c in certs), default=min_s)
        pre_prepares = set()
        for n in range(min_s + 1, max_s + 1):
            best = max(((c.view, c.digest) for c in certs if c.seq == n), default=None)
            pre_prepares.add((n, NULL if best is None else best[1]))
        return min_s, state, frozenset(pre_prepares)

    def new_view_choices(
        self, s: PbftState, v: int, primary: int | None
    ) -> set[tuple[int, tuple[int, ...], frozenset[tuple[int, int]]]]:
        """Every (min-s, checkpoint state, O) a NEW-VIEW for v can carry.

        V is 2f + 1 view-changes for v: any choice of the honest ones sent (the new
        primary's own among them when it is honest) completed by faulty ones, each of
        which may carry any valid checkpoint and any valid prepared certificates.
        """
        return {o for o, _, _ in self.new_view_sources(s, v, primary)}

    def new_view_sources(
        self, s: PbftState, v: int, primary: int | None
    ) -> Iterator[
        tuple[
            tuple[int, tuple[int, ...], frozenset[tuple[int, int]]],
            int,
            tuple[int, tuple[int, ...], frozenset[Cert]] | None,
        ]
    ]:
        """Each (O, k, forged) `new_view_choices` computes, from the V with the most
        honest view-changes first: O, the number k of faulty view-changes in V, and what
        they carry (stable checkpoint, its state, prepared certificates; None if k = 0).
        """
        sent = {vc.replica: vc for vc in s.view_changes if vc.view == v}
        senders = sorted(sent)
        faulty = len(self.faulty_senders())
        need = self.q_view_change
        certs_by_seq: dict[int, list[Cert]] = {}
        for c in sorted(self.certificates(s, v)):
            certs_by_seq.setdefault(c.seq, []).append(c)
        proofs = sorted(self.stable_proofs(s))
        for size in range(min(need, len(senders)), -1, -1):
            k = need - size
            if k > faulty:
                break
            for chosen in combinations(senders, size):
                if primary is not None and primary not in chosen:
                    continue
                honest = [(sent[r].stable, sent[r].state, sent[r].prepared) for r in chosen]
                if k == 0:
                    yield self.compute_o(honest), 0, None
                    continue
                per_seq = [[None, *certs_by_seq[n]] for n in sorted(certs_by_seq)]
                for proof in proofs:
                    for picks in product(*per_seq):
                        forged = (proof[0], proof[1], frozenset(c for c in picks if c is not None))
                        yield self.compute_o([*honest, forged]), k, forged

    # -- guards -----------------------------------------------------------------------

    def _normal(self, s: PbftState, i: int, v: int, action: str) -> None:
        if i in self.faulty:
            raise GuardError(action, "is_honest", f"replica {i} is faulty")
        if s.view[i] != v or s.changing[i]:
            raise GuardError(
                action, "in_view", f"replica {i} is not in normal operation in view {v}"
            )

    def _in_window(self, s: PbftState, i: int, n: int, action: str) -> None:
        if n not in self.window(s, i):
            w = self.window(s, i)
            raise GuardError(
                action,
                "in_watermarks",
                f"sequence number {n} is outside ({w.start - 1}, {w.stop - 1}]",
            )

    def guard(self, s: PbftState, a: Action) -> None:
        """Raise `GuardError` naming the first guard of `a` that fails in `s`."""
        name = type(a).__name__
        replica = getattr(a, "replica", None)
        if replica is not None and not 0 <= replica < self.n:
            raise GuardError(
                action_name(a), "is_replica", f"no replica {replica} (0..{self.n - 1})"
            )
        if isinstance(a, Request):
            if a.value not in self.values:
                raise GuardError("request", "is_value", f"no client request {a.value}")
            if a.value in s.requests:
                raise GuardError("request", "not_sent", f"request {a.value} was already sent")
            return
        if isinstance(a, PrePrepare):
            self._normal(s, a.replica, a.view, "pre_prepare")
            if a.replica != self.primary(a.view):
                raise GuardError(
                    "pre_prepare",
                    "is_primary",
                    f"replica {a.replica} is not view {a.view}'s primary",
                )
            if a.digest not in s.requests:
                raise GuardError("pre_prepare", "requested", f"no request {a.digest} was sent")
            if a.seq != self.next_seq(s, a.view):
                raise GuardError(
                    "pre_prepare",
                    "next_seq",
                    f"the next sequence number is {self.next_seq(s, a.view)}",
                )
            self._in_window(s, a.replica, a.seq, "pre_prepare")
            if any(p.view == a.view and p.digest == a.digest for p in s.pre_prepares):
                raise GuardError(
                    "pre_prepare",
                    "not_assigned",
                    f"request {a.digest} already has a number in view {a.view}",
                )
            if a.digest in s.executed[a.replica]:
                raise GuardError("pre_prepare", "not_executed", f"request {a.digest} was executed")
            return
        if isinstance(a, Prepare):
            self._normal(s, a.replica, a.view, "prepare")
            if a.replica == self.primary(a.view):
                raise GuardError("prepare", "is_backup", f"replica {a.replica} is the primary")
            if not self.pre_prepare_available(s, a.view, a.seq, a.digest):
                raise GuardError(
                    "prepare", "has_pre_prepare", f"no pre-prepare ({a.view}, {a.seq}, {a.digest})"
                )
            self._in_window(s, a.replica, a.seq, "prepare")
            for q in s.prepares:
                if q.replica == a.replica and q.view == a.view and q.seq == a.seq:
                    raise GuardError(
                        "prepare",
                        "no_conflicting_pre_prepare",
                        f"replica {a.replica} already accepted digest {q.digest} for "
                        f"view {a.view}, sequence number {a.seq}",
                    )
            return
        if isinstance(a, Commit):
            self._normal(s, a.replica, a.view, "commit")
            self._in_window(s, a.replica, a.seq, "commit")
            if CommitMsg(a.view, a.seq, a.digest, a.replica) in s.commits:
                raise GuardError("commit", "not_sent", "this commit was already sent")
            if not self.prepared(s, a.replica, a.view, a.seq, a.digest):
                raise GuardError("commit", "prepared", f"replica {a.replica} is not prepared")
            return
        if isinstance(a, Execute):
            self._normal(s, a.replica, a.view, "execute")
            if a.seq != len(s.executed[a.replica]) + 1:
                raise GuardError(
                    "execute",
                    "in_order",
                    f"replica {a.replica} has executed {len(s.executed[a.replica])}",
                )
            if not self.committed_local(s, a.replica, a.view, a.seq, a.digest):
                raise GuardError(
                    "execute", "committed_local", f"replica {a.replica} is not committed-local"
                )
            return
        if isinstance(a, StableCheckpoint):
            if a.replica in self.faulty:
                raise GuardError("stable_checkpoint", "is_honest", f"replica {a.replica} is faulty")
            if a.seq <= s.stable[a.replica]:
                raise GuardError(
                    "stable_checkpoint", "newer", f"h is already {s.stable[a.replica]}"
                )
            if (a.seq, a.state) not in self.stable_proofs(s):
                raise GuardError("stable_checkpoint", "has_proof", "no 2f + 1 matching checkpoints")
            return
        if isinstance(a, Timeout):
            if a.replica in self.faulty:
                raise GuardError("timeout", "is_honest", f"replica {a.replica} is faulty")
            if a.view != s.view[a.replica] + 1 or a.view > self.config.max_view:
                raise GuardError(
                    "timeout", "next_view", f"view {a.view} is not the next one in bounds"
                )
            return
        if isinstance(a, NewView):
            p = a.replica
            if p in self.faulty or p != self.primary(a.view):
                raise GuardError(
                    "new_view", "is_honest_primary", f"replica {p} is not an honest primary"
                )
            if s.view[p] != a.view or not s.changing[p]:
                raise GuardError(
                    "new_view", "view_changing", f"replica {p} has not moved to view {a.view}"
                )
            if (a.stable, a.state, a.pre_prepares) not in self.new_view_choices(s, a.view, p):
                raise GuardError("new_view", "valid_o", "no 2f + 1 view-changes give this O")
            return
        if isinstance(a, AcceptNewView):
            i = a.replica
            if i in self.faulty or i == self.primary(a.view):
                raise GuardError(
                    "accept_new_view", "is_honest_backup", f"replica {i} is not an honest backup"
                )
            if not (s.view[i] < a.view or (s.view[i] == a.view and s.changing[i])):
                raise GuardError(
                    "accept_new_view", "newer_view", f"replica {i} is past view {a.view}"
                )
            if not self.new_view_available(s, a.view, (a.stable, a.state, a.pre_prepares)):
                raise GuardError("accept_new_view", "valid_new_view", "no such valid NEW-VIEW")
            return
        raise GuardError(name, "known_action", f"unknown action {a!r}")  # pragma: no cover

    def next_seq(self, s: PbftState, v: int) -> int:
        """The primary's next sequence number in view v: the lowest unassigned above h."""
        used = {p.seq for p in s.pre_prepares if p.view == v}
        n = s.stable[self.primary(v)] + 1
        while n in used:
            n += 1
        return n

    def pre_prepare_available(self, s: PbftState, v: int, n: int, d: int) -> bool:
        """A pre-prepare (v, n, d) exists: the honest primary sent it, or a faulty one may."""
        if PrePrepareMsg(v, n, d) in s.pre_prepares:
            return True
        return self.byzantine and self.primary(v) in self.faulty and d in s.requests

    def new_view_available(
        self, s: PbftState, v: int, content: tuple[int, tuple[int, ...], frozenset[tuple[int, int]]]
    ) -> bool:
        """A NEW-VIEW for v with this content was sent (honest primary) or may be (faulty)."""
        if self.primary(v) in self.faulty:
            return self.byzantine and content in self.new_view_choices(s, v, None)
        return NewViewMsg(v, *content) in s.new_views

    # -- what a step counted of the faulty replicas' (implicit) messages ----------------

    def relied_on(self, state: PbftState, action: Action) -> tuple[Reliance, ...]:
        """The faulty replicas' messages the step counted (`spec.core.Model.relied_on`).

        Derived from the quorum or certificate the guard checks, counted as `support`
        counts it (`quorum_faulty`: the honest senders first, then the lowest-numbered
        faulty replicas that complete it): a backup's prepare of a faulty primary's
        pre-prepare; a commit's 2f prepares; an execute's prepares and 2f + 1 commits; a
        stable checkpoint's 2f + 1 checkpoints; a NEW-VIEW's 2f + 1 view-changes (the V
        with the most honest ones that gives its O); a faulty primary's NEW-VIEW and its
        V. Nothing for an action that is not enabled in `state`.
        """
        s, a = state, action
        try:
            self.guard(s, a)
        except GuardError:
            return ()
        if isinstance(a, Prepare):
            if PrePrepareMsg(a.view, a.seq, a.digest) in s.pre_prepares:
                return ()
            sender = self.primary(a.view)
            return (Reliance(f"PRE-PREPARE(v{a.view}, n{a.seq}, d{a.digest})", sender),)
        if isinstance(a, Commit | Execute):
            v, n, d = a.view, a.seq, a.digest
            table = self.senders(s)
            prepares = table.prepares.get((v, n, d), ())
            uses = [
                Reliance(f"PREPARE(v{v}, n{n}, d{d})", r)
                for r in self.quorum_faulty(prepares, self.q_prepare, excluded=self.primary(v))
            ]
            if isinstance(a, Execute):
                commits = table.commits.get((v, n, d), ())
                uses += [
                    Reliance(f"COMMIT(v{v}, n{n}, d{d})", r)
                    for r in self.quorum_faulty(commits, self.q_commit)
                ]
            return tuple(uses)
        if isinstance(a, StableCheckpoint):
            senders = self.checkpoint_senders(s, a.seq, a.state)
            return tuple(
                Reliance(f"CHECKPOINT(n{a.seq}, {_log(a.state)})", r)
                for r in self.quorum_faulty(senders, self.q_checkpoint)
            )
        if isinstance(a, NewView):
            return self._view_changes_counted(s, a.view, a.replica, a)
        if isinstance(a, AcceptNewView) and self.primary(a.view) in self.faulty:
            sender = self.primary(a.view)
            o = ", ".join(f"(n{n}, d{d})" for n, d in sorted(a.pre_prepares))
            new_view = f"NEW-VIEW(v{a.view}, {_checkpoint(a.stable, a.state)}O={{{o}}})"
            return (Reliance(new_view, sender), *self._view_changes_counted(s, a.view, None, a))
        return ()

    def _view_changes_counted(
        self, s: PbftState, v: int, primary: int | None, a: NewView | AcceptNewView
    ) -> tuple[Reliance, ...]:
        """The faulty VIEW-CHANGEs in the first V (`new_view_sources`) that gives a's O."""
        content = (a.stable, a.state, a.pre_prepares)
        for o, k, forged in self.new_view_sources(s, v, primary):
            if o != content:
                continue
            if forged is None:
                return ()
            stable, state, prepared = forged
            p = ", ".join(f"(v{c.view}, n{c.seq}, d{c.digest})" for c in sorted(prepared))
            text = f"VIEW-CHANGE(v{v}, {_checkpoint(stable, state)}P={{{p}}})"
            return tuple(Reliance(text, r) for r in self.faulty_senders()[:k])
        return ()  # pragma: no cover - the guard found this O among the sources

    def actor(self, action: Action) -> str:
        """Who takes the action: `client` for a request; a replica that every symmetry
        leaves in place (a primary of a view in 0..max_view, such as the replica the
        phase diagram observes) by its id; the others, interchangeable, as `backup`."""
        if isinstance(action, Request):
            return "client"
        if action.replica in self._fixed:
            return f"replica {action.replica}"
        return "backup"

    # -- the contract -----------------------------------------------------------------

    def initial(self) -> Sequence[PbftState]:
        n = self.n
        return [
            PbftState(
                view=(0,) * n,
                changing=(False,) * n,
                executed=((),) * n,
                stable=(0,) * n,
                requests=frozenset(),
                pre_prepares=frozenset(),
                prepares=frozenset(),
                commits=frozenset(),
                checkpoints=frozenset(),
                view_changes=frozenset(),
                new_views=frozenset(),
            )
        ]

    def candidates(self, s: PbftState) -> Iterator[Action]:
        """Every action worth trying in s (the guards then decide), in a fixed order."""
        for r in self.values:
            yield Request(r)
        for i in self.honest:
            v = s.view[i]
            if s.changing[i]:
                if i == self.primary(v):
                    for o in sorted(self.new_view_choices(s, v, i)):
                        yield NewView(i, v, *o)
            else:
                if i == self.primary(v):
                    n = self.next_seq(s, v)
                    for d in sorted(s.requests):
                        yield PrePrepare(i, v, n, d)
                else:
                    options = {p for p in s.pre_prepares if p.view == v}
                    if self.byzantine and self.primary(v) in self.faulty:
                        options |= {
                            PrePrepareMsg(v, n, d) for n in self.window(s, i) for d in s.requests
                        }
                    for p in sorted(options):
                        yield Prepare(i, *p)
                mine = sorted({x for x in self.accepted(s, i) if x[0] == v})
                for x in mine:
                    yield Commit(i, *x)
                n = len(s.executed[i]) + 1
                for x in mine:
                    if x[1] == n:
                        yield Execute(i, *x)
            for seq, st in sorted(self.stable_proofs(s)):
                if seq > s.stable[i]:
                    yield StableCheckpoint(i, seq, st)
            if s.view[i] < self.config.max_view:
                yield Timeout(i, s.view[i] + 1)
        for v in range(1, self.config.max_view + 1):
            leader = self.primary(v)
            if leader in self.faulty:
                if not self.byzantine:
                    continue
                offers = self.new_view_choices(s, v, None)
            else:
                offers = {(m.stable, m.state, m.pre_prepares) for m in s.new_views if m.view == v}
            for o in sorted(offers):
                for i in self.honest:
                    if i != leader and (s.view[i] < v or (s.view[i] == v and s.changing[i])):
                        yield AcceptNewView(i, v, *o)

    def apply(self, s: PbftState, a: Action) -> PbftState:
        """The effect of an enabled action (the guards have been checked)."""
        if isinstance(a, Request):
            return attrs.evolve(s, requests=s.requests | {a.value})
        if isinstance(a, PrePrepare):
            return attrs.evolve(
                s, pre_prepares=s.pre_prepares | {PrePrepareMsg(a.view, a.seq, a.digest)}
            )
        if isinstance(a, Prepare):
            msg = PrepareMsg(a.view, a.seq, a.digest, a.replica)
            return attrs.evolve(s, prepares=s.prepares | {msg})
        if isinstance(a, Commit):
            msg_c = CommitMsg(a.view, a.seq, a.digest, a.replica)
            return attrs.evolve(s, commits=s.commits | {msg_c})
        if isinstance(a, Execute):
            log = s.executed[a.replica]
            done = (*log, NULL if a.digest in log else a.digest)
            checkpoints = s.checkpoints
            k = self.config.checkpoint_interval
            if k and a.seq % k == 0:
                checkpoints = checkpoints | {CheckpointMsg(a.seq, done, a.replica)}
            return attrs.evolve(
                s,
                executed=put(s.executed, a.replica, done),
                checkpoints=checkpoints,
            )
        if isinstance(a, StableCheckpoint):
            return self._adopt(s, a.replica, a.seq, a.state)
        if isinstance(a, Timeout):
            i = a.replica
            low = s.stable[i]
            vc = ViewChangeMsg(a.view, i, low, s.executed[i][:low], self.prepared_set(s, i))
            return attrs.evolve(
                s,
                view=put(s.view, i, a.view),
                changing=put(s.changing, i, True),
                view_changes=s.view_changes | {vc},
            )
        if isinstance(a, NewView):
            s = self._adopt(s, a.replica, a.stable, a.state)
            return attrs.evolve(
                s,
                changing=put(s.changing, a.replica, False),
                new_views=s.new_views | {NewViewMsg(a.view, a.stable, a.state, a.pre_prepares)},
                pre_prepares=s.pre_prepares
                | {PrePrepareMsg(a.view, n, d) for n, d in a.pre_prepares},
            )
        assert isinstance(a, AcceptNewView)
        s = self._adopt(s, a.replica, a.stable, a.state)
        return attrs.evolve(
            s,
            view=put(s.view, a.replica, a.view),
            changing=put(s.changing, a.replica, False),
            prepares=s.prepares | {PrepareMsg(a.view, n, d, a.replica) for n, d in a.pre_prepares},
        )

    def prepared_set(self, s: PbftState, i: int) -> frozenset[Cert]:
        """The P of i's view-change: "a set containing a set P_m for each request m that
        prepared at i with a sequence number higher than n" (n: i's stable checkpoint)."""
        low = s.stable[i]
        return frozenset(
            Cert(c.seq, c.digest, c.view) for c in s.commits if c.replica == i and c.seq > low
        )

    def _adopt(self, s: PbftState, i: int, seq: int, state: tuple[int, ...]) -> PbftState:
        """Move h to a stable checkpoint, fetching its state if i is behind (§4.3)."""
        if seq <= s.stable[i]:
            return s
        executed = s.executed
        if len(executed[i]) < seq:
            executed = put(executed, i, state)
        return attrs.evolve(s, stable=put(s.stable, i, seq), executed=executed)

    # -- symmetry -----------------------------------------------------------------------

    def symmetries(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """The permutations (of replicas, of digests) that map behaviours to behaviours.

        Honest replicas that are the primary of no view in 0..max_view play identical
        roles, and so do the client requests 1..requests (the null digest stays put).
        Each element is (replica map, digest map), the identity first.
        """
        primaries = {self.primary(v) for v in range(self.config.max_view + 1)}
        movable = [i for i in self.honest if i not in primaries]
        result = []
        for replicas in permutations(movable):
            rmap = list(range(self.n))
            for src, dst in zip(movable, replicas, strict=True):
                rmap[src] = dst
            for values in permutations(self.values):
                dmap = [NULL, *values]
                result.append((tuple(rmap), tuple(dmap)))
        return result

    @staticmethod
    def permute_replicas(
        s: PbftState, r: tuple[int, ...], d: tuple[int, ...]
    ) -> tuple[tuple[int, ...], tuple[bool, ...], tuple[tuple[int, ...], ...], tuple[int, ...]]:
        """The per-replica variables under the permutation (the cheap part of `permute`)."""

        executed = relabel(tuple(tuple(d[x] for x in e) for e in s.executed), r)
        return relabel(s.view, r), relabel(s.changing, r), executed, relabel(s.stable, r)

    def permute(self, s: PbftState, r: tuple[int, ...], d: tuple[int, ...]) -> PbftState:
        """The state with replica i renamed r[i] and digest x renamed d[x]."""

        def log(entries: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(d[x] for x in entries)

        def certs(cs: frozenset[Cert]) -> frozenset[Cert]:
            return frozenset(Cert(c.seq, d[c.digest], c.view) for c in cs)

        view, changing, executed, stable = self.permute_replicas(s, r, d)
        return PbftState(
            view=view,
            changing=changing,
            executed=executed,
            stable=stable,
            requests=frozenset(d[x] for x in s.requests),
            pre_prepares=frozenset(
                PrePrepareMsg(p.view, p.seq, d[p.digest]) for p in s.pre_prepares
            ),
            prepares=frozenset(
                PrepareMsg(p.view, p.seq, d[p.digest], r[p.replica]) for p in s.prepares
            ),
            commits=frozenset(
                CommitMsg(c.view, c.seq, d[c.digest], r[c.replica]) for c in s.commits
            ),
            checkpoints=frozenset(
                CheckpointMsg(c.seq, log(c.state), r[c.replica]) for c in s.checkpoints
            ),
            view_changes=frozenset(
                ViewChangeMsg(m.view, r[m.replica], m.stable, log(m.state), certs(m.prepared))
                for m in s.view_changes
            ),
            new_views=frozenset(
                NewViewMsg(
                    m.view, m.stable, log(m.state), frozenset((n, d[x]) for n, x in m.pre_prepares)
                )
                for m in s.new_views
            ),
        )

    @staticmethod
    def order_key(s: PbftState) -> tuple[object, ...]:
        """A total order on states (sets as sorted tuples), to pick a representative."""
        return (
            s.view,
            s.changing,
            s.executed,
            s.stable,
            sorted(s.requests),
            sorted(s.pre_prepares),
            sorted(s.prepares),
            sorted(s.commits),
            sorted(s.checkpoints),
            sorted(
                (m.view, m.replica, m.stable, m.state, sorted(m.prepared)) for m in s.view_changes
            ),
            sorted((m.view, m.stable, m.state, sorted(m.pre_prepares)) for m in s.new_views),
        )

    def canonical(self, state: PbftState) -> PbftState:
        """The least state (by `order_key`) among the state's images under `symmetries`."""
        best, best_key = state, self.order_key(state)
        for r, d in self._symmetries[1:]:
            # The key starts with the per-replica variables: an image already greater
            # there is dropped before its message sets are built.
            if self.permute_replicas(state, r, d) > best_key[:4]:
                continue
            image = self.permute(state, r, d)
            key = self.order_key(image)
            if key < best_key:
                best, best_key = image, key
        return best

    def terminal_ok(self, state: PbftState) -> bool:
        """Quiescence is a proper end: with bounded views and requests, PBFT stops."""
        return True

    def phase(self, state: PbftState) -> str:
        """An honest replica's phase for the lowest sequence number it has not executed.

        `idle`, `pre-prepared` (the pre-prepare is in its log), `prepared`, `committed`
        (committed-local), `executed` (nothing yet for its next number) or `view-change`:
        the seed's `phase` (`:pre_prepare | :prepare | :commit | :decided | :view_change`)
        read as the paper's predicates. The replica observed is the lowest honest one that
        every symmetry leaves in place (a primary of a view in 0..max_view), so the phase
        is the same across a symmetry class; without one, all honest replicas' phases,
        sorted.
        """
        fixed = [i for i in self.honest if all(r[i] == i for r, _ in self._symmetries)]
        phases = []
        for i in fixed[:1] or self.honest:
            if state.changing[i]:
                phases.append("view-change")
                continue
            v, n = state.view[i], len(state.executed[i]) + 1
            rank = 0
            for w, m, d in self.accepted(state, i):
                if (w, m) == (v, n):
                    prepared = self.prepared(state, i, v, n, d)
                    local = prepared and self.committed_local(state, i, v, n, d)
                    rank = max(rank, 3 if local else 2 if prepared else 1)
            idle = "executed" if state.executed[i] else "idle"
            phases.append((idle, "pre-prepared", "prepared", "committed")[rank])
        return ", ".join(sorted(phases))

    # -- properties -------------------------------------------------------------------

    def committed_local_digests(self, s: PbftState, i: int) -> set[tuple[int, int]]:
        """(seq, digest) pairs committed-local at honest replica i, in any view."""
        return {
            (n, d) for v, n, d in set(self.accepted(s, i)) if self.committed_local(s, i, v, n, d)
        }

    def invariants(self) -> Sequence[Invariant[PbftState]]:
        honest, n_max = self.honest, self.config.max_seq

        @invariant
        def type_ok(s: PbftState) -> bool:
            """Every variable holds a value of its type and within its bounds."""
            return (
                all(0 <= s.view[i] <= self.config.max_view for i in range(self.n))
                and all(len(s.executed[i]) <= n_max for i in range(self.n))
                and all(0 <= s.stable[i] <= len(s.executed[i]) or s.stable[i] == 0 for i in honest)
                and s.requests <= frozenset(self.values)
                and all(1 <= p.seq <= n_max for p in s.pre_prepares)
            )

        @invariant
        def agreement(s: PbftState) -> bool:
            """No two honest replicas commit-local or execute different requests at one n.

            §4.2: "the non-faulty replicas agree on the sequence numbers of requests that
            commit locally"; and so on what they execute.
            """
            chosen: dict[int, int] = {}
            for i in honest:
                for n, d in self.committed_local_digests(s, i):
                    if chosen.setdefault(n, d) != d:
                        return False
            logs = [s.executed[i] for i in honest]
            for a in logs:
                for b in logs:
                    k = min(len(a), len(b))
                    if a[:k] != b[:k]:
                        return False
            return True

        @invariant
        def prepared_unique(s: PbftState) -> bool:
            """§4.2's invariant: prepared at one honest replica excludes another digest.

            "if prepared(m, v, n, i) is true then prepared(m', v, n, j) is false for any
            non-faulty replica j (including i = j) and any m' such that D(m') != D(m)."
            """
            seen: dict[tuple[int, int], int] = {}
            for i in honest:
                for v, n, d in set(self.accepted(s, i)):
                    if self.prepared(s, i, v, n, d) and seen.setdefault((v, n), d) != d:
                        return False
            return True

        @invariant
        def committed_local_implies_committed(s: PbftState) -> bool:
            """committed-local at an honest replica implies committed (§4.2).

            "if committed-local(m, v, n, i) is true for some non-faulty i then
            committed(m, v, n) is true."
            """
            for i in honest:
                for v, n, d in set(self.accepted(s, i)):
                    if self.committed_local(s, i, v, n, d) and not self.committed(s, v, n, d):
                        return False
            return True

        @invariant
        def validity(s: PbftState) -> bool:
            """What an honest replica executes was requested by a client, or is null."""
            return all(d == NULL or d in s.requests for i in honest for d in s.executed[i])

        @invariant
        def integrity(s: PbftState) -> bool:
            """Each request executes at most once at each honest replica, in order.

            Order is the log's index (sequence number n at position n - 1); a request
            assigned two numbers executes at the first and is a no-op (null) after.
            """
            for i in honest:
                real = [d for d in s.executed[i] if d != NULL]
                if len(real) != len(set(real)) or len(s.executed[i]) > n_max:
                    return False
            return True

        return [
            type_ok,
            agreement,
            prepared_unique,
            committed_local_implies_committed,
            validity,
            integrity,
        ]

    def witnesses(self) -> Sequence[Witness[PbftState]]:
        """What must be reachable; each witness is claimed only where the bounds allow it
        (a later view needs max_view >= 1; equivocation needs a faulty primary of a view
        below max_view, a Byzantine adversary and two requests)."""
        honest = self.honest

        @witness
        def executed_in_view_0(s: PbftState) -> bool:
            """An honest replica executes a client request in view 0."""
            return any(s.view[i] == 0 and any(d != NULL for d in s.executed[i]) for i in honest)

        @witness
        def executed_after_view_change(s: PbftState) -> bool:
            """An honest replica executes a request that committed locally in a later view."""
            for i in honest:
                for n, d in enumerate(s.executed[i], start=1):
                    for v in range(1, s.view[i] + 1):
                        if d != NULL and self.committed_local(s, i, v, n, d):
                            return True
            return False

        @witness
        def view_change_despite_equivocation(s: PbftState) -> bool:
            """A view change completes after a faulty primary equivocated.

            Two honest backups prepared different digests for one view and sequence number
            (only a faulty primary's equivocating pre-prepares allow that), and an honest
            replica has since entered a later view through NEW-VIEW.
            """
            digests: dict[tuple[int, int], set[int]] = {}
            for p in s.prepares:
                digests.setdefault((p.view, p.seq), set()).add(p.digest)
            equivocated = [k for k, ds in digests.items() if len(ds) > 1]
            return any(s.view[i] > v and not s.changing[i] for v, _ in equivocated for i in honest)

        found: list[Witness[PbftState]] = [executed_in_view_0]
        config = self.config
        if config.max_view >= 1:
            found.append(executed_after_view_change)
        equivocating = any(self.primary(v) in self.faulty for v in range(config.max_view))
        if self.byzantine and equivocating and config.requests >= 2:
            found.append(view_change_despite_equivocation)
        return found

    def action_classes(self) -> Sequence[str]:
        """The fairness classes: one per kind of action, named as the action."""
        return action_names(Action)

    def eventually(self) -> Sequence[Eventually[PbftState]]:
        """Liveness, claimed only when the primary of the last view is honest."""
        if self.primary(self.config.max_view) in self.faulty:
            return []
        target = min(self.config.max_seq, self.config.requests)
        honest = self.honest

        @eventually(
            "request",
            "pre_prepare",
            "prepare",
            "commit",
            "execute",
            "stable_checkpoint",
            "timeout",
            "new_view",
            "accept_new_view",
        )
        def all_execute(s: PbftState) -> bool:
            """Every honest replica eventually executes sequence numbers 1..min(max_seq, requests).

            Fairness: weak fairness of every honest action, timeouts included. Timeouts are
            bounded by max_view, so on every fair behaviour they stop once every honest
            replica reaches max_view, whose primary is honest (the property is not claimed
            otherwise); from then on, "once timeouts stop with an honest primary", the
            requests must execute. The adversary is never obliged to act.
            """
            return all(len(s.executed[i]) >= target for i in honest)

        faulty = self.faulty
        primary = self.primary
        max_seq = self.config.max_seq

        def honest_primary_with_request(s: PbftState) -> bool:
            """A request has been sent, and every honest replica is in one view, not
            changing views, whose primary is honest."""
            views = {s.view[i] for i in honest}
            return (
                bool(s.requests)
                and len(views) == 1
                and primary(next(iter(views))) not in faulty
                and not any(s.changing[i] for i in honest)
            )

        @leads_to(honest_primary_with_request, *all_execute.fairness)
        def requests_executed(s: PbftState) -> bool:
            """A request sent while the primary is honest leads to its execution.

            `honest_primary_with_request ~> requests_executed`: once a request is sent
            while every honest replica is in a view with an honest primary, every honest
            replica executes every request sent, or uses up all max_seq sequence numbers
            (the bounded model has max_seq of them for all the requests). Stated for all
            the requests at once, so that the symmetry that permutes requests keeps it.
            Fairness as for all_execute.
            """
            return all(
                s.requests <= set(s.executed[i]) or len(s.executed[i]) >= max_seq for i in honest
            )

        return [all_execute, requests_executed]


SPEC = Specification(
    name="pbft",
    summary="PBFT (Castro & Liskov OSDI'99 §4): normal case, checkpoints, view change",
    config_type=PbftConfig,
    build=Pbft,
)
