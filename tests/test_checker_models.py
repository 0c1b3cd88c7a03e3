"""The checker on classic models with known answers (tests/models/).

Die Hard, TCommit, a two-process mutex and k interchangeable counting agents: their
state counts, counterexamples, lassos, witnesses and deadlocks are known by hand (and
cross-checked by a naive BFS here), so each test pins an exact outcome. Every trace is
replayed through the model's own `step` from an initial state.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from math import comb
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_check.engine import CheckerError, Options, Progress, check, simulate
from model_check.result import CheckResult, Trace
from spec.core import (
    ConfigError,
    Eventually,
    Invariant,
    Model,
    Witness,
    eventually,
    invariant,
    leads_to,
    witness,
)
from tests.models import diehard, mutex, tcommit, tokens
from tests.models.diehard import DieHard, DieHardConfig, Jugs
from tests.models.mutex import CRITICAL, IDLE, WAITING, Mutex, MutexConfig, MutexState
from tests.models.tcommit import ABORTED, COMMITTED, TCommit, TCommitConfig, TCState
from tests.models.tokens import Increment, Tokens, TokensConfig

ALL = Options(stop_at_first=False)


# --- helpers -------------------------------------------------------------------------


def statuses(result: CheckResult) -> dict[str, str]:
    """Property name -> verdict."""
    return {p.name: p.status for p in result.properties}


def verdicts(result: CheckResult) -> dict[str, tuple[str, int | None]]:
    """Property name -> (verdict, trace length): what symmetry must not change."""
    return {p.name: (p.status, p.trace_length) for p in result.properties}


def counterexample(result: CheckResult, name: str) -> Trace:
    """The trace of the counterexample to the property `name`."""
    found = [c.trace for c in result.counterexamples if c.property == name]
    assert len(found) == 1, f"expected one counterexample to {name}, got {len(found)}"
    return found[0]


def assert_replays(model: Model[Any, Any], trace: Trace) -> None:
    """The trace starts in an initial state and each step is an enabled action's `step`."""
    first = trace.steps[0]
    assert first.action is None
    assert first.state in model.initial()
    for before, after in zip(trace.steps, trace.steps[1:], strict=False):
        assert (after.action, after.byzantine) in model.enabled(before.state)
        assert model.step(before.state, after.action) == after.state


def assert_fair_lasso(
    model: Model[Any, Any], trace: Trace, goal: Callable[[Any], bool], fair: Sequence[str]
) -> None:
    """The trace is a lasso avoiding `goal` that is weakly fair to the classes `fair`.

    As TLA+'s WF_vars: a class is enabled where one of its honest actions changes the
    state, and taken by a step that changes the state (a stutter takes nothing).
    """
    assert trace.loop is not None
    assert not any(goal(s.state) for s in trace.steps)
    cycle = trace.steps[trace.loop :]

    def enabled(state: Any) -> set[str]:
        return {
            model.action_class(a)
            for a, byzantine in model.enabled(state)
            if not byzantine and model.step(state, a) != state
        }

    if trace.loop == len(trace.steps) - 1:  # stuttering: no fair class enabled
        assert not enabled(cycle[0].state) & set(fair)
        return
    assert cycle[-1].state == cycle[0].state
    taken = {
        model.action_class(s.action)
        for before, s in itertools.pairwise(cycle)
        if not s.byzantine and s.state != before.state
    }
    for cls in fair:
        disabled = any(cls not in enabled(s.state) for s in cycle)
        assert cls in taken or disabled, f"{cls} is enabled throughout the cycle, never taken"


def reference_bfs(model: Model[Any, Any]) -> tuple[int, int, dict[Any, int]]:
    """An independent, naive BFS: (distinct states, generated states, state -> distance)."""
    distance: dict[Any, int] = {}
    queue: deque[Any] = deque()
    generated = 0
    for state in model.initial():
        generated += 1
        if state not in distance:
            distance[state] = 0
            queue.append(state)
    while queue:
        state = queue.popleft()
        for action, _ in model.enabled(state):
            generated += 1
            successor = model.step(state, action)
            if successor not in distance:
                distance[successor] = distance[state] + 1
                queue.append(successor)
    return len(distance), generated, distance


