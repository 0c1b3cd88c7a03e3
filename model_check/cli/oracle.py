"""The conformance oracle's commands: `conform`, `validate`, `serve` and `generate`."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from model_check import conform, conform_events
from model_check.cli.common import (
    UsageError,
    app,
    command_options,
    load_spec,
    parse_params,
)
from model_check.engine import CheckerError
from model_check.progress import Activity
from spec import registry
from spec.core import (
    ConfigError,
    SpecError,
    Specification,
    make_config,
)
from spec.variants import Variant, all_variants


class AdapterAgent:
    """A protocol's reference implementation, through its registered adapter
    (`spec.registry.Adapter`), as a `conform_events.Agent`."""

    def __init__(self, adapter: registry.Adapter) -> None:
        self.adapter = adapter
        self.session: object = None

    def start(self, protocol: str, data: Mapping[str, Any]) -> conform_events.Outcome:
        """The adapter's `start` (the implementation's session_start)."""
        assert self.adapter.start is not None
        return self._outcome(self.adapter.start(data))

    def handle(self, event_type: str, data: Mapping[str, Any]) -> conform_events.Outcome:
        """The adapter's `handle` on the session."""
        assert self.adapter.handle is not None
        return self._outcome(self.adapter.handle(self.session, event_type, data))

    def _outcome(self, result: object) -> conform_events.Outcome:
        from impl.core import Decide, Error, Ok, Telemetry

        if isinstance(result, Error):
            return conform_events.Outcome(False, result.reason, result.detail or None)
        assert isinstance(result, Ok)
        self.session = result.session
        return conform_events.Outcome(
            True,
            telemetry=tuple(e.event for e in result.effects if isinstance(e, Telemetry)),
            decision=tuple(e.value for e in result.effects if isinstance(e, Decide)),
        )


def session_protocols() -> tuple[str, ...]:
    """The registered protocols whose implementation replays session logs."""
    found = []
    for name in registry.names():
        adapter = registry.adapter(name)
        if adapter is not None and adapter.start is not None and adapter.handle is not None:
            found.append(name)
    return tuple(found)


def _conform_events(
    spec: Specification[Any], path: Path, args: Sequence[str], reserved: set[str]
) -> conform_events.EventReport:
    """`conform --events`: a session_start log through the protocol's implementation
    (its registered adapter), else through the spec."""
    try:
        log = conform_events.read_log(path)
        if log.protocol != spec.name:
            raise conform_events.LogError(f"a {log.protocol!r} log, not {spec.name!r}")
        if not log.implementation_form:
            config = make_config(spec.config_type, parse_params(args, spec, reserved))
            return conform_events.replay_spec(log, spec.build(config))
        if args:
            raise UsageError("parameters only apply to spec-form logs (no session_start)")
        known = session_protocols()
        if spec.name not in known:
            raise conform_events.LogError(f"session logs are replayed for {', '.join(known)} only")
        adapter = registry.adapter(spec.name)
        assert adapter is not None
        return conform_events.replay(log, AdapterAgent(adapter))
    except (conform_events.LogError, ConfigError) as err:
        raise UsageError(f"{path}: {err}") from None


