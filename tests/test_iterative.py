"""Iterative refinement: pinned state counts, witnesses, mutants, pure functions, guards,
the symmetry and random walks beyond the exhaustive bounds."""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any, cast

import attrs
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from model_check.engine import Options, check
from model_check.result import CheckResult
from spec import iterative as it
from spec.core import ConfigError, GuardError, action_name, declared_guards, make_config
from tests.harness.discoveries import assert_witnesses_pinned
from tests.harness.profiles import thorough_only, walk_settings
from tests.harness.specs import reachable, replay, statuses
from tests.harness.tracing import untraced
from tests.mutants.iterative import (
    ASSUMPTIONS,
    MUTANTS,
    MapOrderTieBreak,
    Mutant,
    NoMaxRounds,
    SeedAllSubmitted,
    SelfFeedbackCounted,
    SilentParticipant,
)

A, THE, CUT, LONG = it.TEXTS  # "plan a budget", "plan the budget", ...
ONE, HALF, ZERO = Fraction(1), Fraction(1, 2), Fraction(0)


def config(**values: Any) -> it.IterativeConfig:
    return it.IterativeConfig(**values)


def run(model: it.Iterative, *actions: it.Action) -> it.IterativeState:
    state = model.initial()[0]
    for a in actions:
        state = model.step(state, a)
    return state


def propose(*texts: str, confidence: Fraction = ONE) -> list[it.Action]:
    """Agent i proposes texts[i], in order."""
    return [it.ProposalSubmission(i, t, confidence) for i, t in enumerate(texts)]


ANALYSE: list[it.Action] = [it.PhaseTransition(), it.QualityAssessment(), it.RoundCompletion()]


# --- the default configuration and the symmetry -------------------------------------------


@pytest.fixture(scope="module")
def default_result() -> CheckResult:
    with untraced():  # tests/harness/tracing.py
        return check(it.SPEC.build(it.IterativeConfig()), Options())


def test_default_config_passes_exhaustively(default_result: CheckResult) -> None:
    """3 agents, 2 rounds, 2 texts: every property holds; symmetry (the default) is on."""
    result = default_result
    assert result.result == "ok" and result.complete and result.symmetry
    assert (result.distinct_states, result.generated_states, result.depth) == (80373, 115815, 21)
    assert statuses(result) == {
        "round_bound": "holds",
        "terminated_iff_reason": "holds",
        "final_is_initial_or_submitted": "holds",
        "phases_in_order": "holds",
        "feedback_on_proposals": "holds",
        "one_record_per_round": "holds",
        "scores_in_range": "holds",
        "selected_is_best": "holds",
        "no_self_feedback": "holds",
        "convergence_recomputed": "holds",
        "convergence_termination_justified": "holds",
        "selected_by_recomputed_composite": "holds",
        "termination_reason_justified": "holds",
        "round_record_faithful": "holds",
        "consensus_level_recomputed": "holds",
        "deadlock": "holds",
        "ended_by_max_rounds": "reached",
        "terminates": "holds",
    }
    # 11: each round closes by the round timeout with one proposal (FINDINGS I6)
    assert {n: len(t) for n, t in default_result.witness_traces} == {"ended_by_max_rounds": 11}
    for _, trace in default_result.witness_traces:
        replay(it.Iterative(it.IterativeConfig()), trace)


def test_witness_traces_are_the_pinned_ones(default_result: CheckResult) -> None:
    assert_witnesses_pinned("iterative", default_result)


@pytest.mark.skipif(
    not os.environ.get("COORDSPEC_SLOW"), reason="~70 s; set COORDSPEC_SLOW=1 to run"
)
def test_default_config_without_symmetry(default_result: CheckResult) -> None:
    unreduced = check(it.SPEC.build(it.IterativeConfig()), Options(symmetry=False))
    assert (unreduced.distinct_states, unreduced.generated_states) == (363853, 523935)
    assert statuses(unreduced) == statuses(default_result)


@pytest.mark.parametrize(
    ("values", "reduced", "unreduced"),
    [
        # 3 agents (6 permutations), confidences 1/2 and 1: every witness of one round.
        ({"agents": 3, "max_rounds": 1, "confidence_levels": 2}, (3581, 5305), (19585, 28845)),
        # 2 agents, 3 rounds: convergence before max_rounds and max_rounds (~20 s in
        # make test since the round timeout).
        pytest.param(
            {"agents": 2, "max_rounds": 3, "texts": 2},
            (21674, 23750),
            (36941, 40477),
            marks=thorough_only("~20 s"),
        ),
    ],
)
@pytest.mark.untraced
def test_symmetry_keeps_every_verdict(
    values: dict[str, int], reduced: tuple[int, int], unreduced: tuple[int, int]
) -> None:
    """Reduced and unreduced runs agree on every verdict and every witness length."""
    model = it.Iterative(config(**values))
    with_symmetry = check(model, Options())
    without = check(model, Options(symmetry=False))
    assert with_symmetry.symmetry and not without.symmetry
    assert (with_symmetry.distinct_states, with_symmetry.generated_states) == reduced
    assert (without.distinct_states, without.generated_states) == unreduced
    assert with_symmetry.result == without.result == "ok"
    assert statuses(with_symmetry) == statuses(without)
    assert {n: len(t) for n, t in with_symmetry.witness_traces} == {
        n: len(t) for n, t in without.witness_traces
    }
    for _, trace in with_symmetry.witness_traces:
        replay(model, trace)  # the reduced run's traces are concrete runs


