"""Results files, the HTML report, baselines, sharding and interrupted runs.

Subprocess pytest runs use tiny temporary scenario folders; every expected
engine value comes from running real torch in the test.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import torch

from conformance import cli
from conformance.report.baseline import diff_results, slim
from conformance.report.html import render
from conformance.results import SCHEMA_VERSION, ResultsFileError, append_record, load_results, write_results
from tests.conformance.helpers import ROOT, inline, nested_pytest, report_of, write

TINY = """\
from conformance import scenario


@scenario(tags=["accumulation"], dtypes=["float32", "float64"])
def doubles(torch, check):
    x = check.data((3,), requires_grad=True)
    (x * 2).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["errors"])
def module_name(torch, check):
    check("name", torch.__name__)


@scenario(tags=["errors", "broadcasting"], dtypes=["float32", "float64"])
def broadcast_add(torch, check):
    a = check.data((2, 3), requires_grad=True)
    b = check.data((3,), requires_grad=True)
    (a + b).sum().backward()
    check("b.grad", b.grad)
"""


def _results(cwd: Path) -> dict[str, Any]:
    return load_results(cwd / "reports" / "results.json")


# Fields that legitimately differ between two runs of the same items.
VOLATILE = ("duration", "nodeid")


def _stable(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: {k: v for k, v in r.items() if k not in VOLATILE} for r in results["records"]}


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """One single-process run of TINY, compared with a corrupt baseline file."""
    cwd = tmp_path_factory.mktemp("serial")
    write(cwd / "scenarios", "tiny.py", TINY)
    write(cwd, "corrupt_baseline.json", '{"kind": "conformance-results", "schema_version": ')
    proc = nested_pytest(
        cwd, "-p", "no:xdist", "--conformance-baseline", str(cwd / "corrupt_baseline.json"), "scenarios"
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # module_name diverges
    return cwd, proc


# -- results.json ------------------------------------------------------------------------------


def test_results_file_has_versioned_schema_metadata_and_one_record_per_item(serial_run: tuple) -> None:
    cwd, _ = serial_run
    results = _results(cwd)
    assert results["schema_version"] == SCHEMA_VERSION and results["kind"] == "conformance-results"
    run = results["run"]
    assert run["torch"] == torch.__version__ and run["python"] == sys.version.split()[0]
    for key in ("numpy", "platform", "engine_revision", "device", "seed", "started", "ended"):
        assert key in run, key
    assert run["complete"] is True and run["not_run"] == []
    ids = [r["id"] for r in results["records"]]
    assert ids == sorted(
        f"{n}[{d}-cpu-numpy]"
        for n, ds in (("doubles", "32 64"), ("module_name", "32"), ("broadcast_add", "32 64"))
        for d in (f"float{x}" for x in ds.split())
    )
    for r in results["records"]:
        for key in ("status", "margin", "worst", "errors", "duration", "tags", "dtype", "pair", "seed"):
            assert key in r, (r["id"], key)
    assert results["counts"] == {"pass": 4, "diverge": 1}


def test_corrupt_baseline_is_a_clear_message_not_a_traceback(serial_run: tuple) -> None:
    cwd, proc = serial_run
    assert f"baseline not used: {cwd / 'corrupt_baseline.json'}: corrupt results file" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "corrupt results file (invalid JSON"),
        ('{"junit": 1}', "not a conformance results file"),
        ('{"kind": "conformance-results", "schema_version": 999, "run": {}, "records": []}', "schema version 999"),
        ('{"kind": "conformance-results", "schema_version": ' + str(SCHEMA_VERSION) + ', "run": {}, "records": [{"id": 3}]}',
         "record #1"),
    ],
)  # fmt: skip
def test_bad_results_files_name_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture, content: str, needle: str
) -> None:
    bad = write(tmp_path, "bad.json", content)
    with pytest.raises(ResultsFileError, match=re.escape(needle)) as exc:
        load_results(bad)
    assert str(bad) in str(exc.value)
    assert cli.main(["diff", str(bad), str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and needle in err and "Traceback" not in err


# -- the HTML report -----------------------------------------------------------------------------


def test_script_in_a_scenario_name_and_an_error_is_shown_as_text(tmp_path: Path) -> None:
    def evil(torch, check):
        check("label <b>bold</b>", 1)
        if torch.__name__ != "torch":
            raise RuntimeError("<script>alert('error')</script>")

    sc = inline(evil, tags=["errors"], name="evil<script>alert('name')</script>")
    html = render(report_of(tmp_path, [(sc, "float32")]))
    assert html.count("<script") == 1  # the report's own filtering script, nothing else
    assert "evil&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in html
    assert "RuntimeError: &lt;script&gt;alert(&#39;error&#39;)&lt;/script&gt;" in html
    assert "label &lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold" not in html


def test_divergence_shows_values_side_by_side_with_differing_elements_marked(tmp_path: Path) -> None:
    def scaled(torch, check):
        x = torch.tensor([1.0, 2.0, 3.0, 4.0])
        check("first", torch.tensor([5.0]))
        check("y", x * 2 if torch.__name__ == "torch" else x * torch.tensor([2.0, 2.0, 3.0, 2.0]))

    results = report_of(tmp_path, [(inline(scaled, tags=["pointwise"]), "float32")])
    (record,) = results["records"]
    expected = (torch.tensor([1.0, 2.0, 3.0, 4.0]) * 2).tolist()
    (cp,) = record["checkpoints"]
    assert cp["torch"] == [f"{v:.8g}" for v in expected] and cp["engine"][2] == "9"
    assert cp["bad"] == [2] and cp["max_abs"] == pytest.approx(9 - expected[2])
    assert (cp["rtol"], cp["atol"]) == (1.3e-6, 1e-5)
    assert record["first_divergence"] == "y"
    html = render(results)
    assert '<td class="bad">6</td><td class="bad">9</td>' in html
    assert html.count('class="bad"') == 2


def test_training_curves_are_plotted_as_inline_svg(tmp_path: Path) -> None:
    def fit(torch, check):
        w = torch.tensor(2.0, requires_grad=True)
        for t in range(4):
            loss = (w * 3 - 1) ** 2
            check(f"loss@{t}", loss.item() * (1.0 if torch.__name__ == "torch" else 1.001))
            loss.backward()
            with torch.no_grad():
                w -= 0.01 * w.grad
                w.grad = None

    results = report_of(tmp_path, [(inline(fit, tags=["training"], dtypes=["float64"]), "float64")])
    curve = results["records"][0]["curves"]["loss"]
    w, losses = torch.tensor(2.0, dtype=torch.float64, requires_grad=True), []
    for _ in range(4):
        loss = (w * 3 - 1) ** 2
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= 0.01 * w.grad
            w.grad = None
    assert curve["steps"] == [0, 1, 2, 3] and curve["torch"] == pytest.approx(losses)
    assert curve["engine"] == pytest.approx([v * 1.001 for v in losses])
    html = render(results)
    assert html.count('<svg class="curve"') == 1 and html.count('<svg class="difference"') == 1
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)  # nothing loaded from the network


def test_summary_matrix_slowest_and_near_misses(tmp_path: Path) -> None:
    def close(torch, check):
        check("v", torch.tensor([1.0, 1.0 + (5e-6 if torch.__name__ != "torch" else 0.0)]))

    def exact(torch, check):
        check("v", torch.tensor([1.0]))

    results = report_of(tmp_path, [(inline(close, tags=["pointwise"]), "float32"),
                                   (inline(exact, tags=["pointwise", "errors"]), "float64")])  # fmt: skip
    html = render(results)
    assert '<td class="full">1/1 (100%)</td>' in html
    near = html.split('id="near-misses"')[1].split("</table>")[0]
    assert near.index("close[float32") < near.index("exact[float64")  # largest margin first
    margin = next(r["margin"] for r in results["records"] if r["scenario"] == "close")
    assert 0.3 < margin < 1  # 5e-6 against atol 1e-5 + rtol 1.3e-6
    assert 'id="slowest"' in html


# -- planted engine bug: report and reproducer ---------------------------------------------------

PLANTED = """\
from reference_engine.ops import pointwise


