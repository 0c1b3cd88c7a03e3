"""Traces as ITF JSON, the Informal Trace Format of Apalache and Quint (`*.itf.json`).

The encoding of values (ADR-015 of Apalache, as Quint writes it):

| Python value              | ITF                                                  |
|---------------------------|------------------------------------------------------|
| `bool`, `str`             | JSON boolean, string                                 |
| `int`                     | `{"#bigint": "<decimal>"}`                           |
| `tuple`                   | JSON list (an ITF sequence)                          |
| `NamedTuple`              | record `{<field>: <value>, ...}`                     |
| `frozenset`               | `{"#set": [...]}`, elements in canonical order       |
| a `Mapping`               | `{"#map": [[key, value], ...]}`, keys in canonical order |
| `Fraction`                | record `{"num": <bigint>, "den": <bigint>}`          |
| enum member, `None`       | variant `{"tag": "<name>", "value": {"#tup": []}}`   |
| attrs instance (nested)   | variant `{"tag": "<class name>", "value": {<fields>}}` |

The top-level state is a record with one variable per attrs field. Each state also
carries, as Quint's `--mbt` mode writes them, `mbt::actionTaken` (the action's name;
`init` for the first state) and `mbt::nondetPicks` (a record of the action's arguments,
each as `{"tag": "Some", "value": ...}`); the state's `#meta` records its index and
whether the step was the adversary's. A lasso has a top-level `loop`: the index of the
state that the last state equals (the cycle returns there).

Decoding is the exact inverse, directed by the Python type hints of the state and
action classes (`decode_value`, `decode_state`, `decode_action`, `decode_trace`,
`read_trace`); `decode_plain` reads any ITF value without a type. Input is not trusted:
nesting deeper than `MAX_DEPTH`, a `#bigint` longer than `MAX_BIGINT_DIGITS` digits or
a file larger than `MAX_FILE_BYTES` is an `ItfError` (one line naming the place in the
JSON, such as `states[3].log: expected {"#set": [...]}, got a list`), never a
`RecursionError` or `MemoryError`.
"""

from __future__ import annotations

import collections.abc
import enum
import json
import re
import types
import typing
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from model_check.fingerprint import Canonicaliser
from model_check.result import Trace, TraceStep
from spec.core import Model, SpecError, action_args, action_name, named_tuple_fields, record_fields

Json = Any

_UNIT: Json = {"#tup": []}


def encode_value(value: object, canon: Canonicaliser | None = None) -> Json:
    """The ITF encoding of a value built from the types the spec contract allows."""
    canon = canon or Canonicaliser()
    if isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return {"tag": value.name, "value": _UNIT}
    if isinstance(value, int):
        return {"#bigint": str(value)}
    if value is None:
        return {"tag": "None", "value": _UNIT}
    if isinstance(value, Fraction):
        return {"num": encode_value(value.numerator), "den": encode_value(value.denominator)}
    named = named_tuple_fields(value)
    if named is not None:
        return {k: encode_value(v, canon) for k, v in named.items()}
    if isinstance(value, tuple):
        return [encode_value(v, canon) for v in value]
    if isinstance(value, frozenset):
        ordered = sorted(value, key=canon.text)
        return {"#set": [encode_value(v, canon) for v in ordered]}
    if isinstance(value, Mapping):
        keys = sorted(value, key=canon.text)
        return {"#map": [[encode_value(k, canon), encode_value(value[k], canon)] for k in keys]}
    if attrs.has(type(value)):
        return {"tag": type(value).__name__, "value": _record(value, canon)}
    raise TypeError(f"cannot encode a value of type {type(value).__name__} as ITF")


def _record(value: object, canon: Canonicaliser) -> dict[str, Json]:
    return {name: encode_value(v, canon) for name, v in record_fields(value).items()}


def state_vars(state: object) -> list[str]:
    """The ITF variable names of a state: its attrs fields (`state` if it has none)."""
    return list(record_fields(state)) if attrs.has(type(state)) else ["state"]