def blank(s: it.IterativeState) -> it.IterativeState:
    """The state without the history's `selected_agent`s (see `Iterative.canonical`)."""
    history = tuple(r._replace(selected_agent=-1) for r in s.proposals_history)
    return attrs.evolve(s, proposals_history=history)


@pytest.mark.untraced
def test_permutation_is_an_automorphism() -> None:
    """Renaming participants commutes with `step` (up to the id that decides between two
    identical submissions), keeps every property and has one canonical form."""
    model = cast(it.Iterative, it.SPEC.model(it.SPEC.preset("i3_symmetry_classes").params))
    assert model.config == config(agents=3, max_rounds=1)
    states = reachable(model)
    assert len(states) == 2905
    assert check(model, Options()).distinct_states == 581  # FINDINGS I3: one per class
    assert len({blank(model.canonical(s)) for s in states}) == 581  # up to `selected_agent`
    properties = [
        *(i.holds for i in model.invariants()),
        *(w.reached for w in model.witnesses()),
        *(e.goal for e in model.eventually()),
    ]
    exact = 0
    for state in states:
        successors = [model.step(state, a) for a in model.honest_actions(state)]
        verdicts = [holds(state) for holds in properties]
        least = min((model.permute(state, p) for p in model.symmetry.group), key=model.order_key)
        assert model.canonical(state) == least
        for p in model.symmetry.group:
            image = model.permute(state, p)
            assert model.canonical(image) == model.canonical(state)
            assert [holds(image) for holds in properties] == verdicts
            moved = {model.permute(s, p) for s in successors}
            stepped = {model.step(image, a) for a in model.honest_actions(image)}
            exact += moved == stepped
            assert {blank(s) for s in moved} == {blank(s) for s in stepped}
            assert {model.action_class(a) for a in model.honest_actions(image)} == {
                model.action_class(a) for a in model.honest_actions(state)
            }
    # The other 980 (state, permutation) pairs differ in `selected_agent` only: a tie
    # between identical submissions, which the lowest id decides.
    assert (exact, 6 * len(states)) == (16450, 17430)


def test_tie_between_different_texts_does_not_depend_on_names() -> None:
    """The finding that made the tie-break content-first: with the lowest id deciding,
    renaming two agents changes the *text* selected, so the reduced search missed
    reachable states. Now both namings select "plan a budget"."""
    model = it.Iterative(config(agents=2, max_rounds=1))
    for order in ((A, THE), (THE, A)):
        final = run(model, *propose(*order), *ANALYSE)
        assert final.final_proposal == A
        assert final.proposals_history[-1].selected_agent == order.index(A)


# --- witnesses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "lengths"),
    [
        (
            {"agents": 2, "max_rounds": 3, "texts": 2},
            {"converged_early": 11, "ended_by_max_rounds": 17},
        ),
        (
            {"agents": 2, "max_rounds": 1, "confidence_levels": 2},
            {"ended_by_max_rounds": 5, "feedback_overrules_confidence": 6},
        ),
    ],
)
def test_witness_traces_replay(values: dict[str, int], lengths: dict[str, int]) -> None:
    model = it.Iterative(config(**values))
    result = check(model, Options())
    assert result.result == "ok"
    assert {n: len(t) for n, t in result.witness_traces} == lengths
    for name, trace in result.witness_traces:
        replay(model, trace)
        witness = next(w for w in model.witnesses() if w.name == name)
        assert witness.reached(trace.steps[-1].state)
        assert not any(witness.reached(s.state) for s in trace.steps[:-1])


def test_witness_converged_early_is_a_real_convergence() -> None:
    model = cast(it.Iterative, it.SPEC.model(it.SPEC.preset("converged_early").params))
    assert model.config == config(agents=2, max_rounds=3, texts=2)
    result = check(model, Options())
    trace = dict(result.witness_traces)["converged_early"]
    final = trace.steps[-1].state
    assert (final.termination_reason, final.current_round) == ("convergence", 2)
    assert final.similarity_history == (ZERO, ONE)  # round 1 measures nothing
    rounds = [r.proposals for r in final.proposals_history]
    assert rounds[0] == rounds[1]  # everyone resubmitted the same text


