"""PBFT safety by induction (proofs/pbft_induction.py): the proof, its twin, and what
ties its Z3 encoding to the Python spec.

Faithfulness: the spec is explored at the proof's configuration (`CONFIG`) without
symmetry reduction, breadth-first for the first `BFS_STATES` distinct states and then by
`WALKS` seeded random walks of `DEPTH` steps (the full state space is too large to
enumerate here); on what was explored, every state satisfies every conjunct of `Inv`,
every transition satisfies `Next` and exactly its own action's disjunct, the Z3 guard of
every action instance agrees with `Pbft.guard`, and transitions the guards reject
falsify `Next`. Then: the theorem is proved, its twin refuted with a counterexample to
induction that the spec itself confirms, and weakening one quorum in `spec.pbft` makes
the theorem fail.
"""

from __future__ import annotations

import functools
import os
import random
import re
from collections import deque

import attrs
import pytest
import z3

from proofs import core
from proofs import pbft_induction as p
from spec import pbft
from spec.core import GuardError, action_name

BFS_STATES = 800
WALKS, DEPTH = 80, 40
#: Every GUARD_EVERY-th explored state has each action instance's guard compared.
GUARD_EVERY = 10

Edge = tuple[pbft.PbftState, pbft.Action, pbft.PbftState]


THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
#: The faithfulness tests run at the proof's configuration, and under
#: HYPOTHESIS_PROFILE=thorough at the two-view-change one too.
CONFIGS = [p.CONFIG, *([p.CONFIG_TWO_VIEW_CHANGES] if THOROUGH else [])]


@functools.cache
def explored(
    config: pbft.PbftConfig = p.CONFIG,
) -> tuple[tuple[pbft.PbftState, ...], tuple[Edge, ...]]:
    """The explored states (breadth-first, then random walks) and transitions."""
    model = pbft.Pbft(config)
    init = list(model.initial())
    seen = dict.fromkeys(init)
    queue = deque(init)
    edges: list[Edge] = []
    while queue and len(seen) < BFS_STATES:
        s = queue.popleft()
        for a, _ in model.enabled(s):
            t = model.step(s, a)
            edges.append((s, a, t))
            if t not in seen:
                seen[t] = None
                queue.append(t)
    rng = random.Random(6)
    for _ in range(WALKS):
        s = init[0]
        for _ in range(DEPTH):
            options = model.enabled(s)
            if not options:
                break
            a, _ = rng.choice(options)
            t = model.step(s, a)
            edges.append((s, a, t))
            seen.setdefault(t)
            s = t
    return tuple(seen), tuple(edges)


@functools.cache
def encoding(config: pbft.PbftConfig = p.CONFIG) -> p.Encoding:
    return p.Encoding(config)


@functools.cache
def moves(config: pbft.PbftConfig = p.CONFIG) -> dict[str, list[p.Move]]:
    enc = encoding(config)
    return enc.transitions(enc.pre, enc.post)


def logs_agree(s: pbft.PbftState, honest: tuple[int, ...]) -> bool:
    """Honest replicas' executed logs agree position by position."""
    logs = [s.executed[i] for i in honest]
    return all(a[: len(b)] == b[: len(a)] for a in logs for b in logs)


# --- the encoding --------------------------------------------------------------------


def test_encoding_size_and_conjuncts() -> None:
    enc = encoding()
    assert enc.count() == (136, 16)
    names = [name for name, _ in enc.invariant(enc.pre)]
    assert names[0] == "agreement"
    assert len(names) == len(set(names)) == 15
    assert {k: len(v) for k, v in moves().items()} == {
        "request": 2,
        "pre_prepare": 4,
        "prepare": 30,
        "commit": 36,
        "execute": 36,
        "timeout": 3,
        "new_view": 13,
        "accept_new_view": 26,
    }
    assert (enc.q_prepare, enc.q_commit, enc.q_view_change, enc.q_committed) == (2, 3, 3, 2)


