"""Scans and differences along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp, diff, and the trapezoid
rule (trapezoid/trapz and cumulative_trapezoid) and torch.gradient, written as torch's composites so they record
torch's nodes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._torch_version import since
from ..autograd.graph import Node
from ..tensor import Tensor
from . import comparison as CMP
from . import indexing as I
from . import join as J
from . import pointwise as P
from . import reduction as R
from . import shape as S
from ._util import cj, grad_recording, record, record_saving, wrap_dims
from .inplace import CopyBackwards, inplace_method
from .special import MulBackward1, _div_scalar, _scalar_op

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
        lowest = float(D.np_finfo(grad._data.dtype).min)
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
            # no zeros: reversed_cumsum(grad * result.conj(), dim) / input.conj()
            return (S.flip(cumsum(S.flip(g * cj(result), d), d), d) / cj(x),)
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
    grad_k = R.sum(P.where(keep, cj(prods) * gm.unsqueeze(-2), 0.0), -1)
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


# --------------------------------------------------------------------------- trapezoid rule


def _bool_input_error() -> type[Exception]:
    # torch 2.14 raises NotImplementedError (same text) for trapezoid's bool inputs; 2.13 RuntimeError
    return NotImplementedError if since("2.14") else RuntimeError


def _trapezoid_args(name: str, y: Tensor, x: Tensor | None, dx: Any, dim: int) -> tuple[int, Tensor | float]:
    """torch's Integration.cpp checks; the spacing as a tensor of differences (x given) or a float."""
    R._check_tensor(name, y)
    d = wrap_dims(dim, y.ndim)[0]
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments")
    if x is None:
        dx = 1 if dx is None else dx
        if y._data.dtype == bool:
            raise _bool_input_error()(f"{name}: received a bool input for `y`, but bool is not supported")
        if isinstance(dx, bool | complex) or not isinstance(dx, int | float):
            raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
        return d, float(dx)
    if y._data.dtype == bool or x._data.dtype == bool:
        raise _bool_input_error()(f"{name}: received a bool input for `x` or `y`, but bool is not supported")
    if x.ndim == 1:
        # x of shape (n,) viewed as (1, ..., n, ..., 1): the differences broadcast against y's along ``dim``
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        sizes = [1] * y.ndim
        sizes[d] = x.shape[0]
        x = x.view(sizes)
    elif x.ndim < y.ndim:
        x = x.view([1] * (y.ndim - x.ndim) + list(x.shape))
    n = x.shape[d]
    return d, P.sub(S._slice(x, d, 1, n, 1), S._slice(x, d, 0, max(n - 1, 0), 1))


def _neighbours(y: Tensor, d: int) -> Tensor:
    """y_i + y_{i+1} along ``d`` (torch's ``left + right``)."""
    n = y.shape[d]
    return P.add(S._slice(y, d, 0, max(n - 1, 0), 1), S._slice(y, d, 1, n, 1))


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """torch.trapezoid: sum of dx_i * (y_i + y_{i+1}) / 2 along ``dim``."""
    R._check_tensor("trapezoid", y)
    d = wrap_dims(dim, y.ndim)[0]
    if y.shape[d] == 0:  # no samples: zeros, as NumPy (before the dtype checks, as torch)
        shape = tuple(s for k, s in enumerate(y.shape) if k != d)
        return Tensor._make(np.zeros(shape, dtype=y._data.dtype))
    d, spacing = _trapezoid_args("trapezoid", y, x, dx, dim)
    if isinstance(spacing, float):
        # constant dx: dx * (sum(y) - (y_first + y_last) / 2)
        ends = P.add(y.select(d, 0), y.select(d, -1))
        return _scalar_op(MulBackward1, P.sub(R.sum(y, d), _scalar_op(MulBackward1, ends, 0.5)), spacing)
    return _div_scalar(R.sum(P.mul(_neighbours(y, d), spacing), d), 2.0)