def _relu_grad_one_at_zero(self, grad):
    return (grad * (self.saved("result") >= 0),)  # the bug: relu'(x) = 1 where relu(x) = 0


pointwise.ReluBackward0.apply = _relu_grad_one_at_zero
"""
RELU = """\
from conformance import scenario

SHIFT = 0.5


@scenario(tags=["pointwise"])
def relu_grad(torch, check):
    x = torch.tensor([-1.0, 0.0, 2.0, -3.0]) + SHIFT - SHIFT
    x.requires_grad_(True)
    torch.relu(x).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["pointwise"])
def unrelated(torch, check):
    check("two", torch.ones(2) * 2)
"""


def test_planted_bug_report_and_its_reproducer_print_the_same_numbers(tmp_path: Path) -> None:
    sdir = tmp_path / "scenarios"
    write(sdir, "_planted_bug.py", PLANTED)
    write(sdir, "conftest.py", "import _planted_bug  # noqa: F401\n")
    write(sdir, "relu.py", RELU)
    # The bug is planted in the pytest process (by the conftest): items must run there, not in an item process.
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "scenarios")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = _results(tmp_path)
    assert {r["id"]: r["status"] for r in results["records"]} == {
        "relu_grad[float32-cpu-numpy]": "diverge", "unrelated[float32-cpu-numpy]": "pass"}  # fmt: skip
    record = next(r for r in results["records"] if r["scenario"] == "relu_grad")
    x = torch.tensor([-1.0, 0.0, 2.0, -3.0], requires_grad=True)
    torch.relu(x).sum().backward()
    (cp,) = [c for c in record["checkpoints"] if c["label"] == "x.grad" and c["field"] == "value"]
    assert cp["torch"] == [f"{v:.8g}" for v in x.grad.tolist()] and cp["engine"] == ["1", "1", "1", "1"]
    assert cp["bad"] == [i for i, g in enumerate(x.grad.tolist()) if g != 1.0]
    html = (tmp_path / "reports" / "conformance.html").read_text()
    assert "relu_grad[float32-cpu-numpy]" in html and 'class="reproducer"' in html

    # The reproducer is standalone: a fresh folder, plain torch, nothing of the project importable (-I: no
    # PYTHONPATH, no user site, not even the script's folder's neighbours)
    fresh = tmp_path / "fresh"
    repro = write(fresh, "repro.py", record["reproducer"])
    assert not re.search(r"^\s*(from|import) (conformance|reference_engine)", record["reproducer"], re.M)
    assert "SHIFT = 0.5" in record["reproducer"] and "def unrelated" not in record["reproducer"]
    run = subprocess.run([sys.executable, "-I", str(repro)], cwd=fresh, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    # torch's values computed now next to the engine's recorded ones, and torch's own mismatch message
    assert "x.grad:" in run.stdout and "torch : tensor([0., 0., 1., 0.]" in run.stdout, run.stdout
    assert "engine: tensor([1., 1., 1., 1.]" in run.stdout, run.stdout
    assert "Mismatched elements: 3 / 4" in run.stdout and "differ from torch at: x.grad" in run.stdout


# -- merging, xdist, shards ----------------------------------------------------------------------


def test_xdist_run_gives_the_same_records_and_counts_as_a_single_process(serial_run: tuple, tmp_path: Path) -> None:
    serial_cwd, _ = serial_run
    write(tmp_path / "scenarios", "tiny.py", TINY)
    proc = nested_pytest(
        tmp_path, "-n", "2", "--conformance-in-process", f"--junitxml={tmp_path / 'reports' / 'junit.xml'}", "scenarios"
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    parallel, serial = _results(tmp_path), _results(serial_cwd)
    cases = {c.get("name"): [x.tag for x in c] for c in ET.parse(tmp_path / "reports" / "junit.xml").iter("testcase")}
    assert cases == {r["id"]: (["failure"] if r["status"] == "diverge" else []) for r in parallel["records"]}
    assert set(parallel["run"]["sources"]) <= {"gw0.jsonl", "gw1.jsonl"} and serial["run"]["sources"] == ["main.jsonl"]
    assert _stable(parallel) == _stable(serial)
    assert parallel["counts"] == serial["counts"] and parallel["run"]["complete"]
    assert not (tmp_path / "reports" / ".results" / parallel["run"]["run_id"]).exists()  # merged, then removed


def test_shards_merge_into_exactly_the_single_machine_results(serial_run: tuple, tmp_path: Path) -> None:
    serial_cwd, _ = serial_run
    serial = _results(serial_cwd)
    # A baseline in which module_name passed, doubles[float32] diverged and broadcast_add had a tiny margin.
    base = slim(serial)
    for r in base["records"]:
        r["status"] = {"module_name": "pass", "doubles": "diverge" if r["dtype"] == "float32" else r["status"]}.get(
            r["scenario"], r["status"])  # fmt: skip
        if r["scenario"] == "broadcast_add" and r["dtype"] == "float64":
            r["margin"] = 1e-6
    write_results(base, tmp_path / "baseline.json")
    grown = next(r for r in serial["records"] if r["id"] == "broadcast_add[float64-cpu-numpy]")["margin"]

    outputs, files = "", []
    for i in (1, 2):
        cwd = tmp_path / f"shard{i}"
        write(cwd / "scenarios", "tiny.py", TINY)
        proc = nested_pytest(cwd, "-p", "no:xdist", "--conformance-in-process", f"--conformance-shard={i}/2",
                             "--conformance-baseline", str(tmp_path / "baseline.json"))  # fmt: skip
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        outputs += proc.stdout
        files.append(str(cwd / "reports" / "results.json"))
        assert _results(cwd)["run"]["shard"] == f"{i}/2"
        assert _results(cwd)["run"]["narrowed_by"] == [f"shard {i}/2"]  # only its own part of the library
    shard_ids = [{r["id"] for r in load_results(Path(f))["records"]} for f in files]
    assert shard_ids[0] and shard_ids[1] and not shard_ids[0] & shard_ids[1]

    out = tmp_path / "merged" / "results.json"
    assert cli.main(["merge", *files, "-o", str(out), "--baseline", str(tmp_path / "baseline.json")]) == 0
    merged = load_results(out)
    assert _stable(merged) == _stable(serial) and merged["counts"] == serial["counts"]
    assert merged["run"]["complete"] and (out.parent / "conformance.html").exists()
    assert merged["run"]["partial"] is False and merged["run"]["narrowed_by"] == []  # every shard: the whole library

    # The run's terminal summary and the HTML report both show the comparison with the baseline.
    assert "NEW      module_name[float32-cpu-numpy]: pass -> diverge" in outputs
    assert "FIXED    doubles[float32-cpu-numpy]: diverge -> pass" in outputs
    assert "MARGIN   broadcast_add[float64-cpu-numpy]: 1e-06 -> " in outputs or grown <= 0.1
    html = (out.parent / "conformance.html").read_text()
    # each item links to its details (a divergence) or its row of "All items"
    new = '<td class="status-diverge">new divergence</td><td><a href="#item-module_name-float32-cpu-numpy">'
    assert new + "module_name[float32-cpu-numpy]</a></td>" in html
    assert '<td class="status-pass">fixed</td><td><a href="#row-doubles-float32-cpu-numpy">doubles[' in html


def test_bad_shard_option_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "tiny.py", TINY)
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "--conformance-shard=3/2", "scenarios")
    assert proc.returncode == 4 and "--conformance-shard: need 1 <= I <= N" in proc.stderr


# -- regression diff and baseline update ---------------------------------------------------------


def _doc(records: list[dict[str, Any]], complete: bool = True) -> dict[str, Any]:
    return {"kind": "conformance-results", "schema_version": SCHEMA_VERSION, "run": {"complete": complete},
            "counts": {}, "records": records}  # fmt: skip


def test_diff_categories_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    old = _doc([{"id": "a", "status": "pass", "margin": 0.02}, {"id": "b", "status": "diverge", "margin": None},
                {"id": "c", "status": "diverge"}, {"id": "d", "status": "pass", "margin": 0.5},
                {"id": "e", "status": "pass", "margin": 0.0}, {"id": "gone", "status": "pass"}])  # fmt: skip
    new = _doc([{"id": "a", "status": "pass", "margin": 0.5}, {"id": "b", "status": "pass", "margin": 0.1},
                {"id": "c", "status": "xfail"}, {"id": "d", "status": "timeout"},
                {"id": "e", "status": "pass", "margin": 0.05}, {"id": "f", "status": "diverge"},
                {"id": "g", "status": "xfail"}])  # fmt: skip
    d = diff_results(old, new)
    assert d.new == [("d", "pass", "timeout"), ("f", "absent", "diverge")]
    assert d.fixed == [("b", "diverge")] and d.still == [("c", "diverge", "xfail"), ("g", "absent", "xfail")]
    assert d.grew == [("a", 0.02, 0.5)] and d.missing == ["gone"]  # e: 0 -> 0.05 is below the floor
    write_results(old, tmp_path / "old.json")
    write_results(new, tmp_path / "new.json")
    assert cli.main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")]) == 1
    out = capsys.readouterr().out
    assert "NEW      f: absent -> diverge" in out and "FIXED    b: diverge -> pass" in out
    assert "MARGIN   a: 0.02 -> 0.5" in out and "MISSING  gone" in out
    assert cli.main(["diff", str(tmp_path / "new.json"), str(tmp_path / "new.json")]) == 0


def test_baseline_update_command_and_refusal_of_incomplete_runs(serial_run: tuple, tmp_path: Path) -> None:
    cwd, _ = serial_run
    baseline = tmp_path / "baseline.json"
    update = ["baseline", "update", "--results", str(cwd / "reports" / "results.json"), "--baseline", str(baseline)]
    assert cli.main(update) == 2 and not baseline.exists()  # module_name diverges: not a state to accept
    assert cli.main([*update, "--force", "module_name is the planted divergence"]) == 0
    base = load_results(baseline)
    assert base["run"]["forced"]["reason"] == "module_name is the planted divergence"
    assert {r["id"]: r["status"] for r in base["records"]} == {r["id"]: r["status"] for r in _results(cwd)["records"]}
    d = diff_results(base, _results(cwd))
    assert not (d.new or d.fixed or d.grew or d.missing)
    write_results(_doc([{"id": "a", "status": "pass"}], complete=False), tmp_path / "partial.json")
    shard = _doc([{"id": "a", "status": "pass"}])
    shard["run"]["partial"] = True
    write_results(shard, tmp_path / "shard.json")
    assert cli.main(["baseline", "update", "--results", str(tmp_path / "shard.json"), "--baseline", str(baseline)]) == 2
    assert cli.main(["baseline", "update", "--results", str(tmp_path / "partial.json"),
                     "--baseline", str(baseline)]) == 2  # fmt: skip
    assert load_results(baseline) == base


def test_committed_baseline_is_valid_and_covers_the_library() -> None:
    base = load_results(ROOT / "reports" / "baseline.json")
    assert base["run"]["complete"] and len(base["records"]) >= 60
    assert {r["id"].split("[")[0] for r in base["records"]} >= {"sum_of_double", "retain_graph_accumulates"}


# -- interrupted runs ----------------------------------------------------------------------------

KILLS = """\
import os
import re
import signal
import time

