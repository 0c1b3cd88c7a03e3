"""PBFT safety by induction: an inductive invariant for agreement, checked by Z3.

The theorem (issue 6, item 5; Castro & Liskov OSDI'99 §4.2 and §4.4, the seed's Part 1):
for the PBFT spec (`spec.pbft`) at the configuration `CONFIG` below, every state reachable
from `Init` by `Next` satisfies Agreement: the executed logs of any two honest replicas
agree position by position, and no two honest replicas commit-local different requests
at one sequence number. It is proved the Apalache/Ivy way, with an inductive invariant
`Inv` (a list of NAMED conjuncts, agreement among them):

    Init => Inv        Inv /\\ Next => Inv'        Inv => Agreement

which covers behaviours of every length, where the model checker only covers what it
explored (`Inv => Agreement` holds because agreement is a conjunct). `Inv /\\ Next =>
Inv'` is split into one obligation per action kind, and a failure's `explain` decodes
Z3's model into the spec's own terms: the conjuncts that break, the action as a
`spec.pbft` action object with its parameters, the pre-state as a `spec.pbft.PbftState`.

## The inductive invariant (`Encoding.invariant`, in this order)

- `agreement`: honest replicas' executed logs agree position by position.
- `agreement_committed_local`: no two digests are committed-local at one sequence
  number (at any honest replicas, in any views).
- `type_ok`: the variables' ranges; the faulty replica's variables stay initial.
- `executed_committed_local`: each executed position holds a digest committed-local
  there at that replica (null if it executed the request before).
- `sent_in_own_view`: a replica's prepares and commits are of its view (in normal
  operation) or of an earlier one; only honest primaries pre-prepare, in their view.
- `view_change_sent`: a replica changing view sent its VIEW-CHANGE, only for views it
  reached.
- `view_change_reflects_commits`: the P of replica i's VIEW-CHANGE for v is exactly
  i's commits of views below v.
- `new_view_sent`: normal operation in a view v >= 1, and every pre-prepare of v, imply
  v's NEW-VIEW; O's entries are pre-prepares.
- `prepare_has_pre_prepare`: under an honest primary a prepare matches its pre-prepare.
- `one_digest_per_sender`: one digest per view and number from a primary's pre-prepares
  and from each backup's prepares.
- `commit_implies_prepared`, `prepared_is_certificate` (a prepared replica holds a valid
  certificate, as `Pbft.certificates` counts them), `certificate_unique` (§4.2: "if
  prepared(m, v, n, i) is true then prepared(m', v, n, j) is false ..."),
  `committed_local_implies_committed` (§4.2).
- `choosable_is_locked`, the heart of the view change (§4.4): if (w, n, d) is committed,
  or still may be (the honest replicas that committed it or are still in a view <= w,
  with the faulty ones, are a commit quorum: Paxos's "chosen or choosable"), then no
  later view pre-prepares another digest at n, and a later view's NEW-VIEW pre-prepares d.

## The configuration and its bounds

`CONFIG` (the spec's `proof` preset, `coordspec check pbft --preset proof`): n = 4
replicas, replica 0 Byzantine (the primary of view 0, so a primary that
equivocates is covered), the Byzantine adversary, client requests 1..2, views 0..1,
sequence numbers 1..2, no checkpoints (`checkpoint_interval = 0`).
`THEOREM_TWO_VIEW_CHANGES` is the same at views 0..2 (a value committed in view 0 must
survive view 1 into view 2; about four times the Z3 time). `Encoding` takes any
configuration without checkpoints whose faulty replicas are primaries of view 0 at most.
f and every quorum size are read from the spec at run time (`pbft.max_faulty`,
`pbft.prepare_quorum`, `pbft.commit_quorum`, `pbft.view_change_quorum`,
`pbft.committed_quorum`, `pbft.join_quorum`), so that changing one of them changes what is proved
(tests/test_proof_pbft.py weakens two).

## The encoding (state variables; `Next` transcribes `Pbft.guards` and `Pbft.apply`)

- Per replica: `view` (Int), `changing` (Bool), the executed log as its length `len`
  (Int) and one Int digest per position (0 beyond the length).
- Per possible message, one Bool: `request[r]`, `pre_prepare[v, n, d]`,
  `prepare[v, n, d, i]` and `commit[v, n, d, i]` for honest i (the faulty replicas'
  messages are never stored: they are implicit in every quorum count, as `Pbft.support`
  says), `view_change[v, i]` with its prepared set P as `vc_cert[v, i, n, d, w]` (one per
  certificate (n, d, w)), `new_view[v]` with its O as `nv_o[v, n, d]`.
- A faulty primary's pre-prepares and NEW-VIEWs and the faulty VIEW-CHANGEs are what the
  spec's guards allow: `pre_prepare_available`, `certificates`, `new_view_choices` and
  `compute_o` are transcribed symbolically (`_nv_choice`).
- Simplifications, each checked against the spec by the tests: no checkpoints (the low
  water mark stays 0, `checkpoints` stays empty and `stable_checkpoint` is never
  enabled); a state is representable when each honest replica sent at most one
  VIEW-CHANGE per view and each view has at most one NEW-VIEW (`encode` raises
  otherwise; every state the tests explore is representable).

## Faithfulness (what ties this encoding to the Python spec)

tests/test_proof_pbft.py explores the spec at `CONFIG` and checks that every explored
state satisfies `Inv` (each conjunct by name), that every explored transition satisfies
`Next` and its own disjunct only, that the Z3 guard of every action instance agrees with
`Pbft.guard`, that `Init` holds exactly on the initial state, and that transitions the
spec's guards reject falsify `Next`. A spec state enters Z3 as a model of the variables
(`Encoding.state_model`); `holds` evaluates a formula in it (substitute and simplify).

## Agreement alone is not inductive (the negative twin, a worked example)

`THEOREM.twin` asks Z3 to prove `Agreement /\\ Next => Agreement'` (with `type_ok`, the
variables' ranges, beside agreement: what a typed checker such as Apalache assumes). Z3
refutes it with a counterexample to induction (CTI), a state that satisfies agreement but
is unreachable, shrunk to the fewest messages (`_shrink`). Printed by
`core.run(THEOREM, twin=True).counterexample`:

    conjunct agreement breaks under Execute(replica=2, view=1, seq=2, digest=1)
    pre-state (its non-empty fields):
      view = (0, 0, 1, 0)
      executed = ((), (0, 0), (0,), ())
      requests = {1}
      prepares = {(1, 2, 1, 2)}
      commits = {(1, 2, 1, 2), (1, 2, 1, 3)}
    post-state (the fields that changed):
      executed = ((), (0, 0), (0, 1), ())

Replica 2 is in view 1 (with no NEW-VIEW that could have brought it there), has
prepared request 1 at sequence number 2, and sees the commits of replicas 2 and 3 (with
the faulty replica's, 2f + 1): request 1 is committed-local and it executes it at
number 2; but replica 1 has already executed the null request at number 2, which no
replica committed. The logs agree before the step and not after.
Strengthening the invariant the Ivy way (`obligations(enc, only=...)` replays each
round): with "what is executed was committed-local" (`executed_committed_local`) added,
Z3's next CTI has the null request and request 2 both committed-local at number 1 in
view 1, which calls for `agreement_committed_local`; its CTI in turn is a client
request that completes a certificate for a second digest at a backup that prepared two
(`one_digest_per_sender`, `certificate_unique`); and so on, down to the view change
carrying what may have been committed (`choosable_is_locked`), until every conjunct of
`Encoding.invariant` is preserved by every action.

## Measured (`core.run(THEOREM)`)

152 state variables (136 Boolean, 16 integer), 15 conjuncts, 150 action instances in
`Next`, 9 obligations (`Init => Inv`, one per action kind), one for the twin; about
7-9 s of Z3 time for the theorem, under a second for the twin (about 4x for
`THEOREM_TWO_VIEW_CHANGES`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import combinations, product
from typing import NamedTuple, TypeAlias

import attrs
import z3

from model_check.report import changes, fields_of, show, show_action
from proofs import core
from spec import pbft
from spec.core import action_name, make_config

#: The bounds of the proof (see the module docstring): the spec's `proof` preset.
CONFIG: pbft.PbftConfig = make_config(pbft.PbftConfig, pbft.SPEC.preset("proof").params)

Key: TypeAlias = tuple[str | int, ...]
Formula: TypeAlias = z3.BoolRef
Conjunct: TypeAlias = tuple[str, Formula]

#: The kinds of state variable that are Z3 integers (every other one is a Boolean).
INT_KINDS = frozenset({"view", "len", "log"})

#: The action kinds of `Next`, in the order the obligations check them.
KINDS = (
    "request",
    "pre_prepare",
    "prepare",
    "commit",
    "execute",
    "timeout",
    "new_view",
    "accept_new_view",
)


class Move(NamedTuple):
    """One action of `Next` with its parameters: its guard (over the pre-state) and its
    transition formula (the guard, the effect, every other variable unchanged)."""

    action: pbft.Action
    guard: Formula
    step: Formula


class Vars:
    """One copy of the state variables: the pre-state, or (`prime`) the post-state."""

    def __init__(self, keys: Sequence[Key], prime: str = "") -> None:
        self.prime = prime
        self.terms: dict[Key, z3.ExprRef] = {}
        for key in keys:
            name = "_".join(str(k) for k in key) + prime
            self.terms[key] = z3.Int(name) if key[0] in INT_KINDS else z3.Bool(name)
        self.decls = {key: term.decl() for key, term in self.terms.items()}

    def __getitem__(self, key: Key) -> z3.ExprRef:
        return self.terms[key]


def _count(terms: Sequence[Formula]) -> z3.ArithRef:
    """How many of `terms` are true."""
    return z3.Sum([z3.If(t, 1, 0) for t in terms]) if terms else z3.IntVal(0)


class Encoding:
    """The Z3 encoding of `spec.pbft` at one configuration (see the module docstring).

    Raises:
        ValueError: a configuration this encoding does not cover (checkpoints, a silent
            adversary, or a faulty primary of a view other than 0).
    """

    def __init__(self, config: pbft.PbftConfig = CONFIG) -> None:
        if config.checkpoint_interval or config.adversary != "byzantine":
            raise ValueError("the encoding covers the Byzantine adversary without checkpoints")
        self.config = config
        self.n = config.replicas
        self.faulty = frozenset(config.faulty)
        self.honest = tuple(i for i in range(self.n) if i not in self.faulty)
        self.views = tuple(range(config.max_view + 1))
        self.later = self.views[1:]
        if any(self.primary(v) in self.faulty for v in self.later):
            raise ValueError("the encoding covers a faulty primary of view 0 only")
        self.seqs = tuple(range(1, config.max_seq + 1))
        self.values = tuple(range(1, config.requests + 1))
        self.digests = (pbft.NULL, *self.values)
        # The spec's formulas, read now (through the module, so that a test can patch them).
        f = pbft.max_faulty(self.n)
        self.f = f
        self.q_prepare = pbft.prepare_quorum(self.n, f)
        self.q_commit = pbft.commit_quorum(self.n, f)
        self.q_view_change = pbft.view_change_quorum(self.n, f)
        self.q_committed = pbft.committed_quorum(self.n, f)
        self.q_join = pbft.join_quorum(self.n, f)
        self.keys = list(self._keys())
        self._cache: dict[tuple[object, ...], z3.ExprRef] = {}
        self._consts: dict[tuple[type, int | bool], z3.ExprRef] = {}
        self._blank: dict[int, z3.ModelRef] = {}
        self.pre = Vars(self.keys)
        self.post = Vars(self.keys, "'")

    # -- the state variables ------------------------------------------------------------

    def _keys(self) -> Iterator[Key]:
        for i in range(self.n):
            yield ("view", i)
            yield ("changing", i)
            yield ("len", i)
            for k in self.seqs:
                yield ("log", i, k)
        for r in self.values:
            yield ("request", r)
        for v, n, d in product(self.views, self.seqs, self.digests):
            yield ("pre_prepare", v, n, d)
            for i in self.honest:
                yield ("prepare", v, n, d, i)
                yield ("commit", v, n, d, i)
        for v in self.later:
            yield ("new_view", v)
            for n, d in product(self.seqs, self.digests):
                yield ("nv_o", v, n, d)
            for i in self.honest:
                yield ("view_change", v, i)
                for n, d, w in product(self.seqs, self.digests, self.views):
                    yield ("vc_cert", v, i, n, d, w)

    def count(self) -> tuple[int, int]:
        """(Boolean, integer) state variables."""
        ints = sum(1 for k in self.keys if k[0] in INT_KINDS)
        return len(self.keys) - ints, ints

    # -- the spec's helpers and predicates, symbolically -----------------------------------

    def _memo(self, key: tuple[object, ...], build: Callable[[], z3.ExprRef]) -> z3.ExprRef:
        """A sub-formula built once per copy of the variables (they recur in many places)."""
        term = self._cache.get(key)
        if term is None:
            term = self._cache[key] = build()
        return term

    def primary(self, v: int) -> int:
        """§4: the primary of view v is v mod n."""
        return v % self.n

    def requested(self, x: Vars, d: int) -> Formula:
        """d is the null request or a client sent it."""
        return z3.BoolVal(True) if d == pbft.NULL else x[("request", d)]

    def normal(self, x: Vars, i: int, v: int) -> Formula:
        """Replica i is in normal operation in view v."""
        return z3.And(x[("view", i)] == v, z3.Not(x[("changing", i)]))

    def support_prepare(self, x: Vars, v: int, n: int, d: int) -> z3.ArithRef:
        """`Pbft.support` of the prepares (v, n, d), the primary excluded."""

        def build() -> z3.ExprRef:
            p = self.primary(v)
            honest = [x[("prepare", v, n, d, j)] for j in self.honest if j != p]
            return _count(honest) + (len(self.faulty) - (p in self.faulty))

        return self._memo(("support_prepare", x.prime, v, n, d), build)

    def support_commit(self, x: Vars, v: int, n: int, d: int) -> z3.ArithRef:
        """`Pbft.support` of the commits (v, n, d)."""

        def build() -> z3.ExprRef:
            return _count([x[("commit", v, n, d, j)] for j in self.honest]) + len(self.faulty)

        return self._memo(("support_commit", x.prime, v, n, d), build)

    def accepted_pre_prepare(self, x: Vars, i: int, v: int, n: int, d: int) -> Formula:
        """Honest replica i has the pre-prepare (v, n, d): it sent it or prepared it."""
        if i == self.primary(v):
            return x[("pre_prepare", v, n, d)]
        return x[("prepare", v, n, d, i)]

    def prepared(self, x: Vars, i: int, v: int, n: int, d: int) -> Formula:
        """prepared(m, v, n, i) (§4.2), as `Pbft.prepared`."""

        def build() -> z3.ExprRef:
            return z3.And(
                self.requested(x, d),
                self.accepted_pre_prepare(x, i, v, n, d),
                self.support_prepare(x, v, n, d) >= self.q_prepare,
            )

        return self._memo(("prepared", x.prime, i, v, n, d), build)

    def committed_local(self, x: Vars, i: int, v: int, n: int, d: int) -> Formula:
        """committed-local(m, v, n, i) (§4.2), as `Pbft.committed_local`."""

        def build() -> z3.ExprRef:
            return z3.And(
                self.support_commit(x, v, n, d) >= self.q_commit, self.prepared(x, i, v, n, d)
            )

        return self._memo(("committed_local", x.prime, i, v, n, d), build)

    def certificate(self, x: Vars, w: int, n: int, d: int) -> Formula:
        """Cert(n, d, w) is in `Pbft.certificates` (for any `below` > w)."""

        def build() -> z3.ExprRef:
            p = self.primary(w)
            candidate = [x[("pre_prepare", w, n, d)]]
            candidate += [x[("prepare", w, n, d, j)] for j in self.honest]
            if p in self.faulty and d != pbft.NULL:
                candidate.append(x[("request", d)])
            return z3.And(
                z3.Or(candidate),
                self.requested(x, d),
                z3.BoolVal(True) if p in self.faulty else x[("pre_prepare", w, n, d)],
                self.support_prepare(x, w, n, d) >= self.q_prepare,
            )

        return self._memo(("certificate", x.prime, w, n, d), build)

    def logged(self, x: Vars, i: int, d: int, below: int) -> Formula:
        """Digest d is in replica i's executed log before position `below`."""

        def build() -> z3.ExprRef:
            return z3.Or(
                [z3.And(x[("len", i)] >= k, x[("log", i, k)] == d) for k in self.seqs if k < below]
            )

        return self._memo(("logged", x.prime, i, d, below), build)

    def timer_runs(self, x: Vars, i: int, v: int) -> Formula:
        """`Pbft.timer_runs(s, i, v)` (§4.5.2): i awaits NEW-VIEW, or waits for a request
        sent and not executed, or f + 1 other replicas (the faulty ones counting) sent
        VIEW-CHANGE for v."""
        waiting = [
            z3.And(x[("request", r)], z3.Not(self.logged(x, i, r, len(self.seqs) + 1)))
            for r in self.values
        ]
        others = [x[("view_change", v, j)] for j in self.honest if j != i]
        joins = _count(others) + len(self.faulty) >= self.q_join
        return z3.Or(x[("changing", i)], *waiting, joins)

    def next_seq_is(self, x: Vars, v: int, n: int) -> Formula:
        """`Pbft.next_seq(s, v) == n`: the lowest number not yet used in view v (h = 0)."""
        used = [z3.Or([x[("pre_prepare", v, m, d)] for d in self.digests]) for m in self.seqs]
        return z3.And(*used[: n - 1], z3.Not(used[n - 1]))

    def choosable(self, x: Vars, w: int, n: int, d: int) -> Formula:
        """(w, n, d) is committed, or may still become so: the honest replicas that sent
        commit (w, n, d) or are still in a view <= w, with the faulty ones, are a commit
        quorum (the Paxos "chosen or choosable in ballot w")."""

        def build() -> z3.ExprRef:
            able = [z3.Or(x[("commit", w, n, d, j)], x[("view", j)] <= w) for j in self.honest]
            return _count(able) + len(self.faulty) >= self.q_commit

        return self._memo(("choosable", x.prime, w, n, d), build)

    # -- NEW-VIEW: new_view_choices and compute_o (§4.4) ----------------------------------

    def o_choices(self) -> list[dict[int, int]]:
        """Every O that `compute_o` can return (h = 0): a digest for each n in 1..max-s."""
        result: list[dict[int, int]] = []
        for m in range(len(self.seqs) + 1):
            for ds in product(self.digests, repeat=m):
                result.append(dict(zip(self.seqs[:m], ds, strict=True)))
        return result

    def _o_entry(self, n: int, o: dict[int, int], certs: dict[tuple[int, int], Formula]) -> Formula:
        """O's entry for n is what `compute_o` makes of the certificates (w, d) for n."""
        top_seq = max(o, default=0)
        some = z3.Or(list(certs.values()))
        if n > top_seq:
            return z3.Not(some)
        target = o[n]
        top = z3.Or(
            [
                z3.And(
                    certs[(w, target)], *[z3.Not(c) for wd, c in certs.items() if wd > (w, target)]
                )
                for w in self.views
            ]
        )
        if n == top_seq or target != pbft.NULL:
            return top
        return z3.Or(top, z3.Not(some))

    def _nv_choice(self, x: Vars, v: int, o: dict[int, int], primary: int | None) -> Formula:
        """(0, (), O) is in `Pbft.new_view_choices(s, v, primary)`.

        V is q honest view-changes for v that were sent (the primary's own among them when
        it is honest), completed by faulty ones; the faulty ones (there is one forged P,
        as in the spec) carry at most one valid certificate of a view below v per n.
        """
        need, faulty = self.q_view_change, len(self.faulty)
        cases = []
        for size in range(min(need, len(self.honest)), -1, -1):
            if need - size > faulty:
                break
            forged = need - size > 0
            for chosen in combinations(self.honest, size):
                if primary is not None and primary not in chosen:
                    continue
                per_seq = []
                for n in self.seqs:
                    honest = {
                        (w, d): z3.Or([x[("vc_cert", v, j, n, d, w)] for j in chosen])
                        for w in self.views
                        for d in self.digests
                    }
                    options = [self._o_entry(n, o, honest)]
                    if forged:
                        for w, d in product(range(v), self.digests):
                            certs = dict(honest)
                            certs[(w, d)] = z3.BoolVal(True)
                            options.append(
                                z3.And(self.certificate(x, w, n, d), self._o_entry(n, o, certs))
                            )
                    per_seq.append(z3.Or(options))
                cases.append(z3.And(*[x[("view_change", v, j)] for j in chosen], *per_seq))
        return z3.Or(cases)

    # -- Init, Next ---------------------------------------------------------------------

    def init(self, x: Vars) -> Formula:
        """`Pbft.initial`: every replica in view 0, nothing sent, nothing executed."""
        return z3.And([x[k] == 0 if k[0] in INT_KINDS else z3.Not(x[k]) for k in self.keys])

    def transitions(self, x: Vars, y: Vars) -> dict[str, list[Move]]:
        """Every action (with its parameters) and its transition formula from x to y:
        its guard, its effect, and every other variable unchanged."""
        result: dict[str, list[Move]] = {k: [] for k in KINDS}

        def add(
            action: pbft.Action, guard: Sequence[Formula], effect: dict[Key, z3.ExprRef]
        ) -> None:
            frame = [y[k] == effect[k] if k in effect else y[k] == x[k] for k in self.keys]
            result[action_name(action)].append(Move(action, z3.And(guard), z3.And(*guard, *frame)))

        true = z3.BoolVal(True)
        for r in self.values:
            add(pbft.Request(r), [z3.Not(x[("request", r)])], {("request", r): true})
        for i in self.honest:
            for v, n, d in product(self.views, self.seqs, self.digests):
                p = self.primary(v)
                if i == p and d != pbft.NULL:
                    add(
                        pbft.PrePrepare(i, v, n, d),
                        [
                            self.normal(x, i, v),
                            x[("request", d)],
                            self.next_seq_is(x, v, n),
                            *[z3.Not(x[("pre_prepare", v, m, d)]) for m in self.seqs],
                            z3.Not(self.logged(x, i, d, len(self.seqs) + 1)),
                        ],
                        {("pre_prepare", v, n, d): true},
                    )
                if i != p:
                    available = x[("pre_prepare", v, n, d)]
                    if p in self.faulty and d != pbft.NULL:
                        available = z3.Or(available, x[("request", d)])
                    add(
                        pbft.Prepare(i, v, n, d),
                        [
                            self.normal(x, i, v),
                            available,
                            *[z3.Not(x[("prepare", v, n, e, i)]) for e in self.digests],
                        ],
                        {("prepare", v, n, d, i): true},
                    )
                add(
                    pbft.Commit(i, v, n, d),
                    [
                        self.normal(x, i, v),
                        z3.Not(x[("commit", v, n, d, i)]),
                        self.prepared(x, i, v, n, d),
                    ],
                    {("commit", v, n, d, i): true},
                )
                add(
                    pbft.Execute(i, v, n, d),
                    [
                        self.normal(x, i, v),
                        x[("len", i)] == n - 1,
                        self.committed_local(x, i, v, n, d),
                    ],
                    {
                        ("len", i): z3.IntVal(n),
                        ("log", i, n): z3.If(self.logged(x, i, d, n), pbft.NULL, d),
                    },
                )
            for v in self.later:
                effect: dict[Key, z3.ExprRef] = {
                    ("view", i): z3.IntVal(v),
                    ("changing", i): true,
                    ("view_change", v, i): true,
                }
                for n, d, w in product(self.seqs, self.digests, self.views):
                    effect[("vc_cert", v, i, n, d, w)] = x[("commit", w, n, d, i)]
                add(
                    pbft.Timeout(i, v),
                    [x[("view", i)] == v - 1, self.timer_runs(x, i, v)],
                    effect,
                )
        for v in self.later:
            p = self.primary(v)
            for o in self.o_choices():
                content = frozenset(o.items())
                effect = {("changing", p): z3.BoolVal(False), ("new_view", v): true}
                for n, d in product(self.seqs, self.digests):
                    effect[("nv_o", v, n, d)] = z3.BoolVal(o.get(n) == d)
                    if o.get(n) == d:
                        effect[("pre_prepare", v, n, d)] = true
                add(
                    pbft.NewView(p, v, 0, (), content),
                    [x[("view", p)] == v, x[("changing", p)], self._nv_choice(x, v, o, p)],
                    effect,
                )
                same_o = [
                    x[("nv_o", v, n, d)] == (o.get(n) == d)
                    for n, d in product(self.seqs, self.digests)
                ]
                for i in self.honest:
                    if i == p:
                        continue
                    accept: dict[Key, z3.ExprRef] = {
                        ("view", i): z3.IntVal(v),
                        ("changing", i): z3.BoolVal(False),
                    }
                    for n, d in o.items():
                        accept[("prepare", v, n, d, i)] = true
                    add(
                        pbft.AcceptNewView(i, v, 0, (), content),
                        [
                            z3.Or(
                                x[("view", i)] < v,
                                z3.And(x[("view", i)] == v, x[("changing", i)]),
                            ),
                            x[("new_view", v)],
                            *same_o,
                        ],
                        accept,
                    )
        return result

    # -- the inductive invariant ----------------------------------------------------------

    def agreement(self, x: Vars) -> Formula:
        """Honest replicas' executed logs agree position by position (§4.2: "the
        non-faulty replicas agree on the sequence numbers of requests that commit
        locally", and so on what they execute)."""
        return z3.And(
            [
                z3.Implies(
                    z3.And(x[("len", i)] >= k, x[("len", j)] >= k),
                    x[("log", i, k)] == x[("log", j, k)],
                )
                for i, j in combinations(self.honest, 2)
                for k in self.seqs
            ]
        )

    def invariant(self, x: Vars, only: Sequence[str] | None = None) -> list[Conjunct]:
        """Inv: named conjuncts, agreement first; together they are inductive.

        `only`: the conjuncts wanted, by name (all by default).
        """
        honest, views, seqs, digests = self.honest, self.views, self.seqs, self.digests
        triples = list(product(views, seqs, digests))
        pairs = [(d, e) for d, e in product(digests, digests) if d < e]
        conj: list[Conjunct] = [("agreement", self.agreement(x))]

        conj.append(
            (
                "agreement_committed_local",
                z3.And(
                    [
                        z3.Not(
                            z3.And(
                                self.committed_local(x, i, v, n, d),
                                self.committed_local(x, j, w, n, e),
                            )
                        )
                        for i, j in product(honest, honest)
                        for v, w in product(views, views)
                        for n in seqs
                        for d, e in product(digests, digests)
                        if d != e and (i, v, d) < (j, w, e)
                    ]
                ),
            )
        )

        type_ok = []
        for i in range(self.n):
            if i in self.faulty:
                type_ok += [x[("view", i)] == 0, z3.Not(x[("changing", i)]), x[("len", i)] == 0]
            else:
                type_ok += [x[("view", i)] >= 0, x[("view", i)] <= views[-1]]
                type_ok += [x[("len", i)] >= 0, x[("len", i)] <= seqs[-1]]
            for k in seqs:
                entry = x[("log", i, k)]
                type_ok.append(
                    z3.If(x[("len", i)] >= k, z3.And(entry >= 0, entry <= digests[-1]), entry == 0)
                )
        conj.append(("type_ok", z3.And(type_ok)))

        executed = []
        for i, k in product(honest, seqs):
            why = [
                z3.And(
                    self.committed_local(x, i, v, k, d),
                    x[("log", i, k)] == z3.If(self.logged(x, i, d, k), pbft.NULL, d),
                )
                for v, d in product(views, digests)
            ]
            executed.append(z3.Implies(x[("len", i)] >= k, z3.Or(why)))
        conj.append(("executed_committed_local", z3.And(executed)))

        in_view = []
        for v, n, d in triples:
            for i in honest:
                for kind in ("prepare", "commit"):
                    in_view.append(
                        z3.Implies(
                            x[(kind, v, n, d, i)],
                            z3.Or(x[("view", i)] > v, self.normal(x, i, v)),
                        )
                    )
            p = self.primary(v)
            if p in self.faulty:
                in_view.append(z3.Not(x[("pre_prepare", v, n, d)]))
            else:
                in_view.append(
                    z3.Implies(
                        x[("pre_prepare", v, n, d)],
                        z3.Or(x[("view", p)] > v, self.normal(x, p, v)),
                    )
                )
        conj.append(("sent_in_own_view", z3.And(in_view)))

        changes = []
        for i in honest:
            changes.append(z3.Implies(x[("changing", i)], x[("view", i)] >= 1))
            for v in self.later:
                vc = x[("view_change", v, i)]
                changes.append(z3.Implies(vc, x[("view", i)] >= v))
                changes.append(z3.Implies(z3.And(x[("view", i)] == v, x[("changing", i)]), vc))
        conj.append(("view_change_sent", z3.And(changes)))

        reflects = []
        for v, i in product(self.later, honest):
            for n, d, w in product(seqs, digests, views):
                cert = x[("vc_cert", v, i, n, d, w)]
                if w < v:
                    should = z3.And(x[("view_change", v, i)], x[("commit", w, n, d, i)])
                else:
                    should = z3.BoolVal(False)
                reflects.append(cert == should)
        conj.append(("view_change_reflects_commits", z3.And(reflects)))

        new_view = []
        for v in self.later:
            p = self.primary(v)
            nv = x[("new_view", v)]
            new_view.append(z3.Implies(nv, z3.Or(x[("view", p)] > v, self.normal(x, p, v))))
            for i in honest:
                new_view.append(z3.Implies(self.normal(x, i, v), nv))
            for n, d in product(seqs, digests):
                new_view.append(z3.Implies(x[("pre_prepare", v, n, d)], nv))
                new_view.append(
                    z3.Implies(x[("nv_o", v, n, d)], z3.And(nv, x[("pre_prepare", v, n, d)]))
                )
        conj.append(("new_view_sent", z3.And(new_view)))

        has_pp = []
        for v, n, d in triples:
            if self.primary(v) in self.faulty:
                continue
            for i in honest:
                has_pp.append(z3.Implies(x[("prepare", v, n, d, i)], x[("pre_prepare", v, n, d)]))
        conj.append(("prepare_has_pre_prepare", z3.And(has_pp)))

        unique = []
        for v, n in product(views, seqs):
            for d, e in pairs:
                unique.append(
                    z3.Not(z3.And(x[("pre_prepare", v, n, d)], x[("pre_prepare", v, n, e)]))
                )
                for i in honest:
                    unique.append(
                        z3.Not(z3.And(x[("prepare", v, n, d, i)], x[("prepare", v, n, e, i)]))
                    )
        conj.append(("one_digest_per_sender", z3.And(unique)))

        conj.append(
            (
                "commit_implies_prepared",
                z3.And(
                    [
                        z3.Implies(x[("commit", v, n, d, i)], self.prepared(x, i, v, n, d))
                        for (v, n, d), i in product(triples, honest)
                    ]
                ),
            )
        )
        conj.append(
            (
                "prepared_is_certificate",
                z3.And(
                    [
                        z3.Implies(self.prepared(x, i, v, n, d), self.certificate(x, v, n, d))
                        for (v, n, d), i in product(triples, honest)
                    ]
                ),
            )
        )
        conj.append(
            (
                "certificate_unique",
                z3.And(
                    [
                        z3.Not(z3.And(self.certificate(x, v, n, d), self.certificate(x, v, n, e)))
                        for v, n in product(views, seqs)
                        for d, e in pairs
                    ]
                ),
            )
        )
        conj.append(
            (
                "committed_local_implies_committed",
                z3.And(
                    [
                        z3.Implies(
                            self.committed_local(x, i, v, n, d),
                            _count([self.prepared(x, j, v, n, d) for j in honest])
                            >= self.q_committed,
                        )
                        for (v, n, d), i in product(triples, honest)
                    ]
                ),
            )
        )

        locked = []
        for w, n, d in triples:
            for v in views:
                if v <= w:
                    continue
                others = [x[("pre_prepare", v, n, e)] for e in digests if e != d]
                locked.append(
                    z3.Implies(
                        self.choosable(x, w, n, d),
                        z3.And(
                            *[z3.Not(o) for o in others],
                            z3.Implies(x[("new_view", v)], x[("pre_prepare", v, n, d)]),
                        ),
                    )
                )
        conj.append(("choosable_is_locked", z3.And(locked)))
        return [c for c in conj if only is None or c[0] in only]

    # -- between spec states and Z3 -------------------------------------------------------

    def encode(self, s: pbft.PbftState) -> dict[Key, int | bool]:
        """The values of the state variables in spec state `s`.

        Raises:
            ValueError: `s` is not representable (see the module docstring).
        """
        values: dict[Key, int | bool] = {k: 0 if k[0] in INT_KINDS else False for k in self.keys}

        def put(key: Key, value: int | bool) -> None:
            if key not in values:
                raise ValueError(f"{key} is outside the encoded bounds")
            values[key] = value

        for i in range(self.n):
            put(("view", i), s.view[i])
            put(("changing", i), s.changing[i])
            put(("len", i), len(s.executed[i]))
            for k, d in enumerate(s.executed[i], start=1):
                put(("log", i, k), d)
            if s.stable[i]:
                raise ValueError(f"replica {i} has a stable checkpoint")
        if s.checkpoints:
            raise ValueError("checkpoints are not encoded")
        for r in s.requests:
            put(("request", r), True)
        for m in s.pre_prepares:
            put(("pre_prepare", *m), True)
        for p in s.prepares:
            put(("prepare", *p), True)
        for c in s.commits:
            put(("commit", *c), True)
        for vc in sorted(s.view_changes, key=lambda m: (m.view, m.replica)):
            if values.get(("view_change", vc.view, vc.replica)) or vc.stable or vc.state:
                raise ValueError(f"replica {vc.replica}'s view-change {vc.view} is not encoded")
            put(("view_change", vc.view, vc.replica), True)
            for cert in vc.prepared:
                put(("vc_cert", vc.view, vc.replica, *cert), True)
        for nv in sorted(s.new_views, key=lambda m: m.view):
            if values.get(("new_view", nv.view)) or nv.stable or nv.state:
                raise ValueError(f"the new-view of view {nv.view} is not encoded")
            put(("new_view", nv.view), True)
            for n, d in nv.pre_prepares:
                put(("nv_o", nv.view, n, d), True)
        return values

    def state_model(self, pre: pbft.PbftState, post: pbft.PbftState | None = None) -> z3.ModelRef:
        """A Z3 model giving the variables the values of spec state `pre` (and the primed
        ones those of `post`): evaluating a formula in it is substituting the states'
        values and simplifying (what `holds` does).

        Raises:
            ValueError: a state is not representable.
        """
        copies = (self.pre,) if post is None else (self.pre, self.post)
        blank = self._blank.get(len(copies))
        if blank is None:  # every variable of the copies at its initial value (False, 0)
            blank = self._blank[len(copies)] = z3.Model()
            for x in copies:
                for key, decl in x.decls.items():
                    self._interpret(blank, decl, 0 if key[0] in INT_KINDS else False)
        model = blank.translate(blank.ctx)
        for x, state in zip(copies, (pre, post), strict=False):
            assert state is not None
            for key, value in self.encode(state).items():
                if value:
                    self._interpret(model, x.decls[key], value)
        return model

    def _interpret(self, model: z3.ModelRef, decl: z3.FuncDeclRef, value: int | bool) -> None:
        """Give a constant its value in `model` (replacing any value it had)."""
        # keyed by type too: True == 1 as a dictionary key
        const = self._consts.get((type(value), value))
        if const is None:
            const = z3.BoolVal(value) if type(value) is bool else z3.IntVal(value)
            self._consts[(type(value), value)] = const
        z3.Z3_add_const_interp(model.ctx.ref(), model.model, decl.ast, const.ast)

    def decode(self, model: z3.ModelRef, x: Vars) -> pbft.PbftState:
        """The spec state that a Z3 model gives to copy `x`."""

        def val(key: Key) -> int:
            return int(core.number(model, x[key]))

        def true(key: Key) -> bool:
            return bool(z3.is_true(model.eval(x[key], model_completion=True)))

        executed = []
        for i in range(self.n):
            length = max(0, min(val(("len", i)), len(self.seqs)))
            executed.append(tuple(val(("log", i, k)) for k in self.seqs[:length]))
        triples = list(product(self.views, self.seqs, self.digests))
        return pbft.PbftState(
            view=tuple(val(("view", i)) for i in range(self.n)),
            changing=tuple(true(("changing", i)) for i in range(self.n)),
            executed=tuple(executed),
            stable=(0,) * self.n,
            requests=frozenset(r for r in self.values if true(("request", r))),
            pre_prepares=frozenset(
                pbft.PrePrepareMsg(*t) for t in triples if true(("pre_prepare", *t))
            ),
            prepares=frozenset(
                pbft.PrepareMsg(*t, i)
                for t in triples
                for i in self.honest
                if true(("prepare", *t, i))
            ),
            commits=frozenset(
                pbft.CommitMsg(*t, i)
                for t in triples
                for i in self.honest
                if true(("commit", *t, i))
            ),
            checkpoints=frozenset(),
            view_changes=frozenset(
                pbft.ViewChangeMsg(
                    v,
                    i,
                    0,
                    (),
                    frozenset(
                        pbft.Cert(n, d, w)
                        for n, d, w in product(self.seqs, self.digests, self.views)
                        if true(("vc_cert", v, i, n, d, w))
                    ),
                )
                for v in self.later
                for i in self.honest
                if true(("view_change", v, i))
            ),
            new_views=frozenset(
                pbft.NewViewMsg(
                    v,
                    0,
                    (),
                    frozenset(
                        (n, d)
                        for n, d in product(self.seqs, self.digests)
                        if true(("nv_o", v, n, d))
                    ),
                )
                for v in self.later
                if true(("new_view", v))
            ),
        )


