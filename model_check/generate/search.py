"""The vector search: one breadth-first exploration that chooses the cases.

How cases are chosen (deterministic: the same model gives the same cases, whatever
`PYTHONHASHSEED`): the reachable states are explored breadth-first, in the checker's
order (symmetry-reduced when the model's default says so), so the first case found for
each action kind is one of the closest to an initial state. In every explored state

- every enabled action is a valid case for its kind (at most `cap` per kind, one per
  state);
- every candidate action (`GuardedModel.candidates`), each candidate with one field
  perturbed, and for an action kind with no candidate in the state a made-up instance
  of it (`model_check.generate.probes`), is applied to the state: a `GuardError` is a
  rejection case for the guard it names (at most one per guard and action kind, `cap`
  per guard).

The exploration stops at the end of the breadth-first level in which every action kind,
every declared guard (`spec.core.declared_guards`) and every witness has a case, at the
end of the state space, or after `max_states` states. Anything not covered is reported
with the evidence: an action kind never enabled, with the guards that rejected it; a
guard never failing. Each case is then moved to the end of a concrete run from an
initial state (its history, `model_check.traces`).

A perturbed action that `step` accepts although the model does not list it as enabled,
or on which `step` raises anything but `GuardError`, breaks the spec contract; those are
reported as findings, never made cases.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from model_check.event_codec import event_table, plain
from model_check.generate.probes import made_up, perturbed
from model_check.generate.vectors import (
    COVERED,
    DEFAULT_CAP,
    DEFAULT_MAX_STATES,
    EXHAUSTED,
    Case,
    Coverage,
    EventCase,
    GenerateError,
    Json,
    MultiStep,
    Uncovered,
    Vectors,
)
from model_check.itf import ItfError, action_classes
from model_check.report import show_action
from model_check.result import Trace
from model_check.traces import NO_PARENT, Parents
from spec.core import (
    Config,
    GuardedModel,
    GuardError,
    Model,
    action_name,
    declared_guards,
)

#: Findings kept in full (the rest are counted).
_FINDINGS_SHOWN = 5


def kinds_of(model: Model[Any, Any]) -> dict[str, type]:
    """The model's action classes by action name (empty when its class does not say)."""
    try:
        return action_classes(model)
    except ItfError:
        return {}


def config_json(config: object) -> dict[str, Json]:
    """A configuration's parameters as JSON (fractions as "p/q", lists for tuples)."""
    if not isinstance(config, Config):
        return {}
    return {k: plain(v) for k, v in config.as_dict().items()}