def test_the_proof_bound_is_the_specs_proof_preset() -> None:
    """One source: `CONFIG` is `coordspec check pbft --preset proof`, and it is the bound
    the module docstring states."""
    assert pbft.SPEC.preset("proof").params == {"max_seq": "2"}
    assert (
        pbft.PbftConfig(
            replicas=4,
            faulty=(0,),
            requests=2,
            max_view=1,
            max_seq=2,
            checkpoint_interval=0,
            adversary="byzantine",
        )
        == p.CONFIG
    )


def test_init_holds_exactly_on_the_initial_state() -> None:
    enc = encoding()
    (initial,) = pbft.Pbft(p.CONFIG).initial()
    init = enc.init(enc.pre)
    assert p.holds(init, enc.state_model(initial))
    values = enc.encode(initial)
    solver = z3.Solver()
    solver.add(init, z3.Or([enc.pre[k] != v for k, v in values.items()]))
    assert solver.check() == z3.unsat
    # and it fails on a successor of the initial state
    _, edges = explored()
    assert not p.holds(init, enc.state_model(edges[0][2]))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"views-0..{c.max_view}")
def test_explored_states_satisfy_every_conjunct(config: pbft.PbftConfig) -> None:
    enc = encoding(config)
    states, _ = explored(config)
    conjuncts = enc.invariant(enc.pre)
    failures = []
    for s in states:
        model = enc.state_model(s)
        failures += [(name, s) for name, f in conjuncts if not p.holds(f, model)]
    assert failures == []
    honest = pbft.Pbft(config).honest
    # the exploration reaches what the invariant is about
    assert any(s.new_views for s in states)
    assert any(len(s.executed[i]) == 2 for s in states for i in honest)
    assert any(s.executed[i] and s.view[i] == 1 for s in states for i in honest)
    last = config.max_view  # the last view reached, in normal operation, with executions
    assert any(
        s.executed[i] and (s.view[i], s.changing[i]) == (last, False)
        for s in states
        for i in honest
    )
    assert any(
        {q.digest for q in s.prepares if (q.view, q.seq) == (0, 1)} >= {1, 2} for s in states
    )
    if config == p.CONFIG:
        assert len(states) == 2632  # pinned: the exploration is deterministic


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"views-0..{c.max_view}")
def test_explored_transitions_satisfy_next_and_only_their_own_disjunct(
    config: pbft.PbftConfig,
) -> None:
    enc = encoding(config)
    _, edges = explored(config)
    by_action = {m.action: (kind, m) for kind, ms in moves(config).items() for m in ms}
    every = [m for ms in moves(config).values() for m in ms]
    next_ = z3.Or([m.step for m in every])
    seen: dict[str, int] = {}
    for n, (s, a, t) in enumerate(edges):
        model = enc.state_model(s, t)
        kind, move = by_action[a]
        assert kind == action_name(a)
        seen[kind] = seen.get(kind, 0) + 1
        assert p.holds(move.step, model), (s, a)
        # the whole of Next, and no other action's disjunct: on the first transitions of
        # each kind and on every 50th
        if seen[kind] <= 3 or n % 50 == 0:
            assert p.holds(next_, model)
            assert [m.action for m in every if p.holds(m.step, model)] == [a]
    assert set(seen) == set(p.KINDS)
    if config == p.CONFIG:
        assert len(edges) == 4003  # pinned: the exploration is deterministic


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"views-0..{c.max_view}")
def test_z3_guards_agree_with_the_spec_guards(config: pbft.PbftConfig) -> None:
    enc = encoding(config)
    model = pbft.Pbft(config)
    states, _ = explored(config)
    every = [m for ms in moves(config).values() for m in ms]
    disagree = []
    enabled_seen = 0
    for s in states[::GUARD_EVERY]:
        z3_model = enc.state_model(s)
        for m in every:
            try:
                model.guard(s, m.action)
                spec_ok = True
            except GuardError:
                spec_ok = False
            enabled_seen += spec_ok
            if p.holds(m.guard, z3_model) != spec_ok:
                disagree.append((s, m.action))
    assert disagree == []
    assert enabled_seen > 1000


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"views-0..{c.max_view}")
def test_rejected_transitions_falsify_next(config: pbft.PbftConfig) -> None:
    enc = encoding(config)
    model = pbft.Pbft(config)
    states, _ = explored(config)
    every = [m for ms in moves(config).values() for m in ms]
    next_ = z3.Or([m.step for m in every])
    rejected = 0
    for s in states[::400]:
        successors = {model.step(s, a) for a, _ in model.enabled(s)}
        for m in every:
            try:
                model.guard(s, m.action)
                continue
            except GuardError:
                pass
            t = model.apply(s, m.action)
            try:
                z3_model = enc.state_model(s, t)
            except ValueError:
                continue  # not representable (a second view-change for one view)
            assert not p.holds(m.step, z3_model)
            assert p.holds(next_, z3_model) == (t in successors)
            rejected += t not in successors
    assert rejected > 100


