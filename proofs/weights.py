"""Weighted voting: weighted quorums, the unique-winner rule, the fairness cap, the scaling.

The formulas are `spec.weighted.scoring`'s: the threshold rule `reaches`, the cap `MAX_SHARE`
and the algorithm of `cap_weights`, the pieces of the scaling `SCALING` and its rounding
`PRECISION`. Weights are symbolic reals, so every statement holds for every weight
vector, not for the profiles the model checker enumerates.

Theorem `weighted_quorums` (linear real arithmetic, `AGENTS` agents; an agent of weight
0 is an absent one, so it covers every smaller group):

    w >= 0, sum w > 0, w(A) > 2/3 sum w, w(B) > 2/3 sum w  =>  w(A & B) > 1/3 sum w
    t > 1/2, each agent votes once for option 1 or 2 or not at all, with a confidence in
    [0, 1]  =>  not (reaches(support(1), t, sum w) /\\ reaches(support(2), t, sum w))

Agent i gives option 1 a support p1_i and option 2 a support p2_i with p1_i + p2_i <= w_i:
a vote with confidence c for one option is p = c w_i for it and 0 for the other, so
proving the claim for every such split proves it for every vote, and only t x sum w is
not linear. Twins: t >= 1/2 instead of t > 1/2 (two options of half
the weight each both reach it); 1/2 instead of 2/3 (two halves need not overlap).

Theorem `weight_cap_fairness` (nonlinear real arithmetic, n = 2..`AGENTS`): the
water-filling of `cap_weights` yields

    r_i <= MAX_SHARE * sum w,   sum r = sum w,   w_i <= w_j => r_i <= r_j,   r_i >= 0

Z3 does not finish the loop unrolled n times beyond n = 4 (nonlinear terms nest), so
the loop is covered by induction over its rounds: the first round establishes the four
claims, and a round in which no agent is above the cap is the identity (proved for any
capped marks); so every later round, however many, returns what the first returned.
Twin: the seed's per-agent cap `min(w_i, MAX_SHARE * sum w)` without redistribution:
Z3 finds a vector whose largest share stays above one half (spec/FINDINGS.md W4).
`tests/test_proofs.py` evaluates the encoding on concrete vectors against
`spec.scoring.cap_weights`: the encoding is the spec's algorithm, not a paraphrase.

Theorem `expertise_scaling` (nonlinear real arithmetic with the floor of the rounding):
for raw in [0, 1] the scaled value is in [0, 2], and the scaling is monotone. A piece
x^(a/b) is y >= 0 with y^b = x^a, rounded down to 1/PRECISION as the spec does. Z3
proves monotonicity as four lemmas: (1) monotone without rounding; (2) the power is
monotone; (3) rounding down is monotone; (4) at each boundary the jump up exceeds the
rounding (the value just below is at most the rounded value from the boundary on).
Within a piece (2) and (3) give monotonicity; across pieces (1) and (4) do. Every
comparison with a boundary is the table's (`Piece.inclusive`, read by `covers`), and
three more obligations pin the seed's values at 0.4, 0.6 and 0.8 (`SEED_BOUNDARIES`,
written from the seed's text): a spec whose boundary moved or became exclusive is
refuted there, though still monotone. Twin: raw
in [0, 6/5] (a raw score above 1, which factor weights not summing to 1 would give):
the scaled value leaves [0, 2].
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction

import z3

from model_check.report import show
from proofs.core import Obligation, Theorem, number, value
from spec.weighted import scoring

#: The number of agents of the weighted theorems (the issue asks for at least 10).
AGENTS = 10


def real(q: Fraction | int) -> z3.ArithRef:
    """An exact Z3 rational."""
    q = Fraction(q)
    return z3.RealVal(f"{q.numerator}/{q.denominator}")


def _vector(m: z3.ModelRef, terms: Sequence[z3.ArithRef]) -> str:
    return show(tuple(number(m, t) for t in terms))


# --- weighted quorums and the unique winner --------------------------------------------


def _overlap(fraction: Fraction) -> Obligation:
    w = [z3.Real(f"w{i}") for i in range(AGENTS)]
    a = [z3.Bool(f"a{i}") for i in range(AGENTS)]
    b = [z3.Bool(f"b{i}") for i in range(AGENTS)]
    total = z3.Sum(w)

    def weight(members: Sequence[z3.BoolRef]) -> z3.ArithRef:
        return z3.Sum([z3.If(x, wi, 0) for x, wi in zip(members, w, strict=True)])

    both = [z3.And(x, y) for x, y in zip(a, b, strict=True)]
    hyps = [
        *(wi >= 0 for wi in w),
        total > 0,
        weight(a) > real(fraction) * total,
        weight(b) > real(fraction) * total,
    ]

    def explain(m: z3.ModelRef) -> str:
        def members(xs: Sequence[z3.BoolRef]) -> str:
            return show(frozenset(i for i, x in enumerate(xs) if z3.is_true(m.eval(x))))

        return (
            f"weights {_vector(m, w)}: A = {members(a)} and B = {members(b)} each hold more "
            f"than {fraction} of {value(m, total)} and overlap in only {value(m, weight(both))}"
        )

    return Obligation(
        f"two {fraction} weight quorums overlap in more than 1/3",
        hyps,
        weight(both) > total / 3,
        explain,
    )


def _unique_winner(strict: bool) -> Obligation:
    w = [z3.Real(f"w{i}") for i in range(AGENTS)]
    # what agent i gives option 1 and option 2: weight x confidence for the option it
    # votes for, 0 for the other; any split with p1 + p2 <= w includes those
    p1 = [z3.Real(f"p{i}") for i in range(AGENTS)]
    p2 = [z3.Real(f"q{i}") for i in range(AGENTS)]
    t = z3.Real("t")
    total, support1, support2 = z3.Sum(w), z3.Sum(p1), z3.Sum(p2)
    above = t > real(scoring.MAX_SHARE) if strict else t >= real(scoring.MAX_SHARE)
    hyps = [
        *(x >= 0 for x in (*w, *p1, *p2)),
        *(a + b <= wi for a, b, wi in zip(p1, p2, w, strict=True)),
        total > 0,
        above,
        t <= 1,
    ]
    both = z3.And(
        scoring.reaches(support1, t, total),
        scoring.reaches(support2, t, total),
    )

    def explain(m: z3.ModelRef) -> str:
        return (
            f"threshold {value(m, t)}, weights {_vector(m, w)}: option 1 has "
            f"{value(m, support1)} and option 2 has {value(m, support2)} of "
            f"{value(m, total)}, so both reach the threshold"
        )

    name = "no two options reach t > 1/2" if strict else "no two options reach t >= 1/2"
    return Obligation(name, hyps, z3.Not(both), explain)


WEIGHTED_QUORUMS = Theorem(
    name="weighted_quorums",
    statement=(
        f"for any non-negative weights of up to {AGENTS} agents, two sets above 2/3 of the "
        "weight overlap in above 1/3, and no two options reach a threshold above 1/2"
    ),
    formula="w(A), w(B) > 2/3 W => w(A & B) > 1/3 W;  t > 1/2 => not (s1 >= tW /\\ s2 >= tW)",
    obligations=lambda: [_overlap(Fraction(2, 3)), _unique_winner(strict=True)],
    twin=lambda: [_overlap(Fraction(1, 2)), _unique_winner(strict=False)],
    twin_statement="with 1/2 for 2/3, and t = 1/2 allowed, both claims fail (must be refuted)",
)


# --- the fairness cap ------------------------------------------------------------------


def cap_round(
    current: Sequence[z3.ArithRef],
    capped: Sequence[z3.BoolRef],
    total: z3.ArithRef,
    tag: str,
) -> tuple[list[z3.ArithRef], list[z3.BoolRef], list[z3.BoolRef]]:
    """One round of `spec.scoring.cap_weights`'s loop on symbolic weights.

    The agents above the cap (MAX_SHARE of the original total) are cut to it and marked
    capped; their excess goes to the agents not capped, in proportion to their weights
    (in equal parts when those are all zero). Returns the new weights, the new capped
    marks and the definitions of the round's variables: the division by the free
    agents' weight is `g * base == excess`, so each round adds one product per agent.
    """
    n = len(current)
    cap = real(scoring.MAX_SHARE) * total
    over = [r > cap for r in current]
    excess, base, g, h = z3.Reals(f"excess_{tag} base_{tag} g_{tag} h_{tag}")
    cut = [z3.If(o, cap, r) for o, r in zip(over, current, strict=True)]
    marks = [z3.Bool(f"capped_{tag}_{i}") for i in range(n)]
    after = [z3.Real(f"r_{tag}_{i}") for i in range(n)]
    free = z3.Sum([z3.If(c, 0, 1) for c in marks])
    defs = [
        excess == z3.Sum([z3.If(o, r - cap, 0) for o, r in zip(over, current, strict=True)]),
        *(m == z3.Or(c, o) for m, c, o in zip(marks, capped, over, strict=True)),
        base == z3.Sum([z3.If(m, 0, r) for m, r in zip(marks, cut, strict=True)]),
        z3.Implies(base > 0, g * base == excess),
        z3.Implies(z3.And(base == 0, free > 0), h * free == excess),
        *(
            x == z3.If(m, r, r + z3.If(base > 0, g * r, h))
            for x, m, r in zip(after, marks, cut, strict=True)
        ),
    ]
    return after, marks, defs


def cap_encoding(weights: Sequence[z3.ArithRef]) -> tuple[list[z3.ArithRef], list[z3.BoolRef]]:
    """The first round of the cap on `weights`: the result and its definitions.

    Why one round is enough: `later rounds change nothing` (an obligation of the
    theorem) shows that a round where no agent is above the cap is the identity, and
    the first round leaves no agent above it; so the loop, unrolled any number of
    times, returns what the first round returns.
    """
    total = z3.Sum(list(weights))
    after, _, defs = cap_round(weights, [z3.BoolVal(False)] * len(weights), total, "1")
    return after, defs


def seed_cap(weights: Sequence[z3.ArithRef]) -> tuple[list[z3.ArithRef], list[z3.BoolRef]]:
    """The seed's cap: each agent alone cut to MAX_SHARE of the total, nothing moved."""
    cap = real(scoring.MAX_SHARE) * z3.Sum(list(weights))
    return [z3.If(w > cap, cap, w) for w in weights], []


