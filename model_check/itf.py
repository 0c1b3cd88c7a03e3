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
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from model_check.fingerprint import Canonicaliser
from model_check.result import Trace
from spec.core import action_args, action_name, named_tuple_fields, record_fields

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
