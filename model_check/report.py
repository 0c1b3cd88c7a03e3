"""How results are shown: values, step tables, property tables and the JSON summary.

Everything here is deterministic: sets are printed in canonical order, never in the
iteration order of a Python set, so the same run prints the same text.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
from rich.table import Table
from rich.text import Text

from model_check.fingerprint import Canonicaliser
from model_check.itf import encode_trace
from model_check.result import CheckResult, Trace
from spec.core import action_args, action_name, named_tuple_fields, record_fields

_CANON = Canonicaliser()


def show(value: object) -> str:
    """A compact, deterministic rendering of a value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, frozenset):
        return "{" + ", ".join(show(v) for v in sorted(value, key=_CANON.text)) + "}"
    named = named_tuple_fields(value)
    if named is not None:
        fields = ", ".join(f"{k}={show(v)}" for k, v in named.items())
        return f"{type(value).__name__}({fields})"
    if isinstance(value, tuple):
        return "<<" + ", ".join(show(v) for v in value) + ">>"
    if isinstance(value, Mapping):
        keys = sorted(value, key=_CANON.text)
        return "[" + ", ".join(f"{show(k)} |-> {show(value[k])}" for k in keys) + "]"
    if attrs.has(type(value)):
        fields = ", ".join(f"{k}={show(v)}" for k, v in record_fields(value).items())
        return f"{type(value).__name__}({fields})"
    return repr(value)


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


def step_table(trace: Trace, title: str) -> Table:
    """The trace as a table: step, action (with its arguments), what changed."""
    table = Table(title=title, show_lines=True, title_justify="left")
    table.add_column("step", justify="right")
    table.add_column("action")
    table.add_column("changes")
    first = trace.steps[0].state
    table.add_row("0", "init", "\n".join(f"{k} = {show(v)}" for k, v in fields_of(first).items()))
    for i in range(1, len(trace.steps)):
        step = trace.steps[i]
        label = show_action(step.action)
        if step.byzantine:
            label = "[byzantine] " + label
        lines = changes(trace.steps[i - 1].state, step.state) or ["(no change)"]
        table.add_row(str(i), Text(label), "\n".join(lines))
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


def to_json(protocol: str, config: Mapping[str, Any], result: CheckResult) -> dict[str, Any]:
    """The JSON summary of one run (DESIGN.md: protocol, config, result, counts...)."""
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
            "steps": _steps(cex.trace),
            "itf": encode_trace(cex.trace, {"property": cex.property, "protocol": protocol}),
        }
        for cex in result.counterexamples
    ]
    if shown:
        out["counterexample"] = shown[0]  # the shortest
    out["counterexamples"] = shown  # every violated property's (more than one: --continue)
    return out


def _steps(trace: Trace) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for i, step in enumerate(trace.steps):
        if i == 0:
            steps.append({"step": 0, "action": "init", "byzantine": False, "changes": []})
            continue
        steps.append(
            {
                "step": i,
                "action": show_action(step.action),
                "byzantine": step.byzantine,
                "changes": changes(trace.steps[i - 1].state, step.state),
            }
        )
    return steps


def _plain(value: object) -> object:
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def summary_table(rows: Sequence[tuple[str, CheckResult]]) -> Table:
    """One row per protocol for `coordspec check` without a protocol."""
    table = Table(title="coordspec check: every registered protocol at its default bounds")
    for column in ("protocol", "result", "distinct", "generated", "depth", "properties", "s"):
        table.add_column(column, justify="right" if column in ("distinct", "generated") else "left")
    for name, result in rows:
        failed = [p.name for p in result.properties if p.failed()]
        verdict = Text(result.result, style="bold red" if failed else "green")
        held = sum(1 for p in result.properties if p.status in ("holds", "reached"))
        props = f"{held}/{len(result.properties)} hold"
        if failed:
            props += "; failed: " + ", ".join(failed)
        table.add_row(
            name,
            verdict,
            str(result.distinct_states),
            str(result.generated_states),
            str(result.depth),
            props,
            f"{result.seconds:.2f}",
        )
    return table
