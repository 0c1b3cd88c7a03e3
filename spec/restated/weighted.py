"""The seed's Part 2 (weighted voting) restated from the state alone.

Each property restates one rule of the seed's §2.1-2.4 with its own, deliberately naive
computation: sums over the raw votes and the weights in the state, the seed's constants
written again, a double loop for the Gini coefficient, an integer root for x^0.7. None
calls `spec.weighted` (`tally`, `reached`, `cap_weights`, `expertise_scaling`,
`reaches`, `gini`...): a bug in a helper that a transition and a property share would
otherwise be invisible to the property (tests/test_restated.py checks this module's
globals). They read a `WeightedState` and nothing else; `Weighted.invariants()` lists
them after its own.

| seed rule | property |
|---|---|
| §2.3 `Map.put(weighted_state.votes, agent_id, vote_data)` | `seed_one_vote_per_voter` |
| §2.2 `weighted_total`, "Running weighted vote total" | `seed_weighted_total` |
| §2.3 `weighted_contribution = agent_weight * confidence * ...` | `seed_vote_records` |
| §2.1 "Early Consensus Detection: Stop voting when threshold reached" | `seed_early_consensus` |
| §2.3 "If consensus reached, finalize" | `seed_decision_closes` |
| §2.2 "60% weighted agreement": decided => reached | `seed_decision_reaches_threshold` |
| §2.2 `voting_deadline`: reached => decided | `seed_no_consensus_only_when_none_reaches` |
| §2.4 raw score, scaling, "bounds (0.1 to 3.0)"; the strategies | `seed_weights_from_metrics` |
| §2.1 "no single agent >50%"; §2.4 `apply_fairness_constraints` | `seed_fair_cap` |
| §2.2 `gini_coefficient` | `seed_gini` |
| §2.2 `max_individual_weight` | `seed_max_share` |
| §2.2 `weight_entropy` | `seed_entropy` |
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Context, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple

from spec.core import Invariant, invariant
from spec.restated import ByIdentity

if TYPE_CHECKING:  # only the state and record types, for the annotations
    from spec.weighted import Metrics, Vote, WeightedState

F = Fraction

#: The spec's factor weights (accuracy, consistency, domain knowledge, past performance):
#: the seed's `get_factor_weights(context)` is unspecified; spec/weighted/scoring.py's table.
ACCURACY, CONSISTENCY, DOMAIN_KNOWLEDGE, PAST_PERFORMANCE = F(3, 10), F(1, 5), F(3, 10), F(1, 5)
#: §2.4: "Ensure reasonable bounds (0.1 to 3.0)".
LOWEST, HIGHEST = F(1, 10), F(3)
#: The spec's rounding of irrational values (x^0.7, the entropy): toward zero, 10^-9.
DIGITS = 10**9
#: §2.1: "no single agent >50%".
HALF = F(1, 2)
#: The deadline's outcome without a winner (the spec's name for it).
NO_CONSENSUS = "no_consensus"

#: A second decimal context for the entropy: fewer digits than the spec's 40, on purpose.
_LOGS = Context(prec=30)


# --- naive computations ---------------------------------------------------------------


def seed_raw_score(m: Metrics) -> Fraction:
    """§2.4, as written::

    raw_score =
      base_metrics.accuracy * factor_weights.accuracy +
      base_metrics.consistency * factor_weights.consistency +
      base_metrics.domain_knowledge * factor_weights.domain_knowledge +
      base_metrics.past_performance * factor_weights.past_performance
    """
    return (
        m.accuracy * ACCURACY
        + m.consistency * CONSISTENCY
        + m.domain_knowledge * DOMAIN_KNOWLEDGE
        + m.past_performance * PAST_PERFORMANCE
    )


def integer_root(n: int, k: int) -> int:
    """The largest integer r >= 0 with r^k <= n (n >= 0), by bisection."""
    low, high = 0, 1
    while high**k <= n:
        high *= 2
    while high - low > 1:  # low^k <= n < high^k
        middle = (low + high) // 2
        if middle**k <= n:
            low = middle
        else:
            high = middle
    return low


def power_seven_tenths(raw: Fraction) -> Fraction:
    """raw^0.7 rounded toward zero to 10^-9, exactly: the largest k / 10^9 whose tenth
    power is at most raw^7 (an integer tenth root of floor(raw^7 x 10^90))."""
    scaled = raw.numerator**7 * DIGITS**10 // raw.denominator**7
    return F(integer_root(scaled, 10), DIGITS)


def seed_scaling(raw: Fraction) -> Fraction:
    """§2.4's `apply_expertise_scaling`, as written, every boundary inclusive (`>=`)::

        raw_score >= 0.8 -> :math.pow(raw_score, 0.7) * 2.0
        raw_score >= 0.6 -> raw_score * 1.5
        raw_score >= 0.4 -> raw_score * 1.2
        true -> raw_score

    (the power rounded toward zero to 10^-9, the spec's precision).
    """
    if raw >= F(8, 10):
        return power_seven_tenths(raw) * F(20, 10)
    if raw >= F(6, 10):
        return raw * F(15, 10)
    if raw >= F(4, 10):
        return raw * F(12, 10)
    return raw


@functools.lru_cache(maxsize=1024)
def seed_expertise_weight(m: Metrics) -> Fraction:
    """§2.4: `bounded_score = max(0.1, min(3.0, scaled_score))` of the scaled raw score."""
    return max(LOWEST, min(HIGHEST, seed_scaling(seed_raw_score(m))))


def seed_strategy_weight(strategy: str, baseline: Fraction, m: Metrics) -> Fraction:
    """What a weight update gives an agent whose latest metrics are `m`: the baseline
    (static), the expertise weight (dynamic) or their mean (adaptive): spec/FINDINGS.md W9,
    the seed's `assessment_strategy: :static | :dynamic | :adaptive` being undefined."""
    if strategy == "static":
        return baseline
    if strategy == "dynamic":
        return seed_expertise_weight(m)
    return (baseline + seed_expertise_weight(m)) / 2


def is_fair_cap(uncapped: tuple[Fraction, ...], capped: tuple[Fraction, ...]) -> bool:
    """Whether `capped` is the fair cap of `uncapped` (positive weights): one agent keeps
    its weight; with two or more, the total is kept, no share is above one half, and the
    weights have the form min(total / 2, c x w) for one factor c: the agents the cap cuts
    hold exactly half, the others are all scaled by c (the excess shared in proportion).
    The sum being fixed, at most one vector has that form."""
    n = len(uncapped)
    if n != len(capped) or any(w <= 0 for w in uncapped):
        return False
    if n < 2:
        return capped == uncapped
    total = F(0)
    for w in uncapped:
        total += w
    capped_total = F(0)
    for r in capped:
        capped_total += r
    if capped_total != total:
        return False
    cap = total / 2
    if any(r > cap for r in capped):
        return False
    below = [i for i in range(n) if capped[i] < cap]
    if not below:  # every agent at the cap: two agents of half each
        return True
    c = capped[below[0]] / uncapped[below[0]]
    return all(capped[i] == c * uncapped[i] for i in below) and all(
        c * uncapped[i] >= cap for i in range(n) if i not in below
    )


def double_loop_gini(weights: tuple[Fraction, ...]) -> Fraction:
    """The Gini coefficient: the sum of |w_i - w_j| over every ordered pair (i, j),
    over 2 n x total; 0 for one agent or a zero total."""
    n = len(weights)
    total = F(0)
    for w in weights:
        total += w
    if n < 2 or total == 0:
        return F(0)
    differences = F(0)
    for a in weights:
        for b in weights:
            differences += abs(a - b)
    return differences / (2 * n * total)


def decimal_entropy(weights: tuple[Fraction, ...]) -> Decimal:
    """-sum p ln p / ln n over the shares p (zero shares add nothing), to 30 digits; 1
    for one agent, 0 for a zero total."""
    total = F(0)
    for w in weights:
        total += w
    if total == 0:
        return Decimal(0)
    if len(weights) < 2:
        return Decimal(1)
    h = Decimal(0)
    for w in weights:
        if w:
            share = w / total
            p = _LOGS.divide(Decimal(share.numerator), Decimal(share.denominator))
            h = _LOGS.subtract(h, _LOGS.multiply(p, _LOGS.ln(p)))
    return _LOGS.divide(h, _LOGS.ln(Decimal(len(weights))))


def largest_share(weights: tuple[Fraction, ...]) -> Fraction:
    """The largest weight over the total (0 for a zero total)."""
    total, largest = F(0), F(0)
    for w in weights:
        total += w
        largest = w if w > largest else largest
    return largest / total if total else F(0)


# --- caches: the properties run on every state of every check ---------------------------


class WeightFacts(NamedTuple):
    """What the properties ask of a pair (uncapped, capped) of weight vectors and a
    threshold: the bar (the threshold times the capped total), the fair-cap verdict and
    the three statistics of the capped weights."""

    bar: Fraction
    fair: bool
    gini: Fraction
    max_share: Fraction
    entropy: Decimal


@functools.lru_cache(maxsize=4096)
def weight_facts(
    uncapped: tuple[Fraction, ...], capped: tuple[Fraction, ...], threshold: Fraction
) -> WeightFacts:
    """The facts of a pair of weight vectors, computed once per pair."""
    total = F(0)
    for w in capped:
        total += w
    return WeightFacts(
        threshold * total,
        is_fair_cap(uncapped, capped),
        double_loop_gini(capped),
        largest_share(capped),
        decimal_entropy(capped),
    )


class Derived(NamedTuple):
    """What several properties of one state read, computed once per state.

    Attributes:
        weighted_total: weight x confidence summed over the stored votes, each at its
            agent's current (capped) weight.
        reaching: the listed options whose support (that sum over the votes naming
            them) is at least the threshold times the sum of the current weights.
        weights: the facts of the state's weight vectors.
    """

    weighted_total: Fraction
    reaching: tuple[int, ...]
    weights: WeightFacts


_facts = ByIdentity(weight_facts, limit=4096)


def derive(s: WeightedState) -> Derived:
    """The derived values of a state, from its votes and weights alone."""
    facts = _facts(s.uncapped_weights, s.agent_weights, s.consensus_threshold)
    support = {o: F(0) for o in s.options}
    voted = F(0)
    for i, v in enumerate(s.votes):
        if v is not None:
            contribution = s.agent_weights[i] * v.confidence
            support[v.option] = support.get(v.option, F(0)) + contribution
            voted += contribution
    reaching = tuple(o for o in s.options if support[o] >= facts.bar)
    return Derived(voted, reaching, facts)


#: The last state's derived values (the checker judges one state at a time).
derived = ByIdentity(derive, limit=1)


def vote_recorded(v: Vote) -> bool:
    """Whether a vote's weighted value is its recorded weight x its confidence."""
    return v.weighted_value == v.weight * v.confidence


_vote_recorded = ByIdentity(vote_recorded, limit=4096)


def weights_from_metrics(
    strategy: str,
    baselines: tuple[Fraction, ...],
    weights: tuple[Fraction, ...],
    histories: tuple[tuple[Metrics, ...], ...],
) -> bool:
    """Whether each baseline is the expertise weight of the agent's first metrics and
    each weight what the strategy gives for one of its recorded metrics."""
    for baseline, weight, history in zip(baselines, weights, histories, strict=True):
        if baseline != seed_expertise_weight(history[0]):
            return False
        if all(weight != seed_strategy_weight(strategy, baseline, m) for m in history):
            return False
    return True


_from_metrics = ByIdentity(weights_from_metrics, limit=4096)


def entropy_close(spec: Fraction, naive: Decimal) -> bool:
    """Whether the spec's entropy is within 2 x 10^-9 of this computation's."""
    value = _LOGS.divide(Decimal(spec.numerator), Decimal(spec.denominator))
    return abs(_LOGS.subtract(value, naive)) <= Decimal(2) / DIGITS


_entropy_close = ByIdentity(entropy_close, limit=4096)


# --- the properties ---------------------------------------------------------------------


@invariant
def seed_one_vote_per_voter(s: WeightedState) -> bool:
    """An agent holds a stored vote exactly when it has voted, one per agent.

    Seed §2.3: `updated_votes = Map.put(weighted_state.votes, agent_id, vote_data)`: the
    map holds the latest vote of each agent that voted, a re-vote replacing the old one.
    """
    return len(s.votes) == len(s.votes_cast) and all(
        (v is None) == (n == 0) for v, n in zip(s.votes, s.votes_cast, strict=True)
    )


@invariant
def seed_weighted_total(s: WeightedState) -> bool:
    """`weighted_total` sums current weight times confidence over the stored votes.

    Each agent's vote once, at the agent's current (capped) weight.

    Seed §2.2: `weighted_total: float(), # Running weighted vote total`, with each agent's
    vote counted once (`Map.put` replaces a re-vote; spec/FINDINGS.md W1, W3).
    """
    return s.weighted_total == derived(s).weighted_total


@invariant
def seed_vote_records(s: WeightedState) -> bool:
    """Each stored vote's weighted value is its recorded weight times its confidence.

    Seed §2.3: `weighted_contribution = agent_weight * confidence * vote_numeric`, stored
    as `weighted_value` (`vote_numeric` is 1 for the option voted for: the spec tallies
    per option, spec/FINDINGS.md W2).
    """
    return all(v is None or _vote_recorded(v) for v in s.votes)


@invariant
def seed_early_consensus(s: WeightedState) -> bool:
    """With the initial weights, an undecided session has no option alone at the threshold.

    While no assessment or feedback has happened, the weights are the initial ones (every
    update gives them back), so the vote that lifted an option there decided it.

    Seed §2.1: "Early Consensus Detection: Stop voting when threshold reached"; §2.3:
    `consensus_reached = check_early_consensus(...)` after every vote, "If consensus
    reached, finalize". (After the weights change, `consensus_check` decides, when it is
    sent; with two options over the bar, nothing decides: spec/FINDINGS.md W2.)
    """
    if s.consensus_reached or any(len(h) != 1 for h in s.expertise_history):
        return True
    return len(derived(s).reaching) != 1


@invariant
def seed_decision_closes(s: WeightedState) -> bool:
    """Consensus is reached exactly when an option is decided, and it closes the session.

    Seed §2.3: "If consensus reached, finalize" (`finalize_weighted_consensus`); §2.1:
    "Stop voting when threshold reached".
    """
    decided = s.final_decision in s.options
    return s.consensus_reached == decided and (not decided or s.closed)


@invariant
def seed_decision_reaches_threshold(s: WeightedState) -> bool:
    """A decided option's share of the current weight reaches the threshold, no other's.

    The share: its support over the sum of the current (capped) weights.

    Seed §2.2: `consensus_threshold: float(), # e.g., 0.6 for 60% weighted agreement`,
    `consensus_reached: boolean(), # Whether threshold met` (reached: at least the
    threshold, `>=`); the support counted here from the votes and current weights.
    """
    if not s.consensus_reached:
        return True
    return derived(s).reaching == (s.final_decision,)


@invariant
def seed_no_consensus_only_when_none_reaches(s: WeightedState) -> bool:
    """A session closed undecided has no option alone at the threshold: `no_consensus`.

    None has reached it, or two have (possible at a threshold <= 1/2).

    Seed §2.2: `voting_deadline: DateTime.t(), # When voting closes`, `final_decision:
    term() | nil`; with `seed_decision_reaches_threshold`: a closed session is decided
    exactly when one option reaches the threshold.
    """
    if not s.closed or s.consensus_reached:
        return True
    return s.final_decision == NO_CONSENSUS and len(derived(s).reaching) != 1


@invariant
def seed_weights_from_metrics(s: WeightedState) -> bool:
    """Each agent's weights are the seed's expertise weights of its recorded metrics.

    The baseline is the expertise weight of its first metrics; the (uncapped) weight is
    what its strategy gives for one of its recorded metrics.

    Seed §2.4 `calculate_expertise_weight`: the raw score with the factor weights, then
    `scaled_score = apply_expertise_scaling(raw_score)` (`raw_score >= 0.8`, `>= 0.6`,
    `>= 0.4`: inclusive), then `bounded_score = max(0.1, min(3.0, scaled_score))`.
    """
    return _from_metrics(
        s.assessment_strategy, s.baseline_weights, s.uncapped_weights, s.expertise_history
    )


@invariant
def seed_fair_cap(s: WeightedState) -> bool:
    """The weights are the fair cap of the uncapped ones: no share above one half.

    The total is kept, every share is at most one half (two agents or more), the excess
    of those above it is shared among the others in proportion to their weights.

    Seed §2.1: "Fair weight distribution (no single agent >50% unless warranted)"; §2.4:
    `apply_fairness_constraints(bounded_score, agent_id, context)` "(no single agent >50%
    of total weight)"; redistributing is the spec's decision (spec/FINDINGS.md W4).
    """
    return derived(s).weights.fair


@invariant
def seed_gini(s: WeightedState) -> bool:
    """`gini_coefficient` is the Gini coefficient of the current (capped) weights.

    Seed §2.2: `weight_distribution_stats: %{ gini_coefficient: float(), # Measure of
    inequality`.
    """
    return s.gini_coefficient == derived(s).weights.gini


@invariant
def seed_max_share(s: WeightedState) -> bool:
    """`max_individual_weight` is the largest current (capped) weight over their total.

    Seed §2.2: `max_individual_weight: float(), # Highest single agent weight` (as a
    share, the figure the cap bounds by one half).
    """
    return s.max_individual_weight == derived(s).weights.max_share


@invariant
def seed_entropy(s: WeightedState) -> bool:
    """`weight_entropy` is the entropy of the current (capped) shares over ln n.

    Within the rounding: 10^-9 toward zero, plus 10^-9 for this computation's own.

    Seed §2.2: `weight_entropy: float(), # Diversity of weights`.
    """
    return _entropy_close(s.weight_entropy, derived(s).weights.entropy)


#: The restated properties, in the order of the module's table.
INVARIANTS: Sequence[Invariant[WeightedState]] = (
    seed_one_vote_per_voter,
    seed_weighted_total,
    seed_vote_records,
    seed_early_consensus,
    seed_decision_closes,
    seed_decision_reaches_threshold,
    seed_no_consensus_only_when_none_reaches,
    seed_weights_from_metrics,
    seed_fair_cap,
    seed_gini,
    seed_max_share,
    seed_entropy,
)
