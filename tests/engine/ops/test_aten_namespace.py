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


@pytest.mark.parametrize("dtype", [None, "float64"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_safe_softmax_zeros_fully_masked_slices(dim: int, dtype: str | None) -> None:
    def prog(m: Any) -> list:
        inf = float("-inf")
        x = m.tensor([[inf, inf, inf], [1.0, 2.0, inf], [inf, 0.5, -1.0]], requires_grad=True)
        y = m.ops.aten._safe_softmax.default(x, dim, None if dtype is None else getattr(m, dtype))
        w = m.tensor([1.0, 2.0, 3.0], dtype=y.dtype)
        (g,) = m.autograd.grad(y, x, m.ones_like(y) * w, create_graph=True)
        out = m.ops.aten._safe_softmax(m.tensor(inf), 0)
        return [y.detach().numpy(), g.detach().numpy(), str(y.dtype), str(g.dtype), out.item(),
                type(y.grad_fn).__name__, type(g.grad_fn).__name__]  # fmt: skip

    got, want = prog(engine), prog(torch)
    # torch's float32 softmax kernel (vectorized exp) and NumPy's differ by an ulp at times: values to
    # float32 tolerance, dtypes, the masked zeros and the node names exactly
    for g, w in zip(got[:2], want[:2], strict=True):
        np.testing.assert_allclose(g, w, rtol=1.3e-6, atol=1e-7)
    assert np.array_equal(got[0] == 0, want[0] == 0)
    assert got[2:] == want[2:]


def test_safe_softmax_refuses_integers_as_torch() -> None:
    assert error_signature(lambda: engine.ops.aten._safe_softmax.default(engine.tensor([1, 2]), 0)) == (
        error_signature(lambda: torch.ops.aten._safe_softmax.default(torch.tensor([1, 2]), 0))
    )
