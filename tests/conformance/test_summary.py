"""conformance summary: counts, the change against the baseline, and divergences grouped by cause."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.report.summary import cause_of, groups
from conformance.results import SCHEMA_VERSION, write_results


def _rec(item: str, status: str = "pass", first: str | None = None) -> dict[str, Any]:
    return {"id": f"{item}[float32-cpu-numpy]", "status": status, "tags": ["autograd"], "message": "",
            "margin": 0.1, "kind": "scenario", "first_divergence": first}  # fmt: skip


def _doc(records: list[dict[str, Any]]) -> dict[str, Any]:
    run = {"complete": True, "incomplete_reason": "", "partial": False, "narrowed_by": [], "not_run": [],
           "torch": "2.13.0+cpu"}  # fmt: skip
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"kind": "conformance-results", "schema_version": SCHEMA_VERSION, "run": run, "counts": counts,
            "records": records}  # fmt: skip


# one planted bug in PowBackward0 breaks three scenarios at the same checkpoint, another item differs elsewhere
PLANTED = [
    _rec("pow_chain", "diverge", "x.grad [value]"),
    _rec("pow_twice", "diverge", "x.grad [value]"),
    _rec("pow_square", "diverge", "x.grad#2 [value]"),
    _rec("printing", "diverge", "repr [value]"),
    _rec("fine"),
    _rec("known", "xfail", "y [value]"),
]


def test_items_broken_the_same_way_are_one_group() -> None:
    # a repeated label's number and the leaf whose grad it is are not part of the cause
    assert cause_of(PLANTED[2]) == ".grad [value]"
    assert cause_of({"status": "diverge", "first_divergence": "backward:s3 d/input [value]"}) == (
        "backward:s* d/input [value]"
    )
    found = groups(PLANTED)
    assert found[0] == (".grad [value]", [r["id"] for r in PLANTED[:3]])
    assert found[1][0] == "repr [value]" and len(found) == 2  # the xfail is not a failure of the run


def test_a_training_step_a_script_line_and_the_node_that_made_the_tensor() -> None:
    steps = [_rec("sgd", "diverge", "loss@99"), _rec("adam", "diverge", "loss@12")]
    assert groups(steps) == [("loss@*", [r["id"] for r in steps])]
    assert cause_of(_rec("script", "diverge", "stdout line 15")) == "stdout line *"
    forward = [{**_rec(f"pow{i}", "diverge", "y"), "first_divergence_node": "PowBackward0"} for i in range(2)]
    other = {**_rec("sin", "diverge", "y"), "first_divergence_node": "SinBackward0"}
    assert groups([*forward, other]) == [("y of PowBackward0", [r["id"] for r in forward]),
                                        ("y of SinBackward0", [other["id"]])]  # fmt: skip
    # a catalogue item's label names a check and a sample: kept as it is, sample numbers aside
    assert cause_of({"kind": "opinfo", "status": "diverge", "first_divergence": "forward:s2 out0.grad"}) == (
        "forward:s* out0.grad"
    )


def test_the_markdown_summary_and_the_github_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    results, baseline = tmp_path / "results.json", tmp_path / "baseline.json"
    write_results(_doc(PLANTED), results)
    write_results(_doc([_rec("pow_chain"), _rec("pow_twice"), _rec("pow_square"), _rec("printing", "diverge",
                                                                                    "repr [value]"),
                        _rec("fine"), _rec("known", "xfail", "y [value]")]), baseline)  # fmt: skip
    step = tmp_path / "step.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    assert cli.main(["summary", str(results), "--baseline", str(baseline), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Conformance\n")
    assert "- against the baseline: 3 new divergence(s), 0 fixed, 0 flaky" in out
    assert "- NEW `pow_chain[float32-cpu-numpy]`" in out
    assert "- 3 item(s) first diverge at `.grad [value]`: `pow_chain[float32-cpu-numpy]`" in out
    assert step.read_text() == out  # what GitHub shows on the run's page


def test_diff_defaults_to_the_baseline_and_the_latest_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "reports").mkdir()
    write_results(_doc([_rec("a"), _rec("b")]), tmp_path / "reports" / "baseline.json")
    write_results(_doc([_rec("a"), _rec("b", "diverge", "z [value]")]), tmp_path / "reports" / "results.json")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["diff"]) == 1
    assert "NEW      b[float32-cpu-numpy]: pass -> diverge" in capsys.readouterr().out


def test_a_closed_pipe_ends_the_command_without_a_traceback() -> None:
    # `conformance list | head -1`: the reader closes the pipe after one line
    code = "import sys; from conformance import cli; sys.exit(cli.main(['list']))"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
