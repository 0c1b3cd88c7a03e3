"""What a model-checking run returns: traces, property verdicts and the counts."""

from __future__ import annotations

from typing import Any

import attrs

#: Kinds of property, as the JSON summary names them.
KINDS = ("invariant", "witness", "eventually", "deadlock")
#: Verdicts: invariants and deadlock freedom hold or are violated; witnesses are reached
#: or unreached; `unknown` where the run stopped (first violation, a bound, the cap, a
#: simulation) before the property could be decided.
STATUSES = ("holds", "violated", "reached", "unreached", "unknown")


@attrs.frozen
class TraceStep:
    """One state of a trace and the action that led to it (`None` for the first)."""

    action: Any
    byzantine: bool
    state: Any


@attrs.frozen
class Trace:
    """A sequence of states; a lasso when `loop` is the index the last state returns to.

    A lasso whose `loop` is the last index stutters there forever (no fair action is
    enabled in that state).
    """

    steps: tuple[TraceStep, ...]
    loop: int | None = None

    def __len__(self) -> int:
        """The number of actions taken (the number of states minus one)."""
        return len(self.steps) - 1


@attrs.frozen
class PropertyStatus:
    """The verdict on one property."""

    name: str
    kind: str
    status: str
    summary: str
    trace_length: int | None = None

    def failed(self) -> bool:
        """Whether this verdict makes the run a violation."""
        return self.status in ("violated", "unreached")


@attrs.frozen
class Counterexample:
    """A trace that violates a property (or, for a deadlock, ends in one)."""

    property: str
    kind: str
    trace: Trace


@attrs.frozen
class CheckResult:
    """Everything a run found. `result` is `ok` or `violation`."""

    mode: str  # "exhaustive" | "simulation"
    distinct_states: int
    generated_states: int
    depth: int
    seconds: float
    properties: tuple[PropertyStatus, ...]
    counterexamples: tuple[Counterexample, ...]
    witness_traces: tuple[tuple[str, Trace], ...]
    complete: bool
    incomplete_reason: str | None
    symmetry: bool
    fingerprints: bool
    visited_bytes: int
    collision_calculated: float | None
    collision_observed: float | None

    @property
    def result(self) -> str:
        """`violation` if any property failed, else `ok`."""
        return "violation" if any(p.failed() for p in self.properties) else "ok"

    @property
    def counterexample(self) -> Counterexample | None:
        """The first counterexample found (the shortest one, in an exhaustive run)."""
        return self.counterexamples[0] if self.counterexamples else None
