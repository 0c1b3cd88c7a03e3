"""The restated properties of Part 3 (spec/restated/iterative.py): independent of the
spec's helpers, each the only one to catch its mutant."""

from __future__ import annotations

from fractions import Fraction

import attrs
import pytest

from model_check.engine import Options, check
from spec import iterative as it
from spec.restated import iterative as restated
from tests.harness.profiles import THOROUGH
from tests.harness.specs import replay
from tests.mutants.iterative import RESTATED, Mutant


def test_no_helper_of_the_spec_is_used() -> None:
    """The restatements call none of spec.iterative's functions (jaccard, composite...),
    from the package or one of its modules."""
    borrowed = [
        name
        for name, value in vars(restated).items()
        if callable(value)
        and (getattr(value, "__module__", None) or "").startswith("spec.iterative")
        and not isinstance(value, type)
    ]
    assert borrowed == []


def test_naive_words_and_jaccard() -> None:
    assert restated.naive_words("Plan a budget, plan_B 2x!") == {"plan", "a", "budget", "b", "2x"}
    assert restated.naive_words("") == frozenset()
    assert restated.naive_jaccard("plan a budget", "plan the budget") == Fraction(1, 2)
    assert restated.naive_jaccard("", "...") == 1
    assert restated.naive_jaccard("a", "") == 0
    # agrees with the spec's own on every pair of texts (two implementations, one rule)
    for a in it.TEXTS:
        for b in it.TEXTS:
            assert restated.naive_jaccard(a, b) == it.jaccard(a, b)


def test_naive_convergence_pairs_agents_of_both_rounds() -> None:
    s = it.Submission
    one = Fraction(1)
    now = (s("plan a budget", one), s("cut the budget now", one), None)
    before = (s("plan the budget", one), None, s("plan a budget", one))
    assert restated.naive_convergence(now, before) == Fraction(1, 2)  # agent 0 only
    assert restated.naive_convergence((None,), (None,)) == 0


def test_naive_feedback_counts_others_only() -> None:
    given = frozenset({(0, 1, Fraction(1)), (2, 1, Fraction(0)), (1, 1, Fraction(1))})
    assert restated.naive_feedback(given, 1) == Fraction(1, 2)
    assert restated.naive_feedback(given, 0) == Fraction(1, 2)  # none: 1/2
    assert restated.naive_composite(Fraction(1), Fraction(0), Fraction(1)) == Fraction(3, 5)


def test_invariants_keep_the_existing_names_and_add_the_restated() -> None:
    names = [inv.name for inv in it.Iterative(it.IterativeConfig()).invariants()]
    assert names[-len(restated.RESTATED) :] == [inv.name for inv in restated.RESTATED]
    assert names[:2] == ["round_bound", "terminated_iff_reason"]
    assert "selected_is_best" in names


@pytest.mark.parametrize("mutant", RESTATED, ids=lambda m: m.name)
def test_only_its_property_catches_the_mutant(mutant: Mutant) -> None:
    model = mutant.build()
    result = check(model, Options(stop_at_first=False))
    failed = [(p.name, p.trace_length) for p in result.properties if p.failed()]
    broken = [(n, length) for n, length in failed if n in {i.name for i in model.invariants()}]
    assert broken == [(mutant.property, mutant.length)]
    # nothing else fails but a witness the mutant makes unreachable
    kinds = {p.name: p.kind for p in result.properties}
    assert all(kinds[n] == "witness" for n, _ in failed if n != mutant.property)
    traces = [c for c in result.counterexamples if c.property == mutant.property]
    assert [len(c.trace) for c in traces] == [mutant.length]
    first = traces[0]
    replay(model, first.trace)


@pytest.mark.parametrize(
    "mutant",
    [
        pytest.param(
            m,
            marks=pytest.mark.skipif(
                m.build().config.max_rounds > 2 and not THOROUGH,
                reason="about 6 s: HYPOTHESIS_PROFILE=thorough",
            ),
        )
        for m in RESTATED
    ],
    ids=lambda m: m.name,
)
def test_the_spec_holds_at_the_mutants_configs(mutant: Mutant) -> None:
    assert check(it.Iterative(mutant.build().config), Options()).result == "ok"


def _ended() -> tuple[it.Iterative, it.IterativeState]:
    """A session of 2 agents run to max_rounds (2 rounds), each round the same proposals."""
    model = it.Iterative(it.IterativeConfig(agents=2, max_rounds=2, texts=2))
    s = model.initial()[0]
    one = Fraction(1)
    for _ in range(2):
        if s.current_phase == "transition":
            s = model.apply(s, it.PhaseTransition())
        for agent, text in enumerate(("plan a budget", "plan the budget")):
            s = model.apply(s, it.ProposalSubmission(agent, text, one))
        s = model.apply(s, it.FeedbackSubmission(0, 1, one))
        for action in (it.PhaseTransition(), it.QualityAssessment(), it.RoundCompletion()):
            s = model.apply(s, action)
    return model, s


