"""Generated expression programs and gradient seeds: the engine must match torch on every one.

Each ``@recorded`` test is one item ``<test name>[generated-cpu-numpy]`` in results.json and the report.

Also checks that a program is a faithful standalone torch script, and the finite-difference oracle's
labels on planted wrong derivatives.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings

from conformance.generated import recorded
from conformance.oracle import adjudicate
from conformance.strategies import Leaf, Program, Seed, Step, check_program, programs
from tests.helpers import budget


@recorded("programs")
@settings(max_examples=budget(450))
@given(programs(dtypes=("float32",)))
def test_generated_float32_programs_match_torch(program: Program) -> None:
    check_program(program)


@recorded("programs")
@settings(max_examples=budget(450))
@given(programs(dtypes=("float64",)))
def test_generated_float64_programs_match_torch(program: Program) -> None:
    check_program(program)


@recorded("programs")
@settings(max_examples=budget(300))
@given(programs(max_steps=2))
def test_generated_gradient_seeds_match_torch(program: Program) -> None:
    # Short programs, so the seed (implicit, explicit, other dtype, wrong shape) is what varies most.
    check_program(program)


def _relu_program() -> Program:
    leaf = Leaf("x0", (-1.0, 0.0, 2.0), (3,), "float32", True)
    return Program((leaf,), (Step("v0", "torch.relu(x0)", (3,), "float32"),), Seed("implicit"), "float32")


def test_to_source_is_a_standalone_script_that_torch_runs() -> None:
    program = _relu_program()
    env: dict = {}
    exec(program.to_source().replace("print(", "(lambda *a: None)("), env)  # a real, fresh `import torch`
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.relu(x).sum().backward()
    np.testing.assert_array_equal(env["x0"].grad.numpy(), x.grad.numpy())
    np.testing.assert_array_equal(program.run(torch)["x0.grad"], x.grad.numpy())


def _sin(values: dict[str, np.ndarray]) -> float:
    return float(np.sin(values["x"]).sum())


def test_oracle_labels_a_planted_wrong_derivative_as_engine_wrong() -> None:
    x = {"x": np.array([0.3, -1.2, 2.0])}
    t = torch.tensor(x["x"], requires_grad=True)
    torch.sin(t).sum().backward()
    right = t.grad.numpy()
    wrong = -right  # a planted sin' = -cos
    assert adjudicate(_sin, x, {"x": wrong}, {"x": right}).label == "engine wrong"
    assert adjudicate(_sin, x, {"x": right}, {"x": wrong}).label == "torch wrong"
    assert adjudicate(_sin, x, {"x": right + 1e-9}, {"x": right}).label == "both agree within precision"


def test_oracle_labels_relu_at_zero_a_non_differentiable_point() -> None:
    x = {"x": np.array([-1.0, 0.0, 2.0])}
    t = torch.tensor(x["x"], requires_grad=True)
    torch.relu(t).sum().backward()
    relu = lambda v: float(np.maximum(v["x"], 0).sum())
    verdict = adjudicate(relu, x, {"x": np.array([0.0, 1.0, 1.0])}, {"x": t.grad.numpy()})
    assert verdict.label == "non-differentiable point", verdict.detail


def test_oracle_uses_random_projections_for_large_inputs() -> None:
    x = {"x": np.linspace(-2, 2, 50)}
    t = torch.tensor(x["x"], requires_grad=True)
    torch.sin(t).sum().backward()
    wrong = t.grad.numpy().copy()
    wrong[7] += 0.5
    assert adjudicate(_sin, x, {"x": wrong}, {"x": t.grad.numpy()}).label == "engine wrong"
