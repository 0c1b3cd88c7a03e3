"""The Byzantine relation: what the faulty replicas contribute (Castro & Liskov §4).

The faulty replicas' messages are never stored. Wherever an honest replica counts a
quorum or accepts a certificate, each faulty replica counts as a sender of whatever
matching message is needed (`support`, `faulty_senders`): a faulty replica may send any
well-formed message under its own identity at any time, to any subset of replicas, so
equivocation (one message to some replicas, another to others) is one faulty replica
counting for two digests at two replicas. A faulty primary's pre-prepares and
new-views are whatever the guards allow it (`pre_prepare_available`,
`new_view_available`); faulty view-changes carry any valid checkpoint and certificates
(`Predicates.V`). Authentication is what keeps the relation this small: a faulty
replica cannot send as an honest one. With `adversary = silent` they send nothing
(crash faults).

Since these messages appear in no state, `relied_on` names those a step counted
(`PREPARE(v0, n1, d1) from faulty 3`), so that every trace shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar

from spec.core import Guard, Reliance
from spec.pbft.messages import (
    AcceptNewView,
    Action,
    Commit,
    Execute,
    NewView,
    NewViewContent,
    NewViewMsg,
    PbftState,
    Prepare,
    PrePrepareMsg,
    StableCheckpoint,
)
from spec.pbft.predicates import Predicates


def show_log(entries: tuple[int, ...]) -> str:
    """An executed log (a checkpoint's state) as the reports write a tuple: `<<1, 2>>`."""
    return "<<" + ", ".join(str(d) for d in entries) + ">>"


def show_checkpoint(stable: int, state: tuple[int, ...]) -> str:
    """The checkpoint a VIEW-CHANGE or NEW-VIEW carries, as the head of its fields:
    `n0, ` (none yet) or `n2, C=<<1, 2>>, `."""
    return f"n{stable}, " + (f"C={show_log(state)}, " if stable else "")


class Adversary(Predicates):
    """The faulty replicas' part in every quorum and certificate (the Byzantine relation)."""

    _faulty_senders: dict[int | None, tuple[int, ...]]

    if TYPE_CHECKING:  # spec.core.GuardedModel's, with the guard table of spec/pbft/actions.py
        guards: ClassVar[Mapping[type, tuple[Guard, ...]]]

        def is_enabled(self, state: PbftState, action: Action) -> bool: ...

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

    def pre_prepare_available(self, s: PbftState, v: int, n: int, d: int) -> bool:
        """A pre-prepare (v, n, d) exists: the honest primary sent it, or a faulty one may."""
        if PrePrepareMsg(v, n, d) in s.pre_prepares:
            return True
        return self.byzantine and self.primary(v) in self.faulty and d in self.signed_requests(s)

    def new_view_available(self, s: PbftState, v: int, content: NewViewContent) -> bool:
        """A NEW-VIEW for v with this content was sent (honest primary) or may be (faulty)."""
        if self.primary(v) in self.faulty:
            return self.byzantine and content in self.new_view_choices(s, v, None)
        return NewViewMsg(v, *content) in s.new_views

    # -- what a step counted of the faulty replicas' (implicit) messages ----------------

    def relied_on(self, state: PbftState, action: Action) -> tuple[Reliance, ...]:
        """The faulty replicas' messages the step counted (`spec.core.Model.relied_on`).

        Derived from the quorum or certificate the guards check, counted as `support`
        counts it (`quorum_faulty`: the honest senders first, then the lowest-numbered
        faulty replicas that complete it): a backup's prepare of a faulty primary's
        pre-prepare; a commit's 2f prepares; an execute's prepares and 2f + 1 commits; a
        stable checkpoint's 2f + 1 checkpoints; a NEW-VIEW's 2f + 1 view-changes (the V
        with the most honest ones that gives its O); a faulty primary's NEW-VIEW and its
        V. Nothing for an action that is not enabled in `state`.
        """
        s, a = state, action
        if type(a) not in self.guards or not self.is_enabled(s, a):
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
                Reliance(f"CHECKPOINT(n{a.seq}, {show_log(a.state)})", r)
                for r in self.quorum_faulty(senders, self.q_checkpoint)
            )
        if isinstance(a, NewView):
            return self._view_changes_counted(s, a.view, a.replica, a)
        if isinstance(a, AcceptNewView) and self.primary(a.view) in self.faulty:
            sender = self.primary(a.view)
            o = ", ".join(f"(n{n}, d{d})" for n, d in sorted(a.pre_prepares))
            new_view = f"NEW-VIEW(v{a.view}, {show_checkpoint(a.stable, a.state)}O={{{o}}})"
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
            text = f"VIEW-CHANGE(v{v}, {show_checkpoint(stable, state)}P={{{p}}})"
            return tuple(Reliance(text, r) for r in self.faulty_senders()[:k])
        return ()  # pragma: no cover - the guard found this O among the sources