def trapz(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """torch.trapz: trapezoid under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """torch.cumulative_trapezoid: the running sums of the trapezoid rule along ``dim``."""
    d, spacing = _trapezoid_args("cumulative_trapezoid", y, x, dx, dim)
    if isinstance(spacing, float):
        return cumsum(_scalar_op(MulBackward1, _neighbours(y, d), spacing / 2.0), d)
    return _div_scalar(cumsum(P.mul(_neighbours(y, d), spacing), d), 2.0)


# --------------------------------------------------------------------------- gradient
def _gradient_dims(input: Tensor, spacing: Any, dim: Any, edge_order: int) -> tuple[list[int], list[Any]]:
    """torch's pre_check_gradient, in its order; the wrapped dims and one spacing (number or tensor) per dim."""
    n = input.ndim
    listed = isinstance(spacing, list | tuple)
    dims_given = dim is not None
    dims = ([dim] if isinstance(dim, int) else list(dim)) if dims_given else list(range(n))
    if input._data.dtype == np.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if listed and not dims_given and len(spacing) != n:
        raise RuntimeError(
            "torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to "
            f"'self.dim() = {n}', since dim argument was not given, but got a list of length {len(spacing)}"
        )
    if listed and dims_given and len(spacing) != len(dims):
        raise RuntimeError(
            "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim arguments to have "
            f"the same length, but got a spacing argument of length {len(spacing)} and a dim argument of length "
            f"{len(dims)}."
        )
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    wrapped = [wrap_dims(d, n)[0] for d in dims]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    for d in wrapped:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    spacings = list(spacing) if listed else [1 if spacing is None else spacing] * len(wrapped)
    return wrapped, spacings


def _part(t: Tensor, d: int, start: int, stop: int | None) -> Tensor:
    """at::slice(t, d, start, stop) with Python's negative bounds."""
    n = t.shape[d]
    lo = start + n if start < 0 else start
    hi = n if stop is None else (stop + n if stop < 0 else stop)
    return S._slice(t, d, lo, hi, 1)


def _gradient_uniform(y: Tensor, d: int, h: Any, edge_order: int) -> Tensor:
    # gradient_helper_float: central differences over 2h inside, one-sided ones at the two ends
    center = P.div(P.div(P.sub(_part(y, d, 2, None), _part(y, d, 0, -2)), h), 2)
    if edge_order == 1:
        first = P.div(P.sub(_part(y, d, 1, 2), _part(y, d, 0, 1)), h)
        last = P.div(P.sub(_part(y, d, -1, None), _part(y, d, -2, -1)), h)
    else:
        first = P.div(
            P.sub(P.add(P.mul(_part(y, d, 0, 1), -1.5), P.mul(_part(y, d, 1, 2), 2)), P.mul(_part(y, d, 2, 3), 0.5)), h
        )
        last = P.div(
            P.add(
                P.add(P.mul(_part(y, d, -3, -2), 0.5), P.mul(_part(y, d, -2, -1), -2)),
                P.mul(_part(y, d, -1, None), 1.5),
            ),
            h,
        )
    return J.cat([first, center, last], d)


def _gradient_coordinates(y: Tensor, d: int, coords: Tensor, edge_order: int) -> Tensor:
    # gradient_helper: second-order differences for unevenly spaced coordinates
    if coords.ndim != 1:
        raise RuntimeError(
            "torch.gradient expected each element of spacing to have one dimension, but got an element with "
            f"{coords.ndim} dimensions!"
        )
    shape = [1] * y.ndim
    shape[d] = -1
    dx = diff(coords, 1, 0)
    dx1, dx2 = _part(dx, 0, 0, -1), _part(dx, 0, 1, None)
    a = P.div(P.neg(dx2), P.mul(dx1, P.add(dx1, dx2))).reshape(shape)
    b = P.div(P.sub(dx2, dx1), P.mul(dx1, dx2)).reshape(shape)
    c = P.div(dx1, P.mul(dx2, P.add(dx1, dx2))).reshape(shape)
    center = P.add(P.add(P.mul(a, _part(y, d, 0, -2)), P.mul(b, _part(y, d, 1, -1))), P.mul(c, _part(y, d, 2, None)))
    h0, h1, hl, hl2 = dx[0], dx[1], dx[-1], dx[-2]
    if edge_order == 1:
        first = P.div(P.sub(_part(y, d, 1, 2), _part(y, d, 0, 1)), h0)
        last = P.div(P.sub(_part(y, d, -1, None), _part(y, d, -2, -1)), hl)
    else:
        a = P.div(P.neg(P.add(P.mul(h0, 2.0), h1)), P.mul(h0, P.add(h0, h1)))
        b = P.div(P.add(h0, h1), P.mul(h0, h1))
        c = P.div(P.neg(h0), P.mul(h1, P.add(h0, h1)))
        first = P.add(P.add(P.mul(a, _part(y, d, 0, 1)), P.mul(b, _part(y, d, 1, 2))), P.mul(c, _part(y, d, 2, 3)))
        a = P.div(hl, P.mul(hl2, P.add(hl, hl2)))
        b = P.div(P.neg(P.add(hl, hl2)), P.mul(hl, hl2))
        c = P.div(P.add(P.mul(hl, 2), hl2), P.mul(hl, P.add(hl, hl2)))
        last = P.add(
            P.add(P.mul(a, _part(y, d, -3, -2)), P.mul(b, _part(y, d, -2, -1))), P.mul(c, _part(y, d, -1, None))
        )
    return J.cat([first, center, last], d)


def gradient(input: Tensor, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1) -> tuple[Tensor, ...]:
    """torch.gradient: the derivative estimated along each dim by central differences (one tensor per dim)."""
    R._check_tensor("gradient", input)
    dims, spacings = _gradient_dims(input, spacing, dim, edge_order)
    return tuple(
        _gradient_coordinates(input, d, h, edge_order)
        if isinstance(h, Tensor)
        else _gradient_uniform(input, d, h, edge_order)
        for d, h in zip(dims, spacings, strict=True)
    )


# --------------------------------------------------------------------------- exports
__all__ = ["cummax", "cummin", "cumprod", "cumsum", "diff", "logcumsumexp"]
METHODS = {name: globals()[name] for name in __all__}
__all__ += [
    "cumulative_trapezoid",
    "gradient",
    "trapezoid",
    "trapz",
]  # functions only: torch has no such Tensor methods
METHODS["cumprod_"] = inplace_method(cumprod)
