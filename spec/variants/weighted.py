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
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import ClassVar

import attrs

from spec import weighted as w
from spec.core import Guard, put, without
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

# --- the restated properties' mutants: each caught by one of spec/restated/weighted.py ----
#
# Each breaks one rule of the seed's Part 2 where the spec's own invariants do not look
# (or look through the helper the mutant changes): at its configuration, a run that does
# not stop at the first violation finds its property violated and every other invariant
# holding (tests/test_restated.py).


class FirstOptionOverTheBar(w.Weighted):
    """The consensus check takes the first option over the bar without checking that it
    is the only one: at a threshold of 1/2 or less, where a weight update can lift two
    options over it at once, the lower-numbered one is decided. (The spec's
    `unique_winner` reads this `reached`, and does not look at such thresholds.)"""

    def reached(self, s: w.WeightedState) -> list[int]:
        return super().reached(s)[:1]


class StrictDeadline(w.Weighted):
    """At the deadline an option wins only above the bar (`>` for `>=`): a tally exactly
    at the threshold closes the vote with `no_consensus`. Early consensus is the spec's."""

    def decide(self, s: w.WeightedState, closing: bool) -> w.WeightedState:
        if closing and not s.consensus_reached:
            bar = s.consensus_threshold * s.max_possible_weight
            if [o for o, x in self.tally(s).items() if x >= bar] != [
                o for o, x in self.tally(s).items() if x > bar
            ]:
                return attrs.evolve(s, final_decision=w.NO_CONSENSUS, closed=True)
        return super().decide(s, closing)


class VoteWithoutEarlyConsensus(w.Weighted):
    """A vote is stored and counted, but not checked for consensus: only a
    `consensus_check` or the deadline decides."""

    def apply(self, s: w.WeightedState, a: w.Action) -> w.WeightedState:
        if not isinstance(a, w.VoteSubmission):
            return super().apply(s, a)
        weight = s.agent_weights[a.agent]
        vote = w.Vote(a.vote, weight, Fraction(a.confidence), weight * a.confidence)
        votes = put(s.votes, a.agent, vote)
        cast = put(s.votes_cast, a.agent, s.votes_cast[a.agent] + 1)
        total = self.total_over(s.agent_weights, votes)
        return attrs.evolve(s, votes=votes, votes_cast=cast, weighted_total=total)


class DecisionLeftOpen(w.Weighted):
    """Early consensus is recorded but the session is not finalized: it stays open, and
    votes are still accepted until the deadline."""

    def decide(self, s: w.WeightedState, closing: bool) -> w.WeightedState:
        after = super().decide(s, closing)
        if closing or not after.consensus_reached:
            return after
        return attrs.evolve(after, closed=False)


class WeightedTotalAtVoteTime(w.Weighted):
    """`weighted_total` sums each vote's recorded `weighted_value` (the weight it was cast
    with): after a weight update it is stale. (The spec's `counted_once` reads this
    `total_over`.)"""

    @staticmethod
    def total_over(weights: Sequence[Fraction], votes: Sequence[w.Vote | None]) -> Fraction:
        return sum((v.weighted_value for v in votes if v is not None), Fraction(0))


class ReVoteInserted(w.Weighted):
    """A re-vote is inserted before the agent's old vote instead of replacing it: the
    votes after it shift one agent on (the last is dropped), so the next agent holds a
    vote it never cast."""

    def apply(self, s: w.WeightedState, a: w.Action) -> w.WeightedState:
        after = super().apply(s, a)
        if not isinstance(a, w.VoteSubmission) or s.votes[a.agent] is None:
            return after
        vote = after.votes[a.agent]
        shifted = (*s.votes[: a.agent], vote, *s.votes[a.agent :])[: len(s.votes)]
        moved = attrs.evolve(
            s,
            votes=shifted,
            votes_cast=after.votes_cast,
            weighted_total=self.total_over(s.agent_weights, shifted),
        )
        return self.decide(moved, closing=False)


