"""Test vectors for other implementations: what `coordspec generate` writes.

The layout follows the Ethereum consensus-specs test formats (STYLE.md): one directory
per case, `DIR/<protocol>/<action>/<case>/`, holding

- `pre.json`: the spec state before the event, as an ITF state record (one entry per
  state variable, values in ITF: `{"#bigint": ...}`, `#set`, `#map`, ...);
- `action.json`: the event: `mbt::actionTaken` and `mbt::nondetPicks` as Quint's `--mbt`
  mode writes them, the seed's `event_type`/`event_data` form where the protocol module
  has one (its `EVENTS` table, the inverse of its `from_event`), and the verdict:
  `"valid": true`, or `"valid": false` with the `guard` that rejects the event and the
  spec's `reason` (from its `GuardError`);
- `post.json`: the state after the event, present exactly when the event is valid
  (consensus-specs: "post absent when the input must be rejected").
- `history.itf.json`: a shortest run from an initial state to `pre`, as an ITF trace,
  for implementations that can only reach a state by replaying events.

Multi-step cases (`DIR/<protocol>/_multi_step/<witness>/`) are the shortest run to each of
the model's witnesses: `pre.json` (the initial state), `steps.json` (the events in order,
each marked `valid`, each valid one with the state it leads to, ending with one event
that must be rejected there), `post.json`, the same run as ITF (`trace.itf.json`) and,
where the protocol has the seed's event form, as a JSON Lines event log (`events.jsonl`).
Cases for the seed's event decoding (an unknown event type, malformed event data) are
under `DIR/<protocol>/_events/`. `DIR/manifest.json` lists the configuration, every case
with its files, the counts per action and per guard, and the coverage. The JSON Schemas
of all these files are in `model_check/schemas/`.

How cases are chosen (deterministic: the same command writes the same bytes, whatever
`PYTHONHASHSEED`): the reachable states are explored breadth-first, in the checker's
order (symmetry-reduced when the model's default says so), so the first case found for
each action kind is one of the closest to an initial state. In every explored state

- every enabled action is a valid case for its kind (at most `cap` per kind, one per
  state);
- every candidate action (`GuardedModel.candidates`), each candidate with one field
  perturbed (`-1`, `+1`, out of range, a value of the wrong type), and for an action
  kind with no candidate in the state a made-up instance of it, is applied to the state:
  a `GuardError` is a rejection case for the guard it names (at most one per guard and
  action kind, `cap` per guard).

The exploration stops at the end of the breadth-first level in which every action kind,
every guard and every witness has a case, at the end of the state space, or after
`max_states` states. The guards of a model are the names its `GuardError`s are raised
with in the model class's source; a raise marked `pragma: no cover` is declared
unreachable by the spec's authors and counted apart. Anything not covered is reported
with the evidence: an action kind never enabled, with the guards that rejected it; a
guard never failing.

A perturbed action that `step` accepts although the model does not list it as enabled,
or on which `step` raises anything but `GuardError`, breaks the spec contract; those are
reported as findings, never written as cases.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
import sys
import textwrap
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from model_check.fingerprint import Canonicaliser
from model_check.itf import ItfError, action_classes, encode_trace, encode_value, state_vars
from model_check.report import show_action
from model_check.result import Trace, TraceStep
from model_check.schemas import definition, validate
from spec.core import (
    Config,
    GuardedModel,
    GuardError,
    Model,
    action_args,
    action_name,
    record_fields,
)

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
VERSION = 1
#: Directories of the cases that are not one action kind's (never an action's name).
MULTI_STEP = "_multi_step"
EVENTS_DIR = "_events"
#: Findings kept in full (the rest are counted).
_FINDINGS_SHOWN = 5


class GenerateError(Exception):
    """The vectors cannot be generated or written (bad output directory, ...)."""


# --- what a model declares --------------------------------------------------------------


def kinds_of(model: Model[Any, Any]) -> dict[str, type]:
    """The model's action classes by action name (empty when its class does not say)."""
    try:
        return action_classes(model)
    except ItfError:
        return {}


@attrs.frozen
class GuardNames:
    """The guards named in a model's source: those it can raise, and those marked
    unreachable (`pragma: no cover`) by the spec's authors."""

    reachable: tuple[str, ...]
    unreachable: tuple[str, ...]