Algorithm = Callable[[Sequence[z3.ArithRef]], tuple[list[z3.ArithRef], list[z3.BoolRef]]]


def _cap(n: int, algorithm: Algorithm) -> Iterator[Obligation]:
    w = [z3.Real(f"w{i}") for i in range(n)]
    r, defs = algorithm(w)
    total, after = z3.Sum(w), z3.Sum(r)
    hyps = [*(wi >= 0 for wi in w), total > 0, *defs]

    def explain(what: str) -> Callable[[z3.ModelRef], str]:
        def text(m: z3.ModelRef) -> str:
            return f"n = {n}: weights {_vector(m, w)} become {_vector(m, r)}: {what}"

        return text

    # the encoding treats every agent alike (renaming agents renames the result), so
    # what holds for agent 0, or for the pair (0, 1), holds for every agent and pair
    share = real(scoring.MAX_SHARE)
    yield Obligation(
        f"n = {n}: every share <= {scoring.MAX_SHARE}",
        hyps,
        r[0] <= share * after,
        explain(f"agent 0's share is above {scoring.MAX_SHARE}"),
    )
    yield Obligation(
        f"n = {n}: total preserved",
        hyps,
        after == total,
        explain("the total changes"),
    )
    yield Obligation(
        f"n = {n}: order preserved",
        hyps,
        z3.Implies(w[0] <= w[1], r[0] <= r[1]),
        explain("agents 0 and 1 swap order"),
    )
    yield Obligation(
        f"n = {n}: non-negative",
        hyps,
        r[0] >= 0,
        explain("agent 0's weight becomes negative"),
    )