def holds(formula: Formula, model: z3.ModelRef) -> bool:
    """Whether `formula` is true in a model of concrete states (`Encoding.state_model`).

    Raises:
        ValueError: a variable of `formula` has no value in the model.
    """
    result = model.eval(formula, model_completion=False)
    if not (z3.is_true(result) or z3.is_false(result)):
        raise ValueError(f"a variable has no value: {result}")
    return bool(z3.is_true(result))


def describe(s: pbft.PbftState) -> list[str]:
    """The fields of a spec state that differ from the initial state, one a line, each
    `field = value` in the reports' notation (`model_check.report.show`: messages as
    records of their fields)."""
    lines = []
    for field, value in fields_of(s).items():
        if any(value):
            lines.append(f"{field} = {show(value)}")
    return lines


# --- the obligations ---------------------------------------------------------------------


#: Z3's time limit for shrinking a counterexample to induction, in milliseconds.
SHRINK_MS = 20_000


def _shrink(
    enc: Encoding, hypotheses: Sequence[Formula], move: Move, broken: Formula
) -> z3.ModelRef | None:
    """A counterexample with the fewest messages in its pre-state, then the shortest
    logs, then the lowest digests in them (the Ivy way: a minimal CTI is one a reader
    can follow), or None if Z3 runs out of time."""
    opt = z3.Optimize()
    opt.set("timeout", SHRINK_MS)
    opt.add(*hypotheses, move.step, z3.Not(broken))
    messages = [enc.pre[k] for k in enc.keys if k[0] not in INT_KINDS and k[0] != "changing"]
    opt.minimize(z3.Sum([z3.If(m, 1, 0) for m in messages]))
    opt.minimize(z3.Sum([enc.pre[("len", i)] for i in enc.honest]))
    opt.minimize(z3.Sum([enc.pre[k] for k in enc.keys if k[0] == "log"]))
    return opt.model() if opt.check() == z3.sat else None


