"""PBFT's properties: invariants (always), witnesses (sometimes) and liveness, each one
claim (Castro & Liskov OSDI'99 §4.2, §4.4; the seed's Part 1).

The invariants are the spec's own, then the paper's claims restated from the state alone
with their own computation (spec/restated/pbft.py: the water marks, stable checkpoints,
the view-change's P, the NEW-VIEW's O), which share none of spec/pbft/predicates.py.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from spec.core import (
    Eventually,
    Invariant,
    Witness,
    action_names,
    eventually,
    invariant,
    leads_to,
    witness,
)
from spec.pbft.messages import NULL, Action, PbftState
from spec.pbft.predicates import Predicates
from spec.restated import pbft as restated


class Properties(Predicates):
    """The named properties the checker verifies."""

    def terminal_ok(self, state: PbftState) -> bool:
        """Quiescence is a proper end: with bounded views and requests, PBFT stops."""
        return True

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
            *self.restated_invariants(),
        ]

    def restated_invariants(self) -> list[Invariant[PbftState]]:
        """The paper's claims restated independently (spec/restated/pbft.py's `CLAIMS`),
        each an invariant named and documented by its function, of this configuration."""
        return [
            Invariant(claim.__name__, functools.partial(claim, self.config), claim.__doc__ or "")
            for claim in restated.CLAIMS
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

        answered = self.q_reply

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
        def all_answered(s: PbftState) -> bool:
            """Sequence numbers 1..min(max_seq, requests) are eventually executed by f + 1
            honest replicas: every client gets its result (§4.1: "The client waits for f + 1
            replies with valid signatures from different replicas, and with the same t and
            r"; the adversary need not reply, so f + 1 honest replicas must).

            Not every honest replica: under §4.5.2's timer a replica whose timer expired
            alone, once the others have executed everything, waits for a NEW-VIEW nobody
            sends (spec/FINDINGS.md P9).

            Fairness: weak fairness of every honest action, timeouts included. Timeouts are
            bounded by max_view and run only while a request waits or a view change is under
            way, so on every fair behaviour they stop; the property is claimed only when the
            primary of max_view is honest. The adversary is never obliged to act.
            """
            return sum(len(s.executed[i]) >= target for i in honest) >= answered

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

        @leads_to(honest_primary_with_request, *all_answered.fairness)
        def requests_answered(s: PbftState) -> bool:
            """A request sent while the primary is honest leads to its result.

            `honest_primary_with_request ~> requests_answered`: once a request is sent
            while every honest replica is in a view with an honest primary, f + 1 honest
            replicas (the client's f + 1 replies) each execute every request sent, or use
            up all max_seq sequence numbers (the bounded model has max_seq of them for all
            the requests). Stated for all the requests at once, so that the symmetry that
            permutes requests keeps it. Fairness as for all_answered.
            """
            return (
                sum(
                    s.requests <= set(s.executed[i]) or len(s.executed[i]) >= max_seq
                    for i in honest
                )
                >= answered
            )

        return [all_answered, requests_answered]
