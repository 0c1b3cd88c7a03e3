"""The seed's Part 2 restated (spec/restated/weighted.py): independent of the spec's
helpers, the boundary values of the scaling pinned on both sides, and each restated
property's mutant caught by that property alone."""

from __future__ import annotations

import types
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model_check.engine import Options, check
from spec import weighted as w
from spec.restated import ByIdentity
from spec.restated import weighted as r
from spec.variants import weighted as variants
from spec.weighted import scoring
from tests.harness.specs import replay
from tests.mutants.pbft import Mutant
from tests.mutants.weighted import RESTATED

F = Fraction
TINY = F(1, 10**6)

#: The state and record types a restatement may name (for its annotations).
RECORD_TYPES = {w.WeightedState, w.Vote, w.Metrics, w.WeightedConfig}


def spec_helpers_in(namespace: dict[str, Any]) -> list[str]:
    """The names in `namespace` bound to spec.weighted itself or to a function or class
    defined in it (the package or one of its modules), but its state and record types."""
    found = []
    for name, value in namespace.items():
        module = getattr(value, "__module__", None) or ""
        if value is w or (
            callable(value)
            and (module == w.__name__ or module.startswith(w.__name__ + "."))
            and value not in RECORD_TYPES
        ):
            found.append(name)
    return sorted(found)


# --- independence ----------------------------------------------------------------------


def test_the_restatement_holds_no_helper_of_the_spec() -> None:
    assert spec_helpers_in(vars(r)) == []
    # the check sees a helper, a model class and the module itself, not the record types
    planted = {"tally": w.Weighted.tally, "cap": w.cap_weights, "m": w, "W": w.Weighted}
    assert spec_helpers_in({**planted, "S": w.WeightedState, "V": w.Vote}) == sorted(planted)


def test_restated_functions_are_the_modules_own() -> None:
    """Every function in the restatement's namespace is its own, but spec.core's
    `invariant` decorator and the standard library's; no module of the spec is in it."""
    functions = {
        name: v.__module__
        for name, v in vars(r).items()
        if isinstance(v, types.FunctionType) and v.__module__ != r.__name__
    }
    assert functions == {"invariant": "spec.core.properties", "NamedTuple": "typing"}
    modules = {v.__name__ for v in vars(r).values() if isinstance(v, types.ModuleType)}
    assert modules == {"functools"}


def test_the_spec_lists_its_own_invariants_then_the_restated_ones() -> None:
    names = [i.name for i in w.Weighted(w.WeightedConfig()).invariants()]
    assert names == [
        "type_ok",
        "weight_cap",
        "cap_preserves_total_and_order",
        "counted_once",
        "decision_final",
        "decided_has_threshold",
        "unique_winner",
        "stats_in_range",
        "seed_one_vote_per_voter",
        "seed_weighted_total",
        "seed_vote_records",
        "seed_early_consensus",
        "seed_decision_closes",
        "seed_decision_reaches_threshold",
        "seed_no_consensus_only_when_none_reaches",
        "seed_weights_from_metrics",
        "seed_fair_cap",
        "seed_gini",
        "seed_max_share",
        "seed_entropy",
    ]
    assert all(i.doc and "Seed §2." in i.doc for i in r.INVARIANTS)


# --- the scaling at its boundaries -----------------------------------------------------

#: raw -> the scaled value: just below, at and just above each boundary of §2.4, and at
#: 0 and 1. Every boundary is inclusive (the seed's `>=`): the value at it is the piece's
#: above. 2 x 0.8^0.7 = 1.71077535993..., 2 x 0.800001^0.7 = 1.71077685691...
BOUNDARY_VALUES = {
    F(0): F(0),
    F(2, 5) - TINY: F(399999, 1000000),  # unchanged
    F(2, 5): F(12, 25),  # 1.2 x 0.4 = 0.48
    F(2, 5) + TINY: F(1200003, 2500000),  # 1.2 x 0.400001
    F(3, 5) - TINY: F(1799997, 2500000),  # 1.2 x 0.599999
    F(3, 5): F(9, 10),  # 1.5 x 0.6
    F(3, 5) + TINY: F(1800003, 2000000),  # 1.5 x 0.600001
    F(4, 5) - TINY: F(2399997, 2000000),  # 1.5 x 0.799999
    F(4, 5): F(855387679, 500000000),  # 2 x 0.855387679
    F(4, 5) + TINY: F(213847107, 125000000),  # 2 x 0.855388428
    F(1): F(2),
}


