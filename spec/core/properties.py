"""A model's named properties: invariants, witnesses and liveness under weak fairness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

S = TypeVar("S")


# --- properties ----------------------------------------------------------------------


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


@attrs.frozen
class Invariant(Generic[S]):
    """A property that holds in every reachable state ("always")."""

    name: str
    holds: Callable[[S], bool]
    doc: str = ""

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return _first_line(self.doc)


@attrs.frozen
class Witness(Generic[S]):
    """A property some reachable state must have ("sometimes").

    An unreached witness is a failure: it shows that the model cannot do something it
    was meant to do, which is how a vacuous model is caught.
    """

    name: str
    reached: Callable[[S], bool]
    doc: str = ""

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return _first_line(self.doc)


@attrs.frozen
class Eventually(Generic[S]):
    """Every fair behaviour reaches a state satisfying `goal` (TLA+: `<>goal`), or,
    with a `premise`, every fair behaviour that reaches a premise state reaches a goal
    state at or after it (TLA+: `premise ~> goal`, that is `[](premise => <>goal)`).

    Fairness is TLA+'s weak fairness `WF_vars(A)` of each named action class A in
    `fairness`: a behaviour is fair when no class stays enabled forever without being
    taken, where, as in TLA+, only steps that change the state count: a class is
    enabled in a state when one of its actions leads to a different state (ENABLED
    <<A>>_vars), and it is taken by such a step, never by a stutter (a step back to the
    same state). Classes are given by `Model.action_class` (by default the action's
    name); actions of the adversary (`byzantine_actions`) are never fair. A behaviour
    may stutter forever in a state where no fair class is enabled. Strong fairness is
    not offered: none of the protocols needs it.
    """

    name: str
    goal: Callable[[S], bool]
    fairness: tuple[str, ...]
    doc: str = ""
    premise: Callable[[S], bool] | None = None

    @property
    def kind(self) -> str:
        """`eventually` (`<>goal`) or `leads_to` (`premise ~> goal`)."""
        return "eventually" if self.premise is None else "leads_to"

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return _first_line(self.doc)


def invariant(fn: Callable[[S], bool]) -> Invariant[S]:
    """Make an `Invariant` from a predicate, named and documented by the function."""
    return Invariant(fn.__name__, fn, fn.__doc__ or "")


def witness(fn: Callable[[S], bool]) -> Witness[S]:
    """Make a `Witness` from a predicate, named and documented by the function."""
    return Witness(fn.__name__, fn, fn.__doc__ or "")


def eventually(*fairness: str) -> Callable[[Callable[[S], bool]], Eventually[S]]:
    """Make an `Eventually` from a goal predicate, under weak fairness of `fairness`."""

    def wrap(fn: Callable[[S], bool]) -> Eventually[S]:
        return Eventually(fn.__name__, fn, tuple(fairness), fn.__doc__ or "")

    return wrap


def leads_to(
    premise: Callable[[S], bool], *fairness: str
) -> Callable[[Callable[[S], bool]], Eventually[S]]:
    """Make `premise ~> goal` from a goal predicate, under weak fairness of `fairness`.

    The property is named and documented by the goal function:

        @leads_to(lambda s: s.requested, "execute")
        def answered(s): ...
    """

    def wrap(fn: Callable[[S], bool]) -> Eventually[S]:
        return Eventually(fn.__name__, fn, tuple(fairness), fn.__doc__ or "", premise)

    return wrap
