"""PBFT: pinned state counts, witnesses, the mutant suite, guards and random walks."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from model_check.engine import Options, check
from model_check.result import CheckResult
from spec import pbft
from spec.core import (
    ConfigError,
    GuardError,
    action_name,
    action_name_of,
    action_names,
    declared_guards,
    make_config,
)
from tests.harness.discoveries import assert_witnesses_pinned
from tests.harness.profiles import walk_settings
from tests.harness.specs import pinned_counterexample, replay, statuses
from tests.harness.tracing import untraced
from tests.mutants.pbft import (
    MUTANTS,
    SEED_MUTANTS,
    AcceptsTwoPrePrepares,
    Mutant,
    SeedPrepareRule,
)


@pytest.fixture(scope="module")
def default_result() -> CheckResult:
    with untraced():  # tests/harness/tracing.py
        return check(pbft.SPEC.build(pbft.PbftConfig()), Options(symmetry=False))


@pytest.fixture(scope="module")
def reduced_result() -> CheckResult:
    """The default check, with the model's default symmetry (as `coordspec check`)."""
    with untraced():  # tests/harness/tracing.py
        return check(pbft.SPEC.build(pbft.PbftConfig()), Options())


def test_quorums_come_from_the_paper() -> None:
    assert [pbft.max_faulty(n) for n in (1, 3, 4, 6, 7, 10, 100)] == [0, 0, 1, 1, 2, 3, 33]
    # at the paper's n = 3f + 1 the quorum is 2f + 1 ...
    assert (pbft.prepare_quorum(4, 1), pbft.commit_quorum(4, 1)) == (2, 3)
    assert (pbft.view_change_quorum(7, 2), pbft.checkpoint_quorum(7, 2)) == (5, 5)
    assert pbft.committed_quorum(10, 3) == 4
    # ... and ceil((n + f + 1) / 2) elsewhere (P8): n = 5 and 6 with f = 1 need 4, not 3
    assert [pbft.quorum(n, pbft.max_faulty(n)) for n in (4, 5, 6, 7, 100)] == [3, 4, 4, 5, 67]


def test_default_config_passes_exhaustively(default_result: CheckResult) -> None:
    result = default_result
    assert result.result == "ok" and result.complete
    assert (result.distinct_states, result.generated_states, result.depth) == (45849, 126246, 21)
    assert set(statuses(result).values()) == {"holds", "reached"}
    lengths = {name: len(trace) for name, trace in result.witness_traces}
    assert lengths == {
        "executed_in_view_0": 6,
        "executed_after_view_change": 10,
        "view_change_despite_equivocation": 7,
    }


def test_witness_traces_replay(default_result: CheckResult) -> None:
    model = pbft.Pbft(pbft.PbftConfig())
    for name, trace in default_result.witness_traces:
        replay(model, trace)
        witness = next(w for w in model.witnesses() if w.name == name)
        assert witness.reached(trace.steps[-1].state)
        assert not any(witness.reached(s.state) for s in trace.steps[:-1])


@pytest.mark.parametrize(
    ("values", "distinct"),
    [
        ({"faulty": "3"}, 13016),
        ({"faulty": "2"}, 13016),
        ({"faulty": "3", "adversary": "silent"}, 985),
        ({"max_view": "0"}, 45),
        ({"requests": "1"}, 3680),
    ],
)
@pytest.mark.untraced
def test_pinned_state_counts(values: dict[str, str], distinct: int) -> None:
    """Symmetry-reduced counts (the default for PBFT)."""
    result = check(pbft.SPEC.model(values), Options())
    assert result.result == "ok", [p for p in result.properties if p.failed()]
    assert result.symmetry
    assert result.distinct_states == distinct


def test_symmetry_keeps_every_verdict(
    default_result: CheckResult, reduced_result: CheckResult
) -> None:
    """Interchangeable backups (2, 3) and requests (1, 2): 4 symmetries, 3.9x fewer states."""
    model = pbft.Pbft(pbft.PbftConfig())
    assert len(model.symmetries()) == 4
    reduced = reduced_result
    assert reduced.symmetry and not default_result.symmetry
    assert (reduced.distinct_states, reduced.generated_states) == (11715, 32256)
    assert statuses(reduced) == statuses(default_result)
    assert {n: len(t) for n, t in reduced.witness_traces} == {
        n: len(t) for n, t in default_result.witness_traces
    }
    for _, trace in reduced.witness_traces:
        replay(model, trace)  # the reduced run's traces are concrete runs


