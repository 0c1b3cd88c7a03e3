"""PBFT's per-agent form (`form: replica`): what one replica sees and does in a case.

The spec keeps one global set per message kind; a replica has its local state and the
messages delivered to it. For a case whose action is replica i's step (i honest), the
file gives, from the case's pre state s (`spec/pbft/wire.py` for the wire form):

- `agent`: i, the action's `replica`;
- `local_before`: `Model.local_view(s, i)` (`spec/pbft/wire.py`): `view` = view[i],
  `changing` = changing[i], `executed` = executed[i], `low_water_mark` = h(i) =
  stable[i], `high_water_mark` = H(i), `stable_checkpoint` = {seq: h(i), state:
  executed[i][:h(i)]}, and `log`: the messages of the spec's sets whose sender is i (a
  PRE-PREPARE's or NEW-VIEW's is its view's primary), in wire form;
- `deliver`: the message that triggers the step (`DELIVERS`);
- `receivable`: whether i can have received it (`Model.receivable`: an honest sender
  sent it, or the sender is faulty); when not, `unreceivable` says why, and the
  implementation must refuse it (by its authenticator, if not otherwise);
- `received`: the other messages of the quorum or certificate the step counts, which i
  must have received before `deliver` (its own messages are in its log);
- `send`, for a valid step: the messages i sends, its `log` after less its `log` before;
- `local_after`, for a valid step: `Model.local_view(post, i)`.

Each kind of delivered message triggers one kind of step (`DELIVERS`), so that the step
is the delivered message's, taken by `agent`: the quorums are filled with the honest
senders that sent a matching message (the replica's own first), then the faulty
replicas the spec counts (`Adversary.quorum_faulty`), and the message delivered is the
last of the quorum from another replica (the one that completes it), or the replica's
own when it counts alone, or, in a rejection with no matching message at all, one from
the lowest-numbered other replica (which then cannot have been received from an honest
one). A client's request (`Request`) is no replica's step, and a faulty replica's steps
are the adversary's: those cases have no per-agent form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from model_check.generate.per_agent import Form, step_json, to_json, verdict
from model_check.generate.vectors import Case, Json
from spec.core import Model

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


def form_of(model: Model[Any, Any]) -> Form | None:
    """`replica_case` for a PBFT model, None for any other."""
    from spec.pbft import Pbft

    return replica_case if isinstance(model, Pbft) else None


def replica_case(
    model: Model[Any, Any], case: Case, bounds: frozenset[str]
) -> dict[str, Json] | str:
    """A case as its replica sees it (the module docstring), or why it has no replica."""
    from spec.pbft import Pbft, Request

    assert isinstance(model, Pbft)
    a = case.action
    if isinstance(a, Request):
        return "a client's request: no replica takes the step (Model.silent)"
    i = a.replica
    if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < model.n:
        return f"no replica {i!r}: there is no local state to start from"
    if i in model.faulty:
        return f"replica {i} is faulty: its steps are the adversary's, not an implementation's"
    s = case.pre
    deliver, received = delivery(model, s, a)
    before = to_json(model.local_view(s, i))
    out: dict[str, Json] = {
        "form": "replica",
        "agent": i,
        "action": step_json(a),
        "local_before": before,
        "deliver": deliver,
        **receipt(model, s, i, deliver),
        "received": received,
    }
    out.update(verdict(case, bounds))
    if case.valid:
        after = to_json(model.local_view(case.post, i))
        out["send"] = [m for m in after["log"] if m not in before["log"]]
        out["local_after"] = after
    return out


def receipt(model: Pbft, s: PbftState, i: int, message: dict[str, Json]) -> dict[str, Json]:
    """`receivable`, and `unreceivable` (why not) when replica i cannot have received it."""
    from spec.pbft import wire

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
    return {"receivable": True} if why is None else {"receivable": False, "unreceivable": why}


def delivery(model: Pbft, s: PbftState, a: Any) -> tuple[dict[str, Json], list[dict[str, Json]]]:
    """The message delivered for action `a` in `s`, and the others it must have received."""
    from spec.pbft import (
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
        StableCheckpoint,
        Timeout,
        wire,
    )

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
    from spec.pbft import ViewChangeMsg, wire

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
