"""Fuzzing the oracle: malformed and adversarial ITF files through `coordspec conform`.

Whatever the file (truncated JSON, values of the wrong type, huge integers, unknown
actions, deep nesting, bytes that are not UTF-8, missing variables, arbitrary JSON or
bytes), the command never raises: a file that is not a trace of the protocol exits 2
with one line on standard error; a well-formed trace that the spec does not allow
exits 1. Time and memory are bounded by the decoder's limits (nesting depth, digits of
a `#bigint`, file size), and the tests check that those limits are what stops the
adversarial files (by the error they give, not by timing).

Set `COORDSPEC_FUZZ_EXAMPLES` to run more examples than the default.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_check import cli, itf
from model_check.conform import param_texts
from model_check.engine import Options, simulate
from model_check.itf import encode_trace
from spec import registry

PROTOCOLS = registry.names()
EXAMPLES = int(os.environ.get("COORDSPEC_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _base(name: str) -> dict[str, Any]:
    """A trace of the protocol that conforms: a simulated witness at the default config."""
    spec = registry.specification(name)
    model = spec.model()
    result = simulate(model, 20, 30, 11, Options(progress=None))
    trace = max((t for _, t in result.witness_traces), key=len)
    meta = {"protocol": name, "params": param_texts(model.config.as_dict())}  # type: ignore[attr-defined]
    obj: dict[str, Any] = json.loads(json.dumps(encode_trace(trace, meta)))
    return obj


BASES = {name: _base(name) for name in PROTOCOLS}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("fuzz")


def conform(
    capsys: pytest.CaptureFixture[str], workdir: Path, protocol: str, data: bytes
) -> tuple[int, str, str]:
    """Run `coordspec conform` in-process on a file with these bytes."""
    path = workdir / "fuzz.itf.json"
    path.write_bytes(data)
    code = cli.main(["conform", protocol, str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code: int, out: str, err: str) -> str:
    """Exit 2, nothing on standard output, one line on standard error; that line."""
    assert (code, out) == (2, ""), err
    assert err.startswith("coordspec: error: ") and err.count("\n") == 1, err
    return err


def assert_handled(code: int, out: str, err: str) -> None:
    """Either one line of bad input (2) or a verdict (0 conforms, 1 diverges) on stdout."""
    if code == 2:
        assert_bad_input(code, out, err)
    else:
        assert code in (0, 1) and err == "" and out.startswith(("conforms:", "diverges at step"))


def _bytes(obj: Any) -> bytes:
    return json.dumps(obj).encode("utf-8")


def test_the_base_traces_conform(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    for name, obj in BASES.items():
        code, out, _ = conform(capsys, workdir, name, _bytes(obj))
        assert code == 0 and out.startswith("conforms:"), out


protocols = st.sampled_from(PROTOCOLS)


@FUZZ
@given(protocol=protocols, cut=st.floats(0, 1, exclude_max=True))
def test_truncated_json(
    capsys: pytest.CaptureFixture[str], workdir: Path, protocol: str, cut: float
) -> None:
    data = _bytes(BASES[protocol])
    err = assert_bad_input(*conform(capsys, workdir, protocol, data[: int(len(data) * cut)]))
    assert "not valid JSON" in err


def _state_vars(obj: dict[str, Any]) -> list[str]:
    return [v for v in obj["vars"] if not v.startswith("mbt::")]


def _retype(value: Any) -> Any:
    """A JSON value of another ITF shape than `value`."""
    if isinstance(value, bool):
        return {"#bigint": "0"}
    if isinstance(value, str):
        return {"#bigint": "1"}
    if isinstance(value, list):
        return {"#set": value}
    if isinstance(value, dict) and "#set" in value:
        return list(value["#set"])
    if isinstance(value, dict) and "#bigint" in value:
        return [value]
    return "x"  # a record or a variant


@FUZZ
@given(data=st.data(), protocol=protocols)
def test_wrong_types(
    capsys: pytest.CaptureFixture[str], workdir: Path, data: st.DataObject, protocol: str
) -> None:
    obj = json.loads(json.dumps(BASES[protocol]))
    i = data.draw(st.integers(0, len(obj["states"]) - 1), label="state")
    var = data.draw(st.sampled_from(_state_vars(obj)), label="var")
    parent: Any = obj["states"][i]
    key: Any = var
    # Walk down a random path into the value, then replace what is there.
    while data.draw(st.booleans(), label="deeper"):
        child = parent[key]
        if isinstance(child, dict) and set(child) & {"#set", "#tup"}:
            child = child.get("#set", child.get("#tup"))
        if isinstance(child, list) and child:
            parent, key = child, data.draw(st.integers(0, len(child) - 1))
        elif isinstance(child, dict) and child and not set(child) & {"#bigint", "#map"}:
            parent, key = child, data.draw(st.sampled_from(sorted(child)))
        else:
            break
    parent[key] = _retype(parent[key])
    code, out, err = conform(capsys, workdir, protocol, _bytes(obj))
    # A retyped value may still fit another member of a union (an int for a str):
    # then the trace is well-formed and diverges. It never conforms.
    assert code != 0, out
    assert_handled(code, out, err)


@FUZZ
@given(protocol=protocols, data=st.data(), digits=st.integers(4301, 20_000))
def test_huge_integers(
    capsys: pytest.CaptureFixture[str],
    workdir: Path,
    protocol: str,
    data: st.DataObject,
    digits: int,
) -> None:
    text = json.dumps(BASES[protocol])
    marker = '{"#bigint": "'
    spots = [i for i in range(len(text)) if text.startswith(marker, i)]
    spot = data.draw(st.sampled_from(spots)) + len(marker)
    huge = text[:spot] + "9" * digits + text[spot:]
    err = assert_bad_input(*conform(capsys, workdir, protocol, huge.encode()))
    found = int(err.split("#bigint has ")[1].split(" digits")[0])
    assert found > digits and err.endswith("digits, more than the 4300 allowed\n")
    # And as a bare JSON number, which the parser itself refuses.
    bare = text.replace('"vars"', '"big": ' + "7" * digits + ', "vars"', 1)
    err = assert_bad_input(*conform(capsys, workdir, protocol, bare.encode()))
    assert "Exceeds the limit (4300 digits)" in err


@FUZZ
@given(protocol=protocols, data=st.data(), name=st.text(max_size=80))
def test_unknown_actions(
    capsys: pytest.CaptureFixture[str],
    workdir: Path,
    protocol: str,
    data: st.DataObject,
    name: str,
) -> None:
    obj = json.loads(json.dumps(BASES[protocol]))
    known = {s["mbt::actionTaken"] for s in obj["states"]}
    if name in known:
        name += "_x"
    i = data.draw(st.integers(1, len(obj["states"]) - 1))
    obj["states"][i]["mbt::actionTaken"] = name
    err = assert_bad_input(*conform(capsys, workdir, protocol, _bytes(obj)))
    assert f"states[{i}].mbt::actionTaken: unknown action" in err


@FUZZ
@given(protocol=protocols, data=st.data(), depth=st.integers(5, 200_000))
def test_deep_nesting(
    capsys: pytest.CaptureFixture[str],
    workdir: Path,
    protocol: str,
    data: st.DataObject,
    depth: int,
) -> None:
    obj = BASES[protocol]
    var = data.draw(st.sampled_from(_state_vars(obj)))
    state = dict(obj["states"][0])
    state[var] = "@"
    deep = _bytes({**obj, "states": [state]}).replace(b'"@"', b"[" * depth + b"1" + b"]" * depth)
    err = assert_bad_input(*conform(capsys, workdir, protocol, deep))
    # No state variable's type nests five lists deep: the decoder stops at the first
    # level its type does not allow; past the parser's own limit, the parser stops.
    assert "nested too deeply to parse" in err or f"states[0].{var}" in err


def test_nesting_past_the_parser(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    err = assert_bad_input(*conform(capsys, workdir, "pbft", deep))
    assert "nested too deeply to parse" in err


@FUZZ
@given(protocol=protocols, at=st.floats(0, 1), junk=st.sampled_from([b"\xff", b"\xc3(", b"\x80"]))
def test_non_utf8_bytes(
    capsys: pytest.CaptureFixture[str], workdir: Path, protocol: str, at: float, junk: bytes
) -> None:
    data = _bytes(BASES[protocol])
    spot = int(len(data) * at)
    err = assert_bad_input(*conform(capsys, workdir, protocol, data[:spot] + junk + data[spot:]))
    assert "is not UTF-8" in err


@FUZZ
@given(protocol=protocols, data=st.data())
def test_missing_variables(
    capsys: pytest.CaptureFixture[str], workdir: Path, protocol: str, data: st.DataObject
) -> None:
    obj = json.loads(json.dumps(BASES[protocol]))
    i = data.draw(st.integers(0, len(obj["states"]) - 1))
    var = data.draw(st.sampled_from(_state_vars(obj)))
    del obj["states"][i][var]
    err = assert_bad_input(*conform(capsys, workdir, protocol, _bytes(obj)))
    assert f"states[{i}].{var}: missing" in err


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(protocol=protocols, document=_JSON)
def test_arbitrary_json(
    capsys: pytest.CaptureFixture[str], workdir: Path, protocol: str, document: Any
) -> None:
    assert_bad_input(*conform(capsys, workdir, protocol, _bytes(document)))


@FUZZ
@given(
    protocol=protocols,
    states=st.lists(
        st.dictionaries(st.sampled_from(["#meta", "x", "mbt::actionTaken"]) | st.text(), _JSON)
    ),
)
def test_arbitrary_states(
    capsys: pytest.CaptureFixture[str], workdir: Path, protocol: str, states: list[Any]
) -> None:
    obj = {**BASES[protocol], "states": states}
    assert_bad_input(*conform(capsys, workdir, protocol, _bytes(obj)))


@FUZZ
@given(protocol=protocols, params=st.dictionaries(st.text(), _JSON, min_size=1))
def test_arbitrary_params(
    capsys: pytest.CaptureFixture[str], workdir: Path, protocol: str, params: dict[str, Any]
) -> None:
    obj = {**BASES[protocol], "#meta": {"params": params}}
    assert_handled(*conform(capsys, workdir, protocol, _bytes(obj)))


@FUZZ
@given(protocol=protocols, data=st.binary(max_size=200))
def test_arbitrary_bytes(
    capsys: pytest.CaptureFixture[str], workdir: Path, protocol: str, data: bytes
) -> None:
    assert_bad_input(*conform(capsys, workdir, protocol, data))


def test_file_size_limit(
    capsys: pytest.CaptureFixture[str], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _bytes(BASES["pbft"])
    monkeypatch.setattr(itf, "MAX_FILE_BYTES", len(data) - 1)
    err = assert_bad_input(*conform(capsys, workdir, "pbft", data))
    assert f"is larger than the {len(data) - 1} bytes allowed" in err
    monkeypatch.setattr(itf, "MAX_FILE_BYTES", len(data))
    assert conform(capsys, workdir, "pbft", data)[0] == 0
