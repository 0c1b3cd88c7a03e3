"""Expertise-weighted voting with a fairness cap, as a pure transition system.

Source: Part 2 of the MABEAM seed ("Weighted Voting with Expertise Scoring"): the state
of §2.2, the events of §2.3 (`vote_submission`, `weight_update_request`,
`expertise_assessment`, `consensus_check`, `voting_deadline`, `performance_feedback`)
and the expertise scoring algorithm of §2.4.

The package follows the seed's order: `state` (§2.2, the configuration and the
session's state), `events` (§2.3, the events as actions and the guards that accept
them), `scoring` (§2.4, the expertise scoring algorithm and the weight statistics); this
module is the model over them (`Weighted`: the transitions, the symmetry, the
properties) and its presets. Every name is importable from `spec.weighted`.

## The algorithm

Each agent's weight comes from its expertise metrics (§2.4): a weighted sum of
accuracy, consistency, domain knowledge and past performance (`raw_score`), scaled
piecewise "to emphasize expertise differences" (`expertise_scaling`), bounded to
[0.1, 3.0], then capped so that "no single agent [holds] >50% of total weight"
(`cap_weights`). Agents vote for one of the listed options with a confidence in [0, 1];
an option's support is the sum of weight x confidence over the agents voting for it
(`tally`). An option is decided as soon as its support reaches `consensus_threshold`
of the maximum possible weight (the sum of all weights); at the deadline the result is
the decided option or `no_consensus`.

## Decisions where the seed is silent or wrong (each in spec/FINDINGS.md)

- Votes are tallied per option, and a re-vote replaces the agent's earlier vote: the
  seed adds every submission to one running total (W1, W2).
- The tally uses the agents' current weights; each vote also records the weight it
  was cast with, as the seed's `vote_data` does, but that record is not summed (W3).
- The cap redistributes: an agent above half of the total is cut to half and the
  excess goes to the others in proportion to their weights (water-filling), repeated
  until no agent is above the cap. Capping each agent alone shrinks the total and
  leaves a share above one half (W4).
- The scaling's x^0.7 is irrational; it is computed in decimal arithmetic with 40
  digits and rounded toward zero to 10^-9 (`PRECISION`), as is the normalised entropy.
  Everything else is exact.
- Missing votes count as no support (the maximum possible weight includes every
  agent); at the deadline, an option that reaches the threshold wins; two that do
  (possible only when the threshold is 1/2 or less) and none at all are both
  `no_consensus`.

## Simplifications and bounds

Metrics come from three profiles (novice, average, expert); `performance_feedback`
moves an agent's past performance by 1/5; the numbers of votes per agent, of
assessments and of feedbacks are bounded by the config, which is what makes the state
space finite. Reasoning texts and timestamps are not modelled.

## Constants

The factor weights are accuracy, consistency, domain knowledge, past performance in that
order; summing to 1, they keep raw scores in [0, 1].

| constant | value | why |
|---|---|---|
| factor weights | 3/10, 1/5, 3/10, 1/5 | the seed leaves them open; they sum to 1 |
| scaling | r >= 0.8: 2 r^0.7; 0.6: 1.5 r; 0.4: 1.2 r | the seed's `apply_expertise_scaling` |
| bounds | [1/10, 3] | the seed: "Ensure reasonable bounds (0.1 to 3.0)" |
| cap | 1/2 of the total weight | the seed: "no single agent >50% of total weight" |
| threshold | 3/5 by default | the seed's example: "e.g., 0.6 for 60% weighted agreement" |
| precision | 10^-9, toward zero | only for x^0.7 and the logarithms of the entropy |
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import permutations, product
from typing import TypeVar

import attrs

from spec import sessions
from spec.core import (
    Eventually,
    GuardedModel,
    Invariant,
    Preset,
    Specification,
    Witness,
    action_names,
    eventually,
    invariant,
    relabel,
    witness,
)
from spec.restated import weighted as restated
from spec.symmetry import Symmetry, agent_maps
from spec.weighted.events import (
    EVENTS,
    GUARDS,
    OPEN,
    Action,
    ConsensusCheck,
    ExpertiseAssessment,
    PerformanceFeedback,
    VoteSubmission,
    VotingDeadline,
    WeightUpdateRequest,
    after_deadline,
    after_decision,
    assessment_bound,
    confidence_out_of_range,
    feedback_bound,
    from_event,
    not_participant,
    unknown_option,
    unknown_profile,
    vote_bound,
)
from spec.weighted.scoring import (
    FACTOR_WEIGHTS,
    MAX_SHARE,
    MAX_WEIGHT,
    MIN_WEIGHT,
    NO_CONSENSUS,
    PRECISION,
    PROFILE_NAMES,
    PROFILES,
    SCALING,
    Metrics,
    Piece,
    cap_weights,
    expertise_scaling,
    expertise_weight,
    gini,
    max_individual_share,
    normalised_entropy,
    raw_score,
    reaches,
)
from spec.weighted.state import Vote, WeightedConfig, WeightedState

T = TypeVar("T")

#: A renaming: agent i becomes agents[i], option o becomes options[o].
Renaming = tuple[tuple[int, ...], tuple[int, ...]]


class Weighted(GuardedModel[WeightedState, Action]):
    """Weighted voting over one configuration: see the module docstring."""

    guards = GUARDS

    #: The scaling table a weight update reads (None: `SCALING`; a broken variant's own).
    scaling: Sequence[Piece] | None = None

    #: Each agent's entry of the per-agent variables is its local part (`local_view`).
    local_fields = (
        "baseline_weights",
        "uncapped_weights",
        "agent_weights",
        "expertise_history",
        "votes",
        "votes_cast",
    )

    def __init__(self, config: WeightedConfig) -> None:
        self.config = config
        self.agents = range(config.agents)
        self.confidences = tuple(
            Fraction(k, config.confidence_levels) for k in range(1, config.confidence_levels + 1)
        )
        self._tally_of: tuple[WeightedState | None, dict[int, Fraction]] = (None, {})
        self.symmetry = self.declared_symmetry()

    # -- derived values ----------------------------------------------------------------

    def log_agents(self) -> Sequence[int]:
        return self.agents

    def tally(self, s: WeightedState) -> dict[int, Fraction]:
        """Each option's support: current weight x confidence over its voters."""
        last, known = self._tally_of
        if last is s:
            return known
        support = {o: Fraction(0) for o in s.options}
        for i, v in enumerate(s.votes):
            if v is not None:
                support[v.option] += s.agent_weights[i] * v.confidence
        self._tally_of = (s, support)
        return support

    def reached(self, s: WeightedState) -> list[int]:
        """The options whose support reaches the threshold of the maximum weight."""
        threshold, total = s.consensus_threshold, s.max_possible_weight
        return [o for o, w in self.tally(s).items() if reaches(w, threshold, total)]

    def with_weights(self, s: WeightedState, uncapped: tuple[Fraction, ...]) -> WeightedState:
        """New weights: capped, with the totals and the distribution statistics."""
        capped = cap_weights(tuple(uncapped))
        return attrs.evolve(
            s,
            uncapped_weights=uncapped,
            agent_weights=capped,
            max_possible_weight=sum(capped, Fraction(0)),
            gini_coefficient=gini(capped),
            max_individual_weight=max_individual_share(capped),
            weight_entropy=normalised_entropy(capped),
            weighted_total=self.total_over(capped, s.votes),
        )

    def weighted_total(self, s: WeightedState) -> Fraction:
        """The sum over the current votes (each agent once) of weight x confidence."""
        return self.total_over(s.agent_weights, s.votes)

    @staticmethod
    def total_over(weights: Sequence[Fraction], votes: Sequence[Vote | None]) -> Fraction:
        """Sum of weight x confidence over the agents that have a vote."""
        return sum(
            (weights[i] * v.confidence for i, v in enumerate(votes) if v is not None),
            Fraction(0),
        )

    def decide(self, s: WeightedState, closing: bool) -> WeightedState:
        """Early consensus (or, when `closing`, the deadline's result)."""
        winners = self.reached(s)
        if len(winners) == 1:
            winner = winners[0]
            support = self.tally(s)[winner]
            confidence = support / s.weighted_total if s.weighted_total else Fraction(0)
            return attrs.evolve(
                s,
                consensus_reached=True,
                final_decision=winner,
                first_decision=winner if s.first_decision is None else s.first_decision,
                confidence_score=confidence,
                closed=True,
            )
        if closing:
            return attrs.evolve(s, final_decision=NO_CONSENSUS, closed=True)
        return s

    # -- the contract ---------------------------------------------------------------------

    def initial(self) -> Sequence[WeightedState]:
        c = self.config
        history = tuple((PROFILES[p],) for p in c.profiles)
        baseline = tuple(expertise_weight(h[-1]) for h in history)
        blank = WeightedState(
            proposal="proposal",
            options=tuple(range(1, c.options + 1)),
            consensus_threshold=c.consensus_threshold,
            assessment_strategy=c.strategy,
            baseline_weights=baseline,
            uncapped_weights=baseline,
            agent_weights=baseline,
            expertise_history=history,
            votes=(None,) * c.agents,
            votes_cast=(0,) * c.agents,
            weighted_total=Fraction(0),
            max_possible_weight=Fraction(0),
            consensus_reached=False,
            final_decision=None,
            first_decision=None,
            confidence_score=Fraction(0),
            gini_coefficient=Fraction(0),
            max_individual_weight=Fraction(0),
            weight_entropy=Fraction(0),
            assessments_left=c.assessments,
            feedbacks_left=c.feedbacks,
            closed=False,
        )
        return [self.with_weights(blank, baseline)]

    def candidates(self, s: WeightedState) -> list[Action]:
        """Every event worth trying, in a fixed order (the guards then decide)."""
        result: list[Action] = []
        for i in self.agents:
            for o in s.options:
                for c in self.confidences:
                    result.append(VoteSubmission(i, o, c))
        result.append(WeightUpdateRequest())
        for i in self.agents:
            for p in range(len(PROFILES)):
                result.append(ExpertiseAssessment(i, p))
        result.append(ConsensusCheck())
        result.append(VotingDeadline())
        for i in self.agents:
            result.append(PerformanceFeedback(i, True))
            result.append(PerformanceFeedback(i, False))
        return result

    def apply(self, s: WeightedState, a: Action) -> WeightedState:
        """The effect of an accepted event."""
        if isinstance(a, VoteSubmission):
            weight = s.agent_weights[a.agent]
            vote = Vote(a.vote, weight, Fraction(a.confidence), weight * a.confidence)
            votes = (*s.votes[: a.agent], vote, *s.votes[a.agent + 1 :])
            cast = (
                *s.votes_cast[: a.agent],
                s.votes_cast[a.agent] + 1,
                *s.votes_cast[a.agent + 1 :],
            )
            total = self.total_over(s.agent_weights, votes)
            s = attrs.evolve(s, votes=votes, votes_cast=cast, weighted_total=total)
            return self.decide(s, closing=False)
        if isinstance(a, WeightUpdateRequest):
            return self.with_weights(s, self.updated_weights(s))
        if isinstance(a, ExpertiseAssessment):
            history = self._append(s.expertise_history, a.agent, PROFILES[a.profile])
            return attrs.evolve(
                s, expertise_history=history, assessments_left=s.assessments_left - 1
            )
        if isinstance(a, ConsensusCheck):
            return self.decide(s, closing=False)
        if isinstance(a, VotingDeadline):
            return self.decide(s, closing=True)
        assert isinstance(a, PerformanceFeedback)
        last = s.expertise_history[a.agent][-1]
        delta = Fraction(1, 5) if a.correct else Fraction(-1, 5)
        past = min(Fraction(1), max(Fraction(0), last.past_performance + delta))
        history = self._append(s.expertise_history, a.agent, last._replace(past_performance=past))
        return attrs.evolve(s, expertise_history=history, feedbacks_left=s.feedbacks_left - 1)

    @staticmethod
    def _append(
        history: tuple[tuple[Metrics, ...], ...], agent: int, m: Metrics
    ) -> tuple[tuple[Metrics, ...], ...]:
        return (*history[:agent], (*history[agent], m), *history[agent + 1 :])

    def updated_weights(self, s: WeightedState) -> tuple[Fraction, ...]:
        """The uncapped weights a weight update produces, by the assessment strategy.

        static: the baseline; dynamic: the expertise weight of the latest metrics;
        adaptive: the mean of the baseline (the prior) and that expertise weight (recent
        performance). Each is a function of the history alone, so an update without new
        evidence changes nothing and the state space stays finite (FINDINGS W9).
        """
        latest = tuple(expertise_weight(h[-1], self.scaling) for h in s.expertise_history)
        if s.assessment_strategy == "static":
            return s.baseline_weights
        if s.assessment_strategy == "dynamic":
            return latest
        return tuple((b + x) / 2 for b, x in zip(s.baseline_weights, latest, strict=True))

    # -- symmetry -----------------------------------------------------------------------

    #: Measured at the default bounds (tests/test_weighted.py): 14,478 states instead of
    #: 56,368, every verdict the same, about 3x faster: on by default.
    symmetry_default = True

    def symmetries(self) -> tuple[Renaming, ...]:
        """(agent map, option map) pairs, the identity first: agents with one initial
        profile play identical roles, and so do the options (option o is renamed
        omap[o]; 0 is unused)."""
        n = self.config.agents
        groups: dict[int, list[int]] = {}
        for i, p in enumerate(self.config.profiles):
            groups.setdefault(p, []).append(i)
        agent_group = []
        for parts in product(*(agent_maps(n, members) for members in groups.values())):
            mapping = list(range(n))
            for part, members in zip(parts, groups.values(), strict=True):
                for i in members:
                    mapping[i] = part[i]
            agent_group.append(tuple(mapping))
        options = range(1, self.config.options + 1)
        option_maps = [(0, *image) for image in permutations(options)]
        return tuple((a, o) for a in agent_group for o in option_maps)

    def declared_symmetry(self) -> Symmetry[WeightedState, Renaming]:
        """`symmetries` acting by `permute`, ordered by `order_key`; an image whose
        permuted uncapped weights (the key's first entry) are already greater than the
        best's is dropped unbuilt."""

        def act(s: WeightedState, p: Renaming) -> WeightedState:
            return self.permute(s, *p)

        def weights_first(s: WeightedState, p: Renaming) -> tuple[object, ...]:
            return (relabel(s.uncapped_weights, p[0]),)

        return Symmetry(self.symmetries(), act, self.order_key, weights_first, 1)

    def permute(self, s: WeightedState, a: tuple[int, ...], o: tuple[int, ...]) -> WeightedState:
        """The state with agent i renamed a[i] and option x renamed o[x]."""

        def moved(values: tuple[T, ...]) -> tuple[T, ...]:
            return relabel(values, a)

        def option(d: int | str | None) -> int | str | None:
            return o[d] if isinstance(d, int) else d

        votes = tuple(None if v is None else v._replace(option=o[v.option]) for v in s.votes)
        return attrs.evolve(
            s,
            baseline_weights=moved(s.baseline_weights),
            uncapped_weights=moved(s.uncapped_weights),
            agent_weights=moved(s.agent_weights),
            expertise_history=moved(s.expertise_history),
            votes=moved(votes),
            votes_cast=moved(s.votes_cast),
            final_decision=option(s.final_decision),
            first_decision=option(s.first_decision),
        )

    @staticmethod
    def order_key(s: WeightedState) -> tuple[object, ...]:
        """A total order on the fields a symmetry moves, to pick a representative."""

        def decision(d: int | str | None) -> tuple[object, ...]:
            return () if d is None else (0, d) if isinstance(d, int) else (1, d)

        return (
            s.uncapped_weights,
            s.agent_weights,
            s.expertise_history,
            tuple(() if v is None else tuple(v) for v in s.votes),
            s.votes_cast,
            decision(s.final_decision),
            decision(s.first_decision),
        )

    def canonical(self, state: WeightedState) -> WeightedState:
        """The least image of the state (by `order_key`) under `symmetries`."""
        return self.symmetry.representative(state)

    def terminal_ok(self, state: WeightedState) -> bool:
        """A closed session is a proper end."""
        return state.closed

    def phase(self, state: WeightedState) -> str:
        """The session's voting status: `open` (no vote yet), `voting`, then `decided`
        (early consensus) or `no_consensus` (the deadline passed without a winner)."""
        if state.closed:
            return "decided" if state.consensus_reached else NO_CONSENSUS
        return "voting" if any(v is not None for v in state.votes) else "open"

    # -- properties -----------------------------------------------------------------------

    def invariants(self) -> Sequence[Invariant[WeightedState]]:
        @invariant
        def type_ok(s: WeightedState) -> bool:
            """Weights are positive and bounded; votes name listed options."""
            return (
                all(MIN_WEIGHT <= w <= MAX_WEIGHT for w in s.uncapped_weights)
                and all(w > 0 for w in s.agent_weights)
                and all(
                    v is None or (v.option in s.options and 0 <= v.confidence <= 1) for v in s.votes
                )
                and all(0 <= n <= self.config.max_votes for n in s.votes_cast)
            )

        @invariant
        def weight_cap(s: WeightedState) -> bool:
            """No agent holds more than half of the total weight (when there are two or more).

            Seed §2.1: "Fair weight distribution (no single agent >50% unless warranted)".
            """
            if len(s.agent_weights) < 2:
                return True
            return all(w <= MAX_SHARE * s.max_possible_weight for w in s.agent_weights)

        @invariant
        def cap_preserves_total_and_order(s: WeightedState) -> bool:
            """Capping keeps the total weight and never swaps two agents' order."""
            u, w = s.uncapped_weights, s.agent_weights
            same_total = sum(u, Fraction(0)) == sum(w, Fraction(0)) == s.max_possible_weight
            ordered = all(
                w[i] <= w[j] for i in range(len(u)) for j in range(len(u)) if u[i] <= u[j]
            )
            return same_total and ordered

        @invariant
        def counted_once(s: WeightedState) -> bool:
            """`weighted_total` is the sum over current votes: each agent counted once."""
            return s.weighted_total == self.weighted_total(s)

        @invariant
        def decision_final(s: WeightedState) -> bool:
            """A decision, once made, never changes."""
            return s.first_decision is None or s.final_decision == s.first_decision

        @invariant
        def decided_has_threshold(s: WeightedState) -> bool:
            """A decided option's support reaches the threshold of the maximum weight."""
            if not s.consensus_reached:
                return s.final_decision in (None, NO_CONSENSUS)
            assert isinstance(s.final_decision, int)
            support = self.tally(s)[s.final_decision]
            return reaches(support, s.consensus_threshold, s.max_possible_weight)

        @invariant
        def unique_winner(s: WeightedState) -> bool:
            """With a threshold above one half, no two options both reach it."""
            return s.consensus_threshold <= MAX_SHARE or len(self.reached(s)) <= 1

        @invariant
        def stats_in_range(s: WeightedState) -> bool:
            """Gini in [0, 1 - 1/n], the maximum share in [0, 1], the entropy in [0, 1]."""
            n = len(s.agent_weights)
            return (
                0 <= s.gini_coefficient <= 1 - Fraction(1, n)
                and 0 <= s.max_individual_weight <= 1
                and 0 <= s.weight_entropy <= 1
                and 0 <= s.confidence_score <= 1
            )

        return [
            type_ok,
            weight_cap,
            cap_preserves_total_and_order,
            counted_once,
            decision_final,
            decided_has_threshold,
            unique_winner,
            stats_in_range,
            *restated.INVARIANTS,  # the seed's rules restated (spec/restated/weighted.py)
        ]

    def witnesses(self) -> Sequence[Witness[WeightedState]]:
        @witness
        def early_consensus(s: WeightedState) -> bool:
            """An option is decided before the deadline."""
            return s.consensus_reached and s.votes_cast.count(0) > 0

        @witness
        def deadline_without_consensus(s: WeightedState) -> bool:
            """The deadline closes the vote with `no_consensus`."""
            return s.final_decision == NO_CONSENSUS

        @witness
        def cap_binds(s: WeightedState) -> bool:
            """An expert who would hold more than half is cut to exactly half."""
            total = s.max_possible_weight
            return any(
                u > MAX_SHARE * total and w == MAX_SHARE * total
                for u, w in zip(s.uncapped_weights, s.agent_weights, strict=True)
            )

        if self.config.agents < 2:
            return [deadline_without_consensus]  # one agent: no early decision, no cap
        found: list[Witness[WeightedState]] = [deadline_without_consensus]
        if self.early_consensus_can_happen():
            found.insert(0, early_consensus)
        if self.cap_can_bind():
            found.append(cap_binds)
        return found

    def early_consensus_can_happen(self) -> bool:
        """Whether the agents but one can decide before the last one votes: for some
        weights the assessments can give before any vote (the initial ones included),
        every agent but the lightest, voting one option at confidence 1, reaches the
        threshold (FINDINGS W11).

        Exact without feedbacks (weights reached only through performance feedback are
        not counted, and the witness is then not claimed). With two agents the cap gives
        each exactly half in every state, so above a threshold of 1/2 neither decides
        alone (`--agents 2 --profiles 2,1`).
        """
        c = self.config
        baseline = tuple(expertise_weight(PROFILES[p]) for p in c.profiles)
        changes = c.assessments if c.strategy != "static" else 0
        profiles = range(len(PROFILES))
        for latest in product(*([p] if not changes else profiles for p in c.profiles)):
            if sum(a != b for a, b in zip(latest, c.profiles, strict=True)) > changes:
                continue
            weights = tuple(expertise_weight(PROFILES[p]) for p in latest)
            if c.strategy == "adaptive":
                weights = tuple((b + x) / 2 for b, x in zip(baseline, weights, strict=True))
            capped = cap_weights(weights)
            total = sum(capped, Fraction(0))
            if reaches(total - min(capped), c.consensus_threshold, total):
                return True
        return False

    def cap_can_bind(self) -> bool:
        """Whether some agent can exceed half: the best weight its strategy can give it
        (after an expert assessment, if any) above the others' initial weights together
        (FINDINGS W5)."""
        history = [PROFILES[p] for p in self.config.profiles]
        initial = [expertise_weight(m) for m in history]
        best = expertise_weight(PROFILES[-1])
        total = sum(initial)

        def reachable(w: Fraction) -> Fraction:
            if not self.config.assessments or self.config.strategy == "static":
                return w
            return best if self.config.strategy == "dynamic" else (w + best) / 2

        return any(reachable(w) > total - w for w in initial)

    def action_classes(self) -> Sequence[str]:
        """The fairness classes: one per kind of action, named as the action."""
        return action_names(Action)

    def eventually(self) -> Sequence[Eventually[WeightedState]]:
        @eventually("voting_deadline")
        def session_ends(s: WeightedState) -> bool:
            """Every session ends, by a decision or at the deadline.

            Fairness: weak fairness of `voting_deadline` (the clock always runs out).
            """
            return s.closed

        return [session_ends]