def guard_names(model: Model[Any, Any]) -> GuardNames:
    """The names `GuardError(action, guard, reason)` is raised with in the model's class.

    The class bodies of the model's class and its bases (outside `spec.core`) are read:
    a guard given as a string literal, as `a if c else b`, or as a local variable
    assigned such values, is found; others are not.
    """
    found: dict[str, bool] = {}  # name -> marked unreachable (every raise of it)
    for cls in type(model).__mro__:
        if cls.__module__ in ("spec.core", "builtins", "abc", "typing"):
            continue
        try:
            source = textwrap.dedent(inspect.getsource(cls))
        except (OSError, TypeError):
            continue
        lines = source.splitlines()
        tree = ast.parse(source)
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            assigned = _assignments(func)
            for node in ast.walk(func):
                if not _is_guard_error(node):
                    continue
                assert isinstance(node, ast.Call)
                arg = _guard_argument(node)
                if arg is None:
                    continue
                span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
                marked = any("pragma: no cover" in line for line in span)
                for name in _strings(arg, assigned):
                    found[name] = found.get(name, True) and marked
    reachable = tuple(sorted(n for n, marked in found.items() if not marked))
    unreachable = tuple(sorted(n for n, marked in found.items() if marked))
    return GuardNames(reachable, unreachable)


