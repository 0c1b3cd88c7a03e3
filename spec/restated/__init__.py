"""The seed's rules restated independently of the specs' helpers (one module per
protocol), and the one cache their properties share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class ByIdentity(Generic[V]):
    """`compute` cached by its arguments' identities: Fractions hash slowly, and the
    states of a check share their weight tuples, histories and votes. Each entry holds
    its arguments, so no id is reused while it is cached; past `limit` entries the cache
    starts afresh."""

    def __init__(self, compute: Callable[..., V], limit: int) -> None:
        self.compute, self.limit = compute, limit
        self.entries: dict[tuple[int, ...], tuple[tuple[object, ...], V]] = {}

    def __call__(self, *keys: object) -> V:
        ids = tuple(id(k) for k in keys)
        entry = self.entries.get(ids)
        if entry is not None and all(a is b for a, b in zip(entry[0], keys, strict=True)):
            return entry[1]
        value = self.compute(*keys)
        if len(self.entries) >= self.limit:
            self.entries.clear()
        self.entries[ids] = (keys, value)
        return value
