"""Iterative proposal refinement, as a pure transition system.

Source: Part 3 of the MABEAM seed ("Iterative Refinement Protocol"): the state of §3.2,
the events of §3.3 (`proposal_submission`, `feedback_submission`, `round_completion`,
`convergence_check`, `quality_assessment`, `phase_transition`, `early_termination`),
the convergence detection and selection algorithms of §3.4. Precedent: the Delphi
method (rounds of anonymous proposals, controlled feedback, a stopping rule fixed in
advance).

## The algorithm

Each round goes through four phases in order: `proposal_collection` (every participant
submits one proposal with a confidence), `feedback_collection` (participants score
each other's proposals in [0, 1]; never their own), `analysis` (the proposals' quality
is assessed, then the round is completed: the proposal with the highest composite score
0.4 quality + 0.4 feedback + 0.2 confidence is selected, and the convergence score is
computed against the previous round) and `transition` (the stopping rule is applied;
otherwise the next round starts). The session terminates by `convergence` (the
convergence score reaches the threshold), by `quality` (the selected proposal's quality
reaches the quality threshold), by `consensus` (an `early_termination` event) — each
only when `early_termination_enabled` — and always by `max_rounds`.

## Decisions where the seed is silent (each in spec/FINDINGS.md)

- Tokenisation: lower case, words are maximal runs of letters and digits.
  J(A, B) = |A & B| / |A | B|, and J(empty, empty) = 1 (the seed: "Empty sets are
  considered identical").
- Convergence is the mean of J(this round's proposal, last round's proposal) over the
  agents that proposed in both; with no such agent (the first round) it is 0, as the
  seed's `calculate_jaccard_similarity` returns 0.0 for no pairs.
- A second submission by an agent in one round is rejected (`already_submitted`), as is
  a second feedback on one target; proposal collection closes when every participant
  has submitted or, once one proposal is in, when the round's time is up (the seed's
  `round_timeout`: `phase_transition`), and feedback collection when every feedback on
  the round's proposals is in or on `phase_transition`, so a round never waits on one
  silent agent (FINDINGS I6). A feedback needs a proposal to score.
- The feedback score of a proposal is the mean of the scores other agents gave it;
  with none it is 1/2. Its quality is a function of its text (`quality`), recorded by
  `quality_assessment`; self-feedback is rejected and never counted.
- Ties in the composite score go to the proposal whose text comes first (string
  order), then to the more confident submission, and only between identical
  submissions to the lowest agent id — never to an order of insertion into a map.
  The selected proposal thus depends on what was proposed, not on who proposed it
  (Delphi's anonymity), which is also what makes the symmetry over participants sound.
- `consensus_level` is the mean Jaccard similarity of the round's proposals to the
  selected one.

## Bounds

Proposals are drawn from the first `texts` entries of `TEXTS` with confidences
k/`confidence_levels`; feedback scores from {0, 1/2, 1} cut to `feedback_levels`
values; `outsiders` extra agent ids may try to take part (and are rejected).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple, TypeVar

import attrs

from spec import sessions
from spec.core import (
    Config,
    Eventually,
    Guard,
    GuardedModel,
    Invariant,
    Preset,
    Specification,
    Witness,
    action_name,
    action_names,
    decode_event,
    eventually,
    guard,
    invariant,
    param,
    relabel,
    witness,
)
from spec.symmetry import Symmetry, agent_maps

T = TypeVar("T")

#: The proposals agents may submit (short texts; their word sets are what is compared).
TEXTS = (
    "plan a budget",
    "plan the budget",
    "cut the budget now",
    "plan a budget and a schedule",
)

#: Composite score weights (the seed's `select_best_proposal`).
QUALITY_WEIGHT = Fraction(2, 5)
FEEDBACK_WEIGHT = Fraction(2, 5)
CONFIDENCE_WEIGHT = Fraction(1, 5)
NO_FEEDBACK = Fraction(1, 2)

PHASES = ("proposal_collection", "feedback_collection", "analysis", "transition")
REASONS = ("max_rounds", "convergence", "quality", "consensus")

#: A word: a maximal run of letters and digits of any script (`\w` without "_").
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> frozenset[str]:
    """The word set of a text: lower case, maximal runs of letters and digits."""
    return frozenset(_WORD.findall(text.lower()))


def jaccard(a: str, b: str) -> Fraction:
    """|A & B| / |A | B| of the word sets; 1 when both are empty."""
    x, y = words(a), words(b)
    union = x | y
    return Fraction(len(x & y), len(union)) if union else Fraction(1)


def quality(text: str) -> Fraction:
    """The quality of a proposal: its share of the words of all `TEXTS` (in [0, 1]).

    A stand-in for the seed's unspecified `quality_assessment`: a deterministic function
    of the text, so that an assessment has one outcome.
    """
    vocabulary = frozenset().union(*(words(t) for t in TEXTS))
    return Fraction(len(words(text) & vocabulary), len(vocabulary))


Similarity = Callable[[str, str], Fraction]

#: The convergence methods (`convergence_method`); `semantic` and `custom` are pluggable
#: functions, Jaccard by default until a deployment registers its own.
METHODS: dict[str, Similarity] = {"jaccard": jaccard, "semantic": jaccard, "custom": jaccard}


# --- configuration ---------------------------------------------------------------------


@attrs.frozen
class IterativeConfig(Config):
    """The bounds of an iterative-refinement model."""

    agents: int = param(3, low=2, high=5, help="participants 0..agents-1")
    outsiders: int = param(0, low=0, high=2, help="extra agent ids that try to take part")
    max_rounds: int = param(2, low=1, high=4, help="the round bound (max_rounds)")
    texts: int = param(2, low=1, high=4, help="proposals drawn from the first TEXTS")
    confidence_levels: int = param(1, low=1, high=3, help="confidences k/levels")
    feedback_levels: int = param(1, low=1, high=3, help="feedback scores 1, 0, 1/2 (this many)")
    convergence_threshold: Fraction = param(
        Fraction(9, 10), low=Fraction(0), high=Fraction(1), help="similarity that stops"
    )
    quality_threshold: Fraction = param(
        Fraction(1), low=Fraction(0), high=Fraction(1), help="quality that stops"
    )
    early_termination: bool = param(True, help="early_termination_enabled")
    round_timeout: bool = param(
        True, help="phase_transition closes proposal_collection once a proposal is in"
    )
    method: str = param("jaccard", choices=tuple(METHODS), help="convergence_method")


# --- state -----------------------------------------------------------------------------


class Submission(NamedTuple):
    """§3.2's `proposal_submission` (reasoning, influences and time not modelled)."""

    proposal: str
    confidence: Fraction


