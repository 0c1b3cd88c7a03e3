"""`coordspec explore` in a real browser (issue 18): Debian's Chromium, headless, driven
by Selenium against the server the command line starts.

Each test clicks as a reader would: through PBFT's normal case to a commit and an
execution, through a view change, along a witness trace loaded with `--trace`, and
checks what the page shows at every step against `Model.step` computed here. The
screenshots are kept as test artifacts in tests/artifacts/ (not committed; the README's
is diagrams/explore-pbft.png). Skipped when Chromium or its driver is missing (`make
test` installs them, as it installs graphviz).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from model_check.engine import Options, check
from model_check.report import show, show_action
from model_check.result import Trace
from spec.core import GuardedModel, Model
from spec.registry import specification
from tests.harness.browser import available, chromium, console_errors

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CLI = [sys.executable, "-m", "model_check"]

pytestmark = pytest.mark.skipif(
    not available(),
    reason="Debian's chromium and chromium-driver are not installed (make test installs them)",
)

#: How long a step may take before the test says the page did not answer (seconds).
WAIT = 60

#: Click the first button of arguments[0] whose label is arguments[1] (any, if null);
#: resolve, once the page has drawn its answer (a MutationObserver: no polling delay),
#: with the page's new `data-ready` and the faulty messages the button said it counts.
CLICK = """
const [selector, label, done] = arguments;
const before = document.body.dataset.ready;
const button = [...document.querySelectorAll(selector)]
  .find(b => label === null || b.dataset.label === label);
if (!button) { done(JSON.stringify({ ready: "missing: " + label, uses: [] })); return; }
const uses = [...button.querySelectorAll(".uses")].map(u => u.textContent);
const watch = new MutationObserver(() => {
  const ready = document.body.dataset.ready;
  if (ready && ready !== before) { watch.disconnect(); done(JSON.stringify({ ready, uses })); }
});
watch.observe(document.body, { attributes: true, attributeFilter: ["data-ready"] });
button.click();
"""

#: The state as the page shows it: each participant cell (text, marked changed), each
#: set's rows (how many, how many marked new), each value (text, marked changed).
READ = """
const out = { cells: {}, sets: {}, values: {} };
for (const section of document.querySelectorAll("#state > .section")) {
  const name = section.dataset.name, kind = section.dataset.kind;
  if (kind === "participants") {
    for (const td of section.querySelectorAll("td[data-field]")) {
      (out.cells[td.dataset.field] ||= []).push([td.textContent, td.classList.contains("changed")]);
    }
  } else if (kind === "value") {
    const text = section.querySelector(".text").textContent;
    out.values[name] = [text, section.classList.contains("changed")];
  } else {
    const rows = section.querySelectorAll("tbody tr");
    out.sets[name] = [rows.length, section.querySelectorAll("tbody tr.new").length];
  }
}
out.properties = Object.fromEntries([...document.querySelectorAll("#properties li.property")]
  .map(li => [li.dataset.name, li.querySelector(".value").textContent]));
out.at = Number(document.getElementById("step-at").textContent);
out.phase = document.getElementById("phase-name").textContent;
const lit = document.querySelector("#phases g.node.lit title");
out.lit = lit ? lit.textContent : null;
const error = document.getElementById("error");
out.error = error.hidden ? null : error.textContent;
return out;
"""


@pytest.fixture
def browser(chromium_driver: Any) -> Iterator[Any]:
    """The module's browser; after each test, the page has logged no error."""
    console_errors(chromium_driver)
    yield chromium_driver
    assert console_errors(chromium_driver) == []


@pytest.fixture(scope="module")
def chromium_driver() -> Iterator[Any]:
    with chromium(WAIT) as driver:
        yield driver


