"""Running TLC 2.20 beside coordspec: the harness of the cross-check suite.

The cross-check tests (`tests/test_tlc_*.py`) run a small TLA+ module with TLC and its
one-to-one Python port with coordspec, and require the same answers. This module runs
TLC and reads its answers: distinct and generated states, the depth of the search, and
for each property its verdict and the length of its counterexample.

TLC is found through `COORDSPEC_TLC_JAR` (default: `../shared/tools/tla2tools.jar`
beside the repository) and `java` on the PATH (the Makefile installs Debian's
`default-jre-headless` when it is missing). Where either cannot be had the tests are
skipped with that reason, except in CI (`CI` set), where a missing TLC is a failure.

TLC is run with `-tool`, whose messages carry numeric codes, so nothing depends on the
wording of its English output. One TLC run decides one property: TLC stops at its first
violation, and with several temporal properties it does not say which one failed. So a
fixture's `.cfg` lists every `INVARIANT` and `PROPERTY`, and `verdicts` runs TLC once
with none of them (the counts of the whole state space) and once per property.

Conventions, as TLC prints them and as `Answer` states them in coordspec's terms:
- depth: TLC counts the initial states as depth 1; `Answer.depth` is TLC's minus one,
  the number of steps from an initial state to the farthest state, coordspec's depth;
- a counterexample of k states is k - 1 steps; a lasso of k states that goes "back to
  state j" closes with one more step (k steps); one that ends in "stuttering" is
  k - 1 steps and stutters forever in its last state, as coordspec's traces say.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "tlc"
DEFAULT_JAR = ROOT.parent / "shared" / "tools" / "tla2tools.jar"

# Message codes of TLC's -tool output (tlc2.output.EC).
_INVARIANT_VIOLATED = (2107, 2110)  # initial state / behaviour
_DEADLOCK = 2114
_TEMPORAL_VIOLATED = 2116
_STATE = 2217
_BACK_TO_STATE = 2122
_STUTTERING = 2218
_STATS = 2199
_DEPTH = 2194
_SUCCESS = 2193
_ERRORS = frozenset({1000, 1001, 2103, 2104, 2146, 2147, 2148, 2150, 2151, 2152, 2155})
_SANY_ERROR = 3002  # a parse or semantic error in the module

_MESSAGE = re.compile(r"@!@!@STARTMSG (\d+):(\d+) @!@!@\n(.*?)@!@!@ENDMSG \1 @!@!@", re.S)


def jar() -> Path:
    """The TLC jar: `COORDSPEC_TLC_JAR`, else `../shared/tools/tla2tools.jar`."""
    return Path(os.environ.get("COORDSPEC_TLC_JAR", str(DEFAULT_JAR)))


def missing() -> str | None:
    """Why TLC cannot run here, or None when it can."""
    if shutil.which("java") is None:
        return "java is not installed (make setup installs default-jre-headless)"
    if not jar().is_file():
        return f"TLC's jar is not at {jar()} (set COORDSPEC_TLC_JAR)"
    return None


def require() -> None:
    """Skip the calling test when TLC cannot run, or fail in CI, where it must."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"TLC is required in CI: {reason}")
    pytest.skip(reason)


@attrs.frozen
class Violation:
    """A property TLC found violated, with its counterexample's length in steps."""

    kind: str  # "invariant" | "deadlock" | "temporal"
    name: str
    length: int
    lasso: bool  # a temporal counterexample that cycles (back to a state) or stutters


@attrs.frozen
class Run:
    """One TLC run: its counts (complete only if no violation stopped it)."""

    distinct: int
    generated: int
    depth: int  # TLC's depth minus one: coordspec's convention
    violation: Violation | None
    complete: bool
    seconds: float
    output: str


