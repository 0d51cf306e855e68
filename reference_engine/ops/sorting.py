"""Sorting and scans: sort, argsort, msort, topk, kthvalue, cumprod, cummax, cummin, searchsorted, unique,
bincount.

Ties follow torch's CPU kernels where those are deterministic (sort is stable, NaN sorts as the largest
value, cummax/cummin move to the latest tie). topk and kthvalue use ``std::nth_element`` in torch, whose
choice among equal values is not reproduced: the engine picks ties in stable order. Backward formulas are
written with engine ops, so double backward works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..tensor import Tensor
from . import indexing as I
from . import pointwise as P
from . import reduction as R
from ._util import grad_recording, record, wrap_dims
from .inplace import inplace_method

_RETURN_TYPES = {n: R._return_type(n) for n in ("sort", "topk", "kthvalue", "cummax", "cummin")}


def _check_not_complex(t: Tensor) -> None:
    if t._data.dtype.kind == "c":
        raise RuntimeError(" Sort does not support complex dtypes on CPU")


def _stable_order(xp: Any, a: Any, d: int, descending: bool) -> Any:
    """Stable argsort along ``d``, NaN as the largest value (NumPy already puts NaN last).

    Descending order sorts the reversed slice and reverses the result back, which keeps equal values in
    their original order and puts NaN first, as torch does.
    """
    if not descending:
        return xp.argsort(a, axis=d, kind="stable")
    n = a.shape[d]
    rev = xp.flip(a, axis=d)
    order = xp.flip(xp.argsort(rev, axis=d, kind="stable"), axis=d)
    return (n - 1) - order


def _scatter_back(grad: Tensor, shape: tuple, d: int, indices: Tensor) -> Tensor:
    """value_selecting_reduction_backward: zeros(sizes).scatter(dim, indices, grad)."""
    zeros = Tensor._make(grad._xp.zeros(shape, dtype=grad._data.dtype))
    return I.scatter(zeros, d, indices, grad)


class _SelectedValues(Node):
    # self: value_selecting_reduction_backward_symint(grad, dim, indices, self.sym_sizes(), keepdim)
    def apply(self, grad: Tensor, grad_indices: Tensor | None = None) -> tuple:
        shape, d = self.self_sizes, self.dim
        if not shape:
            return (grad,)
        idx = Tensor._make(self.indices)
        if not self.keepdim:
            grad = grad.unsqueeze(d)
            idx = Tensor._make(self.xp.expand_dims(self.indices, d))
        return (_scatter_back(grad, shape, d, idx),)


SortBackward0 = type("SortBackward0", (_SelectedValues,), {"__doc__": "sort: value_selecting_reduction_backward"})
TopkBackward0 = type("TopkBackward0", (_SelectedValues,), {"__doc__": "topk: value_selecting_reduction_backward"})
# sort.stable (any call passing ``stable=``) is a separate overload in torch, with its own node name
SortBackward1 = type(
    "SortBackward1", (_SelectedValues,), {"__doc__": "sort.stable: value_selecting_reduction_backward"}
)
KthvalueBackward0 = type(
    "KthvalueBackward0", (_SelectedValues,), {"__doc__": "kthvalue: value_selecting_reduction_backward"}
)


def _values_indices(
    name: str,
    input: Tensor,  # noqa: A002
    d: int,
    keepdim: bool,
    values: Any,
    indices: Any,
    node_cls: type,
) -> Any:
    vals = Tensor._make(input._xp.asarray(values, dtype=input._data.dtype))
    idx = Tensor._make(input._xp.asarray(indices, dtype=np.int64))
    if grad_recording(input):
        node = node_cls()
        node.self_sizes, node.dim, node.keepdim = input._data.shape, d, keepdim
        node.indices, node.xp = idx._data, input._xp
        record(node, (vals, idx), input)
        idx._grad_fn = None  # indices are not differentiable: torch gives them no grad_fn
    return _RETURN_TYPES[name](vals, idx)


# --------------------------------------------------------------------------- sort / argsort / msort
def sort(
    input: Tensor,  # noqa: A002
    dim: int = -1,
    descending: bool = False,
    stable: Any = R._MISSING,
) -> Any:
    """torch.sort: a stable sort (torch's CPU sort is stable whatever ``stable`` says)."""
    R._check_tensor("sort", input)
    d = wrap_dims(dim, input.ndim)[0]
    _check_not_complex(input)
    node_cls = SortBackward0 if stable is R._MISSING else SortBackward1
    a = input._data
    if a.ndim == 0:
        return _values_indices("sort", input, d, True, a.copy(), 0, node_cls)
    order = _stable_order(input._xp, a, d, bool(descending))
    vals = input._xp.take_along_axis(a, order, axis=d)
    return _values_indices("sort", input, d, True, vals, order, node_cls)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:  # noqa: A002
    R._check_tensor("argsort", input)
    d = wrap_dims(dim, input.ndim)[0]
    _check_not_complex(input)
    a = input._data
    if a.ndim == 0:
        return Tensor._make(input._xp.asarray(0, dtype=np.int64))
    return Tensor._make(_stable_order(input._xp, a, d, bool(descending)).astype(np.int64, copy=False))


def msort(input: Tensor) -> Tensor:  # noqa: A002
    return sort(input, 0).values


# --------------------------------------------------------------------------- topk / kthvalue
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """torch.topk; ``sorted=False`` also returns sorted values (torch leaves that order unspecified)."""
    R._check_tensor("topk", input)
    d = wrap_dims(dim, input.ndim)[0]
    a = input._data
    if a.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    size = a.shape[d] if a.ndim else 1
    if k < 0 or k > size:
        raise RuntimeError("selected index k out of range")
    if a.ndim == 0:
        return _values_indices("topk", input, d, True, a.copy(), 0, TopkBackward0)
    order = _stable_order(input._xp, a, d, bool(largest))
    order = order[(slice(None),) * d + (slice(0, k),)]
    vals = input._xp.take_along_axis(a, order, axis=d)
    return _values_indices("topk", input, d, True, vals, order, TopkBackward0)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    R._check_tensor("kthvalue", input)
    d = wrap_dims(dim, input.ndim)[0]
    a = input._data
    if a.dtype == np.bool_:
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    size = a.shape[d] if a.ndim else 1
    if k < 1 or k > size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if a.ndim == 0:
        return _values_indices("kthvalue", input, d, keepdim, a.copy(), 0, KthvalueBackward0)
    order = _stable_order(input._xp, a, d, False)
    idx = order[(slice(None),) * d + (slice(k - 1, k),)]
    vals = input._xp.take_along_axis(a, idx, axis=d)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return _values_indices("kthvalue", input, d, keepdim, vals, idx, KthvalueBackward0)


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
            return (R._flip(R.cumsum(R._flip(g * result, d), d), d) / x,)
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


def cumprod(input: Tensor, dim: Any = R._MISSING, *, dtype: D.dtype | None = None) -> Tensor:  # noqa: A002
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
        node = CumprodBackward0()
        node.dim = d
        record(node, result, input)
        node.save("self", input)
        node.save("result", result, is_output=True)
    return result


# --------------------------------------------------------------------------- cummax / cummin
class _CumMaxMin(Node):
    # cummax/cummin: self: cummaxmin_backward(grad, self, indices, dim) = zeros.scatter_add(dim, indices, grad)
    def apply(self, grad: Tensor, grad_indices: Tensor | None = None) -> tuple:
        if not self.self_sizes:
            return (grad,)
        zeros = Tensor._make(grad._xp.zeros(self.self_sizes, dtype=grad._data.dtype))
        return (I.scatter_add(zeros, self.dim, Tensor._make(self.indices), grad),)


CummaxBackward0 = type("CummaxBackward0", (_CumMaxMin,), {})
CumminBackward0 = type("CumminBackward0", (_CumMaxMin,), {})


def _cum_extreme(name: str, input: Tensor, dim: int) -> Any:  # noqa: A002
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


def cummax(input: Tensor, dim: int) -> Any:  # noqa: A002
    return _cum_extreme("cummax", input, dim)


def cummin(input: Tensor, dim: int) -> Any:  # noqa: A002
    return _cum_extreme("cummin", input, dim)


# --------------------------------------------------------------------------- searchsorted
def searchsorted(
    sorted_sequence: Tensor,
    input: Any,  # noqa: A002
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True"
            )
        right = side == "right"
    xp = sorted_sequence._xp
    seq = sorted_sequence._data
    if seq.dtype == np.bool_:
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    scalar = not isinstance(input, Tensor)
    vals = xp.asarray(input) if scalar else input._data
    if seq.ndim > 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
            "tensor and input value tensor must match, but we got boundaries tensor "
            f"[{', '.join(map(str, seq.shape))}] and input value tensor [{', '.join(map(str, vals.shape))}]"
        )
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    how = "right" if right else "left"
    if seq.ndim <= 1:
        res = xp.searchsorted(seq, vals, side=how)
    else:
        flat_s = seq.reshape(-1, seq.shape[-1])
        flat_v = vals.reshape(-1, vals.shape[-1])
        res = xp.stack([xp.searchsorted(s, v, side=how) for s, v in zip(flat_s, flat_v, strict=True)])
        res = res.reshape(vals.shape)
    return Tensor._make(xp.asarray(res, dtype=np.int32 if out_int32 else np.int64))


