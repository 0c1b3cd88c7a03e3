"""The portfolio: `coordspec check PROTOCOL` without parameters checks the presets its
spec marks `portfolio` (`Specification.portfolio`), each exhaustively, then one table;
and every mutant a portfolio preset was added for (the `PORTFOLIO` of
spec/variants/*.py) is missed by the protocol's default and caught by its preset.

The default runs of the mutants take about 5 to 30 s each (in a full test run, two at a
time): PBFT's first runs always, the others with `HYPOTHESIS_PROFILE=thorough`
(tests/harness/profiles.py), as does the run of every real portfolio that pins its
counts.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest

import spec
from model_check import cli
from model_check.engine import Options, check
from model_check.result import CheckResult
from spec import pbft, registry
from spec import weighted as w
from spec.core import Model, Preset, Specification, make_config
from spec.registry import Registration
from spec.variants import Variant
from spec.variants import iterative as iterative_variants
from spec.variants import pbft as pbft_variants
from spec.variants import weighted as weighted_variants
from tests.harness.profiles import THOROUGH
from tests.harness.specs import pinned_counterexample

#: The mutants the portfolios were built to catch, by protocol.
PORTFOLIO_MUTANTS: dict[str, tuple[Variant[Model[Any, Any]], ...]] = {
    "pbft": pbft_variants.PORTFOLIO,
    "weighted": weighted_variants.PORTFOLIO,
    "iterative": iterative_variants.PORTFOLIO,
}
MUTANTS = [m for mutants in PORTFOLIO_MUTANTS.values() for m in mutants]

#: Each portfolio, as declared: the presets in the order they are checked.
PORTFOLIOS = {
    "pbft": [
        "default",
        "two_seqs",
        "watermarks",
        "checkpoint_view_change",
        "two_view_changes",
        "faulty_backup",
    ],
    "weighted": ["default", "revote_after_update", "near_threshold_deadline"],
    "iterative": ["default", "converged_early"],
}


def cells(line: str) -> list[str]:
    """The cells of a table row (`│ a │ b │`, a header `┃ a ┃ b ┃`); [] for other lines."""
    for bar in ("│", "┃"):
        if line.startswith(bar):
            return [c.strip() for c in line.split(bar)[1:-1]]
    return []


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def preset_config(protocol: str, name: str) -> Any:
    """The configuration of a protocol's preset."""
    specification = registry.specification(protocol)
    return make_config(specification.config_type, specification.preset(name).params)


# --- what the portfolios are ---------------------------------------------------------------


def test_every_protocol_declares_its_portfolio() -> None:
    assert set(PORTFOLIOS) == set(registry.names())
    for protocol, names in PORTFOLIOS.items():
        portfolio = registry.specification(protocol).portfolio()
        assert [p.name for p in portfolio] == names
        assert all(p.portfolio and p.summary for p in portfolio)


def test_a_spec_without_portfolio_marks_has_none() -> None:
    """The marks are opt-in: the presets of a model file are not a portfolio."""
    rumor = registry.specification_of(Registration("tests.models.rumor"))
    assert rumor.portfolio() == ()
    assert Preset("x", "a preset").portfolio is False


def test_each_pbft_preset_exercises_its_feature() -> None:
    """The bounds each preset's summary names: two sequence numbers; watermarks that
    bind (H = h + 1 < max_seq before the first stable checkpoint); two view changes;
    the faulty replica as view 0's backup and view 1's primary."""
    two_seqs = pbft.Pbft(preset_config("pbft", "two_seqs"))
    assert two_seqs.config.max_seq == 2 and two_seqs.primary(0) in two_seqs.faulty
    for name in ("watermarks", "checkpoint_view_change"):
        model = pbft.Pbft(preset_config("pbft", name))
        (s0,) = model.initial()
        assert model.config.checkpoint_interval == 1
        assert all(model.window(s0, i) == range(1, 2) for i in model.honest)  # seq 2 waits
        assert model.config.max_seq == 2
    two_views = pbft.Pbft(preset_config("pbft", "two_view_changes"))
    assert two_views.config.max_view == 2 and not two_views.byzantine
    faulty = pbft.Pbft(preset_config("pbft", "faulty_backup"))
    assert faulty.primary(0) not in faulty.faulty and faulty.primary(1) in faulty.faulty


