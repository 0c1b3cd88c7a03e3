"""Actions as the tools read them: their names, arguments and actors; what a step relied
on of the adversary's, and a participant's part in a step of a message-passing protocol.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

# --- actions -------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


_NAMES: dict[type, str] = {}


def action_name(action: object) -> str:
    """The action's name: the class attribute `NAME` or the class name in snake_case."""
    name = _NAMES.get(type(action))
    return name if name is not None else action_name_of(type(action))


def action_names(actions: object) -> tuple[str, ...]:
    """The names of the action classes of a union type (`Request | PrePrepare | ...`),
    in its order: what `Model.action_classes` returns when classes are action names."""
    members = typing.get_args(actions) or (actions,)
    return tuple(action_name_of(cls) for cls in members if isinstance(cls, type))


def action_name_of(cls: type) -> str:
    """The name of the actions of class `cls`, as `action_name` gives it."""
    name = _NAMES.get(cls)
    if name is None:
        explicit = getattr(cls, "NAME", None)
        name = explicit if isinstance(explicit, str) else _CAMEL.sub("_", cls.__name__).lower()
        _NAMES[cls] = name
    return name


def record_fields(value: object) -> dict[str, Any]:
    """An attrs instance's fields by name, in declaration order (empty for other values)."""
    cls: Any = type(value)
    if not attrs.has(cls):
        return {}
    return {f.name: getattr(value, f.name) for f in attrs.fields(cls)}


def named_tuple_fields(value: object) -> dict[str, Any] | None:
    """A NamedTuple's fields by name, or None for any other value."""
    names = getattr(type(value), "_fields", None)
    if not isinstance(value, tuple) or not isinstance(names, tuple):
        return None
    return dict(zip(names, value, strict=True))


def action_args(action: object) -> dict[str, Any]:
    """The action's arguments: its attrs fields in declaration order."""
    return record_fields(action)


#: The argument names that name an action's actor, in the order they are looked for:
#: the actor of an action is its first argument named one of these (the message
#: sequence charts', the observation logs' and the per-agent vectors' reading).
ACTOR_FIELDS = ("replica", "agent", "from_agent", "sender", "src", "node", "process", "i")


def actor_of(action: object) -> Any:
    """The value of the first of `action`'s arguments named one of `ACTOR_FIELDS`, or None."""
    args = action_args(action)
    for name in ACTOR_FIELDS:
        if name in args:
            return args[name]
    return None


@attrs.frozen
class Reliance:
    """A message of the adversary that a step counted (`Model.relied_on`).

    `message` is a short text (`PREPARE(v0, n1, d1)`); `sender` the faulty participant
    that sent it, as the action arguments name participants (None: unknown).
    """

    message: str
    sender: object = None

    def __str__(self) -> str:
        return self.message if self.sender is None else f"{self.message} from faulty {self.sender}"


@attrs.frozen
class AgentStep:
    """One participant's part in a step of a message-passing protocol (`Model.agent_step`):
    what an implementation of that participant alone receives and sends.

    Attributes:
        agent: the participant taking the step (its position).
        deliver: the message (wire form) whose receipt triggers the step.
        unreceivable: why the participant cannot have received `deliver`; None when it
            can.
        received: the other messages (wire form) of the quorum or certificate the step
            counts, which it must have received before `deliver`.
        send: for a step taken, the messages it sends; None for a refused one.
    """

    agent: int
    deliver: Mapping[str, Any]
    unreceivable: str | None
    received: Sequence[Mapping[str, Any]]
    send: Sequence[Mapping[str, Any]] | None