def test_witness_feedback_overrules_confidence() -> None:
    model = it.Iterative(config(agents=2, max_rounds=1, confidence_levels=2))
    trace = dict(check(model, Options()).witness_traces)["feedback_overrules_confidence"]
    final = trace.steps[-1].state
    record = final.proposals_history[-1]
    chosen = record.proposals[record.selected_agent]
    other = record.proposals[1 - record.selected_agent]
    assert chosen is not None and other is not None
    assert chosen.confidence < other.confidence
    assert (
        record.feedback_summary[record.selected_agent]
        > record.feedback_summary[1 - record.selected_agent]
    )


def test_which_witnesses_are_claimed() -> None:
    names = {
        "default": [w.name for w in it.Iterative(config()).witnesses()],
        "rounds": [w.name for w in it.Iterative(config(max_rounds=3)).witnesses()],
        "no_early": [
            w.name for w in it.Iterative(config(max_rounds=3, early_termination=False)).witnesses()
        ],
        "confidence": [w.name for w in it.Iterative(config(confidence_levels=2)).witnesses()],
    }
    assert names == {
        "default": ["ended_by_max_rounds"],
        "rounds": ["converged_early", "ended_by_max_rounds"],
        "no_early": ["ended_by_max_rounds"],
        "confidence": ["ended_by_max_rounds", "feedback_overrules_confidence"],
    }


# --- mutants -------------------------------------------------------------------------------


@pytest.mark.parametrize("mutant", MUTANTS + ASSUMPTIONS, ids=lambda m: m.name)
def test_mutant_is_caught(mutant: Mutant) -> None:
    model = mutant.build()
    result = check(model, Options())
    assert result.result == "violation"
    cex = result.counterexample
    assert cex is not None
    assert (cex.property, len(cex.trace)) == (mutant.property, mutant.length)
    replay(model, cex.trace)


def test_correct_spec_holds_where_the_mutants_break() -> None:
    for mutant in MUTANTS + ASSUMPTIONS:
        assert check(it.Iterative(mutant.build().config), Options()).result == "ok", mutant.name


def test_seed_all_submitted_moves_on_without_a_participant() -> None:
    """I1: an outsider's proposal completes the count; participant 1 never proposed (the
    seed's rule, without the round timeout)."""
    model = SeedAllSubmitted(
        config(agents=2, outsiders=1, max_rounds=1, texts=1, round_timeout=False)
    )
    cex = check(model, Options()).counterexample
    assert cex is not None
    assert [s.action for s in cex.trace.steps[1:]] == [
        it.ProposalSubmission(0, A, ONE),
        it.ProposalSubmission(2, A, ONE),
    ]
    final = cex.trace.steps[-1].state
    assert final.current_phase == "feedback_collection"
    assert final.round_proposals == (it.Submission(A, ONE), None, it.Submission(A, ONE))
    with pytest.raises(GuardError) as caught:  # the spec rejects the outsider
        run(it.Iterative(model.config), it.ProposalSubmission(2, A, ONE))
    assert caught.value.guard == "not_participant"


def test_seed_all_submitted_checks_only_phase_and_duplicates_of_outsiders() -> None:
    """I1's validation, as the mutant's guard table declares it: an outsider's proposal
    is refused only out of phase (terminated too) and as a second one; a participant's
    passes every guard of the spec."""
    model = SeedAllSubmitted(config(agents=2, outsiders=1, max_rounds=1, texts=1))
    once = run(model, it.ProposalSubmission(2, A, ONE))
    refusals = [
        (once, it.ProposalSubmission(2, A, ONE), "already_submitted", "a second one"),
        (once, it.ProposalSubmission(0, A, Fraction(2)), "confidence_out_of_range", None),
        (once, it.ProposalSubmission(3, A, ONE), "not_participant", None),
    ]
    full = run(model, it.ProposalSubmission(0, A, ONE), it.ProposalSubmission(2, A, ONE))
    refusals.append((full, it.ProposalSubmission(2, A, ONE), "wrong_phase", "not collecting"))
    ended = attrs.evolve(once, termination_reason="max_rounds")
    refusals.append((ended, it.ProposalSubmission(2, A, ONE), "wrong_phase", "not collecting"))
    refusals.append((ended, it.ProposalSubmission(0, A, ONE), "after_termination", None))
    for state, action, guard, reason in refusals:
        with pytest.raises(GuardError) as caught:
            model.step(state, action)
        assert caught.value.guard == guard
        assert reason is None or caught.value.reason == reason
    # an outsider's odd confidence passes: the seed checks nothing else
    assert model.step(run(model), it.ProposalSubmission(2, A, Fraction(2))).round_proposals[2]


