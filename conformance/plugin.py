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

Scenario items run in an item process (conformance.executor): a side past
its limit is stopped even in C code, the item is recorded as ``timeout`` with
where it was, and the run goes on; the confirmation rerun of a divergent item
runs in a fresh process. SIGTERM ends a run as SIGINT does (conformance.signals):
the controller stops the workers and writes the partial report, marked
interrupted. At the start of a run the previous report is moved to
``reports/previous/``, so a report that could not be written never looks current.

Options: ``--conformance-shard=i/n`` runs the i-th of n disjoint shards
(items chosen by a stable hash of their node id); ``--update-baseline``
accepts this run's results as the new baseline, only if the run is complete,
covers the whole library and holds no unexpected outcome (``--conformance-force
REASON`` overrides, recorded in the baseline); ``--conformance-deadline SECONDS``
ends the run (items left unrun, report marked incomplete) once that much time
has passed; ``--conformance-in-process`` runs items in the pytest process
(for a debugger; timeouts are then SIGALRM-only).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import opinfo, signals
from .backends import BackendPair, mirror_oracle, oracle_version, pairs_for
from .details import enrich
from .executor import Executor, ExecutorError
from .generated import CHECKS as GENERATED_CHECKS
from .item_job import job_for, opinfo_job, opinfo_outcome, outcome_to_result, run_job
from .loader import (
    EXPECTED_FILE,
    ExpectedDivergence,
    expected_reason,
    load_expected,
    load_scenario_file,
    opinfo_expected,
    opinfo_out_of_scope,
    torch_release_matches,
)
from .record import crashed, safe_text
from .report.baseline import BaselineDiff, diff_results, ratchet_problem, update_baseline
from .report.html import write_html
from .report.merge import iso_time, merge, write_results
from .results import (
    RESULTS_SUBDIR,
    ResultsFileError,
    count_statuses,
    load_results,
    move_aside,
    open_store,
    restore_aside,
    store_record,
)
from .run_info import run_metadata
from .runner import ItemResult, mark_flaky, run_item
from .scenario import KNOWN_TAGS, Scenario, ScenarioError
from .script_scenario import DTYPE, PAIR, SCRIPT_TAG, ScriptScenario, load_script, run_script_item

ENGINE_CHECKOUT = Path(__file__).resolve().parent.parent  # whose engine revision the report names
DEADLINE_SKIP = "conformance: the run's deadline (--conformance-deadline) has passed"


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
    deadline: float | None = None  # time.time() after which no item starts
    moved_aside: list[Path] = field(default_factory=list)  # the previous report, moved to reports/previous/
    executor: Executor | None = None  # this process's item process (started by the first scenario item)
    # The run's metadata imports torch (seconds): gathered in the background while the run starts, so an
    # interrupted run's report is not held up by it.
    metadata: dict[str, Any] = field(default_factory=dict)
    metadata_thread: threading.Thread | None = None
    # the OpInfo source (scenarios/opinfo.toml): its settings when this run covers it, samples per item
    # (None: every sample), and the committed baseline's records, read once per process for the ratchet
    opinfo_settings: opinfo.Settings | None = None
    opinfo_samples: int | None = None
    baseline_records: dict[str, dict[str, Any]] | None = None
    engine_mirrors: str = ""  # the torch release the engine mirrors in this run (the oracle's)
    baseline_torch: str = ""  # the torch the committed baseline was made with (read with its records)


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
    group.addoption("--conformance-force", default=None, metavar="REASON",
                    help="with --update-baseline: accept a run the baseline guard refuses; REASON is recorded")  # fmt: skip
    group.addoption("--conformance-deadline", type=float, default=None, metavar="SECONDS",
                    help="start no item after SECONDS; the report is then marked incomplete")  # fmt: skip
    group.addoption("--opinfo-samples", default=None, metavar="N|all",
                    help="samples per OpInfo item (default: scenarios/opinfo.toml's; 'all' under the thorough "
                         "profile, HYPOTHESIS_PROFILE=thorough)")  # fmt: skip
    group.addoption("--conformance-in-process", action="store_true", default=False,
                    help="run scenario items in the pytest process (debugging; timeouts cannot stop C code)")  # fmt: skip


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
    return item.name if isinstance(item, ScenarioItem | ScriptItem | OpinfoItem) else item.nodeid


