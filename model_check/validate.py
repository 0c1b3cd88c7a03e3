"""Trace validation: search the spec's behaviours for one that explains a partial log.

Issue 16 §1, after Cirstea, Kuppe, Loillier and Merz, "Validating Traces of Distributed
Programs Against TLA+ Specifications" (2024): an implementation logs some of its events
and some of its variables, perhaps one agent's only, perhaps merged from several agents
out of global order; the checker looks, breadth-first through the spec's state space
and constrained by the log, for a behaviour that explains every line of it.

## The log (`model_check/schemas/observation_log.schema.json`)

JSON Lines, one object a line (blank lines skipped; line numbers are the file's).

- An optional first line `{"#meta": {...}}`: `protocol`; `params` (the configuration,
  as an ITF trace's `#meta.params`); `agents`, the participants' names by position (so
  lines may say `"agent": "alice"`); `logged`, the participants whose every step is in
  the log (by default those that some line names as its `agent`, and every participant
  when no line names one); `silent`, action names that nobody logs.
- Every other line has at least one of `event`, `observe`, `receive`:
  - `event`: an action, by the spec's name (`Prepare`, `VoteSubmission`) or the seed's
    event type (`vote_submission`); `args`: some or all of its arguments, by the spec's
    names (`agent_id` is read as `agent`).
  - `agent`: who logged the line; the actor of its event (the action's `replica`,
    `agent` or `from_agent` argument) is that agent.
  - `observe`: variables and their values right after the line's event (or at the
    line, without one): the spec state's variables, or with `agent` that agent's local
    part (`Model.local_view`: a replica's view, log, water marks...).
  - `receive`: a message in the protocol's wire form that `agent` received
    (`Model.receivable`, which reads the protocol's wire form).
  - `clock`: an integer, on every line or on none. Lines are explained in clock order;
    lines with equal clocks in any order among themselves.
  - `session`: lines of different sessions are independent runs, each from the initial
    state.
- Values: JSON; a fraction as `"p/q"` or a number (a float agrees with a fraction
  within `TOLERANCE` x max(1, |x|), the implementation's tolerance); a list for a
  tuple or a set (a set in any order); a record as an object of some of its fields;
  a participant by its position or its name.

## The search

A node is a spec state and how many lines are explained. From a node the search may
explain a next line (an enabled action that matches the line's event, arguments and
agent, and after which its observations hold; or, for a line with no event, the
observations and the receipt holding in the state), or take a **silent** step: an
action of a participant that does not log, an action the model declares silent
(`Model.silent`: a client's requests, say), one of the adversary's, or one that
`#meta.silent` names. Lines are taken one clock value at a time; the states where all
of a clock's lines are explained are the candidates the next clock starts from, so the
search keeps every state that explains the log so far, not one guess.

Verdicts: `explained` (with the behaviour, as ITF with each state's `#meta.line`);
`unexplained at line K` (the longest explained prefix is the lines before K; the
candidate states there, and for each why line K is impossible: the failed guard and its
reason, the observed variables that disagree, or that no such action exists); `gave up`
when `max_states` nodes were visited.
"""

from __future__ import annotations

import functools
import gc
import json
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from model_check.conform import meta_params
from model_check.event_codec import event_table, from_plain
from model_check.itf import action_classes, encode_trace, parse_json, state_vars
from model_check.report import show_action
from model_check.result import Trace, TraceStep
from spec.core import (
    ACTOR_FIELDS,
    GuardedModel,
    GuardError,
    Model,
    SpecError,
    Specification,
    action_args,
    actor_of,
    make_config,
)
from spec.jsonform import read_fraction, to_json

Json = Any

#: A float agrees with an exact value within this, relative (impl/refinement/tolerance.py's).
TOLERANCE = 1e-8
#: The default bound on the nodes a validation visits.
MAX_STATES = 1_000_000
#: The longest line read.
MAX_LINE = 1_000_000
#: Candidates diagnosed in an `unexplained` verdict.
SHOWN = 3
#: Argument names read as others (the seed's field names for the spec's).
ALIASES = {"agent_id": "agent"}
#: The keys of a log line.
LINE_KEYS = ("event", "args", "agent", "observe", "receive", "clock", "session")
META_KEYS = ("protocol", "params", "agents", "logged", "silent", "receipts")


class LogError(ValueError):
    """A log that cannot be validated: one line naming the place and the problem."""


# --- reading the log -----------------------------------------------------------------


@attrs.frozen
class Meta:
    """The log's `#meta` line."""

    protocol: str | None = None
    params: Mapping[str, str] = attrs.field(factory=dict)
    agents: tuple[str, ...] = ()
    logged: tuple[int | str, ...] | None = None
    silent: tuple[str, ...] = ()
    #: The participants whose logs list every message they received (True: every
    #: logged one): their steps must be backed by what they received.
    receipts: tuple[int | str, ...] | bool = ()