MODELS: list[tuple[str, Model[Any, Any]]] = [
    ("diehard", diehard.SPEC.model()),
    ("tcommit", tcommit.SPEC.model()),
    ("tcommit-4", tcommit.SPEC.model({"rms": "4"})),
    ("mutex", mutex.SPEC.model()),
    ("mutex-unfair", mutex.SPEC.model({"fair_release": "false"})),
    ("tokens", tokens.SPEC.model()),
    ("tokens-resets", tokens.SPEC.model({"resets": "true", "limit": "2"})),
    ("tokens-overflow", tokens.SPEC.model({"overflow": "true"})),
]


@pytest.mark.parametrize(("label", "model"), MODELS, ids=[label for label, _ in MODELS])
def test_counts_match_a_naive_bfs(label: str, model: Model[Any, Any]) -> None:
    distinct, generated, distance = reference_bfs(model)
    result = check(model, Options(stop_at_first=False, symmetry=False))
    assert result.complete
    assert (result.distinct_states, result.generated_states) == (distinct, generated)
    assert result.depth == max(distance.values())


@pytest.mark.parametrize(("label", "model"), MODELS, ids=[label for label, _ in MODELS])
def test_fingerprints_and_full_states_agree(label: str, model: Model[Any, Any]) -> None:
    for symmetry in (False, True):
        hashed = check(model, Options(stop_at_first=False, symmetry=symmetry))
        exact = check(model, Options(stop_at_first=False, symmetry=symmetry, fingerprints=False))
        assert hashed.fingerprints and not exact.fingerprints
        assert hashed.distinct_states == exact.distinct_states
        assert hashed.generated_states == exact.generated_states
        assert verdicts(hashed) == verdicts(exact)
        assert [c.trace for c in hashed.counterexamples] == [c.trace for c in exact.counterexamples]
        assert exact.collision_calculated is None and exact.collision_observed is None
        assert hashed.collision_calculated is not None


# --- Die Hard --------------------------------------------------------------------------


def test_diehard_shortest_solution_is_six_steps() -> None:
    model = diehard.SPEC.model()
    result = check(model)
    assert result.result == "violation"
    assert statuses(result)["big_not_4"] == "violated"
    trace = counterexample(result, "big_not_4")
    assert len(trace) == 6
    assert trace.loop is None
    assert trace.steps[-1].state.big == 4
    assert all(s.state.big != 4 for s in trace.steps[:-1])
    assert_replays(model, trace)
    # The naive BFS agrees that no 5-step solution exists.
    _, _, distance = reference_bfs(model)
    assert min(d for s, d in distance.items() if s.big == 4) == 6


def test_diehard_stopping_at_first_leaves_the_rest_unknown() -> None:
    result = check(diehard.SPEC.model())
    assert not result.complete
    assert result.incomplete_reason is not None
    assert statuses(result) == {
        "big_not_4": "violated",
        "type_ok": "unknown",
        "deadlock": "unknown",
        "both_full": "reached",
    }


def test_diehard_explores_sixteen_states() -> None:
    result = check(diehard.SPEC.model(), ALL)
    assert result.complete and result.incomplete_reason is None
    assert result.distinct_states == 16
    assert result.generated_states == 1 + 16 * 6  # every action is always enabled
    assert statuses(result) == {
        "big_not_4": "violated",
        "type_ok": "holds",
        "deadlock": "holds",
        "both_full": "reached",
    }
    assert result.result == "violation"
    assert dict(result.witness_traces)["both_full"].steps[-1].state == Jugs(small=3, big=5)


def test_diehard_other_capacities() -> None:
    # Only multiples of gcd(small, big) are ever in a jug. Solvable: fill the big jug of
    # 4; pour 2 out of a full 6 into the small jug; pour a full small jug of 4 into big.
    for small, big in ((2, 4), (2, 6), (4, 6)):
        result = check(DieHard(DieHardConfig(small=small, big=big)), ALL)
        assert statuses(result)["big_not_4"] == "violated", (small, big)
    result = check(DieHard(DieHardConfig(small=3, big=6)), ALL)  # only 0, 3 and 6
    assert result.result == "ok"
    assert statuses(result)["big_not_4"] == "holds"
    _, _, distance = reference_bfs(DieHard(DieHardConfig(small=3, big=6)))
    assert result.distinct_states == len(distance) == 6  # (0|3) x (0|3|6)


