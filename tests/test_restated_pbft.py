"""PBFT's claims restated from the state alone (spec/restated/pbft.py): independent of the
spec's predicates, true of the spec, each the only property its mutant breaks."""

from __future__ import annotations

import inspect
from typing import Any

import attrs
import pytest

from model_check.engine import Options, check
from spec import pbft
from spec.core import make_config
from spec.restated import pbft as restated
from tests.harness.profiles import THOROUGH
from tests.harness.specs import statuses
from tests.mutants.pbft import EXECUTION, RESTATED, Mutant

#: The restated claims, as the model lists them: after the spec's own invariants.
CLAIMS = [
    "within_watermarks",
    "stable_checkpoints_proven",
    "view_changes_carry_prepared",
    "new_view_o_from_v",
]


def test_no_function_of_the_spec_is_used() -> None:
    """The module holds record types of `spec.pbft`, never one of its functions."""
    for name, value in vars(restated).items():
        if inspect.isfunction(value) or inspect.isbuiltin(value):
            assert not (value.__module__ or "").startswith("spec.pbft"), name
        wrapped = getattr(value, "__wrapped__", None)  # an lru_cache'd function
        if wrapped is not None:
            assert wrapped.__module__ == restated.__name__, name
    imported = {v.__module__ for v in vars(restated).values() if inspect.isclass(v)}
    assert {m for m in imported if m.startswith("spec")} == {"spec.pbft"}  # the records


def test_the_claims_follow_the_specs_own_invariants() -> None:
    model = pbft.Pbft(pbft.PbftConfig())
    names = [inv.name for inv in model.invariants()]
    assert names[-4:] == CLAIMS == [c.__name__ for c in restated.CLAIMS]
    assert all(inv.doc for inv in model.invariants()[-4:])


def test_the_constants_found_by_search_are_the_tables() -> None:
    """f and the quorum, searched for, are the constants table's at every n of the range."""
    for n in range(1, 11):
        f = pbft.max_faulty(n)
        assert (restated.tolerated(n), restated.quorum_of(n)) == (f, pbft.quorum(n, f))
    assert [restated.quorum_of(n) for n in (4, 5, 7)] == [3, 4, 5]  # 2f + 1 at 3f + 1 (P8)


# --- the mutants: each caught by its claim alone -----------------------------------------


@pytest.mark.parametrize("mutant", RESTATED + EXECUTION, ids=lambda m: m.name)
@pytest.mark.untraced
def test_only_its_claim_catches_the_mutant(mutant: Mutant) -> None:
    """Explored whole (no stop at the first violation): the mutant's claim is violated in
    its pinned number of steps, and every other property holds (or is reached). The
    same holds of the spec's own execution claims, validity and integrity (EXECUTION)."""
    result = check(mutant.build(), Options(stop_at_first=False))
    verdicts = statuses(result)
    assert verdicts[mutant.property] == "violated"
    assert {v for name, v in verdicts.items() if name != mutant.property} <= {"holds", "reached"}
    lengths = {p.name: p.trace_length for p in result.properties if p.status == "violated"}
    assert lengths == {mutant.property: mutant.length}


def test_the_mutants_are_one_per_claim() -> None:
    assert [m.property for m in RESTATED] == CLAIMS
    assert [m.property for m in EXECUTION] == ["validity", "integrity"]
    assert all(m.first for m in RESTATED + EXECUTION)


# --- the claims on hand-made states: each part of each claim can fail -----------------------


def _start(config: pbft.PbftConfig) -> tuple[pbft.Pbft, pbft.PbftState]:
    model = pbft.Pbft(config)
    return model, model.initial()[0]


def _holds(model: pbft.Pbft, state: pbft.PbftState, name: str) -> bool:
    return next(inv for inv in model.invariants() if inv.name == name).holds(state)


