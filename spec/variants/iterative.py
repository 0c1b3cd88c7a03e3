"""Iterative-refinement variants: deliberately broken rules the checker must catch.

Each mutant changes one rule of `spec.iterative` through the smallest hook the spec
exposes (the guard table `guards`, `all_submitted`, `feedback_scores`,
`stopping_reason`, `select`), in the smallest configuration where the break can show.
The first four reproduce the seed's own rules (Part 3, §3.3 and §3.4; spec/FINDINGS.md
I1-I4). `MUTANTS` pins what the checker must report: the property that breaks and the
length of the shortest counterexample (breadth-first, with the model's default
symmetry).

`ASSUMPTIONS` holds a variant that is not a broken rule but a broken environment
assumption: a participant that never proposes, under the seed's rule that waits for
every proposal (finding I6; with the spec's round timeout, the default, the session
ends). `PORTFOLIO` holds the mutant of the feature the portfolio of `coordspec check
iterative` adds to the default's two rounds, a third round: it is caught at the
`converged_early` preset (3 rounds), its configuration, and not at the default
(tests/test_portfolio.py).
`coordspec check iterative --variant NAME` checks one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import ClassVar

import attrs

from spec import iterative as it
from spec.core import Guard, Invariant, Witness, without
from spec.symmetry import agent_maps
from spec.variants import MUTANT, Variant, preset_config


def _collecting(m: SeedAllSubmitted, s: it.IterativeState, a: it.ProposalSubmission) -> bool:
    return s.termination_reason is None and s.current_phase == "proposal_collection"


def _passes(m: SeedAllSubmitted, s: it.IterativeState, a: it.ProposalSubmission) -> bool:
    return True


#: What the seed's validation is taken to check of a non-participant's proposal, by the
#: spec's guard names: the phase ("not collecting", also once terminated) and a
#: duplicate ("a second one"); every other guard lets it through.
_OUTSIDER_RULES: dict[str, tuple[Callable[..., bool], str]] = {
    "wrong_phase": (_collecting, "not collecting"),
    "already_submitted": (it.already_submitted.holds, "a second one"),
}


def _for_outsiders(g: Guard) -> Guard:
    """`g` for a participant's proposal; for an outsider's, its `_OUTSIDER_RULES`."""
    outsider_holds, said = _OUTSIDER_RULES.get(g.name, (_passes, ""))

    def holds(m: SeedAllSubmitted, s: it.IterativeState, a: it.ProposalSubmission) -> bool:
        return outsider_holds(m, s, a) if a.agent in m.outsiders else g.holds(m, s, a)

    def reason(m: SeedAllSubmitted, s: it.IterativeState, a: it.ProposalSubmission) -> str:
        return said if a.agent in m.outsiders else g.explain(m, s, a)

    return attrs.evolve(g, holds=holds, reason=reason)


class SeedAllSubmitted(it.Iterative):
    """I1, the seed's `handle_iterative_proposal_submission`: the submission of any
    agent id is stored (`Map.put(round_proposals, agent_id, submission)`; the seed's
    `validate_proposal_submission` is unspecified, so it is modelled as checking the
    phase and duplicates only), and the phase moves on when
    `length(Map.keys(updated_round_proposals)) >= length(participants)`: a
    non-participant's submission stands in for a participant's.

    The outsiders get slots after the participants in `round_proposals` (a map keyed by
    agent id); permutations of participants leave them in place. The invariants read
    the participants' slots only, as the spec's do.
    """

    guards: ClassVar[Mapping[type, tuple[Guard, ...]]] = {
        **it.GUARDS,
        it.ProposalSubmission: tuple(_for_outsiders(g) for g in it.GUARDS[it.ProposalSubmission]),
    }

    def __init__(self, config: it.IterativeConfig) -> None:
        self.outsiders = tuple(range(config.agents, config.agents + config.outsiders))
        super().__init__(config)

    def renamings(self) -> tuple[tuple[int, ...], ...]:
        """The permutations of the participants, the outsiders' slots left in place."""
        return agent_maps(len(self.ids), self.participants)

    def initial(self) -> Sequence[it.IterativeState]:
        slots = (None,) * len(self.ids)
        return [attrs.evolve(s, round_proposals=slots) for s in super().initial()]

    def all_submitted(self, s: it.IterativeState) -> bool:
        return sum(sub is not None for sub in s.round_proposals) >= len(self.participants)

    def feedback_scores(self, s: it.IterativeState) -> tuple[Fraction, ...]:
        return super().feedback_scores(s) + (it.NO_FEEDBACK,) * len(self.outsiders)

    def apply(self, s: it.IterativeState, a: it.Action) -> it.IterativeState:
        after = super().apply(s, a)
        if len(after.round_proposals) < len(self.ids):  # a new round: outsiders' slots too
            after = attrs.evolve(after, round_proposals=(None,) * len(self.ids))
        return after

    def invariants(self) -> Sequence[Invariant[it.IterativeState]]:
        n = len(self.participants)

        def participants_only(holds: Callable[[it.IterativeState], bool]) -> Callable[..., bool]:
            def view(s: it.IterativeState) -> bool:
                return holds(attrs.evolve(s, round_proposals=s.round_proposals[:n]))

            return view

        return [
            Invariant(inv.name, participants_only(inv.holds), inv.doc)
            for inv in super().invariants()
        ]