def test_the_near_threshold_preset_reaches_a_tally_just_below_the_bar() -> None:
    """A state whose leading option's share lies within half a percent below the
    threshold is reachable (13/23 against 57/100), and the spec's deadline closes it
    with no_consensus. (At the default threshold no share is that near: the mutant
    deadline_rounds_to_percent passes there, `test_the_default_misses_the_mutant`.)"""
    model = w.Weighted(preset_config("weighted", "near_threshold_deadline"))
    near: set[Fraction] = set()
    closed: set[object] = set()

    def edge(state: object, action: object, byzantine: bool, after: Any) -> None:
        if after.closed:
            return
        bar = after.consensus_threshold
        shares = [x / after.max_possible_weight for x in model.tally(after).values()]
        if max(shares) < bar and any(bar - Fraction(1, 200) <= x for x in shares):
            near.update(x for x in shares if bar - Fraction(1, 200) <= x)
            closed.add(model.step(after, w.VotingDeadline()).final_decision)

    assert check(model, Options(on_edge=edge)).result == "ok"
    assert (near, closed) == ({Fraction(13, 23)}, {w.NO_CONSENSUS})


def test_the_other_portfolio_bounds() -> None:
    revote = preset_config("weighted", "revote_after_update")
    assert isinstance(revote, w.WeightedConfig)
    assert revote.max_votes == 2 and revote.assessments == 2  # a re-vote, a later update
    three = preset_config("iterative", "converged_early")
    assert getattr(three, "max_rounds", None) == 3


# --- the mutants: missed by the default, caught by the portfolio ---------------------------


def test_one_mutant_per_feature_the_portfolio_adds() -> None:
    """Each portfolio preset but the default is the configuration of exactly one of the
    protocol's portfolio mutants, and each such mutant's configuration is one."""
    for protocol, mutants in PORTFOLIO_MUTANTS.items():
        added = [p for p in registry.specification(protocol).portfolio() if p.name != "default"]
        configs = [preset_config(protocol, p.name) for p in added]
        assert sorted(configs.index(m.config) for m in mutants) == list(range(len(added)))
        assert all(m.protocol == protocol for m in mutants)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.protocol}-{m.name}")
@pytest.mark.untraced
def test_the_portfolio_catches_the_mutant(mutant: Variant[Model[Any, Any]]) -> None:
    """(b): at its portfolio preset the mutant's pinned property breaks, in its pinned
    number of steps (the whole trace: tests/test_variants.py): first, or with
    `--continue` when a restated claim sees the break earlier (`first`)."""
    _, cex = pinned_counterexample(mutant)
    assert (cex.property, len(cex.trace)) == (mutant.property, mutant.length)


def _default_runs() -> list[Any]:
    """The mutants whose default run is part of every test run: PBFT's first (the
    weighted and iterative ones' runs take 20-30 s each); all of them with the thorough
    profile."""
    params = []
    for mutants in PORTFOLIO_MUTANTS.values():
        for i, m in enumerate(mutants):
            first = i == 0 and m.protocol == "pbft"  # the others' take 20-30 s each
            marks = [] if first or THOROUGH else [pytest.mark.skip(reason="thorough profile")]
            params.append(pytest.param(m, id=f"{m.protocol}-{m.name}", marks=marks))
    return params


@pytest.mark.parametrize("mutant", _default_runs())
@pytest.mark.untraced
def test_the_default_misses_the_mutant(mutant: Variant[Model[Any, Any]]) -> None:
    """(a): exhaustively at the protocol's default preset the mutant violates nothing,
    and it explores the spec's very states (`COUNTS`): the feature it breaks is not
    exercised there."""
    default = registry.specification(mutant.protocol).default_config()
    broken = check(mutant.model(default), Options())
    assert broken.result == "ok", [p.name for p in broken.properties if p.failed()]
    assert (broken.distinct_states, broken.generated_states) == COUNTS[mutant.protocol][0]


#: Each real portfolio preset's (distinct, generated) states, symmetry-reduced.
COUNTS = {
    "pbft": [
        (11715, 32256),
        (1961, 8669),
        (3227, 8782),
        (3060, 6239),
        (16109, 36528),
        (10746, 32928),
    ],
    "weighted": [(14478, 57577), (7619, 19301), (2346, 5343)],
    "iterative": [(80373, 115815), (21674, 23750)],
}


@pytest.mark.skipif(not THOROUGH, reason="every real portfolio: about 25 s (thorough profile)")
@pytest.mark.parametrize("protocol", registry.names())
def test_the_real_portfolios_pass(capsys: pytest.CaptureFixture[str], protocol: str) -> None:
    code, out, _ = run(capsys, "check", protocol, "--quiet", "--json")
    data = json.loads(out)
    assert (code, data["ok"]) == (0, True)
    assert [r["preset"] for r in data["portfolio"]] == PORTFOLIOS[protocol]
    assert all(r["result"] == "ok" and r["complete"] for r in data["portfolio"])
    counts = [(r["distinct_states"], r["generated_states"]) for r in data["portfolio"]]
    assert counts == COUNTS[protocol]