@attrs.define
class _Search:
    """One breadth-first exploration that collects cases (see the module docstring)."""

    model: Model[Any, Any]
    cap: int
    max_states: int
    symmetry: bool
    kinds: tuple[str, ...]
    classes: tuple[type, ...]
    guards: tuple[str, ...]
    states: list[Any] = attrs.field(factory=list)
    depths: list[int] = attrs.field(factory=list)
    index: dict[Any, int] = attrs.field(factory=dict)
    valid: dict[str, list[Case]] = attrs.field(factory=dict)
    rejected: dict[str, list[Case]] = attrs.field(factory=dict)
    rejected_kinds: dict[tuple[str, str], int] = attrs.field(factory=dict)
    rejecting: dict[str, list[str]] = attrs.field(factory=dict)  # kind -> guards seen
    witness_at: dict[str, int] = attrs.field(factory=dict)
    findings: list[str] = attrs.field(factory=list)
    findings_total: int = 0
    finding_keys: set[tuple[str, str]] = attrs.field(factory=set)
    made: dict[type, list[Any]] = attrs.field(factory=dict)
    book: Parents = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.book = Parents(self.model, self.represent, lambda state: state, self.symmetry)

    def represent(self, state: Any) -> Any:
        return self.model.canonical(state) if self.symmetry else state

    def admit(self, state: Any, parent: int, ordinal: int, depth: int) -> None:
        if not self.model.constraint(state):
            return
        rep = self.represent(state)
        if rep in self.index or len(self.states) >= self.max_states:
            return
        self.index[rep] = self.book.add(parent, ordinal)
        self.states.append(rep)
        self.depths.append(depth)
        for w in self.model.witnesses():
            if w.name not in self.witness_at and w.reached(rep):
                self.witness_at[w.name] = len(self.states) - 1

    def done(self) -> bool:
        if any(not self.valid.get(k) for k in self.kinds):
            return False
        if any(not self.rejected.get(g) for g in self.guards):
            return False
        return all(w.name in self.witness_at for w in self.model.witnesses())

    def run(self) -> str:
        for ordinal, state in enumerate(self.model.initial()):
            self.admit(state, NO_PARENT, ordinal, 0)
        level_end = len(self.states)
        covered_at: int | None = None
        i = 0
        while i < len(self.states):
            if i == level_end:
                if covered_at is not None:
                    return COVERED
                level_end = len(self.states)
            self.visit(i)
            if covered_at is None and self.done():
                covered_at = i
            i += 1
        if len(self.states) >= self.max_states:
            return f"the --max-states bound of {self.max_states} states"
        return EXHAUSTED

    def visit(self, i: int) -> None:
        state, depth = self.states[i], self.depths[i]
        enabled = self.model.enabled(state)
        listed = [a for a, _ in enabled]
        seen_kinds: set[str] = set()
        for ordinal, (action, byzantine) in enumerate(enabled):
            successor = self.model.step(state, action)
            kind = action_name(action)
            cases = self.valid.setdefault(kind, [])
            if kind not in seen_kinds and len(cases) < self.cap:
                seen_kinds.add(kind)
                name = f"valid_{len(cases)}"
                cases.append(
                    Case(kind, name, state, action, successor, True, depth, byzantine, index=i)
                )
            self.admit(successor, i, ordinal, depth + 1)
        self.probe(i, listed)

    def probes(self, state: Any, listed: Sequence[Any]) -> Iterator[tuple[Any, bool]]:
        """(action, perturbed) pairs to try in `state`, each once, in a fixed order: the
        candidates not enabled, then one field perturbed in the first enabled action and
        the first candidate of each kind (or in made-up actions of a kind with none)."""
        model = self.model
        candidates = list(model.candidates(state)) if isinstance(model, GuardedModel) else []
        seen = {(type(a), repr(a)) for a in listed}
        for action in candidates:
            key = (type(action), repr(action))
            if key not in seen:
                seen.add(key)
                yield action, False
        bases: dict[type, list[Any]] = {}
        for action in [*listed, *candidates]:
            bases.setdefault(type(action), [action])
        for cls in self.classes:
            if cls not in bases:
                bases[cls] = self.made_up(cls)
        for base in (b for group in bases.values() for b in group):
            for action in perturbed(base):
                key = (type(action), repr(action))
                if key not in seen:
                    seen.add(key)
                    yield action, True

    def made_up(self, cls: type) -> list[Any]:
        """`probes.made_up(cls)`, computed once."""
        made = self.made.get(cls)
        if made is None:
            made = self.made[cls] = made_up(cls)
        return made

    def try_action(self, state: Any, action: Any) -> None:
        """Raise `GuardError` if `action` must be rejected in `state` (the guard alone,
        for a `GuardedModel`; `step` otherwise)."""
        if isinstance(self.model, GuardedModel):
            self.model.guard(state, action)
        else:
            self.model.step(state, action)

    def probe(self, i: int, listed: list[Any]) -> None:
        state = self.states[i]
        for action, was_perturbed in self.probes(state, listed):
            kind = action_name(action)
            try:
                self.try_action(state, action)
            except GuardError as err:
                self.reject(i, action, err, was_perturbed)
                continue
            except Exception as err:
                problem = f"raised {type(err).__name__} ({err}), not GuardError"
                self.finding(kind, type(err).__name__, f"{show_action(action)}: {problem}")
                continue
            if action not in listed:
                problem = "passes the guards, but the model does not list it as enabled"
                self.finding(kind, "accepted", f"{show_action(action)}: {problem}")

    def reject(self, i: int, action: Any, err: GuardError, was_perturbed: bool) -> None:
        kind, guard = action_name(action), err.guard
        seen = self.rejecting.setdefault(kind, [])
        if guard not in seen:
            seen.append(guard)
        cases = self.rejected.setdefault(guard, [])
        if len(cases) >= self.cap or (guard, kind) in self.rejected_kinds:
            return
        self.rejected_kinds[(guard, kind)] = len(cases)
        name = f"reject_{guard}"
        cases.append(
            Case(
                kind,
                name,
                self.states[i],
                action,
                None,
                False,
                self.depths[i],
                False,
                guard,
                err.reason,
                was_perturbed,
                index=i,
            )
        )

    def finding(self, kind: str, category: str, text: str) -> None:
        self.findings_total += 1
        key = (kind, category)
        if key in self.finding_keys or len(self.findings) >= _FINDINGS_SHOWN:
            return
        self.finding_keys.add(key)
        self.findings.append(text)

    # -- moving the cases to concrete runs --------------------------------------------

    def trace_to(self, i: int) -> Trace:
        """The concrete run to the state stored at `i` (found again under symmetry)."""
        return self.book.trace_to(i)

    def concretise(self, case: Case) -> Case:
        """The case moved to the end of a concrete run from an initial state (its history).

        Under symmetry the run ends in a state symmetric to the case's (a representative);
        the case is then taken again there: the enabled action of its kind that leads to
        the same class, or the candidate of its kind that fails the same guard. A case
        that cannot be moved keeps its state and has no history.
        """
        trace = self.trace_to(case.index)
        state = trace.steps[-1].state
        if state == case.pre:
            return attrs.evolve(case, history=trace)
        listed = self.model.enabled(state)
        if case.valid:
            target = self.represent(case.post)
            for action, byzantine in listed:
                if action_name(action) == case.kind:
                    successor = self.model.step(state, action)
                    if self.represent(successor) == target:
                        return attrs.evolve(
                            case,
                            pre=state,
                            action=action,
                            post=successor,
                            byzantine=byzantine,
                            history=trace,
                        )
            return case  # pragma: no cover - only a canonical() that is no symmetry
        for action, was_perturbed in self.probes(state, [a for a, _ in listed]):
            if action_name(action) != case.kind:
                continue
            try:
                self.try_action(state, action)
            except GuardError as err:
                if err.guard == case.guard:
                    return attrs.evolve(
                        case,
                        pre=state,
                        action=action,
                        reason=err.reason,
                        perturbed=was_perturbed,
                        history=trace,
                    )
            except Exception:  # reported as a finding by `probe`
                continue
        return case

    def first_rejection(self, state: Any) -> tuple[Any, GuardError] | None:
        listed = [a for a, _ in self.model.enabled(state)]
        for action, _ in self.probes(state, listed):
            try:
                self.try_action(state, action)
            except GuardError as err:
                return action, err
            except Exception:  # reported as a finding by `probe`
                continue
        return None