def test_self_feedback_counted_skips_the_later_guards() -> None:
    """I2's mutant accepts a self-feedback outright: neither its score's range nor a
    repeat is checked, as before the guards were a table; others' feedback still is."""
    model = SelfFeedbackCounted(config(agents=2, max_rounds=1, texts=1))
    state = run(model, *propose(A, A), it.FeedbackSubmission(0, 0, ONE))
    again = model.step(state, it.FeedbackSubmission(0, 0, Fraction(2)))
    assert (0, 0, Fraction(2)) in again.feedback_collection
    assert model.step(state, it.FeedbackSubmission(0, 0, ONE)) == state
    with pytest.raises(GuardError) as caught:
        model.step(state, it.FeedbackSubmission(0, 1, Fraction(2)))
    assert caught.value.guard == "score_out_of_range"


def test_presets() -> None:
    """The default preset is the defaults; the others are the configurations they name."""
    names = [p.name for p in it.SPEC.all_presets()]
    assert names == ["default", "converged_early", "i3_symmetry_classes", "small"]
    assert it.SPEC.preset("default").params == {}
    for preset in it.SPEC.all_presets():
        assert isinstance(it.SPEC.model(preset.params), it.Iterative)
    assert (it.SPEC.events, it.SPEC.decode) == (it.EVENTS, it.from_event)


def test_guard_table() -> None:
    """Every action class has its guards, `after_termination` first; none is a bound."""
    assert set(it.GUARDS) == set(it.EVENTS.values())
    assert all(g[0] is it.after_termination for g in it.GUARDS.values())
    assert not any(g.bound for g in declared_guards(it.Iterative(config())))


def test_no_max_rounds_runs_forever() -> None:
    """I4: the lasso alternates one agent's text, so the convergence score stays 3/4."""
    model = NoMaxRounds(config(agents=2, max_rounds=1, texts=2))
    result = check(model, Options())
    assert statuses(result)["terminates"] == "violated"
    cex = result.counterexample
    assert cex is not None and cex.trace.loop == 11
    steps = cex.trace.steps
    assert steps[-1].state == steps[cex.trace.loop].state
    assert all(s.state.termination_reason is None for s in steps)
    loop_scores = {s.state.convergence_score for s in steps[cex.trace.loop :]}
    assert loop_scores == {Fraction(3, 4)}
    # The abstraction's round counter saturated at 2; rounds 2, 3, 4... run forever.
    assert [s.state.current_round for s in steps][-1] == 2


def test_map_order_tie_break_selects_another_text() -> None:
    """I3: arrival order picks "plan the budget"; the spec picks "plan a budget"."""
    mutant = MapOrderTieBreak(config(agents=2, max_rounds=1, texts=2))
    cex = check(mutant, Options()).counterexample
    assert cex is not None
    actions = [s.action for s in cex.trace.steps[1:]]
    assert actions == [
        it.ProposalSubmission(0, THE, ONE),
        it.ProposalSubmission(1, A, ONE),
        *ANALYSE,
    ]
    assert cex.trace.steps[-1].state.final_proposal == THE
    spec_final = run(it.Iterative(mutant.config), *actions)
    assert spec_final.final_proposal == A


# --- pure functions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plan a budget", {"plan", "a", "budget"}),
        ("Plan, the BUDGET!  now-2", {"plan", "the", "budget", "now", "2"}),
        ("a a A", {"a"}),
        ("plan_a budget2", {"plan", "a", "budget2"}),
        ("Café déjà-vu", {"café", "déjà", "vu"}),
        ("", set()),
        (" -- !? ", set()),
    ],
)
def test_words(text: str, expected: set[str]) -> None:
    assert it.words(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (A, THE, Fraction(2, 4)),  # {plan, budget} / {plan, a, the, budget}
        (A, LONG, Fraction(3, 5)),  # {plan, a, budget} / {plan, a, budget, and, schedule}
        (THE, CUT, Fraction(2, 5)),  # {the, budget} / {plan, the, budget, cut, now}
        (A, "Plan A budget!", ONE),
        ("", "", ONE),  # J(empty, empty) = 1
        ("", A, ZERO),
        ("cut now", A, ZERO),  # disjoint
    ],
)
def test_jaccard(a: str, b: str, expected: Fraction) -> None:
    assert it.jaccard(a, b) == it.jaccard(b, a) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (A, Fraction(3, 8)),  # the vocabulary of TEXTS has 8 words
        (THE, Fraction(3, 8)),
        (CUT, Fraction(4, 8)),
        (LONG, Fraction(5, 8)),
        ("plan a budget the cut now and schedule", ONE),
        ("zebra crossing", ZERO),
        ("", ZERO),
    ],
)
def test_quality(text: str, expected: Fraction) -> None:
    assert it.quality(text) == expected


