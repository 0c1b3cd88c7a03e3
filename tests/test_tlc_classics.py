"""Cross-check against TLC: classic TLA+ specifications and their one-to-one ports.

Each case is a TLA+ module in `tests/fixtures/tlc/<Name>/` (written for this suite from
the published algorithm; the source is cited in the module) with its `.cfg`, and its
port in `tests/models/`, transcribed action by action. TLC 2.20 (through `tests/tlc.py`,
one run per property where one fails) and coordspec (`model_check.engine.check`, every
property, deadlock checked exactly when the cfg checks it) must give:

- the same number of distinct states and the same depth (in steps);
- the same verdict on every invariant, on deadlock and on every temporal property;
- counterexamples of the same length for invariants and deadlocks (both search
  breadth-first, so both give a shortest one); for a temporal property TLC's lasso is
  not a shortest one, so only the verdicts are compared, and both must be lassos;
- generated states related as explained below.

| case | source | what it exercises |
|---|---|---|
| SelfLoop | a reproduction | a fair class whose enabled actions are a stutter and a move |
| EWD840 | Dijkstra, Feijen, van Gasteren, IPL 1983 | 192 initial states; `~>` under WF |
| Peterson | Peterson, IPL 1981 | WF per process; `~>` holding thanks to it; `[]<>` failing |
| Paxos | Lamport, TOCS 1998 | message passing; a claimed invariant refuted in 6 steps |
| TwoPhase | Gray and Lamport, TODS 2006 | message passing; receptions enabled as stutters |
| Hanoi | Lucas, 1883 | a claimed invariant refuted by a 31-step solution |
| KnuthYao | Knuth and Yao, 1976 | a deadlock in 3 steps; `<>` failing under WF on a cycle |

Deadlock. TLC reports a state without any successor as a deadlock unless the cfg says
`CHECK_DEADLOCK FALSE`; coordspec reports a state without an enabled action unless the
port's `terminal_ok` accepts it. So coordspec checks deadlock exactly where the cfg
does: KnuthYao's cfg keeps it (a thrown die is reported by both, after 3 flips, and
the port declares no `terminal_ok`); SelfLoop's and EWD840's cfgs turn it off, their
ports declare the ends of the design `terminal_ok` (x = 1; termination detected), and
`test_declared_ends_are_the_only_states_without_a_successor` checks, coordspec only,
that those are the only states without a successor, which TLC cannot say without a
stuttering disjunct that would change its generated count.

SelfLoop is the reproduction of a coordspec bug fixed in commit ae64335 ("a stutter
neither takes nor enables a fairness class"): before it, the step x = 0 -> x = 0 counted
as taking the class `next`, and coordspec reported `Live` violated by the lasso
x = 0 -> x = 0, where TLC says it holds.

How the two count generated states. Both count each initial state once, and coordspec
then counts one state per (state, enabled action) it expands. TLC computes successors by
walking the next-state formula as a tree, and counts one generated state at the end of
every path through it that is satisfied: every true disjunct of a `\\/` and every
satisfying binding of an `\\E` is a path of its own, whether or not it contains primed
variables (a guard such as `~active[i] \\/ color[i] = "black"` with both disjuncts true
gives two paths, and so two generated states, to one successor), while `IF`, `~`, `\\A`
(whose instances are conjoined) and set comprehensions do not branch. (Checked on a
micro-module: `x = 0 /\\ (x = 0 \\/ TRUE) /\\ x' = 1` generates two states from x = 0.)
So, with `paths(s, a)` the number of satisfied paths of the TLA+ disjunct that the
port's action `a` transcribes, taken in state `s`:

    TLC generated = coordspec generated + sum over expanded (s, a) of (paths(s, a) - 1)

For the ports here every `\\E` over an action's own parameters is an argument of the
action (`SendMsg(i, j)`, `Phase2b(a, b, v)`, `Set(value)`, `Move(f, t)`), one path each,
so the sum is over the guards that the ports fold into one action:

- EWD840: InitiateProbe's `tcolor = "black" \\/ color[0] = "black"` and PassToken(i)'s
  three-way disjunction: 184 extra paths, 1817 + 184 = 2001 (TLC's count);
- Paxos: Phase2a(b, v)'s `\\E Q \\in Quorum` (the majorities, four of them for three
  acceptors) and, per quorum, `Voted = {} \\/ \\E m \\in Voted : ...`: 844 extra paths,
  22995 + 844 = 23839;
- Peterson: Enter(p)'s `~flag[Other(p)] \\/ turn = p`, whose two disjuncts are never both
  true where p waits (p's flag is up, so the other cannot have entered, and left, after
  giving p the turn): 0 extra paths, 63 = 63;
- SelfLoop, TwoPhase, Hanoi and KnuthYao have no such guard (Hanoi's CanMove is an
  `IF`): equal counts.

`test_generated_relation` asserts the relation for every case, computing the paths on
the transitions coordspec explores; the coordspec-only tests pin the sums, so that the
relation is documented even where TLC is not installed.

The coordspec-only tests (`test_coordspec_pinned`, ...) need no TLC: they pin
coordspec's numbers, so a silent change of a port is caught everywhere. The cross-check
tests call `tlc.require()` first and are skipped without TLC (except in CI).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from model_check.engine import Options, check
from model_check.result import CheckResult, PropertyStatus, Trace
from spec.core import Eventually, Invariant, Model, Specification
from tests import tlc
from tests.models import ewd840, hanoi, knuth_yao, paxos, peterson, selfloop, twophase

Paths = Callable[[Any, Any, Any], int]  # (model, state, action) -> TLC's paths


def one_path(model: Any, state: Any, action: Any) -> int:
    """The action's TLA+ disjunct has one satisfied path: no folded guard."""
    return 1


