"""Ops the nn layer needs, each with its own graph node: mm, linear, mean, softmax, log_softmax.

They live here so ``nn`` works on its own; node class names are torch's
(``AddmmBackward0``, ``MmBackward0``, ``SoftmaxBackward0`` ...). Backward
formulas are written with engine ops so double backward works.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd import grad_mode
from ..autograd.graph import Node
from ..ops import reduction as _reduction
from ..ops._util import check_common_device, grad_recording, needs, record
from ..ops.blas import mm
from ..ops.inplace import scalar_type_name
from ..tensor import Tensor


def _check_mm(a: Any, b: Any) -> None:
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})"
        )


def _check_dtypes(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {scalar_type_name(a.dtype)} and "
            f"{scalar_type_name(b.dtype)}"
        )


def _outer_sum(a: Any, b: Any) -> Any:
    """a @ b for a short, wide reduction into a tiny result.

    torch's CPU gemm for such shapes (a weight grad of a small layer over a big
    batch) accumulates the products row by row; BLAS blocks the reduction
    differently, and with cancellation the float32 results differ in the
    fourth digit. Summing the (K, M, N) products over K reproduces torch's order.
    """
    m, k = a.shape
    n = b.shape[1]
    if m * n <= 64 and k * m * n <= 1 << 20:
        return (a.T[:, :, None] * b[:, None, :]).sum(0)
    return a @ b


class AddmmBackward0(Node):
    # self: maybe_multiply(grad, beta) ; mat1: grad.mm(mat2.t()) ; mat2: mat1.t().mm(grad)
    # mat2 is weight.t() (a TBackward0 view, as in torch's graph), so mat2.t() is the weight itself.
    def apply(self, grad: Tensor) -> tuple:
        if not grad_mode._state.enabled:  # no create_graph: plain array products, bias grad pre-summed
            g = grad._data
            # the core sum: one summation order for every reduction in the engine
            gb = grad.sum(0) if needs(self, 0) else None
            gx = Tensor._make(g @ self.saved("weight")._data) if needs(self, 1) else None
            # the weight-shaped product, handed to TBackward0 as its transpose (a view, no copy)
            gw = Tensor._make(_outer_sum(g.T, self.saved("input")._data).T) if needs(self, 2) else None
            return gb, gx, gw
        gx = mm(grad, self.saved("weight")) if needs(self, 1) else None
        gw = mm(self.saved("input").t(), grad) if needs(self, 2) else None
        return grad if needs(self, 0) else None, gx, gw


def _linear2d(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    # torch's linear is addmm(bias, x, weight.t()), or mm(x, weight.t()) without a bias
    if bias is None:
        check_common_device("mm", ("self", x), ("mat2", weight))
    else:
        check_common_device("addmm", ("self", bias), ("mat1", x), ("mat2", weight))
    xa, wa = x._data, weight._data
    wt = wa.T
    _check_mm(xa, wt)
    _check_dtypes(x, weight)
    if bias is None:
        return mm(x, weight.t())
    arr = xa @ wt
    arr += bias._data
    out = Tensor._make(arr)
    if grad_recording(bias, x, weight):
        node = AddmmBackward0()
        # torch's graph: addmm(bias, x, weight.t()), the weight reached through a TBackward0 node
        record(node, out, bias, x, weight.t() if weight._requires_grad or weight._grad_fn is not None else weight)
        if needs(node, 1):
            node.save("weight", weight)
        if needs(node, 2):
            node.save("input", x)
    return out


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """y = x W^T + b for inputs of any rank >= 1 (the last dim is the feature dim)."""
    if input.ndim == 2:
        return _linear2d(input, weight, bias)
    if input.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
    lead = input.shape[:-1]
    out = _linear2d(input.reshape(-1, input.shape[-1]), weight, bias)
    return out.reshape(*lead, weight.shape[0])


# --------------------------------------------------------------------------- mean, softmax
def mean_all(input: Tensor) -> Tensor:  # noqa: A002
    """Mean over all elements (the losses' 'mean' reduction): torch.mean, MeanBackward0."""
    return _reduction.mean(input)


def softmax_dim(name: str, ndim: int, stacklevel: int = 3) -> int:
    """torch's legacy implicit dim for softmax-like calls without ``dim``."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return _reduction.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return _reduction.log_softmax(input, dim, dtype=dtype)