# --------------------------------------------------------------------------- unique / bincount
class _UniqueBackward(Node):
    # derivatives.yaml: output_differentiability without a formula, so backward raises
    def apply(self, *grads: Tensor) -> tuple:
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")


Unique2Backward0 = type("Unique2Backward0", (_UniqueBackward,), {"op": "_unique2"})
UniqueDimBackward0 = type("UniqueDimBackward0", (_UniqueBackward,), {"op": "unique_dim"})


def unique(
    input: Tensor,  # noqa: A002
    sorted: bool = True,  # noqa: A002
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """torch.unique; the values come back sorted even for ``sorted=False`` (as torch's CPU kernel does)."""
    R._check_tensor("unique", input)
    xp = input._xp
    a = input._data
    if dim is None:
        vals, inverse, counts = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
        node_cls: type = Unique2Backward0
    else:
        d = wrap_dims(dim, a.ndim)[0]
        vals, inverse, counts = xp.unique(a, axis=d, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
        node_cls = UniqueDimBackward0
    out = Tensor._make(xp.asarray(vals, dtype=a.dtype))
    if grad_recording(input):
        record(node_cls(), out, input)
    extra = []
    if return_inverse:
        extra.append(Tensor._make(inverse.astype(np.int64)))
    if return_counts:
        extra.append(Tensor._make(counts.astype(np.int64)))
    return (out, *extra) if extra else out


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    R._check_tensor("bincount", input)
    a = input._data
    if a.dtype.kind == "f":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{R._type_name(input.dtype)}'")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = input._xp
    n = max(int(a.max()) + 1 if a.size else 0, int(minlength))
    if weights is None:
        return Tensor._make(xp.bincount(a, minlength=n).astype(np.int64))
    if weights._data.shape != a.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    # float32 weights keep float32; every other weight dtype counts in float64
    dt = np.float32 if weights._data.dtype == np.float32 else np.float64
    res = Tensor._make(xp.bincount(a, weights=weights._data.astype(np.float64), minlength=n).astype(dt))
    if grad_recording(weights):
        record(P.NoDerivative("bincount"), res, input, weights)
    return res


__all__ = [
    "argsort", "bincount", "cummax", "cummin", "cumprod", "kthvalue", "msort", "searchsorted", "sort", "topk",
    "unique",
]  # fmt: skip
METHODS = {name: globals()[name] for name in __all__ if name != "searchsorted"}
METHODS["cumprod_"] = inplace_method(cumprod)
