"""The explorer's web server: Starlette routes over one `Explorer`, served by uvicorn.

Routes (every answer JSON but the page, its two assets and the SVGs):

- `GET /`: the page; `GET /static/explore.js`, `/static/explore.css`: its assets (the
  only files served: they ship in the package).
- `GET /api/model`: the protocol, parameters, properties and loaded traces.
- `GET /api/state?path=P&at=K`: the state step K of path P reaches, its actions and
  properties, the path's steps (`Explorer.view`).
- `GET /api/chart.svg?path=P`: the path's message sequence chart.
- `GET /api/phases`: the phase machine's job (started with the server): its progress,
  then its SVG and the node of each phase.
- `POST /api/check` `{"path": P, "max_states": N, "max_depth": D, "liveness": B}`:
  start a check from P's state; `GET /api/jobs/N`: its progress, then its verdicts
  and traces (as paths); `DELETE /api/jobs/N`: cancel it.

A request the model cannot answer (a forged path, an unknown job, a malformed body) is
a 4xx whose JSON says why in one line; a failure in the model's own code is a 500 that
says so in one line; never a traceback. Only the Host names 127.0.0.1 and localhost
are answered (a page elsewhere cannot reach the server by DNS rebinding).
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from model_check.diagram import DiagramError
from model_check.explore.jobs import Jobs
from model_check.explore.session import ExploreError, Explorer, parse_path

#: The files the page is made of, with their media types: nothing else is served.
ASSETS = {
    "explore.js": "text/javascript; charset=utf-8",
    "explore.css": "text/css; charset=utf-8",
}
#: The largest request body read (a check's options are a few dozen bytes).
MAX_BODY = 16_384
#: The default cap of a check from the page (distinct states).
CHECK_STATES = 1_000_000


def _asset(name: str) -> str:
    return resources.files("model_check.explore").joinpath("static", name).read_text("utf-8")


def _number(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    if not (text.isdigit() and text.isascii() and len(text) <= 9):
        raise ExploreError(f"{name}: expected a number, got {text[:20]!r}")
    return int(text)


def _known_params(request: Request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ExploreError(f"unknown query parameter {unknown[0][:40]!r}")


Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(endpoint: Endpoint) -> Endpoint:
    """`endpoint`, with a failure of the model's code (or of graphviz) answered in one
    line: 500 (503 when `dot` is missing or fails), never a traceback."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except (ExploreError, HTTPException):
            raise
        except DiagramError as err:
            return JSONResponse({"error": str(err)}, status_code=503)
        except Exception as err:
            text = f"the model's code failed: {type(err).__name__}: {err}"
            return JSONResponse({"error": " ".join(text.split())[:500]}, status_code=500)

    return answer


def create_app(
    explorer: Explorer,
    phase_states: int | None = 1_000_000,
    check_states: int = CHECK_STATES,
) -> Starlette:
    """The server's application over `explorer`; the phase machine's job starts with it
    (when the model declares phases), with at most `phase_states` states."""
    jobs = Jobs(explorer.setup)
    page = _asset("index.html")

    async def index(request: Request) -> Response:
        return Response(page, media_type="text/html; charset=utf-8")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            raise HTTPException(404, f"no such file: {name[:40]}")
        return Response(_asset(name), media_type=ASSETS[name])

    async def model(request: Request) -> Response:
        return JSONResponse(explorer.heading())

    async def state(request: Request) -> Response:
        _known_params(request, {"path", "at"})
        path = parse_path(request.query_params.get("path", ""))
        at = _number(request, "at")
        explorer.cut(path, at)  # an `at` beyond the path is refused before the walk
        return JSONResponse(explorer.view(path, at))

    async def chart(request: Request) -> Response:
        _known_params(request, {"path"})
        path = parse_path(request.query_params.get("path", ""))
        explorer.paths.walk(path)  # a forged path is a 400 before dot runs
        return Response(explorer.chart_svg(path), media_type="image/svg+xml")

    async def phases(request: Request) -> Response:
        job = jobs.latest("phases")
        if job is None:
            return JSONResponse({"status": "none", "error": "the model declares no phases"})
        return JSONResponse(job.to_json())

    async def start_check(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            raise ExploreError(f"the request body is larger than {MAX_BODY} bytes")
        try:
            data = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            raise ExploreError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise ExploreError("the request body: expected a JSON object")
        unknown = sorted(set(data) - {"path", "max_states", "max_depth", "liveness"})
        if unknown:
            raise ExploreError(f"unknown field {str(unknown[0])[:40]!r}")
        text = data.get("path", "")
        if not isinstance(text, str):
            raise ExploreError('path: expected a string such as "0.3.1"')
        path = parse_path(text) or (0,)
        explorer.paths.node(path)  # a forged path is refused here, not in the job
        limits: dict[str, Any] = {"liveness": data.get("liveness", True)}
        if not isinstance(limits["liveness"], bool):
            raise ExploreError("liveness: expected true or false")
        for name, default in (("max_states", check_states), ("max_depth", None)):
            value = data.get(name, default)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 1
            ):
                raise ExploreError(f"{name}: expected a positive integer")
            limits[name] = value
        try:
            job = jobs.start("check", {"path": list(path), "limits": limits})
        except ExploreError as err:
            raise HTTPException(409, str(err)) from None
        return JSONResponse(job.to_json(), status_code=202)

    def _job(request: Request) -> Any:
        text = request.path_params["number"]
        try:
            return jobs.get(int(text))
        except (KeyError, ValueError):
            raise HTTPException(404, f"no job {text[:20]}") from None

    async def job(request: Request) -> Response:
        return JSONResponse(_job(request).to_json())

    async def cancel(request: Request) -> Response:
        found = _job(request)
        found.cancel()
        return JSONResponse(found.to_json())

    async def refused(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if explorer.heading()["has_phases"]:
            jobs.start("phases", {"limits": {"max_states": phase_states}})
        try:
            yield
        finally:
            jobs.close()

    routes = [
        Route("/", guarded(index)),
        Route("/static/{name}", guarded(asset)),
        Route("/api/model", guarded(model)),
        Route("/api/state", guarded(state)),
        Route("/api/chart.svg", guarded(chart)),
        Route("/api/phases", guarded(phases)),
        Route("/api/check", guarded(start_check), methods=["POST"]),
        Route("/api/jobs/{number}", guarded(job)),
        Route("/api/jobs/{number}", guarded(cancel), methods=["DELETE"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])],
        exception_handlers={ExploreError: refused, HTTPException: http_error},
        lifespan=lifespan,
    )


def run(app: Starlette, port: int, announce: Callable[[str], None]) -> None:
    """Serve `app` on 127.0.0.1:`port` (0: a free port) until interrupted; `announce`
    is given the page's address once the port is bound.

    Raises:
        OSError: the port cannot be bound.
    """
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Without it a kept-alive connection waits ~40 ms on each answer (Nagle's algorithm
    # against the browser's delayed ACK: the headers and the body go in two writes);
    # the accepted connections inherit it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    serve(app, sock, announce)


def serve(app: Starlette, sock: Any, announce: Callable[[str], None]) -> None:  # pragma: no cover
    """Announce the address and serve until interrupted (the browser tests run it in a
    subprocess, through the command line)."""
    import uvicorn

    announce(f"http://127.0.0.1:{sock.getsockname()[1]}/")
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
