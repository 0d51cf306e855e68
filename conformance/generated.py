"""Generated (hypothesis) checks as conformance items: the same observe -> compare -> verdict -> record path.

A generated checker (conformance/strategies.py) runs one case on both engines and records what it saw as a
flat mapping ``label -> value`` (arrays, ``label.meta`` tuples, ``label.grad`` arrays, ints, ``"error"``).
``observation`` turns that into an ``Observation`` and ``compare`` judges two of them with
``verdict.compare_observations``, the comparison scenario items use. A divergence is looked up in the one
registry (``scenarios/expected_divergences.toml``, entries with ``generated = "<check>"`` and a ``match``
regex over the problem text); one that is not expected raises ``DivergenceError`` carrying the item's
``Record``, with the minimal program (the standalone torch script hypothesis shrank to) as its reproducer.

``recorded(check)`` wraps a generated test function: when it ends it hands one record to the plugin's
results store (``conformance.results.store_record``): the shrunk failure, or a pass with the number of
examples run. So generated checks appear in ``results.json`` and the HTML report as items
``<test name>[generated-cpu-numpy]``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .compare import Tolerance
from .loader import EXPECTED_FILE, ExpectedDivergence, load_expected
from .observe import Entry, Observation, dtype_name
from .record import Record
from .results import store_record
from .verdict import Verdict, compare_observations

CHECKS = ("programs", "training", "autograd-sequences")  # what a registry entry's ``generated`` may name
DTYPE = "generated"  # the dtype slot of the item id: a generated case picks its own dtypes
PAIR = "cpu-numpy"
TAG = "generated"
REGISTRY = Path(__file__).resolve().parent.parent / "scenarios" / EXPECTED_FILE
EXAMPLES_RUN = {"count": 0}  # every checker call adds one; tests/conftest.py prints the session total
EXPECTED_SEEN: dict[str, str] = {}  # check -> reason of a registry entry that accepted a divergence this session


class DivergenceError(AssertionError):
    """The engine and torch disagree; the message is meant for a person, ``record`` is the item's record."""

    def __init__(self, message: str, record: Record | None = None) -> None:
        super().__init__(message)
        self.record = record


@dataclass(frozen=True)
class GeneratedCheck:
    """What ``compare_observations`` asks of a scenario: per-dtype tolerance overrides and claims (none)."""

    name: str
    tolerance: dict[str, Tolerance] = field(default_factory=dict)
    claim: dict[str, Any] = field(default_factory=dict)

    def tolerance_for(self, dtype: str) -> Tolerance | None:
        return self.tolerance.get(dtype)


def observation(side: str, observed: dict[str, Any]) -> Observation:
    """A checker's flat observation as an ``Observation``: one checkpoint per key, ``"error"`` as the run's error."""
    obs = Observation(side)
    for label, value in observed.items():
        if label == "error":
            obs.error = value
        elif isinstance(value, np.ndarray):
            obs.entries.append(Entry(label, "tensor", value, dtype_name(value.dtype), list(value.shape)))
        elif value is None:
            obs.entries.append(Entry(label, "none", None))
        elif label.endswith(".meta"):  # (dtype, grad_fn name, requires_grad): compared exactly
            obs.entries.append(Entry(label, "object", tuple(value)))
        else:
            obs.entries.append(Entry(label, type(value).__name__, value))
    return obs


def compare(check: GeneratedCheck, engine: dict[str, Any], torch: dict[str, Any], dtype: str = "float32") -> Verdict:
    """Torch as the expected side, through the verdict every item uses."""
    return compare_observations(observation("torch", torch), observation("engine", engine), check, dtype)  # type: ignore[arg-type]


@functools.cache
def _registry() -> tuple[ExpectedDivergence, ...]:
    return tuple(e for e in load_expected(REGISTRY) if e.generated)


def expected_reason(check: str, problems: str) -> str | None:
    """The reason of the registry entry that accepts this divergence of ``check`` (None: not expected)."""
    return next((e.reason for e in _registry() if e.matches_generated(check, problems)), None)


def diverged(check: str, verdict: Verdict, headline: str, program: str, replay: str, note: str = "") -> None:
    """Accept an expected divergence (return), else raise DivergenceError with the message and the record.

    ``program`` is the case as a standalone torch script, ``replay`` how to rerun it, ``note`` any further finding.
    """
    problems = verdict.describe()
    reason = expected_reason(check, problems)
    if reason is not None:
        EXPECTED_SEEN[check] = reason
        return
    message = f"{headline}\n{problems}\n{note}--- minimal program (standalone torch script) ---\n{program}--- {replay}"
    record = Record("", "diverge", "generated", check, DTYPE, PAIR, [TAG, check], message=message,
                    source=program, reproducer=program)  # fmt: skip
    record.set_verdict(verdict.to_record())
    record.first_divergence = verdict.differences[0].label if verdict.differences else None
    raise DivergenceError(message, record)


def _divergence_in(exc: BaseException) -> DivergenceError | None:
    """The DivergenceError hypothesis raised, also from inside an exception group (several distinct failures)."""
    if isinstance(exc, DivergenceError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _divergence_in(inner)
        if found is not None:
            return found
    return None


def _item_record(check: str, func: Callable[..., Any], name: str, record: Record | None, examples: int) -> Record:
    """The item's record: the failure the checker built, or a pass (an accepted divergence: xfail)."""
    if record is None:
        reason = EXPECTED_SEEN.get(check)
        record = Record("", "xfail" if reason else "pass", "generated", expected_divergence=reason,
                        message=f"expected divergence seen: {reason}" if reason else "")  # fmt: skip
    record.id, record.scenario, record.dtype, record.pair = f"{name}[{DTYPE}-{PAIR}]", name, DTYPE, PAIR
    record.tags = [TAG, check]
    with contextlib.suppress(OSError, TypeError):
        path = Path(inspect.getsourcefile(func) or "")
        with contextlib.suppress(ValueError):
            path = path.relative_to(Path.cwd())
        record.file, record.line = str(path), inspect.getsourcelines(func)[1]
    record.nodeid = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0] or None
    record.extra["examples"] = examples
    return record


def recorded(check: str, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a generated test (a ``@given`` function or a state machine's ``runTest``) so it writes its item record.

    ``name`` names the item (default: the function's name).
    """
    if check not in CHECKS:
        raise ValueError(f"unknown generated check {check!r} (known: {', '.join(CHECKS)})")

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        item = name or func.__name__

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            start = EXAMPLES_RUN["count"]
            EXPECTED_SEEN.pop(check, None)
            try:
                out = func(*args, **kwargs)
            except BaseException as exc:
                found = _divergence_in(exc)
                if found is not None and found.record is not None:
                    store_record(_item_record(check, func, item, found.record, EXAMPLES_RUN["count"] - start).to_json())
                raise
            store_record(_item_record(check, func, item, None, EXAMPLES_RUN["count"] - start).to_json())
            return out

        return run

    return wrap
