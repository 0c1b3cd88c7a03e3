"""The conformance oracle, event level: replay a per-agent event log through handlers.

DESIGN.md, "The oracle and the trace formats", and issue 8: "an event-level mode reads
a per-agent event log (JSON Lines with the seed's event names and data) and replays it
through the impl's handlers, reporting the first differing effect". The seed's handlers
(§1.4, Part 2 §2.3, Part 3) take `(session, event_type, event_data)` and answer with a new
session and effects, or refuse the event with a reason; an implementation that logs each
event with what its handler answered (the `outcome`) can have the log replayed here,
line by line, and learns the first line where coordspec's handler answers otherwise.

## The log (`model_check/schemas/event_log.schema.json`)

One JSON object per line, each an `event` of the schema (`agent`, `protocol`,
`event_type`, `event_data`, optional `session_id`, `index`, `outcome`). Two forms:

- **implementation form**: the first line is `event_type: "session_start"`, whose
  `event_data` (`sessionStart` in the schema) holds the arguments of the seed's
  `start_*_consensus(proposal, participants, config)` with the seed's field names
  (`agent_id`, `vote`, `confidence` as floats...). It is replayed through an `Agent`
  that the caller supplies: `coordspec conform PROTOCOL LOG --events` wires in the
  reference implementation (`impl.api`; `model_check/cli/`, the one package that may
  import it). The agent decides which sessions it can start: one that needs key
  material (bytes) a JSON log does not carry is refused with a one-line error.
- **spec form** (no `session_start`; what `coordspec generate` writes as
  `events.jsonl`): the spec's event data (agents by position, fractions as "p/q"),
  replayed through the spec itself (its event decoder, then `step`) from the model's initial
  state, the configuration coming from the command line's `--name value` options.

An `outcome` is `{"valid": true}` (optionally with `telemetry`, the names of the
telemetry events in order, and `decision`, the decided value or null for none) or
`{"valid": false, "guard": NAME}` (the handler's stable reason name; `reason`, its
free text, is shown but not compared). Only what the outcome records is compared, so
a log without outcomes just has to replay; an event that either side refuses leaves
the session as it was, as the seed's handlers do.

Verdicts: every line agrees (exit 0, "conforms: N events"), the first line that differs
(exit 1: the line, its index, the event type and, field by field, what the log expected
and what the handler gave), or a log that cannot be read (`LogError`: one line naming
the line and the problem; the CLI exits 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from model_check.event_codec import EventFormError, event_action
from model_check.schemas import definition, validate
from spec.core import GuardError, Model

Json = Any

#: The `event_type` of the first line of a log in the implementation form.
SESSION_START = "session_start"
#: The longest log line read (a larger line is refused, not parsed).
MAX_LINE = 1_000_000
#: At most this many schema problems are named in a message.
_SHOWN = 1


class LogError(ValueError):
    """An event log that cannot be replayed: malformed JSON, a schema violation, ..."""


@attrs.frozen
class Outcome:
    """What a handler answered to one event, or what the log says it answered.

    Attributes:
        valid: the event was accepted.
        guard: the reason name of a refusal (the seed's snake_case reason).
        reason: the refusal's free text (shown, never compared).
        telemetry: the names of the telemetry events, in order; None: not recorded.
        decision: () no decision, (value,) the decided value; None: not recorded.
    """

    valid: bool
    guard: str | None = None
    reason: str | None = None
    telemetry: tuple[str, ...] | None = None
    decision: tuple[Json, ...] | None = None

    def to_json(self) -> dict[str, Json]:
        """The outcome as the log writes it (only the fields it has)."""
        out: dict[str, Json] = {"valid": self.valid}
        if self.guard is not None:
            out["guard"] = self.guard
        if self.reason is not None:
            out["reason"] = self.reason
        if self.telemetry is not None:
            out["telemetry"] = list(self.telemetry)
        if self.decision is not None:
            out["decision"] = self.decision[0] if self.decision else None
        return out

    def show(self) -> str:
        """One phrase: `accepted [t1, t2] deciding X` or `rejected guard`."""
        if not self.valid:
            return f"rejected {self.guard}"
        text = "accepted"
        if self.telemetry is not None:
            text += f" [{', '.join(self.telemetry)}]"
        if self.decision:
            text += f" deciding {json.dumps(self.decision[0])}"
        elif self.decision is not None:
            text += " without a decision"
        return text


def outcome_of(record: Mapping[str, Json]) -> Outcome:
    """An outcome from its JSON form (already valid against the schema)."""
    telemetry = record.get("telemetry")
    return Outcome(
        valid=record["valid"],
        guard=record.get("guard"),
        reason=record.get("reason"),
        telemetry=None if telemetry is None else tuple(telemetry),
        decision=((record["decision"],) if record["decision"] is not None else ())
        if "decision" in record
        else None,
    )


def differences(expected: Outcome, got: Outcome) -> list[str]:
    """The fields recorded in `expected` that `got` does not match, in a fixed order."""
    if expected.valid != got.valid:
        return ["valid"]
    found = []
    if not expected.valid and expected.guard != got.guard:
        found.append("guard")
    if expected.telemetry is not None and expected.telemetry != got.telemetry:
        found.append("telemetry")
    if expected.decision is not None and expected.decision != got.decision:
        found.append("decision")
    return found


class Agent(Protocol):
    """The handlers a log is replayed through; the agent keeps its own session."""

    def start(self, protocol: str, data: Mapping[str, Json]) -> Outcome:
        """Start the session (`session_start`'s data); a refusal leaves no session."""

    def handle(self, event_type: str, data: Mapping[str, Json]) -> Outcome:
        """Hand one event to the session; a refusal keeps the session as it was."""


@attrs.define
class SpecAgent:
    """The spec as an agent: events in the spec's form, through its decoder and `step`.

    Each initial state of the model is tried in turn by `replay_spec`; this agent holds
    one of them.
    """

    model: Model[Any, Any]
    state: Any

    def start(self, protocol: str, data: Mapping[str, Json]) -> Outcome:
        """The spec form has no `session_start` (`read_log` keeps it out)."""
        raise LogError("the spec form has no session_start")  # pragma: no cover

    def handle(self, event_type: str, data: Mapping[str, Json]) -> Outcome:
        """Decode the event (`event_codec.event_action`) and take the spec's step."""
        try:
            action = event_action(self.model, {"event_type": event_type, "event_data": data})
            self.state = self.model.step(self.state, action)
        except EventFormError as err:
            raise LogError(str(err)) from None
        except GuardError as err:
            return Outcome(False, err.guard, err.reason)
        except Exception as err:  # the spec failed on data its decoding let through
            return Outcome(False, "spec_error", f"{type(err).__name__}: {err}")
        return Outcome(True)


@attrs.frozen
class Line:
    """One line of the log: its number (from 1) and its record."""

    number: int
    record: Mapping[str, Json]

    @property
    def event_type(self) -> str:
        """The seed's event name."""
        value: str = self.record["event_type"]
        return value

    @property
    def data(self) -> Mapping[str, Json]:
        """The event's data."""
        value: Mapping[str, Json] = self.record["event_data"]
        return value

    @property
    def expected(self) -> Outcome | None:
        """The outcome the log records, if any."""
        record = self.record.get("outcome")
        return None if record is None else outcome_of(record)


@attrs.frozen
class Log:
    """A parsed log: its protocol, whether it starts a session, and its lines."""

    protocol: str
    lines: tuple[Line, ...]

    @property
    def implementation_form(self) -> bool:
        """The first line is a `session_start` (else the log is in the spec's form)."""
        return self.lines[0].event_type == SESSION_START


def _problem(number: int, text: str) -> LogError:
    return LogError(f"line {number}: {text}")


def parse_log(text: str) -> Log:
    """Read a log's text: JSON Lines, each line valid against the event log schema.

    Blank lines are skipped. Every line must name the same protocol; `index`, where
    given, is the line's position among the log's records (from 0); `session_start`
    may only be the first line, and its data must fit the schema's `sessionStart`.

    Raises:
        LogError: the first problem, naming its line.
    """
    schema = definition("event_log", "event")
    start_schema = definition("event_log", "sessionStart")
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE:
            raise _problem(number, f"longer than {MAX_LINE} characters")
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError) as err:
            reason = str(err).split(":")[0] if isinstance(err, ValueError) else "nested too deep"
            raise _problem(number, f"not JSON ({reason})") from None
        problems = validate(record, schema)  # json.loads already bounds the nesting
        if problems:
            raise _problem(number, problems[0])
        if lines and record["protocol"] != lines[0].record["protocol"]:
            first = lines[0].record["protocol"]
            raise _problem(number, f"protocol {record['protocol']!r}, the log's is {first!r}")
        if "index" in record and record["index"] != len(lines):
            raise _problem(number, f"index {record['index']}, expected {len(lines)}")
        if record["event_type"] == SESSION_START:
            if lines:
                raise _problem(number, "session_start is only allowed on the first line")
            found = validate(record["event_data"], start_schema)
            if found:
                raise _problem(number, f"session_start: {found[0]}")
        lines.append(Line(number, record))
    if not lines:
        raise LogError("the log has no events")
    return Log(lines[0].record["protocol"], tuple(lines))


def read_log(path: Path) -> Log:
    """`parse_log` of a file.

    Raises:
        LogError: the file cannot be read or is not a valid log.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise LogError(f"cannot read the log: {detail}") from None
    return parse_log(text)


@attrs.frozen
class EventDivergence:
    """The first line whose outcome differs from what the handler gives.

    Attributes:
        line: the line's number in the file (from 1).
        index: the line's position among the log's records (from 0).
        event_type: the event.
        fields: the outcome fields that differ (`valid`, `guard`, `telemetry`, `decision`).
        expected: the outcome the log records.
        got: the handler's outcome.
    """

    line: int
    index: int
    event_type: str
    fields: tuple[str, ...]
    expected: Outcome
    got: Outcome

    def text(self) -> str:
        """One line: where, what the log expected, what the handler gave."""
        return (
            f"line {self.line} (index {self.index}, {self.event_type}): "
            f"{', '.join(self.fields)} differ{'' if len(self.fields) > 1 else 's'}: "
            f"expected {self.expected.show()}, got {self.got.show()}"
            + (f" ({self.got.reason})" if not self.got.valid and self.got.reason else "")
        )


@attrs.frozen
class EventReport:
    """The verdict on a log: the events replayed, those with an outcome, the divergence."""

    protocol: str
    form: str
    events: int
    checked: int
    divergence: EventDivergence | None

    @property
    def conforms(self) -> bool:
        """Every recorded outcome agrees."""
        return self.divergence is None

    def line(self) -> str:
        """The one-line summary."""
        if self.divergence is None:
            return (
                f"conforms: {_count(self.events, 'event')} ({self.protocol}, {self.form} form, "
                f"{_count(self.checked, 'outcome')} compared)"
            )
        return f"diverges at {self.divergence.text()}"

    def to_json(self, path: str) -> dict[str, Json]:
        """The report for machines."""
        d = self.divergence
        return {
            "log": path,
            "protocol": self.protocol,
            "form": self.form,
            "conforms": self.conforms,
            "events": self.events,
            "checked": self.checked,
            "divergence": None
            if d is None
            else {
                "line": d.line,
                "index": d.index,
                "event_type": d.event_type,
                "fields": list(d.fields),
                "expected": d.expected.to_json(),
                "got": d.got.to_json(),
            },
        }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _guarded(
    call: Callable[[str, Mapping[str, Json]], Outcome], name: str, data: Mapping[str, Json]
) -> Outcome:
    """A handler's outcome; a handler that raises is reported, not propagated."""
    try:
        return call(name, data)
    except LogError:
        raise
    except Exception as err:
        return Outcome(False, "handler_raised", f"{type(err).__name__}: {err}")


def replay(log: Log, agent: Agent) -> EventReport:
    """Replay every line through `agent`; stop at the first outcome that differs.

    Raises:
        LogError: events follow a `session_start` that both sides refused.
    """
    form = "implementation" if log.implementation_form else "spec"
    checked = 0
    started = not log.implementation_form
    for index, line in enumerate(log.lines):
        if line.event_type == SESSION_START:
            got = _guarded(agent.start, log.protocol, line.data)
            started = got.valid
        elif not started:
            raise _problem(line.number, "an event after a session_start that was refused")
        else:
            got = _guarded(agent.handle, line.event_type, line.data)
        expected = line.expected
        if expected is None:
            continue
        checked += 1
        fields = differences(expected, got)
        if fields:
            divergence = EventDivergence(
                line.number, index, line.event_type, tuple(fields), expected, got
            )
            return EventReport(log.protocol, form, index + 1, checked, divergence)
    return EventReport(log.protocol, form, len(log.lines), checked, None)


def replay_spec(log: Log, model: Model[Any, Any]) -> EventReport:
    """Replay a spec-form log through `model` from each initial state in turn.

    The first initial state under which the log conforms gives the verdict; if none
    does, the replay that went farthest (the first of them) is reported.

    Raises:
        LogError: the log is in the implementation form.
    """
    if log.implementation_form:
        raise LogError("a session_start log is replayed through the implementation")
    best: EventReport | None = None
    for state in model.initial():
        report = replay(log, SpecAgent(model, state))
        if report.conforms:
            return report
        if best is None or report.events > best.events:
            best = report
    if best is None:
        raise LogError("the model has no initial state")
    return best


def record(
    agent: Agent,
    protocol: str,
    start: Mapping[str, Json],
    events: Iterable[tuple[str, Mapping[str, Json]]],
) -> list[dict[str, Json]]:
    """A log in the implementation form, with the outcomes `agent` gives.

    What another implementation writes; here it makes logs of coordspec's own runs.

    Args:
        agent: the handlers (a fresh agent: it is started here).
        protocol: the log's protocol.
        start: `session_start`'s data: `proposal`, `participants`, `config`.
        events: `(event_type, event_data)` pairs, replayed in order after the start.
    """
    lines: list[dict[str, Json]] = []

    def add(event_type: str, data: Mapping[str, Json], outcome: Outcome) -> None:
        lines.append(
            {
                "agent": "coordinator",
                "protocol": protocol,
                "index": len(lines),
                "event_type": event_type,
                "event_data": dict(data),
                "outcome": outcome.to_json(),
            }
        )

    add(SESSION_START, start, agent.start(protocol, start))
    if not lines[0]["outcome"]["valid"]:
        return lines
    for event_type, data in events:
        add(event_type, data, agent.handle(event_type, data))
    return lines


def dump_log(lines: Sequence[Mapping[str, Json]]) -> str:
    """JSON Lines text of a log's records (keys in the order given)."""
    return "".join(json.dumps(line) + "\n" for line in lines)


def run(report: EventReport, path: Path, as_json: bool) -> int:
    """Print the verdict; 0 conforms, 1 diverges."""
    if as_json:
        print(json.dumps(report.to_json(str(path)), indent=2))
    else:
        print(report.line())
    return 0 if report.conforms else 1
