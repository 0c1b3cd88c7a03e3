"""Part 3's rules (iterative refinement) restated from the state alone.

Each property here reads an `IterativeState` and recomputes what the seed says with a
second, deliberately naive implementation: its own tokeniser (lower case, maximal runs
of `str.isalnum()` characters, the spec's decision), its own Jaccard, means and
composite weights (the seed's numbers written again). Nothing here calls a function or
method of `spec.iterative`; only its state and record types are imported (checked by
tests/test_restated_iterative.py). The pure helpers are cached on the record tuples, so
the properties stay cheap on every state of a check.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from spec.core import Invariant, invariant
from spec.iterative import IterativeState, RoundRecord, Submission
from spec.restated import ByIdentity

Slots = tuple[Submission | None, ...]


@lru_cache(maxsize=4096)
def naive_words(text: str) -> frozenset[str]:
    """The words of a text: lower case, maximal runs of letters and digits."""
    found: set[str] = set()
    current = ""
    for char in text.lower() + " ":
        if char.isalnum():
            current += char
        elif current:
            found.add(current)
            current = ""
    return frozenset(found)


@lru_cache(maxsize=4096)
def naive_jaccard(a: str, b: str) -> Fraction:
    """Seed §3.4: `intersection_size / union_size`, and `1.0 # Empty sets are considered
    identical`."""
    x, y = naive_words(a), naive_words(b)
    common = sum(1 for w in x if w in y)
    union = len(x) + len(y) - common
    if union == 0:
        return Fraction(1)
    return Fraction(common, union)


@lru_cache(maxsize=65536)
def naive_convergence(now: Slots, before: Slots) -> Fraction:
    """Seed §3.4 `calculate_jaccard_similarity(current_proposals, previous_proposals)`:
    `for {agent_id, current_set} <- current_words, {^agent_id, previous_set} <-
    previous_words`, then `Enum.sum(similarities) / length(similarities)`, else `0.0`."""
    total = Fraction(0)
    count = 0
    for agent in range(min(len(now), len(before))):
        a, b = now[agent], before[agent]
        if a is not None and b is not None:
            total += naive_jaccard(a.proposal, b.proposal)
            count += 1
    if count == 0:
        return Fraction(0)
    return total / count


def recorded_convergence(s: IterativeState, k: int) -> Fraction:
    """The convergence score record k should carry: against record k - 1 (0 for the
    first round, which has no previous one)."""
    if k == 0:
        return Fraction(0)
    history = s.proposals_history
    return naive_convergence(history[k].proposals, history[k - 1].proposals)


@lru_cache(maxsize=65536)
def naive_feedback(feedback: frozenset[tuple[int, int, Fraction]], target: int) -> Fraction:
    """Seed §3.4: "Feedback score (average of feedback from other agents)"; 1/2 with none
    (the spec's decision)."""
    given = [x for giver, scored, x in sorted(feedback) if scored == target and giver != target]
    if not given:
        return Fraction(1, 2)
    return sum(given, Fraction(0)) / len(given)


def naive_composite(quality: Fraction, feedback: Fraction, confidence: Fraction) -> Fraction:
    """Seed §3.4: `base_quality * 0.4 + feedback_score * 0.4 + confidence_score * 0.2`."""
    return quality * Fraction(4, 10) + feedback * Fraction(4, 10) + confidence * Fraction(2, 10)


@invariant
def convergence_recomputed(s: IterativeState) -> bool:
    """Every round's convergence score is the mean Jaccard similarity of each agent's
    proposal to its own proposal of the PREVIOUS round (seed §3.4,
    `calculate_jaccard_similarity(current_proposals, previous_proposals)`), recomputed
    from the recorded history; `similarity_history` and `convergence_score` (§3.2:
    "Current convergence level") repeat them."""
    history = s.proposals_history
    for k, record in enumerate(history):
        if record.convergence_score != recorded_convergence(s, k):
            return False
    if s.similarity_history != tuple(r.convergence_score for r in history):
        return False
    latest = history[-1].convergence_score if history else Fraction(0)
    return s.convergence_score == latest


@invariant
def convergence_termination_justified(s: IterativeState) -> bool:
    """Termination by convergence exactly when the recomputed score of the last round
    (against the one before it) reaches the threshold, with early termination on (seed
    §3.2: `termination_reason: :convergence`, `convergence_threshold: float()`,
    `early_termination_enabled: boolean()`). The stopping rule is applied in the
    transition phase, where a session stops and stays; a converged round there has
    stopped by convergence (the spec's order: convergence is asked first)."""
    history = s.proposals_history
    converged = (
        s.early_termination_enabled
        and len(history) >= 2
        and recorded_convergence(s, len(history) - 1) >= s.convergence_threshold
    )
    if s.current_phase == "transition":
        return (s.termination_reason == "convergence") == converged
    return s.termination_reason != "convergence"


def recomputed_selection(
    record: RoundRecord,
    proposals: Slots,
    feedback_collection: frozenset[tuple[int, int, Fraction]],
    quality_scores: tuple[Fraction, ...],
) -> bool:
    """Whether `record` selects, from the round's proposals, feedback and qualities, the
    proposal of the highest recomputed composite score, ties as the spec breaks them."""
    feedback = tuple(naive_feedback(feedback_collection, i) for i in range(len(proposals)))
    if tuple(record.feedback_summary[: len(feedback)]) != feedback:
        return False
    scores = {
        i: naive_composite(quality_scores[i], feedback[i], sub.confidence)
        for i, sub in enumerate(proposals)
        if sub is not None
    }
    chosen = proposals[record.selected_agent]
    if chosen is None or chosen.proposal != record.selected_proposal:
        return False
    top = max(scores.values())
    if scores[record.selected_agent] != top:
        return False
    # a tie: the text first in string order, then the surest (the spec's rule; the seed's
    # `Enum.max_by` would take the first in map order: FINDINGS I3)
    tied = [sub for i, sub in enumerate(proposals) if sub and scores[i] == top]
    first = min(sub.proposal for sub in tied)
    surest = max(sub.confidence for sub in tied if sub.proposal == first)
    return (chosen.proposal, chosen.confidence) == (first, surest)


@invariant
def selected_by_recomputed_composite(s: IterativeState) -> bool:
    """The round's selected proposal has the highest composite score, recomputed as
    0.4 quality + 0.4 feedback + 0.2 confidence (seed §3.4, `select_best_proposal`:
    `base_quality * 0.4 + feedback_score * 0.4 + confidence_score * 0.2`, then
    `Enum.max_by`), the feedback score being the mean of what OTHER agents gave the
    proposal ("average of feedback from other agents"), as the record's
    `feedback_summary` says too."""
    if s.current_phase != "transition" or s.quality_scores is None or not s.proposals_history:
        return True
    return recomputed_selection(
        s.proposals_history[-1], s.round_proposals, s.feedback_collection, s.quality_scores
    )


@invariant
def termination_reason_justified(s: IterativeState) -> bool:
    """Every termination reason is justified by the state (seed §3.2: `termination_reason:
    :max_rounds | :convergence | :quality | :consensus | nil`, `max_rounds`,
    `quality_threshold`, `early_termination_enabled`), and a terminated session is
    frozen where it stopped: in the transition phase of its last recorded round, its
    `final_proposal` that round's selected proposal (§3.2: `final_proposal`).

    `max_rounds`: the last round is round max_rounds and no early rule applied;
    `quality`: early termination on and the selected proposal's quality reaches the
    threshold; `consensus` (the `early_termination` event): early termination on;
    `convergence`: see `convergence_termination_justified`."""
    reason = s.termination_reason
    if reason is None:
        return True
    history = s.proposals_history
    if s.current_phase != "transition" or not history:
        return False
    last = history[-1]
    if last.round != s.current_round or s.final_proposal != last.selected_proposal:
        return False
    good_enough = last.quality_score >= s.quality_threshold
    if reason == "quality":
        return s.early_termination_enabled and good_enough
    if reason == "consensus":
        return s.early_termination_enabled
    if reason == "max_rounds":
        return last.round >= s.max_rounds and not (s.early_termination_enabled and good_enough)
    return reason == "convergence"


@invariant
def round_record_faithful(s: IterativeState) -> bool:
    """Each finished round is recorded as it was, and the current proposal is the last
    one selected (seed §3.2: `proposal_round` with `proposals`, `selected_proposal`,
    `quality_score`; `current_proposal: term(), # Current best proposal`; before any
    round, the initial proposal).

    While the round is in its transition phase, its record's proposals are the round's
    submissions and its quality score is the one assessed for the selected agent's
    proposal (not the round's best or mean); in every record the selected proposal is
    the selected agent's own submission."""
    history = s.proposals_history
    if not history:
        return s.current_proposal == s.initial_proposal
    last = history[-1]
    if s.current_proposal != last.selected_proposal:
        return False
    if s.current_phase == "transition":
        if last.proposals != s.round_proposals or s.quality_scores is None:
            return False
        if last.quality_score != s.quality_scores[last.selected_agent]:
            return False
    for record in history:
        chosen = record.proposals[record.selected_agent]
        if chosen is None or chosen.proposal != record.selected_proposal:
            return False
    return True


@invariant
def consensus_level_recomputed(s: IterativeState) -> bool:
    """`consensus_level` is the mean Jaccard similarity of the last finished round's
    proposals to the proposal selected in it, recomputed here; 0 before any round ends.

    Seed §3.2: `consensus_level: float(), # Agreement on final proposal`. The seed gives
    no formula; the mean similarity to the selected proposal is the spec's reading
    (spec/iterative/), measured with the seed's Jaccard of §3.4."""
    if not s.proposals_history:
        return s.consensus_level == 0
    return s.consensus_level == _agreement(s.proposals_history[-1])


def agreement(record: RoundRecord) -> Fraction:
    """The mean Jaccard similarity of a round's proposals to its selected proposal."""
    similar = [
        naive_jaccard(sub.proposal, record.selected_proposal)
        for sub in record.proposals
        if sub is not None
    ]
    return sum(similar, Fraction(0)) / len(similar)


_agreement = ByIdentity(agreement, limit=4096)


#: The restated properties, in the seed's order (§3.4 convergence, stopping, selection;
#: §3.2 the round's record and the consensus level).
RESTATED: tuple[Invariant[IterativeState], ...] = (
    convergence_recomputed,
    convergence_termination_justified,
    selected_by_recomputed_composite,
    termination_reason_justified,
    round_record_faithful,
    consensus_level_recomputed,
)