def ewd840_paths(model: Any, s: ewd840.RingState, action: Any) -> int:
    """InitiateProbe and PassToken(i): one path per true disjunct of the guard."""
    if isinstance(action, ewd840.InitiateProbe):
        return (s.tcolor == ewd840.BLACK) + (s.color[0] == ewd840.BLACK)
    if isinstance(action, ewd840.PassToken):
        i = action.i
        return (not s.active[i]) + (s.color[i] == ewd840.BLACK) + (s.tcolor == ewd840.BLACK)
    return 1


def paxos_paths(model: paxos.Paxos, s: paxos.PaxosState, action: Any) -> int:
    """Phase2a(b, v): per quorum Q joined to b, one path if none of Q voted, else one per
    1b message of Q with v in the highest vote (the \\E m of the second disjunct)."""
    if not isinstance(action, paxos.Phase2a):
        return 1
    paths = 0
    for q in model.quorum:
        joined = model.joined(s, q, action.b)
        if {m.acc for m in joined} != q:
            continue
        voted = [m for m in joined if m.mbal >= 0]
        if not voted:
            paths += 1
            continue
        top = max(m.mbal for m in voted)
        paths += sum(1 for m in voted if m.mval == action.v and m.mbal == top)
    return paths


def peterson_paths(model: Any, s: peterson.PetersonState, action: Any) -> int:
    """Enter(p): one path per true disjunct of ~flag[Other(p)] \\/ turn = p."""
    if isinstance(action, peterson.Enter):
        p = action.p
        return (not s.flag[peterson.other(p)]) + (s.turn == p)
    return 1


@attrs.frozen
class Pinned:
    """coordspec's answer, as literals: counts, and each property's (status, length)."""

    distinct: int
    generated: int
    depth: int
    extra_paths: int  # sum of paths - 1: TLC generated = generated + extra_paths
    properties: Mapping[str, tuple[str, int | None]]


@attrs.frozen
class Case:
    """One TLA+ module, its port, and how their property names correspond."""

    module: str  # the fixture: tests/fixtures/tlc/<module>/<module>.tla
    spec: Specification[Any]
    names: Mapping[str, tuple[str, ...]]  # TLA+ property -> the port's properties
    pinned: Pinned
    paths: Paths = one_path

    @property
    def tla(self) -> Path:
        """The .tla file."""
        return tlc.FIXTURES / self.module / f"{self.module}.tla"

    def check_deadlock(self) -> bool:
        """Whether the cfg checks deadlock (TLC's default, unless CHECK_DEADLOCK FALSE)."""
        cfg = self.tla.with_suffix(".cfg").read_text()
        return re.search(r"^\s*CHECK_DEADLOCK\s+FALSE\b", cfg, re.M) is None


