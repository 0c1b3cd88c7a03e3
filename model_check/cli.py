"""The `coordspec` command line: the wiring between the protocols and the tools.

This is the one module of `model_check` that names protocols: it registers the spec
modules (each exports `SPEC`, a `spec.core.Specification`) and hands them to the
generic checker. A model file of one's own can be checked too:
`coordspec check path/to/model.py` loads the file and checks its `SPEC`.

`coordspec check PROTOCOL` without parameters, `--preset` or `--variant` checks the
protocol's portfolio (`Specification.portfolio`): each of its presets in turn, then one
table; `coordspec check` checks every protocol's.

Exit codes: 0 every property holds, 1 a property is violated, 2 bad input (one line on
standard error naming the problem and the allowed values; never a traceback).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import attrs
import typer
from rich.console import Console

from model_check import conform, conform_events
from model_check.checkpoint import DEFAULT_EVERY, Checkpointer
from model_check.diskset import parse_memory
from model_check.engine import CheckerError, ModelError, Options, check, simulate
from model_check.itf import write_trace
from model_check.parallel import FILE_MODULE_PREFIX, check_parallel, load_module, parse_cluster
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
    SpecError,
    Specification,
    make_config,
)
from spec.variants import UnknownVariantError, Variant, all_variants, find_variant


def _console(stderr: bool = False) -> Console:
    """A console 120 columns wide unless it writes to a terminal (tables stay readable)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 120)


class UsageError(Exception):
    """Bad input from the command line: reported as one line, exit code 2."""


def load_spec(name: str) -> Specification[Any]:
    """A registered protocol by name, or the `SPEC` of a Python file given by path."""
    if name.endswith(".py") or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"no such model file: {name}")
        try:
            module = load_module(f"{FILE_MODULE_PREFIX}{path.stem}", str(path))
        except ImportError:  # pragma: no cover - a file no loader takes
            raise UsageError(f"cannot load {name} as a Python module") from None
        except SyntaxError as err:
            raise UsageError(f"{name}:{err.lineno}: syntax error: {err.msg}") from err
        except Exception as err:  # the file's own code failed while loading
            raise UsageError(f"{name}: {type(err).__name__} while loading: {err}") from err
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, Specification):
            raise UsageError(f"{name} defines no SPEC (a spec.core.Specification)")
        return spec
    try:
        return registry.specification(name)
    except registry.UnknownProtocolError as err:
        raise UsageError(str(err)) from None


def command_options(ctx: typer.Context) -> set[str]:
    """The long options of the command being run (`--max-depth`, `--no-liveness`...)."""
    return {
        opt
        for p in ctx.command.params
        for opt in (*p.opts, *p.secondary_opts)
        if opt.startswith("--")
    }


def refuse_clashes(spec: Specification[Any], reserved: set[str]) -> None:
    """A model parameter named like one of the command's own options is an error.

    Otherwise `--depth 5` would set the simulation's depth and silently leave a model
    parameter `depth` at its default (and `--liveness true` fail on "true").

    Raises:
        UsageError: naming the parameter and the option it clashes with.
    """
    for p in spec.params():
        if p.option in reserved:
            raise UsageError(
                f"{spec.name}: the model parameter {p.name!r} is named like the option "
                f"{p.option} of this command; rename the parameter (the command's options: "
                f"{', '.join(sorted(reserved))})"
            )


def parse_params(
    args: Sequence[str], spec: Specification[Any], reserved: set[str] | None = None
) -> dict[str, str]:
    """`--name value` / `--name=value` pairs from the command line, by parameter name.

    Raises:
        UsageError: an unknown option, a missing value, or (with `reserved`, the
            command's own options) a model parameter that clashes with one of them.
    """
    if reserved is not None:
        refuse_clashes(spec, reserved)
    names = {p.name for p in spec.params()}
    values: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or arg == "--":
            raise UsageError(f"unexpected argument {arg!r}")
        option, has_value, value = arg[2:].partition("=")
        name = option.replace("-", "_")
        if name not in names:
            known = ", ".join(p.option for p in spec.params()) or "none"
            raise UsageError(
                f"unknown option --{option}: {spec.name}'s parameters are {known} "
                "(the checker's own options: coordspec check --help)"
            )
        if not has_value:
            if i + 1 >= len(args):
                raise UsageError(f"option --{option} needs a value")
            i += 1
            value = args[i]
        values[name] = value
        i += 1
    return values


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="coordspec: model-check the MABEAM coordination protocols.",
)