from conformance import scenario


@scenario(tags=["errors"], dtypes=["float32", "float64"])
def before(torch, check):
    check("one", torch.ones(2))


@scenario(tags=["errors"])
def killed(torch, check):
    time.sleep(0.5)
    os.kill(os.getppid(), signal.SIGKILL)  # the xdist worker that started this item process


@scenario(tags=["errors"], dtypes=["float32", "float64"])
def after(torch, check):
    check("two", torch.ones(2) * 2)
"""


def test_a_worker_killed_mid_run_loses_only_its_current_item(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "kills.py", KILLS)
    proc = nested_pytest(tmp_path, "-n", "2", "scenarios")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = _results(tmp_path)
    statuses = {r["id"]: r["status"] for r in results["records"]}
    assert statuses == {"before[float32-cpu-numpy]": "pass", "before[float64-cpu-numpy]": "pass",
                        "after[float32-cpu-numpy]": "pass", "after[float64-cpu-numpy]": "pass",
                        "killed[float32-cpu-numpy]": "crashed"}  # fmt: skip
    assert results["run"]["complete"] is False and "crashed" in results["run"]["incomplete_reason"]
    assert 'id="incomplete"' in (tmp_path / "reports" / "conformance.html").read_text()


SLOW = """\
import pathlib
import time

