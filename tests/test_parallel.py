"""`--workers N` and `--cluster`: the partitioned search gives the sequential engine's result.

Compared, for every run: the distinct and generated counts, the depth, every property's
verdict, every counterexample and witness trace (whole, step by step), whether the run
is complete and why not, and the observed collision estimate (it reads every stored
fingerprint, so the union of the workers' visited sets is the engine's). The seconds and
the bytes held differ, being the machine's.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from array import array
from collections.abc import Sequence
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_check import parallel
from model_check.engine import CheckerError, ModelError, Options, Progress, check
from model_check.parallel import (
    EMPTY_BATCH,
    FILE_MODULE_PREFIX,
    LevelReport,
    LevelStats,
    LocalPool,
    Partition,
    ProcessPool,
    _RayPartition,
    check_parallel,
    load_module,
    owner,
    parse_cluster,
)
from model_check.result import CheckResult
from spec import registry
from spec.core import (
    Eventually,
    GuardError,
    Invariant,
    Model,
    Witness,
    eventually,
    invariant,
    leads_to,
    make_config,
    witness,
)
from spec.variants import find_variant
from tests.harness.profiles import thorough_only
from tests.harness.tracing import untraced
from tests.models.twophase import SPEC as TWOPHASE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def outcome(result: CheckResult) -> tuple[Any, ...]:
    """Everything of a result that is the model's, not the machine's."""
    return (
        result.distinct_states,
        result.generated_states,
        result.depth,
        result.properties,
        result.counterexamples,
        result.witness_traces,
        result.complete,
        result.incomplete_reason,
        result.collision_calculated,
        result.collision_observed,
        result.symmetry,
        result.interrupted,
    )


def same_as_sequential(model: Model[Any, Any], options: Options, workers: int) -> CheckResult:
    sequential = check(model, options)
    parallel, stats = check_parallel(model, options, workers=workers)
    assert outcome(parallel) == outcome(sequential)
    assert stats.workers == workers
    return parallel


# -- a random graph: any shape of search, checked against the engine --------------------


@attrs.frozen
class Node:
    n: int


class Graph(Model[Node, int]):
    """States 0..size-1 with the given successor lists; `bad` states break `not_bad`.

    A step to an odd state is the adversary's when `byzantine`; the fairness classes are
    `even` and `odd` (of the target), so liveness is decided over two classes.
    """

    byzantine = False

    def __init__(
        self,
        size: int,
        edges: Sequence[Sequence[int]],
        starts: Sequence[int],
        bad: frozenset[int],
        ends: frozenset[int],
        outside: frozenset[int],
        goal: int,
    ) -> None:
        self.size, self.edges, self.starts = size, edges, starts
        self.bad, self.ends, self.outside, self.goal = bad, ends, outside, goal

    def initial(self) -> Sequence[Node]:
        return tuple(Node(s) for s in self.starts)

    def honest_actions(self, state: Node) -> Sequence[int]:
        return tuple(t for t in self.edges[state.n] if not (self.byzantine and t % 2))

    def byzantine_actions(self, state: Node) -> Sequence[int]:
        return tuple(t for t in self.edges[state.n] if self.byzantine and t % 2)

    def action_class(self, action: int) -> str:
        return "odd" if action % 2 else "even"

    def action_classes(self) -> Sequence[str]:
        return ("even", "odd")

    def step(self, state: Node, action: int) -> Node:
        return Node(action)

    def terminal_ok(self, state: Node) -> bool:
        return state.n in self.ends

    def constraint(self, state: Node) -> bool:
        return state.n not in self.outside

    def invariants(self) -> Sequence[Invariant[Node]]:
        bad = self.bad

        def not_bad(state: Node) -> bool:
            """No bad state."""
            return state.n not in bad

        def below(state: Node) -> bool:
            """Not the last state."""
            return state.n != self.size - 1

        return (invariant(not_bad), invariant(below))

    def witnesses(self) -> Sequence[Witness[Node]]:
        def reaches_goal(state: Node) -> bool:
            """The goal is reached."""
            return state.n == self.goal

        return (witness(reaches_goal),)

    def eventually(self) -> Sequence[Eventually[Node]]:
        goal = self.goal

        @eventually("even", "odd")
        def finds_goal(state: Node) -> bool:
            """Every fair behaviour reaches the goal."""
            return state.n == goal

        def triple(state: Node) -> bool:
            return state.n % 3 == 0

        @leads_to(triple, "even")
        def answered(state: Node) -> bool:
            """A multiple of three leads to an even state."""
            return state.n % 2 == 0

        return (finds_goal, answered)


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    size = draw(st.integers(2, 40))
    node = st.integers(0, size - 1)
    edges = draw(st.lists(st.lists(node, max_size=4), min_size=size, max_size=size))
    starts = draw(st.lists(node, min_size=1, max_size=3))
    subset = st.frozensets(node, max_size=4)
    graph = Graph(size, edges, starts, draw(subset), draw(subset), draw(subset), draw(node))
    graph.byzantine = draw(st.booleans())
    return graph


options_strategy = st.builds(
    Options,
    max_depth=st.none() | st.integers(0, 6),
    max_states=st.none() | st.integers(1, 30),
    check_deadlock=st.booleans(),
    check_liveness=st.booleans(),
    stop_at_first=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(graphs(), options_strategy, st.integers(1, 4))
def test_any_graph_any_options_same_result(graph: Graph, options: Options, workers: int) -> None:
    sequential = check(graph, options)
    parallel, _ = check_parallel(graph, options, workers=workers, in_process=True)
    assert outcome(parallel) == outcome(sequential)


@settings(max_examples=15, deadline=None)
@given(graphs(), options_strategy)
def test_any_graph_on_processes_same_result(graph: Graph, options: Options) -> None:
    same_as_sequential(graph, options, 2)


# -- the protocols and their mutants -------------------------------------------------------


def build(protocol: str, **params: str) -> Model[Any, Any]:
    spec = registry.specifications()[protocol]
    return spec.build(make_config(spec.config_type, params))


@pytest.mark.parametrize(
    ("protocol", "preset"),
    [
        # PBFT's default across processes is also test_cli_workers_same_json_any_hash_seed's
        pytest.param(
            "pbft",
            "default",
            marks=thorough_only("~20 s"),
        ),
        ("weighted", "near_threshold_deadline"),
        # ~20 s in make test since the round timeout (80,373 states); iterative models
        # go across processes in every run in test_mutants_same_counterexample
        pytest.param(
            "iterative",
            "converged_early",
            marks=thorough_only("~20 s"),
        ),
    ],
)
@pytest.mark.untraced
def test_protocol_presets_same_result(protocol: str, preset: str) -> None:
    spec = registry.specifications()[protocol]
    model = spec.build(make_config(spec.config_type, spec.preset(preset).params))
    result = same_as_sequential(model, Options(), 2)
    assert result.complete


@pytest.mark.untraced
def test_symmetry_in_process_same_result() -> None:
    model = build("pbft", requests="1")  # 3,680 states reduced (PBFT's default: ~20 s here)
    assert model.has_symmetry()
    sequential = check(model, Options())
    parallel, _ = check_parallel(model, Options(), workers=3, in_process=True)
    assert outcome(parallel) == outcome(sequential)


@pytest.mark.parametrize(
    ("protocol", "name", "options"),
    [
        ("pbft", "prepare_quorum_2f_minus_1", Options()),
        ("weighted", "seed_running_total", Options(stop_at_first=False)),
        ("iterative", "self_feedback_counted", Options(symmetry=False)),
        ("iterative", "silent_participant", Options(max_depth=3)),
        ("pbft", "two_faulty_of_four", Options(max_states=400)),
    ],
)
def test_mutants_same_counterexample(protocol: str, name: str, options: Options) -> None:
    variant = find_variant(protocol, name)
    model = variant.model(variant.configure({}, unsafe=False))
    result = same_as_sequential(model, options, 2)
    assert result.counterexamples or options.max_states


def test_classic_model_same_result_and_ships_little() -> None:
    model = TWOPHASE.build(make_config(TWOPHASE.config_type, {"rms": "4"}))
    sequential = check(model, Options())
    parallel, stats = check_parallel(model, Options(), workers=2)
    assert outcome(parallel) == outcome(sequential)
    # Each worker ships a fingerprint at most once: at most every state, once per worker.
    assert 0 < stats.states_shipped <= sequential.distinct_states
    assert stats.bytes_per_state > 16


def test_every_worker_owns_a_share() -> None:
    fps = range(0, 1 << 48, (1 << 48) // 997)
    shares = [sum(1 for fp in fps if owner(fp, 3) == w) for w in range(3)]
    assert min(shares) > 250


# -- what cannot run on workers, and failures -----------------------------------------------


class Broken(Graph):
    """Its step raises on state 3."""

    def step(self, state: Node, action: int) -> Node:
        if action == 3:
            raise ValueError("three is not allowed")
        return Node(action)


class Lying(Graph):
    """It lists a step that its `step` refuses."""

    def step(self, state: Node, action: int) -> Node:
        if action == 2:
            raise GuardError("go", "never", "refused")
        return Node(action)


def chain(cls: type[Graph]) -> Graph:
    return cls(5, [[1], [2], [3], [4], []], [0], frozenset(), frozenset({4}), frozenset(), 4)


@pytest.mark.parametrize("in_process", [False, True])
def test_a_model_error_in_a_worker_is_one_line(in_process: bool) -> None:
    with pytest.raises(ModelError, match=r"ValueError: three is not allowed .*depth 2"):
        check_parallel(chain(Broken), Options(), workers=2, in_process=in_process)
    with pytest.raises(CheckerError, match="lists 2 as enabled but step rejects it") as err:
        check_parallel(chain(Lying), Options(), workers=2, in_process=in_process)
    assert not isinstance(err.value, ModelError)


class NoStart(Graph):
    """Its initial states cannot be computed."""

    def initial(self) -> Sequence[Node]:
        raise RuntimeError("no start")


def test_a_model_error_in_the_initial_states() -> None:
    with pytest.raises(ModelError, match="RuntimeError: no start"):
        check_parallel(chain(NoStart), Options(), workers=2)


def test_progress_is_reported_per_level() -> None:
    seen: list[Progress] = []
    result, _ = check_parallel(
        chain(Graph), Options(progress=seen.append), workers=2, in_process=True
    )
    assert [p.distinct for p in seen] == [2, 3, 4, 5]  # then state 4 breaks `below`
    assert seen[-1].distinct == result.distinct_states


class Interrupting(LocalPool):
    """Ctrl-C during the third level."""

    def level(
        self, depth: int, found: Sequence[str], bounds: Sequence[int] = ()
    ) -> list[tuple[LevelStats, LevelReport]]:
        if depth == 2:
            raise KeyboardInterrupt
        return super().level(depth, found, bounds)


def test_ctrl_c_reports_the_levels_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "LocalPool", Interrupting)
    result, _ = check_parallel(chain(Graph), Options(), workers=2, in_process=True)
    assert result.interrupted and result.result == "interrupted"
    assert result.distinct_states == 3 and result.incomplete_reason == "an interrupt (Ctrl-C)"


def test_a_ray_partition_loads_a_model_file(tmp_path: Any) -> None:
    """What a Ray actor does, in this process: load the model's file, then search."""
    source = tmp_path / "chainmodel.py"
    source.write_text(
        "from tests.test_parallel import Graph, chain\nMODEL = chain(Graph)\n", encoding="utf-8"
    )
    name = f"{FILE_MODULE_PREFIX}chainmodel"
    load_module(name, str(source))
    model = sys.modules[name].MODEL
    actor = _RayPartition((name + "_again", str(source)), pickle.dumps(model), Options(), 0, 1)
    assert name + "_again" in sys.modules
    actor.start([(0, Node(0))], array("Q", [7]).tobytes())
    stats, *batches = actor.expand(0)
    assert list(stats.counts) == [1] and batches == [EMPTY_BATCH]
    report = actor.receive([])
    assert len(report.keys) == 1 and report.error is None
    actor.assign(report.keys.tobytes(), 1, b"")
    assert actor.nbytes() > 0 and actor.partition.known.index(7) == 0
    broken = _RayPartition(None, pickle.dumps(chain(Broken)), Options(), 0, 1)
    broken.start([(0, Node(2))], array("Q", [7]).tobytes())
    broken.expand(2)
    failed = broken.receive([])
    assert failed.error is not None and failed.error[0]
    del sys.modules[name], sys.modules[name + "_again"]


