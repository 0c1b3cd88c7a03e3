"""Weighted voting: pinned state counts, witnesses, mutants, scoring and the cap, guards,
the seed's events, the symmetry and random walks beyond the exhaustive bounds."""

from __future__ import annotations

import decimal
import itertools
import math
from fractions import Fraction
from typing import Any, cast

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from model_check.engine import Options, check
from model_check.result import CheckResult
from spec import weighted as w
from spec.core import ConfigError, GuardError, action_name, declared_guards, make_config
from tests.harness.discoveries import assert_witnesses_pinned
from tests.harness.profiles import THOROUGH, walk_settings
from tests.harness.specs import reachable, replay, statuses
from tests.harness.tracing import untraced
from tests.mutants.pbft import Mutant
from tests.mutants.weighted import MUTANTS, SECONDARY

F = Fraction
EXPERT, AVERAGE, NOVICE = w.PROFILES[2], w.PROFILES[1], w.PROFILES[0]


def run(model: w.Weighted, *actions: w.Action) -> w.WeightedState:
    state = model.initial()[0]
    for a in actions:
        state = model.step(state, a)
    return state


def default_model() -> w.Weighted:
    return w.Weighted(w.WeightedConfig())


@pytest.fixture(scope="module")
def reduced() -> CheckResult:
    with untraced():  # tests/harness/tracing.py
        return check(default_model(), Options())


# --- the default configuration, exhaustively -------------------------------------------


def test_default_config_passes_exhaustively(reduced: CheckResult) -> None:
    """3 agents (expert, average, average), 2 options, 2 confidences, one re-vote each,
    one assessment, strategy dynamic: 4 symmetries (the averages, the options)."""
    assert reduced.result == "ok" and reduced.complete and reduced.symmetry
    assert (reduced.distinct_states, reduced.generated_states, reduced.depth) == (
        14478,
        57577,
        9,
    )
    assert set(statuses(reduced).values()) == {"holds", "reached"}
    assert statuses(reduced)["session_ends"] == "holds"
    lengths = {name: len(trace) for name, trace in reduced.witness_traces}
    assert lengths == {"early_consensus": 2, "deadline_without_consensus": 1, "cap_binds": 0}


def test_witness_traces_are_the_pinned_ones(reduced: CheckResult) -> None:
    assert_witnesses_pinned("weighted", reduced)


@pytest.mark.skipif(not THOROUGH, reason="about 50 s unreduced: HYPOTHESIS_PROFILE=thorough")
def test_symmetry_keeps_every_verdict(reduced: CheckResult) -> None:  # pragma: no cover
    model = default_model()
    assert len(model.symmetries()) == 4
    full = check(model, Options(symmetry=False))
    assert full.result == "ok" and full.complete and not full.symmetry
    assert (full.distinct_states, full.generated_states, full.depth) == (56368, 223458, 9)
    assert statuses(full) == statuses(reduced)
    assert {n: len(t) for n, t in full.witness_traces} == {
        n: len(t) for n, t in reduced.witness_traces
    }


@pytest.mark.untraced
def test_symmetry_keeps_every_verdict_with_one_vote_each() -> None:
    """As above at one vote per agent (the same 4 symmetries, a quarter of the states):
    the run every test run makes; the default's is the thorough profile's."""
    model = w.Weighted(make_config(w.WeightedConfig, {"max_votes": "1"}))
    assert len(model.symmetries()) == 4
    reduced, full = check(model, Options()), check(model, Options(symmetry=False))
    assert reduced.result == full.result == "ok" and reduced.symmetry and not full.symmetry
    assert (reduced.distinct_states, reduced.generated_states, reduced.depth) == (2369, 5412, 6)
    assert (full.distinct_states, full.generated_states, full.depth) == (8954, 19922, 6)
    assert statuses(full) == statuses(reduced)
    assert {n: len(t) for n, t in full.witness_traces} == {
        n: len(t) for n, t in reduced.witness_traces
    }


def test_witness_traces_replay(reduced: CheckResult) -> None:
    model = default_model()
    for name, trace in reduced.witness_traces:
        replay(model, trace)
        found = next(x for x in model.witnesses() if x.name == name)
        assert found.reached(trace.steps[-1].state)
        assert not any(found.reached(s.state) for s in trace.steps[:-1])
    traces = dict(reduced.witness_traces)
    early = traces["early_consensus"].steps[-1].state
    assert early.consensus_reached and early.closed and early.votes_cast.count(0) == 1
    assert traces["deadline_without_consensus"].steps[-1].state.final_decision == w.NO_CONSENSUS
    capped = traces["cap_binds"].steps[-1].state  # the initial state: the expert is cut
    assert capped.uncapped_weights == (F(2), F(3, 5), F(3, 5))
    assert capped.agent_weights == (F(8, 5), F(4, 5), F(4, 5))