def test_stop_at_first_false_records_each_property() -> None:
    class Puzzles(DieHard):
        """Die Hard with two more claims to refute."""

        def invariants(self) -> Sequence[Invariant[Jugs]]:
            @invariant
            def small_not_1(state: Jugs) -> bool:
                """The small jug never holds 1 gallon (refuted in 4 steps)."""
                return state.small != 1

            @invariant
            def not_both_full(state: Jugs) -> bool:
                """Both jugs are never full at once (refuted in 2 steps)."""
                return not (state.small == 3 and state.big == 5)

            return (*super().invariants(), small_not_1, not_both_full)

    model = Puzzles(DieHardConfig())
    result = check(model, ALL)
    assert result.complete
    assert result.distinct_states == 16
    lengths = {c.property: len(c.trace) for c in result.counterexamples}
    assert lengths == {"big_not_4": 6, "small_not_1": 4, "not_both_full": 2}
    # Sorted shortest first, so `counterexample` is the shortest of all.
    assert [c.property for c in result.counterexamples] == [
        "not_both_full",
        "small_not_1",
        "big_not_4",
    ]
    assert result.counterexample is not None
    assert result.counterexample.property == "not_both_full"
    for c in result.counterexamples:
        assert_replays(model, c.trace)
    # Stopping at the first finds only the shallowest.
    first = check(model)
    assert [c.property for c in first.counterexamples] == ["not_both_full"]
    assert statuses(first)["big_not_4"] == "unknown"


def test_violation_in_an_initial_state_has_a_trace_of_no_steps() -> None:
    class Solved(DieHard):
        """Die Hard starting with 4 gallons in the big jug."""

        def initial(self) -> Sequence[Jugs]:
            return (Jugs(small=0, big=0), Jugs(small=0, big=4))

    model = Solved(DieHardConfig())
    result = check(model)
    trace = counterexample(result, "big_not_4")
    assert len(trace) == 0
    assert trace.steps[0].state == Jugs(small=0, big=4)
    assert_replays(model, trace)
    assert result.distinct_states == 2 and not result.complete


def test_simulation_is_deterministic_and_finds_the_solution() -> None:
    model = diehard.SPEC.model()
    found = [simulate(model, runs=200, depth=20, seed=seed) for seed in range(10)]
    violations = [r for r in found if r.result == "violation"]
    assert violations, "200 random walks of 20 steps never solved Die Hard, for 10 seeds"
    for result in violations:
        assert result.mode == "simulation" and not result.complete
        trace = counterexample(result, "big_not_4")
        assert len(trace) >= 6  # not a shortest one, but never shorter than one
        assert trace.steps[-1].state.big == 4
        assert_replays(model, trace)
    for seed in range(3):
        again = simulate(model, runs=200, depth=20, seed=seed)
        assert again.generated_states == found[seed].generated_states
        assert again.distinct_states == found[seed].distinct_states
        assert again.counterexamples == found[seed].counterexamples
        assert again.witness_traces == found[seed].witness_traces


def test_simulation_without_violation_decides_nothing_but_witnesses() -> None:
    result = simulate(tcommit.SPEC.model(), runs=200, depth=10, seed=1)
    assert result.result == "no_violation_found"
    # Every walk ends in a terminal state, after 3 (all abort) to 6 (all commit) steps.
    assert 200 * (1 + 3) <= result.generated_states <= 200 * (1 + 6)
    assert result.depth <= 6
    assert statuses(result) == {
        "tc_type_ok": "unknown",
        "tc_consistent": "unknown",
        "deadlock": "unknown",
        "some_committed": "reached",
        "all_aborted": "reached",
    }
    assert result.distinct_states <= 34


