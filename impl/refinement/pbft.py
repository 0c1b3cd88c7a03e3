"""The PBFT implementation's refinement of `spec.pbft`: runtime configuration -> spec state.

Conformance is checked, not assumed: `abstract` maps a `Runtime` (every honest replica's
session, the requests clients submitted, and every message an honest replica has sent,
which the runtime keeps in record mode) to a `spec.pbft.PbftState`, and `spec_path`
finds the spec actions that lead from the abstraction before an impl step to the one
after it. The tests require, after every step, a path of at most `MAX_PATH` spec steps
(or none: a stutter) and every spec invariant on the result.

Why a path and not always one step: one impl event may do what the spec splits into
several actions, in the order the spec allows them. Receiving the last missing PREPARE
makes a replica prepared (it sends COMMIT) and may make it committed-local for several
sequence numbers in a row (Execute, Execute, ...); a new primary that receives the last
view-change sends NEW-VIEW and then pre-prepares the requests waiting for a number; a
timer that moves the new primary to view v may complete its 2f + 1 view-changes
(Timeout, NewView). Each of those is a sequence of spec steps, and the search checks
every intermediate step against the spec's guards.

The mapping, variable by variable (Paxos.tla style: the spec's message sets are the
network's history):

| spec | impl |
|---|---|
| `view[i]`, `changing[i]` | session `view`, `changing` (faulty replicas: 0, False) |
| `stable[i]` | session `h` (the stable checkpoint's sequence number) |
| `executed[i]` | the history whose hash chain is the session's `state.chain` (*) |
| `requests` | the operations clients submitted |
| `pre_prepares` | PRE-PREPAREs honest primaries sent, and the O of their NEW-VIEWs |
| `prepares`, `commits` | PREPAREs and COMMITs honest replicas sent |
| `checkpoints` | CHECKPOINTs honest replicas sent (state: the history of the snapshot) |
| `view_changes` | VIEW-CHANGEs honest replicas sent (P: their certificates' (n, d, v)) |
| `new_views` | NEW-VIEWs honest primaries sent (min-s and its history, O) |

(*) Each entry is the request's operation, or 0 for the null request and for a request
the reply cache shows as executed already (a no-op).

Requests' operations must be the spec's request values (ints 1..requests), each
submitted by a different client (so the reply cache and the spec's "already executed"
agree). The spec's null request is the value `spec.pbft.NULL` (0); the implementation's
is the digest `impl.auth.NULL_DIGEST`: two representations of one request, which
`abstract` maps onto each other.

`ADAPTER` has no `start` or `handle`: a PBFT session is one replica's, and its events
are authenticated messages (MACs under the deployment's key), which a JSON session log
cannot carry, so `conform --events` does not replay PBFT logs; the runtime and the
driver of the tests take the spec's actions instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from impl.auth import NULL_DIGEST
from impl.pbft import (
    CheckpointMsg,
    CommitMsg,
    NewViewMsg,
    PrepareMsg,
    PrePrepareMsg,
    Snapshot,
    ViewChangeMsg,
    compute_o,
)
from impl.runtime import Runtime
from spec import pbft as spec
from spec.registry import Adapter

#: The longest path of spec steps one impl step may take (see the module docstring).
MAX_PATH = 8


class AbstractionError(Exception):
    """The runtime holds something the abstraction cannot map (a broken run)."""


def _value(rt: Runtime, digest: str) -> int:
    if digest == NULL_DIGEST:
        return spec.NULL
    req = rt.requests.get(digest)
    if req is None or not isinstance(req.request.operation, int):
        raise AbstractionError(f"digest {digest[:12]} is no submitted request")
    return req.request.operation


def _history(rt: Runtime, chain: str, seq: int) -> tuple[int, ...]:
    ran = rt.chains.get(chain)
    if ran is None or len(ran) != seq:
        raise AbstractionError(f"no executed history of length {seq} has chain {chain[:12]}")
    return tuple(_value(rt, d) for d in ran)


def abstract(rt: Runtime, config: spec.PbftConfig) -> spec.PbftState:
    """The spec state of a runtime configuration (record mode).

    Raises:
        AbstractionError: the runtime does not fit the spec's configuration.
    """
    if not rt.record:
        raise AbstractionError("the runtime must run with record=True")
    if rt.n != config.replicas or rt.faulty != frozenset(config.faulty):
        raise AbstractionError("the runtime's replicas and faulty set differ from the config")
    n = rt.n
    view, changing, stable = [0] * n, [False] * n, [0] * n
    executed: list[tuple[int, ...]] = [()] * n
    for i, s in rt.sessions.items():
        view[i], changing[i], stable[i] = s.view, s.changing, s.h
        executed[i] = _history(rt, s.state.chain, s.state.seq)
    pre_prepares, prepares, commits = set(), set(), set()
    checkpoints, view_changes, new_views = set(), set(), set()
    for m in rt.sent:
        b = m.body
        if isinstance(b, PrePrepareMsg):
            pre_prepares.add(spec.PrePrepareMsg(b.view, b.seq, _value(rt, b.digest)))
        elif isinstance(b, PrepareMsg):
            prepares.add(spec.PrepareMsg(b.view, b.seq, _value(rt, b.digest), b.replica))
        elif isinstance(b, CommitMsg):
            commits.add(spec.CommitMsg(b.view, b.seq, _value(rt, b.digest), b.replica))
        elif isinstance(b, CheckpointMsg):
            assert isinstance(m.extra, Snapshot)
            state = _history(rt, m.extra.chain, m.extra.seq)
            checkpoints.add(spec.CheckpointMsg(b.seq, state, b.replica))
        elif isinstance(b, ViewChangeMsg):
            snap = b.stable.snapshot
            certs = frozenset(
                spec.Cert(pp.seq, _value(rt, pp.digest), pp.view)
                for c in b.prepared
                if isinstance(pp := c.pre_prepare.body, PrePrepareMsg)
            )
            view_changes.add(
                spec.ViewChangeMsg(
                    b.view, b.replica, snap.seq, _history(rt, snap.chain, snap.seq), certs
                )
            )
        else:
            assert isinstance(b, NewViewMsg)
            proof, o = compute_o(b.view_changes)
            snap = proof.snapshot
            pairs = frozenset((seq, _value(rt, d)) for seq, d, _ in o)
            new_views.add(
                spec.NewViewMsg(b.view, snap.seq, _history(rt, snap.chain, snap.seq), pairs)
            )
            pre_prepares |= {spec.PrePrepareMsg(b.view, seq, d) for seq, d in pairs}
    requests = frozenset(_value(rt, d) for d in rt.requests)
    return spec.PbftState(
        view=tuple(view),
        changing=tuple(changing),
        executed=tuple(executed),
        stable=tuple(stable),
        requests=requests,
        pre_prepares=frozenset(pre_prepares),
        prepares=frozenset(prepares),
        commits=frozenset(commits),
        checkpoints=frozenset(checkpoints),
        view_changes=frozenset(view_changes),
        new_views=frozenset(new_views),
    )


_SETS = tuple(
    a.name
    for a in attrs.fields(spec.PbftState)
    if a.name not in ("view", "changing", "executed", "stable")
)


def _below(s: spec.PbftState, target: spec.PbftState) -> bool:
    """Whether `s` can still lead to `target`: message sets only grow, views and water
    marks only rise, histories only get longer."""
    if any(not getattr(s, f) <= getattr(target, f) for f in _SETS):
        return False
    return all(a <= b for a, b in zip(s.view, target.view, strict=True)) and all(
        len(a) <= len(b) for a, b in zip(s.executed, target.executed, strict=True)
    )


def spec_path(
    model: spec.Pbft, before: spec.PbftState, after: spec.PbftState, max_len: int = MAX_PATH
) -> tuple[Any, ...] | None:
    """The shortest sequence of spec actions from `before` to `after` (`()` when they are
    equal: a stutter), searching `model.enabled`; None if there is none of at most
    `max_len` steps."""
    if before == after:
        return ()
    frontier: dict[spec.PbftState, tuple[Any, ...]] = {before: ()}
    seen = {before}
    for _ in range(max_len):
        following: dict[spec.PbftState, tuple[Any, ...]] = {}
        for state, path in frontier.items():
            for action, _byzantine in model.enabled(state):
                succ = model.step(state, action)
                if succ == after:
                    return (*path, action)
                if succ not in seen and _below(succ, after):
                    seen.add(succ)
                    following[succ] = (*path, action)
        if not following:
            return None
        frontier = following
    return None


def violated(model: spec.Pbft, state: spec.PbftState) -> list[str]:
    """The names of the spec invariants that `state` violates."""
    return [inv.name for inv in model.invariants() if not inv.holds(state)]


def names(actions: Iterable[Any]) -> list[str]:
    """Action names, for messages."""
    return [type(a).__name__ for a in actions]


#: How the oracle drives the PBFT implementation: by the abstraction only (no session
#: form; the module docstring says why).
ADAPTER = Adapter(start=None, handle=None, abstract=abstract)