def test_within_watermarks_reads_every_honest_message() -> None:
    model, s0 = _start(pbft.PbftConfig(faulty=(3,), checkpoint_interval=1, max_seq=2, log_size=1))
    s = attrs.evolve(s0, requests=frozenset({1}))
    assert restated.high_water_mark(model.config, 0) == 1
    assert restated.high_water_mark(model.config, 1) == 2
    cases: list[dict[str, Any]] = [
        {"prepares": frozenset({pbft.PrepareMsg(0, 2, 1, 1)})},
        {"commits": frozenset({pbft.CommitMsg(0, 2, 1, 2)})},
        {"pre_prepares": frozenset({pbft.PrePrepareMsg(0, 2, 1)})},  # honest primary 0
    ]
    for change in cases:
        assert not _holds(model, attrs.evolve(s, **change), "within_watermarks"), change
        moved = attrs.evolve(s, stable=(1, 1, 1, 0), **change)  # h = 1: H = 2
        assert restated.within_watermarks(model.config, moved), change
    faulty_sender = attrs.evolve(s, prepares=frozenset({pbft.PrepareMsg(0, 2, 1, 3)}))
    assert restated.within_watermarks(model.config, faulty_sender)  # not an honest message
    without = pbft.PbftConfig(max_seq=2)
    assert restated.high_water_mark(without, 0) == 2  # no checkpoints: H is max_seq


def test_stable_checkpoints_proven_counts_the_checkpoint_messages() -> None:
    config = pbft.PbftConfig(faulty=(3,), checkpoint_interval=1, log_size=1, max_seq=2)
    model, s0 = _start(config)
    one = [pbft.CheckpointMsg(1, (1,), r) for r in (0, 1)]
    s = attrs.evolve(s0, executed=((1,), (1,), (), ()), checkpoints=frozenset(one))
    assert restated.checkpoint_backed(config, s.checkpoints, 1, (1,))  # 2 honest + faulty 3
    assert not restated.checkpoint_backed(config, frozenset(one[:1]), 1, (1,))
    assert not restated.checkpoint_backed(config, s.checkpoints, 1, (2,))  # another digest
    assert not restated.checkpoint_backed(config, s.checkpoints, 0, (1,))  # not the initial
    silent = attrs.evolve(config, adversary="silent")
    assert not restated.checkpoint_backed(silent, s.checkpoints, 1, (1,))  # 3 faulty sends none
    forged = pbft.CheckpointMsg(1, (1,), 3)  # the faulty replica's is not counted twice
    assert not restated.checkpoint_backed(silent, s.checkpoints | {forged}, 1, (1,))
    assert _holds(model, attrs.evolve(s, stable=(1, 1, 0, 0)), "stable_checkpoints_proven")
    lagging = attrs.evolve(s, stable=(0, 0, 1, 0))  # h = 1 with an empty log
    assert not _holds(model, lagging, "stable_checkpoints_proven")
    unproven = attrs.evolve(s, checkpoints=frozenset(one[:1]))
    vc = pbft.ViewChangeMsg(1, 2, 1, (1,), frozenset())
    nv = pbft.NewViewMsg(1, 1, (1,), frozenset())
    assert not _holds(model, attrs.evolve(unproven, view_changes=frozenset({vc})), CLAIMS[1])
    assert not _holds(model, attrs.evolve(unproven, new_views=frozenset({nv})), CLAIMS[1])
    assert _holds(model, attrs.evolve(s, view_changes=frozenset({vc})), CLAIMS[1])


def _prepared_by_1_and_2(model: pbft.Pbft) -> pbft.PbftState:
    """Request 1 pre-prepared by the honest primary 0, prepared by backups 1 and 2."""
    state = model.initial()[0]
    for a in (
        pbft.Request(1),
        pbft.PrePrepare(0, 0, 1, 1),
        pbft.Prepare(1, 0, 1, 1),
        pbft.Prepare(2, 0, 1, 1),
        pbft.Commit(1, 0, 1, 1),
    ):
        state = model.step(state, a)
    return state