def pytest_configure(config: pytest.Config) -> None:
    reports = config.getoption("conformance_reports") or (config.rootpath / "reports")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if _is_worker(config):
        run_id = config.workerinput.get("conformance_run_id", "unknown")  # type: ignore[attr-defined]
    else:
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    state = _State(Path(reports).resolve(), worker, run_id)
    state.shard = parse_shard(config.getoption("conformance_shard"))
    deadline = config.getoption("conformance_deadline")
    if _is_worker(config):
        state.deadline = config.workerinput.get("conformance_deadline")  # type: ignore[attr-defined]
    elif deadline is not None:
        if deadline <= 0:
            raise pytest.UsageError(f"--conformance-deadline: expected seconds > 0, got {deadline:g}")
        state.deadline = state.started + deadline
    if config.getoption("conformance_force") is not None and not config.getoption("update_baseline"):
        raise pytest.UsageError("--conformance-force REASON goes with --update-baseline")
    config.stash[_STATE] = state
    # the engine mirrors the release of the torch it is compared with (reference_engine/_torch_version.py)
    state.engine_mirrors = mirror_oracle()
    _configure_opinfo(config, state)
    # Scenario items and generated tests (tests/, through conformance.generated) append to this file.
    state.previous_store = open_store(_run_dir(state) / f"{worker}.jsonl", oracle_version())
    if _is_worker(config):
        _run_dir(state).mkdir(parents=True, exist_ok=True)
        (_run_dir(state) / f"{worker}.pid").write_text(str(os.getpid()), encoding="utf-8")
    elif not config.option.collectonly:
        signals.install()  # SIGTERM ends the run like Ctrl-C: with a partial report
        state.metadata_thread = threading.Thread(target=_gather_metadata, args=(state,), daemon=True)
        state.metadata_thread.start()
    if config.pluginmanager.hasplugin("xdist") and not _is_worker(config):
        config.pluginmanager.register(_XdistHooks(state), "conformance-xdist")
    for tag in sorted(KNOWN_TAGS):
        config.addinivalue_line("markers", f"{tag}: conformance scenarios tagged {tag!r}")
    config.addinivalue_line("markers", f"{SCRIPT_TAG}: whole-script scenarios (scenarios/scripts/*.py)")
    config.addinivalue_line("markers", f"{opinfo.TAG}: items from torch's op catalogue (scenarios/opinfo.toml)")


def _opinfo_path(config: pytest.Config) -> Path:
    return config.rootpath / "scenarios" / opinfo.SETTINGS_FILE


def _configure_opinfo(config: pytest.Config, state: _State) -> None:
    """Settings of the catalogue source when the run's paths reach scenarios/opinfo.toml (metadata then names
    the catalogue's size); samples per item from --opinfo-samples, the profile, or the file."""
    path = _opinfo_path(config)
    if not path.exists():
        return
    args = [Path(a.split("::")[0]) for a in config.args] if config.args_source == pytest.Config.ArgsSource.ARGS else []
    if args and not any(_covers(a, path.resolve()) for a in args):
        return
    try:
        state.opinfo_settings = opinfo.load_settings(path)
    except opinfo.SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    given = config.getoption("opinfo_samples")
    profile = os.environ.get("_GENERATED_PROFILE") or os.environ.get("HYPOTHESIS_PROFILE", "")
    if given is None:
        state.opinfo_samples = None if profile == "thorough" else state.opinfo_settings.samples
    elif given == "all":
        state.opinfo_samples = None
    elif given.isdigit() and int(given) > 0:
        state.opinfo_samples = int(given)
    else:
        raise pytest.UsageError(f"--opinfo-samples: expected a number > 0 or 'all', got {given!r}")


def _gather_metadata(state: _State) -> None:
    meta = run_metadata(root=ENGINE_CHECKOUT)
    meta["engine_mirrors"] = state.engine_mirrors
    if state.opinfo_settings is not None:  # the catalogue's size (N of the coverage line), or why it is absent
        meta["opinfo"] = {**opinfo.catalogue_info(), "samples": state.opinfo_samples or "all"}
    state.metadata = meta


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        open_store(state.previous_store)
        if state.executor is not None:
            state.executor.close()