class VoteRecordWithoutConfidence(w.Weighted):
    """The stored vote's `weighted_value` is its weight alone, the confidence dropped
    (nothing the spec sums reads it)."""

    def apply(self, s: w.WeightedState, a: w.Action) -> w.WeightedState:
        after = super().apply(s, a)
        if not isinstance(a, w.VoteSubmission):
            return after
        vote = after.votes[a.agent]
        assert vote is not None
        return attrs.evolve(
            after, votes=put(after.votes, a.agent, vote._replace(weighted_value=vote.weight))
        )


def cap_in_equal_parts(weights: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    """The water-filling with the excess shared in equal parts among the agents below the
    cap, not in proportion to their weights."""
    result = list(weights)
    total = sum(result, Fraction(0))
    if len(result) < 2:
        return tuple(result)
    cap = w.MAX_SHARE * total
    capped = [False] * len(result)
    while True:
        over = [i for i, x in enumerate(result) if x > cap]
        if not over:
            return tuple(result)
        excess = sum((result[i] - cap for i in over), Fraction(0))
        for i in over:
            result[i], capped[i] = cap, True
        free = [i for i, done in enumerate(capped) if not done]
        for i in free:
            result[i] += excess / len(free)


class CapInEqualParts(w.Weighted):
    """The cap gives the excess of an agent above half to the others in equal parts: the
    total, the order and every share <= 1/2 are kept, but the lighter agents gain more
    than their weight's proportion."""

    def with_weights(self, s: w.WeightedState, uncapped: tuple[Fraction, ...]) -> w.WeightedState:
        capped = cap_in_equal_parts(tuple(uncapped))
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


#: §2.4's scaling with the boundary at 0.6 exclusive (`raw > 0.6`).
EXCLUSIVE_AT_THREE_FIFTHS = tuple(p._replace(inclusive=p.low != Fraction(3, 5)) for p in w.SCALING)


class ScalingExclusiveAtThreeFifths(w.Weighted):
    """A weight update scales with the boundary 0.6 exclusive (`raw > 0.6`): an average
    agent whose past performance feedback lifts its raw score to exactly 0.6 gets
    1.2 x 0.6 = 0.72, not 1.5 x 0.6 = 0.9 (the bounds still hold)."""

    scaling = EXCLUSIVE_AT_THREE_FIFTHS


def gini_over_pairs(weights: tuple[Fraction, ...]) -> Fraction:
    """The Gini coefficient's double sum over unordered pairs i < j only (half of it)."""
    n, total = len(weights), sum(weights, Fraction(0))
    if n < 2 or total == 0:
        return Fraction(0)
    pairs = sum(
        (abs(weights[i] - weights[j]) for i in range(n) for j in range(i + 1, n)), Fraction(0)
    )
    return pairs / (2 * n * total)


class GiniOverPairs(w.Weighted):
    """`gini_coefficient` sums |w_i - w_j| over unordered pairs: half the coefficient,
    still in its range."""

    def with_weights(self, s: w.WeightedState, uncapped: tuple[Fraction, ...]) -> w.WeightedState:
        after = super().with_weights(s, uncapped)
        return attrs.evolve(after, gini_coefficient=gini_over_pairs(after.agent_weights))


class MaxShareBeforeCap(w.Weighted):
    """`max_individual_weight` is the largest share of the uncapped weights: the figure
    before the cap, above one half where the cap binds."""

    def with_weights(self, s: w.WeightedState, uncapped: tuple[Fraction, ...]) -> w.WeightedState:
        after = super().with_weights(s, uncapped)
        return attrs.evolve(after, max_individual_weight=w.max_individual_share(uncapped))


class EntropyBeforeCap(w.Weighted):
    """`weight_entropy` is the entropy of the uncapped weights: the figure before the cap."""

    def with_weights(self, s: w.WeightedState, uncapped: tuple[Fraction, ...]) -> w.WeightedState:
        after = super().with_weights(s, uncapped)
        return attrs.evolve(after, weight_entropy=w.normalised_entropy(tuple(uncapped)))


#: An expert and two average agents, one option, one vote each at confidence 1.
_EXPERT_AND_TWO = Config(
    options=1, assessments=0, max_votes=1, confidence_levels=1, profiles=(2, 1, 1)
)
#: One average agent, one option, one vote, no assessment.
_ONE_AVERAGE = Config(agents=1, options=1, assessments=0, max_votes=1, profiles=(1,))

#: Each caught by its restated property alone (spec/restated/weighted.py), in the
#: order of those properties.
RESTATED: tuple[Variant[w.Weighted], ...] = (
    _variant(
        "re_vote_inserted",
        MUTANT,
        "A re-vote is inserted before the old vote: the next agent holds a vote it never cast.",
        ReVoteInserted,
        Config(agents=2, options=1, assessments=0, confidence_levels=1, profiles=(1, 2)),
        "seed_one_vote_per_voter",
        2,
    ),
    _variant(
        "weighted_total_at_vote_time",
        MUTANT,
        "The total sums each vote's weighted value at vote time: stale after an update.",
        WeightedTotalAtVoteTime,
        Config(agents=1, options=1, assessments=1, max_votes=1, profiles=(2,)),
        "seed_weighted_total",
        3,
    ),
    _variant(
        "vote_record_without_confidence",
        MUTANT,
        "A stored vote's weighted value is its weight, the confidence dropped.",
        VoteRecordWithoutConfidence,
        _ONE_AVERAGE,
        "seed_vote_records",
        1,
    ),
    _variant(
        "vote_without_early_consensus",
        MUTANT,
        "A vote is not checked for consensus: only consensus_check or the deadline decides.",
        VoteWithoutEarlyConsensus,
        _EXPERT_AND_TWO,
        "seed_early_consensus",
        2,
    ),
    _variant(
        "decision_left_open",
        MUTANT,
        "Early consensus is recorded but the session stays open to votes.",
        DecisionLeftOpen,
        attrs.evolve(_ONE_AVERAGE, confidence_levels=1),
        "seed_decision_closes",
        1,
    ),
    _variant(
        "first_option_over_the_bar",
        MUTANT,
        "The consensus check decides the first option over the bar, though two are over it.",
        FirstOptionOverTheBar,
        Config(
            consensus_threshold=Fraction(2, 5),
            confidence_levels=1,
            max_votes=1,
            profiles=(1, 1, 1),
        ),
        "seed_decision_reaches_threshold",
        4,
    ),
    _variant(
        "strict_deadline",
        MUTANT,
        "At the deadline an option must be above the bar: one exactly at it is no_consensus.",
        StrictDeadline,
        Config(
            options=1,
            consensus_threshold=Fraction(1, 2),
            confidence_levels=1,
            max_votes=1,
            profiles=(1, 1, 1),
        ),
        "seed_no_consensus_only_when_none_reaches",
        4,
    ),
    _variant(
        "scaling_exclusive_at_0_6",
        MUTANT,
        "A weight update scales with raw > 0.6 for the seed's raw >= 0.6: 0.72, not 0.9.",
        ScalingExclusiveAtThreeFifths,
        attrs.evolve(_ONE_AVERAGE, feedbacks=3, confidence_levels=1),
        "seed_weights_from_metrics",
        4,
    ),
    _variant(
        "cap_in_equal_parts",
        MUTANT,
        "The cap shares an expert's excess in equal parts, not in proportion to weight.",
        CapInEqualParts,
        attrs.evolve(_EXPERT_AND_TWO, profiles=(2, 1, 0)),
        "seed_fair_cap",
        0,
    ),
    _variant(
        "gini_over_pairs",
        MUTANT,
        "The Gini coefficient sums over unordered pairs only: half its value.",
        GiniOverPairs,
        _EXPERT_AND_TWO,
        "seed_gini",
        0,
    ),
    _variant(
        "max_share_before_cap",
        MUTANT,
        "The maximum individual share is taken of the uncapped weights.",
        MaxShareBeforeCap,
        _EXPERT_AND_TWO,
        "seed_max_share",
        0,
    ),
    _variant(
        "entropy_before_cap",
        MUTANT,
        "The weight entropy is taken of the uncapped weights.",
        EntropyBeforeCap,
        _EXPERT_AND_TWO,
        "seed_entropy",
        0,
    ),
)

#: Every weighted-voting variant, in the order `coordspec list --variants` shows them.
VARIANTS: tuple[Variant[w.Weighted], ...] = MUTANTS + SECONDARY + PORTFOLIO + RESTATED
