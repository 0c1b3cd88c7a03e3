"""Traces of a breadth-first search, under symmetry: parents, then replay.

A search stores, for each state it keeps (a representative of its symmetry class when
the search is symmetry-reduced), the index of its breadth-first parent and the position
(`ordinal`) of the action that led to it in the parent's `enabled` list; for an initial
state, its position in `model.initial()`. A trace is rebuilt by replaying those
ordinals from an initial state, as TLC does. Under symmetry the stored graph is one of
representatives, so each step is taken again from the concrete state reached so far:
the first of its enabled actions whose successor is in the class the stored step leads
to. Every trace rebuilt is then a concrete run that replays through `step`.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from model_check.result import Trace, TraceStep
from spec.core import Model

#: The parent of an initial state.
NO_PARENT = 0xFFFFFFFF


class Parents:
    """The parent and ordinal of every stored state, and the concrete runs to them.

    Args:
        model: the model searched.
        represent: the state the search keeps in place of a state (its symmetry
            class's representative, or the state itself).
        key: how stored states are compared (a fingerprint, or the state itself).
        symmetry: whether `represent` is a symmetry reduction.
    """

    def __init__(
        self,
        model: Model[Any, Any],
        represent: Callable[[Any], Any],
        key: Callable[[Any], Hashable],
        symmetry: bool,
    ) -> None:
        self.model = model
        self.represent = represent
        self.key = key
        self.symmetry = symmetry
        self.parents = array("I")
        self.ordinals = array("I")
        self._runs: dict[int, tuple[TraceStep, ...]] = {}  # the runs rebuilt so far

    def __len__(self) -> int:
        """The number of states stored."""
        return len(self.parents)

    def add(self, parent: int, ordinal: int) -> int:
        """Store a state reached from `parent` by its enabled action `ordinal`
        (`NO_PARENT` and the position in `model.initial()` for an initial state);
        return its index."""
        self.parents.append(parent)
        self.ordinals.append(ordinal)
        return len(self.parents) - 1

    def trim(self) -> None:
        """Drop a half-stored state (an `add` interrupted between its two appends)."""
        del self.parents[len(self.ordinals) :]
        del self.ordinals[len(self.parents) :]

    def initial_indices(self) -> list[int]:
        """Indices of the stored initial states."""
        result = []
        for idx, parent in enumerate(self.parents):
            if parent != NO_PARENT:
                break
            result.append(idx)
        return result

    def depths(self) -> array[int]:
        """Each stored state's breadth-first depth (parents come before their children)."""
        depth = array("I", bytes(4 * len(self.parents)))
        for idx, parent in enumerate(self.parents):
            if parent != NO_PARENT:
                depth[idx] = depth[parent] + 1
        return depth

    def path_to(self, idx: int) -> list[int]:
        """State indices from an initial state to `idx` along breadth-first parents."""
        path = [idx]
        while self.parents[path[-1]] != NO_PARENT:
            path.append(self.parents[path[-1]])
        path.reverse()
        return path

    def trace_to(self, idx: int) -> Trace:
        """The concrete run from an initial state to (a state symmetric to) `idx`."""
        path = self.path_to(idx)
        known = max((k for k, j in enumerate(path) if j in self._runs), default=-1)
        if known < 0:
            steps = self.replay(path[0], ())
            self._runs[path[0]] = tuple(steps)
            known = 0
        else:
            steps = list(self._runs[path[known]])
        for j in path[known + 1 :]:
            steps.append(self.concrete_step(steps[-1].state, self.ordinals[j]))
            self._runs[j] = tuple(steps)
        return Trace(tuple(steps))

    def replay(self, first: int, ordinals: Sequence[int]) -> list[TraceStep]:
        """Replay action positions from the stored initial state `first`."""
        state = self.model.initial()[self.ordinals[first]]
        steps = [TraceStep(None, False, state)]
        for ordinal in ordinals:
            steps.append(self.concrete_step(steps[-1].state, ordinal))
        return steps

    def concrete_step(self, state: Any, ordinal: int) -> TraceStep:
        """Take, from a concrete state, the step the stored graph took from its class.

        Raises:
            CheckerError: no enabled action of `state` leads to that class, which only
                a `canonical` that is no symmetry can cause.
        """
        representative = self.represent(state)
        action, byzantine = self.model.enabled(representative)[ordinal]
        successor = self.model.step(representative, action)
        if not self.symmetry:
            return TraceStep(action, byzantine, successor)
        target = self.key(self.represent(successor))
        for candidate, byz in self.model.enabled(state):
            concrete = self.model.step(state, candidate)
            if self.key(self.represent(concrete)) == target:
                return TraceStep(candidate, byz, concrete)
        from model_check.engine import CheckerError  # pragma: no cover - the engine imports us

        raise CheckerError(  # pragma: no cover - only a broken canonical() gets here
            "canonical() is not a symmetry: no concrete step matches the representative's"
        )
