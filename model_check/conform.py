"""The conformance oracle, state level: replay an ITF trace through a spec's `step`.

DESIGN.md, "The oracle and the trace formats": another implementation (the Elixir
MABEAM code first) records a run as an ITF trace (`*.itf.json`, each state with the
action taken, `mbt::actionTaken`, and its arguments, `mbt::nondetPicks`, as Quint's
`--mbt` mode writes them); `coordspec conform PROTOCOL TRACE` says whether the spec
allows that run. The replay:

1. the first state must be one of the model's initial states (else the trace diverges
   at step 0);
2. each next state must be exactly `model.step(previous, action)`: a `GuardError` names
   the guard the action fails; a different state is shown as a diff, variable by
   variable (for sets, the elements the trace lacks and those it has in excess);
3. for a model that does not check guards in `step` (a plain `spec.core.Model`), the
   action must also be one the model lists as enabled;
4. a lasso (`loop`) must close: its last state equals the state it loops back to.

The configuration comes from the trace's `#meta.params` (what `coordspec check
--trace-out` writes), overridden by the command line's `--name value` options. The
event-level mode (an event log replayed through the impl's handlers, `conform --events`)
is `model_check/conform_events.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from model_check.itf import ItfError, decode_trace, load_json
from model_check.report import fields_of, show, show_action
from model_check.result import Trace
from spec.core import (
    GuardedModel,
    GuardError,
    Model,
    ParamValue,
    Specification,
    make_config,
)

#: A named variant's model from the trace's parameters and whether unsafe ones are allowed.
Builder = Callable[[Mapping[str, str], bool], Model[Any, Any]]


@attrs.frozen
class Divergence:
    """The first step of a trace that the spec does not allow.

    Attributes:
        step: the index of the state that differs (0: not an initial state).
        action: the action taken at that step (`name(arg=value, ...)`), None at step 0.
        kind: `initial` (not an initial state), `guard` (the action is not enabled),
            `error` (the spec's `step` failed on the action), `not_enabled` (a model
            without guards in `step` does not list the action), `state` (the action
            leads elsewhere), `loop` (the lasso does not close).
        guard: the failed guard's name, for `guard`.
        reason: one sentence: the guard's reason, or what went wrong.
        diff: one line per variable whose value differs from what the spec computes.
    """

    step: int
    action: str | None
    kind: str
    guard: str | None
    reason: str
    diff: tuple[str, ...] = ()

    def line(self) -> str:
        """The one-line summary."""
        where = f"step {self.step}" + (f" ({self.action})" if self.action else "")
        return f"diverges at {where}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        """The divergence for machines."""
        return {
            "step": self.step,
            "action": self.action,
            "kind": self.kind,
            "guard": self.guard,
            "reason": self.reason,
            "diff": list(self.diff),
        }


@attrs.frozen
class Conformance:
    """The verdict on one trace: `divergence` is None when the spec allows it."""

    steps: int
    byzantine_steps: int
    loop: int | None
    divergence: Divergence | None

    @property
    def conforms(self) -> bool:
        """Whether every step of the trace is a step of the spec."""
        return self.divergence is None

    def line(self, protocol: str) -> str:
        """The one-line summary."""
        if self.divergence is not None:
            return self.divergence.line()
        parts = [f"conforms: {self.steps} steps replayed through {protocol}'s step"]
        if self.byzantine_steps:
            parts.append(f"{self.byzantine_steps} by the adversary")
        if self.loop is not None:
            parts.append(f"the lasso closes at state {self.loop}")
        return ", ".join(parts)

    def to_json(self, protocol: str, trace: str) -> dict[str, Any]:
        """The verdict for machines."""
        return {
            "protocol": protocol,
            "trace": trace,
            "result": "conforms" if self.conforms else "diverges",
            "steps": self.steps,
            "byzantine_steps": self.byzantine_steps,
            "loop": self.loop,
            "divergence": None if self.divergence is None else self.divergence.to_json(),
        }


def state_diff(expected: object, found: object) -> tuple[str, ...]:
    """The variables whose values differ, one line each, in declaration order.

    A set shows the elements the spec has and the trace lacks (`missing`) and those
    the trace has in excess (`unexpected`); other values show both in full.
    """
    want, got = fields_of(expected), fields_of(found)
    lines = []
    for name, value in want.items():
        other = got.get(name)
        if value == other:
            continue
        if isinstance(value, frozenset) and isinstance(other, frozenset):
            parts = []
            if value - other:
                parts.append(f"missing {show(frozenset(value - other))}")
            if other - value:
                parts.append(f"unexpected {show(frozenset(other - value))}")
            lines.append(f"{name}: " + "; ".join(parts))
        else:
            lines.append(f"{name}: expected {show(value)}, found {show(other)}")
    return tuple(lines)


def _closest(candidates: list[Any], found: object) -> Any:
    """The candidate with the fewest variables differing from `found` (the first on ties)."""
    return min(candidates, key=lambda c: len(state_diff(c, found)))


def replay(model: Model[Any, Any], trace: Trace) -> Conformance:
    """Replay a trace through the model: its verdict, with the first divergence if any."""
    byzantine = sum(1 for s in trace.steps[1:] if s.byzantine)

    def verdict(divergence: Divergence | None) -> Conformance:
        return Conformance(len(trace), byzantine, trace.loop, divergence)

    first = trace.steps[0].state
    initial = list(model.initial())
    if first not in initial:
        diff = state_diff(_closest(initial, first), first) if initial else ()
        return verdict(Divergence(0, None, "initial", None, "not an initial state", diff))
    state = first
    check_enabled = not isinstance(model, GuardedModel)
    for i, step in enumerate(trace.steps[1:], start=1):
        shown = show_action(step.action)
        try:
            expected = model.step(state, step.action)
        except GuardError as err:
            reason = f"guard {err.guard} failed: {err.reason}"
            return verdict(Divergence(i, shown, "guard", err.guard, reason))
        except Exception as err:  # the spec's step on an action it never lists
            reason = f"the spec's step failed: {type(err).__name__}: {err}"
            return verdict(Divergence(i, shown, "error", None, reason.splitlines()[0]))
        if check_enabled and all(a != step.action for a, _ in model.enabled(state)):
            return verdict(Divergence(i, shown, "not_enabled", None, "the action is not enabled"))
        if expected != step.state:
            diff = state_diff(expected, step.state)
            reason = f"the state differs from the spec's in {len(diff)} variable(s)"
            return verdict(Divergence(i, shown, "state", None, reason, diff))
        state = expected
    last = len(trace.steps) - 1
    if trace.loop is not None and trace.loop < last and trace.steps[trace.loop].state != state:
        diff = state_diff(trace.steps[trace.loop].state, state)
        reason = f"the lasso does not close: the last state is not state {trace.loop}"
        return verdict(Divergence(last, None, "loop", None, reason, diff))
    return verdict(None)


def param_texts(values: Mapping[str, ParamValue]) -> dict[str, str]:
    """Configuration values as the command line types them (for a trace's `#meta`)."""
    out = {}
    for name, value in values.items():
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, tuple):
            out[name] = ",".join(str(v) for v in value)
        else:
            out[name] = str(value)
    return out


