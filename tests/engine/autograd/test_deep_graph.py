"""A graph of 100,000 chained ops: backward is iterative (no RecursionError) and the grad is right.

The expected grads come from closed forms, not from torch: for
``y_0 = x, y_{k+1} = c * y_k + x`` (two recorded ops per step),
``dy_n/dx = c**n + (1 - c**n) / (1 - c)``.
"""

from __future__ import annotations

import gc
import math

import numpy as np

import reference_engine as engine
from conformance.compare import compare_arrays

STEPS = 50_000  # two ops per step: 100,000 nodes
SHORT_STEPS = 5_000  # the other tests: deep enough to overflow a recursive walk (limit 1000), cheaper to run
C = 0.99999


def _expected_grad(n: int, c: float) -> float:
    return c**n + (1 - c**n) / (1 - c)


def _chain(x: engine.Tensor, n: int) -> engine.Tensor:
    y = x
    for _ in range(n):
        y = y * C + x
    return y


def test_deep_chain_backward() -> None:
    x = engine.tensor(0.5, dtype=engine.float64, requires_grad=True)
    y = _chain(x, STEPS)
    y.backward()
    expected = np.array(_expected_grad(STEPS, C))
    diff = compare_arrays(np.asarray(x.grad._data), expected)
    assert diff.ok, diff.describe()


def test_deep_chain_autograd_grad_and_teardown() -> None:
    # autograd.grad on a deep graph, a retained second pass, then dropping the graph (deallocation is not
    # recursive either)
    x = engine.tensor([0.5, -1.0], dtype=engine.float64, requires_grad=True)
    y = _chain(x, SHORT_STEPS).sum()
    (g1,) = engine.autograd.grad(y, x, retain_graph=True)
    (g2,) = engine.autograd.grad(y, x)
    expected = np.full(2, _expected_grad(SHORT_STEPS, C))
    for g in (g1, g2):
        diff = compare_arrays(np.asarray(g._data), expected)
        assert diff.ok, diff.describe()
    del y
    gc.collect()


def test_deep_chain_of_unary_ops() -> None:
    # alternating exp/log: each pair is the identity, so the grad is 1 up to rounding
    x = engine.tensor(0.3, dtype=engine.float64, requires_grad=True)
    y = x
    for _ in range(SHORT_STEPS):
        y = y.exp().log()
    y.backward()
    assert math.isclose(float(x.grad.item()), 1.0, rel_tol=1e-9)