from conformance import scenario


@scenario(tags=["errors"])
def a_first(torch, check):
    check("one", torch.ones(1))


@scenario(tags=["errors"])
def b_hangs(torch, check):
    pathlib.Path("started").touch()
    time.sleep(60)


@scenario(tags=["errors"])
def c_never(torch, check):
    check("one", torch.ones(1))
"""


def test_ctrl_c_still_writes_a_report_marked_incomplete(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "slow.py", SLOW)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "--conformance-reports",
           str(tmp_path / "reports"), "scenarios"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "started").exists():
        assert time.monotonic() < deadline and proc.poll() is None, "the hanging scenario never started"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2, out  # pytest's "interrupted"
    results = _results(tmp_path)
    assert {r["id"]: r["status"] for r in results["records"]} == {"a_first[float32-cpu-numpy]": "pass"}
    run = results["run"]
    assert run["complete"] is False and run["interrupted"] is True and "interrupted" in run["incomplete_reason"]
    assert run["not_run"] == ["b_hangs[float32-cpu-numpy]", "c_never[float32-cpu-numpy]"]
    html = (tmp_path / "reports" / "conformance.html").read_text()
    assert 'id="incomplete"' in html and "c_never[float32-cpu-numpy]" in html
    assert "INCOMPLETE" in out


def test_worker_files_left_by_a_failed_merge_can_be_merged_later(tmp_path: Path) -> None:
    run_dir = tmp_path / ".results" / "run1"
    for i, status in enumerate(("pass", "diverge")):
        append_record(
            run_dir / f"gw{i}.jsonl", {"id": f"s{i}[float32-cpu-numpy]", "status": status, "tags": ["errors"]}
        )
    with (run_dir / "gw1.jsonl").open("a") as f:
        f.write('{"id": "s2[float32-cpu-numpy]", "sta')  # a worker killed in the middle of a write
    out = tmp_path / "out" / "results.json"
    assert cli.main(["merge", str(run_dir), "-o", str(out), "--baseline", str(tmp_path / "none.json")]) == 0
    merged = load_results(out)
    assert {r["id"]: r["status"] for r in merged["records"]} == {"s0[float32-cpu-numpy]": "pass",
                                                                 "s1[float32-cpu-numpy]": "diverge"}  # fmt: skip
    assert merged["run"]["complete"] is False and merged["run"]["unreadable_lines"] == 1
    assert (out.parent / "conformance.html").exists()


FLAKY = """\
import pathlib

