"""The paper's predicates, under its names and letters (Castro & Liskov OSDI'99 §4).

Each is a method of `Predicates` (the `Pbft` model inherits them), reading a state:
the primary of a view, the water marks h and H, prepared, committed-local and committed
(§4.2), the checkpoint proof C and the stable checkpoint (§4.3), the view-change's P, a
valid view-change, the sets V a new primary may collect and the O it computes from one
(§4.4). Wherever a quorum is counted, the faulty replicas count as `support` says
(spec/pbft/adversary.py: the Byzantine relation).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import combinations, product
from typing import TYPE_CHECKING

from spec.pbft.config import PbftConfig
from spec.pbft.messages import (
    NULL,
    Cert,
    NewViewContent,
    PbftState,
    PrepareMsg,
    PrePrepareMsg,
    ViewChangeContent,
)

#: One V (§4.4) as `Predicates.V` gives it: the contents of its view-changes (the
#: honest ones, then the one the faulty ones carry), the number k of faulty view-changes
#: in it, and what they carry (None when k = 0).
ViewChangeSet = tuple[list[ViewChangeContent], int, ViewChangeContent | None]


class Senders:
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


class Predicates:
    """The paper's predicates over a `PbftState`, for one configuration."""

    #: The bounds.
    config: PbftConfig
    #: n, the number of replicas, and f, the most faulty ones the quorums tolerate.
    n: int
    f: int
    #: The Byzantine replicas, and the others (in order).
    faulty: frozenset[int]
    honest: tuple[int, ...]
    #: Whether the faulty replicas send anything (`adversary = byzantine`) or nothing.
    byzantine: bool
    #: The client requests 1..requests.
    values: tuple[int, ...]
    #: The quorum sizes (spec/pbft/config.py's constants table).
    q_prepare: int
    q_commit: int
    q_view_change: int
    q_checkpoint: int
    q_committed: int
    q_join: int
    q_reply: int
    _senders_of: tuple[PbftState | None, Senders | None]

    if TYPE_CHECKING:  # the Byzantine relation (spec/pbft/adversary.py)

        def support(self, senders: Iterable[int], excluded: int | None = None) -> int: ...

        def faulty_senders(self, excluded: int | None = None) -> tuple[int, ...]: ...

    def senders(self, s: PbftState) -> Senders:
        """The sender tables of `s` (kept for the last state asked about)."""
        last, table = self._senders_of
        if last is not s or table is None:
            table = Senders(s)
            self._senders_of = (s, table)
        return table

    # -- views and water marks (§4, §4.3) ----------------------------------------------

    def primary(self, view: int) -> int:
        """§4: "The primary of a view is replica p such that p = v mod |R|"."""
        return view % self.n

    def h(self, s: PbftState, i: int) -> int:
        """The low water mark of replica i (§4.3).

        "The low-water mark h is equal to the sequence number of the last stable
        checkpoint."
        """
        return s.stable[i]

    def H(self, s: PbftState, i: int) -> int:  # noqa: N802 - the paper's letter
        """The high water mark of replica i (§4.3), within the model's max_seq.

        "The high water mark H = h + k, where k is big enough so that replicas do not
        stall waiting for a checkpoint to become stable" (k is `log_size`, L; without
        checkpoints h stays 0 and H is max_seq).
        """
        high = self.config.max_seq
        if self.config.checkpoint_interval:
            high = min(high, self.h(s, i) + self.config.log_size)
        return high

    def window(self, s: PbftState, i: int) -> range:
        """The sequence numbers n with h < n <= H at replica i."""
        return range(self.h(s, i) + 1, self.H(s, i) + 1)

    def signed_requests(self, s: PbftState) -> frozenset[int]:
        """The requests a replica accepts in a pre-prepare or a certificate: those a
        client sent, since a client signs its <REQUEST, o, t, c> (§4.1) and no replica,
        faulty or not, can forge one."""
        return s.requests

    # -- the normal case (§4.2) --------------------------------------------------------

    def accepted_pre_prepare(self, s: PbftState, i: int, v: int, n: int, d: int) -> bool:
        """Replica i has the pre-prepare (v, n, d) in its log: it sent it or prepared it."""
        if i == self.primary(v):
            return PrePrepareMsg(v, n, d) in s.pre_prepares
        return PrepareMsg(v, n, d, i) in s.prepares

    def accepted(self, s: PbftState, i: int) -> Iterator[tuple[int, int, int]]:
        """The (view, seq, digest) of every pre-prepare in honest replica i's log."""
        for p in s.pre_prepares:
            if self.primary(p.view) == i:
                yield p
        for q in s.prepares:
            if q.replica == i:
                yield q[:3]

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
        signed = d == NULL or d in self.signed_requests(s)
        if not signed or not self.accepted_pre_prepare(s, i, v, n, d):
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

    def next_seq(self, s: PbftState, v: int) -> int:
        """The primary's next sequence number in view v: the lowest unassigned above h."""
        used = {p.seq for p in s.pre_prepares if p.view == v}
        n = self.h(s, self.primary(v)) + 1
        while n in used:
            n += 1
        return n

    def certificates(self, s: PbftState, below: int) -> set[Cert]:
        """Every valid prepared certificate P_m of a view below `below` (§4.4: "a valid
        pre-prepare message ... and 2f matching, valid prepare messages signed by
        different backups"), faulty help included."""
        candidates: set[tuple[int, int, int]] = {p[:3] for p in s.prepares if p.view < below}
        candidates |= {p for p in s.pre_prepares if p.view < below}
        signed = self.signed_requests(s)
        if self.byzantine:
            for v in range(below):
                if self.primary(v) in self.faulty:
                    candidates |= {
                        (v, n, d)
                        for n in range(1, self.config.max_seq + 1)
                        for d in self.values
                        if d in signed
                    }
        certs = set()
        for v, n, d in candidates:
            if d != NULL and d not in signed:
                continue
            if self.primary(v) not in self.faulty and PrePrepareMsg(v, n, d) not in s.pre_prepares:
                continue
            senders = self.senders(s).prepares.get((v, n, d), ())
            if self.support(senders, excluded=self.primary(v)) >= self.q_prepare:
                certs.add(Cert(n, d, v))
        return certs

    # -- checkpoints (§4.3) ------------------------------------------------------------

    @staticmethod
    def checkpoint_senders(s: PbftState, seq: int, state: tuple[int, ...]) -> list[int]:
        """The honest replicas that sent CHECKPOINT(seq, state)."""
        return [x.replica for x in s.checkpoints if x[:2] == (seq, state)]

    def C(self, s: PbftState, seq: int, state: tuple[int, ...]) -> bool:  # noqa: N802
        """A checkpoint proof C for (seq, state) can be collected (§4.3, §4.4).

        "Each replica collects checkpoint messages in its log until it has 2f + 1 of them
        for sequence number n with the same digest d signed by different replicas
        (including possibly its own such message). These 2f + 1 messages are the proof of
        correctness for the checkpoint." The initial state (0, ()) needs none.
        """
        if (seq, state) == (0, ()):
            return True
        return self.support(self.checkpoint_senders(s, seq, state)) >= self.q_checkpoint

    def stable_proofs(self, s: PbftState) -> set[tuple[int, tuple[int, ...]]]:
        """Every stable checkpoint: "A checkpoint with a proof is called a stable
        checkpoint" (§4.3); those sent by an honest replica with their proof C, and the
        initial one."""
        proofs: set[tuple[int, tuple[int, ...]]] = {(0, ())}
        for c in s.checkpoints:
            if self.C(s, c.seq, c.state):
                proofs.add((c.seq, c.state))
        return proofs

    def stable_checkpoint(self, s: PbftState, i: int) -> tuple[int, tuple[int, ...]]:
        """Replica i's last stable checkpoint: its sequence number h and its state."""
        low = self.h(s, i)
        return low, s.executed[i][:low]

    # -- the view change (§4.4) and its timer (§4.5.2) ----------------------------------

    def waiting(self, s: PbftState, i: int) -> bool:
        """Replica i waits for a request (§4.5.2: "A backup is waiting for a request if it
        received a valid request and has not executed it"): some request sent is not in
        i's executed log. Any request sent may have reached i (the message sets are the
        network), so this is the most any replica can be waiting for."""
        done = s.executed[i]
        return any(r not in done for r in s.requests)

    def joins(self, s: PbftState, i: int, v: int) -> bool:
        """The f + 1 rule (§4.5.2): "a set of f + 1 valid view-change messages from other
        replicas for views greater than its current view" lets replica i send VIEW-CHANGE
        for v "even if its timer has not expired" (for the next view v only; faulty
        replicas count as senders when they send anything)."""
        others = {vc.replica for vc in s.view_changes if vc.view == v and vc.replica != i}
        return self.support(others, excluded=i) >= self.q_join

    def timer_runs(self, s: PbftState, i: int, v: int) -> bool:
        """Replica i's view-change timer may expire and move it to v (§4.5.2): it runs
        while i waits for a request and while i awaits NEW-VIEW for its view; or the f + 1
        rule starts the view change without it."""
        return s.changing[i] or self.waiting(s, i) or self.joins(s, i, v)

    def prepared_set(self, s: PbftState, i: int) -> frozenset[Cert]:
        """The P of i's view-change: "a set containing a set P_m for each request m that
        prepared at i with a sequence number higher than n" (n: i's stable checkpoint)."""
        low = self.h(s, i)
        return frozenset(
            Cert(c.seq, c.digest, c.view) for c in s.commits if c.replica == i and c.seq > low
        )

    def valid_view_change(self, s: PbftState, v: int, vc: ViewChangeContent) -> bool:
        """A view-change for v is valid (§4.4: "if the view-change messages it contains
        are valid for view v+1"): its checkpoint has a proof C, and each P_m in its P is a
        valid prepared certificate of an earlier view."""
        stable, state, prepared = vc
        if (stable, state) not in self.stable_proofs(s):
            return False
        return prepared <= self.certificates(s, v)

    def V(self, s: PbftState, v: int, primary: int | None) -> Iterator[ViewChangeSet]:  # noqa: N802
        """Every V a NEW-VIEW for v can carry, the most honest view-changes first (§4.4).

        "V is a set containing the valid view-change messages received by the primary
        plus the view-change message for v+1 the primary sent": here 2f + 1 view-changes
        for v, any choice of the honest ones sent (the new primary's own among them when
        it is honest, `primary`) completed by k faulty ones, which may carry any stable
        checkpoint and any valid prepared certificates (one content for all k).
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
                    yield honest, 0, None
                    continue
                per_seq = [[None, *certs_by_seq[n]] for n in sorted(certs_by_seq)]
                for proof in proofs:
                    for picks in product(*per_seq):
                        forged = (proof[0], proof[1], frozenset(c for c in picks if c is not None))
                        yield [*honest, forged], k, forged

    def compute_o(self, vcs: Sequence[ViewChangeContent]) -> NewViewContent:
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

    def new_view_sources(
        self, s: PbftState, v: int, primary: int | None
    ) -> Iterator[tuple[NewViewContent, int, ViewChangeContent | None]]:
        """Each (O, k, forged) of the V's of `V`, in its order: O (`compute_o`), the number
        k of faulty view-changes in V, and what they carry (None if k = 0)."""
        for vcs, k, forged in self.V(s, v, primary):
            yield self.compute_o(vcs), k, forged

    def new_view_choices(self, s: PbftState, v: int, primary: int | None) -> set[NewViewContent]:
        """Every (min-s, checkpoint state, O) a NEW-VIEW for v can carry (one per V)."""
        return {o for o, _, _ in self.new_view_sources(s, v, primary)}