def test_view_changes_carry_prepared_checks_p_both_ways() -> None:
    config = pbft.PbftConfig(faulty=(3,), adversary="silent")
    model = pbft.Pbft(config)
    s = _prepared_by_1_and_2(model)
    cert = pbft.Cert(1, 1, 0)
    args = (s.requests, s.pre_prepares, s.prepares)
    assert restated.valid_certificates(config, 1, *args) == {cert}
    assert restated.valid_certificates(config, 0, *args) == frozenset()  # no earlier view
    sent = model.step(s, pbft.Timeout(1, 1))
    assert restated.view_changes_carry_prepared(config, sent)
    (vc,) = sent.view_changes
    assert vc.prepared == {cert}
    for prepared in (
        frozenset(),
        frozenset({pbft.Cert(1, 2, 0)}),
        frozenset({cert, pbft.Cert(1, 1, 1)}),
    ):
        broken = attrs.evolve(sent, view_changes=frozenset({vc._replace(prepared=prepared)}))
        assert not _holds(model, broken, "view_changes_carry_prepared"), prepared
    above = vc._replace(stable=1, state=(1,))  # a checkpoint at 1: the certificate is below it
    assert not restated.view_changes_carry_prepared(
        config, attrs.evolve(sent, view_changes=frozenset({above}))
    )
    no_longer = above._replace(prepared=frozenset())  # and its commit is not above it
    assert restated.view_changes_carry_prepared(
        config, attrs.evolve(sent, view_changes=frozenset({no_longer}))
    )
    # one prepare is not 2f; a faulty primary's pre-prepare needs a Byzantine adversary
    one = attrs.evolve(s, prepares=frozenset({pbft.PrepareMsg(0, 1, 1, 1)}))
    assert (
        restated.valid_certificates(config, 1, one.requests, one.pre_prepares, one.prepares)
        == frozenset()
    )
    faulty_primary = pbft.PbftConfig(faulty=(0,), adversary="silent")
    assert restated.valid_certificates(faulty_primary, 1, *args) == frozenset()
    byzantine = pbft.PbftConfig(faulty=(0,))
    assert restated.valid_certificates(byzantine, 1, s.requests, frozenset(), s.prepares) == {cert}


def test_new_view_o_from_v_needs_some_v() -> None:
    config = pbft.PbftConfig(faulty=(3,), adversary="silent")
    model = pbft.Pbft(config)
    s = _prepared_by_1_and_2(model)
    for r in (1, 2, 0):
        s = model.step(s, pbft.Timeout(r, 1))
    ((o_stable, o_state, o),) = model.new_view_choices(s, 1, 1)
    assert o == {(1, 1)}
    sent = model.step(s, pbft.NewView(1, 1, o_stable, o_state, o))
    assert _holds(model, sent, "new_view_o_from_v")
    for wrong in (frozenset(), frozenset({(1, pbft.NULL)}), frozenset({(1, 1), (2, pbft.NULL)})):
        broken = attrs.evolve(sent, new_views=frozenset({pbft.NewViewMsg(1, 0, (), wrong)}))
        assert not _holds(model, broken, "new_view_o_from_v"), wrong
    # without the new primary's own VIEW-CHANGE no V exists
    others = frozenset(vc for vc in sent.view_changes if vc.replica != 1)
    assert not restated.new_view_o_from_v(config, attrs.evolve(sent, view_changes=others))
    # V is 2f + 1 view-changes at least: 0's and 1's alone (no faulty help) are too few
    alone = frozenset(vc for vc in sent.view_changes if vc.replica != 2)
    cut = attrs.evolve(sent, view_changes=alone, new_views=frozenset())
    empty = pbft.NewViewMsg(1, 0, (), frozenset())
    assert not restated.new_view_o_from_v(config, attrs.evolve(cut, new_views=frozenset({empty})))


