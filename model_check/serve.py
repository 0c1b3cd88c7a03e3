"""The oracle online: `coordspec serve PROTOCOL` answers each logged line as it comes.

Issue 16 §3. An implementation's test suite, in any language, writes one JSON object a
line (the lines of `model_check/validate/`'s log: an event, an observation, a
receipt; a `#meta` line first, if any) to the server's standard input or to a Unix
socket (`--listen PATH`, one session per connection), and reads one JSON answer a line:

- `{"line": N, "ok": true, "candidates": K, "states": S}`: the N-th message is
  explained; K states explain the messages so far (the candidates the search keeps
  between messages), S nodes searched in all;
- `{"line": N, "ok": false, "result": "unexplained", ...}`: no behaviour explains it,
  with the same `diagnoses` as `validate --json`; the message is dropped, so the
  candidates stay those before it and the session goes on;
- `{"line": N, "ok": false, "result": "gave_up", ...}`: the search reached
  `--max-states` (the message is dropped too);
- `{"line": N, "error": "..."}`: a malformed message (one line naming the problem); the
  session goes on;
- `{"reset": true}` starts the session over (`{"reset": true, "ok": true}`).

Lines of different `session`s are independent; lines with equal `clock`s may be
explained in any order among themselves (each such line searches the clock's lines
again from the candidates before them); a clock smaller than the last is an error. In
the online mode `#meta.logged` defaults to every participant (the server cannot know
which agents a log will name), so a log of some agents' steps says which in `#meta`.
"""

from __future__ import annotations

import json
import socketserver
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from model_check.itf import parse_json
from model_check.validate import (
    MAX_LINE,
    MAX_STATES,
    Chain,
    Line,
    LogError,
    Meta,
    Protocol,
    Session,
    Verdict,
    build_model,
    parse_line,
    parse_meta,
    verdict_json,
)
from spec.core import SpecError, Specification

Json = Any


@attrs.define
class _Open:
    """One session's search and the clock value it is at."""

    search: Session
    clock: int | None = None
    group: list[Line] = attrs.field(factory=list)
    base: list[Chain] = attrs.field(factory=list)
    base_explained: int = 0


class Server:
    """The state of one online session: the model, and each session's candidates."""

    def __init__(
        self, spec: Specification[Any], values: Mapping[str, str], max_states: int = MAX_STATES
    ) -> None:
        self.spec = spec
        self.values = dict(values)
        self.max_states = max_states
        self.reset()

    def reset(self) -> None:
        """Forget every line: the next message starts a new log."""
        self.number = 0
        self.meta: Meta | None = None
        self.protocol: Protocol | None = None
        self.open: dict[str | None, _Open] = {}

    def _protocol(self) -> Protocol:
        if self.protocol is None:
            meta = self.meta or Meta()
            self.protocol = Protocol(build_model(self.spec, meta, self.values), meta, ())
        return self.protocol

    def answer(self, text: str) -> dict[str, Json]:
        """The answer to one message (never raises for bad input)."""
        if not text.strip():
            return {"error": "an empty message"}
        self.number += 1
        number = self.number
        try:
            if len(text) > MAX_LINE:
                raise LogError(f"longer than {MAX_LINE:,} characters")
            obj = parse_json(text, f"message {number}")
            if isinstance(obj, dict) and obj.get("reset") is True and len(obj) == 1:
                self.reset()
                return {"reset": True, "ok": True}
            if isinstance(obj, dict) and "#meta" in obj:
                if self.protocol is not None or set(obj) != {"#meta"}:
                    raise LogError("#meta is the first message, alone")
                self.meta = parse_meta(obj["#meta"], number)
                self._protocol()
                return {"line": number, "ok": True, "meta": True}
            line = parse_line(obj, number)
            protocol = self._protocol()
            protocol.check(line)
            return self._explain(protocol, line)
        except (LogError, SpecError, ValueError) as err:
            return {"line": number, "error": str(err).splitlines()[0]}

    def _explain(self, protocol: Protocol, line: Line) -> dict[str, Json]:
        entry = self.open.get(line.session)
        if entry is None:
            entry = _Open(Session(protocol, self.max_states))
            self.open[line.session] = entry
        search = entry.search
        before = (list(search.frontier), search.explained)
        if line.clock is not None and entry.clock is not None and line.clock < entry.clock:
            raise LogError(f"clock {line.clock} is before the last line's {entry.clock}")
        if line.clock is not None and line.clock == entry.clock:
            group = [*entry.group, line]
            search.frontier, search.explained = list(entry.base), entry.base_explained
        else:
            group = [line]
            entry.base, entry.base_explained = before
        verdict = search.feed(group)
        if verdict is not None:
            search.frontier, search.explained = before
            return {"line": line.number, "ok": False, **_failure(verdict)}
        entry.group, entry.clock = group, line.clock
        return {
            "line": line.number,
            "ok": True,
            "candidates": len(search.frontier),
            "states": search.states,
        }

    def serve(self, lines: Iterable[str], out: IO[str]) -> None:
        """Answer every message of `lines` on `out`, one JSON line each, flushed."""
        for text in lines:
            if not text.strip():
                continue
            out.write(json.dumps(self.answer(text)) + "\n")
            out.flush()


def _failure(verdict: Verdict) -> dict[str, Json]:
    body = verdict_json(verdict)
    return {k: body[k] for k in ("result", "explained_lines", "states", "candidates", "diagnoses")}


def _lines(stream: Iterable[bytes]) -> Iterator[str]:
    for raw in stream:
        yield raw.decode("utf-8", errors="replace")


def listen(
    spec: Specification[Any], values: Mapping[str, str], path: Path, max_states: int = MAX_STATES
) -> None:  # pragma: no cover - runs until killed; tests/test_serve.py drives it in a process
    """Serve on a Unix socket at `path`: one session per connection, until interrupted."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            server = Server(spec, values, max_states)
            for text in _lines(self.rfile):
                if text.strip():
                    self.wfile.write((json.dumps(server.answer(text)) + "\n").encode())
                    self.wfile.flush()

    if path.exists():
        path.unlink()
    with socketserver.ThreadingUnixStreamServer(str(path), Handler) as server:
        server.daemon_threads = True
        server.serve_forever()
