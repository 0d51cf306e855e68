"""Whole-script scenarios (conformance/script_scenario.py): tokens, comparison, aliasing, errors, planted bugs.

Expected values come from real torch runs in the same test (a script's torch side), never from the
engine. Scripts that need no torch at all (the timeout and crash cases) keep the runs short.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.compare import Tolerance
from conformance.report.baseline import diff_results
from conformance.results import KIND, SCHEMA_VERSION, load_results, write_results
from conformance.scenario import ScenarioError
from conformance.script_scenario import (
    DEFAULT_TOLERANCE,
    Number,
    ScriptRun,
    ScriptScenario,
    compare_outputs,
    compare_runs,
    load_script,
    run_script,
    run_script_item,
    tokenize,
)
from tests.conformance.helpers import ROOT, write

SCRIPTS = ROOT / "scenarios" / "scripts"


def _bad_lines(torch_out: str, engine_out: str, tol: Tolerance = DEFAULT_TOLERANCE) -> list[tuple[str, str]]:
    return [(d.label, d.kind) for d in compare_outputs(torch_out, engine_out, tol) if not d.ok]


# -- tokens ----------------------------------------------------------------------------------------------


def test_tensor_reprs_parse_into_numbers_and_exact_text() -> None:
    toks = tokenize("tensor([[ 0.1234, -5.0000e-01,     nan,    -inf]], grad_fn=<MulBackward0>)")
    nums = [t for t in toks if isinstance(t, Number)]
    assert [n.text for n in nums] == ["0.1234", "-5.0000e-01", "nan", "-inf"]
    assert nums[0].value == 0.1234 and nums[0].resolution == pytest.approx(1e-4)
    assert nums[1].value == -0.5 and nums[1].resolution == pytest.approx(1e-5)
    assert math.isnan(nums[2].value) and nums[3].value == -math.inf
    words = [t for t in toks if isinstance(t, str)]
    assert words == [
        "tensor",
        "(",
        "[",
        "[",
        ",",
        ",",
        ",",
        "]",
        "]",
        ",",
        "grad_fn",
        "=",
        "<",
        "MulBackward0",
        ">",
        ")",
    ]


def test_numbers_inside_names_stay_text_and_ints_are_exact() -> None:
    toks = tokenize("99 3238.30029296875 torch.float32 x^2 1e-05 <obj at 0x7f3a9c> torch.Size([2000, 3]) 5.")
    assert [t for t in toks if isinstance(t, str)][:4] == ["torch", ".", "float32", "x"]
    nums = {t.text: t for t in toks if isinstance(t, Number)}
    assert set(nums) == {"99", "3238.30029296875", "2", "1e-05", "2000", "3", "5."}
    assert not nums["99"].is_float and nums["99"].resolution == 0
    assert nums["1e-05"].is_float and nums["5."].is_float and nums["5."].resolution == 0  # torch's int-mode "5."
    assert "0x?" in toks  # memory addresses never compare


# -- comparing outputs -----------------------------------------------------------------------------------


def test_number_beyond_tolerance_is_caught_and_within_passes() -> None:
    torch_out = "99 3238.30029296875\nResult: y = 0.05862 + 0.8372474908828735 x\n"
    assert _bad_lines(torch_out, "99 3238.3007\nResult: y = 0.05862 + 0.8372475 x\n") == []
    bad = compare_outputs(torch_out, "99 3238.35\nResult: y = 0.05862 + 0.8372474908828735 x\n", DEFAULT_TOLERANCE)
    assert [(d.label, d.kind, d.ok) for d in bad] == [("stdout line 1", "numbers", False),
                                                      ("stdout line 2", "numbers", True)]  # fmt: skip
    detail = bad[0].detail(DEFAULT_TOLERANCE)
    assert "number 2: engine 3238.35 vs torch 3238.30029296875" in detail and "abs 0.0497" in detail, detail
    # a declared looser tolerance lets the same difference through
    assert (
        _bad_lines(torch_out, "99 3238.35\nResult: y = 0.05862 + 0.8372474908828735 x\n", Tolerance(1e-4, 1e-5)) == []
    )


def test_printed_rounding_is_allowed_but_not_more() -> None:
    # 0.12345 prints as 0.1235 on one side and 0.1234 on the other: both sides agree within tolerance
    assert _bad_lines("tensor([0.1235, 2.0000])", "tensor([0.1234, 2.0000])") == []
    assert _bad_lines("tensor([0.1237, 2.0000])", "tensor([0.1234, 2.0000])") == [("stdout line 1", "numbers")]


def test_changed_word_missing_line_and_int_vs_float_are_caught() -> None:
    assert _bad_lines("loss 1.5\n", "Loss 1.5\n") == [("stdout line 1", "text")]
    assert _bad_lines("a 1\nb 2\nc 3\n", "a 1\nc 3\n") == [("stdout line 2", "missing")]
    assert _bad_lines("a 1\n", "a 1\nwarning\n") == [("stdout line 2 (engine)", "extra")]
    assert _bad_lines("tensor(5.)", "tensor(5)") == [("stdout line 1", "text")]
    assert _bad_lines("x  =  1", "x = 1") == []  # whitespace only separates tokens (tensor reprs pad columns)
    assert _bad_lines("nan inf -inf", "nan inf -inf") == []
    assert _bad_lines("nan inf", "1.0 inf") == [("stdout line 1", "numbers")]
    assert _bad_lines("inf", "-inf") == [("stdout line 1", "numbers")]


# -- settings --------------------------------------------------------------------------------------------


def test_settings_defaults_and_malformed_headers(tmp_path: Path) -> None:
    plain = load_script(write(tmp_path, "plain.py", "print(1)\n"))
    assert plain.tolerance == DEFAULT_TOLERANCE and plain.timeout_s == 60 and plain.tags == ("script",)
    assert plain.item_id == "plain[script-cpu-numpy]"
    ok = load_script(write(tmp_path, "ok.py", """\
        # conformance: tags = ["training"]
        # conformance: rtol = 1e-5
        # conformance: tolerance_reason = "sums in another order"
        # conformance: timeout_s = 5
        print(1)
        """))  # fmt: skip
    assert ok.tolerance == Tolerance(1e-5, 1e-5, "sums in another order") and ok.timeout_s == 5
    assert ok.tags == ("script", "training")
    cases = {
        "# conformance: rtol = 1e-3\n": "ok_no_reason.py:1: a tolerance looser than the defaults",
        "print(0)\n# conformance: colour = 1\n": "unknown setting 'colour'",
        "# conformance: tags = ['nope']\n": "unknown tag ['nope']",
        "# conformance: timeout_s = 0\n": "bad timeout_s 0",
        "# conformance: rtol = \n": "bad setting",
    }
    for text, error in cases.items():
        with pytest.raises(ScenarioError, match=None) as info:
            load_script(write(tmp_path, "ok_no_reason.py", text))
        assert error in str(info.value), (text, str(info.value))


# -- running: aliasing, crashes, hangs -------------------------------------------------------------------

ALIASING = """\
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.autograd
import torch.random
from torch import nn as nn2, optim

