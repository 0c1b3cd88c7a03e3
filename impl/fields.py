"""What each event's data holds: one declaration per event, checked before its handler.

Every protocol of the API declares its events (`impl.weighted.FIELDS`,
`impl.iterative.FIELDS`, `impl.api.PBFT_FIELDS` over `impl.pbft.FIELDS`): for each
`event_type`, the fields of `event_data` (name, type, required or the default, meaning)
and the reasons the event can be refused for. `check` runs before the handler: a key
the event does not have is `Error("unknown_field", ...)` naming it and the fields there
are (so a misspelt key is caught, not ignored), and a required field that is absent is
`Error("missing_field", ...)` naming it. A field whose value is a mapping may declare
that mapping's keys too (iterative feedback: the seed's `feedback_data`); they are
checked the same way when the value is a mapping, with dotted names
(`feedback.quality_score`). Types and ranges stay the handler's to check, with its own
reasons (`confidence_out_of_range`, `malformed_event`, ...); the `type` of a field is
what the docs say of it.

The README's tables of events are `markdown(protocol)` for each protocol
(`tests/test_impl_fields.py` checks that they agree); `python -m impl.fields` prints
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from impl.core import Error


class _Required:
    """The default of a field that has none: it must be given."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final = _Required()


@attrs.frozen
class Field:
    """One key of an event's data.

    Attributes:
        name: the key (the seed's field name).
        type: the value's type, as the docs state it.
        meaning: what the value says, in a phrase.
        default: the value an absent field stands for (`REQUIRED`: it must be given;
            None: absent means none).
        unless: another field of the event that, given, makes this one unnecessary (two
            forms of one event).
        fields: the keys a mapping value may have (checked when the value is a mapping).
        default_text: how the docs state a default that the handler computes.
    """

    name: str
    type: str
    meaning: str
    default: object = REQUIRED
    unless: str | None = None
    fields: tuple[Field, ...] = ()
    default_text: str | None = None

    @property
    def required(self) -> bool:
        """The field must be given (unless its `unless` field is)."""
        return self.default is REQUIRED

    def requirement(self) -> str:
        """The docs' "required" column: required, or optional with the default."""
        if self.unless is not None:
            return f"required unless `{self.unless}` is given"
        if self.required:
            return "required"
        if self.default_text is not None:
            return f"optional, default {self.default_text}"
        if self.default is None:
            return "optional"
        return f"optional, default `{_literal(self.default)}`"


def _literal(value: object) -> str:
    """A default as the docs write it (JSON-like: lists for tuples)."""
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


@attrs.frozen
class Event:
    """One `event_type`: its data's fields and the reasons it can be refused for (besides
    the protocol's `common` ones)."""

    name: str
    fields: tuple[Field, ...] = ()
    reasons: tuple[str, ...] = ()
    _names: frozenset[str] = attrs.field(
        init=False,
        eq=False,
        repr=False,
        default=attrs.Factory(lambda self: _names_of(self.fields), takes_self=True),
    )

    def field(self, name: str) -> Field:
        """The field called `name` (KeyError if there is none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def value(self, data: Mapping[str, Any], name: str) -> Any:
        """The field's value in `data`, else its declared default."""
        if name in data:
            return data[name]
        default = self.field(name).default
        assert default is not REQUIRED, f"{self.name}: {name} is required"
        return default

    def check(self, data: Mapping[Any, Any]) -> Error | None:
        """`unknown_field` for a key the event does not have (the first, in the data's
        order), then `missing_field` for the first required field absent; then the same
        inside every mapping value whose keys are declared. None: the data fits."""
        return _check(self.name, self.fields, self._names, data, "")


def _names_of(fields: tuple[Field, ...]) -> frozenset[str]:
    return frozenset(f.name for f in fields)


