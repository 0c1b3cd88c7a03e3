"""The spec's values as JSON, and JSON numbers read back as the spec's fractions.

The one JSON form of a spec value that every tool writes in the spec's names (vectors,
observation logs, the per-agent forms, the seed's sessions): a Fraction as "p/q", a
tuple as a list, a set as a sorted list, a record as an object (`to_json`); and the one
reading of a number given back (`read_fraction`: "p/q" or a JSON number, alike).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import attrs

from spec.core import named_tuple_fields, record_fields

_FRACTION = re.compile(r"-?\d+/[1-9]\d*")

#: The largest denominator of a Fraction read from a JSON number (the reference
#: implementation's `impl.refinement.tolerance.snap`: 0.1 is 1/10, not its binary value).
SNAP_DENOMINATOR = 10**6


def read_fraction(value: Any) -> Fraction | None:
    """A fraction written as "p/q" or as a JSON number, alike (a float is read as the
    nearest fraction with a denominator up to `SNAP_DENOMINATOR`); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return Fraction(value).limit_denominator(SNAP_DENOMINATOR)
    if isinstance(value, str) and _FRACTION.fullmatch(value):
        return Fraction(value)
    return None


def to_json(value: object) -> Any:
    """A spec value as JSON in the spec's names: a Fraction as "p/q", a tuple as a list, a
    set as a sorted list, a record (attrs, NamedTuple) as an object.

    Raises:
        TypeError: a value of no such kind.
    """
    if isinstance(value, bool | int | str | float) or value is None:
        return value
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    fields = named_tuple_fields(value)
    if fields is not None:
        return {k: to_json(v) for k, v in fields.items()}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted((to_json(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if attrs.has(type(value)):
        return {k: to_json(v) for k, v in record_fields(value).items()}
    raise TypeError(f"no JSON form for a {type(value).__name__}")
