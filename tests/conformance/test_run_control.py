"""How a run ends: SIGTERM and a run deadline still write a report marked as such, a narrowed run cannot replace
the baseline, and a report that cannot be written fails the run instead of leaving an old one looking current.

Every test starts a real nested pytest over a small scenario library in a temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.conformance.helpers import clean_env, nested_pytest, processes_with, write

SLOW = """\
import time

from conformance.scenario import scenario

for i in range(8):
    def slow(torch, check):
        time.sleep(1.5)
        check("x", torch.ones(2) * 2)

    scenario(tags=["seed"], name=f"slow_{i}")(slow)
"""

QUICK = """\
from conformance.scenario import scenario


@scenario(tags=["seed"])
def quick_a(torch, check):
    check("x", torch.ones(2) + 1)


@scenario(tags=["seed"])
def quick_b(torch, check):
    check("y", torch.zeros(3) - 1)
"""


def _results(root: Path) -> dict:
    return json.loads((root / "reports" / "results.json").read_text(encoding="utf-8"))


def test_sigterm_writes_the_partial_report_within_five_seconds_and_leaves_no_process(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "slow.py", SLOW)
    key, value = "CONFORMANCE_TEST_MARK", uuid.uuid4().hex
    env = clean_env({**os.environ, key: value})
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--conformance-reports",
           str(tmp_path / "reports")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    run_dirs = tmp_path / "reports" / ".results"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until some item has finished: the run is in full swing
        if any(p.stat().st_size for p in run_dirs.glob("*/*.jsonl")):
            break
        time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError("the nested run never finished an item")
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    report = [tmp_path / "reports" / name for name in ("results.json", "conformance.html")]
    while not all(p.exists() for p in report) and time.monotonic() - sent < 30:
        time.sleep(0.05)  # the previous report was moved aside at the start: these are this run's
    took = time.monotonic() - sent
    out, _ = proc.communicate(timeout=60)
    assert took <= 5.0, f"report written {took:.1f} s after SIGTERM\n{out.decode()[-3000:]}"
    results = _results(tmp_path)
    assert results["run"]["interrupted"] is True and results["run"]["complete"] is False
    assert "interrupted (SIGTERM)" in results["run"]["incomplete_reason"]
    assert 1 <= len(results["records"]) < 8 and all(r["status"] == "pass" for r in results["records"])
    assert (tmp_path / "reports" / "conformance.html").stat().st_size > 0
    assert proc.returncode == 2  # pytest's "interrupted"
    time.sleep(1.0)  # item processes notice their parent is gone within half a second
    assert processes_with(value) == []


def test_a_run_deadline_leaves_items_unrun_and_marks_the_report_incomplete(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "slow.py", SLOW)
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-deadline", "3")
    results = _results(tmp_path)
    assert not results["run"]["complete"]
    assert "deadline of 3 s passed" in results["run"]["incomplete_reason"]
    assert 1 <= len(results["records"]) < 8 and len(results["run"]["not_run"]) == 8 - len(results["records"])
    assert proc.returncode == 1, proc.stdout[-2000:]


def _library(root: Path) -> None:
    write(root / "scenarios", "quick.py", QUICK)
    write(root / "scenarios", "other.py", QUICK.replace("quick_", "other_"))


def test_a_narrowed_run_cannot_replace_the_baseline(tmp_path: Path) -> None:
    _library(tmp_path)
    full = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "--update-baseline")
    assert full.returncode == 0, full.stdout[-3000:]
    baseline = tmp_path / "reports" / "baseline.json"
    accepted = baseline.read_text(encoding="utf-8")
    assert len(json.loads(accepted)["records"]) == 4

    # One run narrowed three ways: by a path, by -k and by --deselect; the refusal names each.
    deselect = "scenarios/quick.py::quick_b[float32-cpu-numpy]"
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "--update-baseline", "scenarios/quick.py", "-k", "quick",
                         "--deselect", deselect)  # fmt: skip
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "baseline NOT updated" in proc.stdout
    narrowed = _results(tmp_path)["run"]["narrowed_by"]
    for reason in (
        "paths: scenarios/quick.py",
        "-k quick",
        f"--deselect {deselect}",
        "3 library item(s) not collected",
    ):
        assert reason in narrowed and reason in proc.stdout, (reason, narrowed)
    assert baseline.read_text(encoding="utf-8") == accepted  # untouched

    forced = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "--update-baseline", "--conformance-force", "only quick",
                           "scenarios/quick.py")  # fmt: skip
    assert forced.returncode == 0, forced.stdout[-2000:]
    written = json.loads(baseline.read_text(encoding="utf-8"))
    assert written["run"]["forced"]["reason"] == "only quick" and len(written["records"]) == 2


def test_a_report_that_cannot_be_written_fails_the_run_and_the_old_one_is_moved_aside(tmp_path: Path) -> None:
    _library(tmp_path)
    reports = tmp_path / "reports"
    old_html = "<html>the previous run's report</html>"
    write(reports, "conformance.html", old_html)
    write(tmp_path, "conftest.py", """\
        import conformance.plugin


        def _disk_full(*args, **kwargs):
            raise OSError(28, "No space left on device (planted)")


        conformance.plugin.write_html = _disk_full
        """)  # fmt: skip
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process")
    assert proc.returncode == 3, proc.stdout[-2000:]  # pytest's "internal error"
    assert "writing the report failed" in proc.stdout and "No space left on device (planted)" in proc.stdout
    assert not (reports / "conformance.html").exists()  # no stale page that looks like this run's
    assert (reports / "previous" / "conformance.html").read_text(encoding="utf-8") == old_html