def _later_rounds(n: int) -> Obligation:
    """A round in which no agent is above the cap changes nothing (any capped marks)."""
    x = [z3.Real(f"x{i}") for i in range(n)]
    marks = [z3.Bool(f"m{i}") for i in range(n)]
    total = z3.Real("total")
    after, _, defs = cap_round(x, marks, total, "k")
    hyps = [
        total > 0,
        *(xi >= 0 for xi in x),
        *(xi <= real(scoring.MAX_SHARE) * total for xi in x),
        *defs,
    ]
    return Obligation(
        f"n = {n}: later rounds change nothing",
        hyps,
        z3.And([a == b for a, b in zip(after, x, strict=True)]),
        lambda m: f"n = {n}: weights {_vector(m, x)} change in a round with none above the cap",
    )


def cap_obligations() -> Iterator[Obligation]:
    """Theorem `weight_cap_fairness`: n = 2..AGENTS."""
    for n in range(2, AGENTS + 1):
        yield from _cap(n, cap_encoding)
        yield _later_rounds(n)


def cap_twin() -> Iterator[Obligation]:
    """The seed's cap, refuted on its share (with 3 agents, for a readable vector)."""
    yield next(_cap(3, seed_cap))


CAP = Theorem(
    name="weight_cap_fairness",
    statement=(
        f"for n = 2..{AGENTS} and any non-negative weights, the spec's water-filling cap "
        "leaves every share <= 1/2 and preserves the total, the order and signs"
    ),
    formula="r = cap(w) => r_i <= 1/2 sum r /\\ sum r = sum w /\\ (w_i <= w_j => r_i <= r_j)",
    obligations=cap_obligations,
    twin=cap_twin,
    twin_statement="the seed's per-agent cap keeps shares <= 1/2 (must be refuted)",
)


