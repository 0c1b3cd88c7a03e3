"""PBFT's messages on the wire, and what one replica holds (Castro & Liskov §4).

The spec keeps one global set per message kind (spec/pbft/messages.py); an
implementation has replicas that receive messages and keep logs. This module is the
mapping between the two, for the oracle (`coordspec validate`, `serve`, `generate
--per-agent`):

- **The wire form** of each message is a JSON object with `type` (the paper's name:
  `REQUEST`, `PRE-PREPARE`, `PREPARE`, `COMMIT`, `CHECKPOINT`, `VIEW-CHANGE`,
  `NEW-VIEW`) and the message's fields under the spec's names. A PRE-PREPARE or
  NEW-VIEW has no `replica` field in the spec (its sender is the view's primary,
  `v mod n`); on the wire `replica` may be given and must then be that primary. The
  authenticator is the implementation's business: an `authenticator` field is accepted
  and not read. Any other field is an error.
- **Receiving** a message is possible once its sender has sent it: an honest sender's
  message is in the spec's sets; a faulty sender may have sent any well-formed message
  (the Byzantine relation, spec/pbft/adversary.py), so a message from a faulty replica
  is always receivable.
- **Acting on what was received** (`unreceived`): in the spec a replica sees every
  message sent; a replica's log that lists every message it received (`#meta.receipts`)
  says more, and then a step must be backed by what it received (§4.2): PREPARE by the
  PRE-PREPARE from the view's primary, COMMIT by 2f matching PREPAREs from different
  backups (its own among them), execution by 2f + 1 matching COMMITs (its own among
  them).
- **A replica's local state** (`local_view`): its view and whether it is changing view,
  its executed log, its water marks h and H (§4.3), the stable checkpoint it keeps, and
  its log, the messages it has sent itself (in wire form, sorted).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from spec.pbft.messages import (
    Action,
    Cert,
    CheckpointMsg,
    Commit,
    CommitMsg,
    Execute,
    NewViewMsg,
    PbftState,
    Prepare,
    PrepareMsg,
    PrePrepareMsg,
    ViewChangeMsg,
)

if TYPE_CHECKING:
    from spec.pbft.predicates import Predicates

Json = Any

#: The set of the state each message kind lives in, by the paper's name of the kind.
KINDS: dict[str, tuple[type, str]] = {
    "PRE-PREPARE": (PrePrepareMsg, "pre_prepares"),
    "PREPARE": (PrepareMsg, "prepares"),
    "COMMIT": (CommitMsg, "commits"),
    "CHECKPOINT": (CheckpointMsg, "checkpoints"),
    "VIEW-CHANGE": (ViewChangeMsg, "view_changes"),
    "NEW-VIEW": (NewViewMsg, "new_views"),
}
#: Wire fields read by no one: the authenticator (MACs, signatures) is the implementation's.
IGNORED = ("authenticator",)


def message_fields(cls: type) -> tuple[str, ...]:
    """The field names of a message record (a NamedTuple class)."""
    names: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    return names


class WireError(ValueError):
    """A message that is not in PBFT's wire form (one line naming the problem)."""


def _plain(value: object) -> Json:
    if isinstance(value, Cert):
        return {"seq": value.seq, "digest": value.digest, "view": value.view}
    if isinstance(value, frozenset):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def encode(message: tuple[Any, ...], primary: int | None = None) -> dict[str, Json]:
    """The wire form of a message record (`primary`: the sender of a PRE-PREPARE or
    NEW-VIEW, written as its `replica` when given)."""
    for kind, (cls, _) in KINDS.items():
        if type(message) is cls:
            out: dict[str, Json] = {"type": kind}
            out.update({k: _plain(v) for k, v in message._asdict().items()})  # type: ignore[attr-defined]
            if primary is not None and "replica" not in out:
                out["replica"] = primary
            return out
    raise WireError(f"{type(message).__name__} is not a PBFT message")