#: The feedback guards after `self_feedback`: the seed's validation, taken to accept a
#: self-feedback outright, checks none of them for one.
_AFTER_SELF_FEEDBACK = ("score_out_of_range", "already_given")


def _unless_self(g: Guard) -> Guard:
    """`g`, except that a guard checked after `self_feedback` lets a self-feedback pass."""
    if g.name not in _AFTER_SELF_FEEDBACK:
        return g

    def holds(m: it.Iterative, s: it.IterativeState, a: it.FeedbackSubmission) -> bool:
        return a.from_agent == a.target_agent or g.holds(m, s, a)

    return attrs.evolve(g, holds=holds)


class SelfFeedbackCounted(it.Iterative):
    """I2: feedback on one's own proposal is accepted and counted in the feedback score
    (the seed's `validate_feedback_submission` is unspecified, and its
    `calculate_average_feedback_score(agent_id, feedback_collection)` says "from other
    agents" in a comment only). The guard `self_feedback` is dropped, and the guards
    checked after it let a self-feedback through unchecked."""

    guards: ClassVar[Mapping[type, tuple[Guard, ...]]] = {
        **it.GUARDS,
        it.FeedbackSubmission: tuple(
            _unless_self(g) for g in without(it.GUARDS[it.FeedbackSubmission], "self_feedback")
        ),
    }

    def feedback_scores(self, s: it.IterativeState) -> tuple[Fraction, ...]:
        result = []
        for target in self.participants:
            given = [x for _, t, x in s.feedback_collection if t == target]
            result.append(sum(given, Fraction(0)) / len(given) if given else it.NO_FEEDBACK)
        return tuple(result)


class NoMaxRounds(it.Iterative):
    """I4: no `max_rounds` bound; only the early stopping rules end a session.

    The unbounded protocol has infinitely many states (the round counter and the
    history grow without end), so this mutant is a finite abstraction of it: the
    round counter saturates at 2 ("a later round"), the history keeps only the last
    record and the similarity history only the last score. Nothing the protocol does
    reads more than that: the convergence score compares with the last round only,
    and the stopping rule asks only whether a previous round exists (`round > 1`,
    where the spec asks `len(proposals_history) > 1`). The abstraction therefore has
    the same behaviours as the unbounded protocol up to the round number, and a lasso
    in it is an infinite run of the unbounded protocol. `round_bound` and
    `one_record_per_round` speak about the concrete counter and history, so they are
    dropped; so are the witnesses (no run ends by `max_rounds`). The configuration's
    `max_rounds` is ignored.
    """

    def stopping_reason(self, s: it.IterativeState, record: it.RoundRecord) -> str | None:
        if s.early_termination_enabled:
            if record.convergence_score >= s.convergence_threshold and record.round > 1:
                return "convergence"
            if record.quality_score >= s.quality_threshold:
                return "quality"
        return None

    def complete_round(self, s: it.IterativeState) -> it.IterativeState:
        after = super().complete_round(s)
        return attrs.evolve(
            after,
            proposals_history=after.proposals_history[-1:],
            similarity_history=after.similarity_history[-1:],
        )

    def apply(self, s: it.IterativeState, a: it.Action) -> it.IterativeState:
        after = super().apply(s, a)
        return attrs.evolve(after, current_round=min(after.current_round, 2))

    def invariants(self) -> Sequence[Invariant[it.IterativeState]]:
        # The restated convergence properties read the whole history, which is cut here.
        dropped = (
            "round_bound",
            "one_record_per_round",
            "convergence_recomputed",
            "convergence_termination_justified",
        )
        return [inv for inv in super().invariants() if inv.name not in dropped]

    def witnesses(self) -> Sequence[Witness[it.IterativeState]]:
        return ()


