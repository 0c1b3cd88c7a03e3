"""How results are shown: values, step tables, property tables and the JSON summary.

Everything here is deterministic: sets are printed in canonical order, never in the
iteration order of a Python set, so the same run prints the same text.

## One notation for values (`show`)

Every value a person reads (step tables, `--json`'s `changes`, conformance diffs, the
diagrams' labels, `coordspec prove --counterexamples`) is written by `show`, in one
TLA+-like notation:

- integers and fractions: `3`, `-1`, `3/5` (a whole `Fraction` as an integer);
- booleans: `true`, `false`; enum members and `None`: their names, `BLUE`, `None`;
- strings: bare when they are a word (a letter or `_`, then letters, digits, `_`, `-`,
  `.`) other than `true`, `false` and `None`: `idle`, `in-progress`; otherwise in
  double quotes with JSON's escapes: `"plan a budget"`, `"1"`, `""`;
- tuples: `<<a, b>>` (`<<>>` empty);
- frozensets: `{a, b}` (`{}` empty), the elements in canonical order
  (`model_check.fingerprint`), never in a Python set's iteration order;
- records, that is attrs instances and NamedTuples, states and messages alike:
  `[field |-> value, ...]`, the fields in declaration order;
- mappings: `[key |-> value, ...]`, the keys in canonical order (a record or map read
  from ITF without its types, `model_check.itf.FrozenMap`, in the file's order).

Actions are not values: `show_action` writes `name(arg=value, ...)`, each argument by
`show`. Configurations are written as they are typed on the command line
(`faulty=0,3`), so that a run can be repeated.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
from rich.table import Table
from rich.text import Text

from model_check.fingerprint import Canonicaliser
from model_check.itf import FrozenMap, encode_trace
from model_check.result import CheckResult, Trace
from spec.core import Model, Reliance, action_args, action_name, named_tuple_fields, record_fields

_CANON = Canonicaliser()

#: A string shown without quotes: a word that cannot be read as another kind of value.
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_NOT_WORDS = frozenset({"true", "false", "None"})


@attrs.frozen
class Tag:
    """A variant without a value, read from ITF without its type (Quint's `None`, an
    enum member): shown as its name, as `show` shows an enum member."""

    name: str


def show(value: object) -> str:
    """A value in the one notation of every report (the rules: the module docstring)."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, int | Fraction):
        return str(value)
    if isinstance(value, str):
        if _WORD.fullmatch(value) and value not in _NOT_WORDS:
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Tag):
        return value.name
    if isinstance(value, frozenset):
        return "{" + ", ".join(show(v) for v in sorted(value, key=_order)) + "}"
    named = named_tuple_fields(value)
    if named is not None:
        return _record(named)
    if isinstance(value, tuple):
        return "<<" + ", ".join(show(v) for v in value) + ">>"
    if isinstance(value, FrozenMap):
        return _record({show(k): v for k, v in value.items()})
    if isinstance(value, Mapping):
        keys = sorted(value, key=_CANON.text)
        return _record({show(k): value[k] for k in keys})
    if attrs.has(type(value)):
        return _record(record_fields(value))
    return str(value)


def _record(fields: Mapping[str, object]) -> str:
    return "[" + ", ".join(f"{k} |-> {show(v)}" for k, v in fields.items()) + "]"


def _order(value: object) -> str:
    """A set element's sort key: its canonical text, or for a value read from ITF without
    its type (which has none) its shown text."""
    try:
        return _CANON.text(value)
    except TypeError:
        return show(value)


def show_action(action: object) -> str:
    """`name(arg=value, ...)`."""
    args = ", ".join(f"{k}={show(v)}" for k, v in action_args(action).items())
    return f"{action_name(action)}({args})"


def fields_of(state: object) -> dict[str, Any]:
    """The state's variables: its attrs fields (or the whole value as `state`)."""
    return record_fields(state) if attrs.has(type(state)) else {"state": state}


def changes(before: object, after: object) -> list[str]:
    """The variables that differ, one line each; sets show what was added and removed."""
    old, new = fields_of(before), fields_of(after)
    lines = []
    for name, value in new.items():
        prior = old.get(name)
        if prior == value:
            continue
        if isinstance(prior, frozenset) and isinstance(value, frozenset):
            parts = []
            added = value - prior
            removed = prior - value
            if added:
                parts.append("+" + show(frozenset(added)))
            if removed:
                parts.append("-" + show(frozenset(removed)))
            lines.append(f"{name}: " + " ".join(parts))
        else:
            lines.append(f"{name}: {show(prior)} -> {show(value)}")
    return lines


