"""Expertise-weighted voting with a fairness cap, as a pure transition system.

Source: Part 2 of the MABEAM seed ("Weighted Voting with Expertise Scoring"): the state
of §2.2, the events of §2.3 (`vote_submission`, `weight_update_request`,
`expertise_assessment`, `consensus_check`, `voting_deadline`, `performance_feedback`)
and the expertise scoring algorithm of §2.4.

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

import functools
from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Context, Decimal
from fractions import Fraction
from itertools import permutations, product
from typing import NamedTuple, TypeVar

import attrs

from spec import sessions
from spec.core import (
    Config,
    ConfigError,
    Eventually,
    Guard,
    GuardedModel,
    Invariant,
    Preset,
    Specification,
    Witness,
    action_names,
    decode_event,
    eventually,
    guard,
    invariant,
    param,
    relabel,
    witness,
)
from spec.restated import weighted as restated
from spec.symmetry import Symmetry, agent_maps

T = TypeVar("T")

#: A renaming: agent i becomes agents[i], option o becomes options[o].
Renaming = tuple[tuple[int, ...], tuple[int, ...]]

#: Irrational results (x^0.7, logarithms) are rounded toward zero to this many parts.
PRECISION = 10**9
_DECIMAL = Context(prec=40)

MIN_WEIGHT = Fraction(1, 10)
MAX_WEIGHT = Fraction(3)
MAX_SHARE = Fraction(1, 2)
NO_CONSENSUS = "no_consensus"


class Metrics(NamedTuple):
    """One expertise measurement of an agent (§2.2's `expertise_metric`), each in [0, 1]."""

    accuracy: Fraction
    consistency: Fraction
    domain_knowledge: Fraction
    past_performance: Fraction


#: The factor weights of the raw score (they sum to 1).
FACTOR_WEIGHTS = Metrics(Fraction(3, 10), Fraction(1, 5), Fraction(3, 10), Fraction(1, 5))

#: The metric profiles an assessment may report: novice, average, expert.
PROFILES = (
    Metrics(Fraction(1, 5), Fraction(1, 5), Fraction(1, 5), Fraction(1, 5)),
    Metrics(Fraction(1, 2), Fraction(1, 2), Fraction(1, 2), Fraction(1, 2)),
    Metrics(Fraction(1), Fraction(1), Fraction(1), Fraction(1)),
)
PROFILE_NAMES = ("novice", "average", "expert")


def _rounded(value: Decimal) -> Fraction:
    """A decimal result rounded toward zero to 1/PRECISION."""
    scaled = _DECIMAL.multiply(value, PRECISION).to_integral_value(
        rounding=ROUND_FLOOR, context=_DECIMAL
    )
    return Fraction(int(scaled), PRECISION)


def _decimal(q: Fraction) -> Decimal:
    return _DECIMAL.divide(Decimal(q.numerator), Decimal(q.denominator))


def raw_score(m: Metrics) -> Fraction:
    """§2.4: "base_metrics.accuracy * factor_weights.accuracy + ..." (in [0, 1])."""
    return sum((x * w for x, w in zip(m, FACTOR_WEIGHTS, strict=True)), Fraction(0))


class Piece(NamedTuple):
    """One piece of the scaling: from `low` up, raw -> factor * raw^exponent.

    `inclusive`: the piece starts at `low` itself (`raw >= low`, the seed's choice at
    every boundary) or just above it (`raw > low`).
    """

    low: Fraction
    factor: Fraction
    exponent: Fraction
    inclusive: bool = True

    def covers(self, raw: Fraction) -> bool:
        """Whether `raw` is at or above where this piece starts."""
        return raw >= self.low if self.inclusive else raw > self.low


#: §2.4's `apply_expertise_scaling`, highest piece first: "raw_score >= 0.8 ->
#: :math.pow(raw_score, 0.7) * 2.0; raw_score >= 0.6 -> raw_score * 1.5; raw_score >=
#: 0.4 -> raw_score * 1.2; true -> raw_score" (every boundary inclusive: FINDINGS W6).
#: proofs/weights.py reads this table: the result is in [0, 2], monotone on [0, 1], and
#: takes the seed's values at the boundaries.
SCALING = (
    Piece(Fraction(4, 5), Fraction(2), Fraction(7, 10), inclusive=True),
    Piece(Fraction(3, 5), Fraction(3, 2), Fraction(1), inclusive=True),
    Piece(Fraction(2, 5), Fraction(6, 5), Fraction(1), inclusive=True),
    Piece(Fraction(0), Fraction(1), Fraction(1), inclusive=True),
)


def expertise_scaling(raw: Fraction, pieces: Sequence[Piece] | None = None) -> Fraction:
    """§2.4's `apply_expertise_scaling`: "exponential scaling to emphasize high performers".

    raw >= 0.8: raw^0.7 * 2.0; raw >= 0.6: raw * 1.5; raw >= 0.4: raw * 1.2; else raw
    (the rows of `SCALING`, or of `pieces`: a broken variant's table). A fractional
    power is rounded toward zero to 1/PRECISION.
    """
    for piece in SCALING if pieces is None else pieces:
        if piece.covers(raw):
            if piece.exponent == 1:
                return piece.factor * raw
            power = _DECIMAL.power(_decimal(raw), _decimal(piece.exponent))
            return piece.factor * _rounded(power)
    return raw


def reaches(support: Fraction, threshold: Fraction, max_possible_weight: Fraction) -> bool:
    """§2.3's consensus check: support reaches `threshold` of the maximum possible weight."""
    return support >= threshold * max_possible_weight


@functools.lru_cache(maxsize=4096)
def expertise_weight(m: Metrics, pieces: Sequence[Piece] | None = None) -> Fraction:
    """§2.4: scaled score "bounded ... (0.1 to 3.0)"; the cap comes after, on all agents
    (`pieces`: a broken variant's scaling table, as in `expertise_scaling`)."""
    return max(MIN_WEIGHT, min(MAX_WEIGHT, expertise_scaling(raw_score(m), pieces)))


@functools.lru_cache(maxsize=4096)
def cap_weights(
    weights: Sequence[Fraction], max_share: Fraction = MAX_SHARE
) -> tuple[Fraction, ...]:
    """Water-filling: no agent above `max_share` of the total, the total unchanged.

    Agents above the cap are cut to `max_share * total`; their excess goes to the agents
    below it, in proportion to their weights (in equal parts if those are all zero);
    repeated until no agent is above the cap. One agent (or an all-zero vector) is
    returned as it is: a single agent always holds the whole weight. The result
    preserves the total and the order of the weights (ties may appear, never
    inversions). Requires `max_share * len(weights) >= 1`.
    """
    result = list(weights)
    total = sum(result, Fraction(0))
    if len(result) < 2 or total == 0:
        return tuple(result)
    cap = max_share * total
    capped = [False] * len(result)
    while True:
        over = [i for i, w in enumerate(result) if w > cap]
        if not over:
            return tuple(result)
        excess = Fraction(0)
        for i in over:
            excess += result[i] - cap
            result[i] = cap
            capped[i] = True
        free = [i for i, done in enumerate(capped) if not done]
        base = sum((result[i] for i in free), Fraction(0))
        for i in free:
            share = result[i] / base if base else Fraction(1, len(free))
            result[i] += excess * share


@functools.lru_cache(maxsize=4096)
def gini(weights: Sequence[Fraction]) -> Fraction:
    """Gini coefficient: sum |w_i - w_j| over all pairs (i, j), over 2 n total.

    0 for one agent or an all-zero vector; at most 1 - 1/n.
    """
    n, total = len(weights), sum(weights, Fraction(0))
    if n < 2 or total == 0:
        return Fraction(0)
    diffs = sum((abs(a - b) for a in weights for b in weights), Fraction(0))
    return diffs / (2 * n * total)


@functools.lru_cache(maxsize=4096)
def max_individual_share(weights: Sequence[Fraction]) -> Fraction:
    """The largest weight over the total (0 for an all-zero vector, 1 for one agent)."""
    total = sum(weights, Fraction(0))
    return max(weights) / total if total else Fraction(0)


@functools.lru_cache(maxsize=4096)
def normalised_entropy(weights: Sequence[Fraction]) -> Fraction:
    """Shannon entropy of the shares over ln n, in [0, 1] (rounded to 1/PRECISION).

    1 for equal weights, 0 when one agent holds everything; 1 for one agent (nothing to
    be unequal about) and 0 for an all-zero vector; zero shares contribute 0.
    """
    n, total = len(weights), sum(weights, Fraction(0))
    if total == 0:
        return Fraction(0)
    if n < 2 or len(set(weights)) == 1:
        return Fraction(1)
    h = Decimal(0)
    for w in weights:
        if w:
            p = _decimal(w / total)
            h = _DECIMAL.subtract(h, _DECIMAL.multiply(p, _DECIMAL.ln(p)))
    value = _DECIMAL.divide(h, _DECIMAL.ln(Decimal(n)))
    return min(Fraction(1), max(Fraction(0), _rounded(value)))


# --- configuration ---------------------------------------------------------------------


@attrs.frozen
class WeightedConfig(Config):
    """The bounds of a weighted-voting model."""

    agents: int = param(3, low=1, high=6, help="participating agents 0..agents-1")
    options: int = param(2, low=1, high=4, help="the options 1..options")
    consensus_threshold: Fraction = param(
        Fraction(3, 5), low=Fraction(1, 100), high=Fraction(1), help="share of the total weight"
    )
    confidence_levels: int = param(2, low=1, high=4, help="confidences k/levels, k = 1..levels")
    max_votes: int = param(2, low=1, high=3, help="votes per agent (the first and re-votes)")
    assessments: int = param(1, low=0, high=3, help="expertise assessments in a session")
    feedbacks: int = param(0, low=0, high=3, help="performance feedbacks in a session")
    strategy: str = param(
        "dynamic", choices=("static", "dynamic", "adaptive"), help="assessment_strategy"
    )
    profiles: tuple[int, ...] = param(
        (2, 1, 1),
        low=0,
        high=2,
        distinct=False,
        help="initial profile per agent (0 novice, 1 average, 2 expert)",
    )

    def validate(self) -> None:
        if len(self.profiles) != self.agents:
            raise ConfigError("profiles", f"give one profile per agent ({self.agents})")


# --- state -----------------------------------------------------------------------------


class Vote(NamedTuple):
    """§2.2's `vote_data`: the vote, the weight it was cast with, the confidence."""

    option: int
    weight: Fraction
    confidence: Fraction
    weighted_value: Fraction


@attrs.frozen
class WeightedState:
    """The session state of §2.2 (with the uncapped weights kept, to check the cap)."""

    proposal: str
    options: tuple[int, ...]
    consensus_threshold: Fraction
    assessment_strategy: str
    baseline_weights: tuple[Fraction, ...]
    uncapped_weights: tuple[Fraction, ...]
    agent_weights: tuple[Fraction, ...]
    expertise_history: tuple[tuple[Metrics, ...], ...]
    votes: tuple[Vote | None, ...]
    votes_cast: tuple[int, ...]
    weighted_total: Fraction
    max_possible_weight: Fraction
    consensus_reached: bool
    final_decision: int | str | None
    first_decision: int | str | None
    confidence_score: Fraction
    gini_coefficient: Fraction
    max_individual_weight: Fraction
    weight_entropy: Fraction
    assessments_left: int
    feedbacks_left: int
    closed: bool


# --- actions (the seed's events) ---------------------------------------------------------


@attrs.frozen
class VoteSubmission:
    """An agent votes for `vote` with `confidence` (a re-vote replaces the last one)."""

    agent: int
    vote: int
    confidence: Fraction


@attrs.frozen
class WeightUpdateRequest:
    """Recompute the weights from the latest expertise, by the assessment strategy."""


@attrs.frozen
class ExpertiseAssessment:
    """A new expertise measurement of `agent` (one of the metric profiles)."""

    agent: int
    profile: int


@attrs.frozen
class ConsensusCheck:
    """Check for consensus now (after weights changed, say)."""


@attrs.frozen
class VotingDeadline:
    """Voting closes: the decided option, or `no_consensus`."""


@attrs.frozen
class PerformanceFeedback:
    """The agent's last judgement was right (`correct`) or wrong: past performance +-1/5."""

    agent: int
    correct: bool


Action = (
    VoteSubmission
    | WeightUpdateRequest
    | ExpertiseAssessment
    | ConsensusCheck
    | VotingDeadline
    | PerformanceFeedback
)

#: The seed's event names and the actions they map to.
EVENTS: dict[str, type] = {
    "vote_submission": VoteSubmission,
    "weight_update_request": WeightUpdateRequest,
    "expertise_assessment": ExpertiseAssessment,
    "consensus_check": ConsensusCheck,
    "voting_deadline": VotingDeadline,
    "performance_feedback": PerformanceFeedback,
}


def from_event(event_type: str, data: Mapping[str, object]) -> Action:
    """The action of a seed event, or `GuardError` `unknown_weighted_event`."""
    action: Action = decode_event(EVENTS, "unknown_weighted_event", event_type, data)
    return action


# --- guards: when an event is accepted ------------------------------------------------------
#
# The seed's vote handler validates nothing (`agent_weight = Map.get(weighted_state.
# agent_weights, agent_id, 1.0)`, `confidence = event_data[:confidence] || 1.0`); these
# are the spec's rules (FINDINGS W7), checked in this order, and the model's bounds.


@guard(
    quote='seed §2.1: "Early Consensus Detection: Stop voting when threshold reached"',
    reason="the session has ended",
)
def after_decision(m: Weighted, s: WeightedState, a: Action) -> bool:
    """The session has not ended with a decision."""
    return not (s.closed and s.consensus_reached)


@guard(
    quote='seed §2.2: "voting_deadline: DateTime.t(), # When voting closes"',
    reason="the session has ended",
)
def after_deadline(m: Weighted, s: WeightedState, a: Action) -> bool:
    """The session has not ended at the deadline."""
    return not (s.closed and not s.consensus_reached)


@guard(
    quote="seed silent: its handler takes any agent_id, `Map.get(weighted_state."
    "agent_weights, agent_id, 1.0)`; our decision, spec/FINDINGS.md W7",
    reason="agent {a.agent} does not participate",
)
def not_participant(
    m: Weighted, s: WeightedState, a: VoteSubmission | ExpertiseAssessment | PerformanceFeedback
) -> bool:
    """The agent is a participant (an int, not a bool, in 0..agents-1)."""
    return isinstance(a.agent, int) and not isinstance(a.agent, bool) and a.agent in m.agents


@guard(
    quote="seed silent: `vote: term()`, any value; our decision, spec/FINDINGS.md W7",
    reason="option {a.vote!r} is not listed",
)
def unknown_option(m: Weighted, s: WeightedState, a: VoteSubmission) -> bool:
    """The vote names a listed option."""
    return a.vote in s.options


@guard(
    quote="seed: `confidence = event_data[:confidence] || 1.0`, unchecked; our decision, "
    "spec/FINDINGS.md W7",
    reason="confidence {a.confidence!r}",
)
def confidence_out_of_range(m: Weighted, s: WeightedState, a: VoteSubmission) -> bool:
    """The confidence is a Fraction or an int (not a bool) in [0, 1]."""
    c = a.confidence
    return not isinstance(c, bool) and isinstance(c, Fraction | int) and 0 <= c <= 1


@guard(
    quote="the model's bound max_votes (the seed bounds no re-votes)",
    reason="the model's bound on votes is reached",
    bound=True,
)
def vote_bound(m: Weighted, s: WeightedState, a: VoteSubmission) -> bool:
    """The agent has votes left under `max_votes`."""
    return s.votes_cast[a.agent] < m.config.max_votes


@guard(
    quote="seed silent: `expertise_metric` is any measurement; the model's metric "
    "profiles (PROFILES) are what an assessment may report",
    reason="no metric profile {a.profile!r}",
)
def unknown_profile(m: Weighted, s: WeightedState, a: ExpertiseAssessment) -> bool:
    """The assessment names one of the metric profiles."""
    return isinstance(a.profile, int) and a.profile in range(len(PROFILES))


@guard(
    quote="the model's bound assessments (the seed bounds none)",
    reason="the model's bound is reached",
    bound=True,
)
def assessment_bound(m: Weighted, s: WeightedState, a: ExpertiseAssessment) -> bool:
    """Assessments are left under the model's bound."""
    return s.assessments_left > 0


@guard(
    quote="the model's bound feedbacks (the seed bounds none)",
    reason="the model's bound is reached",
    bound=True,
)
def feedback_bound(m: Weighted, s: WeightedState, a: PerformanceFeedback) -> bool:
    """Feedbacks are left under the model's bound."""
    return s.feedbacks_left > 0


#: Every event is refused once the session has ended (the first two guards).
OPEN = (after_decision, after_deadline)

#: The guards of each event, in the order they are checked: the first that fails is
#: the one a refusal names.
GUARDS: Mapping[type, tuple[Guard, ...]] = {
    VoteSubmission: (
        *OPEN,
        not_participant,
        unknown_option,
        confidence_out_of_range,
        vote_bound,
    ),
    WeightUpdateRequest: OPEN,
    ExpertiseAssessment: (*OPEN, not_participant, unknown_profile, assessment_bound),
    ConsensusCheck: OPEN,
    VotingDeadline: OPEN,
    PerformanceFeedback: (*OPEN, not_participant, feedback_bound),
}


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
