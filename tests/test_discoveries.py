"""Every discovery pinned as a whole trace (Stateright's `assert_discovery`), not only
its length (the pins: tests/harness/discoveries.py): here the shortest trace to each
witness of each protocol at its default configuration, and that every variant and
witness has its pin; each variant's counterexample is compared in tests/test_variants.py.

A step is its action in the reports' notation, `!` marking a faulty participant's step;
a lasso ends with `loop K` (the index its last state returns to). Breadth-first search
with the model's default symmetry finds one shortest trace in a deterministic order, so
any change to a spec, a variant, the search order or symmetry that changes which trace is
found fails here, and the new trace has to be read and pinned on purpose.
"""

from __future__ import annotations

import pytest

from model_check.engine import Options, check
from model_check.report import show_action
from model_check.result import Trace
from spec import registry
from spec.variants import all_variants
from tests.harness.discoveries import VARIANTS, WITNESSES


def steps(trace: Trace) -> tuple[str, ...]:
    """A trace as the pinned steps (no initial state; `!` marks a faulty step)."""
    found = tuple(("!" if s.byzantine else "") + show_action(s.action) for s in trace.steps[1:])
    return found + ((f"loop {trace.loop}",) if trace.loop is not None else ())


def test_every_discovery_is_pinned() -> None:
    """One pin per variant and per witness of every registered protocol, none stale."""
    assert set(VARIANTS) == {f"{v.protocol}/{v.name}" for v in all_variants()}
    witnesses = {
        f"{spec.name}/{w.name}"
        for spec in registry.specifications().values()
        for w in spec.build(spec.default_config()).witnesses()
    }
    assert set(WITNESSES) == witnesses


@pytest.mark.parametrize("protocol", registry.names())
def test_witness_traces(protocol: str) -> None:
    spec = registry.specification(protocol)
    result = check(spec.build(spec.default_config()), Options())
    found = {f"{protocol}/{name}": steps(trace) for name, trace in result.witness_traces}
    assert found == {k: v for k, v in WITNESSES.items() if k.startswith(f"{protocol}/")}
