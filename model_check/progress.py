"""Progress of long work (a search, the proofs, the vectors) on standard error.

On a terminal, one rich status line that updates in place; otherwise plain lines; with
`--quiet`, nothing. Each line names what it is about (`Progress (mymodel): ...`,
`prove: some_theorem (4/6)`), so that a run over several protocols can be read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console

from model_check.engine import Progress


class Activity:
    """Progress of long work on standard error, naming what is being done.

    On a terminal, a rich status line (a spinner and the latest news), replaced in
    place and gone when the work ends; otherwise plain lines (about once a second for a
    search); nothing at all when quiet.
    """

    def __init__(self, quiet: bool, console: Console | None = None) -> None:
        self.quiet = quiet
        width = None if sys.stderr.isatty() else 120  # as the CLI's consoles
        self.console = console or Console(stderr=True, highlight=False, width=width)
        live = not quiet and self.console.is_terminal
        self.status = self.console.status("") if live else None

    def __enter__(self) -> Activity:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def say(self, text: str) -> None:
        """Report what is being done now."""
        if self.quiet:
            return
        if self.status is not None:
            self.status.update(text)
        else:
            self.console.print(text, highlight=False, soft_wrap=True)

    def search(self, what: str) -> Callable[[Progress], None]:
        """A progress callback for a search of `what` (a protocol's name)."""

        def report(p: Progress) -> None:
            self.say(
                f"Progress ({what}): {p.distinct:,} distinct, {p.generated:,} generated, "
                f"queue {p.queue:,}, depth {p.depth}, {p.rate:,.0f} states/s"
            )

        return report