def test_one_agent_claims_only_what_it_can_reach() -> None:
    """With one agent there is no early decision and no cap to bind (spec fix)."""
    model = w.Weighted(w.WeightedConfig(agents=1, profiles=(2,)))
    assert [x.name for x in model.witnesses()] == ["deadline_without_consensus"]
    result = check(model, Options())
    assert result.result == "ok" and result.complete


class ClaimsEarlyConsensus(w.Weighted):
    """The spec with `early_consensus` claimed whatever the bounds (to see it unreached)."""

    def early_consensus_can_happen(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("params", "claimed", "states"),
    [
        ({"agents": "2", "profiles": "2,1"}, False, 1410),
        (dict(w.SPEC.preset("small").params), False, 429),
        ({"agents": "2", "profiles": "2,1", "consensus_threshold": "1/2"}, True, 686),
        ({"consensus_threshold": "4/5", "max_votes": "1"}, True, 2825),  # after an assessment
        ({"consensus_threshold": "4/5", "max_votes": "1", "assessments": "0"}, False, 76),
        ({"consensus_threshold": "4/5", "max_votes": "1", "strategy": "static"}, False, 673),
        ({"consensus_threshold": "4/5", "max_votes": "1", "strategy": "adaptive"}, True, 2833),
    ],
    ids=[
        "two_agents",
        "small",
        "two_agents_at_one_half",
        "three_at_four_fifths",
        "three_at_four_fifths_unassessed",
        "three_at_four_fifths_static",
        "three_at_four_fifths_adaptive",  # (3/2, 3/5, 9/10): exactly 4/5 without the novice
    ],
)
def test_early_consensus_is_claimed_where_the_bounds_allow_it(
    params: dict[str, str], claimed: bool, states: int
) -> None:
    """The cap makes two agents' weights equal, so one alone holds half: early consensus
    needs a threshold of at most 1/2 (FINDINGS W11). Where it is not claimed the check
    passes, and claiming it anyway leaves it unreached: the decision loses no witness.
    At three agents, threshold 4/5, the weights an assessment gives count: an average
    agent assessed a novice leaves the other two 7/8 of the weight (7/5 + 21/20 of 14/5)."""
    model = cast(w.Weighted, w.SPEC.model(params))
    assert ("early_consensus" in [x.name for x in model.witnesses()]) == claimed
    assert model.early_consensus_can_happen() == claimed
    result = check(model, Options())
    assert result.result == "ok" and result.distinct_states == states
    if not claimed:
        forced = check(ClaimsEarlyConsensus(model.config), Options(check_liveness=False))
        assert statuses(forced)["early_consensus"] == "unreached"


# --- mutants ---------------------------------------------------------------------------


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_caught(mutant: Mutant) -> None:
    model = cast(w.Weighted, mutant.build())
    result = check(model, Options())
    assert result.result == "violation"
    cex = result.counterexample
    assert cex is not None
    assert (cex.property, len(cex.trace)) == (mutant.property, mutant.length)
    replay(model, cex.trace)
    # The same configuration is fine for the real spec.
    honest = check(w.Weighted(model.config), Options())
    assert not [p.name for p in honest.properties if p.failed() and p.kind != "witness"]


@pytest.mark.parametrize("mutant", SECONDARY, ids=lambda m: m.name)
def test_mutant_also_breaks(mutant: Mutant) -> None:
    model = cast(w.Weighted, mutant.build())
    result = check(model, Options(stop_at_first=False))
    found = {c.property: c.trace for c in result.counterexamples}
    assert len(found[mutant.property]) == mutant.length
    replay(model, found[mutant.property])


def test_seed_running_total_counts_a_re_vote_twice() -> None:
    mutant = MUTANTS[0]
    model = cast(w.Weighted, mutant.build())
    cex = check(model, Options()).counterexample
    assert cex is not None
    vote = w.VoteSubmission(0, 1, F(1, 2))
    assert [s.action for s in cex.trace.steps[1:]] == [vote, vote]
    last = cex.trace.steps[-1].state
    assert (last.weighted_total, model.weighted_total(last)) == (F(3, 5), F(3, 10))


def test_option_blind_consensus_decides_a_split_vote() -> None:
    model = cast(w.Weighted, MUTANTS[2].build())
    cex = check(model, Options()).counterexample
    assert cex is not None
    last = cex.trace.steps[-1].state
    assert model.tally(last) == {1: F(3, 5), 2: F(3, 5)}  # a tie, 1/2 each
    assert last.final_decision == 1 and last.weighted_total == last.max_possible_weight
    assert model.tally(last)[1] < last.consensus_threshold * last.max_possible_weight