class RoundRecord(NamedTuple):
    """§3.2's `proposal_round`: one finished round."""

    round: int
    proposals: tuple[Submission | None, ...]
    selected_agent: int
    selected_proposal: str
    quality_score: Fraction
    convergence_score: Fraction
    feedback_summary: tuple[Fraction, ...]


@attrs.frozen
class IterativeState:
    """The session state of §3.2."""

    current_round: int
    max_rounds: int
    initial_proposal: str
    current_proposal: str
    proposals_history: tuple[RoundRecord, ...]
    round_proposals: tuple[Submission | None, ...]
    feedback_collection: frozenset[tuple[int, int, Fraction]]
    feedback_weights: tuple[Fraction, ...]
    convergence_threshold: Fraction
    convergence_score: Fraction
    similarity_history: tuple[Fraction, ...]
    convergence_method: str
    quality_scores: tuple[Fraction, ...] | None
    quality_threshold: Fraction
    termination_reason: str | None
    early_termination_enabled: bool
    current_phase: str
    final_proposal: str | None
    consensus_level: Fraction


# --- actions (the seed's events) ---------------------------------------------------------


@attrs.frozen
class ProposalSubmission:
    """`agent` submits `proposal` for this round with `confidence`."""

    agent: int
    proposal: str
    confidence: Fraction


@attrs.frozen
class FeedbackSubmission:
    """`from_agent` scores `target_agent`'s proposal of this round."""

    from_agent: int
    target_agent: int
    score: Fraction


@attrs.frozen
class QualityAssessment:
    """The round's proposals are assessed (analysis phase)."""


@attrs.frozen
class RoundCompletion:
    """The best proposal is selected and the round recorded; the stopping rule applies."""


@attrs.frozen
class ConvergenceCheck:
    """The stopping rule is evaluated again (transition phase)."""


@attrs.frozen
class PhaseTransition:
    """Feedback collection closes, or the next round starts."""


@attrs.frozen
class EarlyTermination:
    """The coordinator ends the session by consensus (when early termination is on)."""


Action = (
    ProposalSubmission
    | FeedbackSubmission
    | QualityAssessment
    | RoundCompletion
    | ConvergenceCheck
    | PhaseTransition
    | EarlyTermination
)

EVENTS: dict[str, type] = {
    "proposal_submission": ProposalSubmission,
    "feedback_submission": FeedbackSubmission,
    "round_completion": RoundCompletion,
    "convergence_check": ConvergenceCheck,
    "quality_assessment": QualityAssessment,
    "phase_transition": PhaseTransition,
    "early_termination": EarlyTermination,
}


