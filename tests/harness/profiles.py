"""The hypothesis settings of the tests' state machines and random walks.

The profiles are registered once, in `tests/conftest.py`; `HYPOTHESIS_PROFILE=thorough`
makes each state machine run the `thorough` profile's 10,000 examples.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

#: Whether `HYPOTHESIS_PROFILE=thorough` is set (longer runs everywhere that asks).
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"


def thorough_only(cost: str) -> pytest.MarkDecorator:
    """The mark of a test (or a parameter) that runs only in the thorough profile;
    `cost` says why, e.g. "~20 s"."""
    return pytest.mark.skipif(not THOROUGH, reason=f"{cost}: HYPOTHESIS_PROFILE=thorough")


def machine_settings(examples: int, steps: int, thorough_steps: int | None = None) -> settings:
    """A state machine's settings: `examples` runs of `steps` steps, or with
    `HYPOTHESIS_PROFILE=thorough` the `thorough` profile's runs of `thorough_steps` (by
    default `steps`)."""
    if THOROUGH:
        return settings(
            settings.get_profile("thorough"), stateful_step_count=thorough_steps or steps
        )
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def walk_settings(steps: int) -> settings:
    """Settings of the random-schedule state machines: 25 walks of `steps` steps."""
    return settings(
        max_examples=25,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
