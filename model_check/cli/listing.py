"""`coordspec list`: the registered protocols, their parameters, properties and presets,
or the named variants.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from model_check.cli.common import (
    app,
    describe,
    describe_variant,
    make_console,
    parameter_lines,
    variant_lines,
)
from spec import registry
from spec.variants import all_variants


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
    console = make_console()
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