def _is_guard_error(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "GuardError"


def _guard_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "guard":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _assignments(func: ast.AST) -> dict[str, list[ast.expr]]:
    result: dict[str, list[ast.expr]] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    result.setdefault(target.id, []).append(node.value)
    return result


def _strings(expr: ast.expr, assigned: Mapping[str, list[ast.expr]], depth: int = 0) -> list[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        return _strings(expr.body, assigned, depth) + _strings(expr.orelse, assigned, depth)
    if isinstance(expr, ast.Name) and depth < 4:
        return [
            s for value in assigned.get(expr.id, []) for s in _strings(value, assigned, depth + 1)
        ]
    return []


def _event_table(model: Model[Any, Any]) -> tuple[Mapping[str, type], Callable[..., Any] | None]:
    """The protocol module's seed event table (`EVENTS`) and `from_event`, if any."""
    module = sys.modules.get(type(model).__module__)
    events = getattr(module, "EVENTS", None)
    decode = getattr(module, "from_event", None)
    if not isinstance(events, Mapping):
        return {}, None
    return events, decode if callable(decode) else None


# --- JSON forms ---------------------------------------------------------------------------


def state_record(state: object, canon: Canonicaliser | None = None) -> dict[str, Json]:
    """A state as an ITF state record: one entry per state variable (`state_vars`)."""
    canon = canon or Canonicaliser()
    if attrs.has(type(state)):
        return {k: encode_value(v, canon) for k, v in record_fields(state).items()}
    return {state_vars(state)[0]: encode_value(state, canon)}


def plain(value: object) -> Json:
    """A value in the seed's event data: JSON scalars, lists; a Fraction as "p/q"."""
    if isinstance(value, bool | str | int) or value is None:
        return value
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return encode_value(value)


def event_form(events: Mapping[str, type], action: object) -> dict[str, Json] | None:
    """The seed's `{"event_type", "event_data"}` of an action, if it has an event name."""
    for event_type, cls in events.items():
        if type(action) is cls:
            data = {k: plain(v) for k, v in action_args(action).items()}
            return {"event_type": event_type, "event_data": data}
    return None


def event_action(model: Model[Any, Any], event: Mapping[str, Json]) -> Any:
    """The action of an event in the seed's form (the inverse of `event_form`).

    Values are converted by the action class's field types where they fit (a "p/q"
    string for a Fraction, a list for a tuple); the protocol module's `from_event` then
    builds the action.

    Raises:
        GuardError: from `from_event` (an unknown event type, malformed data).
        GenerateError: the protocol has no event form.
    """
    events, decode = _event_table(model)
    if decode is None:
        raise GenerateError(f"{type(model).__name__} has no seed event form (EVENTS, from_event)")
    data = dict(event["event_data"])
    cls = events.get(event["event_type"])
    if cls is not None and attrs.has(cls):
        hints = typing.get_type_hints(cls)
        for name, value in data.items():
            data[name] = _from_plain(value, hints.get(name))
    return decode(event["event_type"], data)


def _from_plain(value: Json, hint: object) -> Json:
    if hint is Fraction and isinstance(value, str) and re.fullmatch(r"-?\d+/\d+", value):
        return Fraction(value)
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        return tuple(value)
    return value


def action_json(action: object, canon: Canonicaliser | None = None) -> dict[str, Json]:
    """An action as Quint's `--mbt` mode writes it: `mbt::actionTaken`, `mbt::nondetPicks`."""
    canon = canon or Canonicaliser()
    picks = {
        k: {"tag": "Some", "value": encode_value(v, canon)} for k, v in action_args(action).items()
    }
    return {"mbt::actionTaken": action_name(action), "mbt::nondetPicks": picks}


def config_json(config: object) -> dict[str, Json]:
    """A configuration's parameters as JSON (fractions as "p/q", lists for tuples)."""
    if not isinstance(config, Config):
        return {}
    return {k: plain(v) for k, v in config.as_dict().items()}


# --- the vectors --------------------------------------------------------------------------


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
    """What the cases cover, of what the model declares."""

    actions: tuple[str, ...]
    actions_covered: tuple[str, ...]
    guards: tuple[str, ...]
    guards_covered: tuple[str, ...]
    guards_unreachable: tuple[str, ...]
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


def _zero(hint: object, one: bool) -> object:
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
            value = _zero(member, one)
            if value is not None:
                return value
    return None


def _made_up(cls: type) -> list[Any]:
    """Instances of an action class with every field 0 (then 1), where the types allow."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # pragma: no cover - a class whose annotations do not resolve
        return []
    result: list[Any] = []
    for one in (False, True):
        values = {}
        for field in attrs.fields(cls):
            value = _zero(hints.get(field.name), one)
            if value is None:
                return result
            values[field.name] = value
        result.append(cls(**values))
    return result


def _perturbations(value: object) -> list[object]:
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


def _perturbed(action: Any) -> Iterator[Any]:
    for name, value in action_args(action).items():
        for other in _perturbations(value):
            if other == value and type(other) is type(value):
                continue
            try:
                yield attrs.evolve(action, **{name: other})
            except (TypeError, ValueError):  # pragma: no cover - a validating action class
                continue


@attrs.define
class _Search:
    """One breadth-first exploration that collects cases (see the module docstring)."""

    model: Model[Any, Any]
    cap: int
    max_states: int
    symmetry: bool
    kinds: tuple[str, ...]
    classes: tuple[type, ...]
    guards: GuardNames
    states: list[Any] = attrs.field(factory=list)
    parents: list[int] = attrs.field(factory=list)
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
    concrete: dict[int, tuple[TraceStep, ...]] = attrs.field(factory=dict)

    def represent(self, state: Any) -> Any:
        return self.model.canonical(state) if self.symmetry else state

    def admit(self, state: Any, parent: int, depth: int) -> None:
        if not self.model.constraint(state):
            return
        rep = self.represent(state)
        if rep in self.index or len(self.states) >= self.max_states:
            return
        self.index[rep] = len(self.states)
        self.states.append(rep)
        self.parents.append(parent)
        self.depths.append(depth)
        for w in self.model.witnesses():
            if w.name not in self.witness_at and w.reached(rep):
                self.witness_at[w.name] = len(self.states) - 1

    def done(self) -> bool:
        if any(not self.valid.get(k) for k in self.kinds):
            return False
        if any(not self.rejected.get(g) for g in self.guards.reachable):
            return False
        return all(w.name in self.witness_at for w in self.model.witnesses())

    def run(self) -> str:
        for state in self.model.initial():
            self.admit(state, -1, 0)
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
        for action, byzantine in enabled:
            successor = self.model.step(state, action)
            kind = action_name(action)
            cases = self.valid.setdefault(kind, [])
            if kind not in seen_kinds and len(cases) < self.cap:
                seen_kinds.add(kind)
                name = f"valid_{len(cases)}"
                cases.append(
                    Case(kind, name, state, action, successor, True, depth, byzantine, index=i)
                )
            self.admit(successor, i, depth + 1)
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
            for action in _perturbed(base):
                key = (type(action), repr(action))
                if key not in seen:
                    seen.add(key)
                    yield action, True

    def made_up(self, cls: type) -> list[Any]:
        """`_made_up(cls)`, computed once."""
        made = self.made.get(cls)
        if made is None:
            made = self.made[cls] = _made_up(cls)
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
        for action, perturbed in self.probes(state, listed):
            kind = action_name(action)
            try:
                self.try_action(state, action)
            except GuardError as err:
                self.reject(i, action, err, perturbed)
                continue
            except Exception as err:
                problem = f"raised {type(err).__name__} ({err}), not GuardError"
                self.finding(kind, type(err).__name__, f"{show_action(action)}: {problem}")
                continue
            if action not in listed:
                problem = "passes the guards, but the model does not list it as enabled"
                self.finding(kind, "accepted", f"{show_action(action)}: {problem}")

    def reject(self, i: int, action: Any, err: GuardError, perturbed: bool) -> None:
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
                perturbed,
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

    # -- traces -----------------------------------------------------------------------

    def path_to(self, i: int) -> list[int]:
        path = [i]
        while self.parents[path[-1]] >= 0:
            path.append(self.parents[path[-1]])
        path.reverse()
        return path

    def trace_to(self, i: int) -> Trace:
        """The concrete run to the state stored at `i` (found again under symmetry)."""
        path = self.path_to(i)
        known = max((k for k, j in enumerate(path) if j in self.concrete), default=-1)
        if known < 0:
            first = next(
                s for s in self.model.initial() if self.represent(s) == self.states[path[0]]
            )
            self.concrete[path[0]] = (TraceStep(None, False, first),)
            known = 0
        steps = list(self.concrete[path[known]])
        for j in path[known + 1 :]:
            target = self.states[j]
            current = steps[-1].state
            for action, byzantine in self.model.enabled(current):
                successor = self.model.step(current, action)
                if self.represent(successor) == target:
                    steps.append(TraceStep(action, byzantine, successor))
                    break
            else:  # pragma: no cover - only a canonical() that is no symmetry gets here
                raise GenerateError("canonical() is not a symmetry: a trace cannot be rebuilt")
            self.concrete[j] = tuple(steps)
        return Trace(tuple(steps))

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
        for action, perturbed in self.probes(state, [a for a, _ in listed]):
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
                        perturbed=perturbed,
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
    search = _Search(
        model=model,
        cap=cap,
        max_states=max_states,
        symmetry=use_symmetry and model.has_symmetry(),
        kinds=tuple(classes),
        classes=tuple(classes.values()),
        guards=guard_names(model),
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
    all_guards = sorted({*search.guards.reachable, *search.rejected} - {*search.guards.unreachable})
    covered_kinds = [k for k in kinds if search.valid.get(k)]
    uncovered = [
        Uncovered(k, _why_action(search, k, stopped)) for k in kinds if not search.valid.get(k)
    ]
    uncovered += [
        Uncovered(g, f"no action failed it in {_explored(search, stopped)}")
        for g in all_guards
        if not search.rejected.get(g)
    ]
    uncovered += [
        Uncovered(g, "its raise is marked `pragma: no cover` (declared unreachable) in the spec")
        for g in search.guards.unreachable
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
        guards_unreachable=search.guards.unreachable,
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
    events, decode = _event_table(model)
    if decode is None or not events:
        return []
    pre = model.initial()[0]
    result = []
    first = next(iter(events))
    for name, event in (
        ("unknown_event_type", {"event_type": "no_such_event", "event_data": {}}),
        ("malformed_event_data", {"event_type": first, "event_data": {"no_such_field": 1}}),
    ):
        try:
            decode(event["event_type"], event["event_data"])
        except GuardError as err:
            result.append(EventCase(name, pre, event, err.guard, err.reason))
    return result


# --- writing ------------------------------------------------------------------------------


def _dump(path: Path, value: Json) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _verdict(valid: bool, guard: str | None, reason: str | None) -> dict[str, Json]:
    if valid:
        return {"valid": True}
    return {"valid": False, "guard": guard, "reason": reason}


def case_files(vectors: Vectors, events: Mapping[str, type]) -> Iterator[tuple[str, Json]]:
    """Every file of the vectors but the manifest: (path relative to DIR, content)."""
    canon = Canonicaliser()
    top = vectors.protocol
    for case in vectors.cases:
        where = f"{top}/{case.kind}/{case.name}"
        event = action_json(case.action, canon)
        form = event_form(events, case.action)
        if form is not None:
            event["event"] = form
        if case.valid:
            event["byzantine"] = case.byzantine
        if case.perturbed:
            event["perturbed"] = True
        event.update(_verdict(case.valid, case.guard, case.reason))
        yield f"{where}/pre.json", state_record(case.pre, canon)
        yield f"{where}/action.json", event
        if case.valid:
            yield f"{where}/post.json", state_record(case.post, canon)
        if case.history is not None:
            meta = {"protocol": top, "case": f"{case.kind}/{case.name}"}
            yield f"{where}/history.itf.json", encode_trace(case.history, meta)
    for ev in vectors.event_cases:
        where = f"{top}/{EVENTS_DIR}/{ev.name}"
        yield f"{where}/pre.json", state_record(ev.pre, canon)
        yield f"{where}/action.json", {"event": ev.event, **_verdict(False, ev.guard, ev.reason)}
    for multi in vectors.multi_step:
        yield from _multi_files(vectors, multi, events, canon)


def _multi_files(
    vectors: Vectors, multi: MultiStep, events: Mapping[str, type], canon: Canonicaliser
) -> Iterator[tuple[str, Json]]:
    where = f"{vectors.protocol}/{MULTI_STEP}/{multi.name}"
    steps: list[Json] = []
    log: list[Json] = []
    session = f"{vectors.protocol}-{multi.name}"
    for step in multi.trace.steps[1:]:
        entry = action_json(step.action, canon)
        form = event_form(events, step.action)
        if form is not None:
            entry["event"] = form
            log.append(_log_line(vectors.protocol, session, len(log), form, True, None, None))
        entry.update({"valid": True, "byzantine": step.byzantine})
        entry["post"] = state_record(step.state, canon)
        steps.append(entry)
    if multi.rejected is not None:
        action, err = multi.rejected
        entry = action_json(action, canon)
        form = event_form(events, action)
        if form is not None:
            entry["event"] = form
            log.append(
                _log_line(vectors.protocol, session, len(log), form, False, err.guard, err.reason)
            )
        entry.update(_verdict(False, err.guard, err.reason))
        steps.append(entry)
    yield f"{where}/pre.json", state_record(multi.trace.steps[0].state, canon)
    yield f"{where}/steps.json", steps
    yield f"{where}/post.json", state_record(multi.trace.steps[-1].state, canon)
    meta = {"protocol": vectors.protocol, "witness": multi.name}
    yield f"{where}/trace.itf.json", encode_trace(multi.trace, meta)
    if log:
        yield f"{where}/events.jsonl", log


def _log_line(
    protocol: str,
    session: str,
    index: int,
    form: Mapping[str, Json],
    valid: bool,
    guard: str | None,
    reason: str | None,
) -> dict[str, Json]:
    """One line of a per-agent event log: the session's coordinator handles every event."""
    return {
        "agent": "coordinator",
        "protocol": protocol,
        "session_id": session,
        "index": index,
        "event_type": form["event_type"],
        "event_data": form["event_data"],
        "outcome": _verdict(valid, guard, reason),
    }


def manifest(vectors: Vectors, files: Mapping[str, Sequence[str]]) -> dict[str, Json]:
    """The manifest: the configuration, every case with its files, counts and coverage.

    Args:
        vectors: what `generate` chose.
        files: the file names of each case directory, by its path relative to DIR.
    """
    cov = vectors.coverage
    entries = []
    per_action: dict[str, dict[str, int]] = {k: {"valid": 0, "rejected": 0} for k in cov.actions}
    per_guard: dict[str, int] = {g: 0 for g in (*cov.guards, *cov.guards_unreachable)}
    for case in vectors.cases:
        path = f"{vectors.protocol}/{case.kind}/{case.name}"
        entries.append(
            {
                "path": path,
                "kind": "single_step",
                "action": case.kind,
                "valid": case.valid,
                "guard": case.guard,
                "depth": case.depth,
                "files": list(files[path]),
            }
        )
        counts = per_action.setdefault(case.kind, {"valid": 0, "rejected": 0})
        counts["valid" if case.valid else "rejected"] += 1
        if case.guard is not None:
            per_guard[case.guard] = per_guard.get(case.guard, 0) + 1
    for ev in vectors.event_cases:
        path = f"{vectors.protocol}/{EVENTS_DIR}/{ev.name}"
        entries.append(
            {
                "path": path,
                "kind": "event_decoding",
                "action": None,
                "valid": False,
                "guard": ev.guard,
                "depth": 0,
                "files": list(files[path]),
            }
        )
    for multi in vectors.multi_step:
        path = f"{vectors.protocol}/{MULTI_STEP}/{multi.name}"
        entries.append(
            {
                "path": path,
                "kind": "multi_step",
                "action": None,
                "valid": multi.rejected is None,
                "guard": None if multi.rejected is None else multi.rejected[1].guard,
                "depth": len(multi.trace),
                "files": list(files[path]),
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "protocol": vectors.protocol,
        "config": vectors.config,
        "generator": {
            "cap": vectors.cap,
            "max_states": vectors.max_states,
            "explored_states": vectors.explored,
            "depth": vectors.depth,
            "complete": vectors.complete,
            "stopped": vectors.stopped,
            "symmetry": vectors.symmetry,
        },
        "cases": entries,
        "counts": {
            "cases": len(entries),
            "valid": sum(1 for c in vectors.cases if c.valid),
            "rejected": sum(1 for c in vectors.cases if not c.valid),
            "event_decoding": len(vectors.event_cases),
            "multi_step": len(vectors.multi_step),
            "per_action": per_action,
            "per_guard": per_guard,
        },
        "coverage": {
            "actions": _fraction_json(cov.actions_covered, cov.actions),
            "guards": _fraction_json(cov.guards_covered, cov.guards),
            "guards_unreachable": list(cov.guards_unreachable),
            "event_guards": list(cov.event_guards),
            "witnesses": _fraction_json(cov.witnesses_covered, cov.witnesses),
            "uncovered": [{"name": u.name, "why": u.why} for u in cov.uncovered],
        },
        "findings": {"total": vectors.findings_total, "shown": list(vectors.findings)},
    }


def _fraction_json(covered: Sequence[str], total: Sequence[str]) -> dict[str, Json]:
    return {"covered": len(covered), "total": len(total), "names": list(covered)}


def prepare_out(out: Path, protocol: str, force: bool) -> None:
    """Make sure the vectors of `protocol` can be written under `out`.

    Raises:
        GenerateError: `out` is a file, or holds this protocol's vectors or a manifest
            already (unless `force`, which removes those).
    """
    if out.exists() and not out.is_dir():
        raise GenerateError(f"--out {out} is a file, not a directory")
    top, man = out / protocol, out / "manifest.json"
    if top.exists() or man.exists():
        if not force:
            raise GenerateError(
                f"{out} already holds vectors ({top.name}/ or manifest.json); "
                "use --force to replace them"
            )
        if top.is_dir():
            shutil.rmtree(top)
        elif top.exists():
            top.unlink()
        man.unlink(missing_ok=True)


def write(vectors: Vectors, model: Model[Any, Any], out: Path, force: bool = False) -> list[Path]:
    """Write the vectors and `manifest.json` under `out`; return the files written.

    Raises:
        GenerateError: `out` is a file, or holds this protocol's vectors or a manifest
            already (unless `force`, which removes those first).
    """
    prepare_out(out, vectors.protocol, force)
    events, _ = _event_table(model)
    written: list[Path] = []
    files: dict[str, list[str]] = {}
    for rel, content in case_files(vectors, events):
        path = out / rel
        folder, _, name = rel.rpartition("/")
        files.setdefault(folder, []).append(name)
        if name.endswith(".jsonl"):
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [json.dumps(line, sort_keys=True) for line in content]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            _dump(path, content)
        written.append(path)
    man = out / "manifest.json"
    _dump(man, manifest(vectors, files))
    written.append(man)
    return written


def coverage_lines(vectors: Vectors) -> list[str]:
    """The coverage report printed by `coordspec generate`."""
    cov = vectors.coverage
    n_valid = sum(1 for c in vectors.cases if c.valid)
    n_rejected = len(vectors.cases) - n_valid
    lines = [
        f"coordspec generate {vectors.protocol}: {len(vectors.cases)} single-step cases "
        f"({n_valid} valid, {n_rejected} rejected), {len(vectors.event_cases)} event-decoding, "
        f"{len(vectors.multi_step)} multi-step",
        f"Explored {vectors.explored} states to depth {vectors.depth}; stopped: {vectors.stopped}.",
        f"Actions covered: {len(cov.actions_covered)}/{len(cov.actions)}",
        f"Guards rejected: {len(cov.guards_covered)}/{len(cov.guards)}"
        + (
            f" ({len(cov.guards_unreachable)} declared unreachable: "
            f"{', '.join(cov.guards_unreachable)})"
            if cov.guards_unreachable
            else ""
        ),
        f"Witness traces: {len(cov.witnesses_covered)}/{len(cov.witnesses)}",
    ]
    if cov.event_guards:
        lines.append(f"Event-decoding guards: {', '.join(cov.event_guards)}")
    for u in cov.uncovered:
        lines.append(f"Not covered: {u.name}: {u.why}")
    if vectors.findings_total:
        lines.append(
            f"Spec findings: {vectors.findings_total} perturbed actions broke the step contract; "
            "the first ones:"
        )
        lines += [f"  {f}" for f in vectors.findings]
    return lines


#: The `$defs` entry of `vectors.schema.json` for each file name of a vectors directory.
FILE_SCHEMAS = {
    "pre.json": "stateRecord",
    "post.json": "stateRecord",
    "action.json": "action",
    "steps.json": "steps",
    "trace.itf.json": "itfTrace",
    "history.itf.json": "itfTrace",
    "manifest.json": "manifest",
}


def validate_vectors(out: Path) -> list[str]:
    """Check `out/manifest.json` and every file it lists against the JSON Schemas.

    Returns one message per problem (`file: path: problem`), [] when all are valid; a
    file on disk that the manifest does not list is a problem too.
    """
    errors: list[str] = []
    try:
        listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"manifest.json: cannot be read: {err}"]
    errors += [f"manifest.json: {e}" for e in validate(listed, definition("vectors", "manifest"))]
    if errors:
        return errors
    expected = {"manifest.json"}
    for case in listed["cases"]:
        for name in case["files"]:
            rel = f"{case['path']}/{name}"
            expected.add(rel)
            text = (out / rel).read_text(encoding="utf-8")
            if name.endswith(".jsonl"):
                schema = definition("event_log", "event")
                for n, line in enumerate(text.splitlines()):
                    errors += [f"{rel}:{n + 1}: {e}" for e in validate(json.loads(line), schema)]
                continue
            kind = FILE_SCHEMAS.get(name)
            if kind is None:
                errors.append(f"{rel}: no schema for a file called {name}")
                continue
            errors += [
                f"{rel}: {e}" for e in validate(json.loads(text), definition("vectors", kind))
            ]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    protocol = listed["protocol"]
    for rel in sorted(on_disk - expected):
        if rel.startswith(f"{protocol}/"):
            errors.append(f"{rel}: not listed in manifest.json")
    return errors


def run(
    protocol: str,
    model: Model[Any, Any],
    config: object,
    out: Path,
    *,
    cap: int = DEFAULT_CAP,
    max_states: int = DEFAULT_MAX_STATES,
    symmetry: bool | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """`coordspec generate`: choose, write and check the vectors; return the report lines.

    `progress` is told each stage as it begins.

    Raises:
        GenerateError: bad bounds or output directory, or written files that break the
            schema (a bug in coordspec).
    """

    def say(text: str) -> None:
        if progress is not None:
            progress(f"generate {protocol}: {text}")

    prepare_out(out, protocol, force)  # before the search, so a bad --out fails at once
    say("exploring the reachable states and choosing the cases")
    vectors = generate(protocol, model, config, cap=cap, max_states=max_states, symmetry=symmetry)
    say(f"writing {len(vectors.cases)} cases under {out}")
    written = write(vectors, model, out, force=force)
    say(f"checking {len(written)} files against the JSON Schemas")
    problems = validate_vectors(out)
    if problems:  # pragma: no cover - the generator and the schema disagree: a bug
        raise GenerateError(f"the files written break the schema: {problems[0]}")
    lines = coverage_lines(vectors)
    lines.append(f"Wrote {len(written)} files under {out} (all valid against the JSON Schemas).")
    return lines