@pytest.mark.parametrize("raw", list(BOUNDARY_VALUES), ids=str)
def test_the_restatement_scales_the_boundaries_as_pinned(raw: Fraction) -> None:
    assert r.seed_scaling(raw) == BOUNDARY_VALUES[raw]


def test_every_boundary_is_inclusive_as_the_seeds() -> None:
    """`raw_score >= 0.8`, `>= 0.6`, `>= 0.4`: each piece starts at its boundary."""
    assert [(p.low, p.inclusive) for p in w.SCALING] == [
        (F(4, 5), True),
        (F(3, 5), True),
        (F(2, 5), True),
        (F(0), True),
    ]
    piece = w.SCALING[2]
    assert piece.covers(F(2, 5)) and not piece.covers(F(2, 5) - TINY)
    exclusive = piece._replace(inclusive=False)
    assert not exclusive.covers(F(2, 5)) and exclusive.covers(F(2, 5) + TINY)


def test_an_exclusive_boundary_changes_the_spec_not_the_restatement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flipped = tuple(p._replace(inclusive=p.low != F(2, 5)) for p in w.SCALING)
    monkeypatch.setattr(scoring, "SCALING", flipped)  # where the spec reads it
    assert w.expertise_scaling(F(2, 5)) == F(2, 5)  # the piece below: unchanged
    assert w.expertise_scaling(F(2, 5) + TINY) == BOUNDARY_VALUES[F(2, 5) + TINY]
    assert r.seed_scaling(F(2, 5)) == F(12, 25)  # written from the seed, not the table


def test_the_restated_scaling_agrees_on_grids() -> None:
    """k/1000 and k/97 (whose powers are no round decimals): the same exact values."""
    grid = [F(k, 1000) for k in range(1001)] + [F(k, 97) for k in range(98)]
    assert all(w.expertise_scaling(x) == r.seed_scaling(x) for x in grid)


def test_the_integer_root() -> None:
    assert [r.integer_root(n, 10) for n in (0, 1, 1023, 1024, 59048, 59049)] == [0, 1, 1, 2, 2, 3]
    assert r.integer_root(10**90, 10) == 10**9
    assert r.power_seven_tenths(F(1)) == 1
    assert r.power_seven_tenths(F(9, 10)) == F(928901697, 1000000000)  # 0.9^0.7 = 0.92890169...


def test_the_restated_expertise_weights() -> None:
    """The spec's profiles; the bounds 0.1 (binding below raw 0.1) and 3.0 (never)."""
    assert [r.seed_raw_score(p) for p in w.PROFILES] == [F(1, 5), F(1, 2), F(1)]
    assert [r.seed_expertise_weight(p) for p in w.PROFILES] == [F(1, 5), F(3, 5), F(2)]
    zero = w.Metrics(F(0), F(0), F(0), F(0))
    assert r.seed_expertise_weight(zero) == F(1, 10)
    accurate = w.Metrics(F(1), F(0), F(0), F(0))  # 3/10: the accuracy's factor weight
    assert r.seed_raw_score(accurate) == F(3, 10) == r.seed_expertise_weight(accurate)
    assert r.seed_strategy_weight("static", F(7), accurate) == 7
    assert r.seed_strategy_weight("adaptive", F(7, 10), accurate) == F(1, 2)


metric = st.fractions(min_value=0, max_value=1, max_denominator=20)


@given(st.tuples(metric, metric, metric, metric))
def test_the_restated_weight_is_the_specs(values: tuple[Fraction, ...]) -> None:
    m = w.Metrics(*values)
    assert r.seed_expertise_weight(m) == w.expertise_weight(m)


# --- the cap and the statistics --------------------------------------------------------


def test_the_fair_cap_characterisation() -> None:
    expert = (F(2), F(3, 5), F(1, 5))
    assert r.is_fair_cap(expert, w.cap_weights(expert))
    assert w.cap_weights(expert) == (F(7, 5), F(21, 20), F(7, 20))
    assert not r.is_fair_cap(expert, variants.cap_in_equal_parts(expert))  # 9/10, 1/2
    assert not r.is_fair_cap(expert, (F(7, 5), F(3, 5), F(1, 5)))  # total not kept
    assert not r.is_fair_cap(expert, expert)  # a share above one half
    assert r.is_fair_cap((F(3), F(1)), (F(2), F(2)))  # both at the cap
    assert r.is_fair_cap((F(5),), (F(5),)) and not r.is_fair_cap((F(5),), (F(5, 2),))
    assert not r.is_fair_cap((F(1), F(0)), (F(1, 2), F(1, 2)))  # weights are positive
    assert not r.is_fair_cap((F(1), F(1)), (F(1),))
    heavy = (F(10), F(5), F(1))  # the cap binds on one, the others scaled by 4/3
    assert r.is_fair_cap(heavy, (F(8), F(20, 3), F(4, 3)))
    assert not r.is_fair_cap(heavy, (F(8), F(7), F(1)))


