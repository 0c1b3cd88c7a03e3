"""Named variants (`spec.variants`): every one through `coordspec check PROTOCOL
--variant NAME`, `list --variants`, and `--allow-unsafe-faults` for configurations
outside PBFT's hypothesis n >= 3f + 1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from model_check import cli
from spec import pbft, registry
from spec.core import ConfigError, HypothesisError, make_config, unsafe_config
from spec.variants import MUTANT, UnknownVariantError, all_variants, find_variant, variants_of
from spec.variants import pbft as pbft_variants
from tests.harness.discoveries import VARIANTS as DISCOVERIES
from tests.mutants import iterative as iterative_mutants
from tests.mutants import pbft as pbft_mutants
from tests.mutants import weighted as weighted_mutants

ROOT = Path(__file__).resolve().parent.parent
FINDINGS = (ROOT / "spec" / "FINDINGS.md").read_text()
VARIANTS = all_variants()
WARNING = (
    "WARNING: 2 faulty replicas of 4 is outside PBFT's hypothesis n >= 3f + 1: "
    "violations are expected"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- the registry ------------------------------------------------------------------------


def test_the_tests_mutants_are_the_shipped_variants() -> None:
    """tests/mutants re-exports the package's variants: one list, pinned once."""
    tested = (
        pbft_mutants.MUTANTS
        + pbft_mutants.SEED_MUTANTS
        + pbft_mutants.PORTFOLIO
        + pbft_mutants.CLAIMS
        + pbft_mutants.RESTATED
        + pbft_mutants.EXECUTION
        + weighted_mutants.MUTANTS
        + weighted_mutants.SECONDARY
        + weighted_mutants.PORTFOLIO
        + weighted_mutants.RESTATED
        + iterative_mutants.MUTANTS
        + iterative_mutants.ASSUMPTIONS
        + iterative_mutants.PORTFOLIO
        + iterative_mutants.RESTATED
    )
    assert list(tested) == VARIANTS
    for protocol in registry.names():
        names = [v.name for v in VARIANTS if v.protocol == protocol]
        assert list(variants_of(protocol)) == names  # unique within the protocol
    assert variants_of("diehard") == {}


def test_each_finding_variant_is_named_in_its_findings_entry() -> None:
    """`reproduces` names a FINDINGS.md entry, and that entry names the command."""
    headings = [(m.start(), m.group(1)) for m in re.finditer(r"^### (\w+)\.", FINDINGS, re.M)]
    entries = {
        name: FINDINGS[start : (headings[i + 1][0] if i + 1 < len(headings) else None)]
        for i, (start, name) in enumerate(headings)
    }
    for v in VARIANTS:
        if v.reproduces == MUTANT:
            continue
        assert v.reproduces in entries, v.name
        command = f"coordspec check {v.protocol} --variant {v.name}"
        assert command in " ".join(entries[v.reproduces].split()), (v.reproduces, command)


def test_find_variant_names_the_known_ones() -> None:
    assert find_variant("pbft", "two_faulty_of_four").length == 3
    with pytest.raises(UnknownVariantError, match=r"pbft has no variant 'nope'.*commit_quorum_2f"):
        find_variant("pbft", "nope")
    with pytest.raises(UnknownVariantError, match="its variants are: none"):
        find_variant("diehard", "x")


# --- every variant through the command line ---------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v.protocol}-{v.name}")
def test_variant_through_the_cli(capsys: pytest.CaptureFixture[str], variant: Any) -> None:
    # A variant whose property is not the first to break switches --continue on; that
    # property is an invariant (one a restated claim sees broken earlier), found within
    # its pinned length: the run need not go deeper, nor decide liveness.
    within = () if variant.first else ("--max-depth", str(variant.length), "--no-liveness")
    code, out, err = run(
        capsys, "check", variant.protocol, "--variant", variant.name, "--quiet", "--json", *within
    )
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert data["result"] == "violation"
    assert data["variant"]["name"] == variant.name
    found = {c["property"]: c["length"] for c in data["counterexamples"]}
    assert found.get(variant.property) == variant.length
    # The whole shortest counterexample, as pinned (Stateright's assert_discovery).
    cex = next(c for c in data["counterexamples"] if c["property"] == variant.property)
    steps = tuple(("!" if s["byzantine"] else "") + s["action"] for s in cex["steps"][1:])
    if cex["loop"] is not None:
        steps += (f"loop {cex['loop']}",)
    assert steps == DISCOVERIES[f"{variant.protocol}/{variant.name}"]
    if variant.first:
        assert data["counterexample"]["property"] == variant.property
    else:  # --continue is switched on for it: another property breaks first
        assert data["counterexample"]["property"] != variant.property