print("tensor type", type(torch.tensor(1.0)).__module__)
print("linear", nn.Linear.__module__, nn is nn2, nn is sys.modules["torch.nn"])
print("functional", F.__name__, optim.__name__, torch.autograd.Function.__module__, torch.random.__name__)
print("torch modules", sorted({getattr(m, "__name__", "?").split(".")[0]
                              for n, m in sys.modules.items() if n == "torch" or n.startswith("torch.")}))
print("argv", sys.argv[0].endswith("aliasing.py"), __name__)
import torch.distributions
from torch.optim.lr_scheduler import StepLR
print("submodules", torch.distributions.__name__, StepLR.__module__)
try:
    import torch.fx
except ImportError as exc:
    print("missing", type(exc).__name__, exc)
"""


def test_engine_side_imports_resolve_to_reference_engine(tmp_path: Path) -> None:
    run = run_script(write(tmp_path, "aliasing.py", ALIASING), "engine", timeout_s=60)
    assert run.exit_code == 0 and run.exception is None, run.stderr
    assert run.torch_module == "reference_engine" and run.foreign_torch_modules == []
    lines = run.stdout.splitlines()
    assert lines[0] == "tensor type reference_engine.tensor"
    assert lines[1].startswith("linear reference_engine.nn.") and lines[1].endswith("True True")
    assert lines[2] == ("functional reference_engine.nn.functional reference_engine.optim "
                        "reference_engine.autograd.function reference_engine.random")  # fmt: skip
    assert lines[3] == "torch modules ['reference_engine']"  # real torch never loaded
    assert lines[4] == "argv True __main__"
    assert lines[5] == "submodules reference_engine.distributions reference_engine.optim.lr_scheduler"
    assert lines[6] == "missing ModuleNotFoundError No module named 'torch.fx'"


def test_a_hanging_script_is_a_timeout_with_what_it_printed(tmp_path: Path) -> None:
    path = write(tmp_path, "hangs.py", """\
        # conformance: timeout_s = 2
        import time
        print("started", flush=True)
        time.sleep(60)
        """)  # fmt: skip
    result = run_script_item(load_script(path))
    assert result.status == "timeout"
    assert "script 'hangs' on torch ran longer than 2 s" in result.message and "started" in result.message
    assert result.torch.wall_s < 30 and result.engine is None  # killed, and the engine side is not started
    assert result.record.status == "timeout" and result.record.id == "hangs[script-cpu-numpy]"


def test_a_crashing_script_is_an_error_with_its_message(tmp_path: Path) -> None:
    path = write(tmp_path, "crashes.py", """\
        import os
        print("about to crash", flush=True)
        os.abort()
        """)  # fmt: skip
    result = run_script_item(load_script(path))
    assert result.status == "runner-error"
    assert "the torch run crashed: killed by SIGABRT" in result.message and "about to crash" in result.message


def test_the_same_exception_on_both_sides_agrees_and_a_different_one_diverges(tmp_path: Path) -> None:
    # No torch import needed: the two sides differ only in what `import torch` would give.
    same = run_script_item(
        load_script(write(tmp_path, "raises.py", "print('x = 1.5')\nraise ValueError('bad 0x1f')\n"))
    )
    assert same.status == "pass", same.message
    assert same.record.errors == {"torch": "ValueError: bad 0x?", "engine": "ValueError: bad 0x?"}
    differ = write(tmp_path, "differs.py", """\
        import os
        if os.environ.get("CONFORMANCE_ENGINE_ROOT"):  # set on the engine side only
            raise RuntimeError("engine only")
        """)  # fmt: skip
    result = run_script_item(load_script(differ))
    assert result.status == "diverge"
    assert "- <script> [error]: error differs" in result.message and "RuntimeError: engine only" in result.message


# -- planted engine bugs ---------------------------------------------------------------------------------

MUL_BUG = """\
# A planted engine bug: every Tensor product is 1e-4 too large.
from reference_engine.tensor import Tensor