def test_composite() -> None:
    assert it.composite(ONE, ONE, ONE) == ONE
    assert it.composite(ZERO, ZERO, ZERO) == ZERO
    assert it.composite(Fraction(3, 8), HALF, ONE) == Fraction(11, 20)  # 3/20 + 4/20 + 4/20
    assert it.composite(ZERO, ONE, ZERO) == it.composite(ONE, ZERO, ZERO) == Fraction(2, 5)
    assert it.composite(ZERO, ZERO, ONE) == Fraction(1, 5)


def test_convergence_score() -> None:
    model = it.Iterative(config(agents=3, texts=4))
    first = run(model, *propose(A, THE, CUT), *ANALYSE, it.PhaseTransition())
    assert first.similarity_history == (ZERO,)  # no agent in both rounds: 0
    second = run(model, *propose(A, THE, CUT), *ANALYSE, it.PhaseTransition(), *propose(A, A, LONG))
    # J(a, a) = 1, J(a, the) = 1/2, J(long, cut) = 1/8: {budget} of 8 words.
    assert model.convergence(second) == (ONE + HALF + Fraction(1, 8)) / 3 == Fraction(13, 24)
    # A previous round with no agent in common (hand-built: the protocol cannot do this).
    previous = second.proposals_history[-1]._replace(proposals=(None, None, None))
    assert model.convergence(attrs.evolve(second, proposals_history=(previous,))) == ZERO
    assert model.convergence(attrs.evolve(second, proposals_history=())) == ZERO


def test_feedback_scores_and_selection() -> None:
    model = it.Iterative(config(agents=3, feedback_levels=3))
    state = run(
        model,
        *propose(A, THE, A),
        it.FeedbackSubmission(1, 0, ONE),
        it.FeedbackSubmission(2, 0, ZERO),
        it.FeedbackSubmission(0, 1, HALF),
        it.PhaseTransition(),
        it.QualityAssessment(),
    )
    assert model.feedback_scores(state) == (HALF, HALF, HALF)  # (1 + 0) / 2; 1/2; none
    scores = model.composites(state)
    assert set(scores.values()) == {Fraction(11, 20)}  # a three-way tie
    assert model.select(state, scores) == 0  # "plan a budget" < "plan the budget"; id 0 < 2
    done = model.step(state, it.RoundCompletion())
    assert (done.current_proposal, done.proposals_history[-1].selected_agent) == (A, 0)
    assert done.consensus_level == (ONE + HALF + ONE) / 3
    assert done.proposals_history[-1].feedback_summary == (HALF, HALF, HALF)


def test_tie_break_prefers_the_more_confident_submission() -> None:
    model = it.Iterative(config(agents=2, confidence_levels=2))
    state = run(
        model,
        it.ProposalSubmission(0, A, HALF),
        it.ProposalSubmission(1, A, ONE),
        it.FeedbackSubmission(1, 0, ONE),
        it.PhaseTransition(),
        it.QualityAssessment(),
    )
    scores = model.composites(state)
    # 0: 3/20 + 2/5 + 1/10 = 13/20 and 1: 3/20 + 1/5 + 1/5 = 11/20: feedback decides.
    assert scores == {0: Fraction(13, 20), 1: Fraction(11, 20)}
    assert model.select(state, scores) == 0
    assert model.select(state, {0: ONE, 1: ONE}) == 1  # equal scores: confidence decides
    assert model.rank(state, {0: ONE, 1: ONE}, 1) == (-ONE, A, -ONE, 1)


def test_stopping_rules() -> None:
    """Quality stops the first round; convergence needs a previous round; the bound stops."""
    quality = it.Iterative(config(agents=2, max_rounds=3, quality_threshold=Fraction(3, 8)))
    assert run(quality, *propose(A, A), *ANALYSE).termination_reason == "quality"
    zero = it.Iterative(config(agents=2, max_rounds=3, convergence_threshold=ZERO))
    first = run(zero, *propose(A, THE), *ANALYSE)
    assert (first.convergence_score, first.termination_reason) == (ZERO, None)
    second = run(
        zero, *propose(A, THE), *ANALYSE, it.PhaseTransition(), *propose(CUT, CUT), *ANALYSE
    )
    assert second.termination_reason == "convergence"  # 0 >= 0 from round 2 on
    off = it.Iterative(config(agents=2, max_rounds=2, early_termination=False))
    rounds = [*propose(A, A), *ANALYSE, it.PhaseTransition(), *propose(A, A), *ANALYSE]
    ended = run(off, *rounds)
    assert (ended.termination_reason, ended.convergence_score) == ("max_rounds", ONE)
    assert ended.final_proposal == A
    with pytest.raises(GuardError) as caught:
        off.step(ended, it.PhaseTransition())
    assert caught.value.guard == "after_termination"


