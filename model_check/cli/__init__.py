"""The `coordspec` command line: the wiring between the protocols and the tools.

This is the one package of `model_check` that names protocols: it registers the spec
modules (each exports `SPEC`, a `spec.core.Specification`) and hands them to the
generic checker. A model file of one's own can be checked too:
`coordspec check path/to/model.py` loads the file and checks its `SPEC`.

`coordspec check PROTOCOL` without parameters, `--preset` or `--variant` checks the
protocol's portfolio (`Specification.portfolio`): each of its presets in turn, then one
table; `coordspec check` checks every protocol's.

Exit codes: 0 every property holds, 1 a property is violated, 2 bad input (one line on
standard error naming the problem and the allowed values; never a traceback).

The package: `common` (what the commands share, and the Typer app), then one module
per group of commands, imported in the order `--help` lists them: `listing` (`list`),
`check`, `oracle` (`conform`, `validate`, `serve`, `generate`) and `tools` (`diagram`,
`explore`, `prove`); this module runs the app (`main`).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Sequence

import typer

from model_check.cli import check, listing, oracle, tools
from model_check.cli.check import (
    check_portfolio,
    portfolio_line,
    portfolio_ok,
    run_portfolio,
)
from model_check.cli.common import COMMAND_ORDER, UsageError, app, load_spec, parameter_lines
from model_check.cli.oracle import VALIDATE_MAX_STATES, AdapterAgent, session_protocols
from model_check.engine import CheckerError

#: The modules whose commands `app` runs (each registers its own with `app.command`),
#: listed by `--help` in `COMMAND_ORDER`.
COMMANDS = (listing, check, oracle, tools)
app.registered_commands.sort(key=lambda c: COMMAND_ORDER.index(str(c.name)))


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


__all__ = [
    "COMMANDS",
    "VALIDATE_MAX_STATES",
    "AdapterAgent",
    "UsageError",
    "app",
    "check_portfolio",
    "entry",
    "load_spec",
    "main",
    "portfolio_line",
    "portfolio_ok",
    "protocol_help",
    "run_portfolio",
    "session_protocols",
    "version",
]