def test_refused_options() -> None:
    with pytest.raises(CheckerError, match="need fingerprints"):
        check_parallel(chain(Graph), Options(fingerprints=False))
    with pytest.raises(CheckerError, match="explored edges"):
        check_parallel(chain(Graph), Options(on_edge=lambda *_: None))


def test_liveness_lassos_same_as_sequential() -> None:
    """The graph gathered from the workers gives the engine's lassos, step for step."""
    model = mutant("pbft", "seed_prepare_rule_silent_backup")
    result = same_as_sequential(model, Options(stop_at_first=False), 2)
    lassos = [c for c in result.counterexamples if c.kind in ("eventually", "leads_to")]
    assert lassos and all(c.trace.loop is not None for c in lassos)


def test_parse_cluster() -> None:
    assert parse_cluster("local:3") == ("local", 3)
    assert parse_cluster("ray://head:10001") == ("ray://head:10001", None)
    assert parse_cluster("auto") == ("auto", None)
    for bad in ("local:0", "local:x", "head"):
        with pytest.raises(ValueError, match="--cluster"):
            parse_cluster(bad)


def test_a_lost_worker_is_reported() -> None:
    model = chain(Graph)
    pool = ProcessPool(model, Options(check_liveness=False), 2)
    try:
        pool.processes[1].kill()
        pool.processes[1].join()
        with pytest.raises(CheckerError, match="worker 1 ended"):
            pool.start([[], []], b"")
    finally:
        pool.close()


