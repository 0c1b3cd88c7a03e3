"""pytest's configuration for the whole suite: the hypothesis profiles, registered once.

`thorough` (selected with `HYPOTHESIS_PROFILE=thorough`, read by
`tests.harness.profiles`): 10,000 examples of every state machine, 60 steps each unless
the machine says otherwise, no deadline, no health checks.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "thorough",
    max_examples=10_000,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