#: The named configurations (`coordspec check weighted --preset NAME`). The default
#: decides every property, `session_ends` included, so no separate liveness bound; the
#: Z3 theorems (proofs/weights.py) are over symbolic weights of up to 10 agents, beyond
#: any configuration the checker enumerates, so no proof bound either. Those marked
#: `portfolio` are what `coordspec check weighted` checks, one after the other (each
#: catches a mutant of spec/variants/weighted.py's `PORTFOLIO` that the default misses).
PRESETS: tuple[Preset, ...] = (
    Preset(
        "default",
        "3 agents (an expert and two average), 2 options, 2 confidences, one re-vote, "
        "one assessment: every property decided",
        portfolio=True,
    ),
    Preset(
        "w2_low_threshold",
        "FINDINGS W2: at threshold 2/5 a weight update lifts two options over the bar "
        "at once; no check decides and the deadline says no_consensus",
        {"consensus_threshold": "2/5", "profiles": "1,1,1"},
    ),
    Preset(
        "small",
        "2 agents (an expert and an average one), one vote each: every witness it claims "
        "reached in a few hundred states, for quick conformance runs (early consensus is "
        "not one: FINDINGS W11)",
        {"agents": "2", "profiles": "2,1", "max_votes": "1"},
    ),
    Preset(
        "revote_after_update",
        "3 average agents, one re-vote each, two assessments: votes that stand through two "
        "expertise updates, re-votes before and after a later one",
        {"assessments": "2", "confidence_levels": "1", "profiles": "1,1,1"},
        portfolio=True,
    ),
    Preset(
        "near_threshold_deadline",
        "threshold 57/100, just above a tally the weights reach after an assessment "
        "(13/23, about 56.5%): the deadline must close it with no_consensus",
        {"consensus_threshold": "57/100", "max_votes": "1"},
        portfolio=True,
    ),
)

