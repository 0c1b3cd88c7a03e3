"""What every event handler returns, and where telemetry goes (the seed's §1.4 and §5.2).

The seed's handlers have the shape `handle_*_event(session, event_type, event_data,
state) -> {:ok, session, state} | {:error, reason}`. Here a handler is a pure function
`(session, event_type, event_data) -> Ok | Error`: a frozen session in, a frozen session
out, plus the effects that a runtime carries out (messages to send, telemetry to emit,
timers to set, the decision). A handler never performs an effect itself, so the same
event on the same session always gives the same answer.

Telemetry events carry the seed's names (`pre_prepare_sent`, `consensus_reached`,
`view_change_initiated`, `vote_processed`, `round_completed`, ...) under the seed's
prefix `[:foundation, :mabeam, :coordination, <protocol>, <event>]` (or, for an event of
no one protocol, §5.3's `coordination_error`, `[:foundation, :mabeam, :coordination,
<event>]`), and go to a pluggable sink; the default sink writes them to the
`coordspec.telemetry` logger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

import attrs

S = TypeVar("S")

PREFIX = ("foundation", "mabeam", "coordination")

Scalar = int | float | str | bool | None


@attrs.frozen
class Telemetry:
    """One telemetry event: `[:foundation, :mabeam, :coordination, protocol, event]`;
    with `protocol` None, `[:foundation, :mabeam, :coordination, event]` (seed §5.3)."""

    protocol: str | None
    event: str
    session_id: str
    measurements: Mapping[str, int | float] = attrs.field(factory=dict, eq=False)
    metadata: Mapping[str, Scalar] = attrs.field(factory=dict, eq=False)

    @property
    def name(self) -> tuple[str, ...]:
        """The seed's event name as a tuple of atoms."""
        scope = () if self.protocol is None else (self.protocol,)
        return (*PREFIX, *scope, self.event)


@attrs.frozen
class Send:
    """Send `message` from `sender` to each of `to` (in that order)."""

    sender: str
    to: tuple[str, ...]
    message: object


@attrs.frozen
class SetTimer:
    """Ask the runtime to deliver a `timeout` event to `owner` at logical time `at`."""

    owner: str
    at: int
    data: Mapping[str, Scalar] = attrs.field(factory=dict, eq=False)


@attrs.frozen
class Decide:
    """The session decided `value`; `proof` is what justifies it (e.g. 2f+1 commits)."""

    value: object
    proof: tuple[object, ...] = ()


Effect = Send | Telemetry | SetTimer | Decide


@attrs.frozen
class Ok(Generic[S]):
    """The event was handled: the new session and the effects to carry out."""

    session: S
    effects: tuple[Effect, ...] = ()


@attrs.frozen
class Error:
    """The event was refused; `reason` is a stable snake_case name, `detail` says more.

    Refusing an event never changes the session: the caller keeps the one it had.
    """

    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


Sink = Callable[[Telemetry], None]

_LOG = logging.getLogger("coordspec.telemetry")


def logging_sink(event: Telemetry) -> None:
    """The default sink: one debug line per event on the `coordspec.telemetry` logger."""
    _LOG.debug(
        "%s %s %s %s",
        ".".join(event.name),
        event.session_id,
        dict(sorted(event.measurements.items())),
        dict(sorted(event.metadata.items())),
    )


@attrs.define
class CollectingSink:
    """A sink that keeps every event, for tests and for the runtime's report."""

    events: list[Telemetry] = attrs.field(factory=list)

    def __call__(self, event: Telemetry) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        """The events' short names, in order."""
        return [e.event for e in self.events]


def emit(effects: tuple[Effect, ...], sink: Sink = logging_sink) -> None:
    """Hand every telemetry effect to the sink, in order."""
    for effect in effects:
        if isinstance(effect, Telemetry):
            sink(effect)