@attrs.frozen
class OrderedState(it.IterativeState):
    """The state with the order in which this round's proposals arrived."""

    order: tuple[int, ...] = ()


class MapOrderTieBreak(it.Iterative):
    """I3, the seed's `select_best_proposal`: `Enum.max_by(proposal_scores, ...)` over a
    list built by a comprehension over the `round_proposals` map returns the *first*
    maximum in the map's iteration order. Elixir does not define that order (it is the
    key order for maps of up to 32 keys and hash order above, an implementation detail);
    this mutant takes the order of arrival, as a port to insertion-ordered maps (Python
    dicts, JavaScript objects) would. It records the arrival order in the state, so it
    has no symmetry over participants.
    """

    symmetry_default = False

    def initial(self) -> Sequence[it.IterativeState]:
        return [OrderedState(**attrs.asdict(s, recurse=False)) for s in super().initial()]

    def apply(self, s: it.IterativeState, a: it.Action) -> it.IterativeState:
        after = super().apply(s, a)
        assert isinstance(s, OrderedState) and isinstance(after, OrderedState)
        if isinstance(a, it.ProposalSubmission):
            return attrs.evolve(after, order=(*s.order, a.agent))
        if after.current_round != s.current_round:
            return attrs.evolve(after, order=())
        return after

    def composites(self, s: it.IterativeState) -> dict[int, Fraction]:
        scores = super().composites(s)
        assert isinstance(s, OrderedState)
        return {i: scores[i] for i in s.order}

    def select(self, s: it.IterativeState, scores: Mapping[int, Fraction]) -> int:
        return max(scores, key=scores.__getitem__)  # the first maximum, as Enum.max_by


def _config(**values: int | bool) -> it.IterativeConfig:
    return it.IterativeConfig(**values)  # type: ignore[arg-type]


def _variant(
    name: str,
    reproduces: str,
    description: str,
    model: type[it.Iterative],
    config: it.IterativeConfig,
    prop: str,
    length: int,
    fixed: tuple[str, ...] = (),
) -> Variant[it.Iterative]:
    return Variant(
        name, "iterative", description, reproduces, model, config, prop, length, fixed=fixed
    )


MUTANTS: tuple[Variant[it.Iterative], ...] = (
    _variant(
        "seed_all_submitted_counts_outsiders",
        "I1",
        "The seed's all_submitted counts agent ids: an outsider's proposal stands in.",
        SeedAllSubmitted,
        # The seed's rule, without the round timeout: with it, a round may close with one
        # participant's proposal, and the outsider's standing in is not seen in the state.
        _config(agents=2, outsiders=1, max_rounds=1, texts=1, round_timeout=False),
        "phases_in_order",
        2,
    ),
    _variant(
        "self_feedback_counted",
        "I2",
        "Feedback on one's own proposal is accepted and counted in its feedback score.",
        SelfFeedbackCounted,
        _config(agents=2, max_rounds=1, texts=1),
        "no_self_feedback",
        3,
    ),
    _variant(
        "no_max_rounds",
        "I4",
        "No max_rounds bound, only the early stopping rules (a finite abstraction).",
        NoMaxRounds,
        _config(agents=2, max_rounds=1, texts=2),
        "terminates",
        23,
        fixed=("max_rounds",),
    ),
    _variant(
        "map_order_tie_break",
        "I3",
        "The seed's Enum.max_by: a tie goes to the first proposal in the map's order.",
        MapOrderTieBreak,
        _config(agents=2, max_rounds=1, texts=2),
        "selected_is_best",
        5,
    ),
)