def test_tally_at_vote_time_decides_on_a_weight_the_agent_no_longer_has() -> None:
    model = cast(w.Weighted, MUTANTS[4].build())
    cex = check(model, Options()).counterexample
    assert cex is not None
    assert [action_name(s.action) for s in cex.trace.steps[1:]] == [
        "vote_submission",
        "expertise_assessment",
        "weight_update_request",
        "consensus_check",
    ]
    last = cex.trace.steps[-1].state
    vote = last.votes[0]
    assert vote is not None and (vote.weight, vote.weighted_value) == (F(2), F(1))
    assert last.agent_weights == (F(1, 5),) and last.final_decision == 1
    assert model.tally(last)[1] == F(1, 10) < F(3, 25)  # the bar: 3/5 of 1/5


# --- scoring -----------------------------------------------------------------------------


def test_raw_score() -> None:
    assert [w.raw_score(p) for p in w.PROFILES] == [F(1, 5), F(1, 2), F(1)]
    assert sum(w.FACTOR_WEIGHTS) == 1
    assert w.raw_score(w.Metrics(F(1), F(0), F(0), F(0))) == F(3, 10)
    assert w.raw_score(w.Metrics(F(0), F(1), F(0), F(1))) == F(2, 5)
    assert w.raw_score(w.Metrics(F(1, 2), F(1, 2), F(1, 2), F(1))) == F(3, 5)
    assert w.raw_score(w.Metrics(F(0), F(0), F(0), F(0))) == 0


def test_expertise_scaling_branches() -> None:
    assert w.expertise_scaling(F(0)) == 0
    assert w.expertise_scaling(F(3, 10)) == F(3, 10)  # below 0.4: unchanged
    assert w.expertise_scaling(F(1, 2)) == F(3, 5)  # 0.4..0.6: x 1.2
    assert w.expertise_scaling(F(7, 10)) == F(21, 20)  # 0.6..0.8: x 1.5
    assert w.expertise_scaling(F(1)) == 2  # 2 * 1^0.7: the maximum
    high = w.expertise_scaling(F(9, 10))  # 2 * 0.9^0.7, rounded down to 10^-9
    assert high == F(928901697, 500000000)
    assert 0 <= 2 * 0.9**0.7 - float(high) < 2e-9


def test_expertise_scaling_jumps() -> None:
    """Left limits 0.4, 0.72, 1.2; values 0.48, 0.9, 2 * 0.8^0.7."""
    tiny = F(1, 10**12)
    left = {F(2, 5): F(2, 5), F(3, 5): F(18, 25), F(4, 5): F(6, 5)}
    for at, limit in left.items():
        below = w.expertise_scaling(at - tiny)
        assert 0 < limit - below < 2 * tiny  # the piece below, linear
    assert w.expertise_scaling(F(2, 5)) - F(2, 5) == F(2, 25)  # 0.08
    assert w.expertise_scaling(F(3, 5)) - F(18, 25) == F(9, 50)  # 0.18
    jump = w.expertise_scaling(F(4, 5)) - F(6, 5)
    assert jump == F(255387679, 500000000)  # 0.510775358 (2 * 0.8^0.7 = 1.7107753599...)
    assert abs(float(jump) - (2 * 0.8**0.7 - 1.2)) < 2e-9
    # Each piece increases and each jump is upward: still strictly increasing.
    grid = [w.expertise_scaling(F(k, 1000)) for k in range(1001)]
    assert all(a < b for a, b in itertools.pairwise(grid))
    assert max(grid) == 2  # the 3.0 bound never binds


def test_scaling_does_not_depend_on_the_callers_decimal_context() -> None:
    """Spec fix: `_rounded` used the thread's decimal context (28 digits by default)."""
    entropy = w.normalised_entropy.__wrapped__  # past the cache
    skewed = (F(9), F(1), F(1), F(1))
    expected = (w.expertise_scaling(F(4, 5)), entropy(skewed))
    assert expected == (F(855387679, 500000000), F(301879687, 500000000))
    for digits in (5, 28, 60):
        with decimal.localcontext() as ctx:
            ctx.prec = digits
            assert (w.expertise_scaling(F(4, 5)), entropy(skewed)) == expected
            assert entropy((F(1),) * 7) == 1


def test_expertise_weight_bounds() -> None:
    assert [w.expertise_weight(p) for p in w.PROFILES] == [F(1, 5), F(3, 5), F(2)]
    zero = w.Metrics(F(0), F(0), F(0), F(0))
    assert w.expertise_weight(zero) == w.MIN_WEIGHT  # the lower bound binds below 0.1
    assert w.expertise_weight(w.Metrics(F(1, 10), F(1, 10), F(1, 10), F(1, 10))) == F(1, 10)
    assert w.expertise_weight(w.Metrics(F(1, 5), F(1, 5), F(1, 5), F(0))) == F(4, 25)


