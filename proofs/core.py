"""What a proof is here: obligations discharged by Z3, each theorem with a negative twin.

A *theorem* is a list of obligations. An obligation is a claim under hypotheses; Z3
proves it when `hypotheses /\\ not claim` is unsatisfiable, and refutes it with a model
of that formula, which the obligation prints in the spec's own terms (`explain`). Each
theorem has a *negative twin*: the same encoding with one hypothesis weakened, which Z3
must refute. A twin that is proved means the encoding proves too much (a vacuous
hypothesis, a claim that does not depend on the formula), so it fails the run just as
a theorem that is not proved does.

The formulas come from `spec/`: the proofs call the spec's own functions (quorum sizes,
f from n, the threshold rule, the cap) on symbolic values, looked up at run time through
the module (`pbft.commit_quorum(f)`), so changing the spec's formula changes what is
proved (tests/test_proofs.py shows it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any, Literal

import attrs
import z3

from model_check.report import show

Status = Literal["proved", "refuted", "unknown"]

#: Z3's time limit per obligation, in milliseconds (a proof that needs more is `unknown`).
TIMEOUT_MS = 120_000


class Lin:
    """A symbolic integer that supports the operators the spec's formulas use.

    Z3's integers have no `//`; the spec writes `(n - 1) // 3`. For a positive
    integer divisor, floor division is Z3's integer division (SMT-LIB `div`, which
    rounds toward minus infinity when the divisor is positive), so `Lin` maps one to
    the other and refuses any other divisor.
    """

    __slots__ = ("expr",)

    def __init__(self, expr: z3.ArithRef | int) -> None:
        self.expr: z3.ArithRef = expr if isinstance(expr, z3.ArithRef) else z3.IntVal(expr)

    @staticmethod
    def _of(other: Lin | int) -> z3.ArithRef:
        return other.expr if isinstance(other, Lin) else z3.IntVal(other)

    def __add__(self, other: Lin | int) -> Lin:
        return Lin(self.expr + self._of(other))

    def __radd__(self, other: int) -> Lin:
        return Lin(self._of(other) + self.expr)

    def __sub__(self, other: Lin | int) -> Lin:
        return Lin(self.expr - self._of(other))

    def __rsub__(self, other: int) -> Lin:
        return Lin(self._of(other) - self.expr)

    def __mul__(self, other: Lin | int) -> Lin:
        return Lin(self.expr * self._of(other))

    def __rmul__(self, other: int) -> Lin:
        return Lin(self._of(other) * self.expr)

    def __floordiv__(self, other: int) -> Lin:
        if not isinstance(other, int) or other <= 0:
            raise TypeError("Lin supports floor division by a positive integer constant only")
        return Lin(self.expr / other)


def lin(name: str) -> Lin:
    """A fresh symbolic integer."""
    return Lin(z3.Int(name))


def expr(value: Lin | int) -> z3.ArithRef:
    """The Z3 term of a spec formula's result (an int result becomes a constant)."""
    return value.expr if isinstance(value, Lin) else z3.IntVal(value)


@attrs.frozen
class Obligation:
    """`hypotheses => claim`; `explain` turns a Z3 model of its negation into text."""

    name: str
    hypotheses: Sequence[z3.BoolRef]
    claim: z3.BoolRef
    explain: Callable[[z3.ModelRef], str]
    #: the solver to use; Z3's default one unless the encoding needs another
    solver: Callable[[], z3.Solver] = z3.Solver


@attrs.frozen
class Outcome:
    """What Z3 said about one obligation."""

    name: str
    status: Status
    seconds: float
    counterexample: str = ""


def plain_smt() -> z3.Solver:
    """Z3's SMT core without the default preprocessing.

    For linear problems over 0/1 integers: the default strategy turns them into
    pseudo-boolean constraints and then into a pigeonhole search (minutes at n = 100),
    where the simplex refutes the linear relaxation at once.
    """
    return z3.Tactic("smt").solver()


