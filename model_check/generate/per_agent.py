"""What one participant sees and does in a case: the `agent.json` of `generate --per-agent`.

The spec's state is global (one set per message kind, a session's tuples); an
implementation is one participant, or one session's coordinator. For every
single-step case, `--per-agent` writes beside `pre.json`/`action.json` a file that an
implementation of one participant can replay without reading the spec's state, in one
of three forms (the `form` key; `vectors.schema.json`, `agentCase`):

- the message form, named after `Model.participant` (`replica`), of a protocol whose
  steps are receipts of messages (`Model.message_steps`): the actor's local state
  before (`Model.local_view`), the message delivered to it in the protocol's wire form,
  the messages of the quorum it must have received before, and what it must send with
  its local state after (or the guard that keeps it from taking the step), all from
  `Model.agent_step`;
- `session` (a protocol that declares `Specification.session`,
  `model_check.generate.session`): the session-level event in the seed's field names
  (`agent_id` naming a participant `agent<i>`, options `option<k>`, numbers as JSON
  numbers), the session before and after in the seed's field names, how to start it
  and the events that lead to it;
- `local` (any other model whose `Model.log_agents` names participants): the actor's
  `Model.local_view` before and after, in the spec's names.

Every form carries the step as `action` (`{"event": name, "args": {...}}`, the
observation log's convention: the spec's action name and arguments, agents by
position) and the verdict (`valid`; `guard`, `reason` and, for a guard that is a bound
of the model, `bound`). A case with no participant to give it to (a client's request, an
action of no replica, a faulty replica's) has no `agent.json`; the manifest lists it
with the reason (`protocols.<name>.per_agent.skipped`).

Values are JSON: fractions in the spec's names as `"p/q"`, in the seed's as numbers;
both are read alike (`spec.jsonform.read_fraction`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from model_check.generate.vectors import Case, GenerateError, Json
from spec.core import Model, action_args, action_name, actor_of
from spec.jsonform import to_json as codec_json

#: The file of a case's per-agent form.
AGENT_FILE = "agent.json"

#: A per-agent form: the JSON of a case for one participant, or why it has none.
Form = Callable[[Model[Any, Any], Case, frozenset[str]], dict[str, Json] | str]


def to_json(value: object) -> Json:
    """A spec value as JSON in the spec's names (`spec.jsonform.to_json`).

    Raises:
        GenerateError: a value with no JSON form.
    """
    try:
        return codec_json(value)
    except TypeError as err:
        raise GenerateError(str(err)) from None


def step_json(action: object) -> dict[str, Json]:
    """An action as the observation log writes an event: its name and arguments."""
    return {"event": action_name(action), "args": to_json(action_args(action))}


def verdict(case: Case, bounds: frozenset[str]) -> dict[str, Json]:
    """The case's verdict: `valid`, and for a rejection the guard, the reason and
    whether the guard is a bound of the model (`bound`: an implementation need not
    refuse it)."""
    if case.valid:
        return {"valid": True}
    out: dict[str, Json] = {"valid": False, "guard": case.guard, "reason": case.reason}
    if case.guard in bounds:
        out["bound"] = True
    return out


def actor(action: object) -> object:
    """The participant an action names as its actor (`spec.core.actor_of`), or None."""
    return actor_of(action)


def is_participant(model: Model[Any, Any], who: object) -> bool:
    """Whether `who` is one of the model's participants (`Model.log_agents`)."""
    return isinstance(who, int) and not isinstance(who, bool) and who in model.log_agents()


def local_case(model: Model[Any, Any], case: Case, bounds: frozenset[str]) -> dict[str, Json] | str:
    """The `local` form: the actor's `Model.local_view` before and after, spec names."""
    who = actor(case.action)
    if who is None:
        return "the action names no participant"
    if not is_participant(model, who):
        return f"{who!r} is not a participant"
    assert isinstance(who, int)
    out: dict[str, Json] = {
        "form": "local",
        "agent": who,
        "action": step_json(case.action),
        "local_before": to_json(model.local_view(case.pre, who)),
    }
    out.update(verdict(case, bounds))
    if case.valid:
        out["local_after"] = to_json(model.local_view(case.post, who))
    return out


def message_case(
    model: Model[Any, Any], case: Case, bounds: frozenset[str]
) -> dict[str, Json] | str:
    """The form named after `Model.participant` (`replica`) of a protocol whose steps
    are receipts of messages (`Model.message_steps`): the actor's local view before, the
    message delivered and the others it must have received (`Model.agent_step`), and for
    a valid step what it sends and its local view after."""
    step = model.agent_step(case.pre, case.action, case.post if case.valid else None)
    if isinstance(step, str):
        return step
    i = step.agent
    out: dict[str, Json] = {
        "form": model.participant,
        "agent": i,
        "action": step_json(case.action),
        "local_before": to_json(model.local_view(case.pre, i)),
        "deliver": dict(step.deliver),
        "receivable": step.unreceivable is None,
    }
    if step.unreceivable is not None:
        out["unreceivable"] = step.unreceivable
    out["received"] = [dict(m) for m in step.received]
    out.update(verdict(case, bounds))
    if step.send is not None:
        out["send"] = [dict(m) for m in step.send]
        out["local_after"] = to_json(model.local_view(case.post, i))
    return out


def form_of(model: Model[Any, Any]) -> Form | None:
    """The per-agent form of a model: the message form of a protocol whose steps are
    receipts (`Model.message_steps`), the seed's sessions, or the generic local one
    (None: the model names no participants)."""
    from model_check.generate import session

    if model.message_steps:
        return message_case
    form = session.form_of(model)
    if form is not None:
        return form
    if model.log_agents():
        return local_case
    return None


def check_per_agent(protocol: str, model: Model[Any, Any]) -> Form:
    """The model's per-agent form (`form_of`).

    Raises:
        GenerateError: the model names no participants.
    """
    form = form_of(model)
    if form is None:
        raise GenerateError(
            f"--per-agent: {protocol} names no participants (Model.log_agents), so no "
            "case has an agent to give it to"
        )
    return form


@attrs.frozen
class AgentFiles:
    """The per-agent form of each case (by its path) and why the others have none."""

    written: dict[str, dict[str, Json]]
    skipped: dict[str, str]

    def summary(self) -> dict[str, Json]:
        """The manifest's `per_agent`: how many were written, and the cases without."""
        return {
            "written": len(self.written),
            "skipped": [{"path": p, "why": why} for p, why in self.skipped.items()],
        }


def agent_files(
    protocol: str, model: Model[Any, Any], cases: tuple[Case, ...], bounds: frozenset[str]
) -> AgentFiles:
    """Every single-step case's per-agent form (`form_of`), in the cases' order.

    Raises:
        GenerateError: the model names no participants, or its form cannot be written.
    """
    form = check_per_agent(protocol, model)
    written: dict[str, dict[str, Json]] = {}
    skipped: dict[str, str] = {}
    for case in cases:
        path = f"{protocol}/{case.kind}/{case.name}"
        found = form(model, case, bounds)
        if isinstance(found, str):
            skipped[path] = found
        else:
            written[path] = {"protocol": protocol, **found}
    return AgentFiles(written, skipped)
