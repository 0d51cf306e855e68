"""The differential runner: planted engine bugs are caught with the right values, errors are compared,
malformed scenarios fail at collection, and xdist workers' results merge into one report.

Expected values come from real torch, run in the test itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import reference_engine
import reference_engine.autograd as engine_autograd
from conformance import cli
from conformance.backends import CPU_PAIR
from conformance.loader import load_scenario_file
from conformance.results import to_jsonable
from conformance.runner import run_item
from conformance.scenario import Scenario, ScenarioError
from reference_engine.autograd import graph
from reference_engine.ops import pointwise
from tests.conformance.helpers import SCENARIOS, inline, nested_pytest, run_cpu


def _library(*files: str) -> dict[str, Scenario]:
    return {sc.name: sc for f in files for sc in load_scenario_file(SCENARIOS / f)}


def _statuses(library: dict[str, Scenario]) -> dict[str, str]:
    return {name: run_cpu(sc).status for name, sc in library.items()}


# -- planted bugs ------------------------------------------------------------


def _relu_passes_grad_where_result_is_zero(self: object, grad: reference_engine.Tensor) -> tuple:
    return (grad * (self.saved("result") >= 0),)  # the bug: relu' = 1 wherever relu(x) = 0


def test_planted_relu_bug_flags_exactly_the_relu_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    library = _library("ops_and_reductions.py", "seed_examples.py", "broadcasting.py")
    before = _statuses(library)
    monkeypatch.setattr(pointwise.ReluBackward0, "apply", _relu_passes_grad_where_result_is_zero)
    after = _statuses(library)
    newly_divergent = {n for n in library if before[n] == "pass" and after[n] == "diverge"}
    assert newly_divergent == {"relu_gradient_at_zero"}

    result = run_cpu(library["relu_gradient_at_zero"])
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.relu(x).sum().backward()
    worst = result.verdict.worst
    assert (worst.label, worst.field, worst.worst_index) == ("x.grad", "value", [0])
    assert result.verdict.mismatched == 2  # x = -1 and x = 0
    assert worst.torch.startswith(np.array2string(x.grad.numpy(), precision=8))
    assert worst.engine.startswith("[1. 1. 1.]")
    assert "worst at (0,): actual 1.0 vs expected 0.0" in result.message


def _accumulate_by_overwriting(self: object, grad: reference_engine.Tensor, owned: bool = False) -> tuple:
    if grad is not None:
        self.variable._grad = reference_engine.Tensor._make(grad._data.copy())  # the bug: no accumulation
    return ()


def test_planted_no_accumulation_bug_reports_the_torch_and_engine_grads(monkeypatch: pytest.MonkeyPatch) -> None:
    library = _library("seed_examples.py", "accumulation.py")
    assert run_cpu(library["retain_graph_accumulates"]).status == "pass"
    monkeypatch.setattr(graph.AccumulateGrad, "apply", _accumulate_by_overwriting)
    result = run_cpu(library["retain_graph_accumulates"])
    assert result.status == "diverge"
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    for _ in range(2):
        y.backward(torch.tensor([1, 2, 2]), retain_graph=True)
    bad = {d.label for d in result.verdict.differences}
    assert "x.grad" in bad and "x.grad after one" not in bad
    diff = next(d for d in result.verdict.differences if d.label == "x.grad" and d.field == "value")
    assert diff.torch.startswith(np.array2string(x.grad.numpy(), precision=8))
    assert diff.engine.startswith(np.array2string((x.grad / 2).numpy(), precision=8))
    # zero_() between the calls hides the bug: that scenario must still agree.
    assert run_cpu(library["zero_grad_between_backward_calls"]).status == "pass"
    # The claim carried from the seed post now matches torch but not the engine.
    claim = result.verdict.claims[0]
    assert (claim.claim_vs_torch, claim.claim_vs_engine) == ("claim agrees with torch", "claim disagrees with engine")


def test_error_message_mismatch_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = engine_autograd._implicit_seed  # the seed backward() makes for an output, and its errors

    def reworded(output: reference_engine.Tensor) -> reference_engine.Tensor:
        try:
            return real(output)
        except RuntimeError as exc:
            raise RuntimeError(str(exc).replace("scalar outputs", "scalars")) from None

    sc = _library("seed_examples.py")["non_scalar_backward_without_seed"]
    assert run_cpu(sc).status == "pass"
    monkeypatch.setattr(engine_autograd, "_implicit_seed", reworded)
    result = run_cpu(sc)
    assert result.status == "diverge"
    with pytest.raises(RuntimeError) as torch_error:
        (torch.tensor([1.0, 2.0], requires_grad=True) * 2).backward()
    err = next(d for d in result.verdict.differences if d.field == "error")
    assert str(torch_error.value) in err.torch
    assert "grad can be implicitly created only for scalars" in err.engine


def test_error_type_mismatch_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong_type(output: reference_engine.Tensor) -> reference_engine.Tensor:
        raise ValueError("grad can be implicitly created only for scalar outputs")

    monkeypatch.setattr(engine_autograd, "_implicit_seed", wrong_type)
    result = run_cpu(_library("seed_examples.py")["non_scalar_backward_without_seed"])
    assert result.status == "diverge"
    assert result.record.errors["engine"].startswith("ValueError:")
    assert result.record.errors["torch"].startswith("RuntimeError:")


# -- claims, seeding, timeouts, expected divergences ---------------------------


def test_seed_integer_grad_claim_disagrees_with_torch() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor(2, requires_grad=True)
    result = run_cpu(_library("seed_examples.py")["integer_tensor_requires_grad"])
    (claim,) = result.verdict.claims
    assert claim.claim_vs_torch == "claim disagrees with torch"
    assert "floating point" in claim.torch
    assert result.record.claims[0]["claim_vs_torch"] == "claim disagrees with torch"


def test_passing_verdict_keeps_margin_and_worst_element_as_plain_data() -> None:
    result = run_cpu(_library("ops_and_reductions.py")["smooth_functions_chain"])
    assert result.status == "pass"
    assert 0.0 <= result.verdict.margin <= 1.0
    assert result.verdict.worst is not None and result.verdict.mismatched == 0
    record = json.loads(json.dumps(to_jsonable(result.record.to_json())))
    assert record["margin"] == result.verdict.margin and record["worst"]["label"] == result.verdict.worst.label


def test_data_is_identical_on_both_engines_and_reproducible() -> None:
    def noisy(torch, check):
        check("x", check.data((5,)))
        check("y", check.data((2, 2), seed=3))

    sc = inline(noisy, tags=["seeds"])
    first, second = run_cpu(sc), run_cpu(sc)
    assert first.status == "pass" and first.verdict.margin == 0.0
    np.testing.assert_array_equal(first.torch.entries[0].value, second.engine.entries[0].value)
    np.testing.assert_array_equal(
        first.torch.entries[1].value, np.random.default_rng(3).uniform(-1, 1, (2, 2)).astype(np.float32)
    )


def test_hanging_scenario_times_out_and_is_recorded() -> None:
    def hangs(torch, check):
        while True:
            pass

    sc = inline(hangs, tags=["errors"], timeout_s=0.3)
    result = run_cpu(sc)
    assert result.status == "timeout"
    assert result.record.status == "timeout" and "0.3 s" in result.message


def test_expected_divergence_is_xfail_and_a_fixed_one_is_xpass() -> None:
    def names_its_module(torch, check):
        check("module", torch.__name__)

    diverging = inline(names_its_module, tags=["errors"])
    result = run_item(diverging, "float32", CPU_PAIR, "x", expected_divergence="module names differ")
    assert result.status == "xfail"
    agreeing = inline(lambda torch, check: check("one", 1), tags=["errors"])
    assert run_item(agreeing, "float32", CPU_PAIR, "y", expected_divergence="was broken").status == "xpass"


def test_tolerance_override_and_widening_are_applied() -> None:
    def close(torch, check):
        check("v", 1.0 + (1e-4 if torch.__name__ == "reference_engine" else 0.0))
        check("w", 1.0 + (1e-4 if torch.__name__ == "reference_engine" else 0.0), widen=100)

    default = run_cpu(inline(close, tags=["training"], dtypes=["float64"]), "float64")
    assert {d.label for d in default.verdict.differences} == {"v", "w"}
    loose = inline(close, tags=["training"], dtypes=["float64"], tolerance=(1e-6, 1e-6), tolerance_reason="test")
    result = run_cpu(loose, "float64")
    assert [d.label for d in result.verdict.differences] == ["v"]
    assert 0 < result.verdict.margin and result.verdict.worst.label == "v"


# -- malformed scenarios -------------------------------------------------------

MALFORMED = {
    "unknown_tag.py": ("@scenario(tags=['nonsense'])\ndef a(torch, check):\n    pass\n", "unknown tag", 1),
    "bad_tolerance.py": (
        "@scenario(tags=['errors'], tolerance=(1e-3,), tolerance_reason='r')\ndef b(torch, check):\n    pass\n",
        "bad tolerance", 1,
    ),
    "no_reason.py": ("@scenario(tags=['errors'], tolerance=(1e-3, 0))\ndef c(torch, check):\n    pass\n", "reason", 1),
    "syntax.py": ("@scenario(tags=['errors'])\ndef d(torch, check:\n    pass\n", "syntax error", 2),
    "not_callable.py": ("x = 3\nscenario(tags=['errors'])(x)\n", "plain function", 2),
    "wrong_args.py": ("@scenario(tags=['errors'])\ndef e(torch):\n    pass\n", "two arguments", 1),
    "dupe_in_file.py": (
        "@scenario(tags=['errors'])\ndef f(torch, check):\n    pass\n\n\n@scenario(tags=['errors'], name='f')\n"
        "def g(torch, check):\n    pass\n",
        "duplicate scenario name 'f'", 6,
    ),
}  # fmt: skip


def _scenario_file(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text("from conformance import scenario\n\n" + body)
    return path


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_scenario_error_names_file_and_line(tmp_path: Path, name: str) -> None:
    body, needle, line = MALFORMED[name]
    path = _scenario_file(tmp_path, name, body)
    with pytest.raises(ScenarioError) as exc:
        load_scenario_file(path)
    assert needle in str(exc.value)
    assert f"{path}:{line + 2}" in str(exc.value)  # +2: the import line and a blank line


def test_malformed_files_fail_collection_without_runner_traceback(tmp_path: Path) -> None:
    sdir = tmp_path / "scenarios"
    sdir.mkdir()
    for name, (body, _, _) in MALFORMED.items():
        _scenario_file(sdir, name, body)
    _scenario_file(sdir, "ok_one.py", "@scenario(tags=['errors'])\ndef shared_name(torch, check):\n    pass\n")
    _scenario_file(sdir, "ok_two.py", "@scenario(tags=['errors'])\ndef shared_name(torch, check):\n    pass\n")
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--collect-only", "-q", "scenarios")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for name, (_, needle, line) in MALFORMED.items():
        assert f"{name}:{line + 2}" in out and needle in out, name
    assert "duplicate scenario name 'shared_name'" in out and "ok_one.py:3" in out
    assert "conformance/loader.py" not in out and "conformance/plugin.py" not in out


# -- xdist -------------------------------------------------------------------

TINY = """\
@scenario(tags=["accumulation"], dtypes=["float32", "float64"])
def doubles(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["errors"])
def module_name(torch, check):
    check("name", torch.__name__)


