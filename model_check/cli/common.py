"""What the commands share: loading a protocol or a model file, its parameters, the Typer
app, and the descriptions `list` prints.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from model_check import conform
from model_check.parallel import FILE_MODULE_PREFIX, load_module
from spec import registry
from spec.core import (
    Specification,
)
from spec.variants import Variant, all_variants


def make_console(stderr: bool = False) -> Console:
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


#: The commands, in the order `--help` lists them (model_check/cli/__init__.py puts them
#: in it, whatever order their modules were imported in).
COMMAND_ORDER = (
    "list",
    "check",
    "conform",
    "validate",
    "serve",
    "generate",
    "diagram",
    "explore",
    "prove",
)


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