def describe(spec: Specification[Any]) -> dict[str, Any]:
    """A protocol as `list --json` shows it: its parameters and its properties."""
    model = spec.build(spec.default_config())
    properties = [
        *(
            {"name": p.name, "kind": "invariant", "description": p.summary}
            for p in model.invariants()
        ),
        *({"name": p.name, "kind": "witness", "description": p.summary} for p in model.witnesses()),
        *(
            {"name": p.name, "kind": p.kind, "description": p.summary, "fairness": list(p.fairness)}
            for p in model.eventually()
        ),
    ]
    return {
        "name": spec.name,
        "summary": spec.summary,
        "parameters": [
            {
                "name": p.name,
                "option": p.option,
                "kind": p.kind,
                "default": p.shown_default(),
                "allowed": p.allowed(),
                "help": p.help,
            }
            for p in spec.params()
        ],
        "properties": properties,
        "presets": [
            {
                "name": p.name,
                "summary": p.summary,
                "params": dict(p.params),
                "portfolio": p.portfolio,
            }
            for p in spec.all_presets()
        ],
    }


def parameter_lines(spec: Specification[Any]) -> list[str]:
    """One line per parameter: option, default, allowed values, help."""
    return [
        f"  {p.option} (default {p.shown_default()}; {p.allowed()}): {p.help}"
        for p in spec.params()
    ]


def describe_variant(variant: Variant[Any]) -> dict[str, Any]:
    """A variant as `list --variants --json` shows it."""
    return {
        "protocol": variant.protocol,
        "name": variant.name,
        "reproduces": variant.reproduces,
        "property": variant.property,
        "length": variant.length,
        "first": variant.first,
        "description": variant.description,
        "params": conform.param_texts(variant.config.as_dict()),
        "fixed": list(variant.fixed),
    }


def variant_lines() -> list[str]:
    """`list --variants`: a header, then one line per variant in columns: protocol, name,
    what it reproduces (a FINDINGS.md entry, or `mutant`), the property violated, the
    length of its shortest counterexample (marked when only `--continue` finds it), the
    description."""
    rows = [("protocol", "variant", "reproduces", "property", "steps", "description")]
    rows += [
        (
            v.protocol,
            v.name,
            v.reproduces,
            v.property,
            str(v.length) if v.first else f"{v.length} (--continue)",
            v.description,
        )
        for v in all_variants()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True))
        + "  "
        + row[5]
        for row in rows
    ]


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    variants: Annotated[
        bool,
        typer.Option(
            "--variants",
            help="List the named variants instead (coordspec check PROTOCOL --variant NAME).",
        ),
    ] = False,
    names: Annotated[
        bool, typer.Option("--names", help="Print only the protocols' names, one a line.")
    ] = False,
) -> int:
    """List the protocols, their parameters (defaults, ranges), properties and presets."""
    if names:
        for name in registry.names():
            print(name)
        return 0
    if variants:
        if as_json:
            print(json.dumps({"variants": [describe_variant(v) for v in all_variants()]}, indent=2))
        else:
            for line in variant_lines():
                print(line)
        return 0
    specs = registry.specifications()
    if as_json:
        print(json.dumps({"protocols": [describe(spec) for spec in specs.values()]}, indent=2))
        return 0
    console = _console()
    if not specs:
        console.print("No protocols are registered.")
    for spec in specs.values():
        console.print(f"[bold]{spec.name}[/bold]: {spec.summary}")
        for line in parameter_lines(spec):
            console.print(line)
        for prop in describe(spec)["properties"]:
            console.print(f"  {prop['kind']} {prop['name']}: {prop['description']}")
        for preset in spec.all_presets():
            given = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in preset.params.items())
            role = " (portfolio)" if preset.portfolio else ""
            console.print(
                f"  preset {preset.name}{role}: {preset.summary}" + (f" ({given})" if given else "")
            )
    return 0


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
        console = _console()
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
    console = _console()
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
    console = _console()
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