@attrs.frozen
class Line:
    """One observed line: what the log says happened, or held, at that point."""

    number: int
    event: str | None = None
    args: Mapping[str, Json] = attrs.field(factory=dict)
    agent: int | str | None = None
    observe: Mapping[str, Json] | None = None
    receive: Json = None
    clock: int | None = None
    session: str | None = None


def _where(number: int) -> str:
    return f"line {number}"


def parse_meta(obj: Mapping[str, Json], number: int) -> Meta:
    """The `#meta` object of the first line."""
    if not isinstance(obj, dict):
        raise LogError(f"{_where(number)}: #meta: expected an object")
    extra = sorted(set(obj) - set(META_KEYS))
    if extra:
        raise LogError(f"{_where(number)}: #meta: unknown key {extra[0]!r:.40}")
    try:
        params = meta_params(obj)
    except SpecError as err:
        raise LogError(f"{_where(number)}: {err}") from None
    agents = obj.get("agents", [])
    if not isinstance(agents, list) or not all(isinstance(a, str) for a in agents):
        raise LogError(f"{_where(number)}: #meta.agents: expected a list of names")
    logged = obj.get("logged")
    if logged is not None and (
        not isinstance(logged, list)
        or not all(isinstance(a, int | str) and not isinstance(a, bool) for a in logged)
    ):
        raise LogError(f"{_where(number)}: #meta.logged: expected a list of agents")
    silent = obj.get("silent", [])
    if not isinstance(silent, list) or not all(isinstance(a, str) for a in silent):
        raise LogError(f"{_where(number)}: #meta.silent: expected a list of action names")
    protocol = obj.get("protocol")
    if protocol is not None and not isinstance(protocol, str):
        raise LogError(f"{_where(number)}: #meta.protocol: expected a name")
    receipts = obj.get("receipts", [])
    if not isinstance(receipts, bool) and (
        not isinstance(receipts, list)
        or not all(isinstance(a, int | str) and not isinstance(a, bool) for a in receipts)
    ):
        raise LogError(f"{_where(number)}: #meta.receipts: expected true or a list of agents")
    return Meta(
        protocol,
        params,
        tuple(agents),
        None if logged is None else tuple(logged),
        tuple(silent),
        receipts if isinstance(receipts, bool) else tuple(receipts),
    )


def parse_line(obj: Json, number: int) -> Line:
    """One log line (not `#meta`): its keys and their JSON types."""
    if not isinstance(obj, dict):
        raise LogError(f"{_where(number)}: expected a JSON object")
    extra = sorted(set(obj) - set(LINE_KEYS))
    if extra:
        raise LogError(
            f"{_where(number)}: unknown key {extra[0]!r:.40} (a line has {', '.join(LINE_KEYS)})"
        )
    if not any(k in obj for k in ("event", "observe", "receive")):
        raise LogError(f"{_where(number)}: a line has an event, an observe or a receive")
    event = obj.get("event")
    if event is not None and not isinstance(event, str):
        raise LogError(f"{_where(number)}: event: expected an action name")
    args = obj.get("args", {})
    if not isinstance(args, dict):
        raise LogError(f"{_where(number)}: args: expected an object")
    if args and event is None:
        raise LogError(f"{_where(number)}: args without an event")
    observe = obj.get("observe")
    if observe is not None and not isinstance(observe, dict):
        raise LogError(f"{_where(number)}: observe: expected an object")
    agent = obj.get("agent")
    if agent is not None and (not isinstance(agent, int | str) or isinstance(agent, bool)):
        raise LogError(f"{_where(number)}: agent: expected a position or a name")
    if "receive" in obj and agent is None:
        raise LogError(f"{_where(number)}: receive: say which agent received it (agent)")
    clock = obj.get("clock")
    if clock is not None and (not isinstance(clock, int) or isinstance(clock, bool)):
        raise LogError(f"{_where(number)}: clock: expected an integer")
    session = obj.get("session")
    if session is not None:
        if not isinstance(session, str | int) or isinstance(session, bool):
            raise LogError(f"{_where(number)}: session: expected a string or an integer")
        session = str(session)
    return Line(number, event, args, agent, observe, obj.get("receive"), clock, session)


def read_lines(text_lines: Iterable[str]) -> tuple[Meta, list[Line]]:
    """The `#meta` and the lines of a log, each checked for its form.

    Raises:
        LogError: malformed JSON, an unknown key, a value of the wrong type, clocks on
            some lines only.
    """
    meta = Meta()
    lines: list[Line] = []
    for number, text in enumerate(text_lines, 1):
        if len(text) > MAX_LINE:
            raise LogError(f"{_where(number)}: longer than {MAX_LINE:,} characters")
        if not text.strip():
            continue
        try:
            obj = parse_json(text, _where(number))
        except ValueError as err:
            raise LogError(str(err).splitlines()[0]) from None
        if isinstance(obj, dict) and "#meta" in obj:
            if lines or meta != Meta() or set(obj) != {"#meta"}:
                raise LogError(f"{_where(number)}: #meta is the first line, alone")
            meta = parse_meta(obj["#meta"], number)
            continue
        lines.append(parse_line(obj, number))
    if not lines:
        raise LogError("the log has no lines")
    clocked = [line.clock is not None for line in lines]
    if any(clocked) and not all(clocked):
        first = lines[clocked.index(not clocked[0])]
        raise LogError(f"{_where(first.number)}: a clock on some lines only (all or none)")
    return meta, lines


