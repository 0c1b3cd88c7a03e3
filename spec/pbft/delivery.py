"""What one replica receives for a step (Castro & Liskov §4): `Model.agent_step`.

The spec keeps one global set per message kind; a replica has its local state and the
messages delivered to it. For replica i's step (i honest) taken from state s, and
`spec/pbft/wire.py` for the wire form, `agent_step` gives what `generate --per-agent`
writes as the `replica` form:

- `agent`: i, the action's `replica`;
- `deliver`: the message that triggers the step (`DELIVERS`);
- `unreceivable`: why i cannot have received it (`Model.receivable`: an honest sender
  sent it, or the sender is faulty), None when it can; when it cannot, the
  implementation must refuse it (by its authenticator, if not otherwise);
- `received`: the other messages of the quorum or certificate the step counts, which i
  must have received before `deliver` (its own messages are in its log);
- `send`, for a valid step: the messages i sends, its `log` after less its `log` before
  (`local_view`).

Each kind of delivered message triggers one kind of step (`DELIVERS`), so that the step
is the delivered message's, taken by `agent`: the quorums are filled with the honest
senders that sent a matching message (the replica's own first), then the faulty
replicas the spec counts (`Adversary.quorum_faulty`), and the message delivered is the
last of the quorum from another replica (the one that completes it), or the replica's
own when it counts alone, or, in a rejection with no matching message at all, one from
the lowest-numbered other replica (which then cannot have been received from an honest
one). A client's request (`Request`) is no replica's step, and a faulty replica's steps
are the adversary's: those steps have no replica to give them to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from spec.core import AgentStep
from spec.pbft import wire
from spec.pbft.messages import (
    CheckpointMsg,
    Commit,
    CommitMsg,
    Execute,
    NewView,
    NewViewMsg,
    Prepare,
    PrepareMsg,
    PrePrepare,
    PrePrepareMsg,
    Request,
    StableCheckpoint,
    Timeout,
    ViewChangeMsg,
)
from spec.pbft.wire import Json

if TYPE_CHECKING:
    from spec.pbft import Pbft, PbftState

#: The message delivered for each action, and the step it triggers (README, schema).
DELIVERS = {
    "pre_prepare": "REQUEST {type, value}: the client's request d; the primary pre-prepares it",
    "prepare": "PRE-PREPARE (v, n, d) from v's primary; the backup prepares it",
    "commit": "PREPARE (v, n, d) completing the 2f prepares, or the replica's own",
    "execute": "COMMIT (v, n, d) completing the 2f + 1 commits, or the replica's own",
    "stable_checkpoint": "CHECKPOINT (n, state) completing the 2f + 1 checkpoints",
    "timeout": "TIMEOUT {type, view}: the timer set in view v expires; the step moves to v + 1",
    "new_view": "VIEW-CHANGE for v completing the 2f + 1 view-changes of V (the primary's own "
    "among them)",
    "accept_new_view": "NEW-VIEW for v from its primary; the backup enters v",
}


def agent_step(model: Pbft, s: PbftState, a: Any, post: PbftState | None) -> AgentStep | str:
    """Replica `a.replica`'s part in the step (the module docstring), or why no replica
    takes it; `post` is the state after, None for a rejected step."""
    if isinstance(a, Request):
        return "a client's request: no replica takes the step (Model.silent)"
    i = a.replica
    if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < model.n:
        return f"no replica {i!r}: there is no local state to start from"
    if i in model.faulty:
        return f"replica {i} is faulty: its steps are the adversary's, not an implementation's"
    deliver, received = delivery(model, s, a)
    send = None
    if post is not None:
        before = wire.local_view(model, s, i)["log"]
        send = [m for m in wire.local_view(model, post, i)["log"] if m not in before]
    return AgentStep(i, deliver, receipt(model, s, i, deliver), received, send)


def receipt(model: Pbft, s: PbftState, i: int, message: dict[str, Json]) -> str | None:
    """Why replica i cannot have received `message`, None when it can."""
    kind = message["type"]
    why: str | None = None
    if kind == "REQUEST":
        if message["value"] not in s.requests:
            why = f"no client sent request {message['value']}"
    elif kind != "TIMEOUT":
        try:
            why = model.receivable(s, i, message)
        except wire.WireError as err:
            why = str(err)
    return why


def delivery(model: Pbft, s: PbftState, a: Any) -> tuple[dict[str, Json], list[dict[str, Json]]]:
    """The message delivered for action `a` in `s`, and the others it must have received."""
    i = a.replica
    if isinstance(a, PrePrepare):
        return {"type": "REQUEST", "value": a.digest}, []
    if isinstance(a, Prepare):
        return wire.encode(PrePrepareMsg(a.view, a.seq, a.digest), model.primary(a.view)), []
    if isinstance(a, Timeout):
        return {"type": "TIMEOUT", "view": a.view - 1}, []
    if isinstance(a, NewView | Commit | Execute | StableCheckpoint):
        if isinstance(a, NewView):
            return _view_changes(model, s, a)
        if isinstance(a, StableCheckpoint):
            senders = model.checkpoint_senders(s, a.seq, a.state)
            quorum = _quorum(model, senders, model.q_checkpoint, i, None)
            return _complete(
                model, quorum, i, None, lambda r: wire.encode(CheckpointMsg(a.seq, a.state, r))
            )
        key = (a.view, a.seq, a.digest)
        table = model.senders(s)
        leader = model.primary(a.view)
        prepares = _quorum(model, table.prepares.get(key, ()), model.q_prepare, i, leader)
        if isinstance(a, Commit):
            return _complete(model, prepares, i, leader, lambda r: wire.encode(PrepareMsg(*key, r)))
        commits = _quorum(model, table.commits.get(key, ()), model.q_commit, i, None)
        deliver, received = _complete(
            model, commits, i, None, lambda r: wire.encode(CommitMsg(*key, r))
        )
        certificate = [wire.encode(PrepareMsg(*key, r)) for r in prepares if r != i]
        return deliver, [*certificate, *received]
    content = (a.stable, a.state, a.pre_prepares)
    return wire.encode(NewViewMsg(a.view, *content), model.primary(a.view)), []


def _quorum(
    model: Pbft, senders: Sequence[int] | set[int], need: int, i: int, excluded: int | None
) -> list[int]:
    """The `need` senders a quorum counts: replica i's own message first, then the other
    honest senders in order, then the faulty replicas the spec counts."""
    honest = sorted(set(senders) - model.faulty - {excluded})
    ordered = [i] if i in honest else []
    ordered += [r for r in honest if r != i]
    faulty = model.quorum_faulty(honest, need, excluded)
    return [*ordered, *faulty][:need]


def _complete(
    model: Pbft,
    quorum: Sequence[int],
    i: int,
    excluded: int | None,
    message: Callable[[int], dict[str, Json]],
) -> tuple[dict[str, Json], list[dict[str, Json]]]:
    """The message that completes the quorum and those received before it (the module
    docstring: the last from another replica, else i's own, else the lowest other's)."""
    others = [r for r in quorum if r != i]
    if others:
        return message(others[-1]), [message(r) for r in others[:-1]]
    if i in quorum:
        return message(i), []
    fallback = next((r for r in range(model.n) if r not in (i, excluded)), i)
    return message(fallback), []


def _view_changes(
    model: Pbft, s: PbftState, a: Any
) -> tuple[dict[str, Json], list[dict[str, Json]]]:
    """A NEW-VIEW's V: the view-changes of the first V (`Predicates.V`) whose O is the
    action's, the primary's own first; in a rejection, the honest view-changes sent."""
    v, p = a.view, a.replica
    sent = {vc.replica: vc for vc in s.view_changes if vc.view == v}
    chosen: dict[int, Any] = {}
    faulty: list[int] = []
    content = (a.stable, a.state, a.pre_prepares)
    if p == model.primary(v) and p in sent:
        for vcs, k, forged in model.V(s, v, p):
            if model.compute_o(vcs) == content:
                chosen = _senders_of(sent, vcs if k == 0 else vcs[:-1], p)
                faulty = list(model.faulty_senders()[:k])
                for r in faulty:
                    assert forged is not None  # k > 0 faulty view-changes carry it
                    chosen[r] = ViewChangeMsg(v, r, *forged)
                break
    if chosen:
        quorum = sorted(chosen, key=lambda r: (r != p, r in model.faulty, r))
    else:
        quorum = _quorum(model, list(sent), model.q_view_change, p, None)
        quorum = [r for r in quorum if r in sent]
        chosen = dict(sent)

    def message(r: int) -> dict[str, Json]:
        return wire.encode(chosen.get(r, ViewChangeMsg(v, r, 0, (), frozenset())))

    return _complete(model, quorum, p, None, message)


def _senders_of(sent: dict[int, Any], contents: Sequence[Any], primary: int) -> dict[int, Any]:
    """Replicas that sent the honest view-change `contents` (the primary for one of
    them, as `V` requires it), each once."""
    chosen: dict[int, Any] = {}
    pending = list(contents)

    def carries(r: int) -> tuple[Any, ...]:
        vc = sent[r]
        return (vc.stable, vc.state, vc.prepared)

    order = [primary, *sorted(r for r in sent if r != primary)]
    for r in order:
        if carries(r) in pending:
            pending.remove(carries(r))
            chosen[r] = sent[r]
    return chosen