_mul = Tensor.__mul__
Tensor.__mul__ = lambda self, other: _mul(_mul(self, other), 1.0001)
"""

STEP_BUG = """\
# A planted engine bug: the in-place update `w -= lr * w.grad` (the tutorial's SGD step) goes 0.1% too far.
from reference_engine.tensor import Tensor

_isub = Tensor.__isub__
Tensor.__isub__ = lambda self, other: _isub(self, other * 1.001)
"""


@pytest.fixture(scope="module")
def autograd_tutorial() -> tuple[ScriptScenario, ScriptRun]:
    """The autograd tutorial's real torch run, shared by the tests that compare engine runs against it."""
    sc = load_script(SCRIPTS / "tutorial_autograd.py")
    return sc, run_script(sc.path, "torch", sc.timeout_s)


@pytest.mark.parametrize("bug", [MUL_BUG, STEP_BUG], ids=["mul", "sgd-step"])
def test_planted_engine_bug_is_caught(
    tmp_path: Path, autograd_tutorial: tuple[ScriptScenario, ScriptRun], bug: str
) -> None:
    sc, torch_run = autograd_tutorial
    planted = run_script(sc.path, "engine", sc.timeout_s, preload=write(tmp_path, "bug.py", bug))
    assert planted.torch_module == "reference_engine" and planted.exit_code == 0, planted.stderr
    verdict, lines = compare_runs(torch_run, planted, sc.tolerance)
    assert not verdict.agree
    assert verdict.differences[0].field == "stdout" and "numbers differ" in verdict.differences[0].detail
    assert sum(not ld.ok for ld in lines) >= 5  # the losses drift apart over the run, not one unlucky line