metric = st.fractions(min_value=0, max_value=1, max_denominator=20)


@given(st.tuples(metric, metric, metric, metric))
def test_expertise_weight_stays_in_its_range(values: tuple[Fraction, ...]) -> None:
    """The weight is in [0.1, 2]: the upper bound 3.0 is never reached."""
    m = w.Metrics(*values)
    assert w.MIN_WEIGHT <= w.expertise_weight(m) <= 2
    assert 0 <= w.raw_score(m) <= 1


# --- the cap -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "capped"),
    [
        ((F(5),), (F(5),)),  # one agent holds everything
        ((F(3), F(1)), (F(2), F(2))),  # two agents: the cap makes them equal
        ((F(1), F(1)), (F(1), F(1))),
        ((F(2), F(3, 5), F(3, 5)), (F(8, 5), F(4, 5), F(4, 5))),  # one expert
        ((F(10), F(5), F(1)), (F(8), F(20, 3), F(4, 3))),  # 2 over: 5/6 and 1/6 of it
        ((F(1), F(0), F(0)), (F(1, 2), F(1, 4), F(1, 4))),  # equal parts for zeros
        ((F(0), F(1)), (F(1, 2), F(1, 2))),
        ((F(0), F(0)), (F(0), F(0))),  # all zero: unchanged
        ((F(2), F(1), F(1)), (F(2), F(1), F(1))),  # exactly one half: fair already
        ((F(1), F(1), F(1)), (F(1), F(1), F(1))),
    ],
)
def test_cap_weights(weights: tuple[Fraction, ...], capped: tuple[Fraction, ...]) -> None:
    assert w.cap_weights(weights) == capped


def test_cap_weights_repeats_until_no_agent_is_over() -> None:
    """With a cap of 1/3 the first redistribution pushes a second agent over."""
    assert w.cap_weights((F(6), F(3), F(1), F(1)), F(1, 3)) == (
        F(11, 3),
        F(11, 3),
        F(11, 6),
        F(11, 6),
    )


positive = st.fractions(min_value=F(1, 50), max_value=100, max_denominator=50)
vectors = st.lists(positive, min_size=2, max_size=8).map(tuple)


@given(vectors)
def test_cap_weights_properties(weights: tuple[Fraction, ...]) -> None:
    capped = w.cap_weights(weights)
    total = sum(weights, F(0))
    assert sum(capped, F(0)) == total
    assert all(c <= total / 2 for c in capped)
    assert all(
        capped[i] <= capped[j]
        for i in range(len(weights))
        for j in range(len(weights))
        if weights[i] <= weights[j]
    )
    assert w.cap_weights(capped) == capped
    if max(weights) <= total / 2:
        assert capped == weights
    else:  # the largest is cut to exactly one half
        assert max(capped) == total / 2


@given(st.lists(st.fractions(min_value=0, max_value=10, max_denominator=20), min_size=2))
def test_cap_weights_with_zeros(weights: list[Fraction]) -> None:
    capped = w.cap_weights(tuple(weights))
    total = sum(weights, F(0))
    assert sum(capped, F(0)) == total
    assert all(c <= total / 2 for c in capped)


# --- distribution statistics ---------------------------------------------------------------


def test_gini() -> None:
    assert w.gini((F(1),)) == 0
    assert w.gini((F(0), F(0))) == 0
    assert w.gini((F(1), F(1))) == 0
    assert w.gini((F(1), F(0))) == F(1, 2)  # 1 - 1/n: one agent holds everything
    assert w.gini((F(1), F(0), F(0), F(0))) == F(3, 4)
    assert w.gini((F(1), F(2), F(3))) == F(2, 9)  # 8 / (2 * 3 * 6)
    assert w.gini((F(8, 5), F(4, 5), F(4, 5))) == F(1, 6)


def test_max_individual_share() -> None:
    assert w.max_individual_share((F(1),)) == 1
    assert w.max_individual_share((F(0), F(0))) == 0
    assert w.max_individual_share((F(2), F(1), F(1))) == F(1, 2)
    assert w.max_individual_share((F(3), F(1))) == F(3, 4)