def from_event(event_type: str, data: Mapping[str, object]) -> Action:
    """The action of a seed event, or `GuardError` `unknown_iterative_event`."""
    action: Action = decode_event(EVENTS, "unknown_iterative_event", event_type, data)
    return action


def _subs(values: tuple[Submission | None, ...]) -> tuple[tuple[object, ...], ...]:
    """Submissions as comparable tuples (an empty slot is `()`)."""
    return tuple(() if v is None else tuple(v) for v in values)


def composite(quality_score: Fraction, feedback: Fraction, confidence: Fraction) -> Fraction:
    """§3.4: "base_quality * 0.4 + feedback_score * 0.4 + confidence_score * 0.2"."""
    return (
        QUALITY_WEIGHT * quality_score + FEEDBACK_WEIGHT * feedback + CONFIDENCE_WEIGHT * confidence
    )


# --- guards: when an event is accepted ------------------------------------------------------
#
# The seed's `validate_proposal_submission` and `validate_feedback_submission` are
# unspecified; these are the spec's rules (FINDINGS I1, I2, I6-I8), checked in this
# order: the first that fails is the one a refusal names.


@guard(
    quote="seed §3.2: `termination_reason: :max_rounds | :convergence | :quality | "
    ":consensus | nil`; silent on events after it is set: our decision, spec/FINDINGS.md I7",
    reason="the session has terminated",
)
def after_termination(m: Iterative, s: IterativeState, a: Action) -> bool:
    """The session has not terminated."""
    return s.termination_reason is None


def in_phase(expected: str, quote: str) -> Guard:
    """The guard `wrong_phase`: the session is in phase `expected` (§3.2's
    `current_phase`)."""

    def holds(m: Iterative, s: IterativeState, a: Action) -> bool:
        return s.current_phase == expected

    def reason(m: Iterative, s: IterativeState, a: Action) -> str:
        return f"{action_name(a)} needs {expected}, not {s.current_phase}"

    return Guard("wrong_phase", quote, holds, reason)


#: The seed's phases, which every `wrong_phase` guard checks.
_PHASES = (
    "seed §3.2: `current_phase: :proposal_collection | :feedback_collection | :analysis "
    "| :transition`"
)


@guard(
    "wrong_phase",
    quote="seed: the phase leaves proposal_collection by `transition_to_feedback_phase` "
    "when all have submitted; it, feedback and transition also close by event: our "
    "decision, spec/FINDINGS.md I6",
    reason="no transition out of {s.current_phase} by event",
)
def transition_phase(m: Iterative, s: IterativeState, a: PhaseTransition) -> bool:
    """The session is in a phase that `phase_transition` closes: feedback collection,
    transition, and (with the round timeout) proposal collection."""
    if s.current_phase == "proposal_collection":
        return m.config.round_timeout
    return s.current_phase in ("feedback_collection", "transition")


@guard(
    quote="seed §3.2: `round_timeout: pos_integer(), # Timeout per round in ms`, declared "
    "and never read: when the round's time is up, the phase moves on with the proposals "
    "at hand, if there is one: our decision, spec/FINDINGS.md I6",
    reason="no proposal of round {s.current_round} is in",
)
def no_proposals(m: Iterative, s: IterativeState, a: PhaseTransition) -> bool:
    """Out of proposal collection only with a proposal of the round in hand."""
    return s.current_phase != "proposal_collection" or any(
        sub is not None for sub in s.round_proposals
    )


@guard(
    quote='seed: `validate_proposal_submission(agent_id, iterative_state)`, "Validate '
    'submission timing and agent eligibility" (unspecified); spec/FINDINGS.md I1',
    reason="agent {a.agent} does not participate",
)
def not_participant(m: Iterative, s: IterativeState, a: ProposalSubmission) -> bool:
    """The proposer is a participant."""
    return a.agent in m.participants


def _outsider(m: Iterative, a: FeedbackSubmission) -> int | None:
    """The first of the feedback's two agents that is not a participant, if any."""
    for who in (a.from_agent, a.target_agent):
        if who not in m.participants:
            return who
    return None