@app.command(
    "diagram",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def diagram_command(
    ctx: typer.Context,
    protocol: Annotated[
        str | None, typer.Argument(help="A registered protocol or a model file.")
    ] = None,
    trace: Annotated[
        Path | None, typer.Option(help="Draw this ITF trace as a message sequence chart.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the DOT text to this file.")] = None,
    svg: Annotated[
        bool, typer.Option("--svg", help="Also render OUT with the suffix .svg (graphviz's dot).")
    ] = False,
    symmetry: Annotated[
        bool | None,
        typer.Option("--symmetry/--no-symmetry", help="Symmetry reduction (default: the model's)."),
    ] = None,
    max_states: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many distinct states.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress on standard error.")] = False,
) -> int:
    """Draw a protocol's phase machine, or a trace's message sequence chart, as graphviz."""
    from model_check import diagram  # here, so the other commands do not load graphviz

    if protocol is not None and protocol.startswith("-"):
        raise UsageError("parameters need a protocol: coordspec diagram PROTOCOL --name value")
    if (protocol is None) == (trace is None):
        raise UsageError("give a protocol or --trace FILE.itf.json (one of them)")
    if svg and out is None:
        raise UsageError("--svg needs --out FILE.dot (the SVG is written beside it)")
    try:
        if trace is not None:
            text = diagram.trace_diagram(trace, registry.specifications())
        else:
            assert protocol is not None
            spec = load_spec(protocol)
            values = parse_params(ctx.args, spec, command_options(ctx))
            with Activity(quiet) as activity:
                text = diagram.protocol_diagram(
                    spec, values, symmetry, max_states, activity.search(spec.name)
                )
        if out is None:
            print(text, end="")
            return 0
        for path in diagram.write(text, out, svg):
            print(f"Wrote {path}")
    except (ConfigError, diagram.DiagramError) as err:
        raise UsageError(str(err)) from None
    return 0


@app.command(
    "explore",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def explore_command(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Argument(help="A registered protocol or a model file.")],
    trace: Annotated[
        list[Path] | None,
        typer.Option(
            help="A trace to step through (check --trace-out / --witness-out); repeatable. "
            "Its #meta gives the parameters and variant the command line leaves out."
        ),
    ] = None,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="The port on 127.0.0.1 (0: a free one).")
    ] = 0,
    variant_name: Annotated[
        str | None,
        typer.Option("--variant", metavar="NAME", help="Explore the protocol's named variant."),
    ] = None,
    allow_unsafe: Annotated[
        bool,
        typer.Option(
            "--allow-unsafe-faults",
            help="Accept a configuration outside the protocol's hypothesis (as check does).",
        ),
    ] = False,
    check_states: Annotated[
        int, typer.Option(min=1, help="A check from the page stops after this many states.")
    ] = 1_000_000,
    phase_states: Annotated[
        int, typer.Option(min=1, help="The phase machine explores at most this many states.")
    ] = 1_000_000,
) -> int:
    """Step through a protocol and its traces in the browser: a local server on
    127.0.0.1 (its address is printed; nothing is opened), until Ctrl-C."""
    from model_check.explore import app as web  # imported when used: check need not
    from model_check.explore import session

    spec = load_spec(protocol)
    values = parse_params(ctx.args, spec, command_options(ctx))
    try:
        explorer = session.open_model(
            spec, protocol, values, variant_name, allow_unsafe, trace or []
        )
    except (session.ExploreError, UnknownVariantError) as err:
        raise UsageError(str(err)) from None
    except HypothesisError as err:
        raise UsageError(
            f"{spec.name}: {err}: outside the hypothesis of the protocol's guarantees "
            "(--allow-unsafe-faults explores it anyway)"
        ) from None
    except ConfigError as err:
        raise UsageError(f"{spec.name}: {err}") from None
    application = web.create_app(explorer, phase_states, check_states)

    def announce(url: str) -> None:
        print(f"coordspec explore {spec.name}: {url} (Ctrl-C stops)", flush=True)

    try:
        web.run(application, port, announce)
    except OSError as err:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {err.strerror or err}") from None
    return 0


