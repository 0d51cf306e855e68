"""``torch._chunk_cat`` on the engine against real torch: padding to whole chunks, mixed ranks, dtypes, out=,
no derivative, and torch's checks in their order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.engine.ops.test_indexed_reduction import same_to_the_bit
from tests.helpers import assert_same_error

A = np.arange(6.0, dtype=np.float32).reshape(2, 3)
B = np.arange(10.0, dtype=np.float32).reshape(2, 5)
C = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize(
    ("dim", "num_chunks", "dtype"),
    [(1, 2, "float32"), (-1, 4, "float32"), (0, 3, "float32"), (1, 7, "int32"), (1, 2, "bool"), (0, 1, "float64")],
)
def test_chunk_cat_values(dim: int, num_chunks: int, dtype: str) -> None:
    same_to_the_bit(
        lambda m: m._chunk_cat((m.tensor(A).to(getattr(m, dtype)), m.tensor(B).to(getattr(m, dtype))), dim, num_chunks)
    )


def test_chunk_cat_mixed_ranks_and_out() -> None:
    def prog(m: Any) -> list:
        out = m.empty(0, dtype=m.float64)
        r = m._chunk_cat([m.tensor(C), m.tensor(A)], 1, 2, out=out)
        return [m._chunk_cat([m.tensor(C), m.tensor(A), m.tensor(B)], 0, 3), out, r is out]

    same_to_the_bit(prog)


def test_chunk_cat_has_no_derivative() -> None:
    def prog(m: Any) -> list:
        y = m._chunk_cat([m.tensor(A, requires_grad=True), m.tensor(B)], 1, 2)
        try:
            y.sum().backward()
            raised = None
        except RuntimeError as exc:
            raised = str(exc)
        return [y.grad_fn.name(), raised]

    same_to_the_bit(prog)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m._chunk_cat([m.tensor(A), m.tensor(B)[0]], -1, 3),
        lambda m: m._chunk_cat([m.tensor(A), m.tensor(B)[0]], 1, 3),
        lambda m: m._chunk_cat([m.tensor(C), m.tensor(B).T], 1, 3),
        lambda m: m._chunk_cat([m.tensor(A), m.tensor(B)], 0, 0),
        lambda m: m._chunk_cat([], 0, 1),
        lambda m: m._chunk_cat([m.zeros(0), m.tensor(B)], 0, 1),
        lambda m: m._chunk_cat([m.tensor(A), m.tensor(B).double()], 1, 2),
        lambda m: m._chunk_cat([m.tensor(A), m.tensor(B)], 2, 2),
    ],
    ids=["negative-dim-ranks", "dim-rank", "leading-sizes", "num-chunks", "empty-list", "empty-tensor", "dtype",
         "dim-range"],
)  # fmt: skip
def test_chunk_cat_errors(call: Any) -> None:
    assert_same_error(call)
