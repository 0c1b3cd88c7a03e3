"""Helpers the protocol tests share: verdicts by name, and replaying a trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings

from model_check.result import CheckResult, Trace
from spec.core import Model

#: The implementation's names for the spec's `malformed_event` (data that does not fit the
#: action's fields): a key the event does not have, or a required one that is absent
#: (`impl.fields`). The spec decodes an event before any guard, as the implementation
#: checks its fields before its handler.
MISFITS = ("unknown_field", "missing_field")


def statuses(result: CheckResult) -> dict[str, str]:
    """Each property's verdict, by name."""
    return {p.name: p.status for p in result.properties}


def replay(model: Model[Any, Any], trace: Trace) -> None:
    """Every step of the trace is a step of `model` (or it raises GuardError)."""
    state = trace.steps[0].state
    assert state in model.initial()
    for step in trace.steps[1:]:
        state = model.step(state, step.action)
        assert state == step.state


def walk_settings(steps: int) -> settings:
    """Settings of the random-schedule state machines: 25 walks of `steps` steps."""
    return settings(
        max_examples=25,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def refined_step(
    model: Model[Any, Any],
    shadow: Any,
    after: Any,
    close: Callable[[Any, Any], bool],
    differences: Callable[[Any, Any], object],
) -> Any:
    """The spec state an implementation step maps to.

    `shadow` is the spec state the previous abstraction matched; the new abstraction
    `after` must match it again (a stutter) or match `step(shadow, a)` for one of the
    actions the spec enables there (the first that does is returned). Fails naming the
    differences otherwise.
    """
    if close(after, shadow):
        return shadow
    for action in model.honest_actions(shadow):
        successor = model.step(shadow, action)
        if close(after, successor):
            return successor
    raise AssertionError(f"no spec step: {differences(after, shadow)}")
