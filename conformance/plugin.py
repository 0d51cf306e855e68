"""pytest plugin (registered through the ``pytest11`` entry point): scenario collection and result files.

Every ``scenarios/*.py`` file (not ``_*`` or ``test_*``) becomes a collector
whose items are ``name[dtype-pair]``; every ``scenarios/scripts/*.py`` file is
one whole-script item ``name[script-cpu-numpy]`` (conformance/script_scenario.py).
Each process (xdist worker or the
single process) appends its records to
``reports/.results/<run id>/<worker>.jsonl``; the controller merges them at
the end into ``reports/results.json`` and ``reports/conformance.html``,
compares them with ``reports/baseline.json``, and removes the run's folder
only once both files are written. A run that was interrupted, lost a
worker or left items unrun is still written, marked incomplete.

Options: ``--conformance-shard=i/n`` runs the i-th of n disjoint shards
(items chosen by a stable hash of their node id); ``--update-baseline``
accepts this run's results as the new baseline.
"""

from __future__ import annotations

import os
import shutil
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .backends import BackendPair, pairs_for
from .details import enrich
from .generated import CHECKS as GENERATED_CHECKS
from .loader import EXPECTED_FILE, ExpectedDivergence, expected_reason, load_expected, load_scenario_file
from .record import crashed
from .report.baseline import BaselineDiff, diff_results, update_baseline
from .report.html import write_html
from .report.merge import iso_time, merge, write_results
from .results import RESULTS_SUBDIR, ResultsFileError, count_statuses, load_results, open_store, store_record
from .run_info import run_metadata
from .runner import mark_flaky, run_item
from .scenario import KNOWN_TAGS, Scenario, ScenarioError
from .script_scenario import DTYPE, PAIR, SCRIPT_TAG, ScriptScenario, load_script, run_script_item


class ScenarioDivergenceError(Exception):
    """The engine disagrees with torch (the message is the diff)."""


class ScenarioRunError(Exception):
    """The scenario timed out or the runner failed (never turned into an xfail)."""


@dataclass
class _State:
    reports_dir: Path
    worker: str
    run_id: str  # each run writes under its own folder: concurrent pytest runs never mix records
    summary: list[str] = field(default_factory=list)  # lines for the terminal summary
    names: dict[str, str] = field(default_factory=dict)  # scenario name -> file:line
    dtypes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    expected: dict[Path, list[ExpectedDivergence]] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    shard: tuple[int, int] | None = None  # (i, n), 1-based
    expected_ids: set[str] = field(default_factory=set)  # scenario items collected (after deselection)
    deselected: int = 0
    previous_store: Path | None = None  # the enclosing run's worker file, when this run is nested (pytester)


_STATE = pytest.StashKey[_State]()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance")
    group.addoption("--conformance-reports", default=None, help="where results go (default: <rootdir>/reports)")
    group.addoption("--scenario-timeout", type=float, default=None, help="seconds per scenario run (default 60)")
    group.addoption(
        "--conformance-shard",
        default=None,
        metavar="I/N",
        help="run only shard I of N (1-based; items split by a stable hash of their node id)",
    )
    group.addoption(
        "--conformance-baseline",
        default=None,
        help="the accepted results to compare with (default: <reports dir>/baseline.json)",
    )
    group.addoption(
        "--update-baseline",
        action="store_true",
        default=False,
        help="after a complete run, write its results to the baseline file",
    )
    group.addoption("--conformance-no-rerun", action="store_true", default=False,
                    help="do not rerun a divergent item (a rerun that agrees marks the item flaky)")  # fmt: skip


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/4"`` -> (2, 4); anything malformed is a usage error."""
    if not text:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--conformance-shard: expected I/N like 1/4, got {text!r}") from None
    if not 1 <= i <= n:
        raise pytest.UsageError(f"--conformance-shard: need 1 <= I <= N, got {text!r}")
    return i, n


def in_shard(key: str, shard: tuple[int, int]) -> bool:
    """Stable across processes and machines (Python's hash() is salted per process)."""
    return zlib.crc32(key.encode()) % shard[1] == shard[0] - 1


def _shard_key(item: pytest.Item) -> str:
    # A scenario item's id is unique in the library and, unlike the node id, does not depend on the rootdir.
    return item.name if isinstance(item, ScenarioItem | ScriptItem) else item.nodeid