# --- agreeing values -----------------------------------------------------------------


def close(a: float, b: float) -> bool:
    """a and b within `TOLERANCE` x max(1, |a|, |b|)."""
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def _number(obs: Json) -> Fraction | float | None:
    if isinstance(obs, bool):
        return None
    if isinstance(obs, int):
        return Fraction(obs)
    if isinstance(obs, float):
        return obs
    if isinstance(obs, str):
        return _fraction(obs)
    return None


@functools.lru_cache(maxsize=4096)
def _fraction(text: str) -> Fraction | None:
    return read_fraction(text)


def agrees(obs: Json, value: object) -> bool:
    """Whether an observed JSON value is the spec's value (module docstring, Values)."""
    if isinstance(value, bool) or value is None:
        return obs is value
    if isinstance(value, int | Fraction):
        number = _number(obs)
        if isinstance(number, float):
            return close(number, float(value))
        return number is not None and number == value
    if isinstance(value, str):
        return bool(obs == value)
    if hasattr(value, "_fields") and isinstance(value, tuple):
        if isinstance(obs, dict):
            fields = value._asdict()  # type: ignore[attr-defined]
            return set(obs) <= set(fields) and all(agrees(obs[k], fields[k]) for k in obs)
        return _agree_sequence(obs, value)
    if attrs.has(type(value)):
        fields = attrs.asdict(value, recurse=False)  # type: ignore[arg-type]
        return (
            isinstance(obs, dict)
            and set(obs) <= set(fields)
            and all(agrees(obs[k], fields[k]) for k in obs)
        )
    if isinstance(value, Mapping):
        return isinstance(obs, dict) and all(k in value and agrees(obs[k], value[k]) for k in obs)
    if isinstance(value, tuple | list):
        return _agree_sequence(obs, value)
    if isinstance(value, frozenset | set):
        if not isinstance(obs, list) or len(obs) != len(value):
            return False
        left = sorted(value, key=repr)
        for item in obs:
            match = next((v for v in left if agrees(item, v)), None)
            if match is None:
                return False
            left.remove(match)
        return True
    return False


def _agree_sequence(obs: Json, value: Sequence[object]) -> bool:
    return (
        isinstance(obs, list)
        and len(obs) == len(value)
        and all(agrees(o, v) for o, v in zip(obs, value, strict=True))
    )


def as_json(value: object) -> Json:
    """A spec value in the log's JSON form (`spec.jsonform.to_json`), a whole fraction as
    an integer (as a diagnosis quotes it)."""
    return _whole(to_json(value))