def test_convergence_is_stability_not_agreement() -> None:
    """Two agents that resubmit their own, different, texts "converge" (finding I5)."""
    model = it.Iterative(config(agents=2, max_rounds=3, texts=3))
    rounds = [*propose(A, CUT), *ANALYSE, it.PhaseTransition(), *propose(A, CUT), *ANALYSE]
    final = run(model, *rounds)
    assert (final.termination_reason, final.convergence_score) == ("convergence", ONE)
    assert final.final_proposal == CUT  # quality 1/2 beats 3/8
    assert final.consensus_level == (Fraction(1, 6) + ONE) / 2 == Fraction(7, 12)


def test_convergence_check_and_early_termination() -> None:
    model = it.Iterative(config(agents=2, max_rounds=2))
    state = run(model, *propose(A, THE), *ANALYSE)
    assert state.current_phase == "transition"
    assert model.step(state, it.ConvergenceCheck()) == state  # the rule already applied
    ended = model.step(state, it.EarlyTermination())
    assert (ended.termination_reason, ended.final_proposal) == ("consensus", A)
    nxt = model.step(state, it.PhaseTransition())
    assert (nxt.current_round, nxt.current_phase, nxt.round_proposals) == (
        2,
        "proposal_collection",
        (None, None),
    )
    assert (nxt.feedback_collection, nxt.quality_scores) == (frozenset(), None)


def test_feedback_completion_moves_to_analysis() -> None:
    model = it.Iterative(config(agents=2))
    state = run(model, *propose(A, THE), it.FeedbackSubmission(0, 1, ONE))
    assert state.current_phase == "feedback_collection"
    state = model.step(state, it.FeedbackSubmission(1, 0, ONE))
    assert state.current_phase == "analysis"


# --- the round timeout (FINDINGS I6) --------------------------------------------------------


def test_round_timeout_closes_proposals_with_those_at_hand() -> None:
    """phase_transition out of proposal_collection once one proposal is in; feedback only
    on the round's proposals, and feedback collection closes when all of it is in."""
    model = it.Iterative(config())
    state = run(model, it.ProposalSubmission(1, CUT, ONE), it.PhaseTransition())
    assert state.current_phase == "feedback_collection"
    assert model.feedback_expected(state) == 2  # agents 0 and 2 on agent 1's proposal
    state = run(
        model,
        it.ProposalSubmission(1, CUT, ONE),
        it.PhaseTransition(),
        it.FeedbackSubmission(0, 1, ONE),
        it.FeedbackSubmission(2, 1, ZERO),
    )
    assert state.current_phase == "analysis"
    final = run(
        model,
        it.ProposalSubmission(1, CUT, ONE),
        it.PhaseTransition(),  # the round timeout
        *ANALYSE,
        it.PhaseTransition(),
        *propose(A, THE),
        it.PhaseTransition(),
        *ANALYSE,
    )
    assert final.termination_reason == "max_rounds"
    assert [r.proposals for r in final.proposals_history] == [
        (None, it.Submission(CUT, ONE), None),
        (it.Submission(A, ONE), it.Submission(THE, ONE), None),
    ]
    assert final.similarity_history == (ZERO, Fraction(2, 5))  # agent 1 only: J(THE, CUT)


def test_without_the_round_timeout_the_model_is_the_seeds() -> None:
    """`round_timeout=False`: phase_transition is refused in proposal_collection, and the
    I3 preset visits the 418 classes it had before the timeout."""
    seed = it.Iterative(config(max_rounds=1, round_timeout=False))
    with pytest.raises(GuardError) as caught:
        run(seed, it.ProposalSubmission(0, A, ONE), it.PhaseTransition())
    assert caught.value.guard == "wrong_phase"
    assert check(seed, Options()).distinct_states == 418


@pytest.mark.parametrize(
    ("values", "states"),
    [
        ({"agents": 2, "max_rounds": 1, "texts": 1}, 9),
        ({"agents": 3, "max_rounds": 2, "texts": 1}, 897),
    ],
)
def test_a_silent_participant_no_longer_blocks(values: dict[str, int], states: int) -> None:
    """The silent_participant variant with the spec's round timeout: every property
    holds, `terminates` included, with one participant that never proposes."""
    model = SilentParticipant(config(**values))
    result = check(model, Options())
    assert result.result == "ok" and result.distinct_states == states
    assert statuses(result)["terminates"] == "holds"
    assert statuses(result)["deadlock"] == "holds"


# --- guards ----------------------------------------------------------------------------------