positive = st.fractions(min_value=F(1, 50), max_value=100, max_denominator=50)


@given(st.lists(positive, min_size=1, max_size=7).map(tuple))
def test_the_specs_cap_is_the_fair_cap(weights: tuple[Fraction, ...]) -> None:
    assert r.is_fair_cap(weights, w.cap_weights(weights))


@given(
    st.lists(st.fractions(min_value=0, max_value=10, max_denominator=20), min_size=1, max_size=6)
)
def test_the_restated_statistics_are_the_specs(weights: list[Fraction]) -> None:
    ws = tuple(weights)
    assert r.double_loop_gini(ws) == w.gini(ws)
    assert r.largest_share(ws) == w.max_individual_share(ws)
    spec = w.normalised_entropy(ws)
    naive = r.decimal_entropy(ws)
    assert abs(Decimal(spec.numerator) / Decimal(spec.denominator) - naive) <= Decimal(2) / 10**9


def test_the_identity_cache() -> None:
    """Hits by identity only (an equal key computes again); past its limit it restarts."""
    calls: list[tuple[int, ...]] = []

    def total(t: tuple[int, ...]) -> int:
        calls.append(t)
        return sum(t)

    cache = ByIdentity(total, limit=2)
    a, b = (1, 2), (3, 4)
    assert (cache(a), cache(a), cache(b), cache(a)) == (3, 3, 7, 3)
    assert len(calls) == 2
    cache(tuple([1, 2]))  # equal to a, another object: computed, and the cache restarts
    assert len(calls) == 3 and len(cache.entries) == 1
    assert cache(b) == 7 and len(calls) == 4


# --- each restated property's mutant: caught by it alone -------------------------------


@pytest.mark.parametrize("mutant", RESTATED, ids=lambda m: m.name)
def test_only_its_property_catches_the_mutant(mutant: Mutant) -> None:
    model = cast(w.Weighted, mutant.build())
    every = check(model, Options(stop_at_first=False))
    assert every.complete
    violated = {p.name: p for p in every.properties if p.failed()}
    assert list(violated) == [mutant.property]  # no other invariant, deadlock or witness
    found = {c.property: c.trace for c in every.counterexamples}
    assert len(found[mutant.property]) == mutant.length
    first = check(model, Options()).counterexample
    assert first is not None and (first.property, len(first.trace)) == (
        mutant.property,
        mutant.length,
    )
    replay(model, first.trace)
    honest = check(w.Weighted(model.config), Options())
    assert honest.result == "ok", [p.name for p in honest.properties if p.failed()]


def test_every_restated_property_has_its_mutant() -> None:
    assert [m.property for m in RESTATED] == [i.name for i in r.INVARIANTS]
    assert all(m.first for m in RESTATED)


def test_the_strict_deadline_closes_a_tally_exactly_at_the_bar() -> None:
    """The expert's capped weight is exactly half of the total: at threshold 1/2 its
    vote alone reaches the bar, which `>` misses."""
    mutant = next(m for m in RESTATED if m.name == "strict_deadline")
    model = cast(w.Weighted, mutant.build())
    cex = check(model, Options()).counterexample
    assert cex is not None
    last = cex.trace.steps[-1].state
    assert (
        last.agent_weights == (F(8, 5), F(4, 5), F(4, 5)) and last.final_decision == w.NO_CONSENSUS
    )
    assert r.derive(last).reaching == (1,) and r.derive(last).weights.bar == F(8, 5)


def test_the_first_option_over_the_bar_decides_one_of_two() -> None:
    mutant = next(m for m in RESTATED if m.name == "first_option_over_the_bar")
    model = cast(w.Weighted, mutant.build())
    cex = check(model, Options()).counterexample
    assert cex is not None
    last = cex.trace.steps[-1].state
    assert last.final_decision == 1 and r.derive(last).reaching == (1, 2)
    honest = w.Weighted(model.config)
    state = honest.initial()[0]
    for step in cex.trace.steps[1:]:
        state = honest.step(state, step.action)
    assert not state.closed  # the spec decides neither