def test_one_partition_expands_its_frontier() -> None:
    model = chain(Graph)
    part = Partition(model, Options(check_liveness=False), 0, 1)
    part.start([(0, Node(0))], array("Q", [1]).tobytes())
    stats, batches = part.expand(0)
    assert list(stats.counts) == [1] and batches == [None]
    report = part.receive([])
    assert list(report.keys) == [0 << 32 | 0]


# -- the command line ------------------------------------------------------------------------


def run_cli(*args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.run(
        [sys.executable, "-m", "model_check", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


def without_machine(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    data.pop("seconds", None)
    data.pop("visited_bytes", None)
    return data


def test_cli_workers_same_json_any_hash_seed() -> None:
    args = ("check", "pbft", "--preset", "default", "--json", "--quiet")
    sequential = run_cli(*args)
    one = run_cli(*args, "--workers", "2", seed="1")
    other = run_cli(*args, "--workers", "3", seed="12345")
    assert sequential.returncode == one.returncode == other.returncode == 0, one.stderr
    assert without_machine(one.stdout) == without_machine(sequential.stdout)
    assert without_machine(other.stdout) == without_machine(sequential.stdout)
    assert "workers: 2 processes" in one.stderr


def test_cli_workers_counterexample_file_identical(tmp_path: Any) -> None:
    base = ("check", "pbft", "--variant", "prepare_quorum_2f_minus_1", "--quiet")
    one = run_cli(*base, "--trace-out", str(tmp_path / "a.itf.json"))
    two = run_cli(*base, "--workers", "2", "--trace-out", str(tmp_path / "b.itf.json"))
    assert one.returncode == two.returncode == 1
    assert (tmp_path / "a.itf.json").read_bytes() == (tmp_path / "b.itf.json").read_bytes()


def test_cli_bad_workers_and_cluster() -> None:
    bad = run_cli("check", "pbft", "--preset", "default", "--cluster", "nowhere")
    assert bad.returncode == 2 and "--cluster nowhere" in bad.stderr
    assert "Traceback" not in bad.stderr
    both = run_cli("check", "pbft", "--workers", "2", "--cluster", "local:2")
    assert both.returncode == 2 and "one of --workers and --cluster" in both.stderr
    full = run_cli("check", "pbft", "--preset", "default", "--workers", "2", "--full-states")
    assert full.returncode == 2 and "need fingerprints" in full.stderr


def mutant(protocol: str, name: str) -> Model[Any, Any]:
    variant = find_variant(protocol, name)
    return variant.model(variant.configure({}, unsafe=False))


# -- Ray ------------------------------------------------------------------------------------


def test_ray_local_cluster_same_result() -> None:
    ray = pytest.importorskip("ray")
    model = build("pbft", requests="1")  # 3,680 states: the cluster's start-up dominates
    with untraced():  # tests/harness/tracing.py; the cluster's driver is traced
        sequential = check(model, Options())
    clustered, stats = check_parallel(model, Options(), cluster="local:2")
    assert outcome(clustered) == outcome(sequential)
    assert stats.transport == "ray" and stats.workers == 2
    assert not ray.is_initialized()  # the run's own cluster is shut down
    # Joining a running cluster (here a local one): one worker a CPU.
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        model = mutant("weighted", "seed_running_total")
        with untraced():
            sequential = check(model, Options())
        clustered, stats = check_parallel(model, Options(), cluster="auto")
        assert outcome(clustered) == outcome(sequential) and stats.workers == 2
        assert ray.is_initialized()  # a joined cluster stays up
    finally:
        ray.shutdown()


def test_cli_cluster_checks_a_model_file() -> None:
    pytest.importorskip("ray")
    args = ("check", "tests/models/twophase.py", "--rms", "4", "--json", "--quiet")
    sequential = run_cli(*args)
    clustered = run_cli(*args, "--cluster", "local:2")
    assert sequential.returncode == clustered.returncode == 0, clustered.stderr
    assert without_machine(clustered.stdout) == without_machine(sequential.stdout)
    assert "workers: 2 ray" in clustered.stderr


def test_memory_limit_spills_with_the_same_json() -> None:
    """`--memory` bounds each process's fingerprints; the answers stay the engine's."""
    args = ("check", "pbft", "--preset", "default", "--json", "--quiet")
    plain = run_cli(*args)
    spilled = run_cli(*args, "--memory", "64K")
    both = run_cli(*args, "--memory", "64K", "--workers", "2")
    assert plain.returncode == spilled.returncode == both.returncode == 0, both.stderr
    assert without_machine(spilled.stdout) == without_machine(plain.stdout)
    assert without_machine(both.stdout) == without_machine(plain.stdout)
    bad = run_cli("check", "pbft", "--memory", "lots")
    assert bad.returncode == 2 and "'lots'" in bad.stderr and "Traceback" not in bad.stderr