def _states() -> dict[str, tuple[it.Iterative, it.IterativeState]]:
    model = it.Iterative(config(agents=3, max_rounds=1, feedback_levels=3))
    off = it.Iterative(config(agents=2, max_rounds=2, early_termination=False))
    seed = it.Iterative(config(agents=3, max_rounds=1, round_timeout=False))
    collecting = run(model, it.ProposalSubmission(0, A, ONE))
    feedback = run(model, *propose(A, THE, A), it.FeedbackSubmission(0, 1, HALF))
    analysis = run(model, *propose(A, THE, A), it.PhaseTransition())
    assessed = model.step(analysis, it.QualityAssessment())
    return {
        "empty": (model, run(model)),
        "collecting": (model, collecting),
        "collecting_seed": (seed, run(seed, it.ProposalSubmission(0, A, ONE))),
        "timed_out": (model, model.step(collecting, it.PhaseTransition())),
        "feedback": (model, feedback),
        "analysis": (model, analysis),
        "assessed": (model, assessed),
        "ended": (model, model.step(assessed, it.RoundCompletion())),
        "transition_off": (off, run(off, *propose(A, A), *ANALYSE)),
    }


STATES = _states()


@pytest.mark.parametrize(
    ("where", "action", "guard"),
    [
        ("ended", it.PhaseTransition(), "after_termination"),
        ("ended", it.ProposalSubmission(0, A, ONE), "after_termination"),
        ("collecting", it.FeedbackSubmission(0, 1, ONE), "wrong_phase"),
        ("collecting", it.QualityAssessment(), "wrong_phase"),
        ("empty", it.PhaseTransition(), "no_proposals"),
        ("collecting_seed", it.PhaseTransition(), "wrong_phase"),
        ("collecting", it.EarlyTermination(), "wrong_phase"),
        ("feedback", it.ProposalSubmission(0, A, ONE), "wrong_phase"),
        ("feedback", it.RoundCompletion(), "wrong_phase"),
        ("analysis", it.ConvergenceCheck(), "wrong_phase"),
        ("analysis", it.PhaseTransition(), "wrong_phase"),
        ("collecting", it.ProposalSubmission(3, A, ONE), "not_participant"),
        ("collecting", it.ProposalSubmission(-1, A, ONE), "not_participant"),
        ("feedback", it.FeedbackSubmission(0, 7, ONE), "not_participant"),
        ("feedback", it.FeedbackSubmission(5, 0, ONE), "not_participant"),
        ("collecting", it.ProposalSubmission(0, THE, ONE), "already_submitted"),
        ("collecting", it.ProposalSubmission(1, A, Fraction(3, 2)), "confidence_out_of_range"),
        ("collecting", it.ProposalSubmission(1, A, Fraction(-1, 2)), "confidence_out_of_range"),
        ("collecting", it.ProposalSubmission(1, A, 0.5), "confidence_out_of_range"),  # type: ignore[arg-type]
        ("collecting", it.ProposalSubmission(1, 5, ONE), "malformed_proposal"),  # type: ignore[arg-type]
        ("feedback", it.FeedbackSubmission(1, 1, ONE), "self_feedback"),
        ("timed_out", it.FeedbackSubmission(0, 1, ONE), "no_target_proposal"),
        ("timed_out", it.FeedbackSubmission(0, 0, ONE), "self_feedback"),
        ("feedback", it.FeedbackSubmission(1, 0, Fraction(2)), "score_out_of_range"),
        ("feedback", it.FeedbackSubmission(1, 0, Fraction(-1, 3)), "score_out_of_range"),
        ("feedback", it.FeedbackSubmission(1, 0, 0.5), "score_out_of_range"),  # type: ignore[arg-type]
        ("feedback", it.FeedbackSubmission(0, 1, ONE), "already_given"),
        ("assessed", it.QualityAssessment(), "already_assessed"),
        ("analysis", it.RoundCompletion(), "assessed"),
        ("transition_off", it.EarlyTermination(), "early_termination_enabled"),
    ],
)
def test_guards_name_what_failed(where: str, action: it.Action, guard: str) -> None:
    model, state = STATES[where]
    before = attrs.evolve(state)
    enabled = model.honest_actions(state)
    with pytest.raises(GuardError) as caught:
        model.step(state, action)
    assert (caught.value.guard, caught.value.action) == (guard, action_name(action))
    assert state == before and model.honest_actions(state) == enabled  # unchanged


def test_second_submission_is_rejected_not_replacing() -> None:
    model, state = STATES["collecting"]
    with pytest.raises(GuardError):
        model.step(state, it.ProposalSubmission(0, THE, ONE))
    assert state.round_proposals[0] == it.Submission(A, ONE)


def test_integer_confidence_and_score_are_accepted() -> None:
    model = it.Iterative(config(agents=2))
    state = run(model, it.ProposalSubmission(0, A, 1), it.ProposalSubmission(1, A, 0))  # type: ignore[arg-type]
    assert state.round_proposals == (it.Submission(A, ONE), it.Submission(A, ZERO))
    state = model.step(state, it.FeedbackSubmission(0, 1, 1))  # type: ignore[arg-type]
    assert state.feedback_collection == {(0, 1, ONE)}


# --- events ----------------------------------------------------------------------------------