def test_normalised_entropy() -> None:
    assert w.normalised_entropy((F(5),)) == 1  # n = 1
    assert w.normalised_entropy((F(0), F(0), F(0))) == 0  # all zero
    assert w.normalised_entropy((F(0),)) == 0
    assert w.normalised_entropy((F(1), F(0), F(0))) == 0  # one agent holds everything
    for n in range(2, 13):  # equal weights: exactly 1 (spec fix for n = 7, 8, 10, 12)
        assert w.normalised_entropy((F(3, 7),) * n) == 1
    two_of_three = w.normalised_entropy((F(1), F(1), F(0)))  # ln 2 / ln 3
    assert two_of_three == F(630929753, 10**9)
    assert 0 <= math.log(2) / math.log(3) - float(two_of_three) < 2e-9
    skewed = w.normalised_entropy((F(2), F(1), F(1)))  # 1.5 ln 2 / ln 3
    assert 0 <= 1.5 * math.log(2) / math.log(3) - float(skewed) < 2e-9


@given(st.lists(st.fractions(min_value=0, max_value=10, max_denominator=20), min_size=1))
def test_statistics_stay_in_range(weights: list[Fraction]) -> None:
    ws = tuple(weights)
    n = len(ws)
    assert 0 <= w.gini(ws) <= 1 - F(1, n)
    assert 0 <= w.max_individual_share(ws) <= 1
    assert 0 <= w.normalised_entropy(ws) <= 1
    if sum(ws, F(0)) > 0:
        assert w.max_individual_share(ws) >= F(1, n)
        if len(set(ws)) == 1:
            assert w.gini(ws) == 0 and w.normalised_entropy(ws) == 1


# --- events and guards ---------------------------------------------------------------------


def test_decisions() -> None:
    model = default_model()
    early = run(model, w.VoteSubmission(0, 1, F(1)), w.VoteSubmission(1, 1, F(1)))
    assert early.consensus_reached and early.closed and early.final_decision == 1
    assert early.confidence_score == 1 and early.weighted_total == F(12, 5)
    split = run(model, w.VoteSubmission(0, 1, F(1)), w.VoteSubmission(1, 2, F(1)))
    assert not split.closed and model.tally(split) == {1: F(8, 5), 2: F(4, 5)}
    assert model.step(split, w.ConsensusCheck()) == split
    late = model.step(split, w.VotingDeadline())
    assert late.closed and not late.consensus_reached and late.final_decision == w.NO_CONSENSUS
    # A re-vote replaces the earlier vote: the total counts the agent once.
    again = model.step(split, w.VoteSubmission(1, 2, F(1, 2)))
    assert again.weighted_total == F(8, 5) + F(2, 5) and again.votes_cast == (1, 2, 0)


def test_weight_update_then_consensus_check_and_deadline() -> None:
    """The expert is assessed a novice: the weights change, then a check decides."""
    model = default_model()
    state = run(
        model,
        w.VoteSubmission(1, 1, F(1)),
        w.VoteSubmission(2, 1, F(1, 2)),
        w.ExpertiseAssessment(0, 0),
    )
    assert state.agent_weights == (F(8, 5), F(4, 5), F(4, 5)) and not state.closed
    updated = model.step(state, w.WeightUpdateRequest())
    assert updated.agent_weights == (F(1, 5), F(3, 5), F(3, 5))
    assert updated.weighted_total == F(9, 10) and not updated.closed
    decided = model.step(updated, w.ConsensusCheck())  # 9/10 >= 3/5 * 7/5
    assert decided.final_decision == 1 and decided.confidence_score == 1
    at_deadline = model.step(updated, w.VotingDeadline())
    assert at_deadline.consensus_reached and at_deadline.final_decision == 1


def test_strategies() -> None:
    for strategy, expected in [
        ("static", (F(2), F(3, 5), F(3, 5))),
        ("dynamic", (F(2), F(2), F(3, 5))),
        ("adaptive", (F(2), F(13, 10), F(3, 5))),  # the mean of baseline and latest
    ]:
        model = w.Weighted(w.WeightedConfig(strategy=strategy))
        state = run(model, w.ExpertiseAssessment(1, 2), w.WeightUpdateRequest())
        assert state.uncapped_weights == expected, strategy


def test_performance_feedback_moves_past_performance() -> None:
    model = w.Weighted(w.WeightedConfig(feedbacks=3, profiles=(2, 1, 0)))
    state = run(
        model,
        w.PerformanceFeedback(0, True),  # clamped at 1
        w.PerformanceFeedback(1, True),
        w.PerformanceFeedback(2, False),
    )
    assert [h[-1].past_performance for h in state.expertise_history] == [F(1), F(7, 10), F(0)]
    updated = model.step(state, w.WeightUpdateRequest())
    assert updated.uncapped_weights == (F(2), F(54, 100) * F(6, 5), F(4, 25))