def test_decode_inverts_encode() -> None:
    enc = encoding()
    states, _ = explored()
    for s in states[::25]:
        assert enc.decode(enc.state_model(s, s), enc.pre) == s
        assert enc.decode(enc.state_model(s, s), enc.post) == s


def test_unrepresentable_states_and_configs_are_refused() -> None:
    enc = encoding()
    states, _ = explored()
    s = next(x for x in states if x.view_changes)
    vc = next(iter(s.view_changes))
    broken = [
        attrs.evolve(s, checkpoints=frozenset({pbft.CheckpointMsg(1, (1,), 1)})),
        attrs.evolve(s, stable=(0, 1, 0, 0)),
        attrs.evolve(
            s, view_changes=s.view_changes | {vc._replace(prepared=frozenset({pbft.Cert(1, 2, 0)}))}
        ),
        attrs.evolve(s, new_views=frozenset({pbft.NewViewMsg(1, 1, (1,), frozenset())})),
        attrs.evolve(s, prepares=s.prepares | {pbft.PrepareMsg(2, 1, 1, 1)}),
    ]
    for b in broken:
        with pytest.raises(ValueError):
            enc.encode(b)
    with pytest.raises(ValueError, match="has no value"):
        p.holds(enc.agreement(enc.post), enc.state_model(s))
    for bad in (
        attrs.evolve(p.CONFIG, checkpoint_interval=1),
        attrs.evolve(p.CONFIG, adversary="silent"),
        attrs.evolve(p.CONFIG, faulty=(1,)),
    ):
        with pytest.raises(ValueError, match="encoding covers"):
            p.Encoding(bad)


# --- the theorem, its twin, and the spec's formulas ---------------------------------------


def test_theorem_is_proved() -> None:
    result = core.run(p.THEOREM)
    assert result.status == "proved" and result.ok
    assert [o.name for o in result.outcomes] == [
        "init => inv",
        *[f"inv /\\ {kind} => inv'" for kind in p.KINDS],
    ]


def test_twin_is_refuted_by_a_cti_the_spec_confirms() -> None:
    result = core.run(p.THEOREM, twin=True)
    assert result.status == "refuted" and result.ok
    assert [o.name for o in result.outcomes] == ["agreement /\\ next => agreement'"]
    text = result.counterexample
    assert text.startswith("conjunct agreement breaks under execute(")
    # a counterexample of the same obligation, decoded, checked against the spec itself
    enc = encoding()
    (ob,) = p.twin_obligations(enc)
    solver = z3.Solver()
    solver.add(*ob.hypotheses, z3.Not(ob.claim))
    assert solver.check() == z3.sat
    model = solver.model()
    pre, post = enc.decode(model, enc.pre), enc.decode(model, enc.post)
    action = next(
        m.action
        for m in moves()["execute"]
        if z3.is_true(model.eval(m.step, model_completion=True))
    )
    spec = pbft.Pbft(p.CONFIG)
    assert spec.step(pre, action) == post  # the spec takes the step (its guard passes)
    assert logs_agree(pre, spec.honest) and not logs_agree(post, spec.honest)
    # the pre-state is unreachable: it violates the inductive invariant
    z3_pre = enc.state_model(pre)
    assert not all(p.holds(f, z3_pre) for _, f in enc.invariant(enc.pre))