class _XdistHooks:
    """Registered only when xdist is active (its hook names are unknown to pytest otherwise)."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["conformance_run_id"] = self.state.run_id
        node.workerinput["conformance_deadline"] = self.state.deadline

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # Every worker collects the same items; the controller itself collects nothing.
        self.state.expected_ids |= {nodeid for nodeid in ids if _scenario_id(nodeid)}


def _run_dir(state: _State) -> Path:
    return state.reports_dir / RESULTS_SUBDIR / state.run_id


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if not _is_worker(config):
        _failed_ids.clear()
        _deadline_skips.clear()
        if not config.option.collectonly:
            # A report that this run fails to write must not be mistaken for this run's: the previous one
            # moves to reports/previous/ now, and comes back only if this run records nothing.
            config.stash[_STATE].moved_aside = move_aside(config.stash[_STATE].reports_dir)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash[_STATE]
    if state.deadline is not None and time.time() > state.deadline:
        pytest.skip(DEADLINE_SKIP)


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
    config = session.config  # (xdist's controller collects no items: only processes that run items get here)
    if not config.option.collectonly and not config.getoption("conformance_in_process"):
        if any(isinstance(item, ScenarioItem | OpinfoItem) for item in session.items):
            state = config.stash[_STATE]
            state.executor = state.executor or Executor()
            state.executor.spawn()  # importing torch and the engine overlaps the tests that run before
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
    if file_path.name == opinfo.SETTINGS_FILE and file_path.parent.name == "scenarios":
        return OpinfoFile.from_parent(parent, path=file_path)
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
    message = safe_text(result.message)  # the terminal and JUnit XML get the record's escaped text too
    if result.status in ("diverge", "xfail", "flaky"):
        raise ScenarioDivergenceError(message)
    if result.status in ("timeout", "runner-error", "crashed"):
        raise ScenarioRunError(message)


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
        result = self._run(fresh=False)
        if result.status == "diverge" and not self.config.getoption("conformance_no_rerun"):
            # Same inputs, same seed, a fresh process: a second run that agrees means the outcome depends on
            # something else (timing, state an earlier item left behind). Report that as its own status.
            again = self._run(fresh=True)
            if again.status == "pass":
                result = mark_flaky(result, again)
        result.record.nodeid = self.nodeid
        _report(result)

    def _run(self, fresh: bool) -> ItemResult:
        given = self.config.getoption("scenario_timeout")
        limit = self.scenario.timeout_s if given is None else given
        if self.config.getoption("conformance_in_process"):
            result = run_item(self.scenario, self.dtype, self.pair, self.name, self.expected, limit)
            enrich(result.record, self.scenario, result.torch, result.engine)
            return result
        job = job_for(self.scenario, self.dtype, self.pair.id, self.name, self.expected, limit)
        state = self.config.stash[_STATE]
        try:
            if fresh:
                with Executor.fresh() as executor:
                    answer = executor.run(job)
            else:
                if state.executor is None:
                    state.executor = Executor()
                answer = state.executor.run(job)
        except ExecutorError as exc:
            raise ScenarioRunError(f"the item process failed: {exc}") from None
        return outcome_to_result(answer, self.scenario, job)

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


class OpinfoFile(pytest.File):
    """torch's op catalogue (conformance/opinfo.py): one item per entry and dtype of the installed torch's op_db.

    When op_db cannot be imported (no ``expecttest``, a torch without it) the file is skipped with the
    reason, which the run's metadata also records.
    """

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[_STATE]
        if state.metadata_thread is not None:
            # Not while the metadata thread imports torch too: two threads importing torch's modules at once
            # can see a partially initialized torch. The thread imports op_db as well; this then finds it loaded.
            state.metadata_thread.join()
        try:
            settings = state.opinfo_settings or opinfo.load_settings(self.path)
            specs = opinfo.item_specs()
            expected = _expected_for(state, self.path.parent)
        except opinfo.SettingsError as exc:
            raise self.CollectError(str(exc)) from None
        except opinfo.CatalogueUnavailableError as exc:
            pytest.skip(f"the OpInfo source is skipped: {exc}", allow_module_level=True)
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        known = {s.entry for s in specs}
        stale = [o.where for o in settings.overrides if o.entry not in known]
        if stale:
            raise self.CollectError("overrides for entries not in this torch's op_db: " + ", ".join(stale))
        for spec in specs:
            reasons = opinfo_expected(expected, spec.entry, spec.dtype)
            item = OpinfoItem.from_parent(self, name=spec.item_id, spec=spec, expected=reasons, settings=settings,
                                          out_of_scope=opinfo_out_of_scope(expected, spec.entry))  # fmt: skip
            item.add_marker(opinfo.TAG)
            yield item


class OpinfoRegressionError(Exception):
    """A catalogue item got worse than the committed baseline (or is new and does not pass)."""


class OpinfoItem(pytest.Item):
    """One catalogue entry x dtype; judged as a ratchet against the committed baseline
    (``report.baseline.ratchet_problem``)."""

    def __init__(self, *, spec: opinfo.ItemSpec, expected: dict[str, str], settings: opinfo.Settings,
                 out_of_scope: bool = False, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.spec, self.expected, self.settings, self.out_of_scope = spec, expected, settings, out_of_scope

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        given = self.config.getoption("scenario_timeout")
        samples = state.opinfo_samples if state.opinfo_settings is not None else self.settings.samples
        errors = None if samples is None else self.settings.error_inputs
        job = opinfo_job(self.spec, self.expected, self.settings, samples, errors, 60.0 if given is None else given,
                         self.out_of_scope)  # fmt: skip
        status, message, record = self._run(job, state)
        record.nodeid = self.nodeid
        stored = record.to_json()
        store_record(stored)
        if status == "xfail":
            pytest.xfail(message.splitlines()[0])
        before = _baseline_records(self.config, state).get(self.spec.item_id)
        problem = ratchet_problem(stored, before)
        if problem and _other_release(state) and (before is None or record.versioned):
            # the baseline was made with another torch release: an entry it lacks (new in this torch's catalogue)
            # or one marked version-dependent has no state to be judged against; the diff lists it as VERSIONED
            pytest.skip(f"version-dependent under torch {oracle_version()} (the baseline's torch is "
                        f"{state.baseline_torch}): {problem.splitlines()[0]}")  # fmt: skip
        if problem:
            raise OpinfoRegressionError(f"{problem}\n{safe_text(message)}")

    def _run(self, job: dict[str, Any], state: _State) -> tuple[str, str, Any]:
        if self.config.getoption("conformance_in_process"):
            return opinfo_outcome({"outcome": "result", "result": run_job(job)}, job)
        try:
            if state.executor is None:
                state.executor = Executor()
            answer = state.executor.run(job)
        except ExecutorError as exc:
            raise ScenarioRunError(f"the item process failed: {exc}") from None
        return opinfo_outcome(answer, job)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if excinfo.errisinstance((OpinfoRegressionError, ScenarioRunError)):
            return f"{self.path.name}: op_db entry {self.spec.entry} [{self.spec.dtype}]\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"op_db entry {self.name}"


def _baseline_records(config: pytest.Config, state: _State) -> dict[str, dict[str, Any]]:
    """The committed baseline's records by id (read once per process; empty when there is none)."""
    if state.baseline_records is None:
        try:
            baseline = load_results(_baseline_path(config, state))
            state.baseline_records = {r["id"]: r for r in baseline["records"]}
            state.baseline_torch = str(baseline.get("run", {}).get("torch") or "")
        except (ResultsFileError, OSError):
            state.baseline_records = {}
    return state.baseline_records


