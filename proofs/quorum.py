"""Quorum intersection and availability for PBFT's quorums: for every n, and as sets.

Castro & Liskov §4.2 rest safety on quorum intersection: "since ... any two sets of 2f
+ 1 replicas intersect in at least one non-faulty replica" (at |R| = 3f + 1), and
liveness on availability: the n - f non-faulty replicas alone can form every quorum.
The quorum sizes are `spec.pbft`'s (`commit_quorum`, `prepare_quorum` + the primary,
`view_change_quorum`, `checkpoint_quorum`, `committed_quorum`, f = `max_faulty(n)`),
called on Z3 terms.

Theorem `quorum_intersection` (linear integer arithmetic, every n):

    forall n, f.  f >= 0 /\\ n >= 3f + 1  =>
        |Q1| + |Q2| - n >= f + 1   for any two quorum kinds Q1, Q2   (intersection)
        /\\ n - f >= |Q|            for every quorum kind             (availability)
        /\\ |commit quorum| - f >= committed_quorum
    and  forall n >= 4.  f = max_faulty(n)  =>  n >= 3f + 1 /\\ f >= 1 /\\ n < 3(f + 1) + 1

Its twin takes quorums of 2f: Z3 refutes intersection (n = 4, f = 1: two quorums of 2
may share no replica). The seed's own 2f + 1 at every n >= 3f + 1 is refuted too (n = 5,
f = 1; spec/FINDINGS.md P8), which is why `spec.pbft.quorum` is ceil((n + f + 1) / 2).

Theorem `quorum_intersection_sets` (n = 4..100, the seed's range): with a characteristic
vector over {0, 1} for each of two quorums A, B and the faulty set F,

    |A| >= q /\\ |B| >= q /\\ |F| <= f  =>  exists i. A_i /\\ B_i /\\ not F_i
    |F| <= f  =>  |not F| >= q

for q the commit quorum and the prepared certificate (pre-prepare + prepares). This is
the statement with sets rather than counts: it catches an arithmetic argument that
does not describe sets. Twin: quorums of 2f, refuted at n = 4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import z3

from model_check.report import show
from proofs.core import Lin, Obligation, Theorem, expr, lin, number, plain_smt, value
from spec import pbft

Sizes = Callable[[Lin, Lin], dict[str, Lin | int]]

#: The seed's range of replicas (§1.1: "Support 4-100 agents").
SET_RANGE = range(4, 101)


def spec_sizes(n: Lin, f: Lin) -> dict[str, Lin | int]:
    """Every quorum the spec counts, in replicas, from `spec.pbft`'s functions."""
    return {
        "prepared certificate": pbft.prepare_quorum(n, f) + 1,  # type: ignore[arg-type]
        "commit quorum": pbft.commit_quorum(n, f),  # type: ignore[arg-type]
        "view-change quorum": pbft.view_change_quorum(n, f),  # type: ignore[arg-type]
        "checkpoint quorum": pbft.checkpoint_quorum(n, f),  # type: ignore[arg-type]
    }


def two_f_sizes(n: Lin, f: Lin) -> dict[str, Lin | int]:
    """The twin's quorums: 2f replicas each."""
    del n
    return {"quorum of 2f": 2 * f}


def _arithmetic(sizes: Sizes) -> list[Obligation]:
    n, f = lin("n"), lin("f")
    hyps = [expr(f) >= 0, expr(n) >= 3 * expr(f) + 1]
    quorums = {k: expr(v) for k, v in sizes(n, f).items()}

    def explain(q1: str, q2: str) -> Callable[[z3.ModelRef], str]:
        def text(m: z3.ModelRef) -> str:
            nv, fv = value(m, n.expr), value(m, f.expr)
            a, b = value(m, quorums[q1]), value(m, quorums[q2])
            shared = value(m, quorums[q1] + quorums[q2] - n.expr)
            return (
                f"n = {nv}, f = {fv}: a {q1} of {a} and a {q2} of {b} replicas may share "
                f"only {shared}, fewer than f + 1, so possibly no honest replica"
            )

        return text

    obligations = []
    kinds = sorted(quorums)
    for i, q1 in enumerate(kinds):
        for q2 in kinds[i:]:
            claim = quorums[q1] + quorums[q2] - n.expr >= f.expr + 1
            obligations.append(Obligation(f"{q1} meets {q2}", hyps, claim, explain(q1, q2)))

    def unavailable(q: str) -> Callable[[z3.ModelRef], str]:
        def text(m: z3.ModelRef) -> str:
            return (
                f"n = {value(m, n.expr)}, f = {value(m, f.expr)}: the honest replicas "
                f"cannot form a {q} of {value(m, quorums[q])}"
            )

        return text

    for q in kinds:
        claim = n.expr - f.expr >= quorums[q]
        obligations.append(Obligation(f"{q} available", hyps, claim, unavailable(q)))
    return obligations


def _committed(n: Lin, f: Lin) -> Obligation:
    commit = expr(pbft.commit_quorum(n, f))  # type: ignore[arg-type]
    committed = expr(pbft.committed_quorum(n, f))  # type: ignore[arg-type]
    return Obligation(
        "committed-local implies committed",
        [expr(f) >= 0, expr(n) >= 3 * expr(f) + 1],
        commit - f.expr >= committed,
        lambda m: (
            f"n = {value(m, n.expr)}, f = {value(m, f.expr)}: {value(m, commit)} commits "
            f"hold fewer than {value(m, committed)} honest prepared replicas"
        ),
    )


