"""What the conformance tests share: the repository root, inline scenarios, one CPU item run, nested pytest runs,
and the plugin's record path without pytest (``report_of``). A plain module, so no test imports another test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from conformance.backends import CPU_PAIR
from conformance.details import enrich
from conformance.report.merge import merge
from conformance.results import append_record, load_results, write_results
from conformance.runner import ItemResult, run_item
from conformance.scenario import Scenario, drain_pending, scenario

ROOT = Path(__file__).resolve().parent.parent.parent
SCENARIOS = ROOT / "scenarios"
XDIST_IDENTITY = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID", "PYTEST_CURRENT_TEST")


def inline(func: Any, **meta: Any) -> Scenario:
    """``func`` registered as a scenario with the decorator's ``meta``, without a scenario file."""
    drain_pending()
    scenario(**meta)(func)
    (sc,) = drain_pending()
    return sc


def run_cpu(sc: Scenario, dtype: str = "float32") -> ItemResult:
    """One item on the CPU pair, with the id the plugin gives it."""
    return run_item(sc, dtype, CPU_PAIR, f"{sc.name}[{dtype}-{CPU_PAIR.id}]")


def write(directory: Path, name: str, text: str) -> Path:
    """``text`` (dedented) as ``directory/name``, creating the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def clean_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a nested pytest run: without the outer xdist worker's identity, and with this
    checkout first on the path (the nested run's working directory is a temporary folder, where an installed
    copy of the package would otherwise be imported instead of the code under test)."""
    env = dict(os.environ if env is None else env)
    for key in XDIST_IDENTITY:
        env.pop(key, None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def nested_pytest(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m pytest`` in ``cwd`` (its rootdir), its reports under ``cwd/reports``."""
    # --rootdir: the folder is the project root, as the repository's pyproject.toml makes it for a real run
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(cwd), "--conformance-reports",
           str(cwd / "reports"), *args]  # fmt: skip
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env=clean_env(env))


def report_of(tmp_path: Path, scenarios: list[tuple[Scenario, str]]) -> dict[str, Any]:
    """The plugin's path without pytest: run, enrich, append to a worker file, merge."""
    run_dir = tmp_path / "run"
    for sc, dtype in scenarios:
        result = run_cpu(sc, dtype)
        enrich(result.record, sc, result.torch, result.engine)
        append_record(run_dir / "main.jsonl", result.record.to_json())
    results = merge(run_dir, {"complete": True, "not_run": []})
    write_results(results, tmp_path / "results.json")
    return load_results(tmp_path / "results.json")


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (a nested run passes it to its workers and item
    processes; whatever still has it after the run ended was left behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found
