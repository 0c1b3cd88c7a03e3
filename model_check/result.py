"""What a model-checking run returns: traces, property verdicts and the counts."""

from __future__ import annotations

from typing import Any

import attrs

#: Kinds of property, as the JSON summary names them.
KINDS = ("invariant", "witness", "eventually", "leads_to", "deadlock")
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


#: The verdict of a whole run (`CheckResult.result`) and the exit code it ends with.
RESULTS = {
    "ok": 0,  # a complete exhaustive run: every property holds
    "violation": 1,  # some property is violated (or a witness unreached)
    "incomplete": 3,  # a cap (--max-states, --max-depth) stopped the run: nothing proved
    "no_violation_found": 0,  # a simulation's walks found nothing (as TLC's simulation)
    "interrupted": 130,  # Ctrl-C: the partial report, as a shell reports SIGINT
}


@attrs.frozen
class CheckResult:
    """Everything a run found; `result` is one of `RESULTS`."""

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
    interrupted: bool = False

    @property
    def result(self) -> str:
        """`violation` if any property failed; else `interrupted` after Ctrl-C,
        `no_violation_found` after a simulation, `incomplete` after a run that a cap
        stopped, and `ok` only after a complete exhaustive run."""
        if any(p.failed() for p in self.properties):
            return "violation"
        if self.interrupted:
            return "interrupted"
        if self.mode == "simulation":
            return "no_violation_found"
        return "ok" if self.complete else "incomplete"

    @property
    def exit_code(self) -> int:
        """The exit code of `coordspec check` for this result (`RESULTS`)."""
        return RESULTS[self.result]

    @property
    def counterexample(self) -> Counterexample | None:
        """The first counterexample found (the shortest one, in an exhaustive run)."""
        return self.counterexamples[0] if self.counterexamples else None