from conformance import scenario


@scenario(tags=["accumulation"])
def differs_on_first_engine_run_only(torch, check):
    if torch.__name__ == "reference_engine":
        first = not pathlib.Path("engine-ran").exists()  # on disk: the rerun is another process
        pathlib.Path("engine-ran").touch()
        check("value", 1.0 if first else 0.0)
    else:
        check("value", 0.0)
"""


def test_a_divergence_that_disappears_on_rerun_is_reported_as_flaky(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "flaky.py", FLAKY)
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "scenarios")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # flaky fails the run: it is not an agreement
    (record,) = _results(tmp_path)["records"]
    assert record["status"] == "flaky"
    assert record["attempts"] == ["diverge", "pass"]
    assert "flaky" in proc.stdout
    html = (tmp_path / "reports" / "conformance.html").read_text()
    assert "flaky" in html

    # without reruns the same item is a plain divergence
    (tmp_path / "engine-ran").unlink()
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-no-rerun", "scenarios")
    (record,) = _results(tmp_path)["records"]
    assert record["status"] == "diverge"


def test_baseline_diff_lists_flaky_items_as_regressions() -> None:
    def results(status: str) -> dict[str, Any]:
        return {"records": [{"id": "a[float32-cpu-numpy]", "status": status, "margin": 0.1}]}

    d = diff_results(results("pass"), results("flaky"))
    assert d.flaky == [("a[float32-cpu-numpy]", "pass")]
    assert d.new == [] and d.regressions == 1
    assert any(line.startswith("  FLAKY") for line in d.lines())
