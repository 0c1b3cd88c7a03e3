"""The Z3 proofs: every theorem proved, every twin refuted, and the spec's formulas matter.

`pbft_induction` has its own file (tests/test_proof_pbft.py); the rest run here, each
theorem and each twin. Changing a spec formula (monkeypatched) must break the proof that
reads it, and the encodings of the cap and of the scaling must compute what the spec's
Python computes on concrete values.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from model_check.cli import main
from proofs import core, pbft_induction, quorum, registry, weights
from spec import pbft, weighted
from spec.weighted import scoring

FAST = [t for t in registry.THEOREMS if t is not pbft_induction.THEOREM]


def test_registry_lists_the_five_items_of_the_issue() -> None:
    names = [t.name for t in registry.THEOREMS]
    assert names == [
        "quorum_intersection",
        "quorum_intersection_sets",
        "weighted_quorums",
        "weight_cap_fairness",
        "expertise_scaling",
        "pbft_induction",
    ]


@pytest.mark.parametrize("theorem", FAST, ids=lambda t: t.name)
def test_theorem_is_proved(theorem: core.Theorem) -> None:
    result = core.run(theorem)
    assert result.status == "proved", result.as_dict()
    assert result.ok and result.counterexample == ""
    assert all(o.status == "proved" for o in result.outcomes)


@pytest.mark.parametrize("theorem", FAST, ids=lambda t: t.name)
def test_twin_is_refuted_with_a_counterexample(theorem: core.Theorem) -> None:
    result = core.run(theorem, twin=True)
    assert result.status == "refuted", result.as_dict()
    assert result.ok
    assert all(o.status == "refuted" and o.counterexample for o in result.outcomes)


def test_set_proof_covers_the_seeds_range() -> None:
    names = [ob.name for ob in quorum.set_obligations()]
    assert names[0].startswith("n = 4:") and names[-1].startswith("n = 100:")
    assert len({name.split(":")[0] for name in names}) == 97


# --- the spec's formulas are what is proved ---------------------------------------------


def test_the_seeds_quorum_of_2f_plus_1_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    """P8: with 2f + 1 at every n, Z3 finds two quorums sharing only a faulty replica."""
    # the quorum sizes are computed from `quorum` in the constants table's module
    monkeypatch.setattr(pbft.config, "quorum", lambda n, f: 2 * f + 1)
    assert core.run(quorum.INTERSECTION).status == "refuted"
    sets = core.run(quorum.INTERSECTION_SETS)
    assert sets.status == "refuted"
    assert sets.counterexample.startswith("n = 5, f = 1")


def test_a_wrong_f_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pbft, "max_faulty", lambda n: n // 3)
    result = core.run(quorum.INTERSECTION)
    assert result.status == "refuted"
    assert "n >= 3f + 1" in result.counterexample


def test_a_weaker_threshold_rule_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scoring, "reaches", lambda s, t, total: s >= t * total / 2)
    result = core.run(weights.WEIGHTED_QUORUMS)
    assert result.status == "refuted"
    assert "both reach the threshold" in result.counterexample


def test_a_larger_cap_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cap of 3/5 lets a share above one half through: the claim reads MAX_SHARE."""
    monkeypatch.setattr(scoring, "MAX_SHARE", Fraction(3, 5))
    claims = list(weights._cap(2, weights.cap_encoding))
    # the share claim is proved against the (new) cap, so check against one half
    w = [z3.Real(f"w{i}") for i in range(2)]
    r, defs = weights.cap_encoding(w)
    half = core.Obligation(
        "share <= 1/2",
        [*(x >= 0 for x in w), z3.Sum(w) > 0, *defs],
        r[0] <= z3.Sum(r) / 2,
        lambda m: "above one half",
    )
    assert core.discharge(half).status == "refuted"
    assert core.discharge(claims[0]).status == "proved"