def relied_on(model: Model[Any, Any] | None, trace: Trace) -> list[tuple[Reliance, ...]]:
    """For each state of the trace, the adversary's messages the step into it counted
    (`Model.relied_on` of the previous state and the action; nothing for the first
    state, or without a model)."""
    uses: list[tuple[Reliance, ...]] = [()]
    for i in range(1, len(trace.steps)):
        step = trace.steps[i]
        found = () if model is None else model.relied_on(trace.steps[i - 1].state, step.action)
        uses.append(tuple(found))
    return uses


def step_table(trace: Trace, title: str, model: Model[Any, Any] | None = None) -> Table:
    """The trace as a table: step, action (with its arguments), what changed, and under
    the changes a line `uses: ...` naming the adversary's messages the step counted
    (`Model.relied_on`, when the model is given)."""
    # at least as wide as its title, which would otherwise wrap over a narrow table
    table = Table(title=title, show_lines=True, title_justify="left", min_width=len(title))
    table.add_column("step", justify="right")
    table.add_column("action")
    table.add_column("changes")
    first = trace.steps[0].state
    initial = "\n".join(f"{k} = {show(v)}" for k, v in fields_of(first).items())
    table.add_row("0", "init", Text(initial))
    uses = relied_on(model, trace)
    for i in range(1, len(trace.steps)):
        step = trace.steps[i]
        label = show_action(step.action)
        if step.byzantine:
            label = "[byzantine] " + label
        lines = changes(trace.steps[i - 1].state, step.state) or ["(no change)"]
        if uses[i]:
            lines.append("uses: " + ", ".join(map(str, uses[i])))
        table.add_row(str(i), Text(label), Text("\n".join(lines)))
    if trace.loop is not None:
        last = len(trace.steps) - 1
        note = (
            f"stutters forever at step {last}: no fair action is enabled there"
            if trace.loop == last
            else f"the state at step {last} is the state at step {trace.loop}: "
            f"the cycle {trace.loop}..{last} repeats forever"
        )
        table.add_row("", "(lasso)", note)
    return table


def properties_table(result: CheckResult) -> Table:
    """One row per property: name, kind, verdict, trace length, description."""
    table = Table(title="Properties", title_justify="left")
    for column in ("property", "kind", "status", "trace", "description"):
        table.add_column(column)
    styles = {"violated": "bold red", "unreached": "bold red", "unknown": "yellow"}
    for prop in result.properties:
        length = "" if prop.trace_length is None else str(prop.trace_length)
        status = Text(prop.status, style=styles.get(prop.status, "green"))
        table.add_row(prop.name, prop.kind, status, length, prop.summary)
    return table


def counts_line(result: CheckResult) -> str:
    """Distinct and generated states, depth, completeness: the deterministic counts."""
    kind = "exhaustive" if result.mode == "exhaustive" else "simulation"
    text = (
        f"States: {result.distinct_states} distinct, {result.generated_states} generated, "
        f"depth {result.depth} ({kind}"
    )
    text += ", symmetry-reduced)" if result.symmetry else ")"
    if not result.complete:
        text += f". Incomplete: stopped by {result.incomplete_reason}"
    return text + "."


def fingerprint_line(result: CheckResult) -> str:
    """The visited-set mode and TLC's two collision-probability estimates."""
    if not result.fingerprints or result.collision_calculated is None:
        if result.mode == "simulation":
            return "Visited set: fingerprints of the states the walks met."
        return "Visited set: full states (exact; no fingerprint collisions possible)."
    return (
        "Visited set: 64-bit fingerprints; collision probability: "
        f"calculated {result.collision_calculated:.1e}, "
        f"observed {result.collision_observed or 0.0:.1e}."
    )


def result_line(result: CheckResult, walks: int | None = None, depth: int | None = None) -> str:
    """The last line: never "OK" for a run that did not finish.

    `walks` and `depth` are a simulation's (`--simulate RUNS --depth D`).
    """
    verdict = result.result
    if verdict == "incomplete":
        return f"Result: INCOMPLETE (stopped by {result.incomplete_reason}: nothing is proved)"
    if verdict == "no_violation_found":
        return f"Result: NO VIOLATION FOUND in {walks} walks of depth {depth}"
    if verdict == "interrupted":
        return "Result: INTERRUPTED (Ctrl-C): the report above is partial"
    return f"Result: {verdict.upper()}"