# --- the command line, on a model file with a portfolio -------------------------------------

COUNTER = '''
import attrs
from spec.core import Config, Model, Preset, Specification, invariant, param, witness

@attrs.frozen
class Cfg(Config):
    limit: int = param(2, low=1, high=5, help="the counter stops here")
    bound: int = param(3, low=1, high=5, help="the invariant's bound")

@attrs.frozen
class Inc:
    by: int

class Counter(Model[int, Inc]):
    def __init__(self, c):
        self.c = c
    def initial(self):
        return [0]
    def honest_actions(self, s):
        return [Inc(1)] if s < self.c.limit else []
    def step(self, s, a):
        return s + a.by
    def terminal_ok(self, s):
        return True
    def invariants(self):
        @invariant
        def within_bound(s):
            """The counter stays within the bound."""
            return s <= self.c.bound
        return [within_bound]
    def witnesses(self):
        @witness
        def moved(s):
            """The counter moved."""
            return s > 0
        return [moved]

SPEC = Specification("counter", "a counter (a test fixture)", Cfg, Counter, presets=(
    Preset("default", "the defaults", portfolio=True),
    Preset("tight", "a bound the counter passes", {"bound": "1"}, portfolio=True),
    Preset("far", "a run that is not in the portfolio", {"limit": "5"}),
))
'''


@pytest.fixture
def counter(tmp_path: Path) -> str:
    """The counter model file: a portfolio of `default` (holds) and `tight` (violated
    in 2 steps); `far` is a preset outside the portfolio."""
    path = tmp_path / "counter.py"
    path.write_text(COUNTER)
    return str(path)


