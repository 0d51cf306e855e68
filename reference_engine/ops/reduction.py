"""Reductions: sum, mean, prod, var, std, max, min, amax, amin, argmax, argmin, logsumexp, all, any."""

from __future__ import annotations

from typing import Any

from .. import _dtype as D
from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import _FROM_NUMPY, grad_recording, record, wrap_dims


def _dims(t: Tensor, dim: Any) -> tuple[int, ...]:
    if dim is None or (isinstance(dim, tuple | list) and len(dim) == 0):
        return tuple(range(t.ndim))
    return wrap_dims(dim, t.ndim)


def _expand_grad(grad: Tensor, in_shape: tuple, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """Broadcast a reduced grad back over the reduced dims (sum_backward's unsqueeze + expand)."""
    if not keepdim and in_shape:
        shape = list(in_shape)
        for d in dims:
            shape[d] = 1
        grad = grad.reshape(shape)
    return grad.expand(in_shape)


class SumBackward0(Node):
    # sum(): self: grad.expand_symint(self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.expand(self.self_sizes),)


class SumBackward1(Node):
    # sum.dim_IntList: self: sum_backward(grad, self.sym_sizes(), dim, keepdim)
    def apply(self, grad: Tensor) -> tuple:
        return (_expand_grad(grad, self.self_sizes, self.dims, self.keepdim),)


def _sum_dtype(t: Tensor, dtype: D.dtype | None) -> D.dtype:
    if dtype is not None:
        return dtype
    d = _FROM_NUMPY[t._data.dtype]
    return D.int64 if d.category <= 1 else d  # integer and bool sums accumulate in int64


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:  # noqa: A001, A002
    dt = _sum_dtype(input, dtype)
    a = input._data if input._data.dtype == dt.np else input._data.astype(dt.np)
    full = dim is None
    dims = _dims(input, dim)
    res = a.sum(axis=dims, keepdims=keepdim) if a.ndim else a.copy()
    result = Tensor._make(res)
    if grad_recording(input):
        if full:
            node: Node = SumBackward0()
        else:
            node = SumBackward1()
            node.dims, node.keepdim = dims, keepdim
        node.self_sizes = input._data.shape
        record(node, result, input)
    return result


METHODS = {"sum": sum}
__all__ = ["sum"]
