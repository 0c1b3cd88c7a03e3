"""Every discovery pinned as a whole trace (Stateright's `assert_discovery`), not only
its length: the shortest counterexample of each named variant (`spec/variants/`) and the
shortest trace to each witness of each protocol at its default configuration.

A step is its action in the reports' notation, `!` marking a faulty participant's step;
a lasso ends with `loop K` (the index its last state returns to). Breadth-first search
with the model's default symmetry finds one shortest trace in a deterministic order, so
any change to a spec, a variant, the search order or symmetry that changes which trace is
found fails here, and the new trace has to be read and pinned on purpose.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from model_check import cli
from model_check.engine import Options, check
from model_check.report import show_action
from model_check.result import Trace
from spec import registry
from spec.variants import all_variants

WITNESSES: dict[str, tuple[str, ...]] = {
    "pbft/executed_in_view_0": (
        "request(value=1)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "commit(replica=1, view=0, seq=1, digest=1)",
        "commit(replica=2, view=0, seq=1, digest=1)",
        "execute(replica=1, view=0, seq=1, digest=1)",
    ),
    "pbft/executed_after_view_change": (
        "request(value=1)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "timeout(replica=1, view=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "timeout(replica=2, view=1)",
        "new_view(replica=1, view=1, stable=0, state=<<>>, pre_prepares={<<1, 1>>})",
        "accept_new_view(replica=3, view=1, stable=0, state=<<>>, pre_prepares={<<1, 1>>})",
        "commit(replica=1, view=1, seq=1, digest=1)",
        "commit(replica=3, view=1, seq=1, digest=1)",
        "execute(replica=1, view=1, seq=1, digest=1)",
    ),
    "pbft/view_change_despite_equivocation": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "timeout(replica=1, view=1)",
        "prepare(replica=2, view=0, seq=1, digest=2)",
        "timeout(replica=2, view=1)",
        "new_view(replica=1, view=1, stable=0, state=<<>>, pre_prepares={})",
    ),
    "weighted/early_consensus": (
        "vote_submission(agent=0, vote=1, confidence=1)",
        "vote_submission(agent=1, vote=1, confidence=1/2)",
    ),
    "weighted/deadline_without_consensus": ("voting_deadline()",),
    "weighted/cap_binds": (),
    "iterative/ended_by_max_rounds": (
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=1, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=2, proposal="plan a budget", confidence=1)',
        "phase_transition()",
        "quality_assessment()",
        "round_completion()",
        "phase_transition()",
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=1, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=2, proposal="plan the budget", confidence=1)',
        "phase_transition()",
        "quality_assessment()",
        "round_completion()",
    ),
}

VARIANTS: dict[str, tuple[str, ...]] = {
    "pbft/commit_quorum_2f": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "timeout(replica=1, view=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "commit(replica=2, view=0, seq=1, digest=1)",
        "timeout(replica=3, view=1)",
        "new_view(replica=1, view=1, stable=0, state=<<>>, pre_prepares={})",
        "pre_prepare(replica=1, view=1, seq=1, digest=2)",
        "accept_new_view(replica=2, view=1, stable=0, state=<<>>, pre_prepares={})",
        "prepare(replica=2, view=1, seq=1, digest=2)",
        "commit(replica=1, view=1, seq=1, digest=2)",
    ),
    "pbft/seed_quorum_2f_plus_1_at_n5": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "prepare(replica=3, view=0, seq=1, digest=2)",
        "prepare(replica=4, view=0, seq=1, digest=2)",
    ),
    "pbft/prepare_quorum_2f_minus_1": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "prepare(replica=2, view=0, seq=1, digest=2)",
    ),
    "pbft/accepts_two_pre_prepares": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "prepare(replica=1, view=0, seq=1, digest=2)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "prepare(replica=2, view=0, seq=1, digest=2)",
    ),
    "pbft/new_view_ignores_p": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "commit(replica=1, view=0, seq=1, digest=1)",
        "timeout(replica=1, view=1)",
        "commit(replica=2, view=0, seq=1, digest=1)",
        "timeout(replica=2, view=1)",
        "new_view(replica=1, view=1, stable=0, state=<<>>, pre_prepares={})",
        "pre_prepare(replica=1, view=1, seq=1, digest=2)",
        "accept_new_view(replica=3, view=1, stable=0, state=<<>>, pre_prepares={})",
        "prepare(replica=3, view=1, seq=1, digest=2)",
        "commit(replica=1, view=1, seq=1, digest=2)",
        "commit(replica=3, view=1, seq=1, digest=2)",
    ),
    "pbft/view_change_without_p": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "commit(replica=1, view=0, seq=1, digest=1)",
        "timeout(replica=1, view=1)",
        "commit(replica=2, view=0, seq=1, digest=1)",
        "timeout(replica=2, view=1)",
        "new_view(replica=1, view=1, stable=0, state=<<>>, pre_prepares={})",
        "pre_prepare(replica=1, view=1, seq=1, digest=2)",
        "accept_new_view(replica=3, view=1, stable=0, state=<<>>, pre_prepares={})",
        "prepare(replica=3, view=1, seq=1, digest=2)",
        "commit(replica=1, view=1, seq=1, digest=2)",
        "commit(replica=3, view=1, seq=1, digest=2)",
    ),
    "pbft/no_authentication": (
        "request(value=1)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
    ),
    "pbft/two_faulty_of_four": (
        "request(value=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "commit(replica=2, view=0, seq=1, digest=1)",
    ),
    "pbft/seed_prepare_rule_silent_backup": (
        "request(value=1)",
        "request(value=2)",
        "timeout(replica=0, view=1)",
        "timeout(replica=1, view=1)",
        "timeout(replica=2, view=1)",
        "new_view(replica=1, view=1, stable=0, state=<<>>, pre_prepares={})",
        "pre_prepare(replica=1, view=1, seq=1, digest=1)",
        "accept_new_view(replica=0, view=1, stable=0, state=<<>>, pre_prepares={})",
        "prepare(replica=0, view=1, seq=1, digest=1)",
        "accept_new_view(replica=2, view=1, stable=0, state=<<>>, pre_prepares={})",
        "prepare(replica=2, view=1, seq=1, digest=1)",
        "loop 11",
    ),
    "pbft/seed_prepares_across_views": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "timeout(replica=1, view=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "timeout(replica=2, view=1)",
        "new_view(replica=1, view=1, stable=0, state=<<>>, pre_prepares={})",
        "pre_prepare(replica=1, view=1, seq=1, digest=2)",
        "prepare(replica=3, view=0, seq=1, digest=2)",
        "accept_new_view(replica=2, view=1, stable=0, state=<<>>, pre_prepares={})",
        "prepare(replica=2, view=1, seq=1, digest=2)",
    ),
    "pbft/seed_view_change_committed_only": (
        "request(value=1)",
        "request(value=2)",
        "prepare(replica=1, view=0, seq=1, digest=1)",
        "prepare(replica=2, view=0, seq=1, digest=1)",
        "commit(replica=1, view=0, seq=1, digest=1)",
        "timeout(replica=1, view=1)",
        "commit(replica=2, view=0, seq=1, digest=1)",
        "timeout(replica=3, view=1)",
        "new_view(replica=1, view=1, stable=0, state=<<>>, pre_prepares={})",
        "pre_prepare(replica=1, view=1, seq=1, digest=2)",
        "accept_new_view(replica=2, view=1, stable=0, state=<<>>, pre_prepares={})",
        "prepare(replica=2, view=1, seq=1, digest=2)",
        "commit(replica=1, view=1, seq=1, digest=2)",
        "commit(replica=2, view=1, seq=1, digest=2)",
    ),
    "weighted/seed_running_total": (
        "vote_submission(agent=0, vote=1, confidence=1/2)",
        "vote_submission(agent=0, vote=1, confidence=1/2)",
    ),
    "weighted/seed_cap_without_redistribution": (),
    "weighted/seed_option_blind_consensus": (
        "vote_submission(agent=0, vote=1, confidence=1)",
        "vote_submission(agent=1, vote=2, confidence=1)",
    ),
    "weighted/votes_after_decision": (
        "vote_submission(agent=0, vote=1, confidence=1)",
        "vote_submission(agent=0, vote=2, confidence=1)",
    ),
    "weighted/seed_tally_at_vote_time": (
        "vote_submission(agent=0, vote=1, confidence=1/2)",
        "expertise_assessment(agent=0, profile=0)",
        "weight_update_request()",
        "consensus_check()",
    ),
    "weighted/seed_vote_handler_one_agent_decides_by_re_voting": (
        "vote_submission(agent=0, vote=1, confidence=1/2)",
        "vote_submission(agent=0, vote=1, confidence=1/2)",
    ),
    "weighted/seed_cap_without_redistribution_halves_a_lone_agent": (),
    "weighted/votes_after_decision_lower_confidence": (
        "vote_submission(agent=0, vote=1, confidence=1)",
        "vote_submission(agent=0, vote=1, confidence=1/2)",
    ),
    "weighted/seed_tally_at_vote_time_two_winners": (
        "vote_submission(agent=0, vote=1, confidence=1)",
        "vote_submission(agent=1, vote=2, confidence=1)",
        "expertise_assessment(agent=0, profile=0)",
        "weight_update_request()",
    ),
    "iterative/seed_all_submitted_counts_outsiders": (
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=2, proposal="plan a budget", confidence=1)',
    ),
    "iterative/self_feedback_counted": (
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=1, proposal="plan a budget", confidence=1)',
        "feedback_submission(from_agent=0, target_agent=0, score=1)",
    ),
    "iterative/no_max_rounds": (
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=1, proposal="plan a budget", confidence=1)',
        "phase_transition()",
        "quality_assessment()",
        "round_completion()",
        "phase_transition()",
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=1, proposal="plan the budget", confidence=1)',
        "phase_transition()",
        "quality_assessment()",
        "round_completion()",
        "phase_transition()",
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=1, proposal="plan a budget", confidence=1)',
        "phase_transition()",
        "quality_assessment()",
        "round_completion()",
        "phase_transition()",
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
        'proposal_submission(agent=1, proposal="plan the budget", confidence=1)',
        "phase_transition()",
        "quality_assessment()",
        "round_completion()",
        "loop 11",
    ),
    "iterative/map_order_tie_break": (
        'proposal_submission(agent=0, proposal="plan the budget", confidence=1)',
        'proposal_submission(agent=1, proposal="plan a budget", confidence=1)',
        "phase_transition()",
        "quality_assessment()",
        "round_completion()",
    ),
    "iterative/silent_participant": (
        'proposal_submission(agent=0, proposal="plan a budget", confidence=1)',
    ),
}


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


@pytest.mark.parametrize("key", list(VARIANTS))
def test_variant_counterexample(capsys: pytest.CaptureFixture[str], key: str) -> None:
    """The whole shortest counterexample, as `check --variant --json` reports it."""
    protocol, name = key.split("/")
    variant = next(v for v in all_variants() if (v.protocol, v.name) == (protocol, name))
    assert cli.main(["check", protocol, "--variant", name, "--quiet", "--json"]) == 1
    data: Any = json.loads(capsys.readouterr().out)
    cex = next(c for c in data["counterexamples"] if c["property"] == variant.property)
    found = tuple(("!" if s["byzantine"] else "") + s["action"] for s in cex["steps"][1:])
    if cex["loop"] is not None:
        found += (f"loop {cex['loop']}",)
    assert found == VARIANTS[key]
    assert len(cex["steps"]) - 1 == variant.length
