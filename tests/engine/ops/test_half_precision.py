"""float16 arithmetic rounds like torch's CPU Half kernels: computed in float32, rounded to half once.

torch casts a Python scalar to half first for add/sub/rsub/pow and for add/sub's alpha, but keeps
it in float32 for mul/div. Expected values are torch's own outputs on the same inputs, compared bit
for bit (or, where libm or vectorised code paths differ, within one half ulp at a handful of elements).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as E

_rng = np.random.default_rng(0)
X = (_rng.standard_normal(4096) * 3).astype(np.float16)
Y = (_rng.standard_normal(4096) * 3).astype(np.float16)

Op = Callable[[Any, Any, Any], Any]

EXACT: dict[str, Op] = {
    "mul_scalar": lambda m, x, y: x * 0.1,
    "div_scalar": lambda m, x, y: x / 0.3,
    "rdiv_scalar": lambda m, x, y: 0.7 / x,
    "add_scalar": lambda m, x, y: x + 0.1,
    "sub_scalar": lambda m, x, y: x - 0.37,
    "rsub_scalar": lambda m, x, y: 0.7 - x,
    "mul": lambda m, x, y: x * y,
    "div": lambda m, x, y: x / y,
    "add": lambda m, x, y: x + y,
    "exp": lambda m, x, y: x.exp(),
    "log": lambda m, x, y: x.abs().log(),
    "tanh": lambda m, x, y: x.tanh(),
    "sigmoid": lambda m, x, y: x.sigmoid(),
    "reciprocal": lambda m, x, y: x.reciprocal(),
    "expm1": lambda m, x, y: x.expm1(),
    "softmax": lambda m, x, y: x.reshape(64, 64).softmax(1),
    "cumsum": lambda m, x, y: x[:256].cumsum(0),
    "square": lambda m, x, y: x.square(),
}

NEAR: dict[str, Op] = {  # a few elements one half ulp apart (torch's vectorised paths)
    "add_alpha": lambda m, x, y: x.add(y, alpha=0.3),
    "sub_alpha": lambda m, x, y: x.sub(y, alpha=0.3),
    "pow_scalar": lambda m, x, y: x.abs() ** 1.3,
    "lerp": lambda m, x, y: x.lerp(y, 0.3),
    "addcmul": lambda m, x, y: x.addcmul(y, y, value=0.3),
}


def _both(op: Op) -> tuple[np.ndarray, np.ndarray]:
    want = op(torch, torch.tensor(X), torch.tensor(Y)).numpy()
    got = op(E, E.tensor(X), E.tensor(Y)).numpy()
    assert got.dtype == want.dtype == np.float16
    return got, want


@pytest.mark.parametrize("name", sorted(EXACT))
def test_half_ops_match_torch_bit_for_bit(name: str) -> None:
    got, want = _both(EXACT[name])
    assert np.array_equal(got, want, equal_nan=True)


@pytest.mark.parametrize("name", sorted(NEAR))
def test_half_ops_match_torch_within_one_ulp_at_a_few_elements(name: str) -> None:
    got, want = _both(NEAR[name])
    differ = ~((got == want) | (np.isnan(got) & np.isnan(want)))
    assert differ.sum() <= 10
    ulps = np.abs(got[differ].view(np.int16).astype(np.int32) - want[differ].view(np.int16).astype(np.int32))
    assert (ulps <= 1).all()


def test_half_scalar_rounding_differs_by_op() -> None:
    # 3 * 0.1: mul keeps 0.1 in float32 (0.3 -> half 0.2998), add rounds 0.1 to half first
    x = E.tensor([3.0], dtype=E.float16)
    assert (x * 0.1).item() == torch.tensor([3.0], dtype=torch.float16).mul(0.1).item()
    assert (x + 0.1).item() == torch.tensor([3.0], dtype=torch.float16).add(0.1).item()