def run(module: Path, cfg_text: str, *, timeout: float = 600.0, workers: int = 1) -> Run:
    """Run TLC on `module` (a .tla file) with the configuration `cfg_text`.

    Raises:
        AssertionError: TLC reported an error (a parse error, a bad configuration...).
    """
    module = module.resolve()
    with tempfile.TemporaryDirectory(prefix="coordspec-tlc-") as tmp:
        cfg = Path(tmp) / (module.stem + ".cfg")
        cfg.write_text(cfg_text)
        command = [
            "java",
            "-XX:+UseParallelGC",
            "-XX:TieredStopAtLevel=1",  # small models: start-up dominates, C1 is enough
            "-cp",
            str(jar()),
            "tlc2.TLC",
            "-tool",
            "-workers",
            str(workers),
            "-noGenerateSpecTE",
            "-metadir",
            str(Path(tmp) / "states"),
            "-config",
            str(cfg),
            str(module),
        ]
        started = time.monotonic()
        done = subprocess.run(
            command,
            check=False,
            cwd=module.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        seconds = time.monotonic() - started
    return parse(done.stdout + done.stderr, seconds)


def parse(output: str, seconds: float = 0.0) -> Run:
    """Read a TLC `-tool` transcript.

    Raises:
        AssertionError: TLC reported an error instead of an answer.
    """
    messages = [(int(code), text) for code, _, text in _MESSAGE.findall(output)]
    errors = [text.strip() for code, text in messages if code in _ERRORS]
    if errors:
        raise AssertionError("TLC failed: " + " | ".join(errors))
    if any(code == _SANY_ERROR for code, _ in messages):
        raise AssertionError("SANY could not parse the module:\n" + output[-3000:])
    distinct = generated = depth = -1
    violation: Violation | None = None
    kind = name = ""
    states = 0
    lasso = False
    for code, text in messages:
        if code in _INVARIANT_VIOLATED and violation is None and not kind:
            found = re.search(r"Invariant (\S+) is violated", text)
            kind, name = "invariant", found.group(1) if found else "?"
        elif code == _DEADLOCK and not kind:
            kind, name = "deadlock", "deadlock"
        elif code == _TEMPORAL_VIOLATED and not kind:
            kind, name = "temporal", ""
        elif code == _STATE and kind and violation is None:
            states += 1
        elif code in (_BACK_TO_STATE, _STUTTERING) and kind and violation is None:
            lasso = True
            if code == _BACK_TO_STATE:
                states += 1  # the step that closes the cycle
        elif code == _STATS:
            found = re.search(r"([\d,]+) states generated, ([\d,]+) distinct states found", text)
            if found:
                generated = int(found.group(1).replace(",", ""))
                distinct = int(found.group(2).replace(",", ""))
            if kind and violation is None:
                violation = Violation(kind, name, states - 1, lasso)
        elif code == _DEPTH:
            found = re.search(r"is (\d+)", text)
            depth = int(found.group(1)) - 1 if found else -1
    if kind and violation is None:
        violation = Violation(kind, name, states - 1, lasso)
    complete = violation is None and any(code == _SUCCESS for code, _ in messages)
    if distinct < 0:
        raise AssertionError("TLC printed no state counts:\n" + output[-2000:])
    return Run(distinct, generated, depth, violation, complete, seconds, output)


@attrs.frozen
class Answer:
    """What TLC says of a fixture: the counts, and each property's verdict."""

    distinct: int
    generated: int
    depth: int
    verdicts: dict[str, Violation | None]  # property -> its violation, None if it holds
    seconds: float  # the run without properties (the whole state space)


_LISTS = re.compile(r"^\s*(INVARIANTS?|PROPERTY|PROPERTIES)\b(.*)$")


def split_cfg(text: str) -> tuple[str, list[str], list[str]]:
    """A cfg without its INVARIANT/PROPERTY lists, and those lists' names.

    Each list keyword must begin a line and take the names on the same line.
    """
    base: list[str] = []
    invariants: list[str] = []
    properties: list[str] = []
    for line in text.splitlines():
        found = _LISTS.match(line)
        if found is None:
            base.append(line)
            continue
        names = found.group(2).split()
        (invariants if found.group(1).startswith("INVARIANT") else properties).extend(names)
    return "\n".join(base) + "\n", invariants, properties


def verdicts(module: Path, cfg: Path | None = None, *, timeout: float = 600.0) -> Answer:
    """TLC's answer on a fixture: one run with every property, and where that finds a
    violation (TLC stops at the first), one run for the counts and one per property.

    Deadlock is checked in each run as the cfg says (`CHECK_DEADLOCK`); a deadlock found
    in the run without properties is reported under the name `deadlock`.
    """
    cfg = cfg or module.with_suffix(".cfg")
    base, invariants, properties = split_cfg(cfg.read_text())
    if invariants or properties:  # one run first: when everything holds, it is the answer
        everything = base + "".join(f"INVARIANT {n}\n" for n in invariants)
        everything += "".join(f"PROPERTY {n}\n" for n in properties)
        one = run(module, everything, timeout=timeout)
        if one.complete and one.violation is None:
            found: dict[str, Violation | None] = {name: None for name in invariants}
            found.update({name: None for name in properties})
            if not re.search(r"CHECK_DEADLOCK\s+FALSE", base):
                found = {"deadlock": None, **found}
            return Answer(one.distinct, one.generated, one.depth, found, one.seconds)
    whole = run(module, base, timeout=timeout)
    found = {}
    if whole.violation is not None:  # a deadlock: count again without deadlock checking
        found["deadlock"] = whole.violation
        base = "CHECK_DEADLOCK FALSE\n" + base
        whole = run(module, base, timeout=timeout)
    elif not re.search(r"CHECK_DEADLOCK\s+FALSE", base):
        found["deadlock"] = None
    for name in invariants:
        one = run(module, base + f"INVARIANT {name}\n", timeout=timeout)
        found[name] = one.violation
    for name in properties:
        one = run(module, base + f"PROPERTY {name}\n", timeout=timeout)
        if one.violation is not None:
            one = attrs.evolve(one, violation=attrs.evolve(one.violation, name=name))
        found[name] = one.violation
    return Answer(whole.distinct, whole.generated, whole.depth, found, whole.seconds)
