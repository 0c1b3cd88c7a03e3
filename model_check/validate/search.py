"""The search for a behaviour of the spec that explains the log, and its verdict."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from model_check.report import show_action
from model_check.validate.limits import MAX_STATES, SHOWN, Json, LogError, bounded
from model_check.validate.log import Line, Meta, _where, read_lines
from model_check.validate.protocol import Protocol
from model_check.validate.values import _shown
from spec.core import GuardedModel, GuardError, Model, Specification, make_config

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
            bounded(cache)[state] = found
        return found

    def target(self, state: object, action: object) -> Any:
        """The state `action` leads to from `state`."""
        cache = self.protocol.target_cache
        key = (state, action)
        found = cache.get(key)
        if found is None:
            found = self.model.step(state, action)
            bounded(cache)[key] = found
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
