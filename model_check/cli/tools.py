"""The readers' commands: `diagram`, `explore` and `prove`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from model_check.cli.common import (
    UsageError,
    app,
    command_options,
    load_spec,
    make_console,
    parse_params,
)
from model_check.progress import Activity
from spec import registry
from spec.core import (
    ConfigError,
    HypothesisError,
)
from spec.variants import UnknownVariantError


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
    console = make_console()
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