class SilentParticipant(it.Iterative):
    """I6: the last participant never proposes (a crashed or silent agent). The seed's
    `all_submitted` waits for every participant and has no way out of
    `proposal_collection` (its `round_timeout` and `phase_deadline` are declared and
    never read): at `round_timeout=False`, the seed's rule, the session blocks. With the
    spec's round timeout (its default) the round closes with the proposals at hand, and
    every property holds (tests/test_iterative.py). Agent ids are no longer
    interchangeable here, so the variant has no symmetry."""

    symmetry_default = False

    def honest_actions(self, state: it.IterativeState) -> list[it.Action]:
        silent = len(self.participants) - 1
        return [
            a
            for a in super().honest_actions(state)
            if not (isinstance(a, it.ProposalSubmission) and a.agent == silent)
        ]


ASSUMPTIONS: tuple[Variant[it.Iterative], ...] = (
    _variant(
        "silent_participant",
        "I6",
        "The seed's rule (no round timeout): the last participant never proposes, and the "
        "session blocks in proposal_collection.",
        SilentParticipant,
        _config(agents=2, max_rounds=1, texts=1, round_timeout=False),
        "deadlock",
        1,
    ),
)


# --- the portfolio's mutant: caught by the three-round preset, not by the default ----------


class ConvergenceNotAveraged(it.Iterative):
    """The convergence score is meant as a running mean of this round's similarity to
    the last and the last round's score, and is never divided: it is their sum. Round 1
    scores 0, so round 2's score is the spec's; from round 3 it exceeds the similarity,
    and 1."""

    def convergence(self, s: it.IterativeState) -> Fraction:
        last = s.similarity_history[-1] if s.similarity_history else Fraction(0)
        return super().convergence(s) + last


PORTFOLIO: tuple[Variant[it.Iterative], ...] = (
    _variant(
        "convergence_not_averaged",
        MUTANT,
        "The convergence score adds the last round's score to this round's similarity.",
        ConvergenceNotAveraged,
        preset_config(it.SPEC, "converged_early"),
        "scores_in_range",
        17,
    ),
)

# --- the restated properties' mutants (spec/restated/iterative.py): each caught by one ------


class ConvergenceAgainstFirstRound(it.Iterative):
    """The convergence score compares this round's proposals with the FIRST round's
    rather than the previous round's (the seed: `previous_proposals`). Rounds 1 and 2
    cannot tell; from round 3 the score is off. Early termination is off in its
    configuration, so no stopping decision reads the wrong score."""

    def convergence(self, s: it.IterativeState) -> Fraction:
        if not s.proposals_history:
            return Fraction(0)
        first = attrs.evolve(s, proposals_history=s.proposals_history[:1])
        return super().convergence(first)


class ConvergenceStrictThreshold(it.Iterative):
    """`>` for `>=` at the convergence threshold: a round whose score equals the
    threshold is not stopped."""

    def stopping_reason(self, s: it.IterativeState, record: it.RoundRecord) -> str | None:
        if s.early_termination_enabled:
            if record.convergence_score > s.convergence_threshold and len(s.proposals_history) > 1:
                return "convergence"
            if record.quality_score >= s.quality_threshold:
                return "quality"
        if record.round >= s.max_rounds:
            return "max_rounds"
        return None


