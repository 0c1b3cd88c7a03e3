"""Symmetry, declared: which agents (and values) are interchangeable, and one helper
that computes a state's representative (its least image).

A model declares its symmetry as a `Symmetry`: the group (every renaming, the identity
first), how a renaming acts on a state, a total order on states (`key`), and, as an
optional shortcut, a cheap `prefix` of the key of an image that lets most images be
dropped before they are built. `Symmetry.representative` is then the model's
`canonical` (TLC: `SYMMETRY Permutations(Replica)`; Stateright: a `RewritePlan`).

The representative is the image with the least key; the key must tell states apart
(two states with equal keys are equal), or the reduction would merge distinct classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import permutations
from typing import Any, Generic, TypeVar

import attrs

S = TypeVar("S")
P = TypeVar("P")


def agent_maps(n: int, movable: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """The renamings of agents 0..n-1 that permute `movable` and fix the others: each is
    a map (agent i becomes map[i]), the identity first, in `itertools.permutations`
    order of `movable`."""
    result = []
    for image in permutations(movable):
        mapping = list(range(n))
        for src, dst in zip(movable, image, strict=True):
            mapping[src] = dst
        result.append(tuple(mapping))
    return tuple(result)


@attrs.frozen
class Symmetry(Generic[S, P]):
    """A declared symmetry group acting on states.

    Attributes:
        group: every renaming, the identity first.
        act: the image of a state under a renaming.
        key: a total order on states that tells them apart.
        prefix: optional; `prefix(state, p)` must equal `key(act(state, p))[:prefix_len]`
            and cost much less: an image whose prefix is already greater than the best
            key's is dropped unbuilt.
        prefix_len: how many leading entries of the key `prefix` computes.
    """

    group: tuple[P, ...]
    act: Callable[[S, P], S]
    key: Callable[[S], tuple[Any, ...]]
    prefix: Callable[[S, P], tuple[Any, ...]] | None = None
    prefix_len: int = 0

    def representative(self, state: S) -> S:
        """The image of `state` with the least key (the first such in `group` order)."""
        best, best_key = state, self.key(state)
        prefix, k = self.prefix, self.prefix_len
        for p in self.group[1:]:
            if prefix is not None and prefix(state, p) > best_key[:k]:
                continue
            image = self.act(state, p)
            image_key = self.key(image)
            if image_key < best_key:
                best, best_key = image, image_key
        return best
