"""PBFT's symmetry, declared: which replicas and requests are interchangeable.

Honest replicas that are the primary of no view in 0..max_view play identical roles, and
so do the client requests 1..requests (the null digest stays put): the group is every
renaming of both (`spec.symmetry.agent_maps`), and a state's representative is its
least image by `order_key` (`spec.symmetry.Symmetry`; TLC: `SYMMETRY
Permutations(Replica)`). The phase diagram's hooks (`phase`, `actor`) name only the
replicas no renaming moves.
"""

from __future__ import annotations

from spec.core import relabel
from spec.pbft.messages import (
    Action,
    Cert,
    CheckpointMsg,
    CommitMsg,
    NewViewMsg,
    PbftState,
    PrepareMsg,
    PrePrepareMsg,
    Request,
    ViewChangeMsg,
)
from spec.pbft.predicates import Predicates
from spec.symmetry import Symmetry, agent_maps

#: A renaming: (replica map, digest map); replica i becomes r[i] and digest x becomes d[x].
Renaming = tuple[tuple[int, ...], tuple[int, ...]]

#: The per-replica variables of a state, as `order_key` begins with them.
PerReplica = tuple[tuple[int, ...], tuple[bool, ...], tuple[tuple[int, ...], ...], tuple[int, ...]]


class Symmetric(Predicates):
    """The symmetry reduction (`canonical`) and the phase diagram's hooks."""

    symmetry: Symmetry[PbftState, Renaming]
    #: The replicas every renaming leaves in place (the primaries of 0..max_view).
    fixed: frozenset[int]

    def declare_symmetry(self) -> None:
        """Set `symmetry` and `fixed` for this configuration."""
        self.symmetry = Symmetry(
            group=tuple(self.symmetries()),
            act=lambda s, p: self.permute(s, *p),
            key=self.order_key,
            prefix=lambda s, p: self.permute_replicas(s, *p),
            prefix_len=4,
        )
        self.fixed = frozenset(
            i for i in range(self.n) if all(r[i] == i for r, _ in self.symmetry.group)
        )

    def symmetries(self) -> list[Renaming]:
        """The renamings (of replicas, of digests) that map behaviours to behaviours.

        Each element is (replica map, digest map), the identity first: every replica
        map (`agent_maps` of the movable replicas), each with every digest map.
        """
        primaries = {self.primary(v) for v in range(self.config.max_view + 1)}
        movable = [i for i in self.honest if i not in primaries]
        digests = agent_maps(len(self.values) + 1, self.values)
        return [(r, d) for r in agent_maps(self.n, movable) for d in digests]

    @staticmethod
    def permute_replicas(s: PbftState, r: tuple[int, ...], d: tuple[int, ...]) -> PerReplica:
        """The per-replica variables under the renaming (the cheap part of `permute`)."""
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
        """A total order on states (sets as sorted tuples), to pick a representative; it
        begins with the per-replica variables (`permute_replicas`)."""
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
        return self.symmetry.representative(state)

    # -- the phase diagram ---------------------------------------------------------------

    def actor(self, action: Action) -> str:
        """Who takes the action: `client` for a request; a replica that every symmetry
        leaves in place (a primary of a view in 0..max_view, such as the replica the
        phase diagram observes) by its id; the others, interchangeable, as `backup`."""
        if isinstance(action, Request):
            return "client"
        if action.replica in self.fixed:
            return f"replica {action.replica}"
        return "backup"

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
        fixed = [i for i in self.honest if i in self.fixed]
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
