"""Observation logs of the spec's own behaviours, for `coordspec validate` and `serve`.

A random walk through a protocol's model gives a behaviour that the spec certainly
allows; `log_of` writes what an implementation that behaved so would log, with some
variables hidden, some arguments left out, some participants' steps unlogged or some
actions not logged at all. The tests check that every such log is explained, and that
tampering with one line makes it unexplained at that line; `benchmarks/bench_validate.py`
times logs of 100 to 10,000 events made this way.
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Sequence
from typing import Any

import attrs

from spec.core import Model, action_args, action_name, actor_of
from spec.jsonform import to_json as as_json

Json = Any


def walk(model: Model[Any, Any], steps: int, seed: int) -> list[tuple[Any, Any]]:
    """A random behaviour of up to `steps` steps: (action, state after) pairs (the
    initial state is the model's first)."""
    rnd = random.Random(seed)
    state = model.initial()[0]
    out = []
    for _ in range(steps):
        enabled = [a for a, _ in model.enabled(state)]
        if not enabled:
            break
        action = rnd.choice(enabled)
        state = model.step(state, action)
        out.append((action, state))
    return out


def actor(action: object) -> int | None:
    """The participant that takes `action` (`spec.core.actor_of`)."""
    who = actor_of(action)
    return who if isinstance(who, int) else None


def log_of(
    model: Model[Any, Any],
    behaviour: Sequence[tuple[Any, Any]],
    *,
    hidden: Collection[str] = (),
    hidden_args: Collection[str] = (),
    agents: Collection[int] | None = None,
    unlogged: Collection[str] = (),
    local: bool = False,
    session: str | None = None,
) -> list[dict[str, Json]]:
    """The log lines of a behaviour.

    Args:
        hidden: variables not observed (all others are, after every event).
        hidden_args: arguments not logged.
        agents: the participants that log (None: one logger sees every step); the other
            participants' steps, and the model's silent ones, have no line.
        unlogged: action names nobody logs (`#meta.silent` must name them).
        local: observe each logging agent's local part (`Model.local_view`) instead of
            the global state.
        session: the lines' `session`.
    """
    lines: list[dict[str, Json]] = []
    for action, state in behaviour:
        name = action_name(action)
        who = actor(action)
        if model.silent(action) or name in unlogged:
            continue
        if agents is not None and (who is None or who not in agents):
            continue
        line: dict[str, Json] = {"event": name}
        args = {k: as_json(v) for k, v in action_args(action).items() if k not in hidden_args}
        if args:
            line["args"] = args
        if agents is not None:
            line["agent"] = who
        if local and who is not None:
            view = model.local_view(state, who)
            observed = {k: as_json(v) for k, v in view.items() if k not in hidden}
        elif local:
            observed = {}
        else:
            observed = {k: as_json(getattr(state, k)) for k in _variables(state) if k not in hidden}
        if observed:
            line["observe"] = observed
            if local and "agent" not in line:
                line["agent"] = who
        if session is not None:
            line["session"] = session
        lines.append(line)
    return lines


def _variables(state: Any) -> list[str]:
    return [f.name for f in attrs.fields(type(state))]


def text(lines: Sequence[dict[str, Json]], meta: dict[str, Json] | None = None) -> str:
    """The JSON Lines text of a log (with its `#meta` line first when given)."""
    head = [json.dumps({"#meta": meta})] if meta is not None else []
    return "\n".join(head + [json.dumps(line) for line in lines]) + "\n"