# --- the expertise scaling -------------------------------------------------------------


def covers(piece: scoring.Piece, raw: z3.ArithRef) -> z3.BoolRef:
    """`Piece.covers` of a symbolic raw score: the spec's comparison, read from its table."""
    low = real(piece.low)
    return raw >= low if piece.inclusive else raw > low


#: The seed's values at the scaling's boundaries, written from its text (not read from
#: the spec): "raw_score >= 0.4 -> raw_score * 1.2", ">= 0.6 -> raw_score * 1.5" (exact),
#: ">= 0.8 -> :math.pow(raw_score, 0.7) * 2.0" (2 x 0.8^0.7 = 1.7108..., so at least
#: 17/10 after rounding, where the piece below would give 1.2). Each holds only with the
#: seed's `>=` at that boundary.
SEED_BOUNDARIES: tuple[tuple[Fraction, str, Fraction], ...] = (
    (Fraction(2, 5), "==", Fraction(12, 25)),
    (Fraction(3, 5), "==", Fraction(9, 10)),
    (Fraction(4, 5), ">=", Fraction(17, 10)),
)


def scaling_encoding(
    raw: z3.ArithRef, tag: str, rounding: bool = True
) -> tuple[z3.ArithRef, list[z3.BoolRef]]:
    """`spec.scoring.expertise_scaling` of a symbolic raw score, with its side conditions.

    A piece factor * raw^(a/b) with b > 1 is factor * y for y >= 0, y^b = raw^a; the
    spec rounds y down to 1/PRECISION: k <= y * PRECISION < k + 1, y' = k / PRECISION.
    """
    side: list[z3.BoolRef] = []
    result: z3.ArithRef = raw
    for i, piece in reversed(list(enumerate(scoring.SCALING))):
        if piece.exponent == 1:
            term = real(piece.factor) * raw
        else:
            a, b = piece.exponent.numerator, piece.exponent.denominator
            y = z3.Real(f"y{i}_{tag}")
            side += [y >= 0, y**b == raw**a]
            if rounding:
                k = z3.ToReal(z3.Int(f"k{i}_{tag}"))
                side += [k <= y * scoring.PRECISION, y * scoring.PRECISION < k + 1]
                term = real(piece.factor) * k / scoring.PRECISION
            else:
                term = real(piece.factor) * y
        result = z3.If(covers(piece, raw), term, result)
    return result, side


def _scaling_range(high: Fraction) -> Obligation:
    raw = z3.Real("raw")
    scaled, side = scaling_encoding(raw, "r")
    return Obligation(
        f"raw in [0, {high}] => scaled in [0, 2]",
        [raw >= 0, raw <= real(high), *side],
        z3.And(scaled >= 0, scaled <= 2),
        lambda m: f"raw = {value(m, raw)} scales to {value(m, scaled)}",
    )


def _boundary(low: Fraction, pair: Callable[[z3.ModelRef], str]) -> Callable[[z3.ModelRef], str]:
    return lambda m: f"at {low}: {pair(m)} loses order after rounding"


