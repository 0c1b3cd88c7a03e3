"""The explorer's long computations, each in a process of its own.

A check from the page's current state and the phase machine explore many states: run
in the server's process they would hold it (and Python's lock) for seconds to minutes,
and every step the page asks for would wait. Each runs instead in a fresh process
(`multiprocessing`'s spawn: nothing of the server's threads is inherited), rebuilds the
model from its `Setup`, and sends its progress about twice a second and then its
result down a pipe; the server reads the pipe when the page asks (`Job.poll`), and a
cancelled job's process is terminated. At most one check runs at a time (the machines
this is written for have two cores: one for the check, one for the page).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from model_check.delegate import Delegating
from model_check.engine import Options, Progress, check
from model_check.explore.session import (
    ExploreError,
    Paths,
    Setup,
    build,
    ordinals,
    path_text,
)
from model_check.result import CheckResult, Trace
from spec.core import Model

#: Seconds between two progress reports of a job.
PROGRESS_EVERY = 0.5


class _From(Delegating):
    """`model` with one initial state, `start`: a check from the page's state."""

    def __init__(self, model: Model[Any, Any], start: Any) -> None:
        super().__init__(model)
        self.start = start

    def initial(self) -> Sequence[Any]:
        return [self.start]


def _progress(report: Callable[[dict[str, Any]], None]) -> Callable[[Progress], None]:
    def send(p: Progress) -> None:
        report(
            {
                "distinct": p.distinct,
                "generated": p.generated,
                "queue": p.queue,
                "depth": p.depth,
                "seconds": round(p.seconds, 1),
            }
        )

    return send


def _trace_entry(
    model: Model[Any, Any], start: Any, prefix: tuple[int, ...], name: str, kind: str, t: Trace
) -> dict[str, Any]:
    path = (*prefix, *ordinals(model, t, start))
    return {
        "name": f"{kind} {name}",
        "property": name,
        "kind": kind,
        "path": path_text(path),
        "start": len(prefix) - 1,
        "length": len(path) - 1,
        "loop": None if t.loop is None else len(prefix) - 1 + t.loop,
    }