def _check(
    event: str,
    fields: tuple[Field, ...],
    names: frozenset[str],
    data: Mapping[Any, Any],
    prefix: str,
) -> Error | None:
    if not names.issuperset(data):
        unknown = next(key for key in data if key not in names)
        where = f"the fields of {prefix[:-1]}" if prefix else "the fields"
        listed = ", ".join(f.name for f in fields)
        there = f"; {where} are {listed}" if fields else "; it has no fields"
        return Error("unknown_field", f"{event}: unknown field {prefix + str(unknown)!r}{there}")
    for f in fields:
        if f.name not in data:
            if f.required and (f.unless is None or f.unless not in data):
                also = f" (or give {f.unless!r})" if f.unless is not None else ""
                return Error("missing_field", f"{event}: missing field {prefix + f.name!r}{also}")
        elif f.fields and isinstance(data[f.name], Mapping):
            inner = f"{prefix}{f.name}."
            found = _check(event, f.fields, _names_of(f.fields), data[f.name], inner)
            if found is not None:
                return found
    return None


@attrs.frozen
class Protocol:
    """A protocol's events as the API takes them.

    Attributes:
        name: the protocol's name (`pbft`, `weighted`, `iterative`).
        start: the API function that starts its sessions.
        events: the events, by `event_type`.
        common: the reasons any event can be refused for, each with what it means.
        shared: fields every event has (each event declares them too); the table
            states them once, after the events.
    """

    name: str
    start: str
    events: Mapping[str, Event]
    common: tuple[tuple[str, str], ...]
    shared: tuple[Field, ...] = ()

    def reasons(self) -> frozenset[str]:
        """Every reason an event of the protocol can be refused for."""
        found = {r for r, _ in self.common}
        for e in self.events.values():
            found.update(e.reasons)
        return frozenset(found)


#: The reason every event on a failed session is refused for (seed §5.3: each session
#: type's `failed` field, which `impl.recovery.handle_coordination_error` sets), as the
#: protocols' tables of common reasons list it.
SESSION_FAILED = (
    "session_failed",
    "a coordination error failed the session: `handle_coordination_error`",
)


def refuse_if_failed(failed: str | None) -> Error | None:
    """`Error("session_failed")` for a session whose `failed` is set, else None: the
    first check of every protocol's handler."""
    return None if failed is None else Error(SESSION_FAILED[0], f"the session failed: {failed}")


def events(*declared: Event) -> dict[str, Event]:
    """The declarations by `event_type`, in the order given."""
    return {e.name: e for e in declared}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _rows(fields: tuple[Field, ...], prefix: str = "") -> list[tuple[str, str, str, str]]:
    rows = []
    for f in fields:
        rows.append((f"`{prefix}{f.name}`", f.type, f.requirement(), f.meaning))
        rows += _rows(f.fields, f"{prefix}{f.name}.")
    return rows


def markdown(protocol: Protocol) -> str:
    """The protocol's table of events, as the README has it: a row per field (an event
    with no fields has one row), the event's reasons on its first row; then the shared
    fields and the common reasons."""
    lines = [
        "| event_type | field | type | required | meaning | refused with |",
        "|---|---|---|---|---|---|",
    ]
    for e in protocol.events.values():
        own = tuple(f for f in e.fields if f not in protocol.shared)
        rows = _rows(own) or [("(none)", "", "", "")]
        reasons = ", ".join(f"`{r}`" for r in e.reasons)
        for k, (name, kind, required, meaning) in enumerate(rows):
            first = k == 0
            cells = (
                f"`{e.name}`" if first else "",
                name,
                kind,
                required,
                meaning,
                reasons if first else "",
            )
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    for f in protocol.shared:
        lines.append(
            f"Every event's data may also have `{f.name}` ({f.type}; {f.requirement()}): "
            f"{f.meaning}."
        )
        lines.append("")
    common = "; ".join(f"`{r}` ({meaning})" for r, meaning in protocol.common)
    lines.append(f"Any event can also be refused with {common}.")
    return "\n".join(lines)


def main() -> None:
    """Print every protocol's table (the README's), with its heading."""
    from impl.api import FIELDS

    for protocol in FIELDS.values():
        print(f"#### `{protocol.name}` (`{protocol.start}`)\n")
        print(markdown(protocol) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