@app.command(
    "conform",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def conform_command(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Argument(help="A registered protocol or a model file.")],
    trace: Annotated[
        Path, typer.Argument(help="The ITF trace (*.itf.json) to replay, or with --events a log.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    events: Annotated[
        bool,
        typer.Option("--events", help="TRACE is a per-agent event log (JSON Lines): replay it."),
    ] = False,
    allow_unsafe: Annotated[
        bool,
        typer.Option(
            "--allow-unsafe-faults",
            help="Accept a configuration outside the protocol's hypothesis (as check does).",
        ),
    ] = False,
) -> int:
    """Replay an ITF trace through a protocol's step: 0 conforms, 1 the first divergence.

    A trace that `check --variant` or `check --allow-unsafe-faults` wrote says so in its
    `#meta` and is replayed through that variant, or with that allowance.
    """
    spec = load_spec(protocol)
    if events:
        return conform_events.run(
            _conform_events(spec, trace, ctx.args, command_options(ctx)), trace, as_json
        )

    def builder(variant: Variant[Any]) -> conform.Builder:
        def build(params: Mapping[str, str], unsafe: bool) -> Any:
            free = {k: v for k, v in params.items() if k not in variant.fixed}
            return variant.model(variant.configure(free, unsafe))

        return build

    builders = {v.name: builder(v) for v in all_variants() if v.protocol == spec.name}
    try:
        values = parse_params(ctx.args, spec, command_options(ctx))
        return conform.run(spec, trace, values, as_json, unsafe=allow_unsafe, builders=builders)
    except SpecError as err:  # ItfError, ConfigError: the trace or a parameter is bad
        raise UsageError(f"{trace}: {err}") from None


#: `validate.MAX_STATES` (tests/test_validate.py checks they agree): the module is
#: imported only by the commands that use it.
VALIDATE_MAX_STATES = 1_000_000


@app.command(
    "validate",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def validate_command(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Argument(help="A registered protocol or a model file.")],
    log: Annotated[Path, typer.Argument(help="The observation log (JSON Lines) to explain.")],
    max_states: Annotated[
        int, typer.Option(min=1, help="Give up after searching this many states.")
    ] = VALIDATE_MAX_STATES,
    witness_out: Annotated[
        Path | None,
        typer.Option(help="Write the behaviour that explains the log (or its prefix) as ITF."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress on standard error.")] = False,
) -> int:
    """Search the spec for a behaviour that explains a partial log: 0 explained, 1
    unexplained at a line, 3 gave up (--max-states)."""
    from model_check import validate  # imported when used: `check` need not compile it

    spec = load_spec(protocol)
    try:
        values = parse_params(ctx.args, spec, command_options(ctx))
        report: list[str] = []
        with Activity(quiet) as activity:
            code = validate.run(
                spec,
                log,
                values,
                as_json=as_json,
                max_states=max_states,
                witness_out=witness_out,
                emit=report.append,
                progress=activity.say,
            )
        for line in report:
            print(line)
        return code
    except (validate.LogError, SpecError) as err:
        raise UsageError(f"{log}: {err}") from None
    except OSError as err:
        raise UsageError(f"{witness_out}: {err.strerror or err}") from None


@app.command(
    "serve",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def serve_command(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Argument(help="A registered protocol or a model file.")],
    listen: Annotated[
        Path | None,
        typer.Option(help="Serve on this Unix socket (one session per connection)."),
    ] = None,
    max_states: Annotated[
        int, typer.Option(min=1, help="Give up a line after searching this many states.")
    ] = VALIDATE_MAX_STATES,
) -> int:
    """Answer logged lines one by one (standard input, or --listen): each ok or its
    divergence, one JSON line each; bad lines get errors and never end the session."""
    from model_check import serve  # imported when used, as validate

    spec = load_spec(protocol)
    values = parse_params(ctx.args, spec, command_options(ctx))
    try:
        make_config(spec.config_type, values)
    except ConfigError as err:
        raise UsageError(f"{spec.name}: {err}") from None
    if listen is not None:  # pragma: no cover - runs until killed (tests/test_serve.py)
        print(f"coordspec serve {spec.name}: listening on {listen}", file=sys.stderr, flush=True)
        serve.listen(spec, values, listen, max_states)
        return 0
    serve.Server(spec, values, max_states).serve(sys.stdin, sys.stdout)
    return 0


@app.command(
    "generate",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def generate_command(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Argument(help="A registered protocol or a model file.")],
    out: Annotated[Path, typer.Option(help="The directory to write the vectors to.")],
    cap: Annotated[int, typer.Option(min=1, help="Cases per action kind and per guard.")] = 3,
    max_states: Annotated[
        int, typer.Option(min=1, help="Explore at most this many states.")
    ] = 50_000,
    symmetry: Annotated[
        bool | None,
        typer.Option("--symmetry/--no-symmetry", help="Symmetry reduction (default: the model's)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace vectors already in the directory.")
    ] = False,
    per_agent: Annotated[
        bool,
        typer.Option(
            "--per-agent", help="Also write each case as one participant sees it (agent.json)."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress on standard error.")] = False,
) -> int:
    """Write test vectors (every action kind, every guard's rejection) and a manifest."""
    from model_check import generate

    spec = load_spec(protocol)
    try:
        config = make_config(spec.config_type, parse_params(ctx.args, spec, command_options(ctx)))
        with Activity(quiet) as activity:
            lines = generate.run(
                spec.name,
                spec.build(config),
                config,
                out,
                cap=cap,
                max_states=max_states,
                symmetry=symmetry,
                force=force,
                per_agent=per_agent,
                progress=activity.say,
            )
    except (ConfigError, generate.GenerateError) as err:
        raise UsageError(f"{spec.name}: {err}") from None
    except (CheckerError, UsageError):
        raise
    except Exception as err:  # the model's own code failed during the search
        raise UsageError(
            f"{spec.name}: model error: {type(err).__name__}: {err} (--debug shows the traceback)"
        ) from err
    except OSError as err:
        raise UsageError(f"{out}: {err.strerror or err}") from None
    for line in lines:
        print(line)
    return 0