class Server:
    """`coordspec explore` started from the command line, as a user starts it."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [*CLI, "explore", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "http://127.0.0.1:" not in line:
            self.stop()
            raise AssertionError(f"no address printed: {line!r} {self.process.stderr}")
        self.url = line.split(": ", 1)[1].split(" ", 1)[0]

    def stop(self) -> str:
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a server that hangs
            self.process.kill()
            _, err = self.process.communicate()
        return err


def load(driver: Any, url: str) -> None:
    driver.get(url)
    driver.execute_async_script(
        "const done = arguments[0];"
        "const wait = () => document.body.dataset.ready ? done(1) : setTimeout(wait, 10);"
        "wait();"
    )


def click(driver: Any, selector: str, label: str | None = None) -> list[str]:
    """Click; the `uses` lines the button showed."""
    answer = json.loads(driver.execute_async_script(CLICK, selector, label))
    assert not answer["ready"].startswith("missing"), answer["ready"]
    uses: list[str] = answer["uses"]
    return uses


def read(driver: Any) -> dict[str, Any]:
    found: dict[str, Any] = driver.execute_script(READ)
    assert found["error"] is None, found["error"]
    return found


def agrees(model: Model[Any, Any], page: dict[str, Any], state: Any, before: Any) -> None:
    """The page shows `state`, and marks what changed from `before`."""
    for field, cells in page["cells"].items():
        now, old = getattr(state, field), getattr(before, field)
        assert cells == [[show(v), v != p] for v, p in zip(now, old, strict=True)], field
    for name, (rows, fresh) in page["sets"].items():
        now, old = getattr(state, name), getattr(before, name)
        if isinstance(now, frozenset):
            assert (rows, fresh) == (len(now), len(now - old)), name
        else:
            assert rows == len(now), name
    for name, (text, changed) in page["values"].items():
        assert (text, changed) == (
            show(getattr(state, name)),
            getattr(state, name) != getattr(before, name),
        )
    shown = {*page["cells"], *page["sets"], *page["values"]}
    assert shown == {f.name for f in type(state).__attrs_attrs__}
    phase = model.phase(state)
    assert page["phase"] == ("" if phase is None else f"(phase: {phase})")
    for inv in model.invariants():
        assert page["properties"][inv.name] == ("holds" if inv.holds(state) else "violated")
    for w in model.witnesses():
        assert page["properties"][w.name] == ("reached here" if w.reached(state) else "not here")


def witness(model: Model[Any, Any], name: str) -> Trace:
    result = check(model, Options(stop_at_first=False, check_liveness=False))
    return dict(result.witness_traces)[name]


def click_through(driver: Any, model: Model[Any, Any], trace: Trace) -> list[dict[str, Any]]:
    """Click each step of `trace` by its label; check every state against `step`, and
    the faulty messages each button said it counts against `relied_on`."""
    pages = []
    state = model.initial()[0]
    assert trace.steps[0].state == state
    for n, taken in enumerate(trace.steps[1:], start=1):
        group = "#adversary" if taken.byzantine else "#honest"
        uses = click(driver, f"{group} button.action", show_action(taken.action))
        assert uses == [f"uses {r}" for r in model.relied_on(state, taken.action)]
        after = model.step(state, taken.action)
        assert after == taken.state
        page = read(driver)
        assert page["at"] == n
        agrees(model, page, after, state)
        pages.append(page)
        state = after
    return pages


def screenshot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    return path


@pytest.fixture(scope="module")
def pbft() -> Iterator[Server]:
    server = Server("pbft", "--port", "0")
    yield server
    err = server.stop()
    assert "Traceback" not in err, err


def pbft_model() -> Model[Any, Any]:
    spec = specification("pbft")
    return spec.build(spec.default_config())


def test_a_normal_case_commit_clicked_through(browser: Any, pbft: Server) -> None:
    """PBFT's default: a request, prepares, commits, an execution; then back, forward,
    the shared address, and a check from the step before the execution."""
    model = pbft_model()
    trace = witness(model, "executed_in_view_0")
    load(browser, pbft.url)
    agrees(model, read(browser), model.initial()[0], model.initial()[0])
    pages = click_through(browser, model, trace)
    assert pages[-1]["properties"]["executed_in_view_0"] == "reached here"
    names = [s.action.__class__.__name__ for s in trace.steps[1:]]
    assert {"Request", "Prepare", "Commit", "Execute"} <= set(names), names
    # Replica 0, the primary, is faulty at the default: its PRE-PREPARE is the Byzantine
    # relation's, counted by the first PREPARE (and said so on its button).
    uses = [
        str(r)
        for s, t in zip(trace.steps, trace.steps[1:], strict=False)
        for r in model.relied_on(s.state, t.action)
    ]
    assert any("PRE-PREPARE" in u and "faulty 0" in u for u in uses), uses
    assert browser.execute_script("return document.querySelector('#chart svg') !== null")
    screenshot(browser, "explore-pbft-normal-case.png")

    url = browser.current_url
    assert "path=0." in url and f"at={len(trace)}" in url
    click(browser, "#back")
    back = read(browser)
    assert back["at"] == len(trace) - 1
    agrees(model, back, trace.steps[-2].state, trace.steps[-3].state)
    click(browser, "#forward")
    assert read(browser)["at"] == len(trace)
    browser.back()  # the browser's own history: each step is an entry
    browser.execute_async_script(
        "const [want, done] = arguments;"
        "const wait = () => document.body.dataset.ready.endsWith(want)"
        "  ? done(1) : setTimeout(wait, 10);"
        "wait();",
        f"@{len(trace) - 1}",
    )
    agrees(model, read(browser), trace.steps[-2].state, trace.steps[-3].state)
    load(browser, url)  # a fresh page at the shared address shows the same step
    agrees(model, read(browser), trace.steps[-1].state, trace.steps[-2].state)

    click(browser, "#back")  # one step before the execution: check from there
    browser.execute_script("document.getElementById('check').click()")
    status = browser.execute_async_script(
        "const done = arguments[0];"
        "const wait = () => { const t = document.getElementById('check-status').textContent;"
        "  t.startsWith('checked') || t.startsWith('check ') ? done(t) : setTimeout(wait, 50); };"
        "wait();"
    )
    assert status.startswith("checked: "), status
    verdicts = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#verdict-list li')]"
        ".map(li => [li.dataset.name, li.querySelector('.value').textContent]))"
    )
    assert verdicts["agreement"] == "holds"
    assert verdicts["executed_in_view_0"] == "reached (1 step)"
    found = browser.execute_script(
        "return [...document.querySelectorAll('#traces button.trace')].map(b => b.dataset.name)"
    )
    assert "witness executed_in_view_0" in found
    if os.environ.get("COORDSPEC_README_SHOT"):  # how diagrams/explore-pbft.png is made
        screenshot(browser, "readme.png")


def test_a_view_change_clicked_through(browser: Any, pbft: Server) -> None:
    """Timeouts, VIEW-CHANGEs, the NEW-VIEW and an execution in view 1."""
    model = pbft_model()
    trace = witness(model, "executed_after_view_change")
    load(browser, pbft.url)
    pages = click_through(browser, model, trace)
    names = {s.action.__class__.__name__ for s in trace.steps[1:]}
    assert {"Timeout", "NewView"} <= names, names
    assert pages[-1]["properties"]["executed_after_view_change"] == "reached here"
    # The phase machine (its own job) has lit the state's phase by now.
    browser.execute_async_script(
        "const done = arguments[0];"
        "const wait = () => document.querySelector('#phases svg') ? done(1) : setTimeout(wait, 50);"
        "wait();"
    )
    page = read(browser)
    assert page["lit"] is not None
    for _ in range(3):  # back into the view change: the README's screenshot
        click(browser, "#back")
    page = read(browser)
    n = len(trace) - 3
    agrees(model, page, trace.steps[n].state, trace.steps[n - 1].state)
    screenshot(browser, "explore-pbft-view-change.png")  # diagrams/explore-pbft.png


def test_a_disabled_action_shows_its_failing_guard(browser: Any, pbft: Server) -> None:
    model = pbft_model()
    assert isinstance(model, GuardedModel)
    load(browser, pbft.url)
    state = model.initial()[0]
    (request, _) = model.enabled(state)[0]
    click(browser, "#honest button.action", show_action(request))
    state = model.step(state, request)
    refused = [a for a in model.candidates(state) if model.failed_guard(state, a) is not None]
    assert refused, "no disabled candidate after a request"
    shown = browser.execute_script(
        "return [...document.querySelectorAll('#disabled li.disabled')].map(li => "
        "[li.dataset.label, li.dataset.guard, li.querySelector('.reason').textContent])"
    )
    want = []
    for a in refused:
        guard = model.failed_guard(state, a)
        assert guard is not None
        want.append([show_action(a), guard.name, guard.explain(model, state, a)])
    assert shown == want


def test_a_witness_trace_from_a_file_stepped_through(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "witnesses"
    done = subprocess.run(
        [*CLI, "check", "pbft", "--preset", "default", "--quiet", "--witness-out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    file = out / "executed_after_view_change.itf.json"
    meta = json.loads(file.read_text())["#meta"]
    assert meta["witness"] == "executed_after_view_change"
    server = Server("pbft", "--port", "0", "--trace", str(file))
    try:
        model = pbft_model()
        from model_check.itf import read_trace

        trace = read_trace(file, model)
        load(browser, server.url)
        click(browser, "#traces button.trace", None)
        page = read(browser)
        assert page["at"] == 0
        for n in range(1, len(trace) + 1):
            click(browser, "#forward")
            page = read(browser)
            assert page["at"] == n
            agrees(model, page, trace.steps[n].state, trace.steps[n - 1].state)
        assert page["properties"]["executed_after_view_change"] == "reached here"
        forward_disabled = browser.execute_script(
            "return document.getElementById('forward').disabled"
        )
        assert forward_disabled
    finally:
        browser.get("about:blank")  # the page polls its server: leave before it stops
        assert "Traceback" not in server.stop()