def test_simulation_finds_deadlocks_and_leaves_liveness_unknown() -> None:
    class CommitOnly(TCommit):
        def terminal_ok(self, state: TCState) -> bool:
            return all(s == COMMITTED for s in state.rm_state)

    model = CommitOnly(TCommitConfig())
    result = simulate(model, runs=200, depth=10, seed=3)
    assert statuses(result)["deadlock"] == "violated"
    trace = counterexample(result, "deadlock")
    assert trace.steps[-1].state.rm_state.count(ABORTED) == 3
    assert_replays(model, trace)
    walks = simulate(mutex.SPEC.model(), runs=5, depth=8, seed=0)
    assert statuses(walks)["lock_released"] == statuses(walks)["p1_enters"] == "unknown"
    assert walks.result == "no_violation_found"


# --- TCommit ---------------------------------------------------------------------------


def test_tcommit_has_34_states_and_holds() -> None:
    model = tcommit.SPEC.model()
    result = check(model)
    assert result.complete
    assert result.distinct_states == 34
    assert result.depth == 6  # prepare all three, then commit all three
    assert not result.symmetry  # symmetry_default is False
    assert result.result == "ok"
    assert statuses(result) == {
        "tc_type_ok": "holds",
        "tc_consistent": "holds",
        "deadlock": "holds",
        "some_committed": "reached",
        "all_aborted": "reached",
    }
    traces = dict(result.witness_traces)
    assert len(traces["some_committed"]) == 4  # prepare x3, then one commits
    assert len(traces["all_aborted"]) == 3
    for trace in traces.values():
        assert_replays(model, trace)


@pytest.mark.parametrize("rms", [1, 2, 3, 4, 5])
def test_tcommit_counts_by_hand(rms: int) -> None:
    # None committed: any of working/prepared/aborted each (3^n); otherwise every RM
    # is prepared or committed, and at least one committed (2^n - 1).
    model = TCommit(TCommitConfig(rms=rms))
    plain = check(model, Options(symmetry=False))
    assert plain.distinct_states == 3**rms + 2**rms - 1
    # Up to permutation: multisets of n over 3 values, and 1..n committed.
    reduced = check(model, Options(symmetry=True))
    assert reduced.symmetry
    assert reduced.distinct_states == comb(rms + 2, 2) + rms
    assert verdicts(reduced) == verdicts(plain)


def test_tcommit_symmetry_keeps_witness_traces_concrete() -> None:
    model = tcommit.SPEC.model({"rms": "4"})
    result = check(model, Options(symmetry=True))
    assert (result.distinct_states, result.result) == (19, "ok")
    for _, trace in result.witness_traces:
        assert_replays(model, trace)


def test_tcommit_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="rms"):
        tcommit.SPEC.model({"rms": "11"})
    with pytest.raises(ConfigError, match="rms"):
        TCommitConfig(rms=0)


def test_improper_terminal_state_is_a_deadlock() -> None:
    class CommitOnly(TCommit):
        """TCommit that (wrongly) calls only a committed transaction a proper end."""

        def terminal_ok(self, state: TCState) -> bool:
            return all(s == COMMITTED for s in state.rm_state)

    model = CommitOnly(TCommitConfig())
    result = check(model)
    assert result.result == "violation"
    assert statuses(result)["deadlock"] == "violated"
    trace = counterexample(result, "deadlock")
    assert len(trace) == 3  # each RM aborts
    assert trace.steps[-1].state == TCState((ABORTED,) * 3)
    assert model.enabled(trace.steps[-1].state) == []
    assert_replays(model, trace)
    # Without deadlock checking, the run is clean and reports no deadlock verdict.
    quiet = check(model, Options(check_deadlock=False))
    assert quiet.result == "ok" and "deadlock" not in statuses(quiet)


def test_unreached_witness_is_a_violation() -> None:
    class Hopeful(TCommit):
        """TCommit that hopes for a split decision, which TCConsistent rules out."""

        def witnesses(self) -> Sequence[Witness[TCState]]:
            @witness
            def split_decision(state: TCState) -> bool:
                """One RM committed and another aborted."""
                return COMMITTED in state.rm_state and ABORTED in state.rm_state

            return (*super().witnesses(), split_decision)

    result = check(Hopeful(TCommitConfig()))
    assert result.complete
    assert statuses(result)["split_decision"] == "unreached"
    assert statuses(result)["tc_consistent"] == "holds"
    assert result.counterexamples == ()
    assert result.result == "violation"
    # Unreached is only said of a complete run; a bounded one does not know.
    bounded = check(Hopeful(TCommitConfig()), Options(max_depth=2))
    assert statuses(bounded)["split_decision"] == "unknown"


