"""Coverage's line tracing paused around the suite's exhaustive runs.

Tracing every line slows the checker's inner loop about threefold (PBFT's
`relied_on` test: 10.7 s without coverage, 30.2 s with it, on this 2-core machine), and
an exhaustive run over tens of thousands of states executes the same lines as the small
tests that already cover them. Those runs (a test marked `@pytest.mark.untraced`, whose
setup and call `tests/conftest.py` runs untraced, or a module fixture's body under
`untraced()`) keep every assertion; only the coverage measurement skips them, and
`make test` still enforces its floor on what the rest of the suite covers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import coverage


@contextmanager
def untraced() -> Iterator[None]:
    """The block runs with coverage's tracing stopped (if a measurement is running).

    Every running measurement is stopped, the latest first, and started again in the
    order they had. A pytest-xdist worker has two (pytest-cov's, and the one it made
    first): stopping only the latest resumed the other's tracer, so under `make test`
    (`pytest -n 2`) the marked runs were traced after all.
    """
    stopped: list[coverage.Coverage] = []
    while (measurement := coverage.Coverage.current()) is not None:
        measurement.stop()
        stopped.append(measurement)
    try:
        yield
    finally:
        for measurement in reversed(stopped):
            measurement.start()