def _explainer(
    enc: Encoding,
    claims: Sequence[Conjunct],
    moves: Sequence[Move] | None,
    hypotheses: Sequence[Formula] = (),
) -> Callable[[z3.ModelRef], str]:
    """Decode a model of a failed obligation: the conjuncts that break, the action, the
    pre-state (and the fields the action changed). A counterexample to induction is
    first shrunk (`_shrink`) to one with the fewest messages that breaks the first of
    those conjuncts under the same action."""

    def broken_in(model: z3.ModelRef) -> list[Conjunct]:
        return [c for c in claims if not z3.is_true(model.eval(c[1], model_completion=True))]

    def explain(model: z3.ModelRef) -> str:
        broken = broken_in(model)
        if moves is None:
            head = f"conjunct {', '.join(n for n, _ in broken)} fails in an initial state"
        else:
            move = next(m for m in moves if z3.is_true(model.eval(m.step, model_completion=True)))
            model = _shrink(enc, hypotheses, move, broken[0][1]) or model
            names = ", ".join(n for n, _ in broken_in(model))
            head = f"conjunct {names} breaks under {show_action(move.action)}"
        pre = enc.decode(model, enc.pre)
        lines = [head, "pre-state (its non-empty fields):"]
        lines += [f"  {line}" for line in describe(pre) or ["(the initial state)"]]
        if moves is not None:
            lines.append("post-state (the fields that changed):")
            lines += [f"  {line}" for line in changes(pre, enc.decode(model, enc.post))]
        return "\n".join(lines)

    return explain


