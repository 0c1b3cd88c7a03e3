"""Mutex: two processes share one lock, to test liveness under weak fairness.

Each process cycles idle -> waiting -> critical -> idle: `Request(p)` announces that it
wants the critical section, `Acquire(p)` takes the lock when it is free, `Release(p)`
leaves the critical section and frees the lock. Nothing orders the waiting processes:
the lock goes to whichever acquires first. That is the classic lock whose safety
(mutual exclusion) holds and whose liveness depends on fairness, as in Lamport,
"Specifying Systems" §8 (weak fairness: an action continuously enabled is eventually
taken) and the starvation examples of every operating-systems course.

Fairness classes are per process (`request_0`, `acquire_1`, ...), so weak fairness of
`acquire_1` does not force process 1 in: the class is disabled whenever process 0 holds
the lock, so it is not continuously enabled.

Two `eventually` properties:

- `lock_released`: some critical section ends. It holds when every action is weakly
  fair; with `fair_release` off, a process may stay in the critical section forever,
  and the counterexample is a lasso that stutters in its last state.
- `p1_enters`: process 1 enters the critical section. It fails even under weak fairness
  of every action: process 0 releases and re-acquires the lock forever while process 1
  waits; the counterexample is a lasso with a proper cycle.

A test fixture for the checker: 16 reachable states (8 places of the two processes,
each with and without a critical section having ended).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from spec.core import (
    Config,
    Eventually,
    GuardError,
    Invariant,
    Model,
    Specification,
    Witness,
    action_name,
    eventually,
    invariant,
    param,
    witness,
)

IDLE = "idle"
WAITING = "waiting"
CRITICAL = "critical"
FREE = -1
PROCESSES = (0, 1)


@attrs.frozen
class MutexConfig(Config):
    """Which actions the liveness properties may assume weakly fair."""

    fair_release: bool = param(
        True, help="assume weak fairness of Release (a process leaves the critical section)"
    )


@attrs.frozen
class MutexState:
    """`pc[p]`: where process p is; `holder`: who holds the lock (-1: free);
    `released`: whether some critical section has ended (a history variable)."""

    pc: tuple[str, str]
    holder: int
    released: bool


@attrs.frozen
class Request:
    """Process `p`, idle, starts waiting for the lock."""

    p: int


@attrs.frozen
class Acquire:
    """Process `p`, waiting, takes the free lock and enters the critical section."""

    p: int


@attrs.frozen
class Release:
    """Process `p` leaves the critical section and frees the lock."""

    p: int


Action = Request | Acquire | Release


def is_idle(state: MutexState, p: int) -> bool:
    """Guard of Request(p)."""
    return state.pc[p] == IDLE


def can_acquire(state: MutexState, p: int) -> bool:
    """Guard of Acquire(p): p waits and the lock is free."""
    return state.pc[p] == WAITING and state.holder == FREE


def in_critical(state: MutexState, p: int) -> bool:
    """Guard of Release(p)."""
    return state.pc[p] == CRITICAL


@invariant
def mutual_exclusion(state: MutexState) -> bool:
    """At most one process is in the critical section."""
    return state.pc.count(CRITICAL) <= 1


@invariant
def holder_is_critical(state: MutexState) -> bool:
    """The lock is held exactly by the process in the critical section."""
    return all((state.holder == p) == (state.pc[p] == CRITICAL) for p in PROCESSES)


@witness
def p1_critical(state: MutexState) -> bool:
    """Process 1 can be in the critical section (its starvation is not for want of a path)."""
    return state.pc[1] == CRITICAL


@witness
def both_waiting(state: MutexState) -> bool:
    """Both processes can wait for the lock at once (there is contention)."""
    return state.pc == (WAITING, WAITING)


def _classes(*names: str) -> tuple[str, ...]:
    return tuple(f"{name}_{p}" for name in names for p in PROCESSES)


class Mutex(Model[MutexState, Action]):
    """Two processes and a lock."""

    def __init__(self, config: MutexConfig) -> None:
        self.config = config

    def initial(self) -> Sequence[MutexState]:
        """Both idle, the lock free, no critical section yet."""
        return (MutexState(pc=(IDLE, IDLE), holder=FREE, released=False),)

    def honest_actions(self, state: MutexState) -> list[Action]:
        """Per process, whichever of Request, Acquire, Release its place allows."""
        result: list[Action] = []
        for p in PROCESSES:
            if is_idle(state, p):
                result.append(Request(p))
            if can_acquire(state, p):
                result.append(Acquire(p))
            if in_critical(state, p):
                result.append(Release(p))
        return result

    def step(self, state: MutexState, action: Action) -> MutexState:
        """Move process `action.p` one place on, taking or freeing the lock."""
        p = action.p
        name = type(action).__name__
        if p not in PROCESSES:
            raise GuardError(name, "is_process", f"no process {p}")
        if isinstance(action, Request):
            if not is_idle(state, p):
                raise GuardError(name, "is_idle", f"process {p} is {state.pc[p]}")
            return attrs.evolve(state, pc=_set(state.pc, p, WAITING))
        if isinstance(action, Acquire):
            if not can_acquire(state, p):
                raise GuardError(
                    name,
                    "can_acquire",
                    f"process {p} is {state.pc[p]}, lock held by {state.holder}",
                )
            return attrs.evolve(state, pc=_set(state.pc, p, CRITICAL), holder=p)
        if not in_critical(state, p):
            raise GuardError(name, "in_critical", f"process {p} is {state.pc[p]}")
        return MutexState(pc=_set(state.pc, p, IDLE), holder=FREE, released=True)

    def invariants(self) -> Sequence[Invariant[MutexState]]:
        """Mutual exclusion, and the lock agrees with the processes."""
        return (mutual_exclusion, holder_is_critical)

    def witnesses(self) -> Sequence[Witness[MutexState]]:
        """Process 1 gets in sometimes; the processes contend sometimes."""
        return (p1_critical, both_waiting)

    def action_class(self, action: Action) -> str:
        """Fairness is per process: `acquire_0` and `acquire_1` are different classes."""
        return f"{action_name(action)}_{action.p}"

    def action_classes(self) -> Sequence[str]:
        """Every process's request, acquire and release."""
        return _classes("request", "acquire", "release")

    def eventually(self) -> Sequence[Eventually[MutexState]]:
        """`lock_released` under the configured fairness; `p1_enters` under all of it."""
        fair = _classes("request", "acquire")
        if self.config.fair_release:
            fair += _classes("release")

        @eventually(*fair)
        def lock_released(state: MutexState) -> bool:
            """Some critical section ends: the lock, once taken, is free again."""
            return state.released

        @eventually(*_classes("request", "acquire", "release"))
        def p1_enters(state: MutexState) -> bool:
            """Process 1 enters the critical section (no starvation; fails: no queue)."""
            return state.pc[1] == CRITICAL

        return (lock_released, p1_enters)


def _set(pc: tuple[str, str], p: int, value: str) -> tuple[str, str]:
    return (value, pc[1]) if p == 0 else (pc[0], value)


SPEC = Specification(
    name="mutex",
    summary="two processes and a lock: liveness under weak fairness, and starvation",
    config_type=MutexConfig,
    build=Mutex,
)
