"""Scans and differences along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp, diff."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..tensor import Tensor
from . import comparison as CMP
from . import indexing as I
from . import join as J
from . import pointwise as P
from . import reduction as R
from . import shape as S
from ._util import grad_recording, record, record_saving, wrap_dims
from .inplace import CopyBackwards, inplace_method

_RETURN_TYPES = {n: R._return_type(n) for n in ("cummax", "cummin")}


# --------------------------------------------------------------------------- logcumsumexp
def _reverse_logcumsumexp(x: Tensor, d: int) -> Tensor:
    return S.flip(logcumsumexp(S.flip(x, d), d), d)


class LogcumsumexpBackward0(Node):
    # logcumsumexp_backward: positive and negative grads separately in log space, so nothing overflows
    def apply(self, grad: Tensor) -> tuple:
        x, result, d = self.saved("self"), self.saved("result"), self.dim
        if grad._data.size <= 1 or grad.ndim == 0:
            return (grad,)
        lowest = float(np.finfo(grad._data.dtype).min)
        log_abs = P.log(P.abs(grad))
        pos = P.where(grad > 0, log_abs, lowest)
        neg = P.where(grad < 0, log_abs, lowest)
        out_pos = P.exp(_reverse_logcumsumexp(pos - result, d) + x)
        out_neg = P.exp(_reverse_logcumsumexp(neg - result, d) + x)
        return (out_pos - out_neg,)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    R._check_tensor("logcumsumexp", input)
    a = input._data
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{R._type_name(R._dtype_of(input))}'")
    d = wrap_dims(dim, input.ndim)[0]
    xp = input._xp
    # torch's CPU scan accumulates in acc_type (double for float, float for half) and rounds each output
    acc = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}.get(a.dtype)
    with P._errstate(xp):
        if a.ndim == 0:
            res = a.copy()
        elif acc is not None:
            res = xp.logaddexp.accumulate(a.astype(acc), axis=d).astype(a.dtype)
        else:
            res = xp.logaddexp.accumulate(a, axis=d)
    out = Tensor._make(res)
    if grad_recording(input):
        record_saving(LogcumsumexpBackward0(), out, {"self": input}, save_result=True, dim=d)
    return out


class CumsumBackward0(Node):
    # cumsum: self: cumsum_backward(grad.to(self.scalar_type()), dim)
    #   = grad if numel <= 1 or size(dim) == 1, else grad.flip(dim).cumsum(dim).flip(dim)
    def apply(self, grad: Tensor) -> tuple:
        g = grad.to(self.self_dtype)
        if not g.ndim or g._data.size <= 1 or g._data.shape[self.dim] == 1:
            return (g,)
        return (S.flip(cumsum(S.flip(g, self.dim), self.dim), self.dim),)


def cumsum(input: Tensor, dim: Any = R._MISSING, *, dtype: D.dtype | None = None) -> Tensor:
    R._check_tensor("cumsum", input)
    if dim is R._MISSING:
        raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
    d = R._one_dim(input, dim)
    dt = R._reduce_int_dtype(input, dtype)
    a = R._as(input, dt)
    # torch keeps the running sum in its accumulate type (float32 for Half, float64 for float32) and
    # rounds each output to the dtype
    acc = {D.float16: input._xp.float32, D.float32: input._xp.float64}.get(dt, dt.np)
    res = a.copy() if a.ndim == 0 else input._xp.cumsum(a, axis=d, dtype=acc).astype(dt.np, copy=False)
    result = Tensor._make(res)
    if grad_recording(input):
        node = CumsumBackward0()
        node.dim, node.self_dtype = d, R._dtype_of(input)
        record(node, result, input)
    return result


# --------------------------------------------------------------------------- cumprod
class CumprodBackward0(Node):
    # cumprod: self: cumprod_backward(grad.to(self.scalar_type()), self, dim, result)
    def apply(self, grad: Tensor) -> tuple:
        x, result, d = self.saved("self"), self.saved("result"), self.dim
        g = grad.to(x.dtype)
        if x._data.size <= 1 or x.ndim == 0 or x._data.shape[d] == 1:
            return (g,)
        if not (x._data == 0).any():
            # no zeros: reversed_cumsum(grad * result, dim) / input
            return (S.flip(cumsum(S.flip(g * result, d), d), d) / x,)
        return (_cumprod_backward_with_zeros(g, x, d),)


def _cumprod_backward_with_zeros(g: Tensor, x: Tensor, d: int) -> Tensor:
    """d out_j / d x_k = prod_{i <= j, i != k} x_i for j >= k: torch's O(n^2) double-backward branch.

    Row k of a (n, n) stack holds ``x`` with ``x_k`` set to one; its cumprod gives every such product
    at once, and the mask keeps j >= k.
    """
    n = x._data.shape[d]
    xm = x.movedim(d, -1)
    gm = g.movedim(d, -1)
    eye = np.eye(n, dtype=bool)
    rows = P.where(Tensor._make(x._xp.asarray(eye)), 1.0, xm.unsqueeze(-2))  # (..., k, i)
    prods = cumprod(rows, -1)  # (..., k, j)
    keep = Tensor._make(x._xp.asarray(np.triu(np.ones((n, n), dtype=bool))))  # j >= k
    grad_k = R.sum(P.where(keep, prods * gm.unsqueeze(-2), 0.0), -1)
    return grad_k.movedim(-1, d)


def cumprod(input: Tensor, dim: Any = R._MISSING, *, dtype: D.dtype | None = None) -> Tensor:
    R._check_tensor("cumprod", input)
    if dim is R._MISSING:
        raise TypeError('cumprod() missing 1 required positional arguments: "dim"')
    d = wrap_dims(dim, input.ndim)[0]
    dt = R._reduce_int_dtype(input, dtype)
    a = R._as(input, dt)
    # torch's running product is kept in its accumulate type (float64 for float32, float32 for Half)
    acc = {D.float16: np.float32, D.float32: np.float64}.get(dt, dt.np)
    with P._errstate(input._xp):
        res = a.copy() if a.ndim == 0 else input._xp.cumprod(a, axis=d, dtype=acc).astype(dt.np, copy=False)
    result = Tensor._make(res)
    if grad_recording(input):
        record_saving(CumprodBackward0(), result, {"self": input}, save_result=True, dim=d)
    return result


# --------------------------------------------------------------------------- cummax / cummin
class _CumMaxMin(Node):
    # cummax/cummin: self: cummaxmin_backward(grad, self, indices, dim) = zeros.scatter_add(dim, indices, grad)
    def apply(self, grad: Tensor, grad_indices: Tensor | None = None) -> tuple:
        if not self.self_sizes:
            return (grad,)
        zeros = Tensor._make(grad._xp.zeros(self.self_sizes, dtype=grad._data.dtype))
        return (I.scatter_add(zeros, self.dim, Tensor._make(self.indices), grad),)


# cummax: self: cummaxmin_backward(grad, self, indices, dim)
CummaxBackward0 = type("CummaxBackward0", (_CumMaxMin,), {})


# cummin: self: cummaxmin_backward(grad, self, indices, dim)
CumminBackward0 = type("CumminBackward0", (_CumMaxMin,), {})


def _cum_extreme(name: str, input: Tensor, dim: int) -> Any:
    R._check_tensor(name, input)
    d = wrap_dims(dim, input.ndim)[0]
    a = input._data
    xp = input._xp
    if a.ndim == 0 or a.size == 0:
        vals, idx = a.copy(), xp.zeros(a.shape, dtype=np.int64)
    else:
        am = xp.moveaxis(a, d, 0)
        vals_m, idx_m = xp.empty_like(am), xp.empty(am.shape, dtype=np.int64)
        cur, pos = am[0].copy(), xp.zeros(am.shape[1:], dtype=np.int64)
        floating = a.dtype.kind == "f"
        for i in range(am.shape[0]):
            v = am[i]
            # torch's kernel: take x when it is NaN, or when the running value is not NaN and x >= (<=) it
            better = (v >= cur) if name == "cummax" else (v <= cur)
            if floating:
                better = xp.isnan(v) | (~xp.isnan(cur) & better)
            cur = xp.where(better, v, cur)
            pos = xp.where(better, i, pos)
            vals_m[i], idx_m[i] = cur, pos
        vals, idx = xp.moveaxis(vals_m, 0, d), xp.moveaxis(idx_m, 0, d)
    values = Tensor._make(vals.copy())  # copies are C-contiguous (ascontiguousarray would make 0-d 1-d)
    indices = Tensor._make(idx.copy())
    if grad_recording(input):
        node = (CummaxBackward0 if name == "cummax" else CumminBackward0)()
        node.self_sizes, node.dim, node.indices = a.shape, d, indices._data
        record(node, (values, indices), input)
        indices._grad_fn = None
    return _RETURN_TYPES[name](values, indices)


def cummax(input: Tensor, dim: int) -> Any:
    return _cum_extreme("cummax", input, dim)


def cummin(input: Tensor, dim: int) -> Any:
    return _cum_extreme("cummin", input, dim)


# --------------------------------------------------------------------------- diff / rot90
def diff(
    input: Tensor,
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    R._check_tensor("diff", input)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dims(dim, input.ndim)[0]
    parts = []
    for other in (prepend, append):
        if other is not None:
            for k in range(input.ndim):
                if k != d and other.ndim == input.ndim and other._data.shape[k] != input._data.shape[k]:
                    raise RuntimeError(
                        "diff expects the shape of tensor to prepend or append to match that of input except along "
                        f"the differencing dimension; input.size({k}) = {input._data.shape[k]}, but got "
                        f"tensor.size({k}) = {other._data.shape[k]}"
                    )
            if other.ndim != input.ndim:
                raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    if prepend is not None:
        parts.append(prepend)
    parts.append(input)
    if append is not None:
        parts.append(append)
    x = J.cat(parts, d) if len(parts) > 1 else input
    if n == 0:  # torch returns a fresh copy (its empty result copy_-ed from the input: CopyBackwards)
        out = Tensor._make(x._data.copy())
        if grad_recording(x):
            record(CopyBackwards(), out, None, x)
        return out
    for _ in range(n):
        length = x._data.shape[d]
        if length == 0:
            break
        hi = S._slice(x, d, 1, length, 1)
        lo = S._slice(x, d, 0, length - 1, 1)
        x = CMP.logical_xor(hi, lo) if x._data.dtype == np.bool_ else P.sub(hi, lo)
    return x


# --------------------------------------------------------------------------- exports
__all__ = ["cummax", "cummin", "cumprod", "cumsum", "diff", "logcumsumexp"]
METHODS = {name: globals()[name] for name in __all__}
METHODS["cumprod_"] = inplace_method(cumprod)