@scenario(tags=["errors"])
def module_name_known(torch, check):
    check("name <script>", torch.__name__)
"""
EXPECTED_TOML = '[[divergence]]\nscenario = "module_name_known"\nreason = "the namespaces have different names"\n'


def _tiny_run(tmp_path: Path, mode: list[str]) -> dict:
    sdir = tmp_path / "scenarios"
    sdir.mkdir(parents=True, exist_ok=True)
    _scenario_file(sdir, "tiny.py", TINY)
    (sdir / "expected_divergences.toml").write_text(EXPECTED_TOML)
    proc = nested_pytest(tmp_path, *mode, "--conformance-in-process", "scenarios")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # module_name diverges
    return json.loads((tmp_path / "reports" / "results.json").read_text())


def test_results_merge_under_xdist_matches_a_single_process_run(tmp_path: Path) -> None:
    parallel = _tiny_run(tmp_path / "a", ["-n", "2"])
    serial = _tiny_run(tmp_path / "b", ["-p", "no:xdist"])
    assert parallel["run"]["sources"] and set(parallel["run"]["sources"]) <= {"gw0.jsonl", "gw1.jsonl"}
    assert serial["run"]["sources"] == ["main.jsonl"]

    def summary(results: dict) -> dict[str, str]:
        return {r["id"]: r["status"] for r in results["records"]}

    assert (
        summary(parallel)
        == summary(serial)
        == {
            "doubles[float32-cpu-numpy]": "pass",
            "doubles[float64-cpu-numpy]": "pass",
            "module_name[float32-cpu-numpy]": "diverge",
            "module_name_known[float32-cpu-numpy]": "xfail",
        }
    )
    assert parallel["counts"] == serial["counts"] == {"pass": 2, "diverge": 1, "xfail": 1}
    html = (tmp_path / "a" / "reports" / "conformance.html").read_text()
    assert all(r["id"] in html for r in parallel["records"])
    assert "&lt;script&gt;" in html and html.count("<script") == 1  # only the report's own filtering script


def test_stale_expected_divergence_entry_fails(tmp_path: Path) -> None:
    sdir = tmp_path / "scenarios"
    sdir.mkdir()
    _scenario_file(sdir, "tiny.py", "@scenario(tags=['errors'])\ndef fine(torch, check):\n    check('one', 1)\n")
    (sdir / "expected_divergences.toml").write_text(
        '[[divergence]]\nscenario = "gone"\nreason = "r"\n\n'
        '[[divergence]]\ngenerated = "no_such_check"\nmatch = "x"\nreason = "r"\n\n'
        '[[divergence]]\ngenerated = "programs"\nmatch = "x0.grad"\nreason = "a known check: not stale"\n'
    )
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "scenarios")
    assert proc.returncode == 1
    assert "[[divergence]] #1: matches no scenario (scenario='gone'" in proc.stdout
    assert "[[divergence]] #2: matches no generated check (generated='no_such_check'" in proc.stdout
    assert "#3" not in proc.stdout


def test_readable_item_ids(tmp_path: Path) -> None:
    sdir = tmp_path / "scenarios"
    sdir.mkdir()
    _scenario_file(sdir, "tiny.py", TINY)
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--collect-only", "-q", "scenarios", "-k", "doubles")
    assert "scenarios/tiny.py::doubles[float32-cpu-numpy]" in proc.stdout
    assert "scenarios/tiny.py::doubles[float64-cpu-numpy]" in proc.stdout
    items = [line for line in proc.stdout.splitlines() if "::" in line]
    assert len(items) == 2


CRASHING = """\
import os


