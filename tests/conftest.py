"""pytest's configuration for the whole suite: the hypothesis profiles, registered once.

`thorough` (selected with `HYPOTHESIS_PROFILE=thorough`, read by
`tests.harness.profiles`): 10,000 examples of every state machine, 60 steps each unless
the machine says otherwise, no deadline, no health checks.

The marker `untraced` (tests/harness/tracing.py): an exhaustive run whose setup and call
coverage does not trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

import pytest
from hypothesis import HealthCheck, settings

from tests.harness.tracing import untraced

settings.register_profile(
    "thorough",
    max_examples=10_000,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "untraced: an exhaustive run, set up and called without coverage's tracing"
    )


def _tracing(item: pytest.Item) -> AbstractContextManager[None]:
    return nullcontext() if item.get_closest_marker("untraced") is None else untraced()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _tracing(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _tracing(item):
        return (yield)