CASES = (
    Case(
        "SelfLoop",
        selfloop.SPEC,
        {"Live": ("live",)},
        Pinned(2, 3, 1, 0, {"live": ("holds", None)}),
    ),
    Case(
        "EWD840",
        ewd840.SPEC,
        {
            "TerminationDetection": ("termination_detection",),
            "Inv": ("inv",),
            "Liveness": ("liveness",),
        },
        Pinned(
            302,
            1817,
            8,
            184,
            {
                "termination_detection": ("holds", None),
                "inv": ("holds", None),
                "liveness": ("holds", None),
            },
        ),
        ewd840_paths,
    ),
    Case(
        "Peterson",
        peterson.SPEC,
        {
            "deadlock": ("deadlock",),
            "MutualExclusion": ("mutual_exclusion",),
            "StarvationFree": ("starvation_free_0", "starvation_free_1"),
            "EntersForever": ("enters_forever",),
        },
        Pinned(
            34,
            63,
            9,
            0,
            {
                "mutual_exclusion": ("holds", None),
                "deadlock": ("holds", None),
                "starvation_free_0": ("holds", None),
                "starvation_free_1": ("holds", None),
                "enters_forever": ("violated", 0),
            },
        ),
        peterson_paths,
    ),
    Case(
        "Paxos",
        paxos.SPEC,
        {
            "deadlock": ("deadlock",),
            "Consistency": ("consistency",),
            "NothingChosen": ("nothing_chosen",),
        },
        Pinned(
            3921,
            22995,
            16,
            844,
            {
                "consistency": ("holds", None),
                "nothing_chosen": ("violated", 6),
                "deadlock": ("holds", None),
            },
        ),
        paxos_paths,
    ),
    Case(
        "TwoPhase",
        twophase.SPEC,
        {
            "deadlock": ("deadlock",),
            "TCConsistent": ("tc_consistent",),
        },
        Pinned(
            288,
            1146,
            10,
            0,
            {
                "tc_consistent": ("holds", None),
                "deadlock": ("holds", None),
            },
        ),
    ),
    Case(
        "Hanoi",
        hanoi.SPEC,
        {"deadlock": ("deadlock",), "NotSolved": ("not_solved",)},
        Pinned(243, 727, 31, 0, {"not_solved": ("violated", 31), "deadlock": ("holds", None)}),
    ),
    Case(
        "KnuthYao",
        knuth_yao.SPEC,
        {"deadlock": ("deadlock",), "Terminates": ("terminates",)},
        Pinned(
            26,
            30,
            3,
            0,
            {
                "deadlock": ("violated", 3),
                "terminates": ("violated", 3),
            },
        ),
    ),
)
BY_NAME = {case.module: case for case in CASES}
IDS = [case.module for case in CASES]


@attrs.frozen
class Run:
    """coordspec's run of a case, with TLC's extra paths counted on its transitions."""

    model: Model[Any, Any]
    result: CheckResult
    extra_paths: int


@functools.cache
def coordspec(module: str) -> Run:
    """Check the case's port at its default configuration (every property, once)."""
    case = BY_NAME[module]
    model = case.spec.model()
    extra = 0

    def count(state: Any, action: Any, byzantine: bool, successor: Any) -> None:
        nonlocal extra
        paths = case.paths(model, state, action)
        assert paths >= 1, f"{action!r} is enabled, so TLC finds a path to its successor"
        extra += paths - 1

    options = Options(stop_at_first=False, check_deadlock=case.check_deadlock(), on_edge=count)
    return Run(model, check(model, options), extra)


@functools.cache
def tlc_answer(module: str) -> tlc.Answer:
    """TLC's answer on the case's fixture (one run per property where one fails)."""
    return tlc.verdicts(BY_NAME[module].tla)


def by_name(result: CheckResult) -> dict[str, PropertyStatus]:
    """The verdicts, by property name."""
    return {p.name: p for p in result.properties}


def trace_of(result: CheckResult, name: str) -> Trace:
    """The counterexample to the property `name`."""
    (trace,) = [c.trace for c in result.counterexamples if c.property == name]
    return trace


def assert_replays(model: Model[Any, Any], trace: Trace) -> None:
    """The trace starts in an initial state and each step is an enabled action's `step`;
    a lasso's last state is its loop state."""
    assert trace.steps[0].action is None
    assert trace.steps[0].state in model.initial()
    for before, after in itertools.pairwise(trace.steps):
        assert (after.action, after.byzantine) in model.enabled(before.state)
        assert model.step(before.state, after.action) == after.state
    if trace.loop is not None:
        assert trace.steps[-1].state == trace.steps[trace.loop].state


# --- coordspec alone: the pinned numbers --------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_coordspec_pinned(case: Case) -> None:
    run = coordspec(case.module)
    result = run.result
    assert result.complete
    pinned = case.pinned
    assert (result.distinct_states, result.generated_states, result.depth) == (
        pinned.distinct,
        pinned.generated,
        pinned.depth,
    )
    assert run.extra_paths == pinned.extra_paths
    got = {p.name: (p.status, p.trace_length) for p in result.properties}
    assert got == dict(pinned.properties)
    for example in result.counterexamples:
        assert_replays(run.model, example.trace)
        is_temporal = example.kind in ("eventually", "leads_to")
        assert (example.trace.loop is not None) == is_temporal


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_property_has_a_tla_counterpart(case: Case) -> None:
    mapped = sorted(name for names in case.names.values() for name in names)
    ported = sorted(p.name for p in coordspec(case.module).result.properties)
    assert mapped == ported
    assert ("deadlock" in case.names) == case.check_deadlock()


def test_ports_declare_their_fairness_classes() -> None:
    for case in CASES:
        model = case.spec.model()
        known = model.action_classes()
        for prop in model.eventually():
            assert known is not None and set(prop.fairness) <= set(known)