def test_variant_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "pbft", "--variant", "accepts_two_pre_prepares", "--quiet")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("coordspec check pbft (replicas=4, faulty=0,")
    assert any(
        line.startswith("Variant accepts_two_pre_prepares (P2): A backup accepts") for line in lines
    )
    assert "Expected: prepared_unique violated in 6 steps." in out.replace("\n", " ")
    assert "Counterexample: invariant prepared_unique violated in 6 steps" in out
    assert lines[-1] == "Result: VIOLATION"
    assert not any(line.startswith("WARNING") for line in lines)


def test_variant_that_needs_continue(capsys: pytest.CaptureFixture[str]) -> None:
    name = "seed_vote_handler_one_agent_decides_by_re_voting"
    code, out, _ = run(capsys, "check", "weighted", "--variant", name, "--quiet")
    assert code == 1
    assert "Counterexample: invariant counted_once violated in 2 steps" in out
    assert "Counterexample: invariant decided_has_threshold violated in 2 steps" in out


def test_variant_parameters_may_be_overridden(capsys: pytest.CaptureFixture[str]) -> None:
    """The seed's 2f + 1 is the paper's quorum at n = 4: the variant passes there."""
    code, out, _ = run(
        capsys, "check", "pbft", "--variant", "seed_quorum_2f_plus_1_at_n5", "--replicas", "4"
    )
    assert code == 0
    assert out.startswith("coordspec check pbft (replicas=4, faulty=0, requests=2, max_view=0,")
    assert out.splitlines()[-1] == "Result: OK"


def test_variant_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "pbft", "--variant", "nope")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("coordspec: error: pbft has no variant 'nope'; its variants are: ")
    assert all(v.name in err for v in VARIANTS if v.protocol == "pbft")
    code, _, err = run(capsys, "check", "iterative", "--variant", "no_max_rounds", "--max-rounds=2")
    assert code == 2 and err.count("\n") == 1
    assert "max_rounds: fixed by the variant no_max_rounds" in err
    code, _, err = run(capsys, "check", "--variant", "commit_quorum_2f")
    assert code == 2 and "--variant needs a protocol" in err
    code, _, err = run(capsys, "check", "pbft", "--variant", "commit_quorum_2f", "--nope", "1")
    assert code == 2 and "unknown option --nope" in err