def test_witness_traces_are_the_pinned_ones(reduced_result: CheckResult) -> None:
    assert_witnesses_pinned("pbft", reduced_result)


def test_permutation_is_an_automorphism() -> None:
    """Permuting a reachable state and its successors commutes with `step`."""
    model = pbft.Pbft(pbft.PbftConfig())
    state = _state(model, pbft.Request(1), pbft.Request(2), pbft.Prepare(2, 0, 1, 1))
    for r, d in model.symmetries():
        image = model.permute(state, r, d)
        assert model.canonical(image) == model.canonical(state)
        images = {model.permute(model.step(state, a), r, d) for a in model.honest_actions(state)}
        assert images == {model.step(image, a) for a in model.honest_actions(image)}
        assert [inv.holds(image) for inv in model.invariants()] == [
            inv.holds(state) for inv in model.invariants()
        ]


@pytest.mark.parametrize("mutant", MUTANTS + SEED_MUTANTS, ids=lambda m: m.name)
def test_mutant_is_caught(mutant: Mutant) -> None:
    model, cex = pinned_counterexample(mutant)
    assert (cex.property, len(cex.trace)) == (mutant.property, mutant.length)
    replay(model, cex.trace)


@pytest.mark.untraced
def test_correct_spec_holds_where_the_mutants_break() -> None:
    """The configurations the mutants use are fine for the real protocol."""
    for values in (
        {},
        {"faulty": "3", "adversary": "silent"},
        {"replicas": "5", "max_view": "0"},  # P8: the quorum is 4 at n = 5
    ):
        assert check(pbft.SPEC.model(values), Options()).result == "ok"


def test_seed_prepare_rule_loses_liveness_with_a_silent_backup() -> None:
    """2f + 1 prepares while the primary sends none: with one backup silent only 2f come."""
    model = SeedPrepareRule(pbft.PbftConfig(faulty=(3,), adversary="silent"))
    result = check(model, Options())
    assert statuses(result)["all_answered"] == "violated"
    cex = result.counterexample
    assert cex is not None and cex.trace.loop == len(cex.trace.steps) - 1  # stutters
    final = cex.trace.steps[-1].state
    assert all(len(final.executed[i]) == 0 for i in model.honest)
    assert model.honest_actions(final) == []  # nothing left that an honest replica can do
    # Safety is not what breaks:
    assert all(p.status != "violated" for p in result.properties if p.kind == "invariant")
    # Nor only `<>`: the leads-to from "a request while the primary is honest" breaks too.
    everything = check(model, Options(stop_at_first=False))
    assert {p.name: (p.status, p.trace_length) for p in everything.properties}[
        "requests_answered"
    ] == ("violated", 11)


def test_liveness_is_not_claimed_with_a_faulty_last_primary() -> None:
    model = pbft.SPEC.model({"max_view": "0"})
    assert model.eventually() == []
    assert [w.name for w in model.witnesses()] == ["executed_in_view_0"]


def _state(model: pbft.Pbft, *actions: pbft.Action) -> pbft.PbftState:
    state = model.initial()[0]
    for a in actions:
        state = model.step(state, a)
    return state


@pytest.mark.parametrize(
    ("action", "guard"),
    [
        (pbft.Request(5), "is_value"),
        (pbft.Request(1), "not_sent"),
        (pbft.PrePrepare(0, 0, 1, 1), "is_honest"),
        (pbft.PrePrepare(2, 0, 1, 1), "is_primary"),
        (pbft.Prepare(1, 0, 1, 1), "no_conflicting_pre_prepare"),
        (pbft.Prepare(1, 1, 1, 1), "in_view"),
        (pbft.Prepare(2, 0, 2, 1), "in_watermarks"),
        (pbft.Commit(1, 0, 1, 1), "prepared"),
        (pbft.Execute(1, 0, 2, 1), "in_order"),
        (pbft.Execute(1, 0, 1, 1), "committed_local"),
        (pbft.Timeout(1, 3), "next_view"),
        (pbft.Timeout(0, 1), "is_honest"),
        (pbft.NewView(2, 1, 0, (), frozenset()), "is_honest_primary"),
        (pbft.NewView(1, 1, 0, (), frozenset()), "view_changing"),
        (pbft.AcceptNewView(2, 1, 0, (), frozenset()), "valid_new_view"),
        (pbft.AcceptNewView(1, 1, 0, (), frozenset()), "is_honest_backup"),
        (pbft.StableCheckpoint(2, 0, ()), "newer"),
        (pbft.StableCheckpoint(0, 1, ()), "is_honest"),
    ],
)
def test_guards_name_what_failed(action: pbft.Action, guard: str) -> None:
    model = pbft.Pbft(pbft.PbftConfig())
    state = _state(model, pbft.Request(1), pbft.Request(2), pbft.Prepare(1, 0, 1, 2))
    with pytest.raises(GuardError) as caught:
        model.step(state, action)
    assert caught.value.guard == guard
    assert caught.value.action == action_name(action)