@guard(
    "not_participant",
    quote="seed: `validate_feedback_submission(from_agent, target_agent, feedback, "
    "iterative_state)` (unspecified); both ends are participants: spec/FINDINGS.md I1",
    reason=lambda m, s, a: f"agent {_outsider(m, a)} does not participate",
)
def feedback_participants(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """Both the scorer and the scored agent are participants."""
    return _outsider(m, a) is None


@guard(
    quote="seed: `Map.put(iterative_state.round_proposals, agent_id, submission)` "
    "replaces an earlier one; rejected instead: our decision, spec/FINDINGS.md I7",
    reason="agent {a.agent} submitted this round",
)
def already_submitted(m: Iterative, s: IterativeState, a: ProposalSubmission) -> bool:
    """The agent has not submitted this round."""
    return s.round_proposals[a.agent] is None


@guard(
    quote="seed: `confidence = event_data[:confidence] || 0.5`, unchecked; our decision, "
    "spec/FINDINGS.md I7",
    reason="confidence {a.confidence!r}",
)
def confidence_out_of_range(m: Iterative, s: IterativeState, a: ProposalSubmission) -> bool:
    """The confidence is a Fraction or an int in [0, 1]."""
    return isinstance(a.confidence, Fraction | int) and 0 <= a.confidence <= 1


@guard(
    quote="seed §3.2: `proposal: term()`; the model's proposals are texts (their word "
    "sets are compared, §3.4): our decision, spec/FINDINGS.md I7",
    reason="a proposal is a text",
)
def malformed_proposal(m: Iterative, s: IterativeState, a: ProposalSubmission) -> bool:
    """The proposal is a text."""
    return isinstance(a.proposal, str)


@guard(
    quote='seed §3.4, `select_best_proposal`: "Feedback score (average of feedback from '
    'other agents)"; rejected, not only left out: spec/FINDINGS.md I2',
    reason="an agent may not score its own proposal",
)
def self_feedback(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """The scorer is not the scored agent."""
    return a.from_agent != a.target_agent


@guard(
    quote="seed §3.2, `feedback_data`: `target_proposal: term()`; the target's proposal "
    "of this round (with the round timeout, one may be missing): spec/FINDINGS.md I6",
    reason="agent {a.target_agent} has no proposal this round",
)
def no_target_proposal(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """The scored agent submitted a proposal this round."""
    return s.round_proposals[a.target_agent] is not None


@guard(
    quote="seed §3.2, `feedback_data`: `quality_score: float(), # 0.0 to 1.0`",
    reason="score {a.score!r}",
)
def score_out_of_range(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """The score is a Fraction or an int in [0, 1]."""
    return isinstance(a.score, Fraction | int) and 0 <= a.score <= 1


@guard(
    quote="seed: `Map.put(from_agent_feedback, target_agent, feedback)` replaces an "
    "earlier one; rejected instead: our decision, spec/FINDINGS.md I7",
    reason="this feedback was already given",
)
def already_given(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """The scorer has not yet scored this target this round."""
    return not any(f == a.from_agent and t == a.target_agent for f, t, _ in s.feedback_collection)


@guard(
    quote="seed silent (`handle_iterative_quality_assessment` is not given): one "
    "assessment per round, our decision, spec/FINDINGS.md I8",
    reason="this round is assessed",
)
def already_assessed(m: Iterative, s: IterativeState, a: QualityAssessment) -> bool:
    """The round's proposals are not assessed yet."""
    return s.quality_scores is None


@guard(
    quote="seed §3.4: `select_best_proposal` reads `Map.get(quality_scores, agent_id, "
    "0.5)`; assessed first, so the default never applies: spec/FINDINGS.md I8",
    reason="the round's quality is not assessed yet",
)
def assessed(m: Iterative, s: IterativeState, a: RoundCompletion) -> bool:
    """The round's proposals are assessed."""
    return s.quality_scores is not None


@guard(
    quote="seed §3.2: `early_termination_enabled: boolean()`",
    reason="early termination is off",
)
def early_termination_enabled(m: Iterative, s: IterativeState, a: EarlyTermination) -> bool:
    """Early termination is enabled."""
    return s.early_termination_enabled


#: The guards of each event, in the order they are checked.
GUARDS: Mapping[type, tuple[Guard, ...]] = {
    ProposalSubmission: (
        after_termination,
        not_participant,
        in_phase(
            "proposal_collection",
            'seed: `validate_proposal_submission`, "Validate submission timing"; ' + _PHASES,
        ),
        already_submitted,
        confidence_out_of_range,
        malformed_proposal,
    ),
    FeedbackSubmission: (
        after_termination,
        feedback_participants,
        in_phase("feedback_collection", _PHASES),
        self_feedback,
        no_target_proposal,
        score_out_of_range,
        already_given,
    ),
    QualityAssessment: (after_termination, in_phase("analysis", _PHASES), already_assessed),
    RoundCompletion: (after_termination, in_phase("analysis", _PHASES), assessed),
    ConvergenceCheck: (after_termination, in_phase("transition", _PHASES)),
    PhaseTransition: (after_termination, transition_phase, no_proposals),
    EarlyTermination: (
        after_termination,
        in_phase("transition", _PHASES),
        early_termination_enabled,
    ),
}


class Iterative(GuardedModel[IterativeState, Action]):
    """Iterative refinement over one configuration: see the module docstring."""

    symmetry_default = True
    guards = GUARDS

    #: Each agent's entry of the per-agent variables is its local part (`local_view`).
    local_fields = ("round_proposals", "feedback_weights")

    def log_agents(self) -> Sequence[int]:
        return self.participants

    def __init__(self, config: IterativeConfig) -> None:
        self.config = config
        self.participants = range(config.agents)
        self.ids = range(config.agents + config.outsiders)
        self.texts = TEXTS[: config.texts]
        self.confidences = tuple(
            Fraction(k, config.confidence_levels) for k in range(1, config.confidence_levels + 1)
        )
        self.scores = (Fraction(1), Fraction(0), Fraction(1, 2))[: config.feedback_levels]
        self.similarity = METHODS[config.method]
        self.symmetry = self.declared_symmetry()

    # -- derived values ----------------------------------------------------------------

    def feedback_scores(self, s: IterativeState) -> tuple[Fraction, ...]:
        """Each agent's feedback score: the mean of the scores others gave its proposal."""
        result = []
        for target in self.participants:
            given = [score for f, t, score in s.feedback_collection if t == target and f != target]
            result.append(sum(given, Fraction(0)) / len(given) if given else NO_FEEDBACK)
        return tuple(result)

    def composites(self, s: IterativeState) -> dict[int, Fraction]:
        """The composite score of each submitted proposal of the round."""
        assert s.quality_scores is not None
        feedback = self.feedback_scores(s)
        return {
            i: composite(s.quality_scores[i], feedback[i], sub.confidence)
            for i, sub in enumerate(s.round_proposals)
            if sub is not None
        }

    @staticmethod
    def rank(
        s: IterativeState, scores: Mapping[int, Fraction], i: int
    ) -> tuple[Fraction, str, Fraction, int]:
        """Agent i's place in the selection order (least is best): the higher composite
        score, then the text first in string order, then the higher confidence, then the
        lowest id (which decides only between identical submissions)."""
        sub = s.round_proposals[i]
        assert sub is not None
        return (-scores[i], sub.proposal, -sub.confidence, i)

    def select(self, s: IterativeState, scores: Mapping[int, Fraction]) -> int:
        """The agent whose proposal is selected: the least `rank`."""
        return min(scores, key=lambda i: self.rank(s, scores, i))

    def convergence(self, s: IterativeState) -> Fraction:
        """Mean similarity of this round's proposals to the same agents' last ones."""
        if not s.proposals_history:
            return Fraction(0)
        previous = s.proposals_history[-1].proposals
        pairs = [
            self.similarity(now.proposal, before.proposal)
            for now, before in zip(s.round_proposals, previous, strict=True)
            if now is not None and before is not None
        ]
        return sum(pairs, Fraction(0)) / len(pairs) if pairs else Fraction(0)

    def stopping_reason(self, s: IterativeState, record: RoundRecord) -> str | None:
        """The stopping rule fixed in the config, applied to a finished round."""
        if s.early_termination_enabled:
            if record.convergence_score >= s.convergence_threshold and len(s.proposals_history) > 1:
                return "convergence"
            if record.quality_score >= s.quality_threshold:
                return "quality"
        if record.round >= s.max_rounds:
            return "max_rounds"
        return None

    def all_submitted(self, s: IterativeState) -> bool:
        """Every participant has submitted this round."""
        return all(sub is not None for sub in s.round_proposals)

    def feedback_expected(self, s: IterativeState) -> int:
        """How many feedbacks complete the round's: each of its proposals scored by
        every other participant (n (n - 1) when all proposed)."""
        proposed = sum(sub is not None for sub in s.round_proposals)
        return proposed * (len(self.participants) - 1)

    # -- the contract ---------------------------------------------------------------------

    def initial(self) -> Sequence[IterativeState]:
        c = self.config
        n = c.agents
        return [
            IterativeState(
                current_round=1,
                max_rounds=c.max_rounds,
                initial_proposal=self.texts[0],
                current_proposal=self.texts[0],
                proposals_history=(),
                round_proposals=(None,) * n,
                feedback_collection=frozenset(),
                feedback_weights=(Fraction(1),) * n,
                convergence_threshold=c.convergence_threshold,
                convergence_score=Fraction(0),
                similarity_history=(),
                convergence_method=c.method,
                quality_scores=None,
                quality_threshold=c.quality_threshold,
                termination_reason=None,
                early_termination_enabled=c.early_termination,
                current_phase="proposal_collection",
                final_proposal=None,
                consensus_level=Fraction(0),
            )
        ]

    def candidates(self, s: IterativeState) -> list[Action]:
        """Every event worth trying, in a fixed order (the guards then decide)."""
        result: list[Action] = []
        for i in self.ids:
            for text in self.texts:
                for c in self.confidences:
                    result.append(ProposalSubmission(i, text, c))
        for f in self.participants:
            for t in self.participants:
                for score in self.scores:
                    result.append(FeedbackSubmission(f, t, score))
        result += [
            QualityAssessment(),
            RoundCompletion(),
            ConvergenceCheck(),
            PhaseTransition(),
            EarlyTermination(),
        ]
        return result

    def apply(self, s: IterativeState, a: Action) -> IterativeState:
        """The effect of an accepted event."""
        if isinstance(a, ProposalSubmission):
            sub = Submission(a.proposal, Fraction(a.confidence))
            proposals = (*s.round_proposals[: a.agent], sub, *s.round_proposals[a.agent + 1 :])
            s = attrs.evolve(s, round_proposals=proposals)
            if self.all_submitted(s):
                s = attrs.evolve(s, current_phase="feedback_collection")
            return s
        if isinstance(a, FeedbackSubmission):
            given = s.feedback_collection | {(a.from_agent, a.target_agent, Fraction(a.score))}
            s = attrs.evolve(s, feedback_collection=given)
            if len(given) == self.feedback_expected(s):
                s = attrs.evolve(s, current_phase="analysis")
            return s
        if isinstance(a, QualityAssessment):
            scores = tuple(
                quality(sub.proposal) if sub is not None else Fraction(0)
                for sub in s.round_proposals
            )
            return attrs.evolve(s, quality_scores=scores)
        if isinstance(a, RoundCompletion):
            return self.complete_round(s)
        if isinstance(a, ConvergenceCheck):
            reason = self.stopping_reason(s, s.proposals_history[-1])
            return self.terminate(s, reason) if reason else s
        if isinstance(a, PhaseTransition):
            if s.current_phase == "proposal_collection":  # the round's time is up
                return attrs.evolve(s, current_phase="feedback_collection")
            if s.current_phase == "feedback_collection":
                return attrs.evolve(s, current_phase="analysis")
            return attrs.evolve(
                s,
                current_round=s.current_round + 1,
                round_proposals=(None,) * len(self.participants),
                feedback_collection=frozenset(),
                quality_scores=None,
                current_phase="proposal_collection",
            )
        assert isinstance(a, EarlyTermination)
        return self.terminate(s, "consensus")

    def complete_round(self, s: IterativeState) -> IterativeState:
        """§3.3's round completion: select, record, measure convergence, stop or go on."""
        scores = self.composites(s)
        best = self.select(s, scores)
        chosen = s.round_proposals[best]
        assert chosen is not None and s.quality_scores is not None
        convergence = self.convergence(s)
        record = RoundRecord(
            round=s.current_round,
            proposals=s.round_proposals,
            selected_agent=best,
            selected_proposal=chosen.proposal,
            quality_score=s.quality_scores[best],
            convergence_score=convergence,
            feedback_summary=self.feedback_scores(s),
        )
        agreeing = [
            self.similarity(sub.proposal, chosen.proposal) for sub in s.round_proposals if sub
        ]
        s = attrs.evolve(
            s,
            proposals_history=(*s.proposals_history, record),
            current_proposal=chosen.proposal,
            convergence_score=convergence,
            similarity_history=(*s.similarity_history, convergence),
            consensus_level=sum(agreeing, Fraction(0)) / len(agreeing),
            current_phase="transition",
        )
        reason = self.stopping_reason(s, record)
        return self.terminate(s, reason) if reason else s

    @staticmethod
    def terminate(s: IterativeState, reason: str) -> IterativeState:
        """End the session with `reason`; the final proposal is the current one."""
        return attrs.evolve(s, termination_reason=reason, final_proposal=s.current_proposal)

    def terminal_ok(self, state: IterativeState) -> bool:
        """A terminated session is a proper end."""
        return state.termination_reason is not None

    def phase(self, state: IterativeState) -> str:
        """The seed's `current_phase` (§3.2), or `terminated: <reason>` once stopped."""
        if state.termination_reason is not None:
            return f"terminated: {state.termination_reason}"
        return state.current_phase

    # -- symmetry -----------------------------------------------------------------------

    def permute(self, s: IterativeState, p: Sequence[int]) -> IterativeState:
        """The state with participant i renamed p[i]."""

        def moved(values: tuple[T, ...]) -> tuple[T, ...]:
            return relabel(values, p)

        history = tuple(
            r._replace(
                proposals=moved(r.proposals),
                selected_agent=p[r.selected_agent],
                feedback_summary=moved(r.feedback_summary),
            )
            for r in s.proposals_history
        )
        return attrs.evolve(
            s,
            proposals_history=history,
            round_proposals=moved(s.round_proposals),
            feedback_collection=frozenset((p[f], p[t], x) for f, t, x in s.feedback_collection),
            quality_scores=None if s.quality_scores is None else moved(s.quality_scores),
        )

    @staticmethod
    def order_key(s: IterativeState) -> tuple[object, ...]:
        """A total order on the fields a permutation moves."""
        return (
            _subs(s.round_proposals),
            sorted(s.feedback_collection),
            s.quality_scores or (),
            tuple(
                (_subs(r.proposals), r.selected_agent, r.feedback_summary)
                for r in s.proposals_history
            ),
        )

    def renamings(self) -> tuple[tuple[int, ...], ...]:
        """Every permutation of the participants, the identity first."""
        return agent_maps(len(self.participants), self.participants)

    def declared_symmetry(self) -> Symmetry[IterativeState, tuple[int, ...]]:
        """`renamings` acting by `permute`, ordered by `order_key`; an image whose
        round proposals (the key's first entry) are already greater than the best's is
        dropped unbuilt."""

        def proposals_first(s: IterativeState, p: tuple[int, ...]) -> tuple[object, ...]:
            return (relabel(_subs(s.round_proposals), p),)

        return Symmetry(self.renamings(), self.permute, self.order_key, proposals_first, 1)

    def canonical(self, state: IterativeState) -> IterativeState:
        """The least image of the state under the permutations of participants.

        Renaming commutes with every event except in one place: the tie-break's last
        resort (the lowest id) between two agents whose submissions are identical and
        equally scored, where an image may record the other agent as `selected_agent`.
        The selected proposal, its scores and confidence are the same either way, and
        nothing but `selected_agent` differs, which no event reads and no property
        tells apart (`selected_is_best` compares ranks without the id). This is why the
        symmetry is sound for the properties stated here: none of them names an agent.
        (A tie-break by id alone is not: the images of one state would select different
        texts, and the reduced search would miss reachable states.)
        """
        return self.symmetry.representative(state)

    # -- properties -----------------------------------------------------------------------

    def invariants(self) -> Sequence[Invariant[IterativeState]]:
        from spec.restated.iterative import RESTATED  # it imports this module's types

        submitted = set(self.texts)

        @invariant
        def round_bound(s: IterativeState) -> bool:
            """current_round <= max_rounds."""
            return 1 <= s.current_round <= s.max_rounds

        @invariant
        def terminated_iff_reason(s: IterativeState) -> bool:
            """Terminated exactly when `termination_reason` is set (and then a final proposal)."""
            ended = s.termination_reason is not None
            return ended == (s.final_proposal is not None) and (
                s.termination_reason in (None, *REASONS)
            )

        @invariant
        def final_is_initial_or_submitted(s: IterativeState) -> bool:
            """The final proposal is the initial one or one that was submitted."""
            return s.final_proposal is None or s.final_proposal in submitted | {s.initial_proposal}

        @invariant
        def phases_in_order(s: IterativeState) -> bool:
            """Feedback and analysis only after every participant submitted this round
            (with the round timeout: after one did)."""
            if s.current_phase == "proposal_collection":
                return s.quality_scores is None and not s.feedback_collection
            submitted = [sub is not None for sub in s.round_proposals]
            return any(submitted) if self.config.round_timeout else all(submitted)

        @invariant
        def feedback_on_proposals(s: IterativeState) -> bool:
            """Every feedback scores a proposal of this round."""
            return all(s.round_proposals[t] is not None for _, t, _ in s.feedback_collection)

        @invariant
        def one_record_per_round(s: IterativeState) -> bool:
            """The history has one entry per finished round, in order."""
            finished = s.current_round if s.current_phase == "transition" else s.current_round - 1
            return [r.round for r in s.proposals_history] == list(range(1, finished + 1))

        @invariant
        def scores_in_range(s: IterativeState) -> bool:
            """Convergence and quality scores (and the consensus level) lie in [0, 1]."""
            values = [s.convergence_score, s.consensus_level, *s.similarity_history]
            values += [r.quality_score for r in s.proposals_history]
            values += list(s.quality_scores or ())
            return all(0 <= v <= 1 for v in values)

        @invariant
        def selected_is_best(s: IterativeState) -> bool:
            """The selected proposal has the highest composite score; ties as `rank`."""
            if s.current_phase != "transition" or s.quality_scores is None:
                return True
            record = s.proposals_history[-1]
            scores = self.composites(s)
            best = min(self.rank(s, scores, i)[:3] for i in scores)
            return self.rank(s, scores, record.selected_agent)[:3] == best

        @invariant
        def no_self_feedback(s: IterativeState) -> bool:
            """Feedback on oneself never counts (and is never recorded)."""
            return all(f != t for f, t, _ in s.feedback_collection)

        return [
            round_bound,
            terminated_iff_reason,
            final_is_initial_or_submitted,
            phases_in_order,
            feedback_on_proposals,
            one_record_per_round,
            scores_in_range,
            selected_is_best,
            no_self_feedback,
            *RESTATED,
        ]

    def witnesses(self) -> Sequence[Witness[IterativeState]]:
        @witness
        def converged_early(s: IterativeState) -> bool:
            """Termination by convergence before max_rounds."""
            return s.termination_reason == "convergence" and s.current_round < s.max_rounds

        @witness
        def ended_by_max_rounds(s: IterativeState) -> bool:
            """Termination by max_rounds."""
            return s.termination_reason == "max_rounds"

        @witness
        def feedback_overrules_confidence(s: IterativeState) -> bool:
            """A round selects a proposal that is not its own author's most confident bet:
            another agent was more confident, yet feedback and quality chose this one."""
            for r in s.proposals_history:
                subs = [x for x in r.proposals if x is not None]
                chosen = r.proposals[r.selected_agent]
                if chosen is not None and chosen.confidence < max(x.confidence for x in subs):
                    return True
            return False

        found: list[Witness[IterativeState]] = [ended_by_max_rounds]
        if self.config.max_rounds >= 3 and self.config.early_termination:
            found.insert(0, converged_early)
        if self.config.confidence_levels >= 2:
            found.append(feedback_overrules_confidence)
        return found

    def action_classes(self) -> Sequence[str]:
        """The fairness classes: one per kind of action, named as the action."""
        return action_names(Action)

    def eventually(self) -> Sequence[Eventually[IterativeState]]:
        @eventually(
            "proposal_submission",
            "quality_assessment",
            "round_completion",
            "phase_transition",
        )
        def terminates(s: IterativeState) -> bool:
            """Every fair run terminates, within max_rounds rounds.

            Fairness: weak fairness of proposal submission, quality assessment, round
            completion and phase transitions (the coordinator moves on); feedback is not
            required. Proposal submission is one class: while some participant can
            propose, some proposal is made, so one participant's proposal a round
            suffices, the round timeout closing the round without the others (FINDINGS
            I6); without the timeout, every participant must propose.
            """
            return s.termination_reason is not None

        return [terminates]


#: The named configurations (`coordspec check iterative --preset NAME`). The default
#: decides every property, `terminates` included, so no separate liveness bound. Those
#: marked `portfolio` are what `coordspec check iterative` checks, one after the other
#: (converged_early catches spec/variants/iterative.py's `PORTFOLIO` mutant, which the
#: default's two rounds miss).
PRESETS: tuple[Preset, ...] = (
    Preset(
        "default",
        "3 agents, 2 rounds, 2 texts: every property decided (convergence before "
        "max_rounds needs 3 rounds: see converged_early)",
        portfolio=True,
    ),
    Preset(
        "converged_early",
        "2 agents, 3 rounds, 2 texts: a third round, measured against the second, and a "
        "session that ends by convergence before max_rounds (the witness converged_early)",
        {"agents": "2", "max_rounds": "3", "texts": "2"},
        portfolio=True,
    ),
    Preset(
        "i3_symmetry_classes",
        "FINDINGS I3: 3 agents, 1 round, where the reduced run visits exactly the 581 "
        "symmetry classes of the 2,905 reachable states (up to the selected_agent of a "
        "tie between identical submissions)",
        {"max_rounds": "1"},
    ),
    Preset(
        "small",
        "2 agents, 1 round, 1 text: every witness reached in a few hundred states, for "
        "quick conformance runs",
        {"agents": "2", "max_rounds": "1", "texts": "1"},
    ),
)

SPEC = Specification(
    name="iterative",
    summary="iterative proposal refinement with Jaccard convergence (seed Part 3)",
    config_type=IterativeConfig,
    build=Iterative,
    events=EVENTS,
    decode=from_event,
    presets=PRESETS,
    session=sessions.ITERATIVE_SESSION,
)