def timing_line(result: CheckResult) -> str:
    """Seconds and rates (the one line that differs from run to run)."""
    seconds = max(result.seconds, 1e-9)
    return (
        f"Time: {result.seconds:.2f} s; {result.generated_states / seconds:,.0f} generated "
        f"states/s, {result.distinct_states / seconds:,.0f} distinct states/s."
    )


def to_json(
    protocol: str,
    config: Mapping[str, Any],
    result: CheckResult,
    model: Model[Any, Any] | None = None,
) -> dict[str, Any]:
    """The JSON summary of one run (DESIGN.md: protocol, config, result, counts...);
    with the model, each counterexample step's `uses` lists what it relied on."""
    out: dict[str, Any] = {
        "protocol": protocol,
        "config": {k: _plain(v) for k, v in config.items()},
        "result": result.result,
        "mode": result.mode,
        "complete": result.complete,
        "incomplete_reason": result.incomplete_reason,
        "distinct_states": result.distinct_states,
        "generated_states": result.generated_states,
        "depth": result.depth,
        "seconds": round(result.seconds, 3),
        "symmetry": result.symmetry,
        "fingerprints": result.fingerprints,
        "visited_bytes": result.visited_bytes,
        "collision_probability": {
            "calculated": result.collision_calculated,
            "observed": result.collision_observed,
        },
        "properties": [
            {
                "name": p.name,
                "kind": p.kind,
                "status": p.status,
                "trace_length": p.trace_length,
                "description": p.summary,
            }
            for p in result.properties
        ],
    }
    shown = [
        {
            "property": cex.property,
            "kind": cex.kind,
            "length": len(cex.trace),
            "loop": cex.trace.loop,
            "steps": _steps(cex.trace, model),
            "itf": encode_trace(cex.trace, {"property": cex.property, "protocol": protocol}),
        }
        for cex in result.counterexamples
    ]
    if shown:
        out["counterexample"] = shown[0]  # the shortest
    out["counterexamples"] = shown  # every violated property's (more than one: --continue)
    return out


def _steps(trace: Trace, model: Model[Any, Any] | None = None) -> list[dict[str, Any]]:
    uses = relied_on(model, trace)
    steps: list[dict[str, Any]] = []
    for i, step in enumerate(trace.steps):
        if i == 0:
            steps.append(
                {"step": 0, "action": "init", "byzantine": False, "changes": [], "uses": []}
            )
            continue
        steps.append(
            {
                "step": i,
                "action": show_action(step.action),
                "byzantine": step.byzantine,
                "changes": changes(trace.steps[i - 1].state, step.state),
                "uses": [str(r) for r in uses[i]],
            }
        )
    return steps


def _plain(value: object) -> object:
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def portfolio_table(
    rows: Sequence[tuple[str, str, CheckResult]], title: str, protocols: bool
) -> Table:
    """One row per run of a portfolio (`coordspec check PROTOCOL` without parameters, or
    every protocol's without one): the preset, the verdict, the counts, the seconds and
    the properties that failed, each with its counterexample's length; a footer totals
    the counts and the seconds. `rows` are (protocol, preset, result); `protocols` adds
    the protocol column."""
    table = Table(title=title, title_justify="left", show_footer=True)
    distinct = sum(r.distinct_states for _, _, r in rows)
    generated = sum(r.generated_states for _, _, r in rows)
    seconds = sum(r.seconds for _, _, r in rows)
    if protocols:
        table.add_column("protocol", footer="total")
    table.add_column("preset", footer="" if protocols else "total")
    table.add_column("result")
    table.add_column("distinct", justify="right", footer=str(distinct))
    table.add_column("generated", justify="right", footer=str(generated))
    table.add_column("depth", justify="right")
    table.add_column("s", justify="right", footer=f"{seconds:.2f}")
    table.add_column("violated")
    for protocol, preset, result in rows:
        failed = [p for p in result.properties if p.failed()]
        verdict = Text(result.result, style="bold red" if failed else "green")
        violated = ", ".join(
            p.name + (f" ({p.status})" if p.trace_length is None else f" ({p.trace_length} steps)")
            for p in failed
        )
        cells: list[str | Text] = [
            preset,
            verdict,
            str(result.distinct_states),
            str(result.generated_states),
            str(result.depth),
            f"{result.seconds:.2f}",
            violated,
        ]
        table.add_row(*([protocol] if protocols else []), *cells)
    return table
