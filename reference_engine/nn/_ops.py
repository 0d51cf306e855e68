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
from ..ops._util import grad_recording, needs, record, wrap_dims
from ..ops.inplace import scalar_type_name
from ..ops.pointwise import _ErrState
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


class MmBackward0(Node):
    # self: mm_mat1_backward(grad, mat2, ...) = grad.mm(mat2.t())
    # mat2: mm_mat2_backward(grad, self, ...) = self.t().mm(grad)
    def apply(self, grad: Tensor) -> tuple:
        if not grad_mode._state.enabled:  # no create_graph: plain array products
            g = grad._data
            ga = Tensor._make(g @ self.saved("mat2")._data.T) if needs(self, 0) else None
            gb = Tensor._make(self.saved("self")._data.T @ g) if needs(self, 1) else None
            return ga, gb
        ga = mm(grad, self.saved("mat2").t()) if needs(self, 0) else None
        gb = mm(self.saved("self").t(), grad) if needs(self, 1) else None
        return ga, gb


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """2-D matrix product with an ``MmBackward0`` node."""
    a, b = input._data, mat2._data
    _check_mm(a, b)
    out = Tensor._make(a @ b)
    if grad_recording(input, mat2):
        node = MmBackward0()
        record(node, out, input, mat2)
        if needs(node, 0):
            node.save("mat2", mat2)
        if needs(node, 1):
            node.save("self", input)
    return out


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


# --------------------------------------------------------------------------- mean
class MeanBackward0(Node):
    # mean(): self: grad.expand_symint(self.sym_sizes()) / self.sym_numel()
    def apply(self, grad: Tensor) -> tuple:
        return (grad.expand(self.self_sizes) / self.numel,)


def mean_all(input: Tensor) -> Tensor:  # noqa: A002
    """Mean over all elements: the core sum divided by the count (torch's mean), with a MeanBackward0 node."""
    a = input._data
    with _ErrState():
        arr = Tensor._make(a).sum()._data / a.dtype.type(a.size)
    out = Tensor._make(input._xp.asarray(arr, dtype=a.dtype))
    if grad_recording(input):
        node = MeanBackward0()
        node.self_sizes = input._data.shape
        node.numel = max(input._data.size, 1)
        record(node, out, input)
    return out


# --------------------------------------------------------------------------- softmax / log_softmax
def softmax_dim(name: str, ndim: int, stacklevel: int = 3) -> int:
    """torch's legacy implicit dim for softmax-like calls without ``dim``."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


class SoftmaxBackward0(Node):
    # self: _softmax_backward_data(grad, result, dim, self.scalar_type())
    #     = result * (grad - (grad * result).sum(dim, keepdim=True))
    def apply(self, grad: Tensor) -> tuple:
        y = self.saved("result")
        return (y * (grad - (grad * y).sum(self.dim, keepdim=True)),)


class LogSoftmaxBackward0(Node):
    # self: _log_softmax_backward_data(grad, result, dim, self.scalar_type())
    #     = grad - result.exp() * grad.sum(dim, keepdim=True)
    def apply(self, grad: Tensor) -> tuple:
        y = self.saved("result")
        return (grad - y.exp() * grad.sum(self.dim, keepdim=True),)


def _prepare(x: Tensor, dim: int, dtype: Any) -> tuple[Tensor, int]:
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"\"softmax_lastdim_kernel_impl\" not implemented for '{scalar_type_name(x.dtype)}'")
    d = wrap_dims(dim, x.ndim)[0] if x.ndim else 0
    return x, d


def _softmax_op(source: Tensor, dim: int, dtype: Any, log: bool) -> Tensor:
    x, d = _prepare(source, dim, dtype)
    a = x._data
    xp = x._xp
    axis = d if a.ndim else None
    shifted = a - a.max(axis=axis, keepdims=True) if a.size else a
    if log:
        arr = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    else:
        e = xp.exp(shifted)
        arr = e / e.sum(axis=axis, keepdims=True)
    out = Tensor._make(arr.astype(a.dtype, copy=False))
    if grad_recording(x):
        node = LogSoftmaxBackward0() if log else SoftmaxBackward0()
        node.dim = d
        record(node, out, x)
        node.save("result", out, is_output=True)
    return out


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return _softmax_op(input, dim, dtype, log=False)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return _softmax_op(input, dim, dtype, log=True)