def _int(obj: Mapping[str, Json], name: str, kind: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise WireError(f"{kind}.{name}: expected an integer, got {value!r:.40}")
    return value


def _ints(obj: Mapping[str, Json], name: str, kind: str) -> tuple[int, ...]:
    value = obj.get(name)
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise WireError(f"{kind}.{name}: expected a list of integers, got {value!r:.40}")
    return tuple(value)


def _items(obj: Mapping[str, Json], name: str, kind: str) -> list[Json]:
    value = obj.get(name)
    if not isinstance(value, list):
        raise WireError(f"{kind}.{name}: expected a list, got {value!r:.40}")
    return value


def decode(obj: Json, n: int) -> tuple[tuple[Any, ...], int]:
    """The message record of a wire-form message, and its sender.

    Raises:
        WireError: not an object, an unknown `type`, a missing, ill-typed or unknown
            field, or a PRE-PREPARE/NEW-VIEW whose `replica` is not the view's primary.
    """
    if not isinstance(obj, dict):
        raise WireError(f"a message is a JSON object, got {obj!r:.40}")
    kind = obj.get("type")
    if kind not in KINDS:
        raise WireError(f"message type {kind!r:.40} is not one of {', '.join(KINDS)}")
    cls, _ = KINDS[kind]
    fields: tuple[str, ...] = tuple(message_fields(cls))
    allowed = {"type", *fields, *IGNORED, "replica"}
    extra = sorted(set(obj) - allowed)
    if extra:
        raise WireError(f"{kind}: unknown field {extra[0]!r} (it has {', '.join(fields)})")
    values: dict[str, Any] = {}
    for name in fields:
        if name == "state":
            values[name] = _ints(obj, name, kind)
        elif name == "prepared":
            certs = []
            for item in _items(obj, name, kind):
                if not isinstance(item, dict) or set(item) != {"seq", "digest", "view"}:
                    raise WireError(f"{kind}.prepared: each is {{seq, digest, view}}")
                certs.append(Cert(*(_int(item, k, kind + ".prepared") for k in Cert._fields)))
            values[name] = frozenset(certs)
        elif name == "pre_prepares":
            pairs = []
            for item in _items(obj, name, kind):
                if not (isinstance(item, list) and len(item) == 2):
                    raise WireError(f"{kind}.pre_prepares: each is [seq, digest]")
                pairs.append((_int({"n": item[0]}, "n", kind), _int({"d": item[1]}, "d", kind)))
            values[name] = frozenset(pairs)
        else:
            values[name] = _int(obj, name, kind)
    message = cls(**values)
    if "replica" in fields:
        sender = values["replica"]
    else:
        sender = values["view"] % n
        if "replica" in obj and obj["replica"] != sender:
            raise WireError(
                f"{kind}: replica {obj['replica']!r:.20} is not view's primary {sender}"
            )
    if not 0 <= sender < n:
        raise WireError(f"{kind}: replica {sender} is not one of 0..{n - 1}")
    return message, sender


def receivable(model: Predicates, s: PbftState, agent: int, obj: Json) -> str | None:
    """Why `agent` cannot have received the wire-form message `obj` in `s` (None: it can).

    Raises:
        WireError: `obj` is not a message (`decode`).
    """
    message, sender = decode(obj, model.n)
    if sender in model.faulty:
        if model.byzantine:
            return None
        return f"replica {sender} is faulty and silent: it sends nothing"
    _, field = KINDS[obj["type"]]
    if message in getattr(s, field):
        return None
    return f"honest replica {sender} has not sent this {obj['type']}"


def unreceived(model: Predicates, a: Action, received: Sequence[Mapping[str, Json]]) -> str | None:
    """Why replica `a.replica` cannot take the normal-case step `a` having received only
    `received` (None: it can, or `a` is not a PREPARE, COMMIT or execution).

    Raises:
        WireError: a received message is not in wire form.
    """
    if not isinstance(a, Prepare | Commit | Execute):
        return None
    i, slot = a.replica, (a.view, a.seq, a.digest)
    got = [decode(m, model.n) for m in received]
    primary = model.primary(a.view)
    if isinstance(a, Prepare):
        if (PrePrepareMsg(*slot), primary) in got:
            return None
        return f"replica {i} has not received the PRE-PREPARE{_slot(slot)} from replica {primary}"
    kind, quorum, excluded = (
        (PrepareMsg, model.q_prepare, primary)
        if isinstance(a, Commit)
        else (CommitMsg, model.q_commit, None)
    )
    senders = {j for m, j in got if type(m) is kind and m[:3] == slot and j != excluded}
    if i != excluded:
        senders.add(i)  # its own, which the spec's guard has already required
    if len(senders) >= quorum:
        return None
    name = "PREPARE" if kind is PrepareMsg else "COMMIT"
    return (
        f"replica {i} counts {len(senders)} matching {name}{_slot(slot)} (from "
        f"{', '.join(map(str, sorted(senders)))}), its own among them: it needs {quorum}"
    )


def _slot(slot: tuple[int, int, int]) -> str:
    return f"(v{slot[0]}, n{slot[1]}, d{slot[2]})"


def sent_by(s: PbftState, i: int, primary: Any) -> Iterator[dict[str, Json]]:
    """The messages replica i has sent, in wire form, in a fixed order (kind, fields)."""
    for _, field in KINDS.values():
        mine = []
        for m in getattr(s, field):
            if getattr(m, "replica", None) == i or (
                not hasattr(m, "replica") and primary(m.view) == i
            ):
                mine.append(m)
        for m in sorted(mine):
            yield encode(m)


def local_view(model: Predicates, s: PbftState, i: int) -> dict[str, Json]:
    """Replica i's local state: view, changing, executed, h, H, stable checkpoint, log."""
    seq, state = model.stable_checkpoint(s, i)
    return {
        "view": s.view[i],
        "changing": s.changing[i],
        "executed": s.executed[i],
        "low_water_mark": model.h(s, i),
        "high_water_mark": model.H(s, i),
        "stable_checkpoint": {"seq": seq, "state": state},
        "log": list(sent_by(s, i, model.primary)),
    }