@scenario(tags=["errors"])
def kills_its_worker(torch, check):
    os._exit(3)


@scenario(tags=["errors"])
def survives(torch, check):
    check("one", torch.ones(2))
"""


def test_crashed_worker_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    sdir = tmp_path / "scenarios"
    sdir.mkdir()
    _scenario_file(sdir, "crash.py", CRASHING)
    proc = nested_pytest(tmp_path, "-n", "2", "scenarios")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert {r["id"]: r["status"] for r in results["records"]} == {
        "kills_its_worker[float32-cpu-numpy]": "crashed",
        "survives[float32-cpu-numpy]": "pass",
    }


def test_cli_show_prints_both_sides_and_fails_on_divergence(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _scenario_file(tmp_path, "tiny.py", TINY)
    assert cli.main(["show", "doubles", "--dtype", "float64", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "doubles [float64, cpu-numpy]" in out and out.count("[2. 2.] (float64, shape [2])") == 2
    assert cli.main(["show", "module_name", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "torch : 'torch'" in out and "engine: 'reference_engine'" in out
    assert cli.main(["show", "nonexistent", "--dir", str(tmp_path)]) == 2


def test_cli_lists_and_shows_whole_scripts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _scenario_file(tmp_path, "tiny.py", TINY)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "prints.py").write_text(
        "import torch\ntorch.manual_seed(0)\nprint(torch.randn(3).sum().item())\n", encoding="utf-8"
    )
    (tmp_path / "scripts" / "names.py").write_text("import torch\nprint(torch.__name__)\n", encoding="utf-8")
    assert cli.main(["list", "--dir", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    assert "doubles" in listed and "prints" in listed and "names" in listed
    assert cli.main(["show", "prints", "--dir", str(tmp_path)]) == 0
    assert "prints [script, cpu-numpy]" in capsys.readouterr().out
    assert cli.main(["show", "names", "--dir", str(tmp_path)]) == 1  # 'torch' vs 'reference_engine'
    out = capsys.readouterr().out
    assert "diverge" in out and "reference_engine" in out