def encode_trace(trace: Trace, meta: Mapping[str, Json] | None = None) -> dict[str, Json]:
    """The ITF object of a trace; `meta` is merged into its `#meta`."""
    canon = Canonicaliser()
    first = trace.steps[0].state
    names = state_vars(first)
    states = []
    for i, step in enumerate(trace.steps):
        if attrs.has(type(step.state)):
            record = _record(step.state, canon)
        else:
            record = {"state": encode_value(step.state, canon)}
        state: dict[str, Json] = {"#meta": {"index": i, "byzantine": step.byzantine}}
        state.update(record)
        if step.action is None:
            state["mbt::actionTaken"] = "init"
            state["mbt::nondetPicks"] = {}
        else:
            state["mbt::actionTaken"] = action_name(step.action)
            state["mbt::nondetPicks"] = {
                name: {"tag": "Some", "value": encode_value(arg, canon)}
                for name, arg in action_args(step.action).items()
            }
        states.append(state)
    head: dict[str, Json] = {
        "format": "ITF",
        "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
        "source": "coordspec",
    }
    head.update(meta or {})
    result: dict[str, Json] = {
        "#meta": head,
        "vars": [*names, "mbt::actionTaken", "mbt::nondetPicks"],
        "states": states,
    }
    if trace.loop is not None:
        result["loop"] = trace.loop
    return result


