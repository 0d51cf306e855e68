"""The seed's training script (its 案例 section) on torch and on the engine, from the same initial weights.

The script body below is the seed's, unchanged except that the module it
runs on is a parameter and the initial weights are loaded right after the
model is built. Expected values come from the torch run in the same test.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import reference_engine
import reference_engine.nn
from conformance.compare import Tolerance, compare_arrays


def seed_script(torch: Any, init_state: Callable[[Any], None], print: Callable[..., None]) -> Any:
    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    init_state(model)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    for t in range(2000):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            print(t, loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    print(
        f"Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + "
        f"{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3"
    )
    return model


def _run_script(module: Any, state: dict[str, np.ndarray]) -> list[str]:
    lines: list[str] = []

    def capture(*args: Any) -> None:
        lines.append(" ".join(str(a) for a in args))

    def init_state(model: Any) -> None:
        model.load_state_dict({k: module.tensor(v.copy()) for k, v in state.items()})

    seed_script(module, init_state, capture)
    return lines


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
