"""float32/float64 results rounded exactly as torch's CPU kernels round them.

Sums and means reduced to one value follow torch's cascade summation order (ops/_cascade.py),
linspace its per-element fused multiply-add, addcmul/addcdiv its operation order. Every expected
value is torch's own output on the same input, compared bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_engine as E
from reference_engine.ops import _cascade

DTYPES = ["float32", "float64"]
# around every switch: vector width (8 / 4), the four columns, the cascade's first level (16 rows of 32)
SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 511, 512, 513, 1000, 2000, 4097, 32767, 32768]


def _same(got: Any, want: Any) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes(), f"{np.flatnonzero(got.reshape(-1) != want.reshape(-1))[:5]}"


def _data(n: int, dtype: str, seed: int, scale: float = 10.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(n) * scale).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_cascade_sum_is_torchs_sum(n: int, dtype: str) -> None:
    x = _data(n, dtype, n)
    _same(_cascade.cascade_sum(x), torch.from_numpy(x).sum().numpy())


# around the switch points of the cached plans (``_cascade._plan``): no leftover rows after the last complete
# block (1024), a leftover vector (1032), a scalar tail (1027), the last planned size and the first general one
# (4095/4096 for float64, 8191/8192 for float32)
PLAN_SIZES = [1024, 1027, 1032, 2055, 4095, 4096, 8191, 8192, 8193]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", PLAN_SIZES)
def test_planned_cascade_sum_is_torchs_sum(n: int, dtype: str) -> None:
    x = _data(n, dtype, n + 1, scale=1e3)
    x[:: max(1, n // 7)] *= 1e-6  # terms of very different sizes: every rounding shows
    _same(_cascade.cascade_sum(x), torch.from_numpy(x).sum().numpy())
    zeros = np.full(n, -0.0, dtype)  # an all -0 sum is +0 in torch: its accumulators start from +0
    _same(_cascade.cascade_sum(zeros), torch.from_numpy(zeros).sum().numpy())


REDUCTIONS: dict[str, Callable[[Any, Any], Any]] = {
    "sum": lambda m, t: t.sum(),
    "mean": lambda m, t: t.mean(),
    "sum_dim_of_column": lambda m, t: t.reshape(-1, 1).sum(0),  # a bias gradient
    "mean_keepdim": lambda m, t: t.reshape(1, -1).mean(1, keepdim=True),
    "mse_sum": lambda m, t: m.nn.functional.mse_loss(t, t * 0.5 + 1, reduction="sum"),
    "mse_mean": lambda m, t: m.nn.functional.mse_loss(t, t * 0.5 + 1),
    "sum_2d": lambda m, t: t.reshape(-1, 1).expand(-1, 3).contiguous().sum(),
}


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5000), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**16),
       name=st.sampled_from(sorted(REDUCTIONS)))  # fmt: skip
def test_engine_reductions_round_like_torch(n: int, dtype: str, seed: int, name: str) -> None:
    x = _data(n, dtype, seed)
    fn = REDUCTIONS[name]
    _same(fn(E, E.tensor(x)).numpy(), fn(torch, torch.from_numpy(x)).numpy())


def test_sum_of_negative_zeros_is_positive_zero() -> None:
    for n in (1, 9, 40):
        x = np.full(n, -0.0, np.float32)
        _same(E.tensor(x).sum().numpy(), torch.from_numpy(x).sum().numpy())


def test_large_reductions_keep_numpys_sum() -> None:
    # above torch's grain size its threads split the sum (machine-dependent): the engine does not claim bits
    x = _data(_cascade.GRAIN + 1, "float32", 0)
    assert not _cascade.applies(x)
    assert math.isclose(float(E.tensor(x).sum().item()), float(torch.from_numpy(x).sum().item()), rel_tol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("steps", [1, 2, 3, 13, 16, 17, 100, 1000, 1001, 2000, 4097])
@pytest.mark.parametrize("ends", [(-math.pi, math.pi), (0, 1), (-3.3, 17.25), (5, -2), (1e-3, 1e3)])
def test_linspace_is_torchs(steps: int, dtype: str, ends: tuple[float, float]) -> None:
    _same(E.linspace(*ends, steps, dtype=getattr(E, dtype)).numpy(),
          torch.linspace(*ends, steps, dtype=getattr(torch, dtype)).numpy())  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("shapes", [((3,), (3,), (3,)), ((4099,), (4099,), (4099,)), ((5, 1), (1, 4), (4,))])
def test_addcmul_addcdiv_round_like_torch(op: str, dtype: str, shapes: tuple) -> None:
    rng = np.random.default_rng(1)
    a, t1 = rng.standard_normal(shapes[0]).astype(dtype), (rng.standard_normal(shapes[1]) * 50).astype(dtype)
    t2 = ((np.abs(rng.standard_normal(shapes[2])) + 1) * 30).astype(dtype)
    for value in (1, 0.01, -1e-3):
        want = getattr(torch, op)(torch.from_numpy(a), torch.from_numpy(t1), torch.from_numpy(t2), value=value)
        _same(getattr(E, op)(E.tensor(a), E.tensor(t1), E.tensor(t2), value=value).numpy(), want.numpy())