def scaling_obligations() -> list[Obligation]:
    """Theorem `expertise_scaling`: the range, monotonicity by four lemmas, and the
    seed's values at the boundaries."""
    raw1, raw2 = z3.Reals("raw1 raw2")
    ordered = [raw1 >= 0, raw1 <= raw2, raw2 <= 1]
    exact1, side1 = scaling_encoding(raw1, "1", rounding=False)
    exact2, side2 = scaling_encoding(raw2, "2", rounding=False)

    def pair(m: z3.ModelRef) -> str:
        return f"raw {value(m, raw1)} <= {value(m, raw2)}"

    obligations = [
        _scaling_range(Fraction(1)),
        Obligation(
            "monotone without rounding",
            [*ordered, *side1, *side2],
            exact1 <= exact2,
            lambda m: f"{pair(m)} but {value(m, exact1)} > {value(m, exact2)}",
        ),
    ]
    precision = scoring.PRECISION
    for i, piece in enumerate(scoring.SCALING):
        if piece.exponent == 1:
            continue
        a, b = piece.exponent.numerator, piece.exponent.denominator
        y1, y2 = z3.Reals(f"y{i}_1 y{i}_2")
        obligations.append(
            Obligation(
                f"raw^{piece.exponent} monotone",
                [*ordered, y1 >= 0, y2 >= 0, y1**b == raw1**a, y2**b == raw2**a],
                y1 <= y2,
                lambda m: f"{pair(m)} but the power decreases",
            )
        )
        k1, k2 = z3.Ints("k1 k2")
        obligations.append(
            Obligation(
                "rounding down monotone",
                [
                    y1 <= y2,
                    z3.ToReal(k1) <= y1 * precision,
                    y1 * precision < z3.ToReal(k1) + 1,
                    z3.ToReal(k2) <= y2 * precision,
                    y2 * precision < z3.ToReal(k2) + 1,
                ],
                k1 <= k2,
                lambda m: "rounding down swaps two values",
            )
        )
    for i, piece in enumerate(scoring.SCALING[:-1]):
        # just below the boundary (exact, so an upper bound of the rounded value) versus
        # from the boundary on (the exact value less the most the rounding takes)
        below, side_b = scaling_encoding(raw1, "1", rounding=False)
        upper, side_u = scaling_encoding(raw2, "2", rounding=False)
        loss = real(piece.factor) / precision if piece.exponent != 1 else real(0)
        obligations.append(
            Obligation(
                f"jump at {piece.low} exceeds the rounding",
                [raw1 >= 0, z3.Not(covers(piece, raw1)), covers(piece, raw2), raw2 <= 1]
                + [z3.Not(covers(scoring.SCALING[i - 1], raw2))] * (i > 0)
                + side_b
                + side_u,
                below <= upper - loss,
                _boundary(piece.low, pair),
            )
        )
    return obligations + [_seed_boundary(*row) for row in SEED_BOUNDARIES]


def _seed_boundary(at: Fraction, relation: str, expected: Fraction) -> Obligation:
    """The seed's value at one boundary (`SEED_BOUNDARIES`) against the spec's table."""
    raw = z3.Real("raw")
    scaled, side = scaling_encoding(raw, "b")
    claim = scaled == real(expected) if relation == "==" else scaled >= real(expected)
    return Obligation(
        f"the seed's value at {at}: s({at}) {relation} {expected}",
        [raw == real(at), *side],
        claim,
        lambda m: f"raw = {at} scales to {value(m, scaled)}, the seed's is {expected}",
    )


SCALING = Theorem(
    name="expertise_scaling",
    statement="the seed's expertise scaling maps [0, 1] into [0, 2], is monotone, and takes "
    "the seed's values at 0.4, 0.6 and 0.8 (its `>=`)",
    formula="0 <= x <= y <= 1 => 0 <= s(x) <= 2 /\\ s(x) <= s(y); s(0.4) = 0.48, "
    "s(0.6) = 0.9, s(0.8) >= 1.7",
    obligations=scaling_obligations,
    twin=lambda: [_scaling_range(Fraction(6, 5))],
    twin_statement="on raw scores up to 6/5 the scaled value stays in [0, 2] (must be refuted)",
)
