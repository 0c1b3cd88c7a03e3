"""Weighted-voting variants: deliberately broken rules the checker must catch.

Each mutant changes one rule of `spec.weighted` through the smallest hook the spec
exposes (`apply`, `with_weights`, `reached`, the guard table `guards`), in the smallest
configuration where the break can show. The `seed_` mutants reproduce the seed's own
rules (Part 2, §2.3 and §2.4; spec/FINDINGS.md W1-W4). `MUTANTS` pins what the checker
reports first: the property that breaks and the length of the shortest counterexample
(breadth-first, symmetry on, as the model's default); `SECONDARY` pins further
properties the same rules break, each with its own shortest counterexample (found with
`--continue` where another property breaks first). `PORTFOLIO` holds one mutant per
feature that the portfolio of `coordspec check weighted` adds to the default (votes
that stand through two expertise updates; a deadline at a tally just below the
threshold): each is caught at its portfolio preset, which is its configuration, and not
at the default (tests/test_portfolio.py). `coordspec check weighted --variant NAME`
checks one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import ClassVar

import attrs

from spec import weighted as w
from spec.core import Guard, without
from spec.variants import MUTANT, Variant, preset_config


class SeedRunningTotal(w.Weighted):
    """W1, the seed's vote handler: `new_weighted_total = weighted_state.weighted_total +
    weighted_contribution`, so a re-vote is added to the running total again (and the
    early-consensus check that follows sees that total)."""

    def apply(self, s: w.WeightedState, a: w.Action) -> w.WeightedState:
        after = super().apply(s, a)
        if not isinstance(a, w.VoteSubmission) or after.closed:
            return after
        contribution = s.agent_weights[a.agent] * a.confidence
        running = attrs.evolve(after, weighted_total=s.weighted_total + contribution)
        return self.decide(running, closing=False)


class CapWithoutRedistribution(w.Weighted):
    """W4, the seed's `apply_fairness_constraints(bounded_score, agent_id, context)` for
    each agent alone: min(w, total / 2), with nothing redistributed (the total shrinks)."""

    def with_weights(self, s: w.WeightedState, uncapped: tuple[Fraction, ...]) -> w.WeightedState:
        total = sum(uncapped, Fraction(0))
        capped = tuple(min(x, w.MAX_SHARE * total) for x in uncapped)
        return attrs.evolve(
            s,
            uncapped_weights=uncapped,
            agent_weights=capped,
            max_possible_weight=sum(capped, Fraction(0)),
            gini_coefficient=w.gini(capped),
            max_individual_weight=w.max_individual_share(capped),
            weight_entropy=w.normalised_entropy(capped),
            weighted_total=self.total_over(capped, s.votes),
        )


class OptionBlindConsensus(w.Weighted):
    """W2, the seed's `check_early_consensus(new_weighted_total, max_possible_weight,
    threshold)`: consensus when the total over all votes, whatever option they name,
    reaches the threshold; the decision is then the option with the most support (the
    lowest-numbered one on a tie)."""

    def reached(self, s: w.WeightedState) -> list[int]:
        if s.weighted_total < s.consensus_threshold * s.max_possible_weight:
            return []
        support = self.tally(s)
        return [max(s.options, key=lambda o: (support[o], -o))]


class VotesAfterDecision(w.Weighted):
    """A vote submitted after the decision is accepted (and may decide again): the vote's
    guard `after_decision` is dropped (`after_deadline` still refuses a vote after a
    deadline without a decision)."""

    guards: ClassVar[Mapping[type, tuple[Guard, ...]]] = {
        **w.GUARDS,
        w.VoteSubmission: without(w.GUARDS[w.VoteSubmission], "after_decision"),
    }


class TallyAtVoteTime(w.Weighted):
    """W3, the seed's `weighted_value`: the decision sums the weight each vote was cast
    with, while the bar is a share of `max_possible_weight`, the sum of the current
    weights. (The spec's `tally`, by current weights, still judges the properties.)"""

    def reached(self, s: w.WeightedState) -> list[int]:
        support = {o: Fraction(0) for o in s.options}
        for v in s.votes:
            if v is not None:
                support[v.option] += v.weighted_value
        bar = s.consensus_threshold * s.max_possible_weight
        return [o for o in s.options if support[o] >= bar]


class SeedVoteHandler(SeedRunningTotal, OptionBlindConsensus):
    """W1 and W2 together, as the seed writes them: a running total over every
    submission, compared option-blind with the threshold."""


Config = w.WeightedConfig


def _variant(
    name: str,
    reproduces: str,
    description: str,
    model: type[w.Weighted],
    config: w.WeightedConfig,
    prop: str,
    length: int,
    first: bool = True,
) -> Variant[w.Weighted]:
    return Variant(name, "weighted", description, reproduces, model, config, prop, length, first)


#: What `check(model, Options())` reports first: the property and the shortest length.
MUTANTS: tuple[Variant[w.Weighted], ...] = (
    _variant(
        "seed_running_total",
        "W1",
        "The seed's running total: a re-vote is added to the total again.",
        SeedRunningTotal,
        Config(agents=1, options=1, profiles=(1,), assessments=0),
        "counted_once",
        2,
    ),
    _variant(
        "seed_cap_without_redistribution",
        "W4",
        "The seed's cap for each agent alone, min(w, total / 2), nothing redistributed.",
        CapWithoutRedistribution,
        Config(
            agents=2, options=1, profiles=(2, 1), assessments=0, confidence_levels=1, max_votes=1
        ),
        "weight_cap",
        0,
    ),
    _variant(
        "seed_option_blind_consensus",
        "W2",
        "The seed's early-consensus check: the total over all options against the threshold.",
        OptionBlindConsensus,
        Config(agents=2, profiles=(1, 1), assessments=0, confidence_levels=1, max_votes=1),
        "decided_has_threshold",
        2,
    ),
    _variant(
        "votes_after_decision",
        MUTANT,
        "A vote submitted after the decision is accepted (and may decide again).",
        VotesAfterDecision,
        Config(agents=1, profiles=(1,), assessments=0, confidence_levels=1),
        "decision_final",
        2,
    ),
    _variant(
        "seed_tally_at_vote_time",
        "W3",
        "The seed's decision sums each vote's weight at vote time, the bar uses current ones.",
        TallyAtVoteTime,
        Config(agents=1, options=1, profiles=(2,), max_votes=1),
        "decided_has_threshold",
        4,
    ),
)

#: Further breaks of the same mutants, each the shortest counterexample of its property
#: in a run that does not stop at the first violation (`Options(stop_at_first=False)`).
SECONDARY: tuple[Variant[w.Weighted], ...] = (
    _variant(
        "seed_vote_handler_one_agent_decides_by_re_voting",
        "W1",
        "The seed's vote handler (W1 and W2): one unsure agent decides by re-voting.",
        SeedVoteHandler,
        Config(agents=1, options=1, profiles=(1,), assessments=0),
        "decided_has_threshold",
        2,
        first=False,  # counted_once breaks first, in 2 steps too
    ),
    _variant(
        "seed_cap_without_redistribution_halves_a_lone_agent",
        "W4",
        "The seed's per-agent cap halves the weight of a lone agent.",
        CapWithoutRedistribution,
        Config(agents=1, options=1, profiles=(2,), assessments=0, max_votes=1),
        "cap_preserves_total_and_order",
        0,
    ),
    _variant(
        "votes_after_decision_lower_confidence",
        MUTANT,
        "A vote after the decision, at a lower confidence, leaves the decision unsupported.",
        VotesAfterDecision,
        Config(agents=1, options=1, profiles=(1,), assessments=0),
        "decided_has_threshold",
        2,
    ),
    _variant(
        "seed_tally_at_vote_time_two_winners",
        "W3",
        "The seed's tally at vote time: after a weight update two options both win.",
        TallyAtVoteTime,
        Config(agents=2, profiles=(2, 1), confidence_levels=1, max_votes=1),
        "unique_winner",
        4,
    ),
)


# --- the portfolio's mutants: each caught by one portfolio preset, not by the default ----


class WeightChangeSinceCast(w.Weighted):
    """The weight update keeps `weighted_total` up to date incrementally: it adds each
    standing vote's weight change since the vote was cast, (new weight - the weight the
    vote records) x confidence, where the change since the last update is meant. Right
    at the first update after a vote (or a re-vote), counted again at a later one that
    changes the weights while the vote stands. (An update that changes no weight leaves
    the total as it is.)"""

    def with_weights(self, s: w.WeightedState, uncapped: tuple[Fraction, ...]) -> w.WeightedState:
        after = super().with_weights(s, uncapped)
        if s.max_possible_weight == 0:  # the initial weights: no vote yet
            return after
        if after.agent_weights == s.agent_weights:
            return attrs.evolve(after, weighted_total=s.weighted_total)
        change = sum(
            (
                (after.agent_weights[i] - v.weight) * v.confidence
                for i, v in enumerate(s.votes)
                if v is not None
            ),
            Fraction(0),
        )
        return attrs.evolve(after, weighted_total=s.weighted_total + change)


def whole_percent(share: Fraction) -> Fraction:
    """A share rounded to a whole percentage, half up (62.5% -> 63%)."""
    return Fraction(math.floor(share * 100 + Fraction(1, 2)), 100)


class DeadlineRoundsToPercent(w.Weighted):
    """At the deadline each option's share of the maximum possible weight is rounded to
    a whole percentage (the figure the session reports) before it is compared with the
    threshold: a tally within half a percent below the bar closes the vote with a
    decision. The early-consensus check is the spec's."""

    def decide(self, s: w.WeightedState, closing: bool) -> w.WeightedState:
        if not closing:
            return super().decide(s, closing)
        support = self.tally(s)
        total = s.max_possible_weight
        winners = [
            o for o, x in support.items() if whole_percent(x / total) >= s.consensus_threshold
        ]
        if len(winners) != 1:
            return attrs.evolve(s, final_decision=w.NO_CONSENSUS, closed=True)
        (winner,) = winners
        return attrs.evolve(
            s,
            consensus_reached=True,
            final_decision=winner,
            first_decision=winner if s.first_decision is None else s.first_decision,
            confidence_score=support[winner] / s.weighted_total
            if s.weighted_total
            else Fraction(0),
            closed=True,
        )


PORTFOLIO: tuple[Variant[w.Weighted], ...] = (
    _variant(
        "weight_change_since_cast",
        MUTANT,
        "A weight update adds each vote's weight change since it was cast to the total.",
        WeightChangeSinceCast,
        preset_config(w.SPEC, "revote_after_update"),
        "counted_once",
        5,
    ),
    _variant(
        "deadline_rounds_to_percent",
        MUTANT,
        "The deadline compares each share rounded to a whole percent with the threshold.",
        DeadlineRoundsToPercent,
        preset_config(w.SPEC, "near_threshold_deadline"),
        "decided_has_threshold",
        5,
    ),
)

#: Every weighted-voting variant, in the order `coordspec list --variants` shows them.
VARIANTS: tuple[Variant[w.Weighted], ...] = MUTANTS + SECONDARY + PORTFOLIO
