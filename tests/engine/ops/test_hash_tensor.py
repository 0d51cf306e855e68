"""``torch.hash_tensor`` and the uint64 dtype it returns, on the engine against real torch 2.13.

The hash is the xor of the elements' 64-bit patterns (floats widened to float64, integers and bools to
int64): checked to the bit over dims, keepdim, every input dtype torch accepts, NaN and -0.0, the empty-input
rules, its errors in torch's order, ``out=``, and uint64's own rules (printing, promotion refused but for
floating types).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.engine.ops.test_indexed_reduction import same_to_the_bit
from tests.helpers import assert_same_error

X = np.random.default_rng(3).standard_normal((3, 2, 1, 2)).astype(np.float32)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"dim": (0, -1), "keepdim": True}, {"dim": (1, 3)}, {"dim": ()},
     {"dim": None, "keepdim": True}],
)  # fmt: skip
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int16", "uint8", "bool"])
def test_hash_tensor_values(dtype: str, kwargs: dict) -> None:
    same_to_the_bit(lambda m: m.hash_tensor(m.tensor(X * 7).to(getattr(m, dtype)), **kwargs))


def test_hash_tensor_special_values_method_and_out() -> None:
    def prog(m: Any) -> list:
        special = m.tensor([float("nan"), -0.0, float("inf"), 1.0])
        out = m.empty(0, dtype=m.uint64)
        r = m.hash_tensor(m.tensor(X), 1, out=out)
        x = m.tensor(X, requires_grad=True)
        return [
            m.hash_tensor(special), m.hash_tensor(m.tensor(2.5), 0, keepdim=True), m.tensor(X).hash_tensor(1),
            out, r is out, m.hash_tensor(x).requires_grad, m.hash_tensor(m.zeros(0, 3), dim=1),
        ]  # fmt: skip

    same_to_the_bit(prog)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.hash_tensor(m.tensor(X), mode=1),
        lambda m: m.hash_tensor(m.zeros(0, 3), mode=1),
        lambda m: m.hash_tensor(m.zeros(0, 3), dim=(1, 0)),
        lambda m: m.hash_tensor(m.tensor(X).to(m.complex64)),
        lambda m: m.hash_tensor(m.tensor([1, 2], dtype=m.uint64)),
        lambda m: m.hash_tensor(m.tensor(X), 4),
        lambda m: m.hash_tensor(m.tensor(X), 1, out=m.empty(0)),
    ],
    ids=["mode", "empty-without-dim", "empty-dim", "complex", "uint64", "dim-range", "out-dtype"],
)
def test_hash_tensor_errors(call: Any) -> None:
    assert_same_error(call)


def test_uint64_dtype() -> None:
    def prog(m: Any) -> list:
        big = m.tensor([1, 2**64 - 1], dtype=m.uint64)
        return [
            big, big == 1, repr(big), repr(m.tensor(5, dtype=m.uint64)), str(m.uint64),
            str(m.promote_types(m.uint64, m.float16)), str(m.promote_types(m.bfloat16, m.uint64)),
        ]  # fmt: skip

    same_to_the_bit(prog)
    assert_same_error(lambda m: m.promote_types(m.int64, m.uint64))
    assert_same_error(lambda m: m.promote_types(m.uint64, m.bool))
