"""``torch.ops.aten`` on the engine against real torch: the operator objects and ``aten.slice.Tensor``.

aten's slice is not Python's ``x[a:b]``: a whole-dim slice is still a SliceBackward0 view (``x[:]`` is an
alias), the step must be positive, and a 0-d tensor is refused. Values, strides, views, grads and forward
tangents come from torch 2.13 on the same call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from tests.engine.ops.test_indexed_reduction import assert_identical, same_to_the_bit
from tests.helpers import ProgramTable, assert_same_error, error_signature

X = np.arange(24.0, dtype=np.float32).reshape(4, 6)
programs = ProgramTable(same_to_the_bit)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1, 1, -2, 2), {}), ((1, -100, 100), {}), ((0, 1), {}), ((), {"dim": 1, "end": 3}),
     ((-1, 1), {}), ((0, 0, None, 7), {}), ((1, 3, 3), {})],
    ids=["whole", "negative-end-step", "clamped", "start", "keywords", "negative-dim", "big-step", "empty"],
)  # fmt: skip
def test_slice_tensor(args: tuple, kwargs: dict) -> None:
    def prog(m: Any) -> list:
        x = m.tensor(X, requires_grad=True)
        y = m.ops.aten.slice.Tensor(x, *args, **kwargs)
        return [y, *m.autograd.grad(y, x, m.ones_like(y) * 2), list(y.stride()), y._base is x]

    same_to_the_bit(prog)


@programs
def slice_forward_tangent_is_a_view(m: Any) -> list:
    fa = m.autograd.forward_ad
    with fa.dual_level():
        dual = fa.make_dual(m.tensor(X), m.tensor(X) * 10)
        tangent = fa.unpack_dual(m.ops.aten.slice.Tensor(dual, 1, 1, 5, 2)).tangent
        return [tangent, list(tangent.stride())]


@programs
def operator_objects(m: Any) -> list:
    packet = m.ops.aten.slice
    return [packet(m.tensor(X), 0, 1), str(packet), repr(packet.Tensor), str(packet.Tensor), packet.Tensor.__name__]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.ops.aten.slice.Tensor(m.tensor(X), 1, 2, 5, 0),
        lambda m: m.ops.aten.slice.Tensor(m.tensor(X), 1, 2, 5, -1),
        lambda m: m.ops.aten.slice.Tensor(m.tensor(X), 2),
        lambda m: m.ops.aten.slice.Tensor(m.tensor(3.0), 0),
        lambda m: m.ops.aten.slice.default,
    ],
    ids=["zero-step", "negative-step", "dim", "0-d", "no-default-overload"],
)
def test_slice_errors(call: Any) -> None:
    assert_same_error(call)


def test_unknown_operator() -> None:
    assert error_signature(lambda: engine.ops.aten.no_such_operator) == error_signature(
        lambda: torch.ops.aten.no_such_operator
    )
    assert_identical(engine.ops.aten.slice.Tensor.name(), torch.ops.aten.slice.Tensor.name())


test_programs = programs.test()
