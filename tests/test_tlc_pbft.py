"""coordspec's own PBFT spec, transcribed to TLA+, gives TLC's state space exactly.

`tests/fixtures/tlc/pbft/PBFT.tla` is `spec/pbft/` written one-to-one in TLA+ (one
variable per field of `PbftState`, one action per action class, the same guards, the
Byzantine replicas' messages implicit in the quorum counts as in the Python), and
`PBFT.cfg` is the default configuration (n = 4, replica 0 Byzantine, two requests,
views 0..1, one sequence number, no checkpoints). Without symmetry, coordspec explores
45,849 distinct and 126,246 generated states to depth 21 (pinned in tests/test_pbft.py);
TLC must find the same, every invariant holding, and on the broken variant
`commit_quorum_2f` (`PBFT_mutant_commit_quorum.cfg`: 2f commits make a request
committed-local) the same shortest violation of agreement, 12 steps.

The generated counts agree too, not only by chance: no guard in the transcription is a
disjunction whose parts can both hold (the timer's three conditions are a set,
`TimerRuns`, which TLC evaluates as a value), and its only `\\E` bind the actions' own
arguments, so TLC's one-successor-per-satisfied-path convention (README, "The
checker's answers are TLC's answers") counts one successor per coordspec action.

The invariant run takes about 15 s of TLC; the liveness property `all_answered` under
weak fairness of every action class adds about 30 s, so it runs with
`HYPOTHESIS_PROFILE=thorough` only. (It holds in both tools, and on the liveness variant
`seed_prepare_rule_silent_backup` both report a stuttering lasso of 11 steps.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from model_check.engine import Options, check
from spec import pbft
from spec.variants.pbft import CommitQuorum2f
from tests import tlc

HERE = tlc.FIXTURES / "pbft"
MODULE = HERE / "PBFT.tla"
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"

#: coordspec's default PBFT without symmetry (tests/test_pbft.py pins the same numbers).
COUNTS = (45849, 126246, 21)
INVARIANTS = (
    "type_ok",
    "agreement",
    "prepared_unique",
    "committed_local_implies_committed",
    "validity",
    "integrity",
)


def cfg_with(path: Path, *, invariants: bool = True, properties: bool = False) -> str:
    """The fixture's cfg with its invariants and/or temporal properties kept."""
    base, names, temporal = tlc.split_cfg(path.read_text())
    text = base
    if invariants:
        text += "INVARIANT " + " ".join(names) + "\n"
    if properties:
        text += "PROPERTY " + " ".join(temporal) + "\n"
    return text


#: The claims restated independently (spec/restated/pbft.py), which the TLA+ port does
#: not transcribe: it is the spec's transcription, and the claims are a second reading.
RESTATED = (
    "within_watermarks",
    "stable_checkpoints_proven",
    "view_changes_carry_prepared",
    "new_view_o_from_v",
)


def test_the_fixture_checks_the_specs_own_invariants() -> None:
    _, names, temporal = tlc.split_cfg((HERE / "PBFT.cfg").read_text())
    model = pbft.Pbft(pbft.PbftConfig())
    assert [inv.name for inv in model.invariants()] == [*INVARIANTS, *RESTATED]
    assert set(INVARIANTS) <= set(names)  # and TypeOK, a real type check in TLA+ only
    assert temporal == ["all_answered"]


def test_tlc_explores_coordspecs_pbft_state_space() -> None:
    tlc.require()
    run = tlc.run(MODULE, cfg_with(HERE / "PBFT.cfg"))
    assert run.violation is None and run.complete, run.output[-2000:]
    assert (run.distinct, run.generated, run.depth) == COUNTS


def test_both_tools_find_the_same_shortest_violation_of_a_broken_quorum() -> None:
    tlc.require()
    run = tlc.run(MODULE, cfg_with(HERE / "PBFT_mutant_commit_quorum.cfg"))
    assert run.violation is not None
    assert (run.violation.kind, run.violation.name, run.violation.length) == (
        "invariant",
        "agreement",
        12,
    )
    ours = check(CommitQuorum2f(pbft.PbftConfig()), Options(symmetry=False))
    assert ours.counterexample is not None
    assert (ours.counterexample.property, len(ours.counterexample.trace)) == ("agreement", 12)


@pytest.mark.skipif(not THOROUGH, reason="about 45 s of TLC: HYPOTHESIS_PROFILE=thorough")
def test_liveness_agrees_with_tlc() -> None:  # pragma: no cover - the thorough profile
    tlc.require()
    run = tlc.run(MODULE, cfg_with(HERE / "PBFT.cfg", invariants=False, properties=True))
    assert run.violation is None and run.complete
    assert (run.distinct, run.generated, run.depth) == COUNTS
    ours = check(pbft.Pbft(pbft.PbftConfig()), Options(symmetry=False))
    assert {p.name: p.status for p in ours.properties}["all_answered"] == "holds"
