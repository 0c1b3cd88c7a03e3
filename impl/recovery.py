"""Error handling and recovery: the seed's §5.3 `handle_coordination_error`.

`handle_coordination_error(session, error, context)` takes an error as the seed's
tuples, `(kind, detail)`, and answers `Ok(session, effects)`: the session after the
recovery the seed names for the kind, and the effects, first the telemetry event
`[:foundation, :mabeam, :coordination, :coordination_error]` with the seed's metadata
(`error`: the seed's `inspect(error)`, `context`, `algorithm`: the session's kind, the
seed's `session.type`, one of `byzantine`, `weighted`, `iterative`), then the effects of
the recovery. Like a handler it is pure: the seed's `Logger.error` line is the telemetry
event, which the default sink writes to the `coordspec.telemetry` logger.

- `("timeout", _)`: weighted, the voting deadline; iterative, the round timeout if a
  proposal is in (else nothing to do); PBFT, the replica's running view-change timer
  fires (none running: nothing to do).
- `("agent_failure", agent_id)`: weighted and iterative, the agent is failed and the
  session goes on without it (iterative: a phase that waits only for it closes); PBFT,
  the replica notes it, and if it is the current primary while a request waits, starts
  the view change at once.
- `("invalid_message", _)`: nothing (logged: Byzantine tolerance).
- `("insufficient_agents", _)`, and anything else: the session fails.

An agent's failure that leaves fewer agents than the protocol needs (weighted: 1,
iterative: 2, PBFT: more than f failed) is `insufficient_agents`: the session fails. A
failure of an agent that is not a participant, or already failed, or of a session that
has ended, changes nothing. A failed session refuses every later event with
`session_failed` (each session type's `failed` field, checked by its handler first:
the mark travels with the session, so whichever way an event reaches the handler,
through `impl.api.handle_event` or straight, it is refused).

Why a field and not a wrapper: the three handlers take and return their own session
types, the runtime and the refinement maps read those types, and a wrapper would have
to be unwrapped at each of them; a field with a default changes none of them.

PBFT: a crashed replica is one of the f faults the protocol tolerates, so the replica
goes on. When the failed replica is the current primary and a request waits (the timer
runs), waiting for the timer is pointless: the replica starts the view change at once,
which is what the spec's `Timeout` allows at any time while a request waits (the
timer's expiry is not modelled), so the step stays a spec step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from impl import iterative as it
from impl import pbft
from impl import weighted as wv
from impl.core import Effect, Error, Ok, Scalar, Telemetry

#: The event's name after the prefix: `[:foundation, :mabeam, :coordination, EVENT]`.
EVENT = "coordination_error"

#: The seed's error kinds, in the order of its `case`.
KINDS = ("timeout", "agent_failure", "invalid_message", "insufficient_agents")

Session = wv.WeightedSession | it.IterativeSession | pbft.PbftSession


def algorithm(session: Session) -> str:
    """The seed's `session.type`: `byzantine`, `weighted` or `iterative`."""
    if isinstance(session, pbft.PbftSession):
        return pbft.PROTOCOL
    if isinstance(session, wv.WeightedSession):
        return wv.PROTOCOL
    return it.PROTOCOL


def inspect(term: object) -> str:
    """A term as Elixir's `inspect` writes it: a tuple `{:kind, detail}` (a text first
    in a tuple is an atom, `:kind`; elsewhere a string, `"agent1"`), `nil`, `true`,
    lists `[...]`, maps `%{key => value}` (keys in sorted order)."""
    if isinstance(term, tuple):
        items = [f":{term[0]}" if isinstance(term[0], str) else inspect(term[0])] if term else []
        items += [inspect(t) for t in term[1:]]
        return "{" + ", ".join(items) + "}"
    if term is None:
        return "nil"
    if isinstance(term, bool):
        return "true" if term else "false"
    if isinstance(term, str):
        return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(term, list):
        return "[" + ", ".join(inspect(t) for t in term) + "]"
    if isinstance(term, Mapping):
        pairs = sorted((inspect(k), inspect(v)) for k, v in term.items())
        return "%{" + ", ".join(f"{k} => {v}" for k, v in pairs) + "}"
    return repr(term)


def kind_of(error: object) -> tuple[str | None, object]:
    """The seed's kind of an error and its detail: a 2-tuple whose first element is one
    of `KINDS`; otherwise (None, error), the seed's `_ ->`."""
    if isinstance(error, tuple) and len(error) == 2 and error[0] in KINDS:
        return error[0], error[1]
    return None, error


