"""The test harness itself: what `make test` relies on to stay within its time."""

from __future__ import annotations

import sys

import coverage
import pytest

from tests.harness.tracing import untraced


def test_untraced_stops_every_tracer_and_restores_them() -> None:
    """Under `make test` (pytest-xdist workers, each with two coverage measurements)
    nothing traces inside `untraced()`, and tracing is back after it."""
    if coverage.Coverage.current() is None:
        pytest.skip("no coverage measurement: run under make test (pytest --cov)")
    assert sys.gettrace() is not None
    with untraced():
        assert sys.gettrace() is None
    assert sys.gettrace() is not None