def test_a_steeper_scaling_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    steeper = (
        weighted.Piece(Fraction(4, 5), Fraction(5, 2), Fraction(7, 10)),
        *weighted.SCALING[1:],
    )
    monkeypatch.setattr(scoring, "SCALING", steeper)
    result = core.run(weights.SCALING)
    assert result.status == "refuted"
    assert "scales to" in result.counterexample


def test_a_falling_piece_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A piece that starts lower than the one below ends breaks monotonicity."""
    falling = (
        *weighted.SCALING[:2],
        weighted.Piece(Fraction(2, 5), Fraction(1, 2), Fraction(1)),
        weighted.SCALING[3],
    )
    monkeypatch.setattr(scoring, "SCALING", falling)
    result = core.run(weights.SCALING)
    assert result.status == "refuted"
    assert result.outcomes[-1].name in (
        "monotone without rounding",
        "jump at 2/5 exceeds the rounding",
    )


def test_the_proof_reads_the_boundaries_from_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scaling's theorem follows the spec's table: one boundary made exclusive, or
    moved, is refuted at the seed's value there (the scaling stays monotone either way,
    so only the boundary obligations can tell)."""
    assert core.run(weights.SCALING).status == "proved"
    seed = weighted.SCALING
    exclusive = (seed[0], seed[1]._replace(inclusive=False), *seed[2:])
    monkeypatch.setattr(scoring, "SCALING", exclusive)
    assert weighted.expertise_scaling(Fraction(3, 5)) == Fraction(18, 25)  # 1.2 x 0.6
    result = core.run(weights.SCALING)
    assert result.status == "refuted"
    assert result.outcomes[-1].name == "the seed's value at 3/5: s(3/5) == 9/10"
    assert "raw = 3/5 scales to 18/25" in result.counterexample
    moved = (seed[0]._replace(low=Fraction(81, 100)), *seed[1:])
    monkeypatch.setattr(scoring, "SCALING", moved)
    result = core.run(weights.SCALING)
    assert result.status == "refuted"
    assert result.outcomes[-1].name == "the seed's value at 4/5: s(4/5) >= 17/10"


def test_the_spec_scaling_at_and_around_every_boundary() -> None:
    """The seed's `>=` at 0.4, 0.6 and 0.8, pinned exactly: the value just below a
    boundary is the piece below's, the value at it is the piece's own."""
    eps = Fraction(1, 10**6)
    s = weighted.expertise_scaling
    assert s(Fraction(0)) == 0 and s(Fraction(1)) == 2
    assert s(Fraction(2, 5) - eps) == Fraction(2, 5) - eps
    assert s(Fraction(2, 5)) == Fraction(12, 25)
    assert s(Fraction(2, 5) + eps) == Fraction(6, 5) * (Fraction(2, 5) + eps)
    assert s(Fraction(3, 5) - eps) == Fraction(6, 5) * (Fraction(3, 5) - eps)
    assert s(Fraction(3, 5)) == Fraction(9, 10)
    assert s(Fraction(3, 5) + eps) == Fraction(3, 2) * (Fraction(3, 5) + eps)
    assert s(Fraction(4, 5) - eps) == Fraction(3, 2) * (Fraction(4, 5) - eps)
    assert s(Fraction(4, 5)) == 2 * Fraction(855387679, 10**9)  # 0.8^0.7 rounded down
    assert Fraction(17, 10) <= s(Fraction(4, 5)) < Fraction(172, 100)


# --- the encodings compute what the spec computes ---------------------------------------


def _solve(terms: list[z3.ArithRef], defs: list[z3.BoolRef]) -> list[Fraction]:
    solver = z3.Solver()
    solver.add(*defs)
    assert solver.check() == z3.sat
    model = solver.model()
    out = []
    for t in terms:
        v = model.eval(t, model_completion=True)
        out.append(Fraction(v.numerator_as_long(), v.denominator_as_long()))
    return out


weight_vectors = st.lists(
    st.fractions(min_value=0, max_value=3, max_denominator=20), min_size=2, max_size=6
).filter(lambda ws: sum(ws) > 0)


