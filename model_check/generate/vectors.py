"""What `generate` finds: the cases, the coverage, and the constants of the format."""

from __future__ import annotations

from typing import Any

import attrs

from model_check.result import Trace
from spec.core import GuardError

Json = Any

#: The most cases written for one action kind (valid ones) and for one guard.
DEFAULT_CAP = 3
#: The most states explored (a bound on time; the manifest says whether it was reached).
DEFAULT_MAX_STATES = 50_000
#: Why the search stopped: `Vectors.stopped` (or the --max-states bound).
COVERED = "everything covered"
EXHAUSTED = "the end of the state space"
#: Format name and version written in the manifest.
FORMAT = "coordspec-vectors"
VERSION = 3
#: The manifest's file name, in DIR.
MANIFEST = "manifest.json"
#: Directories of the cases that are not one action kind's (never an action's name).
MULTI_STEP = "_multi_step"
EVENTS_DIR = "_events"


class GenerateError(Exception):
    """The vectors cannot be generated or written (bad output directory, ...)."""


@attrs.frozen
class Case:
    """One single-step vector: an event applied to a reachable state."""

    kind: str
    name: str
    pre: Any
    action: Any
    post: Any
    valid: bool
    depth: int
    byzantine: bool = False
    guard: str | None = None
    reason: str | None = None
    perturbed: bool = False
    index: int = attrs.field(default=-1, eq=False)  # the pre state's place in the search
    history: Trace | None = attrs.field(default=None, eq=False)  # a run from init to pre


@attrs.frozen
class EventCase:
    """A vector for the seed's event decoding: an event that has no action."""

    name: str
    pre: Any
    event: dict[str, Json]
    guard: str
    reason: str


@attrs.frozen
class MultiStep:
    """The shortest run to a witness, then one event that must be rejected there."""

    name: str
    trace: Trace
    rejected: tuple[Any, GuardError] | None


@attrs.frozen
class Uncovered:
    """An action kind or guard without a case, and the evidence why."""

    name: str
    why: str


@attrs.frozen
class Coverage:
    """What the cases cover, of what the model declares.

    `guards_bound` are the guards (of `guards`) declared as a bound of the model
    (`spec.core.Guard.bound`), not a rule of the protocol.
    """

    actions: tuple[str, ...]
    actions_covered: tuple[str, ...]
    guards: tuple[str, ...]
    guards_covered: tuple[str, ...]
    guards_bound: tuple[str, ...]
    event_guards: tuple[str, ...]
    witnesses: tuple[str, ...]
    witnesses_covered: tuple[str, ...]
    uncovered: tuple[Uncovered, ...]


@attrs.frozen
class Vectors:
    """Everything `generate` found, ready to be written."""

    protocol: str
    config: dict[str, Json]
    cases: tuple[Case, ...]
    event_cases: tuple[EventCase, ...]
    multi_step: tuple[MultiStep, ...]
    coverage: Coverage
    explored: int
    depth: int
    complete: bool
    stopped: str
    symmetry: bool
    cap: int
    max_states: int
    findings: tuple[str, ...]
    findings_total: int