def check_from(
    model: Model[Any, Any],
    path: tuple[int, ...],
    limits: dict[str, Any],
    report: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """Check every property from the state `path` reaches, going on after violations
    (one counterexample per property, each a shortest one from that state), within
    `limits` (`max_states`, `max_depth`, `liveness`); the traces as paths from the root."""
    start = Paths(model).node(path).state
    options = Options(
        max_states=limits.get("max_states"),
        max_depth=limits.get("max_depth"),
        check_liveness=bool(limits.get("liveness", True)),
        stop_at_first=False,
        progress=_progress(report),
        progress_interval=PROGRESS_EVERY,
    )
    result: CheckResult = check(_From(model, start), options)
    traces = [
        _trace_entry(model, start, path, c.property, "counterexample", c.trace)
        for c in result.counterexamples
    ]
    traces += [
        _trace_entry(model, start, path, name, "witness", t) for name, t in result.witness_traces
    ]
    return {
        "result": result.result,
        "distinct": result.distinct_states,
        "generated": result.generated_states,
        "depth": result.depth,
        "seconds": round(result.seconds, 2),
        "complete": result.complete,
        "incomplete_reason": result.incomplete_reason,
        "properties": [
            {
                "name": p.name,
                "kind": p.kind,
                "status": p.status,
                "trace_length": p.trace_length,
            }
            for p in result.properties
        ],
        "traces": traces,
    }


def phases(
    model: Model[Any, Any],
    title: str,
    name: str,
    limits: dict[str, Any],
    report: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """The phase machine (`coordspec diagram`'s) as SVG, and each phase's node id."""
    from model_check.diagram import phase_dot, phase_machine, render_svg

    start = time.perf_counter()
    machine = phase_machine(model, None, limits.get("max_states"), _progress(report))
    svg = render_svg(phase_dot(machine, name, title))
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "svg": svg,
        "ids": {phase: f"p{k}" for k, phase in enumerate(machine.phases)},
        "distinct": machine.distinct_states,
        "complete": machine.complete,
    }


def _run(conn: Connection, kind: str, setup: Setup, args: dict[str, Any]) -> None:
    """A job's process: build the model, compute, send ("progress" | "done" | "failed",
    data) messages."""
    try:
        from model_check.cli import load_spec

        spec = load_spec(setup.protocol)
        model, config = build(setup, spec)

        def report(data: dict[str, Any]) -> None:
            conn.send(("progress", data))

        if kind == "check":
            result = check_from(model, tuple(args["path"]), args["limits"], report)
        else:
            from model_check.diagram import config_text

            title = f"{spec.name}: {spec.summary}\n{config_text(config)}"
            result = phases(model, title, spec.name, args["limits"], report)
        conn.send(("done", result))
    except Exception as err:  # the model's code or the search failed: said, not raised
        conn.send(("failed", f"{type(err).__name__}: {err}"))
    finally:
        conn.close()


class Job:
    """One computation in its own process, as the page sees it."""

    def __init__(self, number: int, kind: str, setup: Setup, args: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self.number = number
        self.kind = kind
        self.status = "running"
        self.progress: dict[str, Any] = {}
        self.result: dict[str, Any] | None = None
        self.error: str | None = None
        self._start = time.monotonic()
        self._end: float | None = None  # when the job ended (as the server saw it)
        self._conn, child = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_run, args=(child, kind, setup, args), daemon=True, name=f"explore-{kind}"
        )
        self._process.start()
        child.close()

    def poll(self) -> None:
        """Read what the job has sent; a process that ended without a result failed."""
        while self.status == "running":
            try:
                if not self._conn.poll():
                    if not self._process.is_alive() and not self._conn.poll(0.2):
                        code = self._process.exitcode
                        self.status, self.error = "failed", f"the job's process ended ({code})"
                    return
                what, data = self._conn.recv()
            except (EOFError, OSError):
                self.status, self.error = "failed", "the job's process ended without a result"
                return
            if what == "progress":
                self.progress = data
            elif what == "done":
                self.status, self.result = "done", data
            else:
                self.status, self.error = "failed", str(data)
        if self.status != "running":
            if self._end is None:
                self._end = time.monotonic()
            self._process.join(timeout=1)

    def cancel(self) -> None:
        """Stop the job (its process is terminated)."""
        if self.status == "running":
            self._process.terminate()
            self._process.join(timeout=5)
            self.status, self._end = "cancelled", time.monotonic()

    def to_json(self) -> dict[str, Any]:
        """What `GET /api/jobs/N` answers; `seconds` since it started (until it ended,
        to within the page's polling: the server reads the pipe when asked)."""
        self.poll()
        out: dict[str, Any] = {
            "job": self.number,
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "seconds": round((self._end or time.monotonic()) - self._start, 1),
        }
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out


class Jobs:
    """The server's jobs, by number."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self._jobs: dict[int, Job] = {}

    def start(self, kind: str, args: dict[str, Any]) -> Job:
        """Start a job (`check` or `phases`).

        Raises:
            ExploreError: a check is already running (cancel it first).
        """
        for job in self._jobs.values():
            job.poll()
            if job.kind == kind and job.status == "running":
                raise ExploreError(f"a {kind} is already running (job {job.number}); cancel it")
        job = Job(len(self._jobs) + 1, kind, self.setup, args)
        self._jobs[job.number] = job
        return job

    def get(self, number: int) -> Job:
        """Job `number`.

        Raises:
            KeyError: no such job.
        """
        return self._jobs[number]

    def latest(self, kind: str) -> Job | None:
        """The last job of `kind` started, or None."""
        found = [j for j in self._jobs.values() if j.kind == kind]
        return found[-1] if found else None

    def close(self) -> None:
        """Stop every running job (the server is shutting down)."""
        for job in self._jobs.values():
            job.cancel()
