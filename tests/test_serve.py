"""`coordspec serve`: the oracle online, one answer a message (issue 16 §3)."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from model_check.serve import Server
from spec.registry import specification
from tests.harness.observation import log_of, text, walk

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "model_check"]


def _server(protocol: str = "pbft", **values: str) -> Server:
    return Server(specification(protocol), values)


def _ask(server: Server, obj: Any) -> dict[str, Any]:
    return server.answer(obj if isinstance(obj, str) else json.dumps(obj))


def test_every_line_of_a_spec_behaviour_is_ok_and_the_candidates_are_kept() -> None:
    model = specification("pbft").model()
    lines = log_of(model, walk(model, 20, 5), agents={1, 2}, local=True, hidden={"log"})
    server = _server()
    assert _ask(server, {"#meta": {"logged": [1, 2]}}) == {"line": 1, "ok": True, "meta": True}
    answers = [_ask(server, line) for line in lines]
    assert all(a["ok"] for a in answers), answers
    assert [a["line"] for a in answers] == list(range(2, len(lines) + 2))
    assert all(a["candidates"] >= 1 for a in answers)


def test_a_divergence_is_answered_and_dropped_and_the_session_goes_on() -> None:
    server = _server("weighted")
    vote = {"event": "vote_submission", "args": {"agent": 0, "vote": 1, "confidence": 1}}
    assert _ask(server, vote)["ok"]
    wrong = {"observe": {"votes_cast": [2, 0, 0]}}
    answer = _ask(server, wrong)
    assert answer["ok"] is False and answer["result"] == "unexplained"
    assert answer["explained_lines"] == 1
    assert "votes_cast: the log says [2, 0, 0]" in answer["diagnoses"][0]["reasons"][0]
    assert _ask(server, {"observe": {"votes_cast": [1, 0, 0]}})["ok"]
    assert _ask(server, "not json")["error"].startswith("message 4 is not valid JSON")
    assert "no action 'nope'" in _ask(server, {"event": "nope"})["error"]
    assert _ask(server, "") == {"error": "an empty message"}
    assert _ask(server, {"#meta": {}})["error"] == "#meta is the first message, alone"
    assert _ask(server, {"reset": True}) == {"reset": True, "ok": True}
    assert _ask(server, {"observe": {"votes_cast": [0, 0, 0]}}) == {
        "line": 1,
        "ok": True,
        "candidates": 1,
        "states": 2,  # the initial state, then it with the line explained
    }


def test_equal_clocks_are_explained_in_any_order_and_clocks_never_go_back() -> None:
    server = _server("weighted")
    second = {"event": "vote_submission", "args": {"agent": 1, "vote": 2, "confidence": 1}}
    both = {"observe": {"votes_cast": [1, 1, 0]}, "clock": 1}
    first = {"event": "vote_submission", "args": {"agent": 0, "vote": 1, "confidence": 1}}
    # the observation of both votes comes first, with the same clock as the votes
    assert not _ask(server, both)["ok"]
    assert _ask(server, {**second, "clock": 1})["ok"]
    assert _ask(server, both)["ok"] is False  # agent 0 has not voted yet in any order
    assert _ask(server, {**first, "clock": 1})["ok"]
    assert _ask(server, both)["ok"]
    assert "before the last line's" in _ask(server, {**first, "clock": 0})["error"]
    assert _ask(server, {"observe": {"votes_cast": [1, 1, 0]}, "clock": 2})["ok"]


def test_sessions_and_gave_up() -> None:
    server = Server(specification("pbft"), {}, max_states=3)
    answer = _ask(server, {"agent": 1, "event": "commit", "session": "x"})
    assert answer["result"] == "gave_up"
    server = _server("weighted")
    vote = {"event": "vote_submission", "args": {"agent": 0, "vote": 1, "confidence": 1}}
    assert _ask(server, {**vote, "session": 1})["ok"]
    assert _ask(server, {**vote, "session": 2})["ok"]
    assert _ask(server, {"observe": {"votes_cast": [1, 0, 0]}, "session": 1})["ok"]
    bad = _server("weighted", max_votes="9")
    assert "max_votes" in _ask(bad, {"observe": {}})["error"]


def test_serve_reads_standard_input() -> None:
    model = specification("weighted").model()
    lines = log_of(model, walk(model, 8, 3))
    body = text(lines) + "{oops\n" + json.dumps({"observe": {"votes_cast": [9, 9, 9]}}) + "\n"
    env = {**os.environ, "PYTHONHASHSEED": "1"}
    result = subprocess.run(
        [*CLI, "serve", "weighted"],
        input=body,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(a) for a in result.stdout.splitlines()]
    assert [a.get("ok") for a in answers] == [True] * len(lines) + [None, False]
    out = io.StringIO()
    _server("weighted").serve(body.splitlines(), out)
    assert out.getvalue() == result.stdout
    bad = subprocess.run(
        [*CLI, "serve", "weighted", "--agents", "99"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 2 and "agents" in bad.stderr and "Traceback" not in bad.stderr


def test_serve_listens_on_a_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "oracle.sock"
    proc = subprocess.Popen(
        [*CLI, "serve", "weighted", "--listen", str(path)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        answers = []
        for _ in range(2):  # two connections: two sessions, each from the initial state
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(str(path))
                vote = {"event": "vote_submission", "args": {"agent": 0, "vote": 1}}
                conn.sendall((json.dumps(vote) + "\nnope\n").encode())
                stream = conn.makefile("r")
                answers.append([json.loads(stream.readline()) for _ in range(2)])
        for first, second in answers:
            assert first["ok"] and first["line"] == 1 and "error" in second
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.stderr is not None
    assert "listening on" in proc.stderr.read()