def test_honest_primary_guards() -> None:
    model = pbft.Pbft(pbft.PbftConfig(faulty=(3,)))
    state = _state(model, pbft.Request(1), pbft.PrePrepare(0, 0, 1, 1))
    cases: list[tuple[pbft.Action, str]] = [
        (pbft.PrePrepare(0, 0, 1, 2), "requested"),
        (pbft.Prepare(0, 0, 1, 1), "is_backup"),
        (pbft.Prepare(1, 0, 1, 2), "has_pre_prepare"),
        (pbft.Commit(1, 0, 1, 1), "prepared"),
    ]
    for action, guard in cases:
        with pytest.raises(GuardError) as caught:
            model.step(state, action)
        assert caught.value.guard == guard
    both = _state(model, pbft.Request(1), pbft.Request(2), pbft.PrePrepare(0, 0, 1, 1))
    with pytest.raises(GuardError) as caught:
        model.step(both, pbft.PrePrepare(0, 0, 1, 2))
    assert caught.value.guard == "next_seq"
    with pytest.raises(GuardError) as caught:
        model.step(both, pbft.PrePrepare(0, 0, 2, 2))
    assert caught.value.guard == "in_watermarks"
    longer = pbft.Pbft(pbft.PbftConfig(faulty=(3,), max_seq=2))
    both = _state(longer, pbft.Request(1), pbft.Request(2), pbft.PrePrepare(0, 0, 1, 1))
    with pytest.raises(GuardError) as caught:
        longer.step(both, pbft.PrePrepare(0, 0, 2, 1))
    assert caught.value.guard == "not_assigned"
    prepared = _state(
        model,
        pbft.Request(1),
        pbft.PrePrepare(0, 0, 1, 1),
        pbft.Prepare(1, 0, 1, 1),
        pbft.Prepare(2, 0, 1, 1),
        pbft.Commit(1, 0, 1, 1),
    )
    with pytest.raises(GuardError) as caught:
        model.step(prepared, pbft.Commit(1, 0, 1, 1))
    assert caught.value.guard == "not_sent"


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"faulty": "4"}, "faulty: replica 4 does not exist (0..3)"),
        ({"faulty": "0,1"}, "faulty: 2 faulty replicas need n >= 7, got n = 4"),
        ({"replicas": "11"}, "replicas: expected an integer in 1..10"),
        ({"adversary": "sneaky"}, "adversary: expected one of byzantine, silent"),
    ],
)
def test_bad_configs(values: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(pbft.PbftConfig, values)
    assert fragment in str(caught.value)


#: Request 1 is pre-prepared by 0, prepared by 1 and 2, committed and executed by 0 and 1
#: (replica 2 lags; 3 is faulty).
EXECUTED_BY_0_AND_1: tuple[pbft.Action, ...] = (
    pbft.Request(1),
    pbft.PrePrepare(0, 0, 1, 1),
    pbft.Prepare(1, 0, 1, 1),
    pbft.Prepare(2, 0, 1, 1),
    pbft.Commit(0, 0, 1, 1),
    pbft.Commit(1, 0, 1, 1),
    pbft.Execute(0, 0, 1, 1),
    pbft.Execute(1, 0, 1, 1),
)


def test_checkpoints_and_state_transfer() -> None:
    """With K = 1 a lagging replica adopts a stable checkpoint's state (§4.3)."""
    model = pbft.Pbft(pbft.PbftConfig(faulty=(3,), checkpoint_interval=1, log_size=1))
    steps = EXECUTED_BY_0_AND_1
    state = _state(model, *steps)
    assert {c.replica for c in state.checkpoints} == {0, 1}
    assert model.stable_proofs(state) >= {(1, (1,))}
    lagging = model.step(state, pbft.StableCheckpoint(2, 1, (1,)))
    assert lagging.stable[2] == 1 and lagging.executed[2] == (1,)
    with pytest.raises(GuardError) as caught:
        model.step(lagging, pbft.Prepare(2, 0, 1, 1))
    assert caught.value.guard == "in_watermarks"
    assert all(inv.holds(lagging) for inv in model.invariants())


class RandomSchedules(RuleBasedStateMachine):
    """Adversarial schedules beyond the exhaustive bounds: n = 4, views 0..2, seq 1..2.

    Each rule application picks one enabled action (honest or the adversary's implicit
    help), as a scheduler controlled by the adversary would; every invariant must hold
    after every step, and every step must replay through `step`'s guards.
    """

    def __init__(self) -> None:
        super().__init__()
        self.model = pbft.Pbft(
            pbft.PbftConfig(max_view=2, max_seq=2, checkpoint_interval=1, log_size=2)
        )
        self.state: Any = None

    @initialize(faulty=st.sampled_from([(0,), (1,), (3,), ()]))
    def start(self, faulty: tuple[int, ...]) -> None:
        self.model = pbft.Pbft(attrs.evolve(self.model.config, faulty=faulty))
        self.state = self.model.initial()[0]

    @rule(pick=st.integers(min_value=0, max_value=10_000))
    def schedule(self, pick: int) -> None:
        enabled = self.model.honest_actions(self.state)
        if enabled:
            action = enabled[pick % len(enabled)]
            self.state = self.model.step(self.state, action)

    @invariant()
    def spec_invariants_hold(self) -> None:
        if self.state is not None:
            for inv in self.model.invariants():
                assert inv.holds(self.state), inv.name


TestRandomSchedules = RandomSchedules.TestCase
TestRandomSchedules.settings = walk_settings(40)


@pytest.mark.parametrize("replica", [4, -1, 10**6])
def test_a_replica_out_of_range_is_a_named_guard(replica: int) -> None:
    """A trace naming replica 4 of 4 (or -1) is rejected by a guard, not an IndexError."""
    model = pbft.SPEC.build(pbft.PbftConfig())
    (s,) = model.initial()
    for action in (
        pbft.Prepare(replica, 0, 1, 1),
        pbft.Timeout(replica, 1),
        pbft.Execute(replica, 0, 1, 1),
    ):
        with pytest.raises(GuardError) as err:
            model.step(s, action)
        assert err.value.guard == "is_replica"


# --- what a step relied on of the faulty replicas' implicit messages ------------------


def relied_by_kind(
    config: pbft.PbftConfig, max_states: int | None = None
) -> tuple[pbft.Pbft, dict[str, set[tuple[str, ...]]]]:
    """Every explored step's `relied_on`, by action kind (the non-empty ones)."""
    model = pbft.Pbft(config)
    found: dict[str, set[tuple[str, ...]]] = {}

    def on_edge(state: Any, action: Any, byzantine: bool, successor: Any) -> None:
        relied = model.relied_on(state, action)
        assert all(isinstance(r.sender, int) and r.sender in model.faulty for r in relied)
        uses = tuple(map(str, relied))
        if isinstance(action, pbft.Commit | pbft.Execute):
            # derived from the counted quorum: the faulty prepares complete the honest ones
            table = model.senders(state)
            key = (action.view, action.seq, action.digest)
            honest = set(table.prepares.get(key, ())) - {model.primary(action.view)}
            faulty = [u for u in uses if u.startswith("PREPARE")]
            assert len(faulty) == max(0, model.q_prepare - len(honest))
        if uses:
            found.setdefault(action_name(action), set()).add(uses)

    options = Options(on_edge=on_edge, check_liveness=False, max_states=max_states)
    check(model, options)
    return model, found


@pytest.mark.untraced
def test_relied_on_names_the_faulty_messages_each_step_counted() -> None:
    _, found = relied_by_kind(pbft.PbftConfig())
    # the faulty primary of view 0 equivocates: one pre-prepare per request
    assert found["prepare"] == {
        ("PRE-PREPARE(v0, n1, d1) from faulty 0",),
        ("PRE-PREPARE(v0, n1, d2) from faulty 0",),
    }
    assert ("COMMIT(v0, n1, d1) from faulty 0",) in found["execute"]
    assert found["commit"] == {("PREPARE(v1, n1, d1) from faulty 0",)}
    assert found["new_view"] == {
        ("VIEW-CHANGE(v1, n0, P={}) from faulty 0",),
        ("VIEW-CHANGE(v1, n0, P={(v0, n1, d1)}) from faulty 0",),
        ("VIEW-CHANGE(v1, n0, P={(v0, n1, d2)}) from faulty 0",),
    }
    assert set(found) == {"prepare", "commit", "execute", "new_view"}


@pytest.mark.untraced
def test_relied_on_a_faulty_new_primary_and_checkpoints() -> None:
    _, found = relied_by_kind(pbft.PbftConfig(faulty=(1,)))
    assert ("NEW-VIEW(v1, n0, O={(n1, d1)}) from faulty 1",) in found["accept_new_view"]
    assert (
        "NEW-VIEW(v1, n0, O={(n1, d1)}) from faulty 1",
        "VIEW-CHANGE(v1, n0, P={(v0, n1, d1)}) from faulty 1",
    ) in found["accept_new_view"]
    config = pbft.PbftConfig(faulty=(3,), requests=1, checkpoint_interval=1)
    _, found = relied_by_kind(config, max_states=20_000)
    assert found["stable_checkpoint"] == {("CHECKPOINT(n1, <<1>>) from faulty 3",)}
    assert ("VIEW-CHANGE(v1, n1, C=<<1>>, P={}) from faulty 3",) in found["new_view"]
    assert (
        "PREPARE(v0, n1, d1) from faulty 3",
        "COMMIT(v0, n1, d1) from faulty 3",
    ) in found["execute"]


def test_relied_on_nothing_without_a_byzantine_adversary_or_an_enabled_action() -> None:
    _, found = relied_by_kind(pbft.PbftConfig(adversary="silent", requests=1))
    assert found == {}
    model = pbft.Pbft(pbft.PbftConfig())
    (s0,) = model.initial()
    assert model.relied_on(s0, pbft.Prepare(1, 0, 1, 1)) == ()  # no request 1 yet
    assert model.relied_on(s0, pbft.Request(1)) == ()


def test_actor_names_a_replica_by_id_only_where_no_symmetry_moves_it() -> None:
    model = pbft.Pbft(pbft.PbftConfig())  # primaries 0 (faulty) and 1; 2 and 3 symmetric
    assert model.actor(pbft.Request(1)) == "client"
    assert model.actor(pbft.Prepare(1, 0, 1, 1)) == "replica 1"
    assert model.actor(pbft.Prepare(2, 0, 1, 1)) == model.actor(pbft.Prepare(3, 0, 1, 1))
    assert model.actor(pbft.Prepare(3, 0, 1, 1)) == "backup"


# --- the package's declarations: constants, guards, predicates, presets ----------------


def test_the_constants_table_gives_each_quorum_with_its_reason() -> None:
    names = [c.name for c in pbft.CONSTANTS]
    assert names == [
        "f",
        "quorum q",
        "prepare quorum",
        "commit quorum",
        "view-change quorum",
        "checkpoint quorum",
        "committed",
        "join quorum",
        "reply quorum",
    ]
    assert all(c.formula and c.why for c in pbft.CONSTANTS)
    assert [c.at(4) for c in pbft.CONSTANTS] == [1, 3, 2, 3, 3, 3, 2, 2, 2]
    assert [c.at(5) for c in pbft.CONSTANTS] == [1, 4, 3, 4, 4, 4, 2, 2, 2]  # P8
    model = pbft.Pbft(pbft.PbftConfig(replicas=5, max_view=0))
    used = (model.f, model.q_prepare, model.q_commit, model.q_view_change, model.q_checkpoint)
    assert used == (1, 3, 4, 4, 4) and model.q_committed == model.q_join == model.q_reply == 2


#: Each action's guards, in the order they are checked (the first that fails is what
#: the vectors and the oracle name): the names are those of the vector files.
GUARD_ORDER = {
    "request": ("is_value", "not_sent"),
    "pre_prepare": (
        "is_replica",
        "is_honest",
        "in_view",
        "is_primary",
        "requested",
        "next_seq",
        "in_watermarks",
        "not_assigned",
        "not_executed",
    ),
    "prepare": (
        "is_replica",
        "is_honest",
        "in_view",
        "is_backup",
        "has_pre_prepare",
        "in_watermarks",
        "no_conflicting_pre_prepare",
    ),
    "commit": ("is_replica", "is_honest", "in_view", "in_watermarks", "not_sent", "prepared"),
    "execute": ("is_replica", "is_honest", "in_view", "in_order", "committed_local"),
    "stable_checkpoint": ("is_replica", "is_honest", "newer", "has_proof"),
    "timeout": ("is_replica", "is_honest", "next_view", "timer_running"),
    "new_view": ("is_replica", "is_honest_primary", "view_changing", "valid_o"),
    "accept_new_view": ("is_replica", "is_honest_backup", "newer_view", "valid_new_view"),
}


def test_guards_are_declared_per_action_in_the_order_they_are_checked() -> None:
    model = pbft.Pbft(pbft.PbftConfig())
    table = {action_name_of(cls): tuple(g.name for g in gs) for cls, gs in model.guards.items()}
    assert table == GUARD_ORDER
    assert tuple(table) == action_names(pbft.Action)
    assert all(g.quote for gs in model.guards.values() for g in gs)
    assert all("§4" in g.quote or "model" in g.quote for gs in model.guards.values() for g in gs)
    # only the model's bound on client requests is no rule of the protocol
    assert [g.name for g in declared_guards(model) if g.bound] == ["is_value"]


def test_accepts_two_pre_prepares_drops_one_guard_of_the_table() -> None:
    mutant = AcceptsTwoPrePrepares.guards
    assert {cls: gs for cls, gs in mutant.items() if cls is not pbft.Prepare} == {
        cls: gs for cls, gs in pbft.Pbft.guards.items() if cls is not pbft.Prepare
    }
    prepare = tuple(g.name for g in mutant[pbft.Prepare])
    assert prepare == GUARD_ORDER["prepare"][:-1]


def test_the_water_marks_and_the_checkpoint_proof() -> None:
    """h, H (§4.3) and C: with K = 1 and L = 1, a stable checkpoint at 1 moves both."""
    model = pbft.Pbft(pbft.PbftConfig(faulty=(3,), checkpoint_interval=1, log_size=1, max_seq=2))
    (s0,) = model.initial()
    assert (model.h(s0, 2), model.H(s0, 2), list(model.window(s0, 2))) == (0, 1, [1])
    assert model.C(s0, 0, ()) and not model.C(s0, 1, (1,))
    assert model.stable_checkpoint(s0, 2) == (0, ())
    steps = EXECUTED_BY_0_AND_1
    state = model.step(_state(model, *steps), pbft.StableCheckpoint(2, 1, (1,)))
    assert model.C(state, 1, (1,)) and not model.C(state, 1, (2,))
    assert (model.h(state, 2), model.H(state, 2), list(model.window(state, 2))) == (1, 2, [2])
    assert model.stable_checkpoint(state, 2) == (1, (1,))
    without = pbft.Pbft(pbft.PbftConfig(max_seq=3))
    assert without.H(without.initial()[0], 1) == 3  # no checkpoints: H is max_seq


def test_every_view_change_in_v_is_valid() -> None:
    """The honest view-changes sent and the faulty ones each V completes are valid
    (§4.4): their checkpoint has a proof C and their P valid certificates."""
    model = pbft.Pbft(pbft.PbftConfig(faulty=(3,), checkpoint_interval=1, max_seq=2))
    seen: list[Any] = []
    check(
        model,
        Options(
            on_edge=lambda s, a, byz, t: seen.append(t),
            check_liveness=False,
            max_states=3000,
        ),
    )
    vcs = forged = 0
    for s in seen:
        for m in s.view_changes:
            assert model.valid_view_change(s, m.view, (m.stable, m.state, m.prepared))
            vcs += 1
        for v in range(1, model.config.max_view + 1):
            for members, k, faulty in model.V(s, v, None):
                assert len(members) == model.q_view_change - k + (k > 0)
                if faulty is not None:
                    assert model.valid_view_change(s, v, faulty)
                    forged += 1
    assert vcs and forged
    (s0,) = model.initial()
    assert not model.valid_view_change(s0, 1, (1, (1,), frozenset()))  # no proof C
    assert not model.valid_view_change(s0, 1, (0, (), frozenset({pbft.Cert(1, 1, 0)})))


def test_presets_are_named_configurations_of_the_spec() -> None:
    names = [p.name for p in pbft.SPEC.all_presets()]
    assert names == [
        "default",
        "liveness",
        "proof",
        "checkpoints",
        "n5",
        "small",
        "two_seqs",
        "watermarks",
        "checkpoint_view_change",
        "two_view_changes",
        "faulty_backup",
    ]
    for preset in pbft.SPEC.all_presets():
        assert preset.summary
        make_config(pbft.PbftConfig, preset.params)  # each is a valid configuration
    liveness = check(pbft.SPEC.model(pbft.SPEC.preset("liveness").params), Options())
    assert liveness.result == "ok" and liveness.distinct_states == 985
    assert {p.name for p in liveness.properties if p.kind in ("eventually", "leads_to")} == {
        "all_answered",
        "requests_answered",
    }
