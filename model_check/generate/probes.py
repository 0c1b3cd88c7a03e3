"""The actions `generate` tries beside the enabled ones: perturbed and made-up ones.

Each field of an action is perturbed in turn (`-1`, `+1`, out of range, a value of the
wrong type); an action kind with no candidate in a state is tried as a made-up
instance, every field 0 (then 1) where the field types allow.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import attrs

from spec.core import action_args


def zero(hint: object, one: bool) -> object:
    """A made-up value of a field type (0 or 1 for numbers), or None if unknown."""
    origin = typing.get_origin(hint) or hint
    if hint is bool:
        return one
    if hint is int:
        return int(one)
    if hint is Fraction:
        return Fraction(int(one))
    if hint is str:
        return ""
    if origin is tuple:
        return ()
    if origin is frozenset:
        return frozenset()
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(hint):
            value = zero(member, one)
            if value is not None:
                return value
    return None


def made_up(cls: type) -> list[Any]:
    """Instances of an action class with every field 0 (then 1), where the types allow."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # pragma: no cover - a class whose annotations do not resolve
        return []
    result: list[Any] = []
    for one in (False, True):
        values = {}
        for field in attrs.fields(cls):
            value = zero(hints.get(field.name), one)
            if value is None:
                return result
            values[field.name] = value
        result.append(cls(**values))
    return result


def perturbations(value: object) -> list[object]:
    """Values to try in place of a field's value: neighbours, out of range, mistyped."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, Fraction):
        return [Fraction(-1), Fraction(2)]
    if isinstance(value, str):
        return [0]
    if isinstance(value, tuple):
        return [(*value, 0)] if all(isinstance(v, int) for v in value) else []
    return []


def perturbed(action: Any) -> Iterator[Any]:
    """The action with one field perturbed, for each field and perturbation in turn."""
    for name, value in action_args(action).items():
        for other in perturbations(value):
            if other == value and type(other) is type(value):
                continue
            try:
                yield attrs.evolve(action, **{name: other})
            except (TypeError, ValueError):  # pragma: no cover - a validating action class
                continue