def obligations(
    enc: Encoding | None = None, only: Sequence[str] | None = None
) -> list[core.Obligation]:
    """`Init => Inv`, then `Inv /\\ Next_kind => Inv'` for each action kind.

    One obligation per action kind (a failure names the kind, and its counterexample
    the conjuncts that break and the action with its parameters). `only`: the conjuncts
    assumed and claimed, by name (all of them by default).
    """
    enc = enc or Encoding()
    pre_inv = enc.invariant(enc.pre, only)
    post_inv = enc.invariant(enc.post, only)
    moves = enc.transitions(enc.pre, enc.post)
    hypotheses = [f for _, f in pre_inv]
    claim = z3.And([f for _, f in post_inv])
    result = [
        core.Obligation(
            "init => inv",
            [enc.init(enc.pre)],
            z3.And(hypotheses),
            _explainer(enc, pre_inv, None),
        )
    ]
    for kind in KINDS:
        step = z3.Or([m.step for m in moves[kind]])
        result.append(
            core.Obligation(
                f"inv /\\ {kind} => inv'",
                [*hypotheses, step],
                claim,
                _explainer(enc, post_inv, moves[kind], [*hypotheses, step]),
            )
        )
    return result


#: The twin's invariant: agreement, with only the variables' ranges beside it (what a
#: typed checker such as Apalache assumes), so that its CTI is a well-typed state.
TWIN_CONJUNCTS = ("agreement", "type_ok")


