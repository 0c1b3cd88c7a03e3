"""How long `coordspec explore` takes to answer a step, on PBFT's default and --max-view 2.

Starts the real server (`coordspec explore pbft --port 0 [...]`) and measures, along
seeded random walks (each step a uniformly chosen enabled action):

- **server**: the two requests a step makes, `GET /api/state` (the state, actions and
  properties) and `GET /api/chart.svg` (the message sequence chart, drawn by graphviz's
  `dot`), each timed from the request to the last byte, over loopback;
- **browser** (Debian's Chromium, headless, driven by Selenium; skipped without it):
  from the click on an action's button to the page having drawn the answer, timed
  inside the page with `performance.now()` (the page sets `data-ready` when done).

The phase machine is computed by the server in a process of its own when it starts (at
--max-view 2 it explores its cap of 1,000,000 states): where it is still running when
the walks start, they are measured while it runs, and again once it is done (or after
`--phase-wait` seconds).

    python benchmarks/bench_explore.py [--walks 20] [--steps 30] [--config default|max-view-2|all]

Prints a table of median / 90th percentile / max milliseconds. No timing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository's packages
    sys.path.insert(0, str(ROOT))
CONFIGS = {"default": [], "max-view-2": ["--max-view", "2"]}

CLICK = """
const [choice, done] = arguments;
const before = document.body.dataset.ready;
const button = document.querySelector(`button.action[data-choice="${choice}"]`);
const start = performance.now();
const watch = new MutationObserver(() => {
  const ready = document.body.dataset.ready;
  if (ready && ready !== before) { watch.disconnect(); done(performance.now() - start); }
});
watch.observe(document.body, { attributes: true, attributeFilter: ["data-ready"] });
button.click();
"""


def get(url: str) -> tuple[float, bytes]:
    """Milliseconds to the last byte, and the body."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as answer:
        body: bytes = answer.read()
    return (time.perf_counter() - start) * 1000, body


class Server:
    def __init__(self, args: list[str]) -> None:
        command = [sys.executable, "-m", "model_check", "explore", "pbft", "--port", "0"]
        self.process = subprocess.Popen(
            [*command, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        self.url = line.split(": ", 1)[1].split(" ", 1)[0]

    def phases_running(self) -> bool:
        return bool(json.loads(get(self.url + "api/phases")[1])["status"] == "running")

    def wait_phases(self, limit: float) -> str:
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            job = json.loads(get(self.url + "api/phases")[1])
            if job["status"] != "running":
                found = job.get("result", {})
                return (
                    f"the phase machine: {job['status']}, {found.get('distinct', 0):,} states "
                    f"in {found.get('seconds')} s"
                )
            time.sleep(0.1)
        return f"phase machine still running after {limit:.0f} s"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def walks(server: Server, n: int, steps: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    times: dict[str, list[float]] = {"state": [], "chart": [], "state+chart": []}
    lengths = []
    for _ in range(n):
        path = "0"
        for _ in range(steps):
            view = json.loads(get(f"{server.url}api/state?path={path}")[1])
            enabled = view["actions"]["honest"] + view["actions"]["adversary"]
            if not enabled:
                break
            path += f".{rng.choice(enabled)['choice']}"
            state_ms, _ = get(f"{server.url}api/state?path={path}")
            chart_ms, _ = get(f"{server.url}api/chart.svg?path={path}")
            times["state"].append(state_ms)
            times["chart"].append(chart_ms)
            times["state+chart"].append(state_ms + chart_ms)
        lengths.append(path.count("."))
    times["path length"] = [float(x) for x in lengths]
    return times


def browser_steps(server: Server, clicks: int, seed: int) -> list[float] | str:
    from tests.harness.browser import available, chromium

    if not available():
        return "skipped: Debian's chromium and chromium-driver are not installed"
    rng = random.Random(seed)
    out: list[float] = []
    wait = (
        "const d = arguments[0];"
        "const w = () => document.body.dataset.ready ? d(1) : setTimeout(w, 5); w();"
    )
    with chromium(600) as driver:
        driver.get(server.url)
        driver.execute_async_script(wait)
        while len(out) < clicks:
            choices = driver.execute_script(
                "return [...document.querySelectorAll('button.action')].map(b => b.dataset.choice)"
            )
            if not choices:
                driver.get(server.url)
                driver.execute_async_script(wait)
                continue
            out.append(float(driver.execute_async_script(CLICK, rng.choice(choices))))
    return out


def row(when: str, name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (
        f"| {when} | {name} | {len(values)} | {statistics.median(values):.1f} | {p90:.1f} | "
        f"{max(values):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=[*CONFIGS, "all"], default="all")
    parser.add_argument("--walks", type=int, default=20)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--phase-wait", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        f"bench_explore, {datetime.date.today()}: {platform.platform()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for name in CONFIGS if args.config == "all" else [args.config]:
        server = Server(CONFIGS[name])
        runs = []
        try:
            if server.phases_running():  # the phase machine's process takes the other core
                during = walks(server, args.walks, args.steps, args.seed)
                clicked = browser_steps(server, args.clicks, args.seed)
                if server.phases_running():
                    runs.append(("while the phase machine runs", during, clicked))
            phases = server.wait_phases(args.phase_wait)
            times = walks(server, args.walks, args.steps, args.seed)
            clicked = browser_steps(server, args.clicks, args.seed)
            runs.append(("after it", times, clicked))
        finally:
            server.stop()
        print(f"\npbft {name} ({phases})")
        print("| steps measured | measurement | steps | median ms | p90 ms | max ms |")
        print("|---|---|---|---|---|---|")
        for when, times, clicked in runs:
            lengths = times.pop("path length")
            for key, values in times.items():
                print(row(when, f"server: {key}", values))
            if isinstance(clicked, str):
                print(f"| {when} | browser: click to drawn | {clicked} | | | |")
            else:
                print(row(when, "browser: click to drawn", clicked))
        print(f"(walks of {min(lengths):.0f} to {max(lengths):.0f} steps)")


if __name__ == "__main__":
    main()