SPEC = Specification(
    name="weighted",
    summary="expertise-weighted voting with a 50% fairness cap (seed Part 2)",
    config_type=WeightedConfig,
    build=Weighted,
    events=EVENTS,
    decode=from_event,
    presets=PRESETS,
    session=sessions.WEIGHTED_SESSION,
)

__all__ = [
    "EVENTS",
    "FACTOR_WEIGHTS",
    "GUARDS",
    "MAX_SHARE",
    "MAX_WEIGHT",
    "MIN_WEIGHT",
    "NO_CONSENSUS",
    "OPEN",
    "PRECISION",
    "PRESETS",
    "PROFILES",
    "PROFILE_NAMES",
    "SCALING",
    "SPEC",
    "Action",
    "ConsensusCheck",
    "ExpertiseAssessment",
    "Metrics",
    "PerformanceFeedback",
    "Piece",
    "Renaming",
    "Vote",
    "VoteSubmission",
    "VotingDeadline",
    "WeightUpdateRequest",
    "Weighted",
    "WeightedConfig",
    "WeightedState",
    "after_deadline",
    "after_decision",
    "assessment_bound",
    "cap_weights",
    "confidence_out_of_range",
    "expertise_scaling",
    "expertise_weight",
    "feedback_bound",
    "from_event",
    "gini",
    "max_individual_share",
    "normalised_entropy",
    "not_participant",
    "raw_score",
    "reaches",
    "unknown_option",
    "unknown_profile",
    "vote_bound",
]