def write_trace(path: Path, trace: Trace, meta: Mapping[str, Json] | None = None) -> None:
    """Write a trace as ITF JSON (sorted keys, two-space indent, final newline)."""
    text = json.dumps(encode_trace(trace, meta), indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


# --- decoding --------------------------------------------------------------------------

#: Deepest nesting of ITF values that is decoded (the specs nest about six deep).
MAX_DEPTH = 100
#: Longest `#bigint` accepted, in digits (Python's own default limit for int <-> str).
MAX_BIGINT_DIGITS = 4300
#: Largest trace file read, in bytes.
MAX_FILE_BYTES = 64 * 1024 * 1024

_BIGINT = re.compile(r"-?[0-9]+")
_UNION_ORIGINS: tuple[object, ...] = (typing.Union, types.UnionType)
_SET_ORIGINS: tuple[object, ...] = (frozenset, set, collections.abc.Set)
_MAP_ORIGINS: tuple[object, ...] = (dict, collections.abc.Mapping, typing.Mapping)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class ItfError(SpecError):
    """A file or value that is not valid ITF, or does not fit the type it must decode to.

    Attributes:
        path: where in the JSON the problem is (`states[3].log`; empty for the file).
        message: what is wrong there.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


class FrozenMap(Mapping[Any, Any]):
    """An immutable, hashable mapping: `decode_plain`'s records and maps.

    It compares equal to a `dict` with the same items, and, being hashable, can be an
    element of a set (Quint's sets of records).
    """

    __slots__ = ("_hash", "_items")

    def __init__(self, items: Mapping[Any, Any]) -> None:
        self._items = dict(items)
        self._hash: int | None = None

    def __getitem__(self, key: Any) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


def _found(obj: Json) -> str:
    """What a JSON value is, for error messages."""
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "a boolean"
    if isinstance(obj, int | float):
        return "a number"
    if isinstance(obj, str):
        return "a string"
    if isinstance(obj, list):
        return "a list"
    if isinstance(obj, dict):
        for key in ("#bigint", "#set", "#map", "#tup"):
            if key in obj:
                return f'{{"{key}": ...}}'
        if "tag" in obj and isinstance(obj["tag"], str):
            return f"the variant {obj['tag'][:40]!r}"
        return "a record"
    return type(obj).__name__  # pragma: no cover - json.loads makes no other values


def _hint_name(hint: Any) -> str:
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved type hints of an attrs class or NamedTuple (memoised per class)."""
    hints = _HINTS.get(cls)
    if hints is None:
        try:
            hints = typing.get_type_hints(cls)
        except Exception as err:  # NameError and friends, from the class's own annotations
            raise ItfError("", f"cannot resolve the type hints of {cls.__name__}: {err}") from None
        _HINTS[cls] = hints
    return hints


def _is_named_tuple(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields")


def _class_action_name(cls: type) -> str:
    """`spec.core.action_name` of the class's instances."""
    explicit = getattr(cls, "NAME", None)
    return explicit if isinstance(explicit, str) else _CAMEL.sub("_", cls.__name__).lower()


class _Decoder:
    """Type-directed decoding of ITF values, with the nesting bound."""

    def value(self, obj: Json, hint: Any, path: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ItfError(path, f"nested deeper than {MAX_DEPTH} levels")
        if hint is Any or hint is object:
            return _plain(obj, path, depth)
        if hint is None or hint is type(None):
            self.unit_variant(obj, path, "None", depth)
            return None
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in _UNION_ORIGINS:
            return self.union(obj, hint, args, path, depth)
        if hint is bool:
            if not isinstance(obj, bool):
                raise ItfError(path, f"expected a boolean, got {_found(obj)}")
            return obj
        if hint is str:
            if not isinstance(obj, str):
                raise ItfError(path, f"expected a string, got {_found(obj)}")
            return obj
        if hint is int:
            return _int(obj, path)
        if hint is Fraction:
            return self.fraction(obj, path)
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            tag = self.unit_variant(obj, path, None, depth)
            member = hint.__members__.get(tag)
            if member is None:
                names = ", ".join(hint.__members__)
                raise ItfError(path, f"{tag!r} is not a {hint.__name__} (one of {names})")
            return member
        if _is_named_tuple(hint):
            fields = self.fields(obj, hint, path, depth)
            return hint(**fields)
        if isinstance(hint, type) and attrs.has(hint):
            value = self.variant(obj, path, hint.__name__)
            return self.record(value, hint, f"{path}.value" if path else "value", depth)
        if hint is tuple or origin is tuple:
            return self.sequence(obj, args, path, depth)
        if origin in _SET_ORIGINS:
            items = self.tagged(obj, "#set", path)
            element = args[0] if args else Any
            out = []
            for i, item in enumerate(items):
                out.append(self.value(item, element, f"{path}[{i}]", depth + 1))
                _hashable(out[-1], f"{path}[{i}]")
            return frozenset(out)
        if origin in _MAP_ORIGINS:
            return self.mapping(obj, origin, args, path, depth)
        raise ItfError(path, f"cannot decode into the type {_hint_name(hint)}")

    def union(self, obj: Json, hint: Any, args: tuple[Any, ...], path: str, depth: int) -> Any:
        none = type(None)
        if none in args and isinstance(obj, dict) and obj.get("tag") == "None":
            return self.value(obj, none, path, depth)
        alternatives = [a for a in args if a is not none]
        errors: list[ItfError] = []
        for alternative in alternatives:
            try:
                return self.value(obj, alternative, path, depth)
            except ItfError as err:
                errors.append(err)
        if len(alternatives) == 1:
            raise errors[0]
        tag = obj.get("tag") if isinstance(obj, dict) else None
        for alternative, error in zip(alternatives, errors, strict=True):
            if (
                isinstance(alternative, type)
                and attrs.has(alternative)
                and alternative.__name__ == tag
            ):
                raise error
        # An alternative whose shape fits but whose content does not (a nested field,
        # a #bigint too long) says more than "expected one of these".
        for error in errors:
            if error.path != path or not error.message.startswith("expected"):
                raise error
        raise ItfError(path, f"expected {_hint_name(hint)}, got {_found(obj)}")

    def fraction(self, obj: Json, path: str) -> Fraction | int:
        if isinstance(obj, dict) and "#bigint" in obj:
            return _int(obj, path)  # an integer where the hint says Fraction
        if not isinstance(obj, dict) or set(obj) != {"num", "den"}:
            raise ItfError(
                path, f'expected a fraction {{"num": ..., "den": ...}}, got {_found(obj)}'
            )
        num = _int(obj["num"], f"{path}.num")
        den = _int(obj["den"], f"{path}.den")
        if den <= 0:
            raise ItfError(f"{path}.den", f"a fraction's denominator must be positive, got {den}")
        return Fraction(num, den)

    def variant(self, obj: Json, path: str, tag: str | None) -> Json:
        """The value of a variant `{"tag": tag, "value": ...}` (any tag if `tag` is None)."""
        if not isinstance(obj, dict) or set(obj) != {"tag", "value"}:
            want = f"the variant {tag!r}" if tag else "a variant"
            raise ItfError(path, f'expected {want} {{"tag": ..., "value": ...}}, got {_found(obj)}')
        if not isinstance(obj["tag"], str):
            raise ItfError(f"{path}.tag", f"expected a string, got {_found(obj['tag'])}")
        if tag is not None and obj["tag"] != tag:
            raise ItfError(path, f"expected the variant {tag!r}, got {obj['tag'][:40]!r}")
        return obj["value"]

    def unit_variant(self, obj: Json, path: str, tag: str | None, depth: int) -> str:
        """The tag of a variant whose value is the unit `{"#tup": []}`."""
        value = self.variant(obj, path, tag)
        if value != _UNIT:
            raise ItfError(
                f"{path}.value", f'expected the unit {{"#tup": []}}, got {_found(value)}'
            )
        found: str = obj["tag"]
        return found

    def tagged(self, obj: Json, key: str, path: str) -> list[Json]:
        """The list inside `{"#set": [...]}`, `{"#tup": [...]}` or `{"#map": [...]}`."""
        if not isinstance(obj, dict) or set(obj) != {key}:
            raise ItfError(path, f'expected {{"{key}": [...]}}, got {_found(obj)}')
        items = obj[key]
        if not isinstance(items, list):
            raise ItfError(path, f'expected {{"{key}": [...]}} with a list, got {_found(items)}')
        return items

    def sequence(self, obj: Json, args: tuple[Any, ...], path: str, depth: int) -> tuple[Any, ...]:
        if isinstance(obj, dict) and set(obj) == {"#tup"}:
            items = self.tagged(obj, "#tup", path)
        elif isinstance(obj, list):
            items = obj
        else:
            raise ItfError(path, f"expected a list (a sequence), got {_found(obj)}")
        if len(args) == 2 and args[1] is Ellipsis:
            hints: list[Any] = [args[0]] * len(items)
        elif not args:
            hints = [Any] * len(items)
        else:
            if len(items) != len(args):
                raise ItfError(path, f"expected {len(args)} elements, got {len(items)}")
            hints = list(args)
        return tuple(
            self.value(v, h, f"{path}[{i}]", depth + 1)
            for i, (v, h) in enumerate(zip(items, hints, strict=True))
        )

    def mapping(
        self, obj: Json, origin: Any, args: tuple[Any, ...], path: str, depth: int
    ) -> Mapping[Any, Any]:
        key_hint, value_hint = args if len(args) == 2 else (Any, Any)
        out: dict[Any, Any] = {}
        for i, entry in enumerate(self.tagged(obj, "#map", path)):
            where = f"{path}[{i}]"
            if not isinstance(entry, list) or len(entry) != 2:
                raise ItfError(where, f"expected a [key, value] pair, got {_found(entry)}")
            key = self.value(entry[0], key_hint, f"{where}[0]", depth + 1)
            _hashable(key, f"{where}[0]")
            out[key] = self.value(entry[1], value_hint, f"{where}[1]", depth + 1)
        return out if origin is dict else types.MappingProxyType(out)

    def fields(self, obj: Json, cls: type, path: str, depth: int) -> dict[str, Any]:
        """The fields of a record that decodes to `cls` (attrs class or NamedTuple)."""
        if not isinstance(obj, dict):
            raise ItfError(path, f"expected a record of {cls.__name__}, got {_found(obj)}")
        hints = _hints(cls)
        if attrs.has(cls):
            names = [(f.name, f.alias) for f in attrs.fields(cls) if f.init]
        else:
            names = [(n, n) for n in cls._fields]  # type: ignore[attr-defined]
        known = {n for n, _ in names}
        for key in sorted(k for k in obj if isinstance(k, str)):
            if key not in known and key != "#meta" and not key.startswith("mbt::"):
                raise ItfError(_join(path, key), f"not a field of {cls.__name__}")
        out: dict[str, Any] = {}
        for name, alias in names:
            if name not in obj:
                raise ItfError(_join(path, name), f"missing (a field of {cls.__name__})")
            out[alias] = self.value(obj[name], hints[name], _join(path, name), depth + 1)
        return out

    def record(self, obj: Json, cls: type, path: str, depth: int) -> Any:
        fields = self.fields(obj, cls, path, depth)
        try:
            return cls(**fields)
        except (TypeError, ValueError, SpecError) as err:
            raise ItfError(path, f"not a valid {cls.__name__}: {err}") from None


_PLAIN_KEY = re.compile(r"[A-Za-z_#][\w#:-]{0,59}")


def _join(path: str, name: str) -> str:
    """`path.name`; a name that is not a plain key is quoted and cut (one short line)."""
    if not _PLAIN_KEY.fullmatch(name):
        name = repr(name[:40])
    return f"{path}.{name}" if path else name


def _hashable(value: object, path: str) -> None:
    try:
        hash(value)
    except TypeError:
        raise ItfError(path, "a set element or map key must not contain a map") from None


def _int(obj: Json, path: str) -> int:
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj
    if not isinstance(obj, dict) or set(obj) != {"#bigint"}:
        raise ItfError(path, f'expected an integer {{"#bigint": "..."}}, got {_found(obj)}')
    text = obj["#bigint"]
    if not isinstance(text, str):
        raise ItfError(path, f"#bigint must be a string of digits, got {_found(text)}")
    digits = len(text) - text.startswith("-")
    if digits > MAX_BIGINT_DIGITS:
        raise ItfError(
            path, f"#bigint has {digits} digits, more than the {MAX_BIGINT_DIGITS} allowed"
        )
    if not _BIGINT.fullmatch(text):
        raise ItfError(path, f"#bigint must be a string of digits, got {text[:40]!r}")
    return int(text)


def decode_value(obj: Json, hint: Any, path: str = "") -> Any:
    """The Python value of type `hint` that `encode_value` encodes as `obj`.

    Args:
        obj: an ITF value, as `json.loads` returns it.
        hint: a type: `int`, `bool`, `str`, `Fraction`, `None`, `tuple[X, ...]`,
            `tuple[X, Y]`, `frozenset[X]`, a `Mapping[K, V]` or `dict[K, V]`, a
            NamedTuple class, an enum, a (nested) attrs class, a union of these, `Any`.
        path: where `obj` is in the file, for error messages.

    Raises:
        ItfError: `obj` does not encode a value of that type; names the place.
    """
    return _Decoder().value(obj, hint, path, 0)


def _plain(obj: Json, path: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ItfError(path, f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, list):
        return tuple(_plain(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(obj))
    if not isinstance(obj, dict):
        raise ItfError(path, f"not an ITF value: {_found(obj)}")
    if "#bigint" in obj:
        return _int(obj, path)
    decoder = _Decoder()
    for key in ("#set", "#tup", "#map"):
        if key in obj:
            items = decoder.tagged(obj, key, path)
            if key == "#tup":
                return tuple(_plain(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(items))
            if key == "#set":
                out = []
                for i, v in enumerate(items):
                    element = _plain(v, f"{path}[{i}]", depth + 1)
                    _hashable(element, f"{path}[{i}]")
                    out.append(element)
                return frozenset(out)
            return FrozenMap(decoder.mapping(obj, dict, (Any, Any), path, depth))
    if set(obj) == {"tag", "value"} and isinstance(obj["tag"], str):
        return (obj["tag"], _plain(obj["value"], f"{path}.value", depth + 1))
    for key in sorted(obj):
        if key.startswith("#") and key != "#meta":
            raise ItfError(_join(path, key), "not an ITF form (#bigint, #set, #map, #tup)")
    return FrozenMap({k: _plain(v, _join(path, k), depth + 1) for k, v in obj.items()})


def decode_plain(obj: Json, path: str = "") -> Any:
    """An ITF value as plain Python, for tools that have no type for it.

    Integers as `int`, strings and booleans as themselves, sequences and `#tup` as
    `tuple`, `#set` as `frozenset`, records and `#map` as `FrozenMap` (a hashable
    mapping that compares equal to the `dict` of its items), a variant as the pair
    `(tag, value)`.

    Raises:
        ItfError: not an ITF value (a float, null, an unknown `#` form, a bound exceeded).
    """
    return _plain(obj, path, 0)


def _model_args(model: Model[Any, Any]) -> tuple[Any, ...]:
    """The `(State, Action)` arguments of the model's `Model[...]` base, if it names them."""
    for cls in type(model).__mro__:
        for base in getattr(cls, "__orig_bases__", ()):
            origin = typing.get_origin(base)
            if isinstance(origin, type) and issubclass(origin, Model):
                args = typing.get_args(base)
                if len(args) == 2 and not isinstance(args[0], typing.TypeVar):
                    return args
    return ()


def state_type(model: Model[Any, Any]) -> type:
    """The class of the model's states (that of its first initial state)."""
    initial = list(model.initial())
    if initial:
        return type(initial[0])
    args = _model_args(model)
    if args and isinstance(args[0], type) and args[0] is not Any:
        return args[0]
    raise ItfError("", f"{type(model).__name__} has no initial state and names no state type")


def action_classes(model: Model[Any, Any]) -> dict[str, type]:
    """The model's action classes by action name, from its `Model[State, Action]` base."""
    args = _model_args(model)
    if not args:
        raise ItfError("", f"{type(model).__name__} does not name its action type (Model[S, A])")
    hint = args[1]
    members = typing.get_args(hint) if typing.get_origin(hint) in _UNION_ORIGINS else (hint,)
    classes: dict[str, type] = {}
    for cls in members:
        if isinstance(cls, type) and attrs.has(cls):
            classes.setdefault(_class_action_name(cls), cls)
    return classes


def decode_state(record: Json, state_cls: type, path: str = "state") -> Any:
    """The state whose ITF record (one element of `states`) is `record`.

    Keys `#meta` and `mbt::*` are skipped; every variable must be present and no other.

    Raises:
        ItfError: a variable missing, unknown, or of the wrong type; names the place.
    """
    decoder = _Decoder()
    if attrs.has(state_cls):
        return decoder.record(record, state_cls, path, 0)
    if not isinstance(record, dict) or "state" not in record:
        raise ItfError(path, f"expected a record with the variable 'state', got {_found(record)}")
    return decoder.value(record["state"], state_cls, _join(path, "state"), 1)


def decode_action(
    name: Json, picks: Json, model: Model[Any, Any], path: str = "mbt::nondetPicks"
) -> Any:
    """The action called `name` (`mbt::actionTaken`) with the arguments `picks`.

    Args:
        name: the action's name, as `spec.core.action_name` gives it.
        picks: `mbt::nondetPicks`: each argument as `{"tag": "Some", "value": ...}`;
            `{"tag": "None", ...}` entries (nondets the step did not pick) are skipped.
        model: the model whose action classes are meant.
        path: where `picks` is in the file, for error messages.

    Raises:
        ItfError: an unknown action, or arguments missing, unknown or of the wrong type.
    """
    classes = action_classes(model)
    if not isinstance(name, str):
        raise ItfError(_action_path(path), f"expected an action name, got {_found(name)}")
    cls = classes.get(name)
    if cls is None:
        known = ", ".join(classes)
        raise ItfError(_action_path(path), f"unknown action {name[:60]!r}; the actions are {known}")
    if not isinstance(picks, dict):
        raise ItfError(path, f"expected a record of arguments, got {_found(picks)}")
    decoder = _Decoder()
    args: dict[str, Json] = {}
    for key, pick in picks.items():
        value = decoder.variant(pick, _join(path, key), None)
        if pick["tag"] == "None" and value == _UNIT:
            continue  # Quint lists every nondet of the step; this branch picked none
        if pick["tag"] != "Some":
            raise ItfError(
                _join(path, key), f"expected Some(value) or None, got {pick['tag'][:40]!r}"
            )
        args[key] = value
    return decoder.record(args, cls, path, 0)


def _action_path(picks_path: str) -> str:
    return picks_path.replace("mbt::nondetPicks", "mbt::actionTaken")


def decode_trace(obj: Json, model: Model[Any, Any]) -> Trace:
    """The trace that `encode_trace` encodes as `obj`, in the model's types.

    Raises:
        ItfError: not an ITF trace, or one that does not fit the model; names the place.
    """
    if not isinstance(obj, dict):
        raise ItfError("", f"not an ITF trace: expected a JSON object, got {_found(obj)}")
    states = obj.get("states")
    if not isinstance(states, list) or not states:
        raise ItfError("states", f"expected a non-empty list of states, got {_found(states)}")
    names = obj.get("vars", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ItfError("vars", "expected a list of variable names")
    meta = obj.get("#meta", {})
    if not isinstance(meta, dict):
        raise ItfError("#meta", f"expected a record, got {_found(meta)}")
    cls = state_type(model)
    steps = []
    for i, record in enumerate(states):
        where = f"states[{i}]"
        if not isinstance(record, dict):
            raise ItfError(where, f"expected a record of variables, got {_found(record)}")
        info = record.get("#meta", {})
        byzantine = info.get("byzantine", False) if isinstance(info, dict) else None
        if not isinstance(byzantine, bool):
            raise ItfError(f"{where}.#meta", "expected a record whose byzantine is a boolean")
        state = decode_state(record, cls, where)
        action = None
        if i > 0:
            if "mbt::actionTaken" not in record:
                raise ItfError(f"{where}.mbt::actionTaken", "missing (the action of this step)")
            action = decode_action(
                record["mbt::actionTaken"],
                record.get("mbt::nondetPicks", {}),
                model,
                f"{where}.mbt::nondetPicks",
            )
        steps.append(TraceStep(action, byzantine, state))
    loop = obj.get("loop")
    if loop is not None and (
        not isinstance(loop, int) or isinstance(loop, bool) or not 0 <= loop < len(steps)
    ):
        raise ItfError("loop", f"expected a state index 0..{len(steps) - 1}, got {loop!r:.40}")
    return Trace(tuple(steps), loop)


def load_json(path: Path) -> Json:
    """Read a JSON file within `MAX_FILE_BYTES`, as strict UTF-8.

    Raises:
        ItfError: unreadable, too large, not UTF-8, not JSON, or nested too deep to parse.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ItfError("", f"cannot read {path}: {err.strerror or err}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ItfError("", f"{path} is larger than the {MAX_FILE_BYTES} bytes allowed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ItfError("", f"{path} is not UTF-8 (byte {err.start})") from None
    return parse_json(text, str(path))


def _no_constant(name: str) -> Json:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str, source: str = "input") -> Json:
    """`json.loads` whose every failure is one `ItfError` line."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise ItfError(
            "", f"{source} is not valid JSON: {err.msg} (line {err.lineno} column {err.colno})"
        ) from None
    except RecursionError:
        raise ItfError("", f"{source} is nested too deeply to parse") from None
    except ValueError as err:  # a number of more than 4300 digits, NaN, Infinity
        raise ItfError("", f"{source} is not valid JSON: {err}") from None


def read_trace(path: Path, model: Model[Any, Any]) -> Trace:
    """Read an ITF file written by `write_trace` (or by Quint) as a trace of `model`.

    Raises:
        ItfError: as `load_json` and `decode_trace`.
    """
    return decode_trace(load_json(path), model)
