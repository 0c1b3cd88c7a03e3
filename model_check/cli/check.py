"""`coordspec check`: one run, a protocol's portfolio of presets, or every protocol's; the
reports and the counterexamples written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import attrs
import typer
from rich.console import Console

from model_check import conform
from model_check.checkpoint import DEFAULT_EVERY, Checkpointer
from model_check.cli.common import (
    UsageError,
    app,
    command_options,
    describe_variant,
    load_spec,
    make_console,
    parse_params,
)
from model_check.diskset import parse_memory
from model_check.engine import ModelError, Options, check, simulate
from model_check.itf import write_trace
from model_check.parallel import check_parallel, parse_cluster
from model_check.progress import Activity
from model_check.report import (
    counts_line,
    fingerprint_line,
    portfolio_table,
    properties_table,
    result_line,
    step_table,
    timing_line,
    to_json,
)
from model_check.result import CheckResult
from spec import registry
from spec.core import (
    Config,
    ConfigError,
    HypothesisError,
    Model,
    Preset,
    Specification,
    make_config,
)
from spec.variants import UnknownVariantError, Variant, find_variant


def memory_bytes(memory: str | None, full_states: bool) -> int | None:
    """`--memory`'s limit in bytes, or None.

    Raises:
        UsageError: a malformed limit, or one with --full-states (nothing to spill).
    """
    if memory is None:
        return None
    if full_states:
        raise UsageError("--memory bounds the fingerprints; --full-states keeps whole states")
    try:
        return parse_memory(memory)
    except ValueError as err:
        raise UsageError(str(err)) from None


def parallel_search(
    workers: int | None, cluster: str | None, simulate_runs: int | None
) -> Callable[[Model[Any, Any], Options], CheckResult] | None:
    """The search on `--workers` or `--cluster`, or None for the one-process engine
    (what the options of a run allow, `--full-states` among them, `check_parallel` says).

    Raises:
        UsageError: the options do not go together, or the address is malformed.
    """
    if workers is None and cluster is None:
        return None
    if workers is not None and cluster is not None:
        raise UsageError("give one of --workers and --cluster")
    if simulate_runs is not None:
        raise UsageError("--workers and --cluster are for the exhaustive search, not --simulate")
    if cluster is not None:
        try:
            parse_cluster(cluster)
        except ValueError as err:
            raise UsageError(str(err)) from None

    def search(model: Model[Any, Any], options: Options) -> CheckResult:
        result, shipped = check_parallel(model, options, workers=workers or 1, cluster=cluster)
        where = f"{shipped.workers} {shipped.transport}"
        print(
            f"coordspec: workers: {where}; shipped {shipped.states_shipped:,} states, "
            f"{shipped.bytes_shipped:,} bytes ({shipped.bytes_per_state:.0f} a state); "
            f"fingerprints {shipped.fingerprint_bytes:,} bytes, "
            f"liveness steps {shipped.edge_bytes:,} bytes",
            file=sys.stderr,
        )
        return result

    return search


@app.command(
    "check",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def check_command(
    ctx: typer.Context,
    protocol: Annotated[
        str | None,
        typer.Argument(help="A registered protocol or a model file; all protocols if omitted."),
    ] = None,
    max_depth: Annotated[
        int | None, typer.Option(min=0, help="Do not expand states this many steps deep.")
    ] = None,
    max_states: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many distinct states.")
    ] = None,
    full_states: Annotated[
        bool,
        typer.Option("--full-states", help="Store whole states (exact) instead of fingerprints."),
    ] = False,
    symmetry: Annotated[
        bool | None,
        typer.Option("--symmetry/--no-symmetry", help="Symmetry reduction (default: the model's)."),
    ] = None,
    deadlock: Annotated[
        bool, typer.Option("--deadlock/--no-deadlock", help="Report deadlocks.")
    ] = True,
    liveness: Annotated[
        bool,
        typer.Option(
            "--liveness/--no-liveness", help="Decide eventually-properties (keeps the graph)."
        ),
    ] = True,
    keep_going: Annotated[
        bool,
        typer.Option("--continue", help="Go on after a violation; one trace per property."),
    ] = False,
    simulate_runs: Annotated[
        int | None, typer.Option("--simulate", min=1, help="Random walks instead of BFS.")
    ] = None,
    depth: Annotated[int, typer.Option(min=1, help="Steps per random walk.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the random walks.")] = 0,
    trace_out: Annotated[
        Path | None,
        typer.Option(
            help="Write the counterexample as ITF JSON to this file (a portfolio: the first "
            "failing preset's)."
        ),
    ] = None,
    witness_out: Annotated[
        Path | None,
        typer.Option(
            help="Write each reached witness's trace as DIR/<witness>.itf.json (one "
            "configuration: parameters or --preset, not a portfolio)."
        ),
    ] = None,
    variant_name: Annotated[
        str | None,
        typer.Option(
            "--variant",
            metavar="NAME",
            help="Check the protocol's named variant (a finding's or a mutant's: list --variants).",
        ),
    ] = None,
    preset_name: Annotated[
        str | None,
        typer.Option(
            "--preset",
            metavar="NAME",
            help="Start from the protocol's named configuration (list shows them); "
            "--name value options override it.",
        ),
    ] = None,
    allow_unsafe: Annotated[
        bool,
        typer.Option(
            "--allow-unsafe-faults",
            help="Allow more faulty participants than the protocol's hypothesis (PBFT: "
            "n >= 3f + 1); the run is labelled outside it, violations are expected.",
        ),
    ] = False,
    memory: Annotated[
        str | None,
        typer.Option(
            "--memory",
            metavar="LIMIT",
            help="Keep the visited set's fingerprints within LIMIT bytes (512M, 2G, 1.5GiB; "
            "K, M, G are 1024-based, KB, MB, GB 1000-based); past it they spill to a "
            "sorted file on disk, with the same results (with --workers: per process).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            metavar="N",
            min=1,
            help="Search on N local processes, the states partitioned by fingerprint: "
            "the same counts, verdicts and counterexamples (lassos included).",
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="ADDRESS",
            help="Search on Ray (pip install 'coordspec[cluster]'): local:N starts a local "
            "cluster of N workers for the run; ray://HOST:PORT, HOST:PORT or auto joins "
            "one (one worker a CPU); the same results as --workers.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress lines.")] = False,
    checkpoint_dir: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            metavar="DIR",
            help="Write a snapshot of the search to DIR/checkpoint.bin every "
            "--checkpoint-every seconds and on Ctrl-C or SIGTERM (then stop); --resume DIR "
            "goes on from it. One configuration (parameters or --preset), not --simulate.",
        ),
    ] = None,
    checkpoint_every: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            help=f"Seconds between two snapshots (default {DEFAULT_EVERY:g}).",
        ),
    ] = None,
    resume_dir: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="DIR",
            help="Resume the search from DIR's checkpoint (the same protocol, parameters "
            "and options); it goes on writing snapshots there (or to --checkpoint DIR).",
        ),
    ] = None,
) -> int:
    """Model-check a protocol (each parameter is an option: --name value).

    Without parameters, --preset or --variant: the protocol's portfolio, each of its
    portfolio presets (list shows them) exhaustively in turn, then one table; without a
    protocol, every protocol's portfolio. The checker's options apply to every run.
    """
    variant: Variant[Any] | None = None  # --variant's, once the protocol is known
    parallel = parallel_search(workers, cluster, simulate_runs)
    memory_limit = memory_bytes(memory, full_states)
    warnings: list[str] = []  # the hypotheses the configuration is outside of
    options = Options(
        max_depth=max_depth,
        max_states=max_states,
        fingerprints=not full_states,
        symmetry=symmetry,
        check_deadlock=deadlock,
        check_liveness=liveness,
        stop_at_first=not keep_going,
        memory=memory_limit,
    )

    models: dict[str, Any] = {}  # each run's model (by `run`'s key), for `relied_on`
    checkpointer: Checkpointer | None = None  # --checkpoint / --resume's, once one config

    def run(
        spec: Specification[Any], values: dict[str, str], preset: str | None = None
    ) -> tuple[dict[str, Any], CheckResult]:
        key = spec.name if preset is None else f"{spec.name}/{preset}"
        try:
            if variant is not None:
                config = variant.configure(values, unsafe=allow_unsafe)
                model = models[key] = variant.model(config)
            else:
                config = make_config(spec.config_type, values, unsafe=allow_unsafe)
                model = models[key] = spec.build(config)
        except HypothesisError as err:
            raise UsageError(
                f"{spec.name}: {err}: outside the hypothesis of the protocol's guarantees "
                "(--allow-unsafe-faults checks it anyway, where violations are expected)"
            ) from None
        except ConfigError as err:
            raise UsageError(f"{spec.name}: {err}") from None
        except Exception as err:  # the model's own code failed while building it
            raise UsageError(
                f"{spec.name}: {type(err).__name__} building the model: {err}"
            ) from err
        if isinstance(config, Config):
            warnings.extend(config.hypothesis_warnings())
        shown = dict(config.as_dict()) if isinstance(config, Config) else {}
        what = spec.name if preset is None else f"{spec.name}, preset {preset}"
        try:
            with Activity(quiet) as activity:
                watched = attrs.evolve(options, progress=activity.search(what))
                if simulate_runs is not None:
                    return shown, simulate(model, simulate_runs, depth, seed, watched)
                if parallel is not None:
                    if checkpointer is not None:
                        raise UsageError(
                            "--checkpoint and --resume run on one process for now, "
                            "not with --workers or --cluster"
                        )
                    return shown, parallel(model, watched)
                return shown, check(model, watched, checkpointer)
        except ModelError as err:
            raise UsageError(f"{spec.name}: {err}") from err.__cause__

    if protocol is not None and protocol.startswith("-"):
        raise UsageError("parameters need a protocol: coordspec check PROTOCOL --name value")
    checkpoints = checkpoint_dir is not None or resume_dir is not None
    if checkpoints and simulate_runs is not None:
        raise UsageError("--checkpoint and --resume are for the exhaustive search, not --simulate")
    if checkpoint_every is not None and not checkpoints:
        raise UsageError("--checkpoint-every needs --checkpoint DIR (or --resume DIR)")
    if checkpoint_every is not None and not checkpoint_every > 0:
        raise UsageError(f"--checkpoint-every {checkpoint_every:g}: expected seconds > 0")
    if checkpoint_dir is not None and checkpoint_dir.exists() and not checkpoint_dir.is_dir():
        raise UsageError(f"--checkpoint {checkpoint_dir} is a file, not a directory")
    one_config = (
        "--checkpoint and --resume need one configuration: coordspec check PROTOCOL "
        "--preset NAME (or parameters, or --variant NAME), not a portfolio"
    )
    if protocol is None:
        if checkpoints:
            raise UsageError(one_config)
        if ctx.args:
            raise UsageError("parameters need a protocol: coordspec check PROTOCOL --name value")
        if trace_out is not None or witness_out is not None:
            raise UsageError(
                "--trace-out and --witness-out need a protocol: coordspec check PROTOCOL"
            )
        if variant_name is not None:
            raise UsageError("--variant needs a protocol: coordspec check PROTOCOL --variant NAME")
        if preset_name is not None:
            raise UsageError("--preset needs a protocol: coordspec check PROTOCOL --preset NAME")
        portfolios: list[tuple[Specification[Any], list[PortfolioRun]]] = []
        for spec in registry.specifications().values():
            portfolios.append((spec, run_portfolio(spec, run)))
            if portfolios[-1][1][-1].result.interrupted:
                break  # Ctrl-C: the protocols checked so far, and the partial one
        everything = [r.result for _, runs in portfolios for r in runs]
        if as_json:
            results = [portfolio_json(spec, runs, models) for spec, runs in portfolios]
            print(json.dumps({"results": results, "ok": portfolio_ok(everything)}, indent=2))
            return combined_exit_code(everything)
        console = make_console()
        if not portfolios:
            console.print("No protocols are registered: nothing to check.")
            return 0
        rows = [(spec.name, r.preset.name, r.result) for spec, runs in portfolios for r in runs]
        title = "coordspec check: every registered protocol's portfolio"
        console.print(portfolio_table(rows, title, protocols=True))
        show_failures(console, [(spec, r) for spec, runs in portfolios for r in runs], models)
        console.print(portfolio_line(everything))
        return combined_exit_code(everything)

    spec = load_spec(protocol)
    if variant_name is not None:
        try:
            variant = find_variant(spec.name, variant_name)
        except UnknownVariantError as err:
            raise UsageError(str(err)) from None
        if not variant.first and not keep_going:  # its property is not the first found
            keep_going = True
            options = attrs.evolve(options, stop_at_first=False)
    if witness_out is not None and witness_out.exists() and not witness_out.is_dir():
        raise UsageError(f"--witness-out {witness_out} is a file, not a directory")
    if trace_out is not None and not trace_out.parent.is_dir():
        raise UsageError(f"--trace-out {trace_out}: no such directory {trace_out.parent}")
    values = parse_params(ctx.args, spec, command_options(ctx))
    if variant is None and preset_name is None and not values and spec.portfolio():
        if checkpoints:
            raise UsageError(one_config)
        if witness_out is not None:
            raise UsageError(
                f"--witness-out writes one configuration's witnesses, not a portfolio's: "
                f"coordspec check {protocol} --preset NAME --witness-out DIR"
            )
        return check_portfolio(
            spec, run_portfolio(spec, run), models, trace_out, keep_going, as_json
        )
    if preset_name is not None:
        if variant is not None:
            raise UsageError("--preset and --variant do not combine: a variant has its own")
        try:
            values = {**spec.preset(preset_name).params, **values}
        except ConfigError as err:
            raise UsageError(str(err)) from None
    if checkpoints:
        checkpointer = Checkpointer(
            checkpoint_dir,
            resume=resume_dir,
            every=DEFAULT_EVERY if checkpoint_every is None else checkpoint_every,
            label=spec.name if variant is None else f"{spec.name} --variant {variant.name}",
        )
    config, result = run(spec, values)
    if checkpointer is not None and result.interrupted:
        resume = f"to resume, run the same command with --resume {checkpointer.directory}"
        if checkpointer.stopped:
            print(
                f"coordspec: interrupted: checkpoint written to {checkpointer.path}; {resume}",
                file=sys.stderr,
            )
        elif checkpointer.path.is_file():  # a second signal: the last snapshot stays
            print(
                f"coordspec: interrupted: the last checkpoint is {checkpointer.path}; {resume}",
                file=sys.stderr,
            )
    params = conform.param_texts(config)  # `coordspec conform` reads them back
    meta: dict[str, object] = {"protocol": spec.name, "params": params}
    if variant is not None:
        meta["variant"] = variant.name  # so that `conform` replays the variant's model
    if allow_unsafe:
        meta["allow_unsafe_faults"] = True
    written = write_counterexamples(meta, result, trace_out, keep_going)
    if witness_out is not None:
        try:
            witness_out.mkdir(parents=True, exist_ok=True)
            for name, trace in result.witness_traces:
                path = witness_out / f"{name}.itf.json"
                write_trace(path, trace, {**meta, "witness": name})
        except OSError as err:
            raise UsageError(f"--witness-out {witness_out}: {err.strerror or err}") from None
    if as_json:
        data = to_json(spec.name, config, result, models.get(spec.name))
        if variant is not None:
            data["variant"] = describe_variant(variant)
        if warnings:
            data["warnings"] = warnings
        print(json.dumps(data, indent=2))
        return result.exit_code
    console = make_console()
    shown = ", ".join(f"{k}={v}" for k, v in params.items())  # as typed on the command line
    console.print(f"coordspec check {spec.name} ({shown or 'no parameters'})")
    if variant is not None:
        console.print(
            f"Variant {variant.name} ({variant.reproduces}): {variant.description} "
            f"Expected: {variant.expected()}.",
            markup=False,
        )
    for warning in warnings:
        console.print(f"WARNING: {warning}", markup=False)
    console.print(properties_table(result))
    shown_traces = result.counterexamples if keep_going else result.counterexamples[:1]
    for cex in shown_traces:
        title = f"Counterexample: {cex.kind} {cex.property} violated in {len(cex.trace)} steps"
        console.print(step_table(cex.trace, title, models.get(spec.name)))
    for path in written:
        console.print(f"Counterexample written to {path} (ITF JSON).")
    if witness_out is not None:
        console.print(
            f"{len(result.witness_traces)} witness traces written to {witness_out}/ (ITF JSON)."
        )
    console.print(counts_line(result))
    console.print(fingerprint_line(result))
    console.print(timing_line(result))
    console.print(result_line(result, simulate_runs, depth))
    return result.exit_code


@attrs.frozen
class PortfolioRun:
    """One preset of a portfolio and what checking it found."""

    preset: Preset
    config: dict[str, Any]
    result: CheckResult


#: `check_command`'s `run`: a protocol, its parameters and the preset they are, checked.
Runner = Callable[
    [Specification[Any], dict[str, str], str | None], tuple[dict[str, Any], CheckResult]
]


def run_portfolio(spec: Specification[Any], run: Runner) -> list[PortfolioRun]:
    """Check each preset of the protocol's portfolio in turn (the default alone when it
    declares none), stopping after one that Ctrl-C interrupted."""
    runs = []
    for preset in spec.portfolio() or (spec.preset("default"),):
        config, result = run(spec, dict(preset.params), preset.name)
        runs.append(PortfolioRun(preset, config, result))
        if result.interrupted:
            break
    return runs


def portfolio_key(spec: Specification[Any], r: PortfolioRun) -> str:
    """The key under which `check_command`'s `run` keeps a portfolio run's model."""
    return f"{spec.name}/{r.preset.name}"


def portfolio_ok(results: Sequence[CheckResult]) -> bool:
    """Whether every run of a portfolio is a complete exhaustive run where all holds."""
    return all(r.result == "ok" for r in results)


def portfolio_json(
    spec: Specification[Any], runs: Sequence[PortfolioRun], models: Mapping[str, Any]
) -> dict[str, Any]:
    """A portfolio as `--json` prints it: `protocol`, `portfolio` (one object per preset:
    `preset`, then the single run's JSON object, `to_json`) and `ok`."""
    return {
        "protocol": spec.name,
        "portfolio": [
            {
                "preset": r.preset.name,
                **to_json(spec.name, r.config, r.result, models.get(portfolio_key(spec, r))),
            }
            for r in runs
        ],
        "ok": portfolio_ok([r.result for r in runs]),
    }


def portfolio_line(results: Sequence[CheckResult]) -> str:
    """The last line of a portfolio: its verdict, as `result_line` words one run's."""
    verdicts = {r.result for r in results}
    for verdict in ("violation", "interrupted", "incomplete", "no_violation_found"):
        if verdict in verdicts:
            failed = sum(1 for r in results if r.result == verdict)
            words = verdict.upper().replace("_", " ")
            return f"Result: {words} ({failed} of {len(results)} runs)"
    return f"Result: OK ({len(results)} runs)"


def show_failures(
    console: Console,
    runs: Sequence[tuple[Specification[Any], PortfolioRun]],
    models: Mapping[str, Any],
) -> None:
    """Each failing preset's first counterexample, as a step table."""
    for spec, r in runs:
        cex = r.result.counterexample
        if cex is None:
            continue
        shown = ", ".join(f"{k}={v}" for k, v in conform.param_texts(r.config).items())
        title = (
            f"Counterexample ({spec.name} --preset {r.preset.name}: {shown}): {cex.kind} "
            f"{cex.property} violated in {len(cex.trace)} steps"
        )
        console.print(step_table(cex.trace, title, models.get(portfolio_key(spec, r))))


def check_portfolio(
    spec: Specification[Any],
    runs: Sequence[PortfolioRun],
    models: Mapping[str, Any],
    trace_out: Path | None,
    every: bool,
    as_json: bool,
) -> int:
    """Report a protocol's portfolio (a table, each failing preset's counterexample, the
    verdict; or with `as_json` one object) and write the first failing preset's
    counterexample to `trace_out`; the exit code, as `combined_exit_code`."""
    results = [r.result for r in runs]
    written: list[tuple[str, Path]] = []
    failing = next((r for r in runs if r.result.counterexamples), None)
    if failing is not None:
        meta = {
            "protocol": spec.name,
            "params": conform.param_texts(failing.config),
            "preset": failing.preset.name,
        }
        paths = write_counterexamples(meta, failing.result, trace_out, every)
        written = [(failing.preset.name, path) for path in paths]
    if as_json:
        print(json.dumps(portfolio_json(spec, runs, models), indent=2))
        return combined_exit_code(results)
    console = make_console()
    console.print(
        f"coordspec check {spec.name}: its portfolio of {len(runs)} presets "
        f"(coordspec list shows them; --preset NAME checks one)"
    )
    rows = [(spec.name, r.preset.name, r.result) for r in runs]
    console.print(portfolio_table(rows, f"{spec.name}: the portfolio", protocols=False))
    show_failures(console, [(spec, r) for r in runs], models)
    for name, path in written:
        console.print(f"Counterexample of preset {name} written to {path} (ITF JSON).")
    console.print(portfolio_line(results))
    return combined_exit_code(results)


def combined_exit_code(results: Sequence[CheckResult]) -> int:
    """One exit code for several runs: a violation first, then Ctrl-C, then a cap."""
    codes = {r.exit_code for r in results}
    for code in (1, 130, 3):
        if code in codes:
            return code
    return 0


def counterexample_path(trace_out: Path, prop: str) -> Path:
    """`cex.itf.json` -> `cex.<prop>.itf.json`: one file per property under --continue."""
    name = trace_out.name
    stem = name[: -len(".itf.json")] if name.endswith(".itf.json") else trace_out.stem
    return trace_out.with_name(f"{stem}.{prop}.itf.json")


def write_counterexamples(
    meta: Mapping[str, object],
    result: CheckResult,
    trace_out: Path | None,
    every: bool,
) -> list[Path]:
    """Write the counterexample (with `every`, each property's) as ITF; the paths written.

    `meta` (protocol, params, variant...) goes into each file's `#meta`.

    Raises:
        UsageError: a file cannot be written.
    """
    if trace_out is None or not result.counterexamples:
        return []
    chosen = result.counterexamples if every else result.counterexamples[:1]
    written = []
    for cex in chosen:
        path = counterexample_path(trace_out, cex.property) if every else trace_out
        try:
            write_trace(path, cex.trace, {**meta, "property": cex.property, "kind": cex.kind})
        except OSError as err:
            raise UsageError(f"--trace-out {path}: {err.strerror or err}") from None
        written.append(path)
    return written