def test_unperturbed_engine_agrees_and_torch_side_is_plain_python(
    autograd_tutorial: tuple[ScriptScenario, ScriptRun],
) -> None:
    sc, torch_run = autograd_tutorial
    clean = run_script(sc.path, "engine", sc.timeout_s)
    verdict, _ = compare_runs(torch_run, clean, sc.tolerance)
    assert verdict.agree, verdict.describe()  # the control for the planted bugs above
    # The promise to contributors: a script is an ordinary file, and its torch side is `python <script>`.
    plain = subprocess.run([sys.executable, str(sc.path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert plain.returncode == 0, plain.stderr
    assert torch_run.stdout == plain.stdout and torch_run.exit_code == 0 and torch_run.torch_module == "torch"
    for script in sorted(SCRIPTS.glob("*.py")):
        load_script(script)  # every library script's settings parse


# -- the plugin: items, results.json, HTML, baseline, registry, xdist ------------------------------------

AGREE = """\
# no torch import: the same on both sides, and quick (the library scripts exercise real torch)
for step in (99, 199, 299):
    print(step, 1.0 / (step + 1))
"""

DIFFERS = """\
import torch
print("tensor class from", type(torch.tensor(1.0)).__module__.split(".")[0])
"""

ENGINE_SIDE = """\
import os
print("engine side:", bool(os.environ.get("CONFORMANCE_ENGINE_ROOT")))  # differs without importing torch
"""


def test_plugin_runs_scripts_under_xdist_and_reports_them(tmp_path: Path) -> None:
    write(tmp_path / "scenarios" / "scripts", "agree.py", AGREE)
    write(tmp_path / "scenarios" / "scripts", "differs.py", DIFFERS)
    write(tmp_path / "scenarios" / "scripts", "known.py", ENGINE_SIDE)
    write(tmp_path / "scenarios", "expected_divergences.toml", """\
        [[divergence]]
        scenario = "known"
        reason = "the class's module names the engine"
        """)  # fmt: skip
    baseline = {"kind": KIND, "schema_version": SCHEMA_VERSION, "run": {"complete": True}, "counts": {}, "records": []}
    write_results(baseline, tmp_path / "reports" / "baseline.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])  # this checkout's conformance
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--conformance-no-rerun",
           "--conformance-reports", str(tmp_path / "reports"), "scenarios"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "1 failed, 2 passed, 1 xfailed" in out, out  # agree, the registry check; differs; known
    # the failure starts with the first differing line, then names the script and its file
    assert "script differs[script-cpu-numpy] (scenarios/scripts/differs.py:1)" in out
    assert "\nstdout line 1 [" in out
    assert "NEW      differs[script-cpu-numpy]: absent -> diverge" in out  # not in the baseline: new, not a crash
    results = load_results(tmp_path / "reports" / "results.json")
    assert results["run"]["complete"], results["run"]
    by_id = {r["id"]: r for r in results["records"]}
    assert {i: r["status"] for i, r in by_id.items()} == {
        "agree[script-cpu-numpy]": "pass", "differs[script-cpu-numpy]": "diverge", "known[script-cpu-numpy]": "xfail",
    }  # fmt: skip
    assert by_id["agree[script-cpu-numpy]"]["curves"]["printed"]["steps"] == [99, 199, 299]
    bad = by_id["differs[script-cpu-numpy]"]
    assert bad["first_divergence"] == "stdout line 1" and bad["differences"][0]["torch"] == "tensor class from torch"
    assert bad["differences"][0]["engine"] == "tensor class from reference_engine"
    assert bad["duration"]["torch"] > 0 and bad["duration"]["engine"] > 0
    # the reproducer is the script itself (standalone torch), headed by the comparison's settings
    assert bad["reproducer"].endswith(bad["source"]) and "rtol=" in bad["reproducer"]
    html = (tmp_path / "reports" / "conformance.html").read_text(encoding="utf-8")
    assert "differs[script-cpu-numpy]" in html and "tensor class from reference_engine" in html
    diff = diff_results(baseline, results)
    assert diff.new == [("differs[script-cpu-numpy]", "absent", "diverge")]
    assert diff.still == [("known[script-cpu-numpy]", "absent", "xfail")]


def test_a_script_named_on_the_command_line_is_not_imported_by_pytest(tmp_path: Path) -> None:
    write(tmp_path / "scenarios" / "scripts", "loud.py", "print('THE SCRIPT RAN')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "--co", "-q", "-s",
           "--conformance-reports", str(tmp_path / "reports"), "scenarios/scripts/loud.py"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "loud[script-cpu-numpy]" in proc.stdout and "THE SCRIPT RAN" not in proc.stdout + proc.stderr