def test_two_options_reaching_a_low_threshold_is_no_consensus() -> None:
    """Threshold 2/5: a weight update lets both options reach it at once; no check
    decides, and the deadline says `no_consensus`."""
    model = cast(w.Weighted, w.SPEC.model(w.SPEC.preset("w2_low_threshold").params))
    assert model.config == w.WeightedConfig(consensus_threshold=F(2, 5), profiles=(1, 1, 1))
    state = run(
        model,
        w.VoteSubmission(0, 1, F(1)),
        w.VoteSubmission(1, 2, F(1)),
        w.ExpertiseAssessment(2, 0),
        w.WeightUpdateRequest(),
    )
    assert model.reached(state) == [1, 2]  # 3/5 each, the bar 2/5 * 7/5 = 14/25
    assert model.step(state, w.ConsensusCheck()) == state
    closed = model.step(state, w.VotingDeadline())
    assert closed.final_decision == w.NO_CONSENSUS and not closed.consensus_reached
    assert all(i.holds(closed) for i in model.invariants())


def test_presets() -> None:
    """The default preset is the defaults; every preset is a valid configuration."""
    assert [p.name for p in w.SPEC.all_presets()] == [
        "default",
        "w2_low_threshold",
        "small",
        "revote_after_update",
        "near_threshold_deadline",
    ]
    assert w.SPEC.preset("default").params == {}
    for preset in w.SPEC.all_presets():
        assert isinstance(w.SPEC.model(preset.params), w.Weighted)
    assert (w.SPEC.events, w.SPEC.decode) == (w.EVENTS, w.from_event)


def test_guard_table() -> None:
    """Every action class has its guards; the model's bounds are marked as such."""
    assert set(w.GUARDS) == set(w.EVENTS.values())
    assert all(g[:2] == w.OPEN for g in w.GUARDS.values())
    bounds = {g.name for g in declared_guards(default_model()) if g.bound}
    assert bounds == {"vote_bound", "assessment_bound", "feedback_bound"}


def decided_state() -> tuple[w.Weighted, w.WeightedState]:
    model = default_model()
    return model, run(model, w.VoteSubmission(0, 1, F(1)), w.VoteSubmission(1, 1, F(1)))


@pytest.mark.parametrize(
    ("config", "before", "action", "guard"),
    [
        ({}, ("decide",), w.VoteSubmission(2, 2, F(1)), "after_decision"),
        ({}, ("decide",), w.ConsensusCheck(), "after_decision"),
        ({}, ("decide",), w.WeightUpdateRequest(), "after_decision"),
        ({}, ("decide",), w.VotingDeadline(), "after_decision"),
        ({}, ("close",), w.VoteSubmission(0, 1, F(1)), "after_deadline"),
        ({}, ("close",), w.ExpertiseAssessment(0, 0), "after_deadline"),
        ({}, ("close",), w.VotingDeadline(), "after_deadline"),
        ({}, (), w.VoteSubmission(3, 1, F(1)), "not_participant"),
        ({}, (), w.VoteSubmission(-1, 1, F(1)), "not_participant"),
        ({}, (), w.ExpertiseAssessment(3, 0), "not_participant"),
        ({"feedbacks": 1}, (), w.PerformanceFeedback(5, True), "not_participant"),
        ({}, (), w.VoteSubmission(0, 3, F(1)), "unknown_option"),
        ({}, (), w.VoteSubmission(0, 0, F(1)), "unknown_option"),
        ({}, (), w.VoteSubmission(0, 1, F(3, 2)), "confidence_out_of_range"),
        ({}, (), w.VoteSubmission(0, 1, F(-1, 10)), "confidence_out_of_range"),
        ({}, (), w.VoteSubmission(0, 1, cast(Any, "high")), "confidence_out_of_range"),
        ({}, (), w.ExpertiseAssessment(0, 3), "unknown_profile"),
        ({}, (), w.ExpertiseAssessment(0, -1), "unknown_profile"),
        ({}, (), w.ExpertiseAssessment(0, cast(Any, 1.0)), "unknown_profile"),  # not 1
        ({}, (), w.VoteSubmission(cast(Any, 1.0), 1, F(1)), "not_participant"),  # spec fix
        ({"feedbacks": 1}, (), w.PerformanceFeedback(cast(Any, "0"), True), "not_participant"),
        ({}, (), w.VoteSubmission(cast(Any, True), 1, F(1)), "not_participant"),  # not agent 1
        ({}, (), w.VoteSubmission(0, 1, cast(Any, True)), "confidence_out_of_range"),  # not 1
        ({}, ("two_votes",), w.VoteSubmission(2, 1, F(1, 2)), "vote_bound"),
        ({}, ("assess",), w.ExpertiseAssessment(1, 2), "assessment_bound"),
        ({}, (), w.PerformanceFeedback(0, True), "feedback_bound"),
    ],
)
def test_guards_name_what_failed(
    config: dict[str, Any], before: tuple[str, ...], action: w.Action, guard: str
) -> None:
    model = w.Weighted(w.WeightedConfig(**config))
    prefixes: dict[str, tuple[w.Action, ...]] = {
        "decide": (w.VoteSubmission(0, 1, F(1)), w.VoteSubmission(1, 1, F(1))),
        "close": (w.VotingDeadline(),),
        "two_votes": (w.VoteSubmission(2, 1, F(1, 2)), w.VoteSubmission(2, 2, F(1, 2))),
        "assess": (w.ExpertiseAssessment(0, 2),),
    }
    state = run(model, *(a for name in before for a in prefixes[name]))
    snapshot = attrs.evolve(state)
    with pytest.raises(GuardError) as caught:
        model.step(state, action)
    assert (caught.value.guard, caught.value.action) == (guard, action_name(action))
    assert state == snapshot and hash(state) == hash(snapshot)
    assert repr(action) not in map(repr, model.honest_actions(state))  # 1.0 == 1