@app.command("prove")
def prove_command(
    names: Annotated[
        list[str] | None, typer.Argument(help="Theorems to prove (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    counterexamples: Annotated[
        bool,
        typer.Option(
            "--counterexamples", help="Also print the counterexample that refutes each twin."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress on standard error.")] = False,
) -> int:
    """Run the Z3 proofs and their negative twins: 0 all proved and all twins refuted."""
    from proofs import registry

    try:
        theorems = registry.select(names or [])
    except registry.UnknownProofError as err:
        raise UsageError(str(err)) from None
    with Activity(quiet) as activity:
        results = registry.prove(theorems, activity.say)
    ok = all(r.ok for r in results)
    if as_json:
        payload = {
            "ok": ok,
            "seconds": round(sum(r.seconds for r in results), 3),
            "results": [r.as_dict() for r in results],
        }
        print(json.dumps(payload, indent=2, sort_keys=True))
        return 0 if ok else 1
    console = _console()
    console.print(registry.table(results))
    for r in results:
        if not r.ok:
            expected = "refuted" if r.twin else "proved"
            console.print(f"{r.name}: {r.status}, expected {expected}")
            if r.counterexample:
                console.print(f"  counterexample: {r.counterexample}", markup=False)
        elif r.twin and counterexamples:
            for o in r.outcomes:
                console.print(
                    f"{r.name}: {o.name}: {o.counterexample}", soft_wrap=True, markup=False
                )
    total = sum(r.seconds for r in results)
    console.print(f"Solver time: {total:.2f} s over {len(results)} runs.")
    console.print(f"Result: {'PROVED' if ok else 'FAILED'}")
    return 0 if ok else 1


def protocol_help(args: Sequence[str]) -> None:
    """After `coordspec COMMAND PROTOCOL --help`: that protocol's own parameters."""
    if len(args) < 2 or args[0] not in ("check", "conform", "generate", "diagram"):
        return
    name = args[1]
    if name.startswith("-"):
        return
    try:
        spec = load_spec(name)
    except UsageError:
        return
    print(f"\nParameters of {spec.name} ({spec.summary}):")
    for line in parameter_lines(spec) or ["  (none)"]:
        print(line)


def version() -> str:
    """coordspec's version, as installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("coordspec")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (the console script exits with it).

    Every error is one line and exit 2: on standard error, or with `--json` as the JSON
    object `{"error": ...}` on standard output. `--debug` (anywhere on the command line)
    adds the Python traceback of an error raised inside a model's code.
    """
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if args in (["--version"], ["version"]):
        print(f"coordspec {version()}")
        return 0

    def fail(message: str, cause: BaseException | None = None) -> int:
        if debug and cause is not None:
            traceback.print_exception(cause, file=sys.stderr)
        if "--json" in args:
            print(json.dumps({"error": message}))
        else:
            print(f"coordspec: error: {message}", file=sys.stderr)
        return 2

    try:
        code = command.main(
            args=args or ["--help"],
            prog_name="coordspec",
            standalone_mode=False,
        )
    except typer.Exit as stop:
        return stop.exit_code
    except typer.TyperException as err:
        return fail(err.format_message())
    except (UsageError, CheckerError) as err:
        return fail(str(err), err.__cause__)
    except KeyboardInterrupt:  # outside a search (a search reports its partial result)
        print("coordspec: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug, in a model or in coordspec: still one line
        return fail(f"unexpected {type(err).__name__}: {err} (--debug shows the traceback)", err)
    if "--help" in args and code in (0, None):
        protocol_help(args)
    return code if isinstance(code, int) else 0


def entry() -> None:  # pragma: no cover - the console script
    """The `coordspec` console script."""
    sys.exit(main())