def pytest_configure(config: pytest.Config) -> None:
    reports = config.getoption("conformance_reports") or (config.rootpath / "reports")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if _is_worker(config):
        run_id = config.workerinput.get("conformance_run_id", "unknown")  # type: ignore[attr-defined]
    else:
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    state = _State(Path(reports).resolve(), worker, run_id)
    state.shard = parse_shard(config.getoption("conformance_shard"))
    config.stash[_STATE] = state
    # Scenario items and generated tests (tests/, through conformance.generated) append to this file.
    state.previous_store = open_store(_run_dir(state) / f"{worker}.jsonl")
    if config.pluginmanager.hasplugin("xdist") and not _is_worker(config):
        config.pluginmanager.register(_XdistHooks(state), "conformance-xdist")
    for tag in sorted(KNOWN_TAGS):
        config.addinivalue_line("markers", f"{tag}: conformance scenarios tagged {tag!r}")
    config.addinivalue_line("markers", f"{SCRIPT_TAG}: whole-script scenarios (scenarios/scripts/*.py)")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        open_store(state.previous_store)


class _XdistHooks:
    """Registered only when xdist is active (its hook names are unknown to pytest otherwise)."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["conformance_run_id"] = self.state.run_id

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # Every worker collects the same items; the controller itself collects nothing.
        self.state.expected_ids |= {nodeid for nodeid in ids if _scenario_id(nodeid)}


def _run_dir(state: _State) -> Path:
    return state.reports_dir / RESULTS_SUBDIR / state.run_id


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_worker(session.config):
        _failed_ids.clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[_STATE]
    if state.shard is None:
        return
    keep = [item for item in items if in_shard(_shard_key(item), state.shard)]
    dropped = [item for item in items if not in_shard(_shard_key(item), state.shard)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    if not _is_worker(session.config):
        state = session.config.stash[_STATE]
        state.expected_ids |= {item.nodeid for item in session.items if _scenario_id(item.nodeid)}


def _is_scenario_file(path: Path) -> bool:
    return (
        path.suffix == ".py"
        and path.parent.name == "scenarios"
        and not path.name.startswith(("_", "test_"))
        and path.name != "conftest.py"  # pytest's own file, not a scenario file
    )


def _is_script_file(path: Path) -> bool:
    """``scenarios/scripts/<name>.py``: a whole torch script run on both engines (conformance/script_scenario.py)."""
    return (
        path.suffix == ".py"
        and path.parent.name == "scripts"
        and path.parent.parent.name == "scenarios"
        and not path.name.startswith(("_", "test_"))
        and path.name != "conftest.py"
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _is_scenario_file(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    if _is_script_file(file_path):
        return ScriptFile.from_parent(parent, path=file_path)
    if file_path.name == EXPECTED_FILE and file_path.parent.name == "scenarios":
        return ExpectedFile.from_parent(parent, path=file_path)
    return None


def _expected_for(state: _State, directory: Path) -> list[ExpectedDivergence]:
    path = directory / EXPECTED_FILE
    if path not in state.expected:
        state.expected[path] = load_expected(path)
    return state.expected[path]


class ScenarioFile(pytest.File):
    """A scenario file: importing it registers its scenarios."""

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[_STATE]
        try:
            found = load_scenario_file(self.path)
            expected = _expected_for(state, self.path.parent)
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        for sc in found:
            first = state.names.setdefault(sc.name, sc.where)
            if first != sc.where:
                raise self.CollectError(f"{sc.where}: duplicate scenario name {sc.name!r} (first defined at {first})")
            state.dtypes[sc.name] = sc.dtypes
            yield from self._items(sc, expected)

    def _items(self, sc: Scenario, expected: list[ExpectedDivergence]) -> Iterator[pytest.Item]:
        for pair in pairs_for(sc.devices):
            for dtype in sc.dtypes:
                reason = expected_reason(expected, sc.name, dtype, pair.id)
                item = ScenarioItem.from_parent(
                    self, name=f"{sc.name}[{dtype}-{pair.id}]", scenario=sc, dtype=dtype, pair=pair, expected=reason
                )
                yield _marked(item, sc.tags, reason)


def _report(result: Any) -> None:
    """Write an item's record for the merge, then fail the test the way its status says."""
    store_record(result.record.to_json())
    if result.status in ("diverge", "xfail", "flaky"):
        raise ScenarioDivergenceError(result.message)
    if result.status in ("timeout", "runner-error"):
        raise ScenarioRunError(result.message)


def _marked(item: pytest.Item, tags: tuple[str, ...], reason: str | None) -> pytest.Item:
    """Tags as markers (``pytest -m training``); an expected divergence as a strict xfail."""
    for tag in tags:
        item.add_marker(tag)
    if reason:
        item.add_marker(pytest.mark.xfail(reason=reason, strict=True, raises=ScenarioDivergenceError))
    return item