def test_each_restated_property_rejects_a_corrupted_state() -> None:
    _, s = _ended()
    assert s.termination_reason == "convergence"  # the same proposals twice: score 1
    assert all(inv.holds(s) for inv in restated.RESTATED)
    last = s.proposals_history[-1]
    wrong = Fraction(1, 3)
    history = (*s.proposals_history[:-1], last._replace(convergence_score=wrong))
    broken = {
        "convergence_recomputed": [
            attrs.evolve(s, proposals_history=history, convergence_score=wrong),
            attrs.evolve(s, similarity_history=(wrong, wrong)),
            attrs.evolve(s, convergence_score=wrong),
        ],
        "convergence_termination_justified": [
            attrs.evolve(s, termination_reason=None),
            attrs.evolve(s, current_phase="analysis"),
        ],
        "selected_by_recomputed_composite": [
            attrs.evolve(
                s,
                proposals_history=(
                    *s.proposals_history[:-1],
                    last._replace(feedback_summary=(wrong, wrong)),
                ),
            ),
            attrs.evolve(
                s,
                proposals_history=(
                    *s.proposals_history[:-1],
                    last._replace(selected_proposal="cut the budget now"),
                ),
            ),
        ],
        "round_record_faithful": [
            attrs.evolve(s, current_proposal="plan a budget"),
            attrs.evolve(
                s, proposals_history=(*s.proposals_history[:-1], last._replace(quality_score=wrong))
            ),
            attrs.evolve(s, round_proposals=(last.proposals[1], last.proposals[1])),
        ],
        "consensus_level_recomputed": [
            attrs.evolve(s, consensus_level=wrong),
            attrs.evolve(s, proposals_history=(), consensus_level=wrong),
        ],
        "termination_reason_justified": [
            attrs.evolve(s, final_proposal="cut the budget now"),
            attrs.evolve(s, current_phase="analysis", termination_reason="quality"),
            attrs.evolve(s, termination_reason="consensus", early_termination_enabled=False),
            attrs.evolve(s, termination_reason="max_rounds", max_rounds=3),
            attrs.evolve(s, termination_reason="quality"),  # quality 3/8 < 1
        ],
    }
    props = {inv.name: inv for inv in restated.RESTATED}
    for name, states in broken.items():
        for bad in states:
            assert not props[name].holds(bad), name
    assert props["termination_reason_justified"].holds(
        attrs.evolve(s, termination_reason="consensus")
    )
    assert props["termination_reason_justified"].holds(
        attrs.evolve(s, termination_reason="max_rounds", early_termination_enabled=False)
    )


def test_a_tie_goes_to_the_text_first_in_string_order() -> None:
    """Two proposals of equal quality, no feedback, the same confidence: equal composite
    scores, and "plan a budget" (first in string order) is selected; a record naming the
    other, equally scored one breaks the restated selection."""
    model = it.Iterative(it.IterativeConfig(agents=2, max_rounds=1, texts=2))
    s = model.initial()[0]
    for agent, text in enumerate(("plan the budget", "plan a budget")):
        s = model.apply(s, it.ProposalSubmission(agent, text, Fraction(1)))
    for action in (it.PhaseTransition(), it.QualityAssessment(), it.RoundCompletion()):
        s = model.apply(s, action)
    record = s.proposals_history[-1]
    assert (record.selected_agent, record.selected_proposal) == (1, "plan a budget")
    assert restated.selected_by_recomputed_composite.holds(s)
    other = record._replace(selected_agent=0, selected_proposal="plan the budget")
    assert not restated.selected_by_recomputed_composite.holds(
        attrs.evolve(s, proposals_history=(other,))
    )


def test_the_stopping_mutants_fall_back_to_the_spec_rules() -> None:
    from spec.variants.iterative import ConvergenceStrictThreshold, QualityStopsRegardless

    model, s = _ended()
    last = s.proposals_history[-1]
    strict = ConvergenceStrictThreshold(model.config)
    assert strict.stopping_reason(s, last._replace(convergence_score=Fraction(2))) == "convergence"
    assert (
        strict.stopping_reason(
            s, last._replace(convergence_score=Fraction(0), quality_score=Fraction(1))
        )
        == "quality"
    )
    regardless = QualityStopsRegardless(model.config)
    assert regardless.stopping_reason(s, last) == "convergence"  # quality 3/8 < 1