def test_closed_sessions_enable_nothing() -> None:
    model, state = decided_state()
    assert model.honest_actions(state) == [] and model.terminal_ok(state)
    assert not model.terminal_ok(model.initial()[0])


@pytest.mark.parametrize(
    ("event", "data", "action"),
    [
        (
            "vote_submission",
            {"agent": 1, "vote": 2, "confidence": F(1, 2)},
            w.VoteSubmission(1, 2, F(1, 2)),
        ),
        ("weight_update_request", {}, w.WeightUpdateRequest()),
        ("expertise_assessment", {"agent": 0, "profile": 1}, w.ExpertiseAssessment(0, 1)),
        ("consensus_check", {}, w.ConsensusCheck()),
        ("voting_deadline", {}, w.VotingDeadline()),
        ("performance_feedback", {"agent": 2, "correct": False}, w.PerformanceFeedback(2, False)),
    ],
)
def test_from_event_maps_the_seed_events(
    event: str, data: dict[str, object], action: w.Action
) -> None:
    made = w.from_event(event, data)
    assert made == action and type(made) is w.EVENTS[event]
    assert action_name(made) == event
    model = w.Weighted(w.WeightedConfig(feedbacks=1))
    model.step(model.initial()[0], made)  # accepted in the initial state


@pytest.mark.parametrize(
    ("event", "data", "guard"),
    [
        ("vote", {}, "unknown_weighted_event"),
        ("weighted_vote_submission", {}, "unknown_weighted_event"),
        ("", {}, "unknown_weighted_event"),
        ("VOTE_SUBMISSION", {"agent": 0, "vote": 1, "confidence": 1}, "unknown_weighted_event"),
        ("vote_submission", {"agent": 0, "vote": 1}, "malformed_event"),
        # The seed's own keys (`agent_id`, `reasoning`) are not the action's fields.
        ("vote_submission", {"agent_id": 0, "vote": 1, "confidence": 1}, "malformed_event"),
        ("consensus_check", {"agent": 0}, "malformed_event"),
        ("performance_feedback", {"agent": 0}, "malformed_event"),
    ],
)
def test_from_event_rejects(event: str, data: dict[str, object], guard: str) -> None:
    with pytest.raises(GuardError) as caught:
        w.from_event(event, data)
    assert (caught.value.guard, caught.value.action) == (guard, event)


def test_bad_configs() -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(w.WeightedConfig, {"agents": "4"})
    assert caught.value.field == "profiles"
    with pytest.raises(ConfigError) as caught:
        make_config(w.WeightedConfig, {"strategy": "greedy"})
    assert "one of static, dynamic, adaptive" in str(caught.value)
    config = make_config(w.WeightedConfig, {"agents": "2", "profiles": "2,2"})
    assert config.profiles == (2, 2)


# --- symmetry --------------------------------------------------------------------------------


def sample_states(model: w.Weighted) -> list[w.WeightedState]:
    return [
        run(model),
        run(model, w.VoteSubmission(1, 2, F(1, 2))),
        run(model, w.VoteSubmission(1, 1, F(1)), w.VoteSubmission(0, 2, F(1, 2))),
        run(model, w.ExpertiseAssessment(2, 2), w.VoteSubmission(2, 1, F(1))),
        run(
            model,
            w.ExpertiseAssessment(1, 0),
            w.WeightUpdateRequest(),
            w.VoteSubmission(2, 2, F(1)),
        ),
        run(model, w.VoteSubmission(0, 2, F(1)), w.VoteSubmission(2, 2, F(1))),  # decided
    ]