def test_step_rejecting_an_enabled_action_is_a_checker_error() -> None:
    class Sloppy(TCommit):
        """Lists Prepare for every RM, even one that has already prepared."""

        def honest_actions(self, state: TCState) -> list[tcommit.Action]:
            return [tcommit.Prepare(rm) for rm in range(self.config.rms)]

    with pytest.raises(CheckerError, match="Prepare"):
        check(Sloppy(TCommitConfig()))


def test_max_depth_makes_the_run_incomplete() -> None:
    model = tcommit.SPEC.model()
    result = check(model, Options(max_depth=2))
    assert not result.complete
    assert result.incomplete_reason is not None and "max-depth" in result.incomplete_reason
    # Levels 0, 1 and 2 are stored, and level 2 is not expanded.
    assert result.distinct_states == sum(1 for d in reference_bfs(model)[2].values() if d <= 2)
    assert result.depth == 2
    assert statuses(result) == {
        "tc_type_ok": "unknown",
        "tc_consistent": "unknown",
        "deadlock": "unknown",
        "some_committed": "unknown",
        "all_aborted": "unknown",
    }
    assert result.result == "incomplete"


def test_max_states_makes_the_run_incomplete() -> None:
    model = tcommit.SPEC.model()
    result = check(model, Options(max_states=10))
    assert not result.complete
    assert result.distinct_states == 10
    assert result.incomplete_reason is not None and "max-states" in result.incomplete_reason
    assert set(statuses(result).values()) <= {"unknown", "reached"}
    assert statuses(result)["tc_consistent"] == "unknown"
    # A cap above the state count changes nothing.
    assert check(model, Options(max_states=35)).complete


def test_progress_is_reported() -> None:
    seen: list[Progress] = []
    model = tcommit.SPEC.model({"rms": "6"})
    result = check(model, Options(progress=seen.append, progress_interval=0.0))
    assert result.distinct_states == 3**6 + 2**6 - 1
    assert seen, "no progress report on a run of 792 states with a zero interval"
    for report in seen:
        assert 0 < report.distinct <= result.distinct_states
        assert report.generated <= result.generated_states
        assert report.rate >= 0.0


# --- the mutex: liveness ---------------------------------------------------------------


def test_mutex_state_count_and_safety() -> None:
    result = check(mutex.SPEC.model())
    assert result.distinct_states == 16
    assert statuses(result)["mutual_exclusion"] == "holds"
    assert statuses(result)["holder_is_critical"] == "holds"
    assert statuses(result)["deadlock"] == "holds"
    assert statuses(result)["p1_critical"] == "reached"
    assert statuses(result)["both_waiting"] == "reached"


def test_lock_released_holds_under_fair_release() -> None:
    result = check(Mutex(MutexConfig(fair_release=True)))
    assert result.complete
    assert statuses(result)["lock_released"] == "holds"
    assert "lock_released" not in {c.property for c in result.counterexamples}


def test_lock_released_fails_without_fair_release_by_stuttering() -> None:
    model = Mutex(MutexConfig(fair_release=False))
    result = check(model)
    assert statuses(result)["lock_released"] == "violated"
    trace = counterexample(result, "lock_released")
    # Request(0), Acquire(0), Request(1), then stutter: process 0 never releases.
    assert len(trace) == 3
    assert trace.loop == 3 == len(trace.steps) - 1
    last = trace.steps[-1].state
    assert last == MutexState(pc=(CRITICAL, WAITING), holder=0, released=False)
    fair = model.eventually()[0].fairness
    assert "release_0" not in fair
    assert_replays(model, trace)
    assert_fair_lasso(model, trace, lambda s: s.released, fair)