def _seed_f() -> Obligation:
    n = lin("n")
    f = expr(pbft.max_faulty(n))  # type: ignore[arg-type]
    claim = z3.And(n.expr >= 3 * f + 1, f >= 1, n.expr < 3 * (f + 1) + 1)
    return Obligation(
        "seed's f = (n - 1) // 3 for n >= 4",
        [n.expr >= 4],
        claim,
        lambda m: f"n = {value(m, n.expr)}: f = {value(m, f)} is not the largest with n >= 3f + 1",
    )


def arithmetic_obligations() -> list[Obligation]:
    """Theorem `quorum_intersection`."""
    n, f = lin("n"), lin("f")
    return [*_arithmetic(spec_sizes), _committed(n, f), _seed_f()]


def arithmetic_twin() -> list[Obligation]:
    """Quorums of 2f: intersection fails (availability does not, so it is not asked)."""
    return [ob for ob in _arithmetic(two_f_sizes) if not ob.name.endswith("available")]


def _saying(text: str) -> Callable[[z3.ModelRef], str]:
    return lambda m: text


def _sets(n: int, sizes: Sizes) -> list[Obligation]:
    f = pbft.max_faulty(n)
    # characteristic vectors over {0, 1}: with them "no replica is in A and B but not F"
    # is linear (a_i + b_i - f_i <= 1), which Z3's simplex refutes at once; booleans with
    # cardinality constraints make a pigeonhole problem that takes minutes at n = 100
    a = [z3.Int(f"A{i}") for i in range(n)]
    b = [z3.Int(f"B{i}") for i in range(n)]
    faulty = [z3.Int(f"F{i}") for i in range(n)]
    domain = [z3.And(x >= 0, x <= 1) for x in (*a, *b, *faulty)]
    honest_in_both = z3.Or([a[i] + b[i] - faulty[i] >= 2 for i in range(n)])
    obligations = []
    # quorum kinds of one size are one obligation, named after all of them
    by_size: dict[int, list[str]] = {}
    for name, size in sorted(sizes(Lin(n), Lin(f)).items()):
        by_size.setdefault(z3.simplify(expr(size)).as_long(), []).append(name)
    for q, names in sorted(by_size.items()):
        kind = " = ".join(names)

        def explain(m: z3.ModelRef, kind: str = kind, q: int = q) -> str:
            def members(xs: Sequence[z3.ArithRef]) -> str:
                return show(frozenset(i for i, x in enumerate(xs) if number(m, x) == 1))

            return (
                f"n = {n}, f = {f}, {kind} of {q}: A = {members(a)} and B = {members(b)} "
                f"share only faulty replicas (F = {members(faulty)})"
            )

        hyps = [*domain, z3.Sum(a) >= q, z3.Sum(b) >= q, z3.Sum(faulty) <= f]
        obligations.append(Obligation(f"n = {n}: {kind}", hyps, honest_in_both, explain, plain_smt))
        obligations.append(
            Obligation(
                f"n = {n}: {kind} available",
                [*domain, z3.Sum(faulty) <= f],
                n - z3.Sum(faulty) >= q,
                _saying(f"n = {n}: the honest replicas cannot form a {kind}"),
                plain_smt,
            )
        )
    return obligations


def set_obligations() -> Iterator[Obligation]:
    """Theorem `quorum_intersection_sets`: every n of the seed's range."""
    for n in SET_RANGE:
        yield from _sets(n, spec_sizes)


#: Where the twin is tried: the smallest n, each residue of n mod 3, and the largest.
TWIN_RANGE = (4, 5, 6, 100)


def set_twin() -> Iterator[Obligation]:
    """Quorums of 2f as sets: intersection refuted at each n of `TWIN_RANGE`."""
    for n in TWIN_RANGE:
        yield from (ob for ob in _sets(n, two_f_sizes) if not ob.name.endswith("available"))


INTERSECTION = Theorem(
    name="quorum_intersection",
    statement=(
        "for all n >= 3f + 1, any two PBFT quorums share f + 1 replicas and the n - f "
        "honest ones form each quorum; the seed's f is right for every n >= 4"
    ),
    formula="f >= 0 /\\ n >= 3f+1 => |Q1| + |Q2| - n >= f+1 /\\ n - f >= |Q|",
    obligations=arithmetic_obligations,
    twin=arithmetic_twin,
    twin_statement="quorums of 2f intersect in f + 1 (must be refuted)",
)

INTERSECTION_SETS = Theorem(
    name="quorum_intersection_sets",
    statement=(
        "for n = 4..100, no two quorums (as sets) share only faulty replicas, and the "
        "honest replicas form a quorum"
    ),
    formula="|A|, |B| >= q /\\ |F| <= f => exists i. A_i /\\ B_i /\\ ~F_i",
    obligations=set_obligations,
    twin=set_twin,
    twin_statement="as sets, quorums of 2f always share an honest replica (must be refuted)",
)