def telemetry(session: Session, error: object, context: object) -> Telemetry:
    """`emit_coordination_telemetry(:coordination_error, session.id, %{}, %{error: error,
    context: context, algorithm: session.type})`."""
    metadata: dict[str, Scalar] = {
        "error": inspect(error),
        "context": context if isinstance(context, str) else inspect(context),
        "algorithm": algorithm(session),
    }
    return Telemetry(None, EVENT, session.session_id, {}, metadata)


def fail(session: Session, why: str) -> Session:
    """`fail_coordination_session`: the session, marked failed (every later event is
    refused with `session_failed`); a session that failed already keeps its reason."""
    if session.failed is not None:
        return session
    return attrs.evolve(session, failed=why)


def _handled(session: Session, result: Ok[Any] | Error) -> tuple[Session, tuple[Effect, ...]]:
    """A recovery event's result: the handler's session and effects, or, refused,
    nothing to do (the session as it was)."""
    if isinstance(result, Error):
        return session, ()
    return result.session, result.effects


def handle_timeout(session: Session) -> tuple[Session, tuple[Effect, ...]]:
    """`handle_coordination_timeout`: the protocol's own timeout, where one is due."""
    if isinstance(session, wv.WeightedSession):
        return _handled(session, wv.handle_weighted_event(session, "voting_deadline"))
    if isinstance(session, it.IterativeSession):
        return _handled(session, it.handle_iterative_event(session, "round_timeout"))
    return _pbft_timeout(session)


def _pbft_timeout(s: pbft.PbftSession) -> tuple[pbft.PbftSession, tuple[Effect, ...]]:
    """The replica's running view-change timer fires (none running: nothing to do)."""
    if not s.timer_running:
        return s, ()
    result = pbft.handle_byzantine_event(s, "timeout", {"view": s.view, "epoch": s.timer_epoch})
    if isinstance(result, Error):  # pragma: no cover - the running timer is never stale
        return s, ()
    return result.session, result.effects


def _pbft_agent_failure(
    s: pbft.PbftSession, agent_id: object
) -> tuple[pbft.PbftSession, tuple[Effect, ...]]:
    ids = s.params.participants
    replica = ids.index(agent_id) if isinstance(agent_id, str) and agent_id in ids else None
    if replica is None or replica in s.failed_replicas:
        return s, ()
    noted = attrs.evolve(s, failed_replicas=s.failed_replicas | {replica})
    if len(noted.failed_replicas) > s.params.f:
        failed = len(noted.failed_replicas)
        return attrs.evolve(
            noted, failed=f"insufficient_agents: {failed} replicas failed, f = {s.params.f}"
        ), ()
    if replica == s.params.primary(s.view) and s.timer_running:
        return _pbft_timeout(noted)
    return noted, ()


def handle_agent_failure(session: Session, agent_id: object) -> tuple[Session, tuple[Effect, ...]]:
    """`handle_agent_failure`: the session goes on without the agent if the protocol
    still can, and fails (`insufficient_agents`) if it cannot."""
    if isinstance(session, pbft.PbftSession):
        return _pbft_agent_failure(session, agent_id)
    data = {"agent_id": agent_id}
    result: Ok[Any] | Error
    if isinstance(session, wv.WeightedSession):
        result = wv.handle_weighted_event(session, "agent_failure", data)
    else:
        result = it.handle_iterative_event(session, "agent_failure", data)
    if isinstance(result, Error) and result.reason == "insufficient_agents":
        return fail(session, str(result)), ()
    return _handled(session, result)


def handle_coordination_error(
    session: object, error: object, context: object = ""
) -> Ok[Any] | Error:
    """§5.3's `handle_coordination_error(error, session, state, context)`: the telemetry
    event, then the recovery for the error's kind (the module docstring's table).

    Returns:
        `Ok(session, effects)` for any error, the `coordination_error` telemetry first;
        `Error("unknown_session")` if `session` is not a coordination session.
    """
    if not isinstance(session, wv.WeightedSession | it.IterativeSession | pbft.PbftSession):
        return Error("unknown_session", f"not a coordination session: {type(session).__name__}")
    emitted = telemetry(session, error, context)
    kind, detail = kind_of(error)
    after: Session = session
    effects: tuple[Effect, ...] = ()
    if kind == "timeout":
        after, effects = handle_timeout(session)
    elif kind == "agent_failure":
        after, effects = handle_agent_failure(session, detail)
    elif kind != "invalid_message":  # insufficient_agents, or anything else
        after = fail(session, inspect(error))
    return Ok(after, (emitted, *effects))