def test_starvation_is_a_proper_cycle() -> None:
    model = Mutex(MutexConfig(fair_release=True))
    result = check(model)
    assert statuses(result)["p1_enters"] == "violated"
    trace = counterexample(result, "p1_enters")
    assert trace.loop is not None
    assert trace.loop < len(trace.steps) - 1, "expected a cycle, not stuttering"
    assert trace.steps[-1].state == trace.steps[trace.loop].state
    cycle = {s.state for s in trace.steps[trace.loop :]}
    # Process 1 waits while process 0 requests, acquires and releases forever.
    assert cycle == {
        MutexState(pc=(pc0, WAITING), holder=0 if pc0 == CRITICAL else -1, released=True)
        for pc0 in (IDLE, WAITING, CRITICAL)
    }
    prop = model.eventually()[1]
    assert prop.name == "p1_enters" and "acquire_1" in prop.fairness
    assert_replays(model, trace)
    assert_fair_lasso(model, trace, prop.goal, prop.fairness)


def test_liveness_is_unknown_when_the_run_is_incomplete() -> None:
    result = check(mutex.SPEC.model(), Options(max_depth=3))
    assert statuses(result)["lock_released"] == "unknown"
    assert statuses(result)["p1_enters"] == "unknown"
    assert not result.counterexamples


def test_symmetry_flag_is_ignored_without_canonical() -> None:
    result = check(mutex.SPEC.model(), Options(symmetry=True))
    assert not result.symmetry
    assert result.distinct_states == 16


# --- tokens: symmetry ------------------------------------------------------------------


@pytest.mark.parametrize(("agents", "limit"), [(1, 1), (3, 1), (4, 1), (5, 1), (3, 2), (4, 3)])
def test_symmetry_reduction_by_hand(agents: int, limit: int) -> None:
    model = Tokens(TokensConfig(agents=agents, limit=limit))
    plain = check(model, Options(symmetry=False))
    reduced = check(model)  # symmetry_default is True
    assert reduced.symmetry and not plain.symmetry
    assert plain.distinct_states == (limit + 1) ** agents
    assert reduced.distinct_states == comb(agents + limit, agents)
    assert verdicts(reduced) == verdicts(plain)
    assert reduced.result == plain.result == "ok"


def test_binary_flags_two_to_the_k_against_k_plus_one() -> None:
    model = Tokens(TokensConfig(agents=4, limit=1))
    assert check(model, Options(symmetry=False)).distinct_states == 16
    assert check(model, Options(symmetry=True)).distinct_states == 5


@pytest.mark.parametrize(
    "values",
    [{}, {"resets": "true"}, {"overflow": "true"}, {"resets": "true", "overflow": "true"}],
    ids=["plain", "resets", "overflow", "both"],
)
def test_symmetry_keeps_every_verdict(values: dict[str, str]) -> None:
    model = tokens.SPEC.model({"agents": "4", "limit": "2", **values})
    plain = check(model, Options(symmetry=False, stop_at_first=False))
    reduced = check(model, Options(symmetry=True, stop_at_first=False))
    assert reduced.distinct_states < plain.distinct_states
    assert verdicts(reduced) == verdicts(plain)
    for c in reduced.counterexamples:
        assert_replays(model, c.trace)
        if c.kind == "eventually":
            prop = model.eventually()[0]
            assert_fair_lasso(model, c.trace, prop.goal, prop.fairness)


def test_overflow_mutant_breaks_the_invariant() -> None:
    model = tokens.SPEC.model({"overflow": "true"})
    for symmetry in (False, True):
        result = check(model, Options(symmetry=symmetry))
        assert statuses(result)["within_limit"] == "violated"
        trace = counterexample(result, "within_limit")
        assert len(trace) == 2  # one agent increments twice past limit 1
        assert [s.action for s in trace.steps[1:]] == [Increment(0), Increment(0)]
        assert max(trace.steps[-1].state.counts) == 2
        assert_replays(model, trace)


def test_resets_make_all_become_full_fail_with_a_cycle() -> None:
    model = tokens.SPEC.model({"resets": "true", "agents": "3", "limit": "2"})
    for symmetry in (False, True):
        result = check(model, Options(symmetry=symmetry))
        assert statuses(result)["all_become_full"] == "violated"
        trace = counterexample(result, "all_become_full")
        assert trace.loop is not None and trace.loop < len(trace.steps) - 1
        assert trace.steps[-1].state == trace.steps[trace.loop].state
        assert_replays(model, trace)
        prop = model.eventually()[0]
        assert_fair_lasso(model, trace, prop.goal, prop.fairness)
    # Without resets every counter fills: nothing else is possible under weak fairness.
    assert statuses(check(tokens.SPEC.model()))["all_become_full"] == "holds"


