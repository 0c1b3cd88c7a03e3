"""Every discovery pinned as a whole trace (Stateright's `assert_discovery`), not only
its length (the pins: tests/harness/discoveries.py): here, that every variant and witness
has its pin and that each protocol's tests compare the shortest trace to each of its
witnesses at its default configuration with the pin; each variant's counterexample is
compared in tests/test_variants.py.

A step is its action in the reports' notation, `!` marking a faulty participant's step;
a lasso ends with `loop K` (the index its last state returns to). Breadth-first search
with the model's default symmetry finds one shortest trace in a deterministic order, so
any change to a spec, a variant, the search order or symmetry that changes which trace is
found fails here, and the new trace has to be read and pinned on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spec import registry
from spec.variants import all_variants
from tests.harness.discoveries import VARIANTS, WITNESSES


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
def test_each_protocols_tests_hold_its_witnesses_to_their_pins(protocol: str) -> None:
    """The default check is a protocol's own tests' module fixture (about 10-20 s each), so
    they compare its witness traces with the pins rather than this file running it again."""
    own = Path(__file__).with_name(f"test_{protocol}.py").read_text()
    assert f'assert_witnesses_pinned("{protocol}", ' in own
