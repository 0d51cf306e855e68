"""The seed's training script (its 案例 section) on torch and on the engine, from the same initial weights.

The script's own code runs (scenarios/scripts/seed_training.py, through runpy) with ``torch`` bound to
the module under test and its output captured; the one hook is ``nn.Sequential``, which loads the
initial weights right after the model is built. Expected values come from the torch run in the same test.
"""

from __future__ import annotations

import contextlib
import io
import re
import runpy
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import torch

import reference_engine
import reference_engine.nn
from conformance.compare import Tolerance, compare_arrays

SCRIPT = Path(__file__).resolve().parents[2] / "scenarios" / "scripts" / "seed_training.py"


def _run_script(module: Any, state: dict[str, np.ndarray]) -> list[str]:
    """The lines the script prints when ``import torch`` gives ``module`` and the model starts from ``state``."""
    base = module.nn.Sequential

    class SeededSequential(base):
        def __init__(self, *layers: Any) -> None:
            super().__init__(*layers)
            self.load_state_dict({k: module.tensor(v.copy()) for k, v in state.items()})

    out = io.StringIO()
    with (
        mock.patch.dict(sys.modules, {"torch": module}),
        mock.patch.object(module.nn, "Sequential", SeededSequential),
        contextlib.redirect_stdout(out),
    ):
        runpy.run_path(str(SCRIPT))
    return out.getvalue().splitlines()


def _numbers(line: str) -> list[float]:
    return [float(s) for s in re.findall(r"-?\d+\.\d+(?:e-?\d+)?|-?\d+", line)]


def test_seed_training_matches_torch() -> None:
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    state = {k: v.detach().numpy().copy() for k, v in ref.state_dict().items()}
    expected = _run_script(torch, state)
    actual = _run_script(reference_engine, state)
    assert len(actual) == len(expected) == 21
    for a_line, e_line in zip(actual[:-1], expected[:-1], strict=True):
        (ta, la), (te, le) = _numbers(a_line), _numbers(e_line)
        assert ta == te
        assert f"{la:.4g}" == f"{le:.4g}" or abs(la - le) <= 5e-4 * abs(le), (a_line, e_line)
    coef_a, coef_e = _numbers(actual[-1]), _numbers(expected[-1])
    diff = compare_arrays(np.array(coef_a[:4]), np.array(coef_e[:4]), _rel_tolerance(1e-4))
    assert diff.ok, diff.describe()


def _rel_tolerance(rtol: float) -> Tolerance:
    return Tolerance(rtol=rtol, atol=0.0, reason="seed acceptance: final coefficients within 1e-4 relative")