def test_explain_of_an_initial_state() -> None:
    enc = encoding()
    (initial,) = pbft.Pbft(p.CONFIG).initial()
    explain = p._explainer(enc, [("never", z3.BoolVal(False))], None)
    text = explain(enc.state_model(initial))
    assert text.splitlines()[:3] == [
        "conjunct never fails in an initial state",
        "pre-state (its non-empty fields):",
        "  (the initial state)",
    ]


def test_describe_labels_every_field_and_message() -> None:
    """The pre-state of a counterexample is a PbftState in the reports' notation: each
    non-empty field by name, each message a record of its labelled fields."""
    (initial,) = pbft.Pbft(p.CONFIG).initial()
    s = attrs.evolve(
        initial,
        executed=((), (0,), (), (0, 0)),
        requests=frozenset({2}),
        prepares=frozenset({pbft.PrepareMsg(0, 2, 2, 3), pbft.PrepareMsg(0, 2, 2, 1)}),
        view_changes=frozenset(
            {pbft.ViewChangeMsg(1, 2, 0, (), frozenset({pbft.Cert(seq=1, digest=2, view=0)}))}
        ),
    )
    assert p.describe(s) == [
        "executed = <<<<>>, <<0>>, <<>>, <<0, 0>>>>",
        "requests = {2}",
        "prepares = {[view |-> 0, seq |-> 2, digest |-> 2, replica |-> 1], "
        "[view |-> 0, seq |-> 2, digest |-> 2, replica |-> 3]}",
        "view_changes = {[view |-> 1, replica |-> 2, stable |-> 0, state |-> <<>>, "
        "prepared |-> {[seq |-> 1, digest |-> 2, view |-> 0]}]}",
    ]


def test_prove_prints_the_twins_pre_state_as_a_labelled_pbft_state(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from model_check.cli import main

    assert main(["prove", "pbft_induction", "--counterexamples"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = lines.index("pre-state (its non-empty fields):")
    end = lines.index("post-state (the fields that changed):")
    assert lines[start - 1].startswith("pbft_induction~twin: ")
    assert "conjunct agreement breaks under execute(replica=" in lines[start - 1]
    fields = {f.name for f in attrs.fields(pbft.PbftState)}
    message = r"\[view \|-> \d, seq \|-> \d, digest \|-> \d, replica \|-> \d\]"
    for line in lines[start + 1 : end]:
        name, _, value = line.strip().partition(" = ")
        assert name in fields, line
        if name in ("prepares", "commits"):
            assert re.fullmatch(rf"\{{{message}(, {message})*\}}", value), line
    assert any(line.strip().startswith("commits = {[view |-> ") for line in lines[start:end])
    assert re.fullmatch(r"  executed: <<.*>> -> <<.*>>", lines[end + 1])


@pytest.mark.parametrize(
    ("formula", "weaker"),
    [("commit_quorum", lambda n, f: 2 * f), ("prepare_quorum", lambda n, f: f)],
)
def test_a_weaker_quorum_in_the_spec_breaks_the_proof(
    monkeypatch: pytest.MonkeyPatch, formula: str, weaker: object
) -> None:
    monkeypatch.setattr(pbft, formula, weaker)
    result = core.run(p.THEOREM)
    assert result.status == "refuted"
    assert "breaks under" in result.counterexample


@pytest.mark.skipif(not THOROUGH, reason="a minute or more of Z3: HYPOTHESIS_PROFILE=thorough")
def test_two_view_changes_theorem_is_proved_and_its_twin_refuted() -> None:
    assert core.run(p.THEOREM_TWO_VIEW_CHANGES).status == "proved"
    assert core.run(p.THEOREM_TWO_VIEW_CHANGES, twin=True).status == "refuted"