def _whole(value: Json) -> Json:
    if isinstance(value, str) and value.endswith("/1") and _fraction(value) is not None:
        return int(value[:-2])
    if isinstance(value, list):
        return [_whole(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    return value


def _shown(value: Json) -> str:
    """A JSON value as a diagnosis quotes it."""
    text = json.dumps(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- the model's side ----------------------------------------------------------------


class Protocol:
    """What the search asks of the model about a log: its action names, arguments,
    actors, local views, silent steps and receipts, for one log's `#meta`."""

    def __init__(self, model: Model[Any, Any], meta: Meta, lines: Sequence[Line]) -> None:
        self.model = model
        self.meta = meta
        self.classes = action_classes(model)
        for cls in list(self.classes.values()):
            self.classes.setdefault(cls.__name__, cls)
        table = event_table(model)
        self.by_event = {name: cls for name, cls in table.events.items()}
        self.names: dict[type, tuple[str, ...]] = {}
        for name, cls in [*self.classes.items(), *self.by_event.items()]:
            self.names[cls] = (*self.names.get(cls, ()), name)
        self.agents = tuple(model.log_agents())
        self._arguments: dict[int, tuple[Line, dict[str, Json]]] = {}
        # by value, shared by the sessions (bounded: cleared when full)
        self.enabled_cache: dict[Any, list[tuple[Any, bool]]] = {}
        self.target_cache: dict[tuple[Any, Any], Any] = {}
        self.view_cache: dict[tuple[Any, int], dict[str, Any]] = {}
        first = model.initial()[0]
        self.variables = tuple(state_vars(first))
        self.local = tuple(model.local_view(first, self.agents[0])) if self.agents else ()
        for line in lines:
            self.check(line)
        self.logged = self._logged(lines)
        if meta.receipts is True:
            self.receipts = self.logged
        elif meta.receipts is False:
            self.receipts = frozenset()
        else:
            self.receipts = frozenset(self.agent(a, "#meta.receipts") for a in meta.receipts)
        self.silent_names = frozenset(meta.silent)
        for name in meta.silent:
            if name not in self.classes and name not in self.by_event:
                raise LogError(f"#meta.silent: no action {name!r:.40}")
        self._hints: dict[type, dict[str, Any]] = {}

    def agent(self, value: Json, where: str) -> int:
        """A participant's position, from its position or its name in `#meta.agents`."""
        if isinstance(value, str) and value in self.meta.agents:
            return self.meta.agents.index(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in self.agents:
            return value
        known = ", ".join(self.meta.agents) or ", ".join(map(str, self.agents))
        raise LogError(f"{where}: no agent {value!r:.40} (agents: {known})")

    def action_class(self, line: Line) -> type:
        """The action class a line's event names."""
        assert line.event is not None
        cls = self.classes.get(line.event) or self.by_event.get(line.event)
        if cls is None:
            known = sorted({*self.classes, *self.by_event})
            raise LogError(
                f"{_where(line.number)}: no action {line.event!r:.40} (known: {', '.join(known)})"
            )
        return cls

    def arguments(self, line: Line) -> dict[str, Json]:
        """A line's arguments under the spec's names, agents as positions."""
        found = self._arguments.get(line.number)
        if found is None or found[0] is not line:
            found = (line, self._read_arguments(line))
            self._arguments[line.number] = found
        return found[1]

    def _read_arguments(self, line: Line) -> dict[str, Json]:
        cls = self.action_class(line)
        fields = [f.name for f in attrs.fields(cls)]
        out: dict[str, Json] = {}
        for key, given in line.args.items():
            name = ALIASES.get(key, key)
            if name not in fields:
                raise LogError(
                    f"{_where(line.number)}: {line.event} has no argument {key!r:.40} "
                    f"(it has {', '.join(fields) or 'none'})"
                )
            if name in ACTOR_FIELDS or name == "target_agent":
                out[name] = self.agent(given, f"{_where(line.number)}: args.{key}")
            else:
                out[name] = given
        return out

    def check(self, line: Line) -> None:
        """A line's names: its action, arguments, agent and variables exist."""
        where = _where(line.number)
        if line.agent is not None:
            self.agent(line.agent, f"{where}: agent")
        if line.event is not None:
            self.arguments(line)
        if line.observe is not None:
            known = self.local if line.agent is not None else self.variables
            for name in line.observe:
                if name not in known:
                    scope = "agent's local variable" if line.agent is not None else "variable"
                    raise LogError(
                        f"{where}: observe: no {scope} {name!r:.40} (there are {', '.join(known)})"
                    )

    def _logged(self, lines: Sequence[Line]) -> frozenset[int]:
        if self.meta.logged is not None:
            return frozenset(self.agent(a, "#meta.logged") for a in self.meta.logged)
        named = {self.agent(line.agent, "agent") for line in lines if line.agent is not None}
        return frozenset(named) if named else frozenset(self.agents)

    def actor(self, action: object) -> int | None:
        """The participant that takes `action` (`spec.core.actor_of`)."""
        who = actor_of(action)
        return who if isinstance(who, int) and not isinstance(who, bool) else None

    def is_silent(self, action: object, byzantine: bool) -> bool:
        """Whether `action` may happen with no line of the log recording it."""
        if byzantine or self.model.silent(action):
            return True
        if any(name in self.silent_names for name in self.names.get(type(action), ())):
            return True
        actor = self.actor(action)
        return actor is not None and actor not in self.logged

    def matches(self, action: object, line: Line) -> bool:
        """Whether `action` is the line's event: its class, the arguments given, its actor."""
        if type(action) is not self.action_class(line):
            return False
        args = action_args(action)
        for name, value in self.arguments(line).items():
            if not agrees(value, args[name]):
                return False
        if line.agent is not None:
            actor = self.actor(action)
            return actor is None or actor == self.agent(line.agent, "agent")
        return True

    def view(self, state: object, agent: int) -> dict[str, Any]:
        """`agent`'s local view of `state` (`Model.local_view`, cached)."""
        key = (state, agent)
        found = self.view_cache.get(key)
        if found is None:
            found = self.model.local_view(state, agent)
            _bounded(self.view_cache)[key] = found
        return found

    def observed(self, state: object, line: Line) -> bool:
        """Whether every observation of the line holds in `state`."""
        if line.observe is None:
            return True
        if line.agent is not None:
            values = self.view(state, self.agent(line.agent, "agent"))
            return all(agrees(obs, values[name]) for name, obs in line.observe.items())
        return all(agrees(obs, getattr(state, name)) for name, obs in line.observe.items())

    def disagreements(self, state: object, line: Line) -> list[str]:
        """The line's observations that `state` contradicts, one text each."""
        if line.observe is None:
            return []
        if line.agent is not None:
            i = self.agent(line.agent, "agent")
            values = self.view(state, i)
            scope = f"agent {i}'s "
        else:
            values = {name: getattr(state, name) for name in line.observe}
            scope = ""
        return [
            f"{scope}{name}: the log says {_shown(obs)}, "
            f"the spec has {_shown(as_json(values[name]))}"
            for name, obs in line.observe.items()
            if not agrees(obs, values[name])
        ]

    def receipt(self, state: object, line: Line) -> str | None:
        """Why the line's `receive` is impossible in `state` (None: possible or none)."""
        if line.receive is None:
            return None
        assert line.agent is not None
        try:
            return self.model.receivable(state, self.agent(line.agent, "agent"), line.receive)
        except ValueError as err:
            raise LogError(f"{_where(line.number)}: receive: {err}") from None

    def build(self, line: Line) -> object | None:
        """The line's action, when its arguments give all of it (None otherwise)."""
        cls = self.action_class(line)
        args = self.arguments(line)
        if line.agent is not None:
            for name in ACTOR_FIELDS:
                if name in {f.name for f in attrs.fields(cls)} and name not in args:
                    args[name] = self.agent(line.agent, "agent")
                    break
        if set(args) != {f.name for f in attrs.fields(cls)}:
            return None
        hints = self._hints.setdefault(cls, typing.get_type_hints(cls))
        values = {}
        for name, given in args.items():
            values[name] = from_plain(given, hints.get(name))
        try:
            action: object = cls(**values)
        except (TypeError, ValueError):
            return None
        return action


# --- the search ----------------------------------------------------------------------


@attrs.frozen
class Chain:
    """A behaviour so far, newest step first (shared between the candidates)."""

    state: Any
    action: Any = None
    byzantine: bool = False
    line: int | None = None
    before: Chain | None = None

    def steps(self) -> list[Chain]:
        """The behaviour's steps in order, the initial state first."""
        out: list[Chain] = []
        node: Chain | None = self
        while node is not None:
            out.append(node)
            node = node.before
        return out[::-1]


@attrs.frozen
class Diagnosis:
    """Why one candidate state cannot explain the line."""

    state: Any
    reasons: tuple[str, ...]
    #: How many candidates give these reasons.
    count: int = 1


@attrs.frozen
class Verdict:
    """The outcome of validating one session's lines.

    Attributes:
        result: `explained`, `unexplained` or `gave_up`.
        lines: the lines explained (the longest explained prefix).
        total: the session's lines.
        states: the nodes the search visited.
        line: the line that could not be explained (or where the search gave up).
        candidates: how many states explain the lines before it.
        diagnoses: for up to `SHOWN` of them, why `line` is impossible.
        witness: the behaviour that explains the log (or its prefix).
        session: the session's name (None: the log has no sessions).
    """

    result: str
    lines: int
    total: int
    states: int
    line: int | None = None
    candidates: int = 0
    diagnoses: tuple[Diagnosis, ...] = ()
    witness: Chain | None = None
    session: str | None = None

    @property
    def explained(self) -> bool:
        return self.result == "explained"

    def steps(self) -> tuple[int, int]:
        """The witness's steps and how many of them are silent."""
        chain = self.witness.steps() if self.witness else []
        steps = [c for c in chain[1:] if c.action is not None]
        return len(steps), sum(1 for c in steps if c.line is None)

    def headline(self) -> str:
        """The verdict in one line."""
        name = f"session {self.session}: " if self.session is not None else ""
        if self.result == "explained":
            steps, silent = self.steps()
            return (
                f"{name}explained: {_count(self.total, 'line')} by {_count(steps, 'step')} "
                f"({silent} silent), "
                f"{self.states:,} states searched"
            )
        if self.result == "gave_up":
            return (
                f"{name}gave up at line {self.line} after {self.states:,} states "
                f"({self.lines} of {self.total} lines explained)"
            )
        return (
            f"{name}unexplained at line {self.line}: {self.lines} of {self.total} lines "
            f"explained, {self.candidates} candidate state(s) there, {self.states:,} "
            "states searched"
        )


#: Entries a cache of the search holds before it is emptied.
CACHE_LIMIT = 200_000


def _bounded(cache: dict[Any, Any]) -> dict[Any, Any]:
    """`cache`, emptied first when it holds `CACHE_LIMIT` entries."""
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    return cache


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


class SearchBoundError(Exception):
    """The search visited `max_states` nodes."""


class Session:
    """The search over one session's lines, one clock value at a time (`feed`)."""

    def __init__(self, protocol: Protocol, max_states: int = MAX_STATES) -> None:
        self.protocol = protocol
        self.model = protocol.model
        self.max_states = max_states
        self.frontier: list[Chain] = [Chain(s) for s in self.model.initial()]
        self.states = 0
        self.explained = 0
        #: The messages each agent received, in the lines explained so far.
        self.inbox: dict[int, tuple[Json, ...]] = {}

    def enabled(self, state: object) -> list[tuple[Any, bool]]:
        """The enabled actions of `state`, each with whether it is the adversary's."""
        cache = self.protocol.enabled_cache
        found = cache.get(state)
        if found is None:
            found = self.model.enabled(state)
            _bounded(cache)[state] = found
        return found

    def target(self, state: object, action: object) -> Any:
        """The state `action` leads to from `state`."""
        cache = self.protocol.target_cache
        key = (state, action)
        found = cache.get(key)
        if found is None:
            found = self.model.step(state, action)
            _bounded(cache)[key] = found
        return found

    def successors(self, state: object) -> list[tuple[Any, bool, Any]]:
        """Every enabled action of `state` with its kind and target."""
        return [(a, byz, self.target(state, a)) for a, byz in self.enabled(state)]

    def received(self, agent: int, group: Sequence[Line], done: Iterable[int]) -> list[Json]:
        """The messages `agent` has received: in the lines explained before this clock
        value, then in the lines `done` of this one."""
        now = [group[k].receive for k in sorted(done) if self._receipt_of(group[k], agent)]
        return [*self.inbox.get(agent, ()), *now]

    def _receipt_of(self, line: Line, agent: int) -> bool:
        return (
            line.receive is not None
            and line.agent is not None
            and self.protocol.agent(line.agent, "agent") == agent
        )

    def unreceived(
        self, state: object, action: object, line: Line, group: Sequence[Line], done: Iterable[int]
    ) -> str | None:
        """Why the line's logged action is not backed by what its actor received (only
        for an actor whose receipts the log lists in full, `#meta.receipts`)."""
        actor = self.protocol.actor(action)
        if actor is None or actor not in self.protocol.receipts:
            return None
        inbox = self.received(actor, group, done)
        if self._receipt_of(line, actor):
            inbox.append(line.receive)
        try:
            return self.model.unreceived(state, action, inbox)
        except ValueError as err:
            raise LogError(f"{_where(line.number)}: receive: {err}") from None

    def _children(
        self, chain: Chain, line: Line, group: Sequence[Line], done: frozenset[int]
    ) -> Iterator[Chain]:  # the ways `line` is explained from chain.state
        p = self.protocol
        s = chain.state
        if p.receipt(s, line) is not None:
            return
        if line.event is None:
            if p.observed(s, line):
                yield Chain(s, None, False, line.number, chain)
            return
        for a, byz in self.enabled(s):
            if p.matches(a, line):
                t = self.target(s, a)
                if p.observed(t, line) and not self.unreceived(s, a, line, group, done):
                    yield Chain(t, a, byz, line.number, chain)

    def search(
        self, group: Sequence[Line]
    ) -> tuple[list[Chain], dict[frozenset[int], list[Chain]]]:
        """Explain the lines of one clock value from every candidate, in any order.

        Returns the chains that explain all of them (one per distinct state, in
        breadth-first order) and, per subset of the lines explained, the chains reached.

        Raises:
            SearchBoundError: more than `max_states` nodes visited in all.
        """
        p = self.protocol
        every = frozenset(range(len(group)))
        seen: set[tuple[Any, frozenset[int]]] = set()
        reached: dict[frozenset[int], list[Chain]] = {}
        queue: list[tuple[Chain, frozenset[int]]] = []

        def visit(chain: Chain, done: frozenset[int]) -> None:
            key = (chain.state, done)
            if key in seen:
                return
            seen.add(key)
            self.states += 1
            if self.states > self.max_states:
                raise SearchBoundError
            reached.setdefault(done, []).append(chain)
            queue.append((chain, done))

        for chain in self.frontier:
            visit(chain, frozenset())
        head = 0
        while head < len(queue):
            chain, done = queue[head]
            head += 1
            if done == every:
                continue
            for k, line in enumerate(group):
                if k not in done:
                    for child in self._children(chain, line, group, done):
                        visit(child, done | {k})
            for a, byz in self.enabled(chain.state):
                if p.is_silent(a, byz):
                    visit(Chain(self.target(chain.state, a), a, byz, None, chain), done)
        return reached.get(every, []), reached

    def feed(self, group: Sequence[Line]) -> Verdict | None:
        """Explain the next clock value's lines: None when they are, else the verdict."""
        collecting = gc.isenabled()
        # The search makes no cycles (chains point back, states are frozen), so the
        # cyclic collector would only walk the log and the chains again and again
        # (a third of the time of a 1,000-line log of one replica).
        gc.disable()
        try:
            return self._feed(group)
        finally:
            if collecting:
                gc.enable()

    def _feed(self, group: Sequence[Line]) -> Verdict | None:
        try:
            explained, reached = self.search(group)
        except SearchBoundError:
            return Verdict(
                "gave_up", self.explained, 0, self.states, group[0].number, len(self.frontier)
            )
        if explained:
            self.frontier = explained
            self.explained += len(group)
            for line in group:
                if line.receive is not None and line.agent is not None:
                    agent = self.protocol.agent(line.agent, "agent")
                    self.inbox[agent] = (*self.inbox.get(agent, ()), line.receive)
            return None
        # the longest prefix in the log's order (clock, then file), then the most lines
        best = max(reached, key=lambda done: (min(every_missing(done, group)), len(done)))
        first = min(every_missing(best, group))
        line = group[first]
        candidates = reached[best]
        diagnoses = self.diagnose(candidates, line, group, best)
        return Verdict(
            "unexplained",
            self.explained + first,
            0,
            self.states,
            line.number,
            len({c.state for c in candidates}),
            diagnoses,
            candidates[0],
        )

    def diagnose(
        self, candidates: Sequence[Chain], line: Line, group: Sequence[Line], done: frozenset[int]
    ) -> tuple[Diagnosis, ...]:
        """Why `line` fails from each candidate: the first `SHOWN` distinct answers, each
        with how many candidates (in breadth-first order) give it."""
        found: dict[tuple[str, ...], list[Any]] = {}
        for c in candidates:
            reasons = self.why_not(c.state, line, group, done)
            if reasons in found or len(found) < SHOWN:
                found.setdefault(reasons, []).append(c.state)
        return tuple(
            Diagnosis(states[0], reasons, len(states)) for reasons, states in found.items()
        )

    def why_not(
        self, state: object, line: Line, group: Sequence[Line] = (), done: Iterable[int] = ()
    ) -> tuple[str, ...]:
        """Why `line` cannot be explained from `state`, as the verdict says it."""
        p = self.protocol
        refused = p.receipt(state, line)
        if refused is not None:
            return (f"cannot have received {_shown(line.receive)}: {refused}",)
        if line.event is None:
            return tuple(p.disagreements(state, line))
        cls = p.action_class(line)
        enabled = [(a, t) for a, _, t in self.successors(state) if type(a) is cls]
        matching = [(a, t) for a, t in enabled if p.matches(a, line)]
        if matching:
            a, t = matching[0]
            unbacked = self.unreceived(state, a, line, group, done)
            if unbacked is not None and not p.disagreements(t, line):
                return (f"{show_action(a)} is not backed by what it received: {unbacked}",)
            return (f"after {show_action(a)}:", *p.disagreements(t, line))
        if isinstance(self.model, GuardedModel):
            for a in self.model.candidates(state):
                if type(a) is cls and p.matches(a, line):
                    failed = self.model.failed_guard(state, a)
                    if failed is not None:
                        reason = failed.explain(self.model, state, a)
                        return (f"{show_action(a)} is refused by {failed.name}: {reason}",)
        action = p.build(line)
        if action is not None:
            try:
                self.model.step(state, action)
            except GuardError as err:
                return (f"{show_action(action)} is refused by {err.guard}: {err.reason}",)
        offered = ", ".join(show_action(a) for a, _ in enabled[:SHOWN]) or "none"
        return (f"no enabled {line.event} matches the line (enabled {cls.__name__}: {offered})",)


def every_missing(done: frozenset[int], group: Sequence[Line]) -> list[int]:
    """The positions in `group` of the lines `done` lacks."""
    return [k for k in range(len(group)) if k not in done] or [len(group)]


def groups(lines: Sequence[Line]) -> list[list[Line]]:
    """The lines by clock value, in clock order (file order within one value); without
    clocks, one line a group."""
    if not lines or lines[0].clock is None:
        return [[line] for line in lines]
    out: dict[int, list[Line]] = {}
    for line in sorted(lines, key=lambda x: (x.clock, x.number)):
        assert line.clock is not None
        out.setdefault(line.clock, []).append(line)
    return list(out.values())


def validate_session(
    protocol: Protocol,
    lines: Sequence[Line],
    max_states: int = MAX_STATES,
    tick: Callable[[int, int], None] | None = None,
) -> Verdict:
    """Search for a behaviour that explains one session's lines (`tick(lines, states)`
    after each clock value's lines are explained)."""
    session = Session(protocol, max_states)
    for group in groups(lines):
        verdict = session.feed(group)
        if tick is not None:
            tick(len(group), session.states)
        if verdict is not None:
            return attrs.evolve(verdict, total=len(lines), session=lines[0].session)
    return Verdict(
        "explained",
        len(lines),
        len(lines),
        session.states,
        witness=session.frontier[0],
        candidates=len(session.frontier),
        session=lines[0].session,
    )


def sessions(lines: Sequence[Line]) -> list[list[Line]]:
    """The lines of each session, sessions in the order they first appear."""
    out: dict[str | None, list[Line]] = {}
    for line in lines:
        out.setdefault(line.session, []).append(line)
    return list(out.values())


def build_model(
    spec: Specification[Any], meta: Meta, values: Mapping[str, str] | None = None
) -> Model[Any, Any]:
    """The model a log is validated against: its `#meta.params`, overridden by `values`."""
    if meta.protocol is not None and meta.protocol != spec.name:
        raise LogError(f"#meta.protocol: the log is of {meta.protocol[:40]!r}, not {spec.name!r}")
    return spec.build(make_config(spec.config_type, {**meta.params, **(values or {})}))


class _Ticker:
    """Progress about once a second: the lines explained, the states searched."""

    def __init__(self, what: str, total: int, say: Callable[[str], None]) -> None:
        self.what, self.total, self.say = what, total, say
        self.lines = self.states = self.base = 0
        self.last = time.monotonic()

    def __call__(self, lines: int, states: int) -> None:
        self.lines += lines
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            self.say(
                f"validate {self.what}: {self.lines:,} of {self.total:,} lines, "
                f"{self.base + states:,} states searched"
            )

    def session_done(self, states: int) -> None:
        self.base += states


def validate(
    spec: Specification[Any],
    text_lines: Iterable[str],
    values: Mapping[str, str] | None = None,
    max_states: int = MAX_STATES,
    progress: Callable[[str], None] | None = None,
) -> tuple[Protocol, list[Verdict]]:
    """Validate a log's every session; the verdicts stop at the first unexplained one.
    `progress` hears about once a second how far the search is.

    Raises:
        LogError: a malformed log. ConfigError: a bad parameter.
    """
    meta, lines = read_lines(text_lines)
    protocol = Protocol(build_model(spec, meta, values), meta, lines)
    ticker = _Ticker(spec.name, len(lines), progress) if progress is not None else None
    verdicts = []
    budget = max_states
    for part in sessions(lines):
        verdict = validate_session(protocol, part, budget, ticker)
        if ticker is not None:
            ticker.session_done(verdict.states)
        verdicts.append(verdict)
        budget -= verdict.states
        if not verdict.explained:
            break
    return protocol, verdicts


# --- reports -------------------------------------------------------------------------


def witness_trace(chain: Chain) -> tuple[Trace, list[dict[str, Json]]]:
    """The behaviour as a trace, and each state's `#meta` additions (line, silent)."""
    steps = [c for c in chain.steps() if c.action is not None or c.before is None]
    trace = Trace(tuple(TraceStep(c.action, c.byzantine, c.state) for c in steps))
    extra = [{"line": c.line, "silent": c.action is not None and c.line is None} for c in steps]
    return trace, extra


def witness_itf(protocol: Protocol, verdict: Verdict, meta: Mapping[str, Json]) -> dict[str, Json]:
    """The ITF object of a verdict's behaviour: each state's `#meta.line` is the log line
    its step explains (null for a silent step, `#meta.silent` true)."""
    assert verdict.witness is not None
    trace, extra = witness_trace(verdict.witness)
    obj = encode_trace(trace, meta)
    for state, more in zip(obj["states"], extra, strict=True):
        state["#meta"].update(more)
    return obj


def verdict_json(verdict: Verdict) -> dict[str, Json]:
    """One session's verdict as `--json` prints it."""
    steps, silent = verdict.steps()
    out: dict[str, Json] = {
        "session": verdict.session,
        "result": verdict.result,
        "lines": verdict.total,
        "explained_lines": verdict.lines,
        "states": verdict.states,
        "steps": steps,
        "silent_steps": silent,
    }
    if not verdict.explained:
        out["line"] = verdict.line
        out["candidates"] = verdict.candidates
        out["diagnoses"] = [
            {"candidates": d.count, "reasons": list(d.reasons)} for d in verdict.diagnoses
        ]
    return out


def report_lines(verdicts: Sequence[Verdict]) -> list[str]:
    """The text report: each session's headline, and for an unexplained one its
    candidates' diagnoses."""
    out = []
    for verdict in verdicts:
        out.append(verdict.headline())
        for d in verdict.diagnoses:
            out.append(f"  {d.count} candidate(s):")
            out.extend(f"    {reason}" for reason in d.reasons)
    if len(verdicts) > 1 and all(v.explained for v in verdicts):
        total = sum(v.total for v in verdicts)
        out.append(f"explained: {len(verdicts)} sessions, {total} lines")
    return out


def exit_code(verdicts: Sequence[Verdict]) -> int:
    """0 every session explained, 1 one unexplained, 3 the search gave up."""
    last = verdicts[-1]
    return {"explained": 0, "unexplained": 1}.get(last.result, 3)


def run(
    spec: Specification[Any],
    path: Path,
    values: Mapping[str, str],
    *,
    as_json: bool = False,
    max_states: int = MAX_STATES,
    witness_out: Path | None = None,
    emit: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
) -> int:
    """`coordspec validate`: print the verdicts; 0 explained, 1 unexplained, 3 gave up.

    Raises:
        LogError, ConfigError: bad input (the CLI reports it in one line, exit 2).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LogError(f"cannot read the log: {err}") from None
    protocol, verdicts = validate(spec, text.splitlines(), values, max_states, progress)
    if witness_out is not None:
        last = verdicts[-1]
        if last.witness is not None:
            meta = {"protocol": spec.name, "log": path.name, "result": last.result}
            obj = witness_itf(protocol, last, meta)
            witness_out.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
    if as_json:
        body = {
            "protocol": spec.name,
            "log": str(path),
            "result": verdicts[-1].result,
            "sessions": [verdict_json(v) for v in verdicts],
        }
        emit(json.dumps(body, indent=2))
    else:
        for line in report_lines(verdicts):
            emit(line)
    return exit_code(verdicts)
