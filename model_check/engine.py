"""The explicit-state model checker: breadth-first exploration of a `Model`.

Generic over the spec contract (`spec.core`); it knows no protocol. Breadth-first, so
the first violation found is at the least depth and its trace is a shortest one.

What is kept for each visited state, in fingerprint mode: its 64-bit fingerprint (in
`FingerprintSet`), the index of its BFS parent and the position of the action that led
to it in the parent's `enabled` list (`model_check.traces.Parents`). States themselves
live only in the queue. A trace is rebuilt by replaying those action positions from an
initial state, as TLC does. With `eventually` properties the whole explored graph is
kept as well (edges, the fairness classes enabled in each state, the goal bit of each
state), and liveness is decided on its strongly connected components
(`model_check.liveness`).

Symmetry: with `symmetry` on, each successor is replaced by `model.canonical(state)`
before it is looked up, so one representative per symmetry class is explored. Traces
are rebuilt as concrete runs (`model_check.traces`): each step looks for the concrete
action whose successor has the stored representative, so every trace printed replays
through `step`.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import time
from array import array
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import attrs

from model_check.diskset import SpillingFingerprintSet, observed_collision, visited_set
from model_check.fingerprint import (
    Canonicaliser,
    FingerprintSet,
    collision_probability,
)
from model_check.liveness import Graph, Lasso, find_lasso
from model_check.result import (
    CheckResult,
    Counterexample,
    PropertyStatus,
    Trace,
    TraceStep,
)
from model_check.traces import NO_PARENT, Parents
from spec.core import Eventually, GuardError, Invariant, Model, Witness

if TYPE_CHECKING:  # the checkpoint module imports this one; loaded when a run asks for it
    from model_check.checkpoint import Checkpointer, Snapshot

#: The visited set: fingerprints (in memory, or spilling to disk), or whole states.
VisitedSet = FingerprintSet | SpillingFingerprintSet | dict[Hashable, int]
FINGERPRINT_SETS = (FingerprintSet, SpillingFingerprintSet)

#: The summary of the deadlock property.
DEADLOCK = "no reachable state without an enabled action, but the proper ends"


class CheckerError(Exception):
    """The model broke the contract (an enabled action's guard failed, a bad state...)."""


class ModelError(CheckerError):
    """The model's own code raised an exception during the search (its `__cause__`)."""


def model_error(model: Model[Any, Any], err: Exception, action: Any, depth: int) -> ModelError:
    """One line naming the model, the exception, the action and the state's depth."""
    from model_check.report import show_action  # report imports nothing of the engine

    inner = getattr(model, "model", None)  # a wrapper's model (the diagrams wrap one)
    name = type(inner if isinstance(inner, Model) else model).__name__
    if action is None:
        where = f"in the initial states or the enabled actions of a state at depth {depth}"
    else:
        shown = show_action(action) if attrs.has(type(action)) else repr(action)
        where = f"in {shown} from a state at depth {depth}"
    text = str(err).strip().splitlines()
    detail = f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
    return ModelError(f"model error in {name}: {detail} ({where}; --debug shows the traceback)")


def take(model: Model[Any, Any], state: Any, action: Any) -> Any:
    """`model.step` on an action the model listed as enabled.

    Raises:
        CheckerError: the step's guard failed, so the model broke the contract.
    """
    try:
        return model.step(state, action)
    except GuardError as err:
        raise CheckerError(
            f"the model lists {action!r} as enabled but step rejects it: {err}"
        ) from None


@attrs.frozen
class Progress:
    """A progress report, handed to `Options.progress` about once a second."""

    distinct: int
    generated: int
    queue: int
    depth: int
    seconds: float

    @property
    def rate(self) -> float:
        """Generated states per second so far."""
        return self.generated / self.seconds if self.seconds > 0 else 0.0


@attrs.frozen
class Options:
    """How to explore.

    Attributes:
        max_depth: do not expand states this many steps from an initial state.
        max_states: stop once this many distinct states are stored (a safety cap; the
            result says the run is incomplete).
        fingerprints: store 64-bit fingerprints (True) or whole states (False: exact,
            for small runs).
        symmetry: reduce by `model.canonical`; None means the model's default.
        check_deadlock: report states with no enabled action that `terminal_ok` rejects.
        check_liveness: decide `eventually` properties (keeps the explored graph);
            without it they are reported `unknown` and memory stays at the visited set.
        stop_at_first: stop at the first invariant or deadlock violation (TLC's default);
            otherwise keep going and record the first counterexample of each property.
        progress: called with a `Progress` about every `progress_interval` seconds.
        on_edge: called with (state, action, byzantine, successor) for every transition
            explored by `check`, the successor kept inside the constraint and before
            symmetry reduction (the diagrams project the explored graph this way).
        memory: keep the fingerprints of the visited set within this many bytes; past
            it they spill to a sorted file on disk (`model_check.diskset`), with the
            same answers. None: all in memory.
    """

    max_depth: int | None = None
    max_states: int | None = None
    fingerprints: bool = True
    symmetry: bool | None = None
    check_deadlock: bool = True
    check_liveness: bool = True
    stop_at_first: bool = True
    progress: Callable[[Progress], None] | None = None
    progress_interval: float = 1.0
    on_edge: Callable[[Any, Any, bool, Any], None] | None = None
    memory: int | None = None


class _Explorer:
    """One breadth-first run; see the module docstring for what it stores."""

    def __init__(
        self,
        model: Model[Any, Any],
        options: Options,
        checkpoint: Checkpointer | None = None,
    ) -> None:
        self.model = model
        self.options = options
        self.checkpoint = checkpoint
        self.symmetry = model.symmetry_default if options.symmetry is None else options.symmetry
        self.symmetry = self.symmetry and model.has_symmetry()
        self.canon = Canonicaliser()
        self.invariants = list(model.invariants())
        self.witnesses = list(model.witnesses())
        # Without liveness no graph is kept: the visited set and the parents alone.
        self.liveness = list(model.eventually()) if options.check_liveness else []
        self.book = Parents(model, self.represent, self.key, self.symmetry)
        self.witness_found: dict[str, int] = {}
        self.violations: dict[str, tuple[str, int]] = {}  # property -> (kind, state index)
        # Liveness bookkeeping (only when there are `eventually` properties).
        self.graph = Graph() if self.liveness else None
        self.goals = [bytearray() for _ in self.liveness]
        self.premises = [bytearray() for _ in self.liveness]
        self.classes: dict[str, int] = {}
        known = model.action_classes()
        if known is not None:
            for prop in model.eventually():
                check_fairness_classes(prop, known, "the model's action classes")

    # -- keys -------------------------------------------------------------------------

    def key(self, state: Any) -> Hashable:
        """The visited-set key of a (canonical) state."""
        return self.canon.fingerprint(state) if self.options.fingerprints else state

    def represent(self, state: Any) -> Any:
        """The state explored in place of `state`."""
        return self.model.canonical(state) if self.symmetry else state

    def class_bit(self, action: Any) -> int:
        """The bit of an honest action's fairness class."""
        name = self.model.action_class(action)
        bit = self.classes.get(name)
        if bit is None:
            bit = self.classes[name] = 1 << len(self.classes)
        return bit

    def judge(self, state: Any, idx: int) -> bool:
        """Record what the state just stored as `idx` shows: its goal and premise bits,
        the witnesses it is the first to reach, the invariants it is the first to
        violate; return whether it violates one."""
        for k, prop in enumerate(self.liveness):
            self.goals[k].append(1 if prop.goal(state) else 0)
            if prop.premise is not None:
                self.premises[k].append(1 if prop.premise(state) else 0)
        for wit in self.witnesses:
            if wit.name not in self.witness_found and wit.reached(state):
                self.witness_found[wit.name] = idx
        violated = False
        for inv in self.invariants:
            if inv.name not in self.violations and not inv.holds(state):
                self.violations[inv.name] = ("invariant", idx)
                violated = True
        return violated

    # -- the search -------------------------------------------------------------------

    def run(self) -> CheckResult:
        started = time.monotonic()
        model, options = self.model, self.options
        saver = self.checkpoint
        # A resumed search starts from its snapshot (`model_check.checkpoint`).
        resumed = None if saver is None else saver.start(model, self.identity())
        earlier = 0.0 if resumed is None else resumed.seconds  # the segments before
        # The visited set gives each stored state's index (the graph's edges need it).
        visited: VisitedSet
        lookup: Callable[[Any], int]
        if resumed is not None:
            visited = resumed.visited
            self.restore(resumed)
        elif options.fingerprints:
            visited = visited_set(options.memory)
        else:
            visited = {}
        if isinstance(visited, FINGERPRINT_SETS):
            lookup = cast("Callable[[Any], int]", visited.index)
        else:
            table = visited
            lookup = lambda state: table.get(state, -1)  # noqa: E731
        queue: deque[Any] = deque() if resumed is None else resumed.queue
        generated = 0 if resumed is None else resumed.generated
        found = -1  # the index `admit` found or stored last, for the graph's edge
        parents, ordinals = self.book.parents, self.book.ordinals
        incomplete: str | None = None if resumed is None else resumed.incomplete
        stop = False

        def admit(state: Any, parent: int, ordinal: int, key: Hashable = None) -> bool:
            """Store a new state (its key, when the caller has it, is `key`); return
            False when the search must stop."""
            nonlocal incomplete, found
            if key is None:
                key = self.key(state)
            found = lookup(key)
            if found >= 0:
                return True
            found = len(parents)
            if isinstance(visited, FINGERPRINT_SETS):
                assert isinstance(key, int)
                visited.add(key)
            else:
                visited[key] = found
            idx = len(parents)
            parents.append(parent)
            ordinals.append(ordinal)
            queue.append(state)
            ok = not (self.judge(state, idx) and options.stop_at_first)
            if options.max_states is not None and len(parents) >= options.max_states:
                incomplete = f"the --max-states cap of {options.max_states} distinct states"
                return False
            return ok

        depth = 0 if resumed is None else resumed.depth
        level_end = 0 if resumed is None else resumed.level_end
        expanded = 0 if resumed is None else resumed.expanded
        interrupted = False
        action: Any = None  # the action being taken, for a model error's message
        watching = contextlib.ExitStack()  # SIGINT and SIGTERM ask for a snapshot
        if saver is not None:
            watching.enter_context(saver.watch())
        try:
            if resumed is None:
                for i, state in enumerate(model.initial()):
                    generated += 1
                    if model.constraint(state) and not admit(self.represent(state), NO_PARENT, i):
                        stop = True
                        break
                level_end = len(parents)

            next_report = started + options.progress_interval
            graph = self.graph
            on_edge = options.on_edge
            symmetry = self.symmetry
            while queue and not stop:
                # A safe point: the state before is expanded, the next not yet begun.
                if saver is not None and (expanded & saver.mask) == 0 and saver.due(expanded):
                    self.save(
                        saver,
                        visited=visited,
                        queue=queue,
                        generated=generated,
                        depth=depth,
                        level_end=level_end,
                        expanded=expanded,
                        incomplete=incomplete,
                        seconds=earlier + time.monotonic() - started,
                    )
                    if saver.stopping:
                        interrupted = stop = True
                        incomplete = saver.reason
                        break
                state = queue.popleft()
                idx = expanded
                expanded += 1
                if idx >= level_end:
                    depth += 1
                    level_end = len(parents)
                if options.progress is not None and (expanded & 255) == 0:
                    now = time.monotonic()
                    if now >= next_report:
                        next_report = now + options.progress_interval
                        options.progress(
                            Progress(len(parents), generated, len(queue), depth, now - started)
                        )
                action = None
                enabled = model.enabled(state)
                if not enabled:
                    if graph is not None:
                        graph.close_node(0)
                    if options.check_deadlock and not model.terminal_ok(state):
                        self.violations.setdefault("deadlock", ("deadlock", idx))
                        if options.stop_at_first:
                            break
                    continue
                if options.max_depth is not None and depth >= options.max_depth:
                    incomplete = f"the --max-depth bound of {options.max_depth} steps"
                    if graph is not None:
                        graph.close_node(0)
                    continue
                enabled_mask = 0
                for ordinal, (action, byzantine) in enumerate(enabled):
                    successor = take(model, state, action)
                    generated += 1
                    bit = 0
                    if graph is not None and not byzantine:
                        # WF_vars: only a step that changes the state enables or takes a class.
                        bit = self.class_bit(action)
                        if successor == state:
                            bit = 0
                        enabled_mask |= bit
                    if not model.constraint(successor):
                        continue
                    if on_edge is not None:
                        on_edge(state, action, byzantine, successor)
                    key = None
                    if symmetry:
                        # Only representatives are stored, and the representative of a
                        # representative is itself: a successor already stored as it is
                        # needs no canonicalisation (most successors are such repeats).
                        key = self.key(successor)
                        known = lookup(key)
                        if known >= 0:
                            if graph is not None:
                                graph.add_edge(known, ordinal, bit)
                            continue
                        canonical = self.represent(successor)
                        if canonical is not successor:
                            successor, key = canonical, None
                    if not admit(successor, idx, ordinal, key):
                        stop = True
                        break
                    if graph is not None:
                        graph.add_edge(found, ordinal, bit)
                if graph is not None and not stop:
                    graph.close_node(enabled_mask)

        except KeyboardInterrupt:  # Ctrl-C: stop here and report what is known
            interrupted = stop = True
            incomplete = "an interrupt (Ctrl-C)"
            self.book.trim()  # an interrupted `admit`
        except CheckerError:
            raise
        except Exception as err:  # the model's own code failed: say where
            raise model_error(model, err, action, depth) from err
        finally:
            watching.close()

        if (
            stop
            and not interrupted
            and options.check_deadlock
            and "deadlock" not in self.violations
        ):
            # An invariant broke one level down; a deadlock in the rest of this level
            # would be a shorter counterexample, so look at those states too.
            for k in range(max(level_end - expanded, 0)):
                state = queue[k]
                if not model.enabled(state) and not model.terminal_ok(state):
                    self.violations["deadlock"] = ("deadlock", expanded + k)
                    break
        if len(parents) > level_end:
            depth += 1  # states of the next level were stored before the search ended
        complete = not stop and not queue and incomplete is None and not self._stopped_early()
        if incomplete is None and not complete:
            incomplete = "the first violation (--continue goes on)"
        seconds = earlier + time.monotonic() - started
        result = self._result(
            generated=generated,
            depth=depth,
            seconds=seconds,
            complete=complete,
            incomplete=incomplete,
            visited=visited,
        )
        return attrs.evolve(result, interrupted=True) if interrupted else result

    # -- checkpoints ------------------------------------------------------------------

    def identity(self) -> dict[str, object]:
        """The options that change the result, as a checkpoint's manifest records them
        (`symmetry` as this run applies it)."""
        o = self.options
        return {
            "max_depth": o.max_depth,
            "max_states": o.max_states,
            "fingerprints": o.fingerprints,
            "symmetry": self.symmetry,
            "check_deadlock": o.check_deadlock,
            "check_liveness": o.check_liveness,
            "stop_at_first": o.stop_at_first,
        }

    def restore(self, snapshot: Snapshot) -> None:
        """Take the search's bookkeeping from a snapshot (`run` takes its locals)."""
        self.book.parents, self.book.ordinals = snapshot.parents, snapshot.ordinals
        self.graph = snapshot.graph
        self.goals, self.premises = snapshot.goals, snapshot.premises
        self.classes = snapshot.classes
        self.witness_found = snapshot.witness_found
        self.violations = snapshot.violations

    def save(
        self,
        saver: Checkpointer,
        *,
        visited: VisitedSet,
        queue: deque[Any],
        generated: int,
        depth: int,
        level_end: int,
        expanded: int,
        incomplete: str | None,
        seconds: float,
    ) -> None:
        """Write a snapshot of the search at a safe point of `run`'s loop.

        Raises:
            CheckpointError: it cannot be written, or the model has two classes of one
                qualified name, whose texts depend on the order the search met them.
        """
        from model_check.checkpoint import CheckpointError, Snapshot

        twins = sorted(name for name, seen in self.canon._names.items() if len(seen) > 1)
        if twins:
            raise CheckpointError(
                f"checkpoint: the model has two classes named {twins[0]} (a class made "
                "by a function called twice): their fingerprints depend on the order "
                "the search met them, which a resumed search cannot restore"
            )
        saver.save(
            Snapshot(
                visited=visited,
                queue=queue,
                parents=self.book.parents,
                ordinals=self.book.ordinals,
                graph=self.graph,
                goals=self.goals,
                premises=self.premises,
                classes=self.classes,
                witness_found=self.witness_found,
                violations=self.violations,
                generated=generated,
                depth=depth,
                level_end=level_end,
                expanded=expanded,
                incomplete=incomplete,
                seconds=seconds,
            )
        )

    def _stopped_early(self) -> bool:
        return self.options.stop_at_first and bool(self.violations)

    # -- verdicts ---------------------------------------------------------------------

    def _result(
        self,
        *,
        generated: int,
        depth: int,
        seconds: float,
        complete: bool,
        incomplete: str | None,
        visited: VisitedSet,
    ) -> CheckResult:
        counterexamples: list[Counterexample] = []
        for inv in self.invariants:
            found = self.violations.get(inv.name)
            if found is not None:
                trace = self.book.trace_to(found[1])
                counterexamples.append(Counterexample(inv.name, "invariant", trace))
        found = self.violations.get("deadlock")
        if self.options.check_deadlock and found is not None:
            trace = self.book.trace_to(found[1])
            counterexamples.append(Counterexample("deadlock", "deadlock", trace))
        witness_traces: list[tuple[str, Trace]] = []
        for wit in self.witnesses:
            idx = self.witness_found.get(wit.name)
            if idx is not None:
                witness_traces.append((wit.name, self.book.trace_to(idx)))
        # Absence of a violation proves something only when the run is complete.
        live = complete and self.graph is not None
        if live:
            counterexamples += self._lassos()
        properties = property_statuses(
            self.model,
            decided=complete,
            liveness_decided=live,
            check_deadlock=self.options.check_deadlock,
            counterexamples=counterexamples,
            witness_traces=dict(witness_traces),
        )
        counterexamples.sort(key=lambda c: len(c.trace.steps))
        distinct = len(self.book)
        fingerprints = self.options.fingerprints
        parents, ordinals = self.book.parents, self.book.ordinals
        kept = parents.itemsize * len(parents) + ordinals.itemsize * len(ordinals)
        observed: float | None = None
        visited_bytes = 0  # whole states (full-state mode) are not measured
        if isinstance(visited, FINGERPRINT_SETS):
            visited_bytes = kept + visited.nbytes()
            observed = observed_collision(visited)
        if visited_bytes and self.graph is not None:
            visited_bytes += self.graph.nbytes()
        calculated = collision_probability(distinct, generated) if fingerprints else None
        return CheckResult(
            mode="exhaustive",
            distinct_states=distinct,
            generated_states=generated,
            depth=depth,
            seconds=seconds,
            properties=properties,
            counterexamples=tuple(counterexamples),
            witness_traces=tuple(witness_traces),
            complete=complete,
            incomplete_reason=None if complete else incomplete,
            symmetry=self.symmetry,
            fingerprints=self.options.fingerprints,
            visited_bytes=visited_bytes,
            collision_calculated=calculated,
            collision_observed=observed,
        )

    def _lassos(self) -> list[Counterexample]:
        """A fair lasso avoiding the goal for each `eventually` property that has one."""
        assert self.graph is not None
        found: list[Counterexample] = []
        depths: array[int] | None = None
        for k, prop in enumerate(self.liveness):
            if self.model.action_classes() is None:
                check_fairness_classes(prop, self.classes, "the classes of the explored actions")
            fair = 0
            for name in prop.fairness:
                fair |= self.classes.get(name, 0)
            if prop.premise is None:
                lasso = find_lasso(self.graph, self.goals[k], self.book.initial_indices(), fair)
            else:
                if depths is None:
                    depths = self.book.depths()
                premise = self.premises[k]
                sources = [v for v in range(len(premise)) if premise[v]]
                lasso = find_lasso(
                    self.graph, self.goals[k], sources, fair, [depths[v] for v in sources]
                )
            if lasso is not None:
                trace = self.lasso_trace(lasso, prop, fair)
                found.append(Counterexample(prop.name, prop.kind, trace))
        return found

    # -- traces -----------------------------------------------------------------------

    def lasso_trace(self, lasso: Lasso, prop: Eventually[Any], fair: int) -> Trace:
        """The concrete lasso; its last state equals the state at its `loop` index.

        For `premise ~> goal` the trace first reaches the lasso's premise state along a
        shortest path from an initial state.
        """
        book = self.book
        path = book.path_to(lasso.prefix[0])
        ordinals = [book.ordinals[i] for i in path[1:]] + list(lasso.prefix_ordinals)
        steps = book.replay(path[0], ordinals)
        start = len(path) - 1  # where the goal-free part begins
        loop = len(steps) - 1
        if lasso.cycle_ordinals:
            start_key = self.key(steps[loop].state)
            for _ in range(64):
                for ordinal in lasso.cycle_ordinals:
                    steps.append(book.concrete_step(steps[-1].state, ordinal))
                if self.key(steps[-1].state) == start_key:
                    break
            else:  # pragma: no cover - only a broken canonical() gets here
                raise CheckerError("canonical() is not a symmetry: the lasso does not close")
        self.verify_lasso(steps, start, loop, prop, fair)
        return Trace(tuple(steps), loop)

    def verify_lasso(
        self, steps: list[TraceStep], start: int, loop: int, prop: Eventually[Any], fair: int
    ) -> None:
        """Check on the concrete trace that the lasso is a fair behaviour avoiding the goal.

        From `start` on (the initial state, or the premise state of `premise ~> goal`)
        no state is a goal state; every fair class is taken in the cycle by a step that
        changes the state, or is not enabled (no step of it changes the state) in some
        state of the cycle.

        Raises:
            CheckerError: it is not, which only a symmetry that does not respect the
                goal or the fairness classes can cause.
        """
        taken = 0
        for before, s in itertools.pairwise(steps[loop:]):
            if not s.byzantine and s.state != before.state:
                taken |= self.class_bit(s.action)
        disabled = 0
        for s in steps[loop:]:
            enabled = 0
            for action, byzantine in self.model.enabled(s.state):
                if not byzantine and self.model.step(s.state, action) != s.state:
                    enabled |= self.class_bit(action)
            disabled |= fair & ~enabled
        premise_missed = prop.premise is not None and not prop.premise(steps[start].state)
        if (
            premise_missed
            or any(prop.goal(s.state) for s in steps[start:])
            or fair & ~(taken | disabled)
        ):
            raise CheckerError(  # pragma: no cover - only a broken canonical() gets here
                "canonical() does not respect the goal or the fairness classes"
            )


def check_fairness_classes(prop: Eventually[Any], known: Iterable[str], where: str) -> None:
    """Every class a liveness property is fair to must be one the model's actions have.

    Raises:
        CheckerError: naming the property, the unknown class and the known ones.
    """
    names = list(known)
    for name in prop.fairness:
        if name not in names:
            listed = ", ".join(sorted(names)) or "none"
            raise CheckerError(
                f"model error: property {prop.name} is fair to the class {name!r}, "
                f"which is not among {where} ({listed})"
            )


def property_statuses(
    model: Model[Any, Any],
    *,
    decided: bool,
    liveness_decided: bool,
    check_deadlock: bool,
    counterexamples: Sequence[Counterexample],
    witness_traces: Mapping[str, Trace],
) -> tuple[PropertyStatus, ...]:
    """The verdict on every property of `model`, in its order: invariants, deadlock
    freedom (when checked), witnesses, then `eventually` properties.

    Args:
        decided: the run explored every reachable state, so a property without a
            counterexample holds and a witness without a trace is unreached (else both
            are `unknown`).
        liveness_decided: the `eventually` properties were decided (each without a
            counterexample holds; else they are `unknown`).
        check_deadlock: report deadlock freedom.
        counterexamples: the counterexample found for each violated property.
        witness_traces: the trace found to each reached witness.
    """
    violated = {c.property: len(c.trace) for c in counterexamples}
    properties: list[PropertyStatus] = []

    def verdict(name: str, kind: str, summary: str, known: bool, yes: str) -> None:
        if name in violated:
            properties.append(PropertyStatus(name, kind, "violated", summary, violated[name]))
        else:
            properties.append(PropertyStatus(name, kind, yes if known else "unknown", summary))

    invariants: Sequence[Invariant[Any]] = model.invariants()
    for inv in invariants:
        verdict(inv.name, "invariant", inv.summary, decided, "holds")
    if check_deadlock:
        verdict("deadlock", "deadlock", DEADLOCK, decided, "holds")
    witnesses: Sequence[Witness[Any]] = model.witnesses()
    for wit in witnesses:
        trace = witness_traces.get(wit.name)
        if trace is not None:
            properties.append(
                PropertyStatus(wit.name, "witness", "reached", wit.summary, len(trace))
            )
        else:
            status = "unreached" if decided else "unknown"
            properties.append(PropertyStatus(wit.name, "witness", status, wit.summary))
    for prop in model.eventually():
        verdict(prop.name, prop.kind, prop.summary, liveness_decided, "holds")
    return tuple(properties)


def check(
    model: Model[Any, Any],
    options: Options | None = None,
    checkpoint: Checkpointer | None = None,
) -> CheckResult:
    """Explore every reachable state of `model` breadth-first and judge its properties.

    With `checkpoint` (`model_check.checkpoint.Checkpointer`), the search writes
    snapshots as it goes, stops at one on SIGINT or SIGTERM, and may resume from one;
    the result is the uninterrupted search's (its `seconds`: the sum of the segments).

    Raises:
        CheckerError: the model broke the contract; `CheckpointError`: a checkpoint
            cannot be written or resumed.
    """
    return _Explorer(model, options or Options(), checkpoint).run()


def simulate(
    model: Model[Any, Any],
    runs: int,
    depth: int,
    seed: int,
    options: Options | None = None,
) -> CheckResult:
    """Check the same properties on `runs` random walks of at most `depth` steps.

    The walks are drawn from `random.Random(seed)`, so a seed always gives the same
    walks. Invariants and deadlocks found on a walk are violations with that walk as
    the trace (not a shortest one); witnesses are reached if some walk reaches them;
    liveness is not decided.
    """
    options = options or Options()
    started = time.monotonic()
    rng = random.Random(seed)
    canon = Canonicaliser()
    seen = FingerprintSet()
    invariants = list(model.invariants())
    witnesses = list(model.witnesses())
    # As in `check`, states outside the state constraint are neither kept nor explored:
    # a walk never starts in one and ends where its next step would leave the constraint.
    initial = [state for state in model.initial() if model.constraint(state)]
    generated = 0
    deepest = 0
    witness_traces: dict[str, Trace] = {}
    counterexample: Counterexample | None = None
    next_report = started + options.progress_interval

    def look(steps: list[TraceStep]) -> Counterexample | None:
        state = steps[-1].state
        seen.add(canon.fingerprint(state))
        for wit in witnesses:
            if wit.name not in witness_traces and wit.reached(state):
                witness_traces[wit.name] = Trace(tuple(steps))
        for inv in invariants:
            if not inv.holds(state):
                return Counterexample(inv.name, "invariant", Trace(tuple(steps)))
        return None

    interrupted = False
    action: Any = None
    steps: list[TraceStep] = []
    try:
        for _ in range(runs if initial else 0):
            steps = [TraceStep(None, False, rng.choice(initial))]
            generated += 1
            counterexample = look(steps)
            while counterexample is None and len(steps) - 1 < depth:
                state = steps[-1].state
                action = None
                enabled = model.enabled(state)
                if not enabled:
                    if options.check_deadlock and not model.terminal_ok(state):
                        counterexample = Counterexample("deadlock", "deadlock", Trace(tuple(steps)))
                    break
                action, byzantine = enabled[rng.randrange(len(enabled))]
                successor = take(model, state, action)
                generated += 1
                if not model.constraint(successor):
                    break
                steps.append(TraceStep(action, byzantine, successor))
                counterexample = look(steps)
            deepest = max(deepest, len(steps) - 1)
            if options.progress is not None and time.monotonic() >= next_report:
                next_report = time.monotonic() + options.progress_interval
                options.progress(
                    Progress(len(seen), generated, 0, deepest, time.monotonic() - started)
                )
            if counterexample is not None:
                break

    except KeyboardInterrupt:  # Ctrl-C: report the walks so far
        interrupted = True
    except CheckerError:
        raise
    except Exception as err:  # the model's own code failed: say where
        raise model_error(model, err, action, max(len(steps) - 1, 0)) from err

    properties = property_statuses(
        model,
        decided=False,
        liveness_decided=False,
        check_deadlock=options.check_deadlock,
        counterexamples=(counterexample,) if counterexample else (),
        witness_traces=witness_traces,
    )
    return CheckResult(
        mode="simulation",
        distinct_states=len(seen),
        generated_states=generated,
        depth=deepest,
        seconds=time.monotonic() - started,
        properties=properties,
        counterexamples=(counterexample,) if counterexample else (),
        witness_traces=tuple(
            (w.name, witness_traces[w.name]) for w in witnesses if w.name in witness_traces
        ),
        complete=False,
        incomplete_reason="an interrupt (Ctrl-C)"
        if interrupted
        else f"simulation: {runs} random walks of at most {depth} steps (seed {seed})",
        symmetry=False,
        fingerprints=True,
        visited_bytes=seen.nbytes(),
        collision_calculated=None,
        collision_observed=None,
        interrupted=interrupted,
    )