def test_from_event_maps_the_seeds_events() -> None:
    assert set(it.EVENTS) == {
        "proposal_submission",
        "feedback_submission",
        "round_completion",
        "convergence_check",
        "quality_assessment",
        "phase_transition",
        "early_termination",
    }
    assert it.from_event(
        "proposal_submission", {"agent": 1, "proposal": A, "confidence": HALF}
    ) == (it.ProposalSubmission(1, A, HALF))
    assert it.from_event(
        "feedback_submission", {"from_agent": 0, "target_agent": 2, "score": ONE}
    ) == it.FeedbackSubmission(0, 2, ONE)
    for name in ("round_completion", "convergence_check", "quality_assessment"):
        assert action_name(it.from_event(name, {})) == name
    assert it.from_event("phase_transition", {}) == it.PhaseTransition()
    assert it.from_event("early_termination", {}) == it.EarlyTermination()


@pytest.mark.parametrize("name", ["vote", "", "Proposal_Submission", "round_timeout"])
def test_from_event_rejects_unknown_events(name: str) -> None:
    with pytest.raises(GuardError) as caught:
        it.from_event(name, {})
    assert (caught.value.guard, caught.value.action) == ("unknown_iterative_event", name)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("proposal_submission", {"agent_id": 0, "proposal": A, "confidence": ONE}),  # seed key
        ("proposal_submission", {"agent": 0, "proposal": A}),
        ("feedback_submission", {"from_agent": 0, "target_agent": 1, "feedback": ONE}),
        ("round_completion", {"round": 1}),
    ],
)
def test_from_event_rejects_malformed_data(name: str, data: dict[str, object]) -> None:
    with pytest.raises(GuardError) as caught:
        it.from_event(name, data)
    assert (caught.value.guard, caught.value.action) == ("malformed_event", name)


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"agents": "1"}, "agents: expected an integer in 2..5"),
        ({"max_rounds": "0"}, "max_rounds: expected an integer in 1..4"),
        (
            {"convergence_threshold": "3/2"},
            "convergence_threshold: expected a fraction p/q in 0..1",
        ),
        ({"method": "cosine"}, "method: expected one of jaccard, semantic, custom"),
    ],
)
def test_bad_configs(values: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(it.IterativeConfig, values)
    assert fragment in str(caught.value)


def test_convergence_methods_are_pluggable() -> None:
    assert set(it.METHODS) == {"jaccard", "semantic", "custom"}
    model = it.SPEC.model({"method": "semantic", "agents": "2"})
    assert model.initial()[0].convergence_method == "semantic"
    assert isinstance(model, it.Iterative) and model.similarity is it.jaccard


# --- random walks beyond the exhaustive bounds ----------------------------------------------


class RandomSessions(RuleBasedStateMachine):
    """Sessions beyond the exhaustive bounds: 4 agents and 2 outsiders, 3 rounds, all 4
    texts, confidences 1/2 and 1, feedback 1, 0 and 1/2. Each step tries one candidate
    event, enabled or not: an enabled one must be accepted, any other rejected with a
    named guard and no change; every invariant must hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.model = it.Iterative(
            config(
                agents=4,
                outsiders=2,
                max_rounds=3,
                texts=4,
                confidence_levels=2,
                feedback_levels=3,
            )
        )
        self.state: Any = None

    @initialize(early=st.booleans(), threshold=st.sampled_from([Fraction(9, 10), HALF, ONE]))
    def start(self, early: bool, threshold: Fraction) -> None:
        self.model = it.Iterative(
            attrs.evolve(
                self.model.config, early_termination=early, convergence_threshold=threshold
            )
        )
        self.state = self.model.initial()[0]

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    def schedule(self, pick: int) -> None:
        enabled = self.model.honest_actions(self.state)
        if enabled:
            self.state = self.model.step(self.state, enabled[pick % len(enabled)])

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    def try_any_event(self, pick: int) -> None:
        candidates = self.model.candidates(self.state)
        action = candidates[pick % len(candidates)]
        enabled = action in self.model.honest_actions(self.state)
        try:
            after = self.model.step(self.state, action)
        except GuardError as err:
            assert not enabled
            assert err.guard
            return
        assert enabled
        self.state = after

    @invariant()
    def spec_invariants_hold(self) -> None:
        if self.state is not None:
            for inv in self.model.invariants():
                assert inv.holds(self.state), inv.name


TestRandomSessions = RandomSessions.TestCase
TestRandomSessions.settings = walk_settings(80)


def test_names_are_the_seeds() -> None:
    """Phases, reasons and the module's exported specification."""
    assert it.PHASES == ("proposal_collection", "feedback_collection", "analysis", "transition")
    assert it.REASONS == ("max_rounds", "convergence", "quality", "consensus")
    assert it.SPEC.name == "iterative" and it.SPEC.config_type is it.IterativeConfig
    assert it.SPEC.build(it.IterativeConfig()).symmetry_default
