"""The spec contract: parameters, configs, errors, action names, model defaults."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.core import (
    Config,
    ConfigError,
    GuardError,
    Invariant,
    Model,
    Specification,
    action_args,
    action_name,
    eventually,
    invariant,
    make_config,
    param,
    params_of,
    record_fields,
    witness,
)


@attrs.frozen
class Sample(Config):
    """One parameter of each kind."""

    count: int = param(3, low=1, high=9, help="how many")
    enabled: bool = param(False, help="a switch")
    mode: str = param("fast", choices=("fast", "slow"), help="which way")
    share: Fraction = param(Fraction(1, 2), low=Fraction(0), high=Fraction(1), help="a share")
    members: tuple[int, ...] = param((), low=0, high=5, help="some ids")

    def validate(self) -> None:
        if len(self.members) > self.count:
            raise ConfigError("members", f"at most count={self.count} members")


def test_params_of_lists_fields_in_order() -> None:
    infos = params_of(Sample)
    assert [(i.name, i.kind) for i in infos] == [
        ("count", "int"),
        ("enabled", "bool"),
        ("mode", "str"),
        ("share", "fraction"),
        ("members", "ints"),
    ]
    assert infos[0].option == "--count"
    assert infos[0].allowed() == "an integer in 1..9"
    assert infos[1].allowed() == "true or false"
    assert infos[2].allowed() == "one of fast, slow"
    assert infos[3].allowed() == "a fraction p/q in 0..1"
    assert "comma-separated" in infos[4].allowed()
    assert [i.shown_default() for i in infos] == ["3", "false", "fast", "1/2", '""']


def test_make_config_parses_every_kind() -> None:
    config = make_config(
        Sample,
        {"count": "4", "enabled": "on", "mode": "slow", "share": "2/3", "members": "1, 3"},
    )
    assert config == Sample(4, True, "slow", Fraction(2, 3), (1, 3))
    assert config.as_dict()["members"] == (1, 3)
    assert make_config(Sample, {"enabled": "no", "members": ""}).members == ()


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        ({"count": "0"}, "count", "expected an integer in 1..9, got 0"),
        ({"count": "two"}, "count", "got 'two'"),
        ({"enabled": "maybe"}, "enabled", "expected true or false"),
        ({"mode": "medium"}, "mode", "one of fast, slow"),
        ({"share": "3/2"}, "share", "a fraction p/q in 0..1"),
        ({"share": "1/0"}, "share", "got '1/0'"),
        ({"members": "1,1"}, "members", "distinct integers"),
        ({"members": "6"}, "members", "in 0..5"),
        ({"members": "1,2,3,4"}, "members", "at most count=3 members"),
        ({"colour": "red"}, "colour", "unknown parameter; the parameters are --count"),
    ],
)
def test_bad_values_name_the_field(values: dict[str, str], field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(Sample, values)
    assert caught.value.field == field
    assert fragment in str(caught.value)


def test_wrongly_typed_values_are_rejected() -> None:
    with pytest.raises(ConfigError, match="count"):
        Sample(count=True)
    with pytest.raises(ConfigError, match="count"):
        Sample(count=Fraction(1, 2))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="enabled"):
        Sample(enabled=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="members"):
        Sample(members=[1])  # type: ignore[arg-type]


@given(st.integers(min_value=-100, max_value=100))
def test_int_range_is_inclusive(value: int) -> None:
    if 1 <= value <= 9:
        assert Sample(count=value).count == value
    else:
        with pytest.raises(ConfigError):
            Sample(count=value)


def test_guard_error_names_action_and_guard() -> None:
    err = GuardError("commit", "is_prepared", "replica 2 has not prepared")
    assert str(err) == "commit: guard is_prepared failed: replica 2 has not prepared"
    assert (err.action, err.guard, err.reason) == (
        "commit",
        "is_prepared",
        "replica 2 has not prepared",
    )


@attrs.frozen
class PrePrepare:
    view: int
    seq: int


@attrs.frozen
class Named:
    NAME = "new_view"


def test_action_names_and_args() -> None:
    assert action_name(PrePrepare(0, 1)) == "pre_prepare"
    assert action_name(Named()) == "new_view"
    assert action_args(PrePrepare(0, 1)) == {"view": 0, "seq": 1}
    assert action_args(3) == {}
    assert record_fields("x") == {}


def test_property_decorators_take_name_and_doc() -> None:
    @invariant
    def positive(state: int) -> bool:
        """The state is positive.

        More words.
        """
        return state > 0

    @witness
    def big(state: int) -> bool:
        return state > 10

    @eventually("inc")
    def done(state: int) -> bool:
        """Reaches ten."""
        return state == 10

    assert (positive.name, positive.summary) == ("positive", "The state is positive.")
    assert positive.holds(1) and not positive.holds(0)
    assert (big.name, big.summary) == ("big", "")
    assert (done.name, done.fairness, done.summary) == ("done", ("inc",), "Reaches ten.")


@attrs.frozen
class Inc:
    pass


class Counter(Model[int, Inc]):
    def __init__(self, config: Sample) -> None:
        self.limit = config.count

    def initial(self) -> Sequence[int]:
        return [0]

    def honest_actions(self, state: int) -> list[Inc]:
        return [Inc()] if state < self.limit else []

    def step(self, state: int, action: Inc) -> int:
        if state >= self.limit:
            raise GuardError("inc", "below_limit", f"{state} >= {self.limit}")
        return state + 1

    def invariants(self) -> list[Invariant[int]]:
        return []


def test_model_defaults() -> None:
    model = Counter(Sample())
    assert model.enabled(0) == [(Inc(), False)]
    assert list(model.byzantine_actions(0)) == []
    assert model.witnesses() == () and model.eventually() == ()
    assert not model.terminal_ok(3)
    assert model.constraint(3)
    assert model.canonical(2) == 2
    assert not model.has_symmetry()
    assert model.action_class(Inc()) == "inc"
    spec = Specification("counter", "counts", Sample, Counter)
    assert spec.default_config() == Sample()
    assert next(p.name for p in spec.params()) == "count"
    built = spec.model({"count": "5"})
    assert isinstance(built, Counter) and built.limit == 5


def test_decode_event_and_relabel() -> None:
    from spec.core import decode_event, relabel

    events = {"inc": Inc}
    assert decode_event(events, "unknown_counter_event", "inc", {}) == Inc()
    with pytest.raises(GuardError) as caught:
        decode_event(events, "unknown_counter_event", "dec", {})
    assert caught.value.guard == "unknown_counter_event"
    with pytest.raises(GuardError) as caught:
        decode_event(events, "unknown_counter_event", "inc", {"by": 2})
    assert caught.value.guard == "malformed_event"
    assert relabel(("a", "b", "c"), (2, 0, 1)) == ("b", "c", "a")