def test_permutation_is_an_automorphism() -> None:
    """For each sample state and symmetry: canonical forms agree, successors commute,
    invariants and witnesses agree."""
    model = default_model()
    assert model.symmetries()[0] == ((0, 1, 2), (0, 1, 2))
    for state in sample_states(model):
        least = min(
            (model.permute(state, a, o) for a, o in model.symmetries()), key=model.order_key
        )
        assert model.canonical(state) == least
        for a, o in model.symmetries():
            image = model.permute(state, a, o)
            assert model.canonical(image) == model.canonical(state)
            assert model.canonical(model.canonical(state)) == model.canonical(state)
            succ = {model.permute(model.step(state, x), a, o) for x in model.honest_actions(state)}
            assert succ == {model.step(image, x) for x in model.honest_actions(image)}
            assert [i.holds(image) for i in model.invariants()] == [
                i.holds(state) for i in model.invariants()
            ]
            assert [x.reached(image) for x in model.witnesses()] == [
                x.reached(state) for x in model.witnesses()
            ]


def test_symmetries_of_other_profiles() -> None:
    """Agents are interchangeable only within one initial profile."""
    model = w.Weighted(w.WeightedConfig(agents=4, options=3, profiles=(1, 2, 1, 1)))
    agent_maps = {a for a, _ in model.symmetries()}
    assert len(model.symmetries()) == 6 * 6 and all(a[1] == 1 for a in agent_maps)
    lone = w.Weighted(w.WeightedConfig(options=1, profiles=(0, 1, 2)))
    assert lone.symmetries() == (((0, 1, 2), (0, 1)),)


# --- random walks beyond the exhaustive bounds ------------------------------------------------


class RandomSessions(RuleBasedStateMachine):
    """5 agents, 3 options, strategy adaptive, 2 assessments and 2 feedbacks, 3 votes
    each: every invariant after every step, and the canonical form agrees."""

    def __init__(self) -> None:
        super().__init__()
        self.model = default_model()
        self.state: Any = None

    @initialize(
        profiles=st.tuples(*[st.integers(0, 2)] * 5),
        strategy=st.sampled_from(["adaptive", "dynamic", "static"]),
        threshold=st.sampled_from([F(3, 5), F(1, 2), F(9, 10)]),
    )
    def start(self, profiles: tuple[int, ...], strategy: str, threshold: Fraction) -> None:
        config = w.WeightedConfig(
            agents=5,
            options=3,
            confidence_levels=3,
            max_votes=3,
            assessments=2,
            feedbacks=2,
            strategy=strategy,
            consensus_threshold=threshold,
            profiles=profiles,
        )
        self.model = w.Weighted(config)
        self.state = self.model.initial()[0]

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    def schedule(self, pick: int) -> None:
        enabled = self.model.honest_actions(self.state)
        if enabled:
            self.state = self.model.step(self.state, enabled[pick % len(enabled)])

    @invariant()
    def spec_invariants_hold(self) -> None:
        if self.state is not None:
            canonical = self.model.canonical(self.state)
            for inv in self.model.invariants():
                assert inv.holds(self.state), inv.name
                assert inv.holds(canonical), inv.name


TestRandomSessions = RandomSessions.TestCase
TestRandomSessions.settings = walk_settings(40)


# --- where early consensus can happen (FINDINGS W11) ------------------------------------


def _early(state: w.WeightedState) -> bool:
    """`early_consensus`'s predicate, written again: decided while an agent has not voted."""
    return state.consensus_reached and 0 in state.votes_cast


@pytest.mark.parametrize(
    ("threshold", "claimed"), [(Fraction(3, 5), False), (Fraction(1, 2), True)]
)
def test_early_consensus_is_claimed_exactly_where_two_agents_reach_it(
    threshold: Fraction, claimed: bool
) -> None:
    """Two agents, an expert and an average one: the cap gives each exactly half in
    every state, so one agent alone decides only at a threshold of at most 1/2."""
    model = w.Weighted(
        w.WeightedConfig(agents=2, profiles=(2, 1), max_votes=1, consensus_threshold=threshold)
    )
    names = [x.name for x in model.witnesses()]
    assert ("early_consensus" in names) == claimed == model.early_consensus_can_happen()
    states = reachable(model)
    assert all(s.agent_weights[0] == s.agent_weights[1] for s in states)
    assert any(_early(s) for s in states) == claimed
    result = check(model, Options())
    assert result.result == "ok"
    assert all(status == "reached" for name, status in statuses(result).items() if name in names)


def test_early_consensus_is_still_claimed_at_the_presets_with_three_agents() -> None:
    def preset(name: str) -> w.Weighted:
        return w.Weighted(make_config(w.WeightedConfig, w.SPEC.preset(name).params))

    for name in ("default", "w2_low_threshold", "revote_after_update", "near_threshold_deadline"):
        assert preset(name).early_consensus_can_happen(), name
    assert not preset("small").early_consensus_can_happen()