def test_faulty_view_changes_complete_v() -> None:
    """With a Byzantine replica a V may hold its VIEW-CHANGE, carrying any backed
    checkpoint and valid certificates: O = {(1, 1)} from 1's and a faulty one; an O of
    a certificate no one may carry is still refused."""
    config = pbft.PbftConfig(faulty=(3,))
    model = pbft.Pbft(config)
    s = _prepared_by_1_and_2(model)
    s = model.step(model.step(s, pbft.Timeout(1, 1)), pbft.Timeout(0, 1))
    forged = restated.forged_view_changes(
        config, 1, s.requests, s.pre_prepares, s.prepares, s.checkpoints
    )
    assert forged == ((0, (), frozenset()), (0, (), frozenset({pbft.Cert(1, 1, 0)})))
    nv = pbft.NewViewMsg(1, 0, (), frozenset({(1, 1)}))
    assert restated.new_view_o_from_v(config, attrs.evolve(s, new_views=frozenset({nv})))
    never = pbft.NewViewMsg(1, 0, (), frozenset({(1, 2)}))  # request 2 was never sent
    assert not restated.new_view_o_from_v(config, attrs.evolve(s, new_views=frozenset({never})))


def test_o_from_takes_the_latest_checkpoint_and_the_highest_view() -> None:
    low = (0, (), frozenset({pbft.Cert(1, 1, 0), pbft.Cert(3, 2, 0)}))
    high = (1, (1,), frozenset({pbft.Cert(2, 1, 0), pbft.Cert(3, 1, 1)}))
    assert restated.o_from([low, high]) == (1, (1,), frozenset({(2, 1), (3, 1)}))
    gap = (0, (), frozenset({pbft.Cert(2, 2, 0)}))
    assert restated.o_from([gap]) == (0, (), frozenset({(1, pbft.NULL), (2, 2)}))
    assert restated.o_from([(0, (), frozenset())]) == (0, (), frozenset())


# --- the claims agree with the spec's own predicates, where both say the same --------------


@pytest.mark.untraced
@pytest.mark.parametrize("preset", ["small", "watermarks"])
def test_the_restatements_agree_with_the_spec_predicates(preset: str) -> None:
    """On the first states of a preset: the certificates, the backed checkpoints and
    each O the spec may choose are found again by the restatement's own computation."""
    config = make_config(pbft.PbftConfig, pbft.SPEC.preset(preset).params)
    model = pbft.Pbft(config)
    seen: list[pbft.PbftState] = []
    check(
        model,
        Options(on_edge=lambda s, a, b, t: seen.append(t), max_states=600, check_liveness=False),
    )
    chosen = 0
    for s in seen:
        backed = {
            (c.seq, c.state)
            for c in s.checkpoints
            if restated.checkpoint_backed(config, s.checkpoints, c.seq, c.state)
        }
        assert backed | {(0, ())} == model.stable_proofs(s)
        for v in range(1, config.max_view + 1):
            args = (s.requests, s.pre_prepares, s.prepares)
            assert restated.valid_certificates(config, v, *args) == model.certificates(s, v)
            for vcs, _, _ in model.V(s, v, None):
                assert restated.o_from(vcs) == model.compute_o(vcs)
            if model.primary(v) in model.honest:
                for o in model.new_view_choices(s, v, model.primary(v)):
                    nv = pbft.NewViewMsg(v, *o)
                    assert restated.new_view_o_from_v(
                        config, attrs.evolve(s, new_views=frozenset({nv}))
                    )
                    chosen += 1
    assert len(seen) >= 600 and (chosen > 0) == (config.max_view > 0)


@pytest.mark.skipif(not THOROUGH, reason="about 20 s: HYPOTHESIS_PROFILE=thorough")
@pytest.mark.untraced
def test_the_claims_hold_where_watermarks_checkpoints_and_a_view_change_meet() -> None:
    """H = h + 1 binds, checkpoints become stable, a Byzantine primary of view 0 and a
    view change (one request): every claim holds, exhaustively (36,082 states)."""
    config = pbft.PbftConfig(requests=1, max_seq=2, checkpoint_interval=1, log_size=1)
    result = check(pbft.Pbft(config), Options())
    assert result.result == "ok" and result.complete
    assert (result.distinct_states, result.depth) == (36082, 30)
    assert all(statuses(result)[name] == "holds" for name in CLAIMS)
