"""When an observed value agrees with the spec's: exactly, or a float within `TOLERANCE`."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from fractions import Fraction

import attrs

from model_check.validate.limits import TOLERANCE, Json
from spec.jsonform import read_fraction, to_json

# --- agreeing values -----------------------------------------------------------------


def close(a: float, b: float) -> bool:
    """a and b within `TOLERANCE` x max(1, |a|, |b|)."""
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def _number(obs: Json) -> Fraction | float | None:
    if isinstance(obs, bool):
        return None
    if isinstance(obs, int):
        return Fraction(obs)
    if isinstance(obs, float):
        return obs
    if isinstance(obs, str):
        return _fraction(obs)
    return None


@functools.lru_cache(maxsize=4096)
def _fraction(text: str) -> Fraction | None:
    return read_fraction(text)


def agrees(obs: Json, value: object) -> bool:
    """Whether an observed JSON value is the spec's value (module docstring, Values)."""
    if isinstance(value, bool) or value is None:
        return obs is value
    if isinstance(value, int | Fraction):
        number = _number(obs)
        if isinstance(number, float):
            return close(number, float(value))
        return number is not None and number == value
    if isinstance(value, str):
        return bool(obs == value)
    if hasattr(value, "_fields") and isinstance(value, tuple):
        if isinstance(obs, dict):
            fields = value._asdict()  # type: ignore[attr-defined]
            return set(obs) <= set(fields) and all(agrees(obs[k], fields[k]) for k in obs)
        return _agree_sequence(obs, value)
    if attrs.has(type(value)):
        fields = attrs.asdict(value, recurse=False)  # type: ignore[arg-type]
        return (
            isinstance(obs, dict)
            and set(obs) <= set(fields)
            and all(agrees(obs[k], fields[k]) for k in obs)
        )
    if isinstance(value, Mapping):
        return isinstance(obs, dict) and all(k in value and agrees(obs[k], value[k]) for k in obs)
    if isinstance(value, tuple | list):
        return _agree_sequence(obs, value)
    if isinstance(value, frozenset | set):
        if not isinstance(obs, list) or len(obs) != len(value):
            return False
        left = sorted(value, key=repr)
        for item in obs:
            match = next((v for v in left if agrees(item, v)), None)
            if match is None:
                return False
            left.remove(match)
        return True
    return False


def _agree_sequence(obs: Json, value: Sequence[object]) -> bool:
    return (
        isinstance(obs, list)
        and len(obs) == len(value)
        and all(agrees(o, v) for o, v in zip(obs, value, strict=True))
    )


def as_json(value: object) -> Json:
    """A spec value in the log's JSON form (`spec.jsonform.to_json`), a whole fraction as
    an integer (as a diagnosis quotes it)."""
    return _whole(to_json(value))


def _whole(value: Json) -> Json:
    if isinstance(value, str) and value.endswith("/1") and _fraction(value) is not None:
        return int(value[:-2])
    if isinstance(value, list):
        return [_whole(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    return value


def _shown(value: Json) -> str:
    """A JSON value as a diagnosis quotes it."""
    text = json.dumps(value)
    return text if len(text) <= 120 else text[:117] + "..."
