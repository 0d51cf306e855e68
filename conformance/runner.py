"""One test item: a scenario x dtype x backend pair, run on both sides and judged.

Everything that can happen becomes a status in a plain-data record: pass,
diverge, xfail (an expected divergence still diverging), xpass (an expected
divergence that no longer diverges), timeout, runner-error (the runner failed,
or the scenario misused the harness or checked nothing).

``run_item`` runs in whatever process calls it (``conformance show``, tests);
the plugin runs items in a child process (conformance.executor), which can be
killed when a side hangs where no Python-level timeout reaches.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .backends import BackendPair
from .observe import Observation, item_seed, run_scenario
from .record import Record, judge
from .scenario import Scenario
from .verdict import Verdict, compare_observations

CHECKS_NOTHING = (
    "the scenario checks nothing: neither side recorded a checkpoint or raised an exception, so there is "
    "nothing to compare (record values with check(label, value), or an expected error with check.error)"
)
# (side label, seconds) -> a context manager that bounds one side's run
SideGuard = Callable[[str, float], contextlib.AbstractContextManager[None]]


class ScenarioTimeout(BaseException):
    """Raised by the alarm; a BaseException so a scenario's ``except Exception`` cannot swallow it."""


@dataclass
class ItemResult:
    status: str
    verdict: Verdict | None
    torch: Observation | None
    engine: Observation | None
    message: str  # the text a failing test shows
    record: Record


def mark_flaky(first: Any, again: Any) -> Any:
    """A divergent first run whose immediate rerun agreed: status "flaky", keeping the first run's details.

    Works for scenario and whole-script results alike (both carry ``status``, ``record`` and ``message``).
    """
    first.record.mark_flaky(again.status)
    first.status = "flaky"
    first.message = "flaky: diverged, then agreed on an immediate rerun with the same inputs\n" + first.message
    return first


@contextlib.contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM; only possible in the main thread on POSIX)."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise ScenarioTimeout(f"{what} ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_item(
    scenario: Scenario,
    dtype: str,
    pair: BackendPair,
    item_id: str,
    expected_divergence: str | None = None,
    timeout_s: float | None = None,
    guard: SideGuard | None = None,
) -> ItemResult:
    """Run the scenario on torch (first: it is the weight source) then on the engine, and compare.

    ``guard`` bounds each side (default: a SIGALRM ``time_limit``, which Python code cannot outlive
    but C code and a bare ``except:`` can; the executor passes a hard limit instead).
    """
    seed = item_seed(item_id)
    shared: dict[str, Any] = {}
    limit = scenario.timeout_s if timeout_s is None else timeout_s
    start = time.perf_counter()
    observations: dict[str, Observation] = {}
    try:
        for backend, source in ((pair.torch, True), (pair.engine, False)):
            with (guard or _soft_limit)(backend.label, limit):
                observations[backend.label] = run_scenario(scenario.func, backend, dtype, seed, shared, source)
        authoring = _authoring_problem(observations["torch"], observations["engine"])
        if authoring:
            return _result(scenario, dtype, pair, item_id, "runner-error", None, observations, authoring,
                           expected_divergence)  # fmt: skip
        device = "cuda" if pair.id.startswith("cuda") else "cpu"
        verdict = compare_observations(observations["torch"], observations["engine"], scenario, dtype, device)
    except ScenarioTimeout as exc:
        return _result(scenario, dtype, pair, item_id, "timeout", None, observations, str(exc), expected_divergence)
    except Exception:  # noqa: BLE001 - a runner bug is recorded, and the run goes on
        text = "the runner itself failed:\n" + traceback.format_exc()
        return _result(scenario, dtype, pair, item_id, "runner-error", None, observations, text, expected_divergence)
    finally:
        elapsed = time.perf_counter() - start
    status, message = judge(verdict.agree, verdict.describe(), expected_divergence)
    if status in ("diverge", "xfail"):
        message += _traceback_note(observations["torch"], observations["engine"])
    result = _result(scenario, dtype, pair, item_id, status, verdict, observations, message, expected_divergence)
    result.record.duration["total"] = elapsed  # type: ignore[index]
    return result


def _soft_limit(side: str, seconds: float) -> contextlib.AbstractContextManager[None]:
    return time_limit(seconds, f"the {side} side")


def _authoring_problem(torch_obs: Observation, engine_obs: Observation) -> str:
    """A misuse of the harness, or nothing observed: the item says nothing about the engine."""
    misuses = [*torch_obs.harness, *(m for m in engine_obs.harness if m not in torch_obs.harness)]
    if misuses:
        return "the scenario misuses the harness (an authoring error, not a divergence):\n" + "\n".join(misuses)
    if torch_obs.observed_nothing and engine_obs.observed_nothing:
        return CHECKS_NOTHING
    return ""


def failed_result(scenario: Scenario, dtype: str, pair: BackendPair, item_id: str, status: str, message: str,
                  expected: str | None) -> ItemResult:  # fmt: skip
    """The result of an item that produced no observations (its process timed out or crashed)."""
    return _result(scenario, dtype, pair, item_id, status, None, {}, message, expected)


def _traceback_note(torch_obs: Observation | None, engine_obs: Observation | None) -> str:
    """The engine's traceback when its error differs from torch's: where to start debugging."""
    if engine_obs is None or not engine_obs.error_traceback:
        return ""
    if torch_obs is not None and torch_obs.error == engine_obs.error:
        return ""
    return "\n\nengine traceback:\n" + engine_obs.error_traceback


def _result(
    scenario: Scenario,
    dtype: str,
    pair: BackendPair,
    item_id: str,
    status: str,
    verdict: Verdict | None,
    observations: dict[str, Observation],
    message: str,
    expected: str | None,
) -> ItemResult:
    t, e = observations.get("torch"), observations.get("engine")
    record = Record(
        item_id, status, "scenario", scenario.name, dtype, pair.id, list(scenario.tags),
        scenario.where.rsplit(":", 1)[0], scenario.line, expected_divergence=expected, message=message,
        errors={side: (None if o is None or o.error is None else f"{o.error[0]}: {o.error[1]}")
                for side, o in (("torch", t), ("engine", e))},
        duration={"torch": t.wall_s if t else None, "engine": e.wall_s if e else None, "total": None},
        versioned=scenario.versioned or None,
    )  # fmt: skip
    if verdict is not None:
        record.set_verdict(verdict.to_record())
    leaks = {side: o.leaks for side, o in (("torch", t), ("engine", e)) if o is not None and o.leaks}
    if leaks:
        record.leaks = leaks
    return ItemResult(status, verdict, t, e, message, record)
