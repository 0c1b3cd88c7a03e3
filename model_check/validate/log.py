"""Reading an observation log: its `#meta` line and its lines, each checked and named by
its line number (`LogError`, one line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from model_check.conform import meta_params
from model_check.itf import parse_json
from model_check.validate.limits import LINE_KEYS, MAX_LINE, META_KEYS, Json, LogError
from spec.core import SpecError

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
