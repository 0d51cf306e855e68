"""`conformance repro ITEM`: a standalone script that needs only torch, for a scenario function and for a whole
script, run in a fresh folder by a subprocess with plain torch and nothing of the project on the path."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.details import enrich
from conformance.loader import load_scenario_file
from conformance.record import MAX_TEXT
from conformance.report.merge import merge
from conformance.results import append_record, write_results
from tests.conformance.helpers import run_cpu, write

POW = """\
from conformance import scenario

SCALE = 3.0


def helper(x):
    return x ** 3 * SCALE


@scenario(tags=["pointwise"], dtypes=["float32", "float64"])
def pow_grad(torch, check):
    x = check.data((3, 4), requires_grad=True)
    n = torch.nn.Linear(4, 2)
    check.same_weights(n)
    y = helper(x).sum() + n(x).sum()
    check("y", y)
    y.backward()
    check("x.grad", x.grad)


@scenario(tags=["pointwise"])
def pow_large(torch, check):
    x = check.data((80, 80), requires_grad=True)
    (x ** 2).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["pointwise"])
def unrelated(torch, check):
    check("two", torch.ones(2) * 2)
"""

SCRIPT = """\
# conformance: rtol = 1e-5
# conformance: tolerance_reason = "printed with 4 digits"
import torch

torch.manual_seed(0)
w = torch.ones(3, requires_grad=True)
(w * torch.arange(3.0)).sum().backward()
print("grad", w.grad.tolist())
"""


def _standalone(path: Path) -> subprocess.CompletedProcess:
    """``python -I path`` in path's folder: no PYTHONPATH, no user site, so only installed torch is importable."""
    return subprocess.run([sys.executable, "-I", str(path)], cwd=path.parent, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def _no_project(text: str) -> None:
    assert not re.search(r"^\s*(from|import) (conformance|reference_engine)\b", text, re.M), text


@pytest.fixture
def planted_pow(monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted engine bug: PowBackward0's gradient 1% too large."""
    from reference_engine.ops import pointwise  # noqa: PLC0415

    original = pointwise.PowBackward0.apply

    def apply(self, grad):
        return tuple(None if g is None else g * 1.01 for g in original(self, grad))

    monkeypatch.setattr(pointwise.PowBackward0, "apply", apply)


def test_repro_of_a_divergent_scenario_runs_with_plain_torch_and_shows_the_difference(
    tmp_path: Path, planted_pow: None, capsys: pytest.CaptureFixture
) -> None:
    (sc, *_) = load_scenario_file(write(tmp_path / "scenarios", "pow.py", POW))
    result = run_cpu(sc, "float64")
    assert result.status == "diverge", result.message
    enrich(result.record, sc, result.torch, result.engine)
    append_record(tmp_path / "run" / "main.jsonl", result.record.to_json())
    write_results(merge(tmp_path / "run", {"complete": True, "not_run": []}), tmp_path / "results.json")

    out = tmp_path / "fresh" / "repro.py"
    out.parent.mkdir()
    item = "pow_grad[float64-cpu-numpy]"
    assert main(["repro", item, "--results", str(tmp_path / "results.json"), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    _no_project(text)
    assert "def helper(x):" in text and "SCALE = 3.0" in text and "def unrelated" not in text
    assert "@scenario" not in text
    run = _standalone(out)
    assert run.returncode == 1, run.stdout + run.stderr
    # torch computes y alike (no engine value recorded for it), the engine's recorded x.grad differs by 1%
    assert "y:\n  torch : tensor(" in run.stdout and "x.grad:" in run.stdout
    assert "Mismatched elements: 12 / 12" in run.stdout
    assert "reference_engine's recorded values differ from torch at: x.grad" in run.stdout
    # the numbers torch printed are the engine's recorded ones divided by 1.01 (the planted bug)
    recorded = next(c for c in result.record.checkpoints if c["label"] == "x.grad")
    assert recorded["margin"] > 1


def test_repro_of_an_item_not_in_the_results_runs_it_now(tmp_path: Path) -> None:
    sdir = tmp_path / "scenarios"
    write(sdir, "pow.py", POW)
    out = tmp_path / "fresh" / "repro.py"
    out.parent.mkdir()
    assert main(["repro", "pow_grad", "--dir", str(sdir), "--results", str(tmp_path / "none.json"),
                 "-o", str(out)]) == 0  # fmt: skip
    run = _standalone(out)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "torch computes the values reference_engine recorded" in run.stdout


def test_repro_of_a_script_is_the_script_with_its_settings(tmp_path: Path) -> None:
    sdir = tmp_path / "scenarios"
    write(sdir / "scripts", "grads.py", SCRIPT)
    out = tmp_path / "fresh" / "repro.py"
    out.parent.mkdir()
    assert main(["repro", "grads[script-cpu-numpy]", "--dir", str(sdir), "--results", str(tmp_path / "none.json"),
                 "-o", str(out)]) == 0  # fmt: skip
    text = out.read_text(encoding="utf-8")
    _no_project(text)
    assert text.endswith(SCRIPT) and "rtol=1e-05" in text
    run = _standalone(out)
    assert run.returncode == 0 and run.stdout == "grad [0.0, 1.0, 2.0]\n", run.stdout + run.stderr


def test_repro_of_an_unknown_item_suggests_the_name(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    sdir = tmp_path / "scenarios"
    write(sdir, "pow.py", POW)
    assert main(["repro", "pow_grd", "--dir", str(sdir), "--results", str(tmp_path / "none.json")]) == 2
    assert "did you mean 'pow_grad'?" in capsys.readouterr().err


def test_a_stored_reproducer_fits_its_record_and_still_runs(tmp_path: Path, planted_pow: None) -> None:
    sc = next(s for s in load_scenario_file(write(tmp_path / "scenarios", "pow.py", POW)) if s.name == "pow_large")
    result = run_cpu(sc, "float32")
    enrich(result.record, sc, result.torch, result.engine)
    text = result.record.reproducer
    assert text is not None and len(text) <= MAX_TEXT and "cut:" not in text  # 6,400 inputs: regenerated
    assert "np.random.default_rng(" in text
    run = _standalone(write(tmp_path / "fresh", "repro.py", text))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "x.grad [value]: the engine's value has 6400 elements" in run.stdout
