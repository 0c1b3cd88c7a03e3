"""Helpers for any protocol's tests: verdicts by name, replaying a trace, the refinement
step of the implementation tests, and the guards a spec declares."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from impl.core import Ok
from model_check.engine import Options, check
from model_check.result import CheckResult, Counterexample, Trace
from spec.core import GuardedModel, Model, declared_guards
from spec.registry import Adapter
from spec.variants import Variant

#: The implementation's names for the spec's `malformed_event` (data that does not fit the
#: action's fields): a key the event does not have, or a required one that is absent
#: (`impl.fields`). The spec decodes an event before any guard, as the implementation
#: checks its fields before its handler.
MISFITS = ("unknown_field", "missing_field")

T = TypeVar("T")
S = TypeVar("S")


def reachable(model: Model[S, Any]) -> list[S]:
    """Every reachable state, breadth-first without symmetry, in the order found (small
    configurations only)."""
    found = list(model.initial())
    seen = set(found)
    queue = deque(found)
    while queue:
        state = queue.popleft()
        for action in model.honest_actions(state):
            nxt = model.step(state, action)
            if nxt not in seen:
                seen.add(nxt)
                found.append(nxt)
                queue.append(nxt)
    return found


def started(adapter: Adapter, data: dict[str, Any], session_type: type[T]) -> T:
    """The session the implementation's adapter starts from `session_start` data."""
    assert adapter.start is not None
    result = adapter.start(data)
    assert isinstance(result, Ok) and isinstance(result.session, session_type), result
    return result.session


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


def pinned_counterexample(
    variant: Variant[Model[Any, Any]], check_liveness: bool = True
) -> tuple[Model[Any, Any], Counterexample]:
    """A variant's model and the counterexample of its pinned property, as `coordspec
    check --variant` finds it: the first one found when that property breaks first
    (`Variant.first`), else its own in a run that does not stop at the first violation,
    explored to the pinned length only (a property that is not first is an invariant:
    one that a restated claim sees broken earlier)."""
    model = variant.build()
    if variant.first:
        result = check(model, Options(check_liveness=check_liveness))
        found = result.counterexample
        assert found is not None and found.property == variant.property, found
        return model, found
    options = Options(stop_at_first=False, max_depth=variant.length, check_liveness=False)
    result = check(model, options)
    assert result.counterexample is not None and result.counterexample.property != variant.property
    found = next(c for c in result.counterexamples if c.property == variant.property)
    return model, found


def model_bounds(model: object) -> frozenset[str]:
    """The names of the guards the spec declares as the model's bounds (`Guard.bound`):
    what an implementation, which has no such bound, accepts."""
    return frozenset(g.name for g in declared_guards(model) if g.bound)


def refused_by(model: GuardedModel[Any, Any], state: Any, action: Any) -> str | None:
    """The name of the first of the action's declared guards that is false in `state`
    (the spec's refusal), or None when the spec enables it."""
    failed = model.failed_guard(state, action)
    return None if failed is None else failed.name


def holds(model: GuardedModel[Any, Any], state: Any, action: Any, *names: str) -> bool:
    """Whether the action's declared guards of these names all hold in `state`."""
    found = [g for g in model.guards_of(action) if g.name in names]
    assert sorted({g.name for g in found}) == sorted(set(names)), (names, found)
    return all(g.holds(model, state, action) for g in found)


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