class CompositeWeightsSwapped(it.Iterative):
    """The composite's feedback and confidence weights are swapped: 0.4 quality + 0.2
    feedback + 0.4 confidence. `selected_is_best` reads the same composites as the
    selection and cannot see it."""

    def composites(self, s: it.IterativeState) -> dict[int, Fraction]:
        assert s.quality_scores is not None
        feedback = self.feedback_scores(s)
        return {
            i: it.composite(s.quality_scores[i], sub.confidence, feedback[i])
            for i, sub in enumerate(s.round_proposals)
            if sub is not None
        }


class QualityStopsRegardless(it.Iterative):
    """Termination by quality ignores `early_termination_enabled`: a good enough
    proposal ends the session even when early termination is off."""

    def stopping_reason(self, s: it.IterativeState, record: it.RoundRecord) -> str | None:
        if record.quality_score >= s.quality_threshold:
            return "quality"
        return super().stopping_reason(s, record)


class RecordsTheBestQuality(it.Iterative):
    """A round's record carries the best quality of the round, not the selected
    proposal's: a round whose winner won on feedback or confidence is recorded (and
    judged by the quality rule) as better than it is."""

    def complete_round(self, s: it.IterativeState) -> it.IterativeState:
        assert s.quality_scores is not None
        best = max(q for q, sub in zip(s.quality_scores, s.round_proposals, strict=True) if sub)
        done = super().complete_round(s)
        last = done.proposals_history[-1]
        history = (*done.proposals_history[:-1], last._replace(quality_score=best))
        return attrs.evolve(done, proposals_history=history)


class ConsensusAgainstPrevious(it.Iterative):
    """The consensus level measures agreement with the proposal selected BEFORE this
    round (the initial one in round 1), not with the one this round selects."""

    def complete_round(self, s: it.IterativeState) -> it.IterativeState:
        before = s.current_proposal
        done = super().complete_round(s)
        agreeing = [self.similarity(sub.proposal, before) for sub in s.round_proposals if sub]
        return attrs.evolve(done, consensus_level=sum(agreeing, Fraction(0)) / len(agreeing))


RESTATED: tuple[Variant[it.Iterative], ...] = (
    _variant(
        "convergence_against_first_round",
        MUTANT,
        "The convergence score compares with the first round, not the previous one.",
        ConvergenceAgainstFirstRound,
        _config(agents=2, max_rounds=3, texts=2, early_termination=False),
        "convergence_recomputed",
        17,
    ),
    _variant(
        "convergence_strict_threshold",
        MUTANT,
        "Termination by convergence needs the score to exceed the threshold (> for >=).",
        ConvergenceStrictThreshold,
        it.IterativeConfig(agents=2, max_rounds=2, texts=2, convergence_threshold=Fraction(1)),
        "convergence_termination_justified",
        11,
    ),
    _variant(
        "composite_weights_swapped",
        MUTANT,
        "The composite weighs confidence 0.4 and feedback 0.2 (swapped).",
        CompositeWeightsSwapped,
        _config(agents=2, max_rounds=1, texts=1, confidence_levels=2),
        "selected_by_recomputed_composite",
        6,
    ),
    _variant(
        "quality_stops_regardless",
        MUTANT,
        "Termination by quality ignores early_termination_enabled.",
        QualityStopsRegardless,
        it.IterativeConfig(
            agents=2, max_rounds=2, texts=1, early_termination=False, quality_threshold=Fraction(0)
        ),
        "termination_reason_justified",
        5,
    ),
    _variant(
        "records_the_best_quality",
        MUTANT,
        "A round's record carries the round's best quality, not the selected proposal's.",
        RecordsTheBestQuality,
        _config(agents=2, max_rounds=1, texts=3, early_termination=False),
        "round_record_faithful",
        6,
    ),
    _variant(
        "consensus_against_previous",
        MUTANT,
        "The consensus level measures agreement with the previous round's selection.",
        ConsensusAgainstPrevious,
        _config(agents=2, max_rounds=1, texts=2, early_termination=False),
        "consensus_level_recomputed",
        5,
    ),
)

#: Every iterative-refinement variant, in the order `coordspec list --variants` shows them.
VARIANTS: tuple[Variant[it.Iterative], ...] = MUTANTS + ASSUMPTIONS + PORTFOLIO + RESTATED
