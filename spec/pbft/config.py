"""PBFT's configuration (the model's bounds) and its constants table.

Each quorum size and derived constant is a function of n (and f), defined once here;
`CONSTANTS` lists them with their value and the reason for it, as the paper gives it
(the executable spec, `Pbft.__init__`, and the proofs read the functions).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from spec.core import Config, ConfigError, HypothesisError, param


def max_faulty(n: int) -> int:
    """f for n replicas: the largest f with n >= 3f + 1."""
    return (n - 1) // 3


def quorum(n: int, f: int) -> int:
    """The size of a quorum: the smallest q with 2q - n >= f + 1 and q <= n - f.

    Any two quorums then share f + 1 replicas, so an honest one (intersection), and the
    n - f honest replicas alone form one (availability): q = ceil((n + f + 1) / 2), which
    is the paper's 2f + 1 when n = 3f + 1 (§4: "For simplicity, we assume |R| = 3f + 1").
    For the other n of the seed's range 2f + 1 is too small: with n = 5, f = 1 two sets of
    3 replicas may share only the faulty one (spec/FINDINGS.md P8; proofs/quorum.py).
    """
    return (n + f) // 2 + 1


def prepare_quorum(n: int, f: int) -> int:
    """Matching prepares from different backups that, with the pre-prepare, prepare m.

    §4.2: "2f prepares from different backups": a quorum less the primary.
    """
    return quorum(n, f) - 1


def commit_quorum(n: int, f: int) -> int:
    """Matching commits from different replicas that make m committed-local (2f + 1)."""
    return quorum(n, f)


def view_change_quorum(n: int, f: int) -> int:
    """View-change messages (the new primary's own included) a NEW-VIEW needs (2f + 1)."""
    return quorum(n, f)


def checkpoint_quorum(n: int, f: int) -> int:
    """Matching checkpoint messages that make a checkpoint stable (2f + 1)."""
    return quorum(n, f)


def committed_quorum(n: int, f: int) -> int:
    """Non-faulty replicas that must be prepared for m to be committed (f + 1, any n)."""
    del n  # the same for every n: one more than the faulty replicas
    return f + 1


def join_quorum(n: int, f: int) -> int:
    """View-changes from other replicas for a later view that make a replica join that
    view change before its timer expires (f + 1, any n: one of them is honest)."""
    del n  # the same for every n: one more than the faulty replicas
    return f + 1


def reply_quorum(n: int, f: int) -> int:
    """Matching replies from different replicas a client waits for (f + 1, any n: one of
    them is honest, so the result is right)."""
    del n  # the same for every n: one more than the faulty replicas
    return f + 1


@attrs.frozen
class Constant:
    """One row of the constants table: a constant of n replicas (and f).

    Attributes:
        name: the constant, as the paper writes it.
        formula: its value, in n and f.
        why: the paper's reason for that value.
        value: the function that computes it, of n and f.
    """

    name: str
    formula: str
    why: str
    value: Callable[[int, int], int] = attrs.field(repr=False)

    def at(self, n: int) -> int:
        """The constant's value for n replicas (f = `max_faulty(n)`)."""
        return self.value(n, max_faulty(n))


#: The constants table: each quorum size and derived constant, with its reason.
CONSTANTS: tuple[Constant, ...] = (
    Constant(
        "f",
        "(n - 1) // 3",
        'the seed: "up to f = (n-1)/3 Byzantine failures"; n >= 3f + 1',
        lambda n, f: max_faulty(n),
    ),
    Constant(
        "quorum q",
        "(n + f) // 2 + 1",
        "2f + 1 at the paper's n = 3f + 1; any two quorums share f + 1 replicas (P8)",
        quorum,
    ),
    Constant(
        "prepare quorum",
        "q - 1 backups, with the pre-prepare",
        '§4.2: "2f prepares from different backups that match the pre-prepare"',
        prepare_quorum,
    ),
    Constant(
        "commit quorum",
        "q",
        '§4.2: "2f + 1 commits (possibly including its own) from different replicas"',
        commit_quorum,
    ),
    Constant(
        "view-change quorum",
        "q",
        '§4.4: the primary\'s own and "2f valid view-change messages for view v+1"',
        view_change_quorum,
    ),
    Constant(
        "checkpoint quorum",
        "q",
        '§4.3: "2f + 1 of them for sequence number n with the same digest d"',
        checkpoint_quorum,
    ),
    Constant(
        "committed",
        "f + 1",
        '§4.2: prepared "for all i in some set of f + 1 non-faulty replicas"',
        committed_quorum,
    ),
    Constant(
        "join quorum",
        "f + 1",
        '§4.5.2: "a set of f + 1 valid view-change messages from other replicas for views '
        'greater than its current view"',
        join_quorum,
    ),
    Constant(
        "reply quorum",
        "f + 1",
        '§4.1: "The client waits for f + 1 replies with valid signatures from different '
        'replicas, and with the same t and r"',
        reply_quorum,
    ),
)


@attrs.frozen
class PbftConfig(Config):
    """The bounds of a PBFT model."""

    replicas: int = param(4, low=1, high=10, help="n, the number of replicas")
    faulty: tuple[int, ...] = param(
        (0,),
        low=0,
        high=9,
        help="the numbers of the Byzantine replicas, comma-separated, e.g. 0 or 0,3; "
        "replica 0 is view 0's primary",
    )
    requests: int = param(2, low=1, high=3, help="client requests 1..requests")
    max_view: int = param(1, low=0, high=4, help="views 0..max_view (bounds timeouts)")
    max_seq: int = param(1, low=1, high=4, help="sequence numbers 1..max_seq")
    checkpoint_interval: int = param(
        0, low=0, high=4, help="K: a checkpoint every K requests (0: no checkpoints)"
    )
    log_size: int = param(2, low=1, high=8, help="L: the high water mark is h + L")
    adversary: str = param(
        "byzantine",
        choices=("byzantine", "silent"),
        help="what faulty replicas do: anything well-formed, or nothing at all",
    )

    def validate(self) -> None:
        for r in self.faulty:
            if r >= self.replicas:
                raise ConfigError("faulty", f"replica {r} does not exist (0..{self.replicas - 1})")

    def check_hypotheses(self) -> None:
        self.check_tolerance()

    def check_tolerance(self) -> None:
        """n >= 3f + 1 for the number of faulty replicas (`unsafe_config` and
        `--allow-unsafe-faults` allow more: then violations are expected)."""
        k = len(self.faulty)
        if k > max_faulty(self.replicas):
            raise HypothesisError(
                "faulty",
                f"{k} faulty replicas need n >= {3 * k + 1}, got n = {self.replicas}",
                f"{k} faulty replicas of {self.replicas} is outside PBFT's hypothesis "
                "n >= 3f + 1: violations are expected",
            )