class ScenarioItem(pytest.Item):
    """One scenario x dtype x backend pair."""

    def __init__(
        self, *, scenario: Scenario, dtype: str, pair: BackendPair, expected: str | None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.dtype = dtype
        self.pair = pair
        self.expected = expected

    def runtest(self) -> None:
        timeout = self.config.getoption("scenario_timeout")
        result = run_item(self.scenario, self.dtype, self.pair, self.name, self.expected, timeout)
        if result.status == "diverge" and not self.config.getoption("conformance_no_rerun"):
            # Same inputs, same seed: a second run that agrees means the outcome depends on something
            # else (timing, global state left by other tests). Report that as its own status.
            again = run_item(self.scenario, self.dtype, self.pair, self.name, self.expected, timeout)
            if again.status == "pass":
                result = mark_flaky(result, again)
        result.record.nodeid = self.nodeid
        enrich(result.record, self.scenario, result.torch, result.engine)
        _report(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if excinfo.errisinstance((ScenarioDivergenceError, ScenarioRunError)):
            sc = self.scenario
            return f"{sc.where}: scenario {sc.name} [{self.dtype}, {self.pair.id}]\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario {self.name}"


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    # A script named on the command line (`pytest scenarios/scripts/x.py`) would otherwise also be imported
    # as a test module by pytest's Python plugin, which runs the whole script inside pytest.
    if _is_script_file(module_path):
        return _NotATestModule.from_parent(parent, path=module_path)
    return None


class _NotATestModule(pytest.File):
    """Stands in for the Python module pytest would import; ScriptFile collects the script's item."""

    def collect(self) -> Iterator[pytest.Item]:
        return iter(())


class ScriptFile(pytest.File):
    """A whole-script scenario: one item, the script run on torch and on the engine, outputs compared."""

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[_STATE]
        try:
            script = load_script(self.path)
            expected = _expected_for(state, self.path.parent.parent)  # the registry in scenarios/ covers scripts
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        first = state.names.setdefault(script.name, script.where)
        if first != script.where:
            raise self.CollectError(f"{script.where}: script name {script.name!r} is already a scenario ({first})")
        state.dtypes[script.name] = (DTYPE,)
        reason = expected_reason(expected, script.name, DTYPE, PAIR)
        item = ScriptItem.from_parent(self, name=script.item_id, script=script, expected=reason)
        yield _marked(item, script.tags, reason)


class ScriptItem(pytest.Item):
    """One script x the cpu-numpy pair."""

    def __init__(self, *, script: ScriptScenario, expected: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.script = script
        self.expected = expected

    def runtest(self) -> None:
        timeout = self.config.getoption("scenario_timeout")
        result = run_script_item(self.script, self.expected, timeout)
        if result.status == "diverge" and not self.config.getoption("conformance_no_rerun"):
            again = run_script_item(self.script, self.expected, timeout)  # as ScenarioItem: flaky when it agrees
            if again.status == "pass":
                result = mark_flaky(result, again)
        result.record.nodeid = self.nodeid
        _report(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if excinfo.errisinstance((ScenarioDivergenceError, ScenarioRunError)):
            return f"{self.script.where}: script {self.name}\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"script {self.name}"


class ExpectedFile(pytest.File):
    """The expected-divergence registry: an entry that matches no scenario is an error."""

    def collect(self) -> Iterator[pytest.Item]:
        yield RegistryItem.from_parent(self, name="expected_divergences_match_scenarios")


class RegistryItem(pytest.Item):
    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        try:
            entries = _expected_for(state, self.path.parent)
        except ScenarioError as exc:
            raise ScenarioRunError(str(exc)) from None
        stale = [e for e in entries if not self._matches_something(state, e)]
        if stale:
            lines = [
                f"{e.where}: matches no generated check (generated={e.generated!r}; known: {', '.join(GENERATED_CHECKS)})"
                if e.generated
                else f"{e.where}: matches no scenario (scenario={e.scenario!r}, dtypes={list(e.dtypes)})"
                for e in stale
            ]
            raise ScenarioRunError("stale expected divergences:\n" + "\n".join(lines))

    @staticmethod
    def _matches_something(state: _State, e: ExpectedDivergence) -> bool:
        if e.generated:
            return e.generated in GENERATED_CHECKS
        dtypes = state.dtypes.get(e.scenario)
        return dtypes is not None and (not e.dtypes or bool(set(e.dtypes) & set(dtypes)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if excinfo.errisinstance(ScenarioRunError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _scenario_id(nodeid: str) -> str | None:
    """``scenarios/x.py::name[...]`` -> ``name[...]`` for scenario items, else None."""
    path, _, name = nodeid.partition("::")
    return name if name and (_is_scenario_file(Path(path)) or _is_script_file(Path(path))) else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # In the controller this sees every worker's reports: it remembers failures
    # so that an item whose worker crashed (and so wrote no record) is still listed.
    if report.failed and _scenario_id(report.nodeid):
        _failed_ids.add(report.nodeid)


_failed_ids: set[str] = set()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config) or config.option.collectonly:
        return
    state = config.stash[_STATE]
    run_dir = _run_dir(state)
    if not run_dir.exists() and not _failed_ids and not state.expected_ids:
        return  # no scenario ran: leave an earlier report alone
    try:
        results = _results(state, int(exitstatus))
        # -k / -m / a shard select part of the library: such a run must not replace the baseline.
        # A run without the scenario library (only generated tests) is partial too.
        results["run"]["partial"] = bool(state.shard or config.option.keyword or config.option.markexpr
                                         or not state.expected_ids)  # fmt: skip
        write_results(results, state.reports_dir / "results.json")
        diff, note = _against_baseline(config, state, results)
        write_html(results, state.reports_dir / "conformance.html", diff, note)
    except Exception as exc:  # noqa: BLE001 - the worker files stay so the run can be merged later
        state.summary = [f"conformance: writing the report failed ({type(exc).__name__}: {exc}); "
                         f"the workers' records are kept in {run_dir}"]  # fmt: skip
        return
    shutil.rmtree(run_dir, ignore_errors=True)  # merged and written: results.json now holds every record
    state.summary = _claim_lines(results["records"])
    state.summary += diff.lines() if diff else ([f"conformance: {note}"] if note else [])
    if config.getoption("update_baseline"):
        state.summary.append(_update_baseline(config, state))
    flag = "" if results["run"]["complete"] else f" INCOMPLETE ({results['run']['incomplete_reason']})"
    for pair_id, status in results["run"].get("pairs", {}).items():
        if status != "available":
            state.summary.append(f"conformance: pair {pair_id} {status}")
    state.summary.append(f"conformance: {results['counts']}{flag} -> {state.reports_dir / 'results.json'}")


def _results(state: _State, exitstatus: int) -> dict[str, Any]:
    """The merged document, with crashed items added and completeness decided."""
    end = time.time()
    shard = f"{state.shard[0]}/{state.shard[1]}" if state.shard else None
    meta = {"run_id": state.run_id, "start": state.started, "end": end, "started": iso_time(state.started),
            "ended": iso_time(end), "shard": shard}  # fmt: skip
    results = merge(_run_dir(state), run_metadata(meta, root=Path(__file__).resolve().parent.parent))  # engine checkout
    known = {r["id"] for r in results["records"]}
    for nodeid in sorted(_failed_ids):
        sid = _scenario_id(nodeid)
        if sid and sid not in known:
            results["records"].append(crashed(sid, nodeid).to_json())
            known.add(sid)
    results["records"].sort(key=lambda r: r["id"])
    results["counts"] = count_statuses(results["records"])
    not_run = sorted(sid for n in state.expected_ids if (sid := _scenario_id(n)) and sid not in known)
    reasons = []
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        reasons.append("interrupted")
    if results["counts"].get("crashed"):
        reasons.append(f"{results['counts']['crashed']} item(s) lost to crashed workers")
    if not_run:
        reasons.append(f"{len(not_run)} collected item(s) did not run")
    if results["run"]["unreadable_lines"]:
        reasons.append(f"{results['run']['unreadable_lines']} unreadable record line(s)")
    results["run"].update(complete=not reasons, incomplete_reason="; ".join(reasons), not_run=not_run,
                          interrupted=exitstatus == pytest.ExitCode.INTERRUPTED, exit_status=exitstatus)  # fmt: skip
    return results


def _baseline_path(config: pytest.Config, state: _State) -> Path:
    given = config.getoption("conformance_baseline")
    return Path(given).resolve() if given else state.reports_dir / "baseline.json"


def _against_baseline(config: pytest.Config, state: _State, results: dict[str, Any]) -> tuple[BaselineDiff | None, str]:
    path = _baseline_path(config, state)
    if not path.exists():
        return None, f"no baseline at {path} (create one with: conformance baseline update)"
    try:
        baseline = load_results(path)
    except ResultsFileError as exc:
        return None, f"baseline not used: {exc}"
    return diff_results(baseline, results, only_new_items=True), ""


def _update_baseline(config: pytest.Config, state: _State) -> str:
    try:
        return "conformance: " + update_baseline(state.reports_dir / "results.json", _baseline_path(config, state))
    except (ResultsFileError, ValueError) as exc:
        return f"conformance: baseline NOT updated: {exc}"


def _claim_lines(records: list[dict[str, Any]]) -> list[str]:
    """Documents' claims that torch contradicts: findings about the document, not the engine."""
    lines = []
    for r in records:
        for c in r.get("claims", []):
            if c["claim_vs_torch"] != "claim agrees with torch":
                lines.append(f"{r['id']}: {c['label']}: claim {c['claim']} disagrees with torch ({c['torch']})")
    return lines


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not state.summary:
        return
    terminalreporter.section("conformance")
    for line in state.summary:
        terminalreporter.write_line(line)
