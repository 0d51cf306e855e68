"""What the terminal says at the end of a run with a planted engine bug: one line per divergent item (its first
differing checkpoint, n/N differ, worst errors with what was allowed, margin, the check's file:line), the root-cause
groups, the report's path and commands to rerun, show and reproduce the first few."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.plugin import MAX_SHOWN_DIFFERENCES, cut_message
from conformance.report.summary import item_line
from tests.conformance.helpers import nested_pytest, write

PLANTED = """\
from reference_engine.ops import pointwise

_original = pointwise.PowBackward0.apply


def _one_percent_off(self, grad):
    return tuple(None if g is None else g * 1.01 for g in _original(self, grad))


pointwise.PowBackward0.apply = _one_percent_off
"""
POW = """\
from conformance import scenario


@scenario(tags=["pointwise"], dtypes=["float32", "float64"])
def pow_grad(torch, check):
    x = check.data((3, 4), requires_grad=True)
    (x ** 3).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["pointwise"])
def fine(torch, check):
    check("two", torch.ones(2) * 2)
"""
CHECK_LINE = 8  # the line of check("x.grad", ...) in POW


def test_the_end_of_a_run_lists_each_divergent_item_in_one_line_with_commands(tmp_path: Path) -> None:
    sdir = tmp_path / "scenarios"
    write(sdir, "_planted_bug.py", PLANTED)
    write(sdir, "conftest.py", "import _planted_bug  # noqa: F401\n")
    write(sdir, "pow.py", POW)
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "-ra", "scenarios")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    line = re.compile(
        r"^DIVERGE pow_grad\[float32-cpu-numpy\]: x\.grad \[value\]: 12/12 differ, worst abs \S+ \(allowed 1e-05\), "
        r"rel \S+ \(allowed 1\.3e-06\), margin \S+  scenarios/pow\.py:" + str(CHECK_LINE) + "$",
        re.M,
    )
    assert line.search(out), out
    assert re.search(r"^DIVERGE pow_grad\[float64-cpu-numpy\]: .*scenarios/pow\.py:8$", out, re.M), out
    assert "2 items first diverge at .grad" in out
    report = tmp_path / "reports" / "conformance.html"
    assert f"conformance: report {report}" in out and report.exists()
    assert "  rerun: python -m pytest 'scenarios/pow.py::pow_grad[float32-cpu-numpy]'" in out
    assert "  show : conformance show pow_grad --dtype float32" in out
    assert "  repro: conformance repro 'pow_grad[float32-cpu-numpy]' -o repro.py" in out
    # pytest's failure and its -ra line start with the difference and the check's line, not the decorator's
    assert "FAILED scenarios/pow.py::pow_grad[float32-cpu-numpy] - x.grad [value]: 12/12" in out
    assert (
        f"scenarios/pow.py:{CHECK_LINE}\nscenario pow_grad [float32, cpu-numpy], defined at scenarios/pow.py:4" in out
    )
    # a multi-row array's rows line up under the first
    assert re.search(r"    torch : \[\[.*\]\n             \[", out), out


def test_a_passing_run_names_its_report_and_nothing_reads_like_a_failure(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "pow.py", POW)
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "scenarios")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"conformance: report {tmp_path / 'reports' / 'conformance.html'}" in proc.stdout
    assert "DIVERGE" not in proc.stdout and "rerun:" not in proc.stdout


def test_item_line_for_a_difference_without_values() -> None:
    record = {"id": "e[float32-cpu-numpy]", "status": "diverge", "first_divergence": "<scenario>",
              "differences": [{"label": "<scenario>", "field": "error", "detail": "error differs\nmore"}],
              "file": "scenarios/e.py", "line": 3}  # fmt: skip
    assert item_line(record) == "DIVERGE e[float32-cpu-numpy]: <scenario> [error]: error differs  scenarios/e.py:3"


def test_a_long_failure_message_is_cut_after_a_few_differences() -> None:
    message = "engine diverges from torch:\n" + "\n".join(
        f"- loss@{i} [value]: differs\n    torch : 1" for i in range(20)
    )
    cut = cut_message(message, "train")
    assert cut.count("\n- ") == MAX_SHOWN_DIFFERENCES
    assert cut.endswith(
        f"... and {20 - MAX_SHOWN_DIFFERENCES} more (all of them: conformance show train, or the HTML report)"
    )
