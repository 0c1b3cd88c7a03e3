"""How the implementation's floats stand for the spec's fractions, and how closely.

The weighted and iterative implementations compute in floats; their specs in exact
fractions. They agree within `TOLERANCE` = 1e-8 x max(1, |x|): the weighted spec rounds
x^0.7 and the entropy's logarithms toward zero to 10^-9, and float arithmetic adds
rounding of its own (about 1e-15 relative). The implementations compare with the same
tolerance wherever an exact tie decides (`at_least`: the consensus bar, the cap, the
composite scores, the stopping thresholds), so that a tie the spec sees (`>=`) is a tie
for them too.

The abstraction functions map configured and measured values (metrics, confidences,
scores, thresholds) to `snap`'s fractions, and derived numbers (weights, totals,
statistics) to their exact binary values; `approx` then compares a whole abstract state
with a spec state within `TOLERANCE`, and `differences` says where it does not.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, cast

import attrs

#: Relative tolerance between an implementation float and the spec's exact value.
TOLERANCE = 1e-8

#: The largest denominator of `snap`'s fractions.
SNAP_DENOMINATOR = 10**6


def close(a: float, b: float) -> bool:
    """Whether two numbers agree within `TOLERANCE` x max(1, |a|, |b|)."""
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def at_least(x: float, bar: float) -> bool:
    """x >= bar, where values within `TOLERANCE` x max(1, |bar|) count as equal."""
    return x >= bar - TOLERANCE * max(1.0, abs(bar))


def snap(x: float) -> Fraction:
    """A configured or measured value as the spec's fraction: the nearest one with a
    denominator up to `SNAP_DENOMINATOR` (0.1 is 1/10, not its binary value)."""
    return Fraction(x).limit_denominator(SNAP_DENOMINATOR)


def approx(a: object, b: object) -> bool:
    """Structural equality where numbers (Fractions, floats, ints) agree by `close`.

    Attrs instances compare on the fields of `b`'s class; tuples (and NamedTuples)
    element by element; booleans only with booleans; everything else by equality.
    """
    numbers = (Fraction, float, int)
    if isinstance(a, numbers) and isinstance(b, numbers):
        if isinstance(a, bool) or isinstance(b, bool):
            return isinstance(a, bool) and isinstance(b, bool) and a == b
        return close(float(a), float(b))
    if attrs.has(type(b)) and attrs.has(type(a)):
        return all(
            approx(getattr(a, f.name, None), getattr(b, f.name))
            for f in attrs.fields(cast(Any, type(b)))
        )
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(approx(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def differences(a: object, b: object, path: str = "") -> list[str]:
    """Where `approx(a, b)` fails: the paths of the differing fields, for messages."""
    if approx(a, b):
        return []
    if attrs.has(type(b)) and attrs.has(type(a)):
        found: list[str] = []
        for f in attrs.fields(cast(Any, type(b))):
            found += differences(getattr(a, f.name, None), getattr(b, f.name), f"{path}.{f.name}")
        return found
    return [f"{path}: {a!r} != {b!r}"]