def discharge(ob: Obligation) -> Outcome:
    """Ask Z3 whether the obligation's negation is satisfiable."""
    solver = ob.solver()
    solver.set("timeout", TIMEOUT_MS)
    solver.add(*ob.hypotheses)
    solver.add(z3.Not(ob.claim))
    start = time.perf_counter()
    answer = solver.check()
    seconds = time.perf_counter() - start
    if answer == z3.unsat:
        return Outcome(ob.name, "proved", seconds)
    if answer == z3.sat:
        return Outcome(ob.name, "refuted", seconds, ob.explain(solver.model()))
    return Outcome(ob.name, "unknown", seconds, str(solver.reason_unknown()))


@attrs.frozen
class Theorem:
    """A named statement (words and formula), its obligations and its negative twin.

    `obligations` and `twin` are functions that build the obligations one by one when
    the proof runs: the spec's formulas are read then, not when the module is imported,
    and a twin refuted by its first obligation builds no other.
    """

    name: str
    statement: str
    formula: str
    obligations: Callable[[], Iterable[Obligation]]
    twin: Callable[[], Iterable[Obligation]]
    twin_statement: str


@attrs.frozen
class Result:
    """One theorem or twin run: its verdict and the outcome of every obligation."""

    name: str
    statement: str
    twin: bool
    outcomes: tuple[Outcome, ...]

    @property
    def status(self) -> Status:
        """A theorem: proved when every obligation is. A twin: refuted when every one is
        (each obligation of a twin weakens one hypothesis, and each must break)."""
        statuses = {o.status for o in self.outcomes}
        if self.twin:
            if statuses == {"refuted"}:
                return "refuted"
            return "unknown" if "unknown" in statuses else "proved"
        if "refuted" in statuses:
            return "refuted"
        return "unknown" if "unknown" in statuses else "proved"

    @property
    def ok(self) -> bool:
        """A theorem must be proved; its twin must be refuted."""
        return self.status == ("refuted" if self.twin else "proved")

    @property
    def seconds(self) -> float:
        """Solver time over all obligations."""
        return sum(o.seconds for o in self.outcomes)

    @property
    def counterexample(self) -> str:
        """The first refuted obligation's counterexample, or ''."""
        return next((o.counterexample for o in self.outcomes if o.status == "refuted"), "")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "name": self.name,
            "statement": self.statement,
            "twin": self.twin,
            "status": self.status,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "counterexample": self.counterexample,
            "obligations": [
                {
                    "name": o.name,
                    "status": o.status,
                    "seconds": round(o.seconds, 3),
                    "counterexample": o.counterexample,
                }
                for o in self.outcomes
            ],
        }


def run(theorem: Theorem, twin: bool = False) -> Result:
    """Discharge a theorem's obligations, stopping at the first that is not proved, or
    every obligation of its twin, each of which must be refuted."""
    build = theorem.twin if twin else theorem.obligations
    outcomes = []
    for ob in build():
        outcome = discharge(ob)
        outcomes.append(outcome)
        if not twin and outcome.status != "proved":
            break
    name = f"{theorem.name}~twin" if twin else theorem.name
    statement = theorem.twin_statement if twin else theorem.statement
    return Result(name, statement, twin, tuple(outcomes))


def number(model: z3.ModelRef, term: z3.ExprRef) -> int | Fraction | bool | str:
    """A model's value of a term as the spec's Python value (an exact fraction, an
    integer, a boolean), or, for an irrational number, its decimal text."""
    v = model.eval(term, model_completion=True)
    if z3.is_rational_value(v):
        return Fraction(v.numerator_as_long(), v.denominator_as_long())
    if z3.is_int_value(v):
        return int(v.as_long())
    if z3.is_true(v) or z3.is_false(v):
        return bool(z3.is_true(v))
    if z3.is_algebraic_value(v):
        return str(v.as_decimal(12))
    return str(v)


def value(model: z3.ModelRef, term: z3.ExprRef) -> str:
    """A model's value of a term, as the reports print it (`model_check.report.show`:
    exact fractions `p/q`); an irrational number as decimals."""
    found = number(model, term)
    return found if isinstance(found, str) else show(found)
