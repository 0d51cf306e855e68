"""A one-round smoke run of benchmarks/bench_peers.py at tiny sizes.

Timings are not checked (they are not pass/fail material on a shared machine). What is checked is that the
script runs end to end, writes the JSON the README describes, and that every library computed the same final
values as torch from the same data: a workload that does less work than torch's would not agree.
"""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_peers.py"
WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6"]


def test_smoke_run_structure_and_values(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "peers.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--repeats", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    libs = ["engine", "torch", "numpy"]
    for peer in ("mygrad", "autograd"):
        if importlib.util.find_spec(peer) is not None:
            libs.append(peer)
        else:
            assert f"skipping {peer}: not installed" in proc.stdout
    assert report["smoke"] is True and report["repeats"] == 1
    assert sorted(report["results"]) == WORKLOADS
    for name, res in report["results"].items():
        assert sorted(res["libraries"]) == sorted(libs), name
        torch_values = res["libraries"]["torch"]["values"]
        assert torch_values and all(math.isfinite(v) for v in torch_values), name
        for lib, entry in res["libraries"].items():
            assert entry["agrees_with_torch"], (name, lib, entry["values"], torch_values)
            assert len(entry["seconds"]) == 1 and entry["seconds"][0] > 0
            assert math.isfinite(entry["ratio_to_torch"])
    for lib in libs:
        assert "peak_bytes" in report["results"]["W2"]["libraries"][lib]
    assert {t["workload"] for t in report["targets"]} >= {"W1", "W3", "W4", "W5", "W6", "W2 peak memory"}
    assert "median ratio to torch" in proc.stdout


def test_values_disagreeing_with_torch_are_flagged() -> None:
    # the agreement check itself must be able to fail: values off by more than the workload's tolerance
    spec = importlib.util.spec_from_file_location("bench_peers", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod._agree([1.0, 2.0], [1.0, 2.0], 1e-4)
    assert not mod._agree([1.0, 2.001], [1.0, 2.0], 1e-4)
    assert not mod._agree([1.0], [1.0, 2.0], 1e-4)
    assert not mod._agree([3.0 * 999], [3.0 * 1000], 0.0)  # W6: exact
