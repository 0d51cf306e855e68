"""pytest plugin (registered through the ``pytest11`` entry point): scenario collection and result files.

Every ``scenarios/*.py`` file (not ``_*`` or ``test_*``) becomes a collector
whose items are ``name[dtype-pair]``. Each process (xdist worker or the
single process) appends its records to
``reports/.results/<run id>/<worker>.jsonl``; the controller merges them at
the end into ``reports/results.json`` and ``reports/conformance.html`` and
removes the run's folder.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .backends import BackendPair, pairs_for
from .loader import EXPECTED_FILE, ExpectedDivergence, load_expected, load_scenario_file
from .report.html import write_html
from .report.merge import merge, write_results
from .results import RESULTS_SUBDIR, append_record
from .runner import run_item
from .scenario import KNOWN_TAGS, Scenario, ScenarioError


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


_STATE = pytest.StashKey[_State]()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance")
    group.addoption("--conformance-reports", default=None, help="where results go (default: <rootdir>/reports)")
    group.addoption("--scenario-timeout", type=float, default=None, help="seconds per scenario run (default 60)")


def pytest_configure(config: pytest.Config) -> None:
    reports = config.getoption("conformance_reports") or (config.rootpath / "reports")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if _is_worker(config):
        run_id = config.workerinput.get("conformance_run_id", "unknown")  # type: ignore[attr-defined]
    else:
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    state = _State(Path(reports).resolve(), worker, run_id)
    config.stash[_STATE] = state
    if config.pluginmanager.hasplugin("xdist") and not _is_worker(config):
        config.pluginmanager.register(_XdistHooks(state), "conformance-xdist")
    for tag in sorted(KNOWN_TAGS):
        config.addinivalue_line("markers", f"{tag}: conformance scenarios tagged {tag!r}")


class _XdistHooks:
    """Registered only when xdist is active (its hook names are unknown to pytest otherwise)."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["conformance_run_id"] = self.state.run_id


def _run_dir(state: _State) -> Path:
    return state.reports_dir / RESULTS_SUBDIR / state.run_id


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_worker(session.config):
        _failed_ids.clear()


def _is_scenario_file(path: Path) -> bool:
    return path.suffix == ".py" and path.parent.name == "scenarios" and not path.name.startswith(("_", "test_"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _is_scenario_file(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
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
                reason = sc.expected_divergence or next(
                    (e.reason for e in expected if e.matches(sc.name, dtype, pair.id)), None
                )
                item = ScenarioItem.from_parent(
                    self, name=f"{sc.name}[{dtype}-{pair.id}]", scenario=sc, dtype=dtype, pair=pair, expected=reason
                )
                for tag in sc.tags:
                    item.add_marker(tag)
                if reason:
                    item.add_marker(pytest.mark.xfail(reason=reason, strict=True, raises=ScenarioDivergenceError))
                yield item


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
        state = self.config.stash[_STATE]
        result = run_item(
            self.scenario, self.dtype, self.pair, self.name, self.expected, self.config.getoption("scenario_timeout")
        )
        result.record["nodeid"] = self.nodeid
        append_record(_run_dir(state) / f"{state.worker}.jsonl", result.record)
        if result.status in ("diverge", "xfail"):
            raise ScenarioDivergenceError(result.message)
        if result.status in ("timeout", "runner-error"):
            raise ScenarioRunError(result.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if excinfo.errisinstance((ScenarioDivergenceError, ScenarioRunError)):
            sc = self.scenario
            return f"{sc.where}: scenario {sc.name} [{self.dtype}, {self.pair.id}]\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario {self.name}"


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
            lines = [f"{e.where}: matches no scenario (scenario={e.scenario!r}, dtypes={list(e.dtypes)})" for e in stale]
            raise ScenarioRunError("stale expected divergences:\n" + "\n".join(lines))

    @staticmethod
    def _matches_something(state: _State, e: ExpectedDivergence) -> bool:
        dtypes = state.dtypes.get(e.scenario)
        return dtypes is not None and (not e.dtypes or bool(set(e.dtypes) & set(dtypes)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if excinfo.errisinstance(ScenarioRunError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _scenario_id(nodeid: str) -> str | None:
    """``scenarios/x.py::name[...]`` -> ``name[...]`` for scenario items, else None."""
    path, _, name = nodeid.partition("::")
    return name if name and _is_scenario_file(Path(path)) else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # In the controller this sees every worker's reports: it remembers failures
    # so that an item whose worker crashed (and so wrote no record) is still listed.
    if report.failed and _scenario_id(report.nodeid):
        _failed_ids.add(report.nodeid)


_failed_ids: set[str] = set()


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if _is_worker(config):
        return
    state = config.stash[_STATE]
    run_dir = _run_dir(state)
    if not run_dir.exists() and not _failed_ids:
        return  # no scenario ran: leave an earlier report alone
    results = merge(run_dir, {"run_id": state.run_id, "start": state.started, "end": time.time()})
    known = {r["id"] for r in results["records"]}
    for nodeid in sorted(_failed_ids):
        sid = _scenario_id(nodeid)
        if sid and sid not in known:
            results["records"].append({"id": sid, "nodeid": nodeid, "status": "crashed", "tags": [],
                                       "message": "no record: the worker running it crashed"})  # fmt: skip
            results["counts"]["crashed"] = results["counts"].get("crashed", 0) + 1
    write_results(results, state.reports_dir / "results.json")
    write_html(results, state.reports_dir / "conformance.html")
    shutil.rmtree(run_dir, ignore_errors=True)  # merged; results.json now holds every record
    state.summary = _claim_lines(results["records"])
    state.summary.append(f"conformance: {results['counts']} -> {state.reports_dir / 'results.json'}")


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
