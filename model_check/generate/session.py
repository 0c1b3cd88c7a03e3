"""The per-agent form of a session protocol (`form: session`): a case in the seed's names.

A protocol whose coordinator takes every event declares its session form in its
`Specification.session` (`spec.sessions.SessionForm`: the seed's sessions). A case is
given as that coordinator sees it: how to start the session (`session_start`, the
arguments of `start_*_consensus` that give the case's initial state), the events from
there to `session_before` (`history`), the event in the seed's names, the session
before and after in the seed's names, and the verdict. The mapping itself, both ways,
is the spec's (spec/sessions.py); this module only lays a case out in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from model_check.event_codec import event_action, event_table, specification_of
from model_check.generate.per_agent import Form, step_json, verdict
from model_check.generate.vectors import Case, Json
from spec.core import Model
from spec.sessions import seed_event, session_json, spec_data

if TYPE_CHECKING:
    from spec.sessions import SessionForm


def session_action(model: Model[Any, Any], event: Mapping[str, Json]) -> Any:
    """The spec action of an event in the seed's names (`spec.sessions.spec_data`).

    Raises:
        GuardError: from the spec's decoder: an unknown event type, or data that does
            not fit the action (`malformed_event`).
    """
    data = spec_data(event["event_type"], event["event_data"])
    return event_action(model, {"event_type": event["event_type"], "event_data": data})


def session_of(model: Model[Any, Any]) -> SessionForm | None:
    """The session form the model's protocol declares (None: not a session protocol)."""
    spec = specification_of(model, lambda s: s.session is not None)
    return None if spec is None else spec.session


def form_of(model: Model[Any, Any]) -> Form | None:
    """`session_case` for a protocol with a session form, None otherwise."""
    return session_case if session_of(model) is not None else None


def session_case(
    model: Model[Any, Any], case: Case, bounds: frozenset[str]
) -> dict[str, Json] | str:
    """A case as the session's coordinator sees it (the module docstring)."""
    form = session_of(model)
    assert form is not None
    if case.history is None:  # pragma: no cover - the registered sessions always have one
        return "the case has no run from an initial state"
    events = event_table(model).events
    steps = case.history.steps
    out: dict[str, Json] = {
        "form": "session",
        "session_start": form.start(steps[0].state),
        "history": [seed_event(events, step.action) for step in steps[1:]],
        "action": step_json(case.action),
        "event": seed_event(events, case.action),
        "session_before": session_json(form.fields, case.pre),
    }
    out.update(verdict(case, bounds))
    if case.valid:
        out["session_after"] = session_json(form.fields, case.post)
    return out