_PARAM_NAME = re.compile(r"[a-z_][a-z0-9_]{0,59}")


def meta_params(meta: Mapping[str, Any]) -> dict[str, str]:
    """`#meta.params` as command-line strings (JSON numbers, booleans and lists allowed)."""
    params = meta.get("params", {})
    if not isinstance(params, dict):
        raise ItfError("#meta.params", "expected a record of configuration parameters")
    out: dict[str, str] = {}
    for name, value in params.items():
        if not _PARAM_NAME.fullmatch(name):
            raise ItfError("#meta.params", f"{name[:40]!r} is not a parameter name")
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, int | str):
            out[name] = str(value)
        elif isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            out[name] = ",".join(str(v) for v in value)
        else:
            raise ItfError(f"#meta.params.{name}", "expected a string, number, boolean or list")
    return out


def conform(
    spec: Specification[Any],
    path: Path,
    values: Mapping[str, str] | None = None,
    *,
    unsafe: bool = False,
    builders: Mapping[str, Builder] | None = None,
) -> Conformance:
    """Read an ITF trace and replay it through the protocol.

    Args:
        spec: the protocol.
        path: the `*.itf.json` file.
        values: configuration parameters from the command line; they override the
            trace's `#meta.params`.
        unsafe: accept a configuration outside the protocol's hypotheses (as `check
            --allow-unsafe-faults`, which records `allow_unsafe_faults` in `#meta`).
        builders: named variants' model builders (parameters, unsafe -> model): a
            trace whose `#meta.variant` names one (as `check --variant` writes) is
            replayed through that model.

    Raises:
        ItfError: the file is not ITF, was written for another protocol, or does not
            fit the protocol's state and actions.
        ConfigError: a parameter is unknown or out of range.
    """
    obj = load_json(path)
    meta = obj.get("#meta", {}) if isinstance(obj, dict) else {}
    if not isinstance(meta, dict):
        raise ItfError("#meta", "expected a record")
    protocol = meta.get("protocol")
    if protocol is not None and protocol != spec.name:
        raise ItfError(
            "#meta.protocol", f"the trace is of {str(protocol)[:40]!r}, not {spec.name!r}"
        )
    params = {**meta_params(meta), **(values or {})}
    unsafe = unsafe or meta.get("allow_unsafe_faults") is True
    variant = meta.get("variant")
    if variant is None:
        model = spec.build(make_config(spec.config_type, params, unsafe=unsafe))
    else:
        if not isinstance(variant, str) or variant not in (builders or {}):
            known = ", ".join(sorted(builders or {})) or "none"
            raise ItfError("#meta.variant", f"no variant {str(variant)[:40]!r} (known: {known})")
        model = (builders or {})[variant](params, unsafe)
    return replay(model, decode_trace(obj, model))


def run(
    spec: Specification[Any],
    path: Path,
    values: Mapping[str, str],
    as_json: bool,
    *,
    unsafe: bool = False,
    builders: Mapping[str, Builder] | None = None,
) -> int:
    """`coordspec conform`: print the verdict; 0 conforms, 1 diverges.

    Raises:
        ItfError, ConfigError: bad input (the CLI reports it in one line, exit 2).
    """
    result = conform(spec, path, values, unsafe=unsafe, builders=builders)
    if as_json:
        print(json.dumps(result.to_json(spec.name, str(path)), indent=2))
    else:
        print(result.line(spec.name))
        if result.divergence is not None:
            for line in result.divergence.diff:
                print(f"  {line}")
    return 0 if result.conforms else 1