@settings(max_examples=40, deadline=None)
@given(weight_vectors)
def test_cap_encoding_is_the_specs_algorithm(ws: list[Fraction]) -> None:
    consts = [weights.real(w) for w in ws]
    result, defs = weights.cap_encoding(consts)
    assert tuple(_solve(result, defs)) == weighted.cap_weights(tuple(ws))


@pytest.mark.parametrize(
    "raw",
    [
        Fraction(0),
        Fraction(1, 5),
        Fraction(2, 5),
        Fraction(1, 2),
        Fraction(3, 5),
        Fraction(4, 5),
        Fraction(9, 10),
        Fraction(1),
    ],
)
def test_scaling_encoding_is_the_specs_function(raw: Fraction) -> None:
    scaled, side = weights.scaling_encoding(weights.real(raw), "t")
    assert _solve([scaled], side) == [weighted.expertise_scaling(raw)]


# --- the command line -------------------------------------------------------------------


def test_prove_one_theorem(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "quorum_intersection"]) == 0
    out = capsys.readouterr().out
    assert "quorum_intersection~twin" in out and "Result: PROVED" in out


def test_prove_prints_the_twins_counterexamples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "weighted_quorums", "--counterexamples"]) == 0
    out = capsys.readouterr().out
    assert "weighted_quorums~twin: no two options reach t >= 1/2: threshold 1/2" in out


def test_prove_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "quorum_intersection", "expertise_scaling", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is True
    rows = [(r["name"], r["status"]) for r in payload["results"]]
    assert rows == [
        ("quorum_intersection", "proved"),
        ("quorum_intersection~twin", "refuted"),
        ("expertise_scaling", "proved"),
        ("expertise_scaling~twin", "refuted"),
    ]


def test_prove_reports_a_broken_formula(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the quorum sizes are computed from `quorum` in the constants table's module
    monkeypatch.setattr(pbft.config, "quorum", lambda n, f: 2 * f + 1)
    assert main(["prove", "quorum_intersection"]) == 1
    out = capsys.readouterr().out
    assert "expected proved" in out and "counterexample:" in out and "Result: FAILED" in out
    assert main(["prove", "quorum_intersection", "--json"]) == 1


def test_prove_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "no_such_proof"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no proof named 'no_such_proof'" in err


# --- the proof core ---------------------------------------------------------------------


def test_lin_floor_division_matches_python() -> None:
    n = core.lin("n")
    for k in range(-7, 20):
        solver = z3.Solver()
        solver.add(n.expr == k)
        assert solver.check() == z3.sat
        got = solver.model().eval(((n - 1) // 3).expr).as_long()
        assert got == (k - 1) // 3
    with pytest.raises(TypeError):
        n // -3
    assert core.expr(5).as_long() == 5
    assert (
        (2 * n + 1 - n).expr is not None and (1 - n).expr is not None and (n * 2).expr is not None
    )


def test_unknown_outcome_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = z3.Reals("x y")
    monkeypatch.setattr(core, "TIMEOUT_MS", 1)
    hard = core.Obligation(
        "hard", [x**7 + y**5 * x == 3 * x * y + 1], x**3 + y**11 > 2 + y, lambda m: ""
    )
    outcome = core.discharge(hard)
    assert outcome.status in ("unknown", "proved", "refuted")
    result = core.Result("r", "s", False, (core.Outcome("a", "unknown", 0.0, "timeout"),))
    assert result.status == "unknown" and not result.ok
    twin = core.Result(
        "t", "s", True, (core.Outcome("a", "refuted", 0.0), core.Outcome("b", "proved", 0.0))
    )
    assert twin.status == "proved" and not twin.ok
    twin_unknown = core.Result("t", "s", True, (core.Outcome("a", "unknown", 0.0),))
    assert twin_unknown.status == "unknown"
    solver = z3.Solver()
    b = z3.Bool("b")
    solver.add(x * x == 2, x > 0, b)
    assert solver.check() == z3.sat
    m = solver.model()
    assert core.value(m, x).startswith("1.41421356")
    assert core.value(m, b) == "true"
    assert core.value(m, z3.StringVal("s")) == '"s"'
