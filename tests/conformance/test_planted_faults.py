"""Faults planted for real in a scenario library, run by a nested pytest the way users run the suite: each must
end as the status it deserves, never as agreement, and the run must go on and write its report.

One nested run (module fixture) carries most of the planted scenarios; what each test asserts is read back from
that run's results.json and HTML. Items run in the plugin's item process (conformance.executor), as in CI.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import pytest

from tests.conformance.helpers import nested_pytest, processes_with, write

FAULTS = """\
import builtins
import re
import time

from conformance.scenario import scenario


@scenario(tags=["errors"])
def misuse_typo(torch, check):
    x = torch.ones(2)
    check.dat("x", x)


@scenario(tags=["errors"])
def misuse_keyword(torch, check):
    check("x", check.data((2,), sed=3))


@scenario(tags=["errors"])
def misuse_swallowed(torch, check):
    try:
        check.dat("x", torch.ones(2))
    except:  # noqa: E722 - planted: a scenario that swallows everything
        pass
    check("y", torch.ones(2))


@scenario(tags=["errors"])
def checks_nothing(torch, check):
    torch.ones(3) * 2


@scenario(tags=["optim"])
def unobservable_class(torch, check):
    check("opt", torch.optim.SGD)


@scenario(tags=["errors"])
def unobservable_object(torch, check):
    class Thing:
        pass

    check("thing", Thing())


@scenario(tags=["errors"])
def raises_keyboard_interrupt(torch, check):
    check("before", torch.ones(1))
    raise KeyboardInterrupt("raised by the scenario")


@scenario(tags=["errors"])
def raises_system_exit(torch, check):
    check("before", torch.ones(1))
    raise SystemExit(3)


@scenario(tags=["errors"], timeout_s=2)
def hangs_in_c(torch, check):
    check("before", torch.ones(1))
    re.match(r"(a+)+$", "a" * 64 + "b")  # catastrophic backtracking: C code that checks no signal


@scenario(tags=["errors"], timeout_s=2)
def hangs_under_bare_except(torch, check):
    check("before", torch.ones(1))
    while True:
        try:
            time.sleep(0.05)
        except:  # noqa: E722 - planted: swallows a Python-level timeout
            pass


@scenario(tags=["errors"], timeout_s=1)
def quick_after_the_hangs(torch, check):
    # A fresh item process imports torch and the engine (seconds) before this one-second limit starts.
    check("x", torch.arange(3.0) * 2)


@scenario(tags=["errors"])
def bad_utf8_engine_error(torch, check):
    if torch.__name__ == "reference_engine":
        raise RuntimeError("engine message with an undecodable byte: " + bytes([0xFF]).decode("utf-8", "surrogateescape"))
    check("x", torch.ones(1))


@scenario(tags=["errors"])
def huge_label_and_message(torch, check):
    check("L" * 1_000_000, torch.ones(1))
    if torch.__name__ == "reference_engine":
        raise ValueError("M" * 1_000_000)


@scenario(tags=["nn"])
def leaks_global_state(torch, check):
    if torch.__name__ == "torch":  # planted asymmetry: only torch gets the hook and the print options
        torch.set_printoptions(precision=1)
        torch.nn.modules.module.register_module_forward_hook(lambda module, args, out: out * 0)
    check("x", torch.ones(1))


@scenario(tags=["nn"])
def victim_of_leaks(torch, check):
    torch.manual_seed(0)
    layer = check.same_weights(torch.nn.Linear(2, 1))
    check("out", layer(torch.ones(1, 2)))
    check("repr", repr(torch.tensor([1.23456])))


@scenario(tags=["errors"])
def plants_process_global(torch, check):
    builtins._conformance_planted = True  # a global the isolation does not know
    check("x", torch.ones(1))


@scenario(tags=["errors"])
def diverges_only_after_the_planter(torch, check):
    planted = getattr(builtins, "_conformance_planted", False)
    check("v", 1.0 if planted and torch.__name__ == "reference_engine" else 0.0)
"""

CRASH = """\
import ctypes

from conformance.scenario import scenario


@scenario(tags=["errors"])
def crashes_the_process(torch, check):
    check("x", torch.ones(1))
    if torch.__name__ == "reference_engine":
        ctypes.string_at(0)  # a segfault in the engine side


@scenario(tags=["errors"])
def after_the_crash(torch, check):
    check("x", torch.ones(2))
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("planted")
    write(root / "scenarios", "faults.py", FAULTS)
    write(root / "scenarios", "crash.py", CRASH)
    marker = uuid.uuid4().hex
    env = {**os.environ, "CONFORMANCE_TEST_MARK": marker}
    # Two workers, each file on one of them in file order (leaks and the planted global need that order).
    proc = nested_pytest(root, "-n", "2", "--dist", "loadfile", env=env)
    results = json.loads((root / "reports" / "results.json").read_text(encoding="utf-8"))
    return {"proc": proc, "root": root, "results": results, "marker": marker,
            "records": {r["scenario"]: r for r in results["records"]}}  # fmt: skip


def _record(planted: dict[str, Any], name: str) -> dict[str, Any]:
    return planted["records"][name]