def _other_release(state: _State) -> bool:
    """Whether the committed baseline was made with another torch release (major.minor) than this run's torch."""
    now = oracle_version()
    if not (state.baseline_torch and now):
        return False
    return state.baseline_torch.split(".")[:2] != now.split(".")[:2]


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
                else f"{e.where}: matches no op_db entry of this torch (opinfo={e.opinfo!r}, dtypes={list(e.dtypes)})"
                if e.opinfo
                else f"{e.where}: matches no scenario (scenario={e.scenario!r}, dtypes={list(e.dtypes)})"
                for e in stale
            ]
            raise ScenarioRunError("stale expected divergences:\n" + "\n".join(lines))

    @staticmethod
    def _matches_something(state: _State, e: ExpectedDivergence) -> bool:
        if e.opinfo and e.torch and not torch_release_matches(e.torch):
            return True  # an entry of another torch's catalogue (its condition says which): nothing here to match
        if e.generated:
            return e.generated in GENERATED_CHECKS
        if e.opinfo:
            try:
                specs = [s for s in opinfo.item_specs() if s.entry == e.opinfo]
            except opinfo.CatalogueUnavailableError:
                return True  # no catalogue to check against (the source is skipped, with its reason)
            return bool(specs) and (not e.dtypes or bool(set(e.dtypes) & {s.dtype for s in specs}))
        dtypes = state.dtypes.get(e.scenario)
        return dtypes is not None and (not e.dtypes or bool(set(e.dtypes) & set(dtypes)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if excinfo.errisinstance(ScenarioRunError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _scenario_id(nodeid: str) -> str | None:
    """``scenarios/x.py::name[...]`` -> ``name[...]`` for scenario items, else None."""
    path, _, name = nodeid.partition("::")
    conformance_file = _is_scenario_file(Path(path)) or _is_script_file(Path(path)) or _is_opinfo_file(Path(path))
    return name if name and conformance_file else None


def _is_opinfo_file(path: Path) -> bool:
    return path.name == opinfo.SETTINGS_FILE and path.parent.name == "scenarios"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # In the controller this sees every worker's reports: it remembers failures
    # so that an item whose worker crashed (and so wrote no record) is still listed.
    if report.failed and _scenario_id(report.nodeid):
        _failed_ids.add(report.nodeid)
    if report.skipped and DEADLINE_SKIP in str(report.longrepr):
        _deadline_skips.add(report.nodeid)


_failed_ids: set[str] = set()
_deadline_skips: set[str] = set()  # items not started because the run's deadline had passed


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which waits up to 10 s for each worker to shut down
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config) or config.option.collectonly:
        return
    state = config.stash[_STATE]
    run_dir = _run_dir(state)
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    if interrupted:
        _stop_workers(run_dir)  # what they were running is lost anyway; the report must not wait for them
    if not any(run_dir.glob("*.jsonl")) and not _failed_ids and not state.expected_ids:
        restore_aside(state.reports_dir)  # no item ran: the earlier report stays the current one
        shutil.rmtree(run_dir, ignore_errors=True)
        return
    try:
        results = _results(state, int(exitstatus))
        narrowed = _narrowed_by(config, state)
        results["run"].update(partial=bool(narrowed), narrowed_by=narrowed)
        write_results(results, state.reports_dir / "results.json")
        diff, note = _against_baseline(config, state, results)
        write_html(results, state.reports_dir / "conformance.html", diff, note)
    except Exception as exc:  # noqa: BLE001 - the worker files stay so the run can be merged later
        state.summary = [f"conformance: writing the report failed ({type(exc).__name__}: {exc}); "
                         f"the workers' records are kept in {run_dir}"]  # fmt: skip
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR  # a run without its report has failed
        return
    shutil.rmtree(run_dir, ignore_errors=True)  # merged and written: results.json now holds every record
    state.summary = _claim_lines(results["records"])
    state.summary += diff.lines() if diff else ([f"conformance: {note}"] if note else [])
    if config.getoption("update_baseline"):
        line, ok = _update_baseline(config, state)
        state.summary.append(line)
        if not ok and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # asked to update the baseline, and it was refused
    if _deadline_skips and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # items were left unrun
    flag = "" if results["run"]["complete"] else f" INCOMPLETE ({results['run']['incomplete_reason']})"
    for pair_id, status in results["run"].get("pairs", {}).items():
        if status != "available":
            state.summary.append(f"conformance: pair {pair_id} {status}")
    state.summary.append(f"conformance: {results['counts']}{flag} -> {state.reports_dir / 'results.json'}")


def _stop_workers(run_dir: Path) -> None:
    """Kill the xdist workers of this run (each wrote its pid at start); their item processes follow them.

    Without this, an interrupted controller waits for each worker to finish its item and shut down.
    """
    for pid_file in run_dir.glob("*.pid"):
        with contextlib.suppress(ValueError, OSError):
            os.kill(int(pid_file.read_text(encoding="utf-8")), signal.SIGKILL)
        with contextlib.suppress(OSError):
            pid_file.unlink()


def _narrowed_by(config: pytest.Config, state: _State) -> list[str]:
    """What made this run cover less than the whole library (empty: it covered all of it)."""
    reasons = []
    if config.option.keyword:
        reasons.append(f"-k {config.option.keyword}")
    if config.option.markexpr:
        reasons.append(f"-m {config.option.markexpr}")
    if getattr(config.option, "deselect", None):
        reasons.append("--deselect " + " ".join(config.option.deselect))
    if getattr(config.option, "lf", False) or getattr(config.option, "nf", False):
        reasons.append("--lf/--nf")
    if state.shard:
        reasons.append(f"shard {state.shard[0]}/{state.shard[1]}")
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        root = config.rootpath.resolve()
        paths = [a for a in config.args if not _covers(Path(a.split("::")[0]), root) or "::" in a]
        if paths:
            reasons.append("paths: " + " ".join(paths))
    if not state.expected_ids:
        reasons.append("no scenario item collected")
    else:
        library = _library_ids(config.rootpath)
        if state.shard:  # a shard answers for its own part of the library (the merge of all shards is whole)
            library = {i for i in library if i is not None and in_shard(i, state.shard)}
        missing = library - {_scenario_id(n) for n in state.expected_ids}
        if missing:
            reasons.append(f"{len(missing)} library item(s) not collected")
    return reasons


def _covers(path: Path, root: Path) -> bool:
    resolved = (path if path.is_absolute() else Path.cwd() / path).resolve()
    return resolved == root or resolved in root.parents


def _library_ids(rootpath: Path) -> set[str | None]:
    """Every item id the scenario library under ``rootpath/scenarios`` yields on this machine."""
    folder = rootpath / "scenarios"
    ids: set[str | None] = set()
    for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
        if _is_scenario_file(path):
            with contextlib.suppress(ScenarioError):
                ids |= {f"{sc.name}[{d}-{p.id}]" for sc in load_scenario_file(path) for p in pairs_for(sc.devices)
                        for d in sc.dtypes}  # fmt: skip
    for path in sorted((folder / "scripts").glob("*.py")) if (folder / "scripts").is_dir() else []:
        if _is_script_file(path):
            with contextlib.suppress(ScenarioError):
                ids.add(load_script(path).item_id)
    if (folder / opinfo.SETTINGS_FILE).exists():
        with contextlib.suppress(opinfo.CatalogueUnavailableError):  # then the source is skipped, with its reason
            ids |= {spec.item_id for spec in opinfo.item_specs()}
    return ids


def _results(state: _State, exitstatus: int) -> dict[str, Any]:
    """The merged document, with crashed items added and completeness decided."""
    end = time.time()
    shard = f"{state.shard[0]}/{state.shard[1]}" if state.shard else None
    meta = {"run_id": state.run_id, "start": state.started, "end": end, "started": iso_time(state.started),
            "ended": iso_time(end), "shard": shard}  # fmt: skip
    if state.metadata_thread is not None:
        state.metadata_thread.join(timeout=60)
    base = state.metadata or run_metadata(root=ENGINE_CHECKOUT)
    results = merge(_run_dir(state), {**base, **meta})
    known = {r["id"] for r in results["records"]}
    lost = 0
    for nodeid in sorted(_failed_ids):
        sid = _scenario_id(nodeid)
        if sid and sid not in known:
            record = crashed(sid, nodeid)
            record.torch = base.get("torch")
            if _is_opinfo_file(Path(nodeid.partition("::")[0])):  # a catalogue item: the coverage counts it
                record.kind, record.tags = opinfo.KIND, [opinfo.TAG]
                record.extra["entry"] = sid.rsplit("[", 1)[0]
            results["records"].append(record.to_json())
            known.add(sid)
            lost += 1
    results["records"].sort(key=lambda r: r["id"])
    results["counts"] = count_statuses(results["records"])
    not_run = sorted(sid for n in state.expected_ids if (sid := _scenario_id(n)) and sid not in known)
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    reasons = []
    if interrupted:
        reasons.append(f"interrupted ({signals.received_signal() or 'KeyboardInterrupt'})")
    if _deadline_skips:
        reasons.append(f"the run's deadline of {state.deadline - state.started:g} s passed; "  # type: ignore[operator]
                       f"{len(_deadline_skips)} item(s) were not started")  # fmt: skip
    if lost:
        reasons.append(f"{lost} item(s) lost to crashed workers")
    if not_run:
        reasons.append(f"{len(not_run)} collected item(s) did not run")
    if results["run"]["unreadable_lines"]:
        reasons.append(f"{results['run']['unreadable_lines']} unreadable record line(s)")
    results["run"].update(complete=not reasons, incomplete_reason="; ".join(reasons), not_run=not_run,
                          interrupted=interrupted, exit_status=exitstatus)  # fmt: skip
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


def _update_baseline(config: pytest.Config, state: _State) -> tuple[str, bool]:
    results, force = state.reports_dir / "results.json", config.getoption("conformance_force")
    try:
        return "conformance: " + update_baseline(results, _baseline_path(config, state), force=force), True
    except (ResultsFileError, ValueError) as exc:
        return f"conformance: baseline NOT updated: {exc}", False


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