def test_a_variant_reproduces_without_pythonpath(tmp_path: Path) -> None:
    """The installed command alone, from another directory: no wrapper file, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = ["check", "pbft", "--variant", "no_authentication", "--quiet"]
    done = subprocess.run(
        [sys.executable, "-m", "model_check", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Counterexample: invariant committed_local_implies_committed violated in 2 steps" in (
        done.stdout
    )


# --- list --variants -------------------------------------------------------------------------


def test_list_variants(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--variants")
    assert code == 0
    header, *rows = out.splitlines()
    columns = ["protocol", "variant", "reproduces", "property", "steps", "description"]
    assert re.split(r"\s{2,}", header) == columns
    assert len(rows) == len(VARIANTS)
    for row, v in zip(rows, VARIANTS, strict=True):
        steps = str(v.length) if v.first else f"{v.length} (--continue)"
        cells = [v.protocol, v.name, v.reproduces, v.property, steps, v.description]
        assert re.split(r"\s{2,}", row) == cells
    assert re.search(r"^pbft +seed_quorum_2f_plus_1_at_n5 +P8 +prepared_unique +6 ", out, re.M)


def test_list_variants_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--variants", "--json")
    assert code == 0
    listed = json.loads(out)["variants"]
    assert [(d["protocol"], d["name"]) for d in listed] == [(v.protocol, v.name) for v in VARIANTS]
    by_name = {d["name"]: d for d in listed}
    assert by_name["two_faulty_of_four"]["params"]["faulty"] == "0,1"
    assert by_name["no_max_rounds"]["fixed"] == ["max_rounds"]
    assert by_name["seed_quorum_2f_plus_1_at_n5"] | {"params": None} == {
        "protocol": "pbft",
        "name": "seed_quorum_2f_plus_1_at_n5",
        "reproduces": "P8",
        "property": "prepared_unique",
        "length": 6,
        "first": True,
        "description": by_name["seed_quorum_2f_plus_1_at_n5"]["description"],
        "params": None,
        "fixed": [],
    }


# --- configurations outside the hypothesis ---------------------------------------------------


def test_too_many_faulty_needs_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "pbft", "--faulty", "0,1")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(
        "coordspec: error: pbft: faulty: 2 faulty replicas need n >= 7, got n = 4"
    )
    assert "--allow-unsafe-faults" in err


def test_too_many_faulty_with_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "pbft", "--faulty", "0,1", "--allow-unsafe-faults")
    assert code == 1
    lines = out.splitlines()
    assert WARNING in lines
    table = next(i for i, line in enumerate(lines) if line.startswith("Properties"))
    assert lines.index(WARNING) < table  # before the property table
    assert "Counterexample: invariant committed_local_implies_committed violated in 3 steps" in out
    code, out, _ = run(
        capsys, "check", "pbft", "--faulty", "0,1", "--allow-unsafe-faults", "--quiet", "--json"
    )
    assert code == 1
    assert json.loads(out)["warnings"] == [WARNING.removeprefix("WARNING: ")]


def test_the_flag_changes_nothing_inside_the_hypothesis(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("check", "pbft", "--replicas", "5", "--max-view", "0", "--quiet", "--json")
    code, plain, _ = run(capsys, *args)
    code_unsafe, unsafe, _ = run(capsys, *args, "--allow-unsafe-faults")
    assert code == code_unsafe == 0
    drop = ("seconds", "states_per_second")
    a, b = json.loads(plain), json.loads(unsafe)
    assert {k: v for k, v in a.items() if k not in drop} == {
        k: v for k, v in b.items() if k not in drop
    }
    assert "warnings" not in b


def test_the_variant_two_faulty_of_four_is_labelled(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "pbft", "--variant", "two_faulty_of_four", "--quiet")
    assert code == 1 and WARNING in out.splitlines()
    code, out, _ = run(
        capsys, "check", "pbft", "--variant", "two_faulty_of_four", "--faulty=0", "--max-view=0"
    )
    assert code == 0 and "WARNING" not in out


def test_the_config_level_switch() -> None:
    """`unsafe_config` skips check_hypotheses (n >= 3f + 1) and nothing else."""
    with pytest.raises(HypothesisError) as caught:
        make_config(pbft.PbftConfig, {"faulty": "0,1"})
    assert str(caught.value) == "faulty: 2 faulty replicas need n >= 7, got n = 4"
    unsafe = make_config(pbft.PbftConfig, {"faulty": "0,1"}, unsafe=True)
    assert isinstance(unsafe, pbft.PbftConfig) and unsafe.unsafe
    assert type(unsafe) is unsafe_config(pbft.PbftConfig)  # made once
    assert repr(unsafe).startswith("PbftConfig(replicas=4, faulty=(0, 1)")
    assert unsafe.hypothesis_warnings() == (WARNING.removeprefix("WARNING: "),)
    assert pbft.PbftConfig().hypothesis_warnings() == ()
    with pytest.raises(ConfigError, match=r"faulty: replica 4 does not exist"):
        make_config(pbft.PbftConfig, {"faulty": "0,4"}, unsafe=True)  # still validated
    config_type = pbft_variants.TooManyFaultyConfig
    assert unsafe_config(config_type) is config_type
    with pytest.raises(ConfigError, match=r"is not a spec\.core\.Config"):
        unsafe_config(dict)
    variant = find_variant("pbft", "commit_quorum_2f")
    assert variant.configure({"faulty": "0,1"}, unsafe=True).unsafe
    with pytest.raises(HypothesisError):
        variant.configure({"faulty": "0,1"})


def test_faulty_help_lists_replica_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert (
        "--faulty (default 0; a comma-separated list of distinct integers in 0..9 (may be "
        "empty)): the numbers of the Byzantine replicas, comma-separated, e.g. 0 or 0,3; "
        "replica 0 is view 0's primary"
    ) in out.replace("\n", " ")


@pytest.mark.parametrize(
    ("args", "code", "found"),
    [
        # outsiders in a second round too (--continue explores all of it): still 2 steps
        (["iterative", "seed_all_submitted_counts_outsiders", "--max-rounds=2"], 1, 2),
        # I4 needs the quality rule not to fire: at 3/8 the best text stops every session
        (["iterative", "no_max_rounds", "--quality-threshold=3/8"], 0, None),
        # a second round, with the arrival order started afresh: still 5 steps
        (["iterative", "map_order_tie_break", "--max-rounds=2"], 1, 5),
    ],
)
def test_overridden_variants(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int, found: int | None
) -> None:
    protocol, name, *values = args
    command = ["check", protocol, "--variant", name, *values, "--continue", "--quiet", "--json"]
    got, out, _ = run(capsys, *command)
    assert got == code
    lengths = {c["property"]: c["length"] for c in json.loads(out)["counterexamples"]}
    assert lengths.get(find_variant(protocol, name).property) == found


def test_mutant_hooks_outside_their_counterexamples() -> None:
    """The branches of the mutants' hooks that their shortest counterexamples skip."""
    silent = pbft_variants.NoAuthentication(pbft.PbftConfig(adversary="silent"))
    assert silent.support({1, 2}) == 2  # nothing to forge: the spec's count
    across = pbft_variants.SeedPreparesAcrossViews(pbft.PbftConfig())
    start = across.initial()[0]
    assert not across.prepared(start, 1, 0, 1, 1)  # request 1 was never sent