def test_portfolio_text(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    code, out, err = run(capsys, "check", counter, "--quiet")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == (
        "coordspec check counter: its portfolio of 2 presets (coordspec list shows them; "
        "--preset NAME checks one)"
    )
    header = next(line for line in lines if line.startswith("┃"))
    assert cells(header) == ["preset", "result", "distinct", "generated", "depth", "s", "violated"]
    rows = {row[0]: row for row in map(cells, lines) if row}
    assert rows["default"][:5] == ["default", "ok", "3", "3", "2"]
    assert rows["tight"][:5] == ["tight", "violation", "3", "3", "2"]
    assert rows["tight"][6] == "within_bound (2 steps)"
    assert rows["total"][:4] == ["total", "", "6", "6"]
    assert (
        "Counterexample (counter --preset tight: limit=2, bound=1): invariant within_bound "
        "violated in 2 steps"
    ) in out
    assert "far" not in out
    assert lines[-1] == "Result: VIOLATION (1 of 2 runs)"


def test_portfolio_json_is_each_single_run(
    capsys: pytest.CaptureFixture[str], counter: str
) -> None:
    """`--json`: {"protocol", "portfolio": [{"preset", ...one run's object}], "ok"}, each
    entry the object `check FILE --preset NAME --json` prints (but its seconds)."""
    code, out, _ = run(capsys, "check", counter, "--quiet", "--json")
    assert code == 1
    data = json.loads(out)
    assert list(data) == ["protocol", "portfolio", "ok"]
    assert (data["protocol"], data["ok"]) == ("counter", False)
    assert [r["preset"] for r in data["portfolio"]] == ["default", "tight"]
    for entry in data["portfolio"]:
        code, single, _ = run(capsys, "check", counter, "--preset", entry["preset"], "--json")
        alone = json.loads(single)
        assert {k: v for k, v in entry.items() if k not in ("preset", "seconds")} == {
            k: v for k, v in alone.items() if k != "seconds"
        }
        assert code == (1 if entry["preset"] == "tight" else 0)


def test_portfolio_trace_out_is_the_first_failing_preset(
    capsys: pytest.CaptureFixture[str], counter: str, tmp_path: Path
) -> None:
    trace = tmp_path / "cex.itf.json"
    code, out, _ = run(capsys, "check", counter, "--quiet", "--trace-out", str(trace))
    assert code == 1
    written = f"Counterexample of preset tight written to {trace} (ITF JSON)."
    assert written in " ".join(out.split())  # wrapped at 120 columns
    meta = json.loads(trace.read_text())["#meta"]
    assert (meta["preset"], meta["property"], meta["params"]) == (
        "tight",
        "within_bound",
        {"limit": "2", "bound": "1"},
    )
    code, out, _ = run(capsys, "conform", counter, str(trace))
    assert code == 0 and out.startswith("conforms: 2 steps")


def test_one_configuration_is_checked_as_before(
    capsys: pytest.CaptureFixture[str], counter: str, tmp_path: Path
) -> None:
    """`--preset NAME`, parameters or `--variant` check one configuration, as ever."""
    for args in (["--preset", "far"], ["--bound", "3"], ["--preset", "default"]):
        code, out, _ = run(capsys, "check", counter, *args, "--quiet")
        assert out.startswith("coordspec check counter (limit="), args
        assert "portfolio" not in out
    assert code == 0
    code, _, err = run(capsys, "check", counter, "--witness-out", str(tmp_path / "w"))
    assert code == 2
    assert err.startswith("coordspec: error: --witness-out writes one configuration's")
    assert "--preset NAME --witness-out DIR" in err
    code, out, _ = run(capsys, "check", "pbft", "--variant", "commit_quorum_2f", "--quiet")
    assert code == 1 and out.startswith("coordspec check pbft (replicas=4")


def test_checker_options_apply_to_each_run(
    capsys: pytest.CaptureFixture[str], counter: str
) -> None:
    code, out, _ = run(capsys, "check", counter, "--max-states", "1", "--quiet")
    assert code == 3 and out.splitlines()[-1] == "Result: INCOMPLETE (2 of 2 runs)"
    code, out, _ = run(capsys, "check", counter, "--simulate", "3", "--depth", "2", "--quiet")
    assert code == 1  # a walk of the tight preset breaks its bound
    code, out, _ = run(capsys, "check", counter, "--max-depth", "1", "--continue", "--json")
    assert [r["result"] for r in json.loads(out)["portfolio"]] == ["incomplete", "incomplete"]


def test_check_without_protocol_runs_every_portfolio(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    counter: str,
) -> None:
    """Every registered protocol's portfolio, in one table with a protocol column; a
    protocol without portfolio marks is checked at its defaults alone."""
    monkeypatch.syspath_prepend(str(Path(counter).parent))
    monkeypatch.setattr(
        spec, "PROTOCOLS", (Registration("counter"), Registration("tests.models.rumor"))
    )
    code, out, _ = run(capsys, "check", "--quiet")
    assert code == 1
    assert "coordspec check: every registered protocol's portfolio" in out
    table = out[: out.index("Counterexample (")]
    rows = [cells(line)[:2] for line in table.splitlines() if line.startswith("│")]
    assert rows == [
        ["counter", "default"],
        ["counter", "tight"],
        ["rumor", "default"],
        ["total", ""],
    ]
    assert "Counterexample (rumor --preset default: agents=4)" in out
    assert out.splitlines()[-1] == "Result: VIOLATION (2 of 3 runs)"
    code, out, _ = run(capsys, "check", "--quiet", "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert [(r["protocol"], [p["preset"] for p in r["portfolio"]]) for r in data["results"]] == [
        ("counter", ["default", "tight"]),
        ("rumor", ["default"]),
    ]


def test_an_interrupted_run_ends_the_portfolio() -> None:
    """Ctrl-C in one preset's run: the portfolio stops there, reported as interrupted."""
    specification = Specification(
        "p",
        "a portfolio",
        w.WeightedConfig,
        w.Weighted,
        presets=(Preset("default", "d", portfolio=True), Preset("b", "b", portfolio=True)),
    )
    partial = CheckResult(
        "exhaustive", 1, 1, 0, 0.0, (), (), (), False, None, False, True, 0, None, None, True
    )
    seen: list[str | None] = []

    def interrupted(
        s: Specification[Any], values: dict[str, str], preset: str | None
    ) -> tuple[dict[str, Any], CheckResult]:
        seen.append(preset)
        return {}, partial

    runs = cli.run_portfolio(specification, interrupted)
    assert seen == ["default"] and [r.preset.name for r in runs] == ["default"]
    assert cli.portfolio_line([partial]) == "Result: INTERRUPTED (1 of 1 runs)"
    assert cli.portfolio_ok([attrs.evolve(partial, interrupted=False, complete=True)])


def test_list_marks_the_portfolio(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "  preset two_seqs (portfolio): two sequence numbers" in out
    assert "  preset liveness: a crashed backup" in out
    protocols = json.loads(run(capsys, "list", "--json")[1])["protocols"]
    marked = {p["name"]: [x["name"] for x in p["presets"] if x["portfolio"]] for p in protocols}
    assert marked == PORTFOLIOS