@settings(max_examples=25, deadline=None)
@given(
    agents=st.integers(1, 4),
    limit=st.integers(1, 3),
    resets=st.booleans(),
    overflow=st.booleans(),
)
def test_symmetry_verdicts_hypothesis(
    agents: int, limit: int, resets: bool, overflow: bool
) -> None:
    model = Tokens(TokensConfig(agents=agents, limit=limit, resets=resets, overflow=overflow))
    plain = check(model, Options(symmetry=False, stop_at_first=False))
    reduced = check(model, Options(symmetry=True, stop_at_first=False))
    values = limit + 2 if overflow else limit + 1
    assert plain.distinct_states == values**agents
    assert reduced.distinct_states == comb(agents + values - 1, agents)
    assert verdicts(reduced) == verdicts(plain)


def test_models_are_frozen_attrs() -> None:
    for cls in (Jugs, TCState, MutexState, tokens.TokensState, Increment, tcommit.Decide):
        assert attrs.has(cls)
        instance = cls(*(0 for _ in attrs.fields(cls)))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(instance, attrs.fields(cls)[0].name, 1)


# --- state constraints, and random models against brute force ------------------------


@attrs.frozen
class Tick:
    """Add one to the counter."""


@invariant
def below_5(state: int) -> bool:
    """The counter stays below 5 (true inside the constraint, false beyond it)."""
    return state < 5


class Bounded(Model[int, Tick]):
    """A counter that ticks forever, explored only up to 3 by its state constraint."""

    def initial(self) -> Sequence[int]:
        return (0,)

    def honest_actions(self, state: int) -> tuple[Tick, ...]:
        return (Tick(),)

    def step(self, state: int, action: Tick) -> int:
        return state + 1

    def invariants(self) -> Sequence[Invariant[int]]:
        return (below_5,)

    def constraint(self, state: int) -> bool:
        return state <= 3


def test_state_constraint_bounds_check_and_simulation_alike() -> None:
    model = Bounded()
    result = check(model)
    assert result.complete
    assert (result.distinct_states, result.generated_states) == (4, 5)
    assert statuses(result) == {"below_5": "holds", "deadlock": "holds"}
    walks = simulate(model, runs=5, depth=10, seed=0)
    assert walks.result == "no_violation_found"
    assert statuses(walks)["below_5"] == "unknown"
    assert walks.depth == 3 and walks.distinct_states == 4


def test_simulation_reports_a_step_that_rejects_an_enabled_action() -> None:
    class Sloppy(TCommit):
        """Lists Prepare for every RM, even one that has already prepared."""

        def honest_actions(self, state: TCState) -> list[tcommit.Action]:
            return [tcommit.Prepare(rm) for rm in range(self.config.rms)]

    with pytest.raises(CheckerError, match="Prepare"):
        simulate(Sloppy(TCommitConfig()), runs=10, depth=10, seed=0)


@attrs.frozen
class Edge:
    """Move to `target`; `cls` is the fairness class ("" for the adversary's moves)."""

    target: int
    cls: str


class RandomGraph(Model[int, Edge]):
    """A transition system given as adjacency lists, for liveness cross-checks."""

    def __init__(
        self,
        edges: Sequence[Sequence[tuple[int, str]]],
        goal: frozenset[int],
        fair: str,
        premise: frozenset[int] | None = None,
    ) -> None:
        self.edges = edges
        self.goal = goal
        self.fair = fair
        self.premise = premise  # None: `<>goal`; else `premise ~> goal`

    def initial(self) -> Sequence[int]:
        return (0,)

    def honest_actions(self, state: int) -> list[Edge]:
        return [Edge(t, c) for t, c in self.edges[state] if c]

    def byzantine_actions(self, state: int) -> list[Edge]:
        return [Edge(t, c) for t, c in self.edges[state] if not c]

    def step(self, state: int, action: Edge) -> int:
        return action.target

    def invariants(self) -> Sequence[Invariant[int]]:
        return ()

    def terminal_ok(self, state: int) -> bool:
        return True

    def action_class(self, action: Edge) -> str:
        return action.cls

    def action_classes(self) -> Sequence[str]:
        return ("", "a", "b", "c")

    def eventually(self) -> Sequence[Eventually[int]]:
        goal = self.goal

        def reach_goal(state: int) -> bool:
            return state in goal

        if self.premise is None:
            return (eventually(*self.fair)(reach_goal),)
        premise = self.premise
        return (leads_to(lambda state: state in premise, *self.fair)(reach_goal),)


