"""The seed's event form of actions: `{"event_type", "event_data"}`, both ways.

The seed's handlers take `(session, event_type, event_data)` (§1.4, Part 2 §2.3, Part
3). A protocol that has that form declares it in its `Specification`: `events` (each
event name with its action class) and `decode` (the event name and data to the action,
`GuardError` for an unknown name or data that does not fit). This module encodes an
action to its event (`event_form`: fractions as "p/q", tuples as lists) and decodes an
event back to the action (`event_action`), for the vector generator and the
conformance oracle alike.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from types import ModuleType
from typing import Any

import attrs

from model_check.itf import encode_value
from spec.core import Specification, action_args
from spec.jsonform import read_fraction

Json = Any


class EventFormError(Exception):
    """The protocol has no seed event form (no event table, no decoder)."""


@attrs.frozen
class EventTable:
    """A protocol's seed events: each name with its action class, and the decoder.

    `decode` is None when the protocol has no event form.
    """

    events: Mapping[str, type] = attrs.field(factory=dict)
    decode: Callable[[str, Mapping[str, object]], Any] | None = None


def _modules(model: object) -> Iterator[ModuleType]:
    """The modules of the model's class and its bases, each followed by its packages."""
    seen: set[str] = set()
    for cls in type(model).__mro__:
        parts = cls.__module__.split(".")
        for end in range(len(parts), 0, -1):
            name = ".".join(parts[:end])
            module = sys.modules.get(name)
            if name not in seen and module is not None:
                seen.add(name)
                yield module


def specification_of(
    model: object, declares: Callable[[Specification[Any]], bool]
) -> Specification[Any] | None:
    """The `SPEC` of the first module (the model's class, its bases, their packages)
    whose specification `declares` what is asked for; None when none does."""
    for module in _modules(model):
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, Specification) and declares(spec):
            return spec
    return None


def event_table(model: object) -> EventTable:
    """The seed events of the protocol `model` belongs to (`specification_of`: the first
    specification that declares a decoder)."""
    spec = specification_of(model, lambda s: s.decode is not None)
    return EventTable() if spec is None else EventTable(spec.events, spec.decode)


def plain(value: object) -> Json:
    """A value in the seed's event data: JSON scalars, lists; a Fraction as "p/q"."""
    if isinstance(value, bool | str | int) or value is None:
        return value
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return encode_value(value)


def event_form(events: Mapping[str, type], action: object) -> dict[str, Json] | None:
    """The seed's `{"event_type", "event_data"}` of an action, if it has an event name."""
    for event_type, cls in events.items():
        if type(action) is cls:
            data = {k: plain(v) for k, v in action_args(action).items()}
            return {"event_type": event_type, "event_data": data}
    return None


def event_action(model: object, event: Mapping[str, Json]) -> Any:
    """The action of an event in the seed's form (the inverse of `event_form`).

    Values are converted by the action class's field types where they fit (a "p/q"
    string for a Fraction, a list for a tuple); the protocol's decoder then builds the
    action.

    Raises:
        GuardError: from the decoder (an unknown event type, malformed data).
        EventFormError: the protocol has no event form.
    """
    table = event_table(model)
    if table.decode is None:
        raise EventFormError(f"{type(model).__name__} has no seed event form (events, decode)")
    data = dict(event["event_data"])
    cls = table.events.get(event["event_type"])
    if cls is not None and attrs.has(cls):
        hints = typing.get_type_hints(cls)
        for name, value in data.items():
            data[name] = from_plain(value, hints.get(name))
    return table.decode(event["event_type"], data)


def from_plain(value: Json, hint: object) -> Json:
    """A value of the seed's event data read back by its field type, where it fits: a
    Fraction from "p/q" or from a JSON number, alike (`read_fraction`), a tuple from a
    list."""
    if hint is Fraction:
        exact = read_fraction(value)
        if exact is not None:
            return exact
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        return tuple(value)
    return value
