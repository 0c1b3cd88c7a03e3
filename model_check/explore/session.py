"""What the explorer's page shows, computed from the model: no web code here.

`Explorer` answers for a path (`parse_path`): the state it reaches, laid out for the
page (`state_sections`), the candidate actions there (`actions`), each property's value
(`properties`), the path's message sequence chart (`chart_svg`). `Setup` names the
model (protocol, parameters, variant), so that a job in another process can build the
same one (`model_check.explore.jobs`). `ordinals` turns a trace (read from a file, or
found by a check) into a path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from model_check.diagram import (
    ENVIRONMENT,
    chart_dot,
    config_values,
    render_svg,
    trace_chart,
)
from model_check.itf import ItfError, decode_trace, encode_trace, load_json
from model_check.report import fields_of, show, show_action
from model_check.result import Trace, TraceStep
from spec.core import (
    ACTOR_FIELDS,
    Config,
    GuardedModel,
    Model,
    SpecError,
    Specification,
    action_args,
    action_name,
    make_config,
    named_tuple_fields,
    record_fields,
)

#: The longest path a request may name (a forged URL cannot make the server walk more).
MAX_PATH = 5_000
#: How many reached states are kept (by path), so that a step costs one step.
CACHE_STATES = 4_096
#: How many rendered charts are kept (a chart is redrawn only for a path not seen).
CACHE_CHARTS = 64


class ExploreError(SpecError):
    """A request or a trace the model cannot answer: one line, a 4xx (or exit 2)."""


def _plain_dict(values: Mapping[str, str]) -> dict[str, str]:
    return dict(values)


@attrs.frozen
class Setup:
    """The model explored, as the command line named it: rebuilt by `build`, in this
    process or in a job's.

    Attributes:
        protocol: a registered protocol's name or a model file's path.
        params: the parameters, as the command line types them.
        variant: a named variant of the protocol (`list --variants`), or None.
        unsafe: accept a configuration outside the protocol's hypotheses.
    """

    protocol: str
    params: dict[str, str] = attrs.field(factory=dict, converter=_plain_dict)
    variant: str | None = None
    unsafe: bool = False


def build(setup: Setup, spec: Specification[Any]) -> tuple[Model[Any, Any], Config | None]:
    """The model `setup` names and its configuration.

    Raises:
        spec.core.ConfigError: a bad parameter (or one a variant fixes).
        spec.variants.UnknownVariantError: no such variant.
    """
    if setup.variant is None:
        config = make_config(spec.config_type, setup.params, unsafe=setup.unsafe)
        return spec.build(config), config
    from spec.variants import find_variant

    variant = find_variant(spec.name, setup.variant)
    free = {k: v for k, v in setup.params.items() if k not in variant.fixed}
    vconfig = variant.configure(free, setup.unsafe)
    return variant.model(vconfig), vconfig


# --- paths ---------------------------------------------------------------------------


def parse_path(text: str) -> tuple[int, ...]:
    """`"0.3.1"` -> (0, 3, 1): the initial state's index, then each step's choice; the
    empty text is the empty path (no state chosen yet: the first initial state).

    Raises:
        ExploreError: not dot-separated numbers, or longer than `MAX_PATH` steps.
    """
    if text == "":
        return ()
    parts = text.split(".")
    if len(parts) > MAX_PATH + 1:
        raise ExploreError(f"path: longer than the {MAX_PATH} steps allowed")
    if not all(p.isdigit() and p.isascii() and len(p) <= 6 for p in parts):
        raise ExploreError(f"path: expected numbers separated by dots, got {text[:40]!r}")
    return tuple(int(p) for p in parts)


def path_text(path: Sequence[int]) -> str:
    """The inverse of `parse_path`."""
    return ".".join(str(k) for k in path)


@attrs.frozen
class Node:
    """A state a path reaches, the step into it, and the actions enabled in it."""

    state: Any
    action: Any
    byzantine: bool
    enabled: tuple[tuple[Any, bool], ...]


def ordinals(model: Model[Any, Any], trace: Trace, start: Any = None) -> list[int]:
    """The choices that take `trace`'s steps in `model`: each step's index in the
    `enabled` list of the state before it; with `start` None, the first entry is the
    trace's initial state's index in `model.initial()`.

    Raises:
        ExploreError: the trace is no behaviour of the model (names the step).
    """
    out: list[int] = []
    state = trace.steps[0].state
    if start is None:
        initial = list(model.initial())
        if state not in initial:
            raise ExploreError("states[0]: not an initial state of the model at these parameters")
        out.append(initial.index(state))
    elif state != start:
        raise ExploreError("states[0]: not the state the trace is to start from")
    for n, step in enumerate(trace.steps[1:], start=1):
        enabled = model.enabled(state)
        try:
            choice = enabled.index((step.action, step.byzantine))
        except ValueError:
            raise ExploreError(
                f"states[{n}]: {show_action(step.action)} is not enabled in the state before "
                "it, at these parameters"
            ) from None
        successor = model.step(state, step.action)
        if successor != step.state:
            raise ExploreError(f"states[{n}]: the model's step reaches another state")
        out.append(choice)
        state = successor
    return out


@attrs.frozen
class LoadedTrace:
    """A trace given on the command line, as a path.

    Attributes:
        name: what the page calls it (the file's name).
        property: the property it violates or witnesses (`#meta`), or None.
        kind: `counterexample`, `witness` or `trace`.
        path: its steps as a path from the root.
    """

    name: str
    property: str | None
    kind: str
    path: tuple[int, ...]
    loop: int | None = None


def trace_meta(obj: Any, where: str) -> dict[str, Any]:
    """A trace file's `#meta`.

    Raises:
        ExploreError: not an ITF object, or a `#meta` that is not a record.
    """
    if not isinstance(obj, dict):
        raise ExploreError(f"{where}: not an ITF trace (expected a JSON object)")
    meta = obj.get("#meta", {})
    if not isinstance(meta, dict):
        raise ExploreError(f"{where}: #meta: expected a record")
    return meta


def load_trace(path: Path, model: Model[Any, Any]) -> LoadedTrace:
    """A `check --trace-out` / `--witness-out` file as a path of `model`.

    Raises:
        ExploreError: unreadable, not ITF, not of this model (names the place).
    """
    try:
        obj = load_json(path)
        meta = trace_meta(obj, path.name)
        trace = decode_trace(obj, model)
    except ItfError as err:
        raise ExploreError(f"{path.name}: {err}") from None
    try:
        steps = ordinals(model, trace)
    except ExploreError as err:
        raise ExploreError(f"{path.name}: {err}") from None
    prop = meta.get("property", meta.get("witness"))
    prop = prop if isinstance(prop, str) else None
    kind = "witness" if "witness" in meta else "counterexample" if "property" in meta else "trace"
    return LoadedTrace(path.name, prop, kind, tuple(steps), trace.loop)


def open_model(
    spec: Specification[Any],
    protocol: str,
    values: Mapping[str, str],
    variant: str | None,
    unsafe: bool,
    files: Sequence[Path],
) -> Explorer:
    """The explorer of `coordspec explore`: the model the command line names, with the
    trace files' `#meta` filling in what it leaves out (as `coordspec conform` reads
    them: their parameters, overridden by the command line's, their variant).

    Raises:
        ExploreError: a trace of another protocol, variant or configuration, or one
            that is no behaviour of the model (names the file and the place).
        spec.core.ConfigError: a bad parameter.
        spec.variants.UnknownVariantError: no such variant.
    """
    from model_check.conform import meta_params

    params: dict[str, str] | None = None
    for path in files:
        try:
            meta = trace_meta(load_json(path), path.name)
            given = {**meta_params(meta), **values}
        except ItfError as err:
            raise ExploreError(f"{path.name}: {err}") from None
        protocol_of = meta.get("protocol", spec.name)
        if protocol_of != spec.name:
            raise ExploreError(
                f"{path.name}: a trace of {str(protocol_of)[:40]!r}, not {spec.name}"
            )
        named = meta.get("variant")
        if named is not None and variant is not None and named != variant:
            raise ExploreError(
                f"{path.name}: a trace of variant {str(named)[:40]!r}, not {variant}"
            )
        if named is not None:
            if not isinstance(named, str):
                raise ExploreError(f"{path.name}: #meta.variant: expected a name")
            variant = named
        unsafe = unsafe or meta.get("allow_unsafe_faults") is True
        if params is not None and given != params:
            raise ExploreError(
                f"{path.name}: its parameters differ from the first trace's; explore one "
                "configuration at a time"
            )
        params = given
    setup = Setup(protocol, params if params is not None else values, variant, unsafe)
    model, config = build(setup, spec)
    traces = [load_trace(path, model) for path in files]
    return Explorer(spec, model, setup, config, traces)


# --- values as the page shows them ---------------------------------------------------


def _sort_key(value: object) -> tuple[Any, ...]:
    """Set elements in a natural order: by kind, then records field by field, numbers
    as numbers; ties (none in a set) end at the shown text, so the order never depends
    on the set's iteration order."""
    fields = _fields(value)
    parts = fields.values() if fields is not None else (value,)
    key = tuple(
        (0, p, "") if isinstance(p, int | Fraction) and not isinstance(p, bool) else (1, 0, show(p))
        for p in parts
    )
    return (type(value).__name__, key, show(value))


def _fields(value: object) -> dict[str, Any] | None:
    """A record's fields (attrs class or named tuple), or None for any other value."""
    named = named_tuple_fields(value)
    if named is not None:
        return named
    if attrs.has(type(value)):
        return record_fields(value)
    return None


def _table(values: Sequence[object]) -> tuple[list[str], list[list[str]]]:
    """Columns and rows of a list of values: the records' fields (in their order,
    `kind` first when records of several classes mix), else one column `value`."""
    records = [_fields(v) for v in values]
    if not values or any(r is None for r in records):
        return ["value"], [[show(v)] for v in values]
    kinds = {type(v).__name__ for v in values}
    columns: list[str] = ["kind"] if len(kinds) > 1 else []
    for r in records:
        assert r is not None
        columns += [c for c in r if c not in columns]
    rows = []
    for v, r in zip(values, records, strict=True):
        assert r is not None
        cells = {"kind": type(v).__name__, **{k: show(x) for k, x in r.items()}}
        rows.append([cells.get(c, "") for c in columns])
    return columns, rows


def participant_fields(model: Model[Any, Any], state: object) -> list[str]:
    """The variables with one entry per participant: the model's `local_fields`, else
    the tuples as long as `log_agents`."""
    if model.local_fields:
        return list(model.local_fields)
    n = len(model.log_agents())
    return [k for k, v in fields_of(state).items() if n and isinstance(v, tuple) and len(v) == n]


def state_sections(
    model: Model[Any, Any], state: object, before: object | None
) -> list[dict[str, Any]]:
    """The state for the page, what changed from `before` marked (None: nothing did).

    Sections, in the state's field order (the participants' table where its first
    variable is): `participants` (a row per participant, a column per variable),
    `set` (a set's elements as table rows, in a natural order, new ones marked and the
    removed ones listed), `sequence` (a tuple of records, one row each) and `value`.
    """
    now = fields_of(state)
    old = fields_of(before) if before is not None else now
    local = participant_fields(model, state)
    agents = list(model.log_agents()) or list(range(len(now[local[0]]) if local else 0))
    sections: list[dict[str, Any]] = []
    for name, value in now.items():
        prior = old.get(name, value)
        if name in local:
            if name != local[0]:
                continue
            table = [
                {
                    "label": f"{model.participant} {k}",
                    "cells": [
                        {
                            "text": show(now[f][k]),
                            "changed": now[f][k] != old.get(f, now[f])[k],
                        }
                        for f in local
                    ],
                }
                for k in agents
            ]
            sections.append(
                {
                    "kind": "participants",
                    "name": model.participant + "s",
                    "fields": local,
                    "rows": table,
                }
            )
        elif isinstance(value, frozenset):
            elements = sorted(value, key=_sort_key)
            columns, rows = _table(elements)
            gone = (
                [show(v) for v in sorted(prior - value, key=_sort_key)]
                if isinstance(prior, frozenset)
                else []
            )
            fresh = [isinstance(prior, frozenset) and v not in prior for v in elements]
            sections.append(
                {
                    "kind": "set",
                    "name": name,
                    "columns": columns,
                    "rows": [{"cells": r, "new": f} for r, f in zip(rows, fresh, strict=True)],
                    "removed": gone,
                    "changed": value != prior,
                }
            )
        elif isinstance(value, tuple) and value and all(_fields(v) is not None for v in value):
            columns, rows = _table(value)
            same = isinstance(prior, tuple) and len(prior) <= len(value)
            sections.append(
                {
                    "kind": "sequence",
                    "name": name,
                    "columns": ["#", *columns],
                    "rows": [
                        {"cells": [str(i), *r], "new": not (same and i < len(prior))}
                        for i, r in enumerate(rows)
                    ],
                    "changed": value != prior,
                }
            )
        else:
            sections.append(
                {"kind": "value", "name": name, "text": show(value), "changed": value != prior}
            )
    return sections


def _verdict(fn: Any, state: object) -> bool | str:
    """A predicate's value, or the error the model's code raised (as text)."""
    try:
        return bool(fn(state))
    except Exception as err:  # the model's own code: shown, never a failed request
        return f"{type(err).__name__}: {err}"


def properties(model: Model[Any, Any], state: object, enabled: int) -> list[dict[str, Any]]:
    """Each property's value in `state`, with its tone for the page (`ok`, `bad`, or
    `plain`): invariants hold or are violated here, witnesses are reached here or not;
    of an `eventually` property, whether its goal (and premise) holds here (the
    property itself is about behaviours: a check decides it); a state with no enabled
    action is a proper end or a deadlock."""
    out: list[dict[str, Any]] = []
    for inv in model.invariants():
        v = _verdict(inv.holds, state)
        text = v if isinstance(v, str) else "holds" if v else "violated"
        out.append(_prop(inv.name, "invariant", inv.summary, text, "ok" if v is True else "bad"))
    for w in model.witnesses():
        v = _verdict(w.reached, state)
        text = v if isinstance(v, str) else "reached here" if v else "not here"
        tone = "ok" if v is True else "bad" if isinstance(v, str) else "plain"
        out.append(_prop(w.name, "witness", w.summary, text, tone))
    for e in model.eventually():
        v = _verdict(e.goal, state)
        text = v if isinstance(v, str) else "goal holds here" if v else "goal not yet"
        tone = "ok" if v is True else "bad" if isinstance(v, str) else "plain"
        if e.premise is not None:
            p = _verdict(e.premise, state)
            pre = p if isinstance(p, str) else "premise holds" if p else "premise false"
            text = f"{pre}, {text}"
            tone = "bad" if isinstance(p, str) else tone
        out.append(_prop(e.name, e.kind, e.summary, text, tone))
    if enabled == 0:
        ok = model.terminal_ok(state)
        text = "a proper end" if ok else "deadlock: no action is enabled"
        summary = "a state without an enabled action is a proper end (Model.terminal_ok)"
        out.append(_prop("deadlock", "deadlock", summary, text, "ok" if ok else "bad"))
    return out


def _prop(name: str, kind: str, summary: str, value: str, tone: str) -> dict[str, Any]:
    return {"name": name, "kind": kind, "summary": summary, "value": value, "tone": tone}


def who(model: Model[Any, Any], action: object, byzantine: bool) -> str:
    """Who takes `action`, as the chart's lifelines name them (`replica 2`; `faulty`
    before it for the adversary's); an action that names none is the model's `actor`
    (`client`), else the environment's."""
    args = action_args(action)
    field = next((f for f in ACTOR_FIELDS if f in args), None)
    if field is None:
        named = model.actor(action)
        return named if named is not None else "adversary" if byzantine else ENVIRONMENT
    noun = field.removeprefix("from_")
    return f"{'faulty ' if byzantine else ''}{noun} {show(args[field])}"


# --- the explorer ------------------------------------------------------------------


class Paths:
    """The states paths of `model` reach, the most recent ones cached."""

    def __init__(self, model: Model[Any, Any]) -> None:
        self.model = model
        self.initial = tuple(model.initial())
        if not self.initial:
            raise ExploreError("the model has no initial state")
        self._nodes: OrderedDict[tuple[int, ...], Node] = OrderedDict()

    def node(self, path: tuple[int, ...]) -> Node:
        """The node `path` reaches (the empty path: the first initial state).

        Raises:
            ExploreError: a choice out of range (names the step and what was enabled).
        """
        path = path or (0,)
        cached = self._nodes.get(path)
        if cached is not None:
            self._nodes.move_to_end(path)
            return cached
        if len(path) == 1:
            k = path[0]
            if k >= len(self.initial):
                raise ExploreError(
                    f"path: initial state {k} does not exist (the model has {len(self.initial)})"
                )
            state, action, byzantine = self.initial[k], None, False
        else:
            parent = self.node(path[:-1])
            k = path[-1]
            if k >= len(parent.enabled):
                raise ExploreError(
                    f"path: step {len(path) - 1} chooses action {k}, but "
                    f"{len(parent.enabled)} are enabled there"
                )
            action, byzantine = parent.enabled[k]
            state = self.model.step(parent.state, action)
        found = Node(state, action, byzantine, tuple(self.model.enabled(state)))
        self._nodes[path] = found
        if len(self._nodes) > CACHE_STATES:
            self._nodes.popitem(last=False)
        return found

    def walk(self, path: tuple[int, ...]) -> list[Node]:
        """The nodes along `path`, from the initial state."""
        path = path or (0,)
        return [self.node(path[: k + 1]) for k in range(len(path))]


class Explorer:
    """One model, and the paths through it the page asks about.

    Args:
        spec: the protocol.
        model: its model at the explored configuration (`build`).
        setup: how the model was named (for jobs, and the page's heading).
        config: the model's configuration (`build`'s).
        traces: the traces given on the command line.
    """

    def __init__(
        self,
        spec: Specification[Any],
        model: Model[Any, Any],
        setup: Setup,
        config: Config | None = None,
        traces: Sequence[LoadedTrace] = (),
    ) -> None:
        self.spec = spec
        self.model = model
        self.setup = setup
        self.config = config
        self.traces = tuple(traces)
        self.paths = Paths(model)
        self._charts: OrderedDict[tuple[int, ...], str] = OrderedDict()

    @staticmethod
    def cut(path: tuple[int, ...], at: int | None) -> tuple[int, ...]:
        """The path's first `at` steps (all of it when None).

        Raises:
            ExploreError: `at` beyond the path.
        """
        path = path or (0,)
        steps = len(path) - 1
        if at is None:
            return path
        if not 0 <= at <= steps:
            raise ExploreError(f"at: expected a step 0..{steps}, got {at}")
        return path[: at + 1]

    # -- what the page shows ----------------------------------------------------

    def heading(self) -> dict[str, Any]:
        """The model: protocol, parameters, variant, properties, traces, participants."""
        model = self.model
        return {
            "protocol": self.spec.name,
            "summary": self.spec.summary,
            "params": config_values(self.config),
            "variant": self.setup.variant,
            "initial_states": len(self.paths.initial),
            "participant": model.participant,
            "properties": [
                {"name": p.name, "kind": kind, "summary": p.summary}
                for kind, group in (
                    ("invariant", model.invariants()),
                    ("witness", model.witnesses()),
                    ("eventually", model.eventually()),
                )
                for p in group
            ],
            "traces": [
                {
                    "name": t.name,
                    "property": t.property,
                    "kind": t.kind,
                    "path": path_text(t.path),
                    "length": len(t.path) - 1,
                    "loop": t.loop,
                }
                for t in self.traces
            ],
            "has_phases": type(model).phase is not Model.phase,
        }

    def view(self, path: tuple[int, ...], at: int | None = None) -> dict[str, Any]:
        """Everything the page shows at step `at` of `path` (its end when None)."""
        path = path or (0,)
        nodes = self.paths.walk(path)
        at = len(path) - 1 if at is None else at
        shown = self.cut(path, at)
        here = nodes[at]
        before = nodes[at - 1].state if at > 0 else None
        model = self.model
        phase = model.phase(here.state)
        return {
            "path": path_text(path),
            "at": at,
            "steps": [
                {
                    "n": n,
                    "label": show_action(node.action),
                    "actor": who(model, node.action, node.byzantine),
                    "byzantine": node.byzantine,
                }
                for n, node in enumerate(nodes[1:], start=1)
            ],
            "state": state_sections(model, here.state, before),
            "phase": phase,
            "in_constraint": model.constraint(here.state),
            "actions": self.actions(here),
            "properties": properties(model, here.state, len(here.enabled)),
            "chart": path_text(shown),
        }

    def actions(self, node: Node) -> dict[str, list[dict[str, Any]]]:
        """The candidate actions at `node`: the enabled honest ones and the adversary's
        (each with its choice number and the faulty messages it would count), and the
        disabled candidates, each with the first guard that refuses it and why."""
        model, state = self.model, node.state
        honest: list[dict[str, Any]] = []
        adversary: list[dict[str, Any]] = []
        for choice, (action, byzantine) in enumerate(node.enabled):
            entry = {
                "choice": choice,
                "name": action_name(action),
                "label": show_action(action),
                "actor": who(model, action, byzantine),
                "uses": [str(r) for r in model.relied_on(state, action)],
            }
            (adversary if byzantine else honest).append(entry)
        disabled: list[dict[str, Any]] = []
        if isinstance(model, GuardedModel):
            for action in model.candidates(state):
                failed = model.failed_guard(state, action)
                if failed is None:
                    continue
                disabled.append(
                    {
                        "name": action_name(action),
                        "label": show_action(action),
                        "actor": who(model, action, False),
                        "guard": failed.name,
                        "quote": failed.quote,
                        "reason": failed.explain(model, state, action),
                        "bound": failed.bound,
                    }
                )
        return {"honest": honest, "adversary": adversary, "disabled": disabled}

    def trace_of(self, path: tuple[int, ...]) -> Trace:
        """The path as a trace (for the chart, or a file)."""
        return Trace(
            tuple(TraceStep(n.action, n.byzantine, n.state) for n in self.paths.walk(path))
        )

    def chart_svg(self, path: tuple[int, ...]) -> str:
        """The message sequence chart of `path`, as `coordspec diagram --trace` draws it.

        Raises:
            model_check.diagram.DiagramError: graphviz's `dot` is missing or fails.
        """
        path = path or (0,)
        cached = self._charts.get(path)
        if cached is not None:
            self._charts.move_to_end(path)
            return cached
        meta: dict[str, Any] = {"protocol": self.spec.name, "params": dict(self.setup.params)}
        obj = encode_trace(self.trace_of(path), meta)
        svg = render_svg(chart_dot(trace_chart(obj, self.model)))
        self._charts[path] = svg
        if len(self._charts) > CACHE_CHARTS:
            self._charts.popitem(last=False)
        return svg