def fair_loop_exists(model: RandomGraph) -> bool:
    """Brute force: some set of non-goal states reachable from 0 is a place to stutter
    (no fair class enabled) or a strongly connected set in which every fair class is
    taken or somewhere disabled."""

    def classes(v: int) -> set[str]:  # enabled: a step of the class that changes the state
        return {c for w, c in model.edges[v] if c and c in model.fair and w != v}

    starts = {0}
    if model.premise is not None:  # premise states reachable from 0, by any path
        seen, todo = {0}, [0]
        while todo:
            v = todo.pop()
            for w, _ in model.edges[v]:
                if w not in seen:
                    seen.add(w)
                    todo.append(w)
        starts = seen & model.premise
    starts -= model.goal
    if not starts:
        return False
    reach, stack = set(starts), list(starts)
    while stack:
        v = stack.pop()
        for w, _ in model.edges[v]:
            if w not in model.goal and w not in reach:
                reach.add(w)
                stack.append(w)
    if any(not classes(v) for v in reach):
        return True
    members = sorted(reach)
    for mask in range(1, 1 << len(members)):
        subset = {m for i, m in enumerate(members) if mask >> i & 1}
        inner = [(v, w, c) for v in subset for w, c in model.edges[v] if w in subset]
        if not inner:
            continue
        connected = True
        for src in subset:
            seen, todo = {src}, [src]
            while todo:
                v = todo.pop()
                for w, _ in model.edges[v]:
                    if w in subset and w not in seen:
                        seen.add(w)
                        todo.append(w)
            connected = connected and seen == subset
        if not connected:
            continue
        taken = {c for v, w, c in inner if w != v}  # a stutter takes no class
        if all(c in taken or any(c not in classes(v) for v in subset) for c in model.fair):
            return True
    return False


@st.composite
def random_models(draw: st.DrawFn) -> RandomGraph:
    n = draw(st.integers(1, 6))
    edge = st.tuples(st.integers(0, n - 1), st.sampled_from(["", "a", "b", "c"]))
    edges = [draw(st.lists(edge, max_size=3, unique=True)) for _ in range(n)]
    goal = frozenset(draw(st.sets(st.integers(0, n - 1), max_size=2)))
    fair = draw(st.sampled_from(["", "a", "ab", "abc"]))
    premise = draw(st.none() | st.frozensets(st.integers(0, n - 1), max_size=3))
    return RandomGraph(edges, goal, fair, premise)


@settings(max_examples=150, deadline=None)
@given(random_models())
def test_liveness_verdicts_agree_with_brute_force(model: RandomGraph) -> None:
    result = check(model)
    assert result.complete
    expected = "violated" if fair_loop_exists(model) else "holds"
    assert statuses(result)["reach_goal"] == expected
    if expected == "violated":
        trace = counterexample(result, "reach_goal")
        assert_replays(model, trace)
        if model.premise is None:
            assert_fair_lasso(model, trace, model.eventually()[0].goal, tuple(model.fair))
        else:  # from a premise state on, never the goal
            goal, steps = model.eventually()[0].goal, trace.steps
            starts = [
                i
                for i, s in enumerate(steps)
                if s.state in model.premise and not any(goal(t.state) for t in steps[i:])
            ]
            assert starts and trace.loop is not None
            start = min(starts[0], trace.loop)  # a premise state in the cycle recurs
            tail = Trace(steps[start:], trace.loop - start)
            assert_fair_lasso(model, tail, goal, tuple(model.fair))