def generate(
    protocol: str,
    model: Model[Any, Any],
    config: object = None,
    *,
    cap: int = DEFAULT_CAP,
    max_states: int = DEFAULT_MAX_STATES,
    symmetry: bool | None = None,
) -> Vectors:
    """Explore `model` breadth-first and choose its test vectors.

    Args:
        protocol: the protocol's name (the top directory of the cases).
        model: the model to explore.
        config: its configuration (written to the manifest).
        cap: the most valid cases per action kind and rejections per guard.
        max_states: the most states explored.
        symmetry: explore symmetry-reduced (None: the model's default).

    Raises:
        GenerateError: `cap` or `max_states` below 1.
    """
    if cap < 1 or max_states < 1:
        raise GenerateError("--cap and --max-states must be at least 1")
    use_symmetry = model.symmetry_default if symmetry is None else symmetry
    classes = kinds_of(model)
    declared = declared_guards(model)
    search = _Search(
        model=model,
        cap=cap,
        max_states=max_states,
        symmetry=use_symmetry and model.has_symmetry(),
        kinds=tuple(classes),
        classes=tuple(classes.values()),
        guards=tuple(g.name for g in declared),
    )
    stopped = search.run()
    kinds = list(search.kinds)
    for kind in search.valid:
        if kind not in kinds:
            kinds.append(kind)
    cases: list[Case] = []
    for kind in kinds:
        cases += search.valid.get(kind, [])
    for guard in sorted(search.rejected):
        cases += search.rejected[guard]  # one per guard and action kind: the name is unique
    cases = [search.concretise(case) for case in cases]
    multi = []
    for w in model.witnesses():
        if w.name in search.witness_at:
            trace = search.trace_to(search.witness_at[w.name])
            multi.append(MultiStep(w.name, trace, search.first_rejection(trace.steps[-1].state)))
    event_cases = _event_cases(model)
    all_guards = sorted({*search.guards, *search.rejected})
    bound = {g.name for g in declared if g.bound}
    covered_kinds = [k for k in kinds if search.valid.get(k)]
    uncovered = [
        Uncovered(k, _why_action(search, k, stopped)) for k in kinds if not search.valid.get(k)
    ]
    uncovered += [
        Uncovered(g, f"no action failed it in {_explored(search, stopped)}")
        for g in all_guards
        if not search.rejected.get(g)
    ]
    witnesses = tuple(w.name for w in model.witnesses())
    uncovered += [
        Uncovered(w, f"witness not reached in {_explored(search, stopped)}")
        for w in witnesses
        if w not in search.witness_at
    ]
    coverage = Coverage(
        actions=tuple(kinds),
        actions_covered=tuple(covered_kinds),
        guards=tuple(all_guards),
        guards_covered=tuple(g for g in all_guards if search.rejected.get(g)),
        guards_bound=tuple(g for g in all_guards if g in bound),
        event_guards=tuple(c.guard for c in event_cases),
        witnesses=witnesses,
        witnesses_covered=tuple(w for w in witnesses if w in search.witness_at),
        uncovered=tuple(uncovered),
    )
    return Vectors(
        protocol=protocol,
        config=config_json(config),
        cases=tuple(cases),
        event_cases=tuple(event_cases),
        multi_step=tuple(multi),
        coverage=coverage,
        explored=len(search.states),
        depth=max(search.depths, default=0),
        complete=stopped == EXHAUSTED,
        stopped=stopped,
        symmetry=search.symmetry,
        cap=cap,
        max_states=max_states,
        findings=tuple(search.findings),
        findings_total=search.findings_total,
    )


def _why_action(search: _Search, kind: str, stopped: str) -> str:
    guards = search.rejecting.get(kind, [])
    rejected = f"; rejected by {', '.join(sorted(guards))}" if guards else ""
    return f"never enabled in {_explored(search, stopped)}{rejected}"


def _explored(search: _Search, stopped: str) -> str:
    return f"the {len(search.states)} states explored (stopped: {stopped})"


def _event_cases(model: Model[Any, Any]) -> list[EventCase]:
    """Rejections of the seed's event decoding: an unknown event type, malformed data."""
    table = event_table(model)
    if table.decode is None or not table.events:
        return []
    pre = model.initial()[0]
    result = []
    first = next(iter(table.events))
    tries: tuple[tuple[str, str, dict[str, object]], ...] = (
        ("unknown_event_type", "no_such_event", {}),
        ("malformed_event_data", first, {"no_such_field": 1}),
    )
    for name, event_type, data in tries:
        try:
            table.decode(event_type, data)
        except GuardError as err:
            event = {"event_type": event_type, "event_data": data}
            result.append(EventCase(name, pre, event, err.guard, err.reason))
    return result