class Unfair(Model[Any, Any]):
    """A port with the fairness of its liveness properties taken away."""

    def __init__(self, model: Model[Any, Any]) -> None:
        self.model = model

    def initial(self) -> Any:
        return self.model.initial()

    def honest_actions(self, state: Any) -> Any:
        return self.model.honest_actions(state)

    def step(self, state: Any, action: Any) -> Any:
        return self.model.step(state, action)

    def invariants(self) -> tuple[Invariant[Any], ...]:
        return ()

    def eventually(self) -> tuple[Eventually[Any], ...]:
        return tuple(attrs.evolve(p, fairness=()) for p in self.model.eventually())

    def terminal_ok(self, state: Any) -> bool:
        return self.model.terminal_ok(state)

    def action_class(self, action: Any) -> str:
        return self.model.action_class(action)

    def action_classes(self) -> Any:
        return self.model.action_classes()


@pytest.mark.parametrize(
    ("module", "name", "length"),
    [
        ("SelfLoop", "live", 0),
        ("EWD840", "liveness", 0),
        ("Peterson", "starvation_free_0", 1),
        ("Peterson", "starvation_free_1", 1),
    ],
)
def test_liveness_holds_only_thanks_to_weak_fairness(module: str, name: str, length: int) -> None:
    """Without its fairness the property fails, by stuttering where nothing has to move."""
    model = Unfair(BY_NAME[module].spec.model())
    result = check(model, Options(stop_at_first=False, check_deadlock=False))
    status = by_name(result)[name]
    assert (status.status, status.trace_length) == ("violated", length)
    trace = trace_of(result, name)
    assert trace.loop == len(trace.steps) - 1  # a stutter at its last state
    assert_replays(model, trace)


def test_knuth_yao_loops_on_a_proper_cycle() -> None:
    """`terminates` fails on a cycle of coin flips, every step a Next step (fair)."""
    trace = trace_of(coordspec("KnuthYao").result, "terminates")
    assert trace.loop is not None and trace.loop < len(trace.steps) - 1
    states = [s.state.state for s in trace.steps[trace.loop :]]
    assert set(states) <= set(knuth_yao.INNER)
    assert all(s.action is not None for s in trace.steps[trace.loop + 1 :])


@pytest.mark.parametrize("module", ["SelfLoop", "EWD840"])
def test_declared_ends_are_the_only_states_without_a_successor(module: str) -> None:
    """Where the cfg turns deadlock checking off, the port's terminal_ok covers the ends."""
    case = BY_NAME[module]
    assert not case.check_deadlock()
    result = check(case.spec.model(), Options(stop_at_first=False, check_liveness=False))
    assert by_name(result)["deadlock"].status == "holds"


def test_solutions_are_shortest() -> None:
    """Hanoi's counterexample is the 2^5 - 1 move solution; Paxos's chooses in 6 steps."""
    trace = trace_of(coordspec("Hanoi").result, "not_solved")
    assert trace.steps[-1].state.towers == ((), (), (1, 2, 3, 4, 5))
    run = coordspec("Paxos")
    assert isinstance(run.model, paxos.Paxos)
    trace = trace_of(run.result, "nothing_chosen")
    assert [type(s.action).__name__ for s in trace.steps[1:]] == [
        "Phase1a",
        "Phase1b",
        "Phase1b",
        "Phase2a",
        "Phase2b",
        "Phase2b",
    ]
    assert len(run.model.chosen(trace.steps[-1].state)) == 1


# --- against TLC ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_tlc_agrees(case: Case) -> None:
    tlc.require()
    answer = tlc_answer(case.module)
    result = coordspec(case.module).result
    assert (answer.distinct, answer.depth) == (result.distinct_states, result.depth)
    assert set(answer.verdicts) == set(case.names)
    ours = by_name(result)
    for tla_name, violation in answer.verdicts.items():
        mine = [ours[name] for name in case.names[tla_name]]
        assert (violation is not None) == any(p.status == "violated" for p in mine), tla_name
        if violation is None:
            assert all(p.status == "holds" for p in mine), tla_name
            continue
        if violation.kind == "temporal":
            assert violation.lasso, tla_name
            for p in mine:
                if p.status == "violated":
                    assert trace_of(result, p.name).loop is not None, tla_name
            continue
        (p,) = mine
        assert violation.kind == p.kind, tla_name
        assert violation.length == p.trace_length, tla_name


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_generated_relation(case: Case) -> None:
    """TLC generated = coordspec generated + the extra paths (see the module docstring)."""
    tlc.require()
    answer = tlc_answer(case.module)
    run = coordspec(case.module)
    assert answer.generated == run.result.generated_states + run.extra_paths
    if case.pinned.extra_paths == 0:
        assert answer.generated == run.result.generated_states