@pytest.mark.parametrize(("name", "line"), [("misuse_typo", 'check.dat("x", x)'), ("misuse_keyword", "sed=3"),
                                            ("misuse_swallowed", 'check.dat("x", torch.ones(2))')])  # fmt: skip
def test_a_misused_harness_is_a_runner_error_at_the_scenario_line(planted: dict[str, Any], name: str,
                                                                  line: str) -> None:  # fmt: skip
    r = _record(planted, name)
    assert r["status"] == "runner-error"
    assert "misuses the harness" in r["message"]
    assert f"faults.py:{_line_of(planted, line)}:" in r["message"]
    if name == "misuse_keyword":
        assert "check.data(): got an unexpected keyword argument 'sed'" in r["message"]
    else:
        assert "check has no attribute 'dat'" in r["message"]


def _line_of(planted: dict[str, Any], text: str) -> int:
    lines = (planted["root"] / "scenarios" / "faults.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_a_scenario_that_checks_nothing_fails(planted: dict[str, Any]) -> None:
    r = _record(planted, "checks_nothing")
    assert r["status"] == "runner-error" and "checks nothing" in r["message"]


@pytest.mark.parametrize(("name", "what"), [("unobservable_class", "the class SGD"),
                                            ("unobservable_object", "a Thing")])  # fmt: skip
def test_an_unobservable_value_is_rejected_with_the_observable_kinds(planted: dict[str, Any], name: str,
                                                                     what: str) -> None:  # fmt: skip
    r = _record(planted, name)
    assert r["status"] == "runner-error"
    assert f"{what} is not observable" in r["message"] and "optimizer (its state_dict())" in r["message"]


@pytest.mark.parametrize(("name", "error"), [("raises_keyboard_interrupt", "KeyboardInterrupt: raised by the scenario"),
                                             ("raises_system_exit", "SystemExit: 3")])  # fmt: skip
def test_keyboard_interrupt_and_system_exit_are_the_scenarios_exception(planted: dict[str, Any], name: str,
                                                                       error: str) -> None:  # fmt: skip
    r = _record(planted, name)
    assert r["status"] == "pass"
    assert r["errors"] == {"torch": error, "engine": error}


@pytest.mark.parametrize("name", ["hangs_in_c", "hangs_under_bare_except"])
def test_a_hang_is_stopped_and_recorded_as_timeout_with_where_it_was(planted: dict[str, Any], name: str) -> None:
    r = _record(planted, name)
    assert r["status"] == "timeout"
    assert "the torch side ran longer than 2 s" in r["message"]
    assert 2.0 <= r["duration"]["torch"] < 20.0
    line = _line_of(planted, 're.match(r"(a+)+$"' if name == "hangs_in_c" else "time.sleep(0.05)")
    assert f'faults.py", line {line}' in r["stack"]


def test_the_run_goes_on_after_hangs_and_imports_do_not_count(planted: dict[str, Any]) -> None:
    assert _record(planted, "quick_after_the_hangs")["status"] == "pass"


def test_a_crashing_side_is_recorded_and_the_run_goes_on(planted: dict[str, Any]) -> None:
    r = _record(planted, "crashes_the_process")
    assert r["status"] == "crashed"
    assert "the engine side ended the item process" in r["message"] and "Segmentation fault" in r["stack"]
    assert _record(planted, "after_the_crash")["status"] == "pass"


def test_invalid_utf8_and_huge_strings_are_written_safely(planted: dict[str, Any]) -> None:
    bad = _record(planted, "bad_utf8_engine_error")
    assert bad["status"] == "diverge" and "\\udcff" in bad["errors"]["engine"]
    huge = _record(planted, "huge_label_and_message")
    assert huge["status"] == "diverge"
    text = json.dumps(huge)
    assert len(text) < 200_000 and re.search(r"\[cut: 10000\d\d characters in all\]", text)
    html = (planted["root"] / "reports" / "conformance.html").read_text(encoding="utf-8")
    assert "huge_label_and_message" in html and len(html) < 3_000_000


def test_leaked_global_state_is_restored_and_recorded(planted: dict[str, Any]) -> None:
    assert _record(planted, "victim_of_leaks")["status"] == "pass"
    leaks = _record(planted, "leaks_global_state")["leaks"]
    assert leaks.keys() == {"torch"}
    assert "print options: precision 4 -> 1" in leaks["torch"]
    assert "global module hooks _global_forward_hooks: 0 -> 1 registered" in leaks["torch"]


def test_the_confirmation_rerun_runs_in_a_fresh_process(planted: dict[str, Any]) -> None:
    r = _record(planted, "diverges_only_after_the_planter")
    assert r["status"] == "flaky" and r["attempts"] == ["diverge", "pass"]


def test_the_run_reports_every_item_and_leaves_no_process(planted: dict[str, Any]) -> None:
    results = planted["results"]
    assert results["run"]["complete"], results["run"]["incomplete_reason"]
    assert len(results["records"]) == FAULTS.count("@scenario") + CRASH.count("@scenario")
    assert planted["proc"].returncode == 1  # the diverging, failing and timed-out items fail the run
    assert processes_with(planted["marker"]) == []