def twin_obligations(enc: Encoding | None = None) -> list[core.Obligation]:
    """The negative twin, one obligation: `Agreement /\\ Next => Agreement'` (with
    `type_ok` beside agreement), which Z3 must refute with a counterexample to induction."""
    enc = enc or Encoding()
    pre_inv = enc.invariant(enc.pre, TWIN_CONJUNCTS)
    post_inv = enc.invariant(enc.post, TWIN_CONJUNCTS)
    moves = enc.transitions(enc.pre, enc.post)
    every = [m for kind in KINDS for m in moves[kind]]
    hypotheses = [*[f for _, f in pre_inv], z3.Or([m.step for m in every])]
    return [
        core.Obligation(
            "agreement /\\ next => agreement'",
            hypotheses,
            z3.And([f for _, f in post_inv]),
            _explainer(enc, post_inv, every, hypotheses),
        )
    ]


def theorem(config: pbft.PbftConfig = CONFIG, name: str = "pbft_induction") -> core.Theorem:
    """The theorem and its twin at one configuration (the encoding is built when run)."""
    faulty = ", ".join(str(r) for r in config.faulty)
    statement = (
        f"PBFT at n = {config.replicas}, f = {pbft.max_faulty(config.replicas)} "
        f"(Byzantine: {faulty}), views 0..{config.max_view}, sequence numbers "
        f"1..{config.max_seq}, {config.requests} requests: Inv (agreement and its "
        "strengthening, named conjuncts) is inductive"
    )
    return core.Theorem(
        name=name,
        statement=statement,
        formula="Init => Inv,  Inv /\\ Next => Inv',  Inv => Agreement",
        obligations=lambda: obligations(Encoding(config)),
        twin=lambda: twin_obligations(Encoding(config)),
        twin_statement="agreement alone is not inductive: Agreement /\\ Next => Agreement' fails",
    )


#: The theorem at `CONFIG` (views 0..1): the one `coordspec prove` and the tests run.
THEOREM = theorem()

#: Two view changes (views 0..2, the primaries 0, 1, 2): a value committed in view 0 must
#: survive view 1 into view 2. About 4x the Z3 time of `THEOREM`; the tests run it under
#: HYPOTHESIS_PROFILE=thorough.
CONFIG_TWO_VIEW_CHANGES = attrs.evolve(CONFIG, max_view=2)
THEOREM_TWO_VIEW_CHANGES = theorem(CONFIG_TWO_VIEW_CHANGES, "pbft_induction_two_view_changes")
