"""Hypothesis profiles for the whole test suite, and the generated-example counter (the per-profile example
budget, ``budget``, lives in tests/helpers.py).

Profiles (``docs/generated.md``):
- ``ci``: derandomized (the same examples every run), no example database, no
  deadline; chosen when the environment variable ``CI`` is set;
- ``dev``: random examples, the default elsewhere;
- ``thorough``: ten times the generated tests' budgets, for nightly runs.

Select one with ``HYPOTHESIS_PROFILE=<name>`` or ``pytest --hypothesis-profile=<name>``.
Outside ``ci`` the session seed is fixed and printed in the header, so any
failure replays with ``pytest --hypothesis-seed=<seed>``.
"""

from __future__ import annotations

import os
import random
from typing import Any

import hypothesis.core
import pytest
from hypothesis import HealthCheck, Phase, settings

from conformance import strategies
from tests.helpers import PROFILE, active_profile, budget

__all__ = ["budget"]  # the generated tests import budget from here until they import it from tests.helpers

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True, suppress_health_check=_SLOW
)
settings.register_profile("dev", deadline=None, print_blob=True, suppress_health_check=_SLOW)
settings.register_profile(
    "thorough",
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW,
    phases=list(Phase),
)

settings.load_profile(PROFILE)


@pytest.hookimpl(trylast=True)  # after hypothesis' own plugin has loaded --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    chosen = config.getoption("hypothesis_profile", None)
    if chosen:
        os.environ["_GENERATED_PROFILE"] = chosen  # workers inherit it; budget() reads it
    if config.getoption("hypothesis_seed", None) is None and not settings.default.derandomize:
        # One seed for the whole session (shared with xdist workers through the environment), printed
        # in the header, so a failure replays with --hypothesis-seed=<seed>.
        seed = int(os.environ.setdefault("GENERATED_SESSION_SEED", str(random.getrandbits(32))))
        hypothesis.core.global_force_seed = seed
        strategies.SESSION_SEED["seed"] = seed
    elif config.getoption("hypothesis_seed", None) is not None:
        strategies.SESSION_SEED["seed"] = config.getoption("hypothesis_seed")


def pytest_report_header(config: pytest.Config) -> str:
    seed = strategies.SESSION_SEED["seed"]
    where = f"seed {seed} (replay: --hypothesis-seed={seed})" if seed is not None else "derandomized"
    return f"generated tests: hypothesis profile {active_profile()}, {where}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workeroutput"):  # an xdist worker: hand the count to the controller
        session.config.workeroutput["generated_examples"] = strategies.EXAMPLES_RUN["count"]


_WORKER_TOTAL = {"count": 0}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _WORKER_TOTAL["count"] += getattr(node, "workeroutput", {}).get("generated_examples", 0)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    total = strategies.EXAMPLES_RUN["count"] + _WORKER_TOTAL["count"]
    if total:
        terminalreporter.write_line(f"generated examples executed: {total} (profile {active_profile()})")


@pytest.fixture(params=["2.13", "2.14"])
def release(request: pytest.FixtureRequest) -> Any:
    """The engine set to mirror each supported torch release in turn (and put back after): a test of a behaviour
    that differs between releases takes this fixture, and compares with the installed torch where it is the
    release under test (``tests/helpers.py`` ``torch_release``)."""
    import reference_engine  # noqa: PLC0415

    before = reference_engine.get_torch_version()
    reference_engine.set_torch_version(request.param)
    try:
        yield request.param
    finally:
        reference_engine.set_torch_version(before)
