"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, mode, quantile, nanquantile,
searchsorted, unique, bincount, histc.

Ties follow torch's CPU kernels where those are deterministic (sort is stable, NaN sorts as the largest
value). topk and kthvalue use ``std::nth_element`` in torch, whose
choice among equal values is not reproduced: the engine picks ties in stable order. Backward formulas are
written with engine ops, so double backward works.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from .._torch_version import since
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from . import blas as B
from . import indexing as I
from . import pointwise as P
from . import reduction as R
from . import shape as S
from ._util import as_array, grad_recording, record, return_type, wrap_dims

_RETURN_TYPES = {n: R._return_type(n) for n in ("sort", "topk", "kthvalue")}


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
    input: Tensor,
    d: int,
    keepdim: bool,
    values: Any,
    indices: Any,
    node_cls: type,
) -> Any:
    return R._values_and_indices(_RETURN_TYPES[name], input, d, keepdim, values, indices, node_cls)


# --------------------------------------------------------------------------- sort / argsort / msort
def sort(
    input: Tensor,
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


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    R._check_tensor("argsort", input)
    d = wrap_dims(dim, input.ndim)[0]
    _check_not_complex(input)
    a = input._data
    if a.ndim == 0:
        return Tensor._make(input._xp.asarray(0, dtype=np.int64))
    return Tensor._make(_stable_order(input._xp, a, d, bool(descending)).astype(np.int64, copy=False))


def msort(input: Tensor) -> Tensor:
    return sort(input, 0).values


# --------------------------------------------------------------------------- topk / kthvalue
def _k_dim(name: str, input: Tensor, dim: int) -> tuple[int, Any, int]:
    """topk's and kthvalue's dim (wrapped), the data and the size that ``k`` must fit in."""
    R._check_tensor(name, input)
    d = wrap_dims(dim, input.ndim)[0]
    a = input._data
    return d, a, a.shape[d] if a.ndim else 1


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """torch.topk; ``sorted=False`` also returns sorted values (torch leaves that order unspecified)."""
    d, a, size = _k_dim("topk", input, dim)
    if a.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if k < 0 or k > size:
        raise RuntimeError("selected index k out of range")
    if a.ndim == 0:
        return _values_indices("topk", input, d, True, a.copy(), 0, TopkBackward0)
    order = _stable_order(input._xp, a, d, bool(largest))
    order = order[(slice(None),) * d + (slice(0, k),)]
    vals = input._xp.take_along_axis(a, order, axis=d)
    return _values_indices("topk", input, d, True, vals, order, TopkBackward0)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    d, a, size = _k_dim("kthvalue", input, dim)
    if a.dtype == np.bool_:
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
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


# --------------------------------------------------------------------------- searchsorted
def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
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


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """torch.bucketize: searchsorted with the roles swapped, for 1-d boundaries only."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """torch.isin: membership of each element, compared in the promoted dtype of the two operands."""
    # promoted like a binary op, but never broadcast: the operands are two unrelated sets of values
    dt = D.result_type(elements, test_elements)
    like = (elements if isinstance(elements, Tensor) else test_elements)._data
    a, b = as_array(elements, dt, like), as_array(test_elements, dt, like)
    xp = array_module(a)
    return Tensor._make(xp.asarray(xp.isin(a, b, assume_unique=assume_unique, invert=invert)))


# --------------------------------------------------------------------------- unique / bincount
class _UniqueBackward(Node):
    # derivatives.yaml: output_differentiability without a formula, so backward raises
    def apply(self, *grads: Tensor) -> tuple:
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")


# _unique2: self: not_implemented("_unique2"); unique_dim: self: not_implemented("unique_dim")
Unique2Backward0 = type("Unique2Backward0", (_UniqueBackward,), {"op": "_unique2"})
UniqueDimBackward0 = type("UniqueDimBackward0", (_UniqueBackward,), {"op": "unique_dim"})


def unique(
    input: Tensor,
    sorted: bool = True,
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


# unique_consecutive: self: not_implemented("unique_consecutive")
UniqueConsecutiveBackward0 = type("UniqueConsecutiveBackward0", (_UniqueBackward,), {"op": "unique_consecutive"})


def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """torch.unique_consecutive: each run of equal values (or slices along ``dim``) kept once."""
    R._check_tensor("unique_consecutive", input)
    xp = input._xp
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        starts = xp.ones(flat.shape, dtype=bool)
        starts[1:] = flat[1:] != flat[:-1]
        vals, d = flat[starts], None
    else:
        d = wrap_dims(dim, a.ndim)[0]
        moved = xp.moveaxis(a, d, 0).reshape(a.shape[d], -1) if a.ndim else a.reshape(1, 1)
        starts = xp.ones(moved.shape[0], dtype=bool)
        starts[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        vals = xp.take(a, xp.nonzero(starts)[0], axis=d)
    out = Tensor._make(xp.ascontiguousarray(vals))
    if grad_recording(input):
        record(UniqueConsecutiveBackward0(), out, input)
    extra = []
    if return_inverse:
        inverse = xp.cumsum(starts) - 1
        extra.append(Tensor._make(inverse.reshape(a.shape if d is None else -1).astype(np.int64)))
    if return_counts:
        positions = xp.append(xp.nonzero(starts)[0], starts.shape[0])
        extra.append(Tensor._make(xp.diff(positions).astype(np.int64)))
    return (out, *extra) if extra else out


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
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


# --------------------------------------------------------------------------- quantile / nanquantile
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


UnsqueezeBackward1 = S.UnsqueezeBackward1  # unsqueeze_'s node, defined with the other unsqueeze nodes


def _inplace_meta(t: Tensor, arr: Any, node: Node) -> Tensor:
    """A shape-only in-place op (squeeze_, unsqueeze_, transpose_) on a fresh internal result."""
    out = Tensor._make(arr)
    out._vc = t._vc
    out._vc[0] += 1
    if grad_recording(t):
        node.self_sizes = t._data.shape
        record(node, out, t)
    return out


def _squeeze_last_(t: Tensor) -> Tensor:
    a = t._data
    return _inplace_meta(t, a.reshape(a.shape[:-1]) if a.shape[-1] == 1 else a, B.SqueezeBackward4())


def _nan_last_less(row: Any) -> Callable[[int, int], bool]:
    """torch 2.14 quantile's selection order on positions of ``row``: by value, NaN after every number."""
    nan = np.isnan(row)

    def less(a: int, b: int) -> bool:
        return bool(row[a] < row[b]) or (bool(nan[b]) and not bool(nan[a]))

    return less


def _nth_element(idx: list[int], nth: int, first: int, last: int, less: Callable[[int, int], bool]) -> bool:
    """libstdc++'s std::nth_element (introselect: median-of-three pivot, unguarded Hoare partition, insertion sort
    of the last <= 3 elements) on idx[first:last], in place. False where its depth limit would switch to heap
    selection, which is not reproduced."""
    depth = 2 * ((last - first).bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            return False
        depth -= 1
        a, b, c = first + 1, first + (last - first) // 2, last - 1
        if less(idx[a], idx[b]):
            m = b if less(idx[b], idx[c]) else c if less(idx[a], idx[c]) else a
        elif less(idx[a], idx[c]):
            m = a
        else:
            m = c if less(idx[b], idx[c]) else b
        idx[first], idx[m] = idx[m], idx[first]
        lo, hi, pivot = first + 1, last, idx[first]
        while True:
            while less(idx[lo], pivot):
                lo += 1
            hi -= 1
            while less(pivot, idx[hi]):
                hi -= 1
            if lo >= hi:
                break
            idx[lo], idx[hi] = idx[hi], idx[lo]
            lo += 1
        if lo <= nth:
            first = lo
        else:
            last = lo
    for i in range(first + 1, last):  # insertion sort
        v, j = idx[i], i
        while j > first and less(v, idx[j - 1]):
            idx[j] = idx[j - 1]
            j -= 1
        idx[j] = v
    return True


def _select_positions(row: Any, ranks: list[int]) -> dict[int, int] | None:
    """torch 2.14's pick for each rank of ``row`` (sorted distinct ranks): nth_element for the middle rank, then
    the same on the parts either side for the ranks there (measured against torch 2.14.1: which of equal values
    or NaNs carries the gradient). None where nth_element would fall back to heap selection."""
    idx = list(range(len(row)))
    less = _nan_last_less(row)
    picks: dict[int, int] = {}

    def select(first: int, last: int, rs: list[int]) -> bool:
        if not rs:
            return True
        m = len(rs) // 2
        if not _nth_element(idx, rs[m], first, last, less):
            return False
        picks[rs[m]] = idx[rs[m]]
        return select(first, rs[m], rs[:m]) and select(rs[m] + 1, last, rs[m + 1 :])

    return picks if select(0, len(row), ranks) else None


def _quantile(
    name: str,
    input: Tensor,
    q: Any,
    dim: Any,
    keepdim: bool,
    interpolation: str,
    ignore_nan: bool,
) -> Tensor:
    """torch's quantile_impl: sort (or select), rank, gather the neighbours, lerp between them."""
    R._check_tensor(name, input)
    if input._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qa = q._data
    else:
        qa = np.asarray(q, dtype=input._data.dtype)
    if not ((qa >= 0) & (qa <= 1)).all():
        if qa.ndim == 0:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {float(qa)}")
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {interpolation}"
        )
    xp = input._xp
    new_path = since("2.14")
    if dim is None:
        arranged = S.flatten(input)
        out_shape = [1] * input.ndim if keepdim else []
    else:
        d = wrap_dims(dim, max(input.ndim, 1))[0]
        if input.ndim > 0 and d == input.ndim - 1:
            arranged = input
        else:
            arranged = S.transpose(S.unsqueeze(input, -1), d, -1)
        out_shape = list(input.shape)
        if keepdim:
            out_shape[d] = 1
        elif out_shape:
            del out_shape[d]
    if qa.ndim == 1:
        out_shape = [qa.shape[0], *out_shape]
    n = arranged.shape[-1] if arranged.ndim else 1
    in_shape = (*(out_shape[1:] if qa.ndim == 1 else out_shape), n)
    order = None
    if not new_path:  # torch 2.13: sort (SortBackward0), then view the sorted values
        sorted_ = S.view(sort(arranged).values, in_shape)
    else:
        # torch 2.14: reshape first; when the row is long for the number of ranks it needs (k^2 <= n, k = one rank
        # per quantile for lower/higher/nearest, two for linear/midpoint; measured against torch 2.14.1) the
        # neighbours are picked from the input itself by std::nth_element (no SortBackward0; among equal values
        # and NaNs, nth_element's pick: _selected_order); otherwise they are gathered from the sorted values
        sorted_ = S.reshape(arranged, in_shape)
        k = (int(qa.size) if qa.ndim == 1 else 1) * (2 if interpolation in ("linear", "midpoint") else 1)
        if k * k <= n:
            if not sorted_.is_contiguous():
                sorted_ = sorted_.contiguous()
            with grad_mode.no_grad():
                order = sort(sorted_, stable=True).indices._data
        else:
            sorted_ = sort(sorted_).values
    s = sorted_._data if order is None else xp.take_along_axis(sorted_._data, order, axis=-1)
    nan_rows = xp.isnan(s).any(axis=-1, keepdims=True)
    rank_dtype = np.float64 if new_path else s.dtype  # torch 2.14 computes ranks and weights in double
    with P._errstate(xp):
        if ignore_nan:
            count = (~xp.isnan(s)).sum(axis=-1, keepdims=True)
            # an all-NaN row ranks 0, so its quantile is the NaN there
            ranks = xp.maximum(qa.astype(rank_dtype).reshape(-1) * (count - 1).astype(rank_dtype), 0)
        else:
            ranks = qa.astype(rank_dtype).reshape(-1) * (s.shape[-1] - 1)
            ranks = xp.where(nan_rows, s.shape[-1] - 1, ranks)
        ranks = ranks.astype(rank_dtype)
        if interpolation == "lower":
            ranks = xp.floor(ranks)
        elif interpolation == "higher":
            ranks = xp.ceil(ranks)
        elif interpolation == "nearest":
            ranks = xp.round(ranks)  # round half to even, as torch's round_
    below = ranks.astype(np.int64)
    above = xp.ceil(ranks).astype(np.int64)
    if order is not None:  # positions in the row itself
        order = _selected_order(sorted_._data, order, below, above)
        below, above = xp.take_along_axis(order, below, axis=-1), xp.take_along_axis(order, above, axis=-1)
    values = I.gather(sorted_, -1, Tensor._make(below))
    if interpolation in ("linear", "midpoint"):
        if interpolation == "midpoint":
            weights = xp.full_like(ranks, 0.5, dtype=s.dtype)
        else:
            weights = (ranks - xp.floor(ranks)).astype(s.dtype)
        values = values.lerp_(I.gather(sorted_, -1, Tensor._make(above)), Tensor._make(weights))
    if qa.ndim == 0:
        return _squeeze_last_(values)
    v = values._data
    node = UnsqueezeBackward1()
    node.dim = 0
    values = _inplace_meta(values, v.reshape((1, *v.shape)), node)
    node = S.TransposeBackward1()
    node.dim0, node.dim1 = 0, values.ndim - 1
    values = _inplace_meta(values, xp.swapaxes(values._data, 0, -1), node)
    return _squeeze_last_(values)


def _selected_order(rows: Any, order: Any, below: Any, above: Any) -> Any:
    """torch 2.14's selection path: among equal values (NaNs included) the one a rank picks is std::nth_element's
    (``_select_positions``), not the first in a stable sort; rows of distinct numbers pick the same either way."""
    a = np.asarray(rows)
    flat = a.reshape(-1, a.shape[-1])
    srt = np.sort(flat, axis=-1)
    tied = (np.isnan(srt).any(axis=-1)) | (srt[:, 1:] == srt[:, :-1]).any(axis=-1)
    if not tied.any():
        return order
    out = np.array(np.asarray(order)).reshape(flat.shape)
    lo = np.asarray(below).reshape(flat.shape[0], -1)
    hi = np.asarray(above).reshape(flat.shape[0], -1)
    for r in np.flatnonzero(tied):
        picks = _select_positions(flat[r], sorted({int(i) for i in lo[r]} | {int(i) for i in hi[r]}))
        if picks is not None:  # else the stable sort's order (heap selection is not reproduced)
            for rank, pos in picks.items():
                out[r, rank] = pos
    xp = array_module(order)
    return xp.asarray(out.reshape(np.shape(order)))


def _quantile_op(name: str, ignore_nan: bool) -> Callable[..., Tensor]:
    """quantile and nanquantile: one signature, NaN handling aside."""

    def op(
        input: Tensor,
        q: Any,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        return _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan)

    op.__name__ = op.__qualname__ = name
    return op


quantile = _quantile_op("quantile", False)
nanquantile = _quantile_op("nanquantile", True)


# --------------------------------------------------------------------------- mode
ModeBackward0 = type("ModeBackward0", (_SelectedValues,), {"__doc__": "mode: value_selecting_reduction_backward"})


_MODE = R._return_type("mode")


def _mode_row(row: Any) -> tuple[Any, int]:
    # the most frequent value, the smallest among ties, at its last position (torch's CPU kernel)
    values, counts = np.unique(row, return_counts=True)
    v = values[int(np.argmax(counts))]
    return v, int(np.flatnonzero(row == v)[-1])


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    R._check_tensor("mode", input)
    d = wrap_dims(dim, max(input.ndim, 1))[0]
    a = np.asarray(input._data)
    if a.ndim == 0:
        vals, idx = a.copy(), np.asarray(0)
    else:
        moved = np.moveaxis(a, d, -1)
        flat = moved.reshape(-1, moved.shape[-1])
        pairs = [_mode_row(r) for r in flat]
        vals = np.array([p[0] for p in pairs], dtype=a.dtype).reshape(moved.shape[:-1])
        idx = np.array([p[1] for p in pairs], dtype=np.int64).reshape(moved.shape[:-1])
        if keepdim:
            vals, idx = np.expand_dims(vals, d), np.expand_dims(idx, d)
    return R._values_and_indices(_MODE, input, d, keepdim, vals, idx, ModeBackward0)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """torch.histc: equal-width bins; min == max means the data's range. Not differentiable, as in torch."""
    R._check_tensor("histc", input)
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{R._type_name(R._dtype_of(input))}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    flat = a.reshape(-1)
    inside = flat[(flat >= lo) & (flat <= hi)]
    # torch's kernel: the bin from the scaled position, the last edge belonging to the last bin
    pos = ((inside - lo) * bins / (hi - lo)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    counts = np.bincount(pos, minlength=bins)[:bins]
    return Tensor._make(input._xp.asarray(counts, dtype=a.dtype))


# --------------------------------------------------------------------------- histogram / histogramdd
_HISTOGRAM = return_type("histogram", ("hist", "bin_edges"))
_HISTOGRAMDD = return_type("histogramdd", ("hist", "bin_edges"))


def _linspace_edges(lo: float, hi: float, count: int, dtype: Any) -> Any:
    """``count`` edges from lo to hi as torch's linspace computes them in ``dtype``: the first half stepped up
    from lo, the second half stepped down from hi."""
    lo_t, hi_t = dtype.type(lo), dtype.type(hi)
    step = (hi_t - lo_t) / dtype.type(count - 1) if count > 1 else dtype.type(0)
    idx = np.arange(count)
    half = count // 2
    up = lo_t + step * idx.astype(dtype)
    down = hi_t - step * (count - 1 - idx).astype(dtype)
    return np.where(idx < half, up, down).astype(dtype)


def _histogramdd_values(
    input: Tensor, bins: Any, range: Any, weight: Tensor | None, density: bool
) -> tuple[Any, list[Any]]:
    """torch's histogramdd kernel: per-dim edges, then each in-range sample's bin by binary search (the last
    bin closed on the right), weights summed in the input's dtype, then density's normalisation."""
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{R._type_name(R._dtype_of(input))}'")
    d = a.shape[-1] if a.ndim else 1
    samples = a.reshape(-1, d)
    per_dim = list(bins) if isinstance(bins, list | tuple) else [bins] * d
    if len(per_dim) != d:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
    edges = []
    for k, b in enumerate(per_dim):
        if isinstance(b, Tensor):
            if b.ndim != 1:
                raise RuntimeError(
                    "torch.histogramdd: bins tensor should have one dimension, but got "
                    f"{b.ndim} dimensions in the bins tensor for dimension {k}"
                )
            edges.append(b._data.astype(a.dtype))
            continue
        if b <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b} for dimension {k}")
        if range is not None:
            lo, hi = float(range[2 * k]), float(range[2 * k + 1])
            if lo > hi:
                raise RuntimeError(
                    f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for dimension {k}"
                )
        elif samples.shape[0]:
            lo, hi = float(samples[:, k].min()), float(samples[:, k].max())
        else:
            lo, hi = 0.0, 1.0  # no samples: the unit interval, as torch
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension {k}'s range [{lo:g}, {hi:g}] is not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(_linspace_edges(lo, hi, b + 1, a.dtype))
    inside = np.ones(samples.shape[0], dtype=bool)
    positions = []
    for k, e in enumerate(edges):
        col = samples[:, k]
        inside &= (col >= e[0]) & (col <= e[-1])  # NaN and out-of-range samples are skipped
        pos = np.searchsorted(e, col, side="right") - 1
        positions.append(np.minimum(pos, e.shape[0] - 2))
    shape = tuple(e.shape[0] - 1 for e in edges)
    hist = np.zeros(shape, dtype=a.dtype)
    w = weight._data.reshape(-1)[inside] if weight is not None else np.ones(int(inside.sum()), dtype=a.dtype)
    np.add.at(hist, tuple(p[inside] for p in positions), w.astype(a.dtype))
    if density:
        with np.errstate(all="ignore"):  # an empty histogram's density is NaN, silently as in torch
            hist = hist / hist.sum()
            for k, e in enumerate(edges):
                view = [1] * len(edges)
                view[k] = -1
                hist = hist / np.diff(e).reshape(view)
        hist = hist.astype(a.dtype)
    return hist, edges


def histogram(
    input: Tensor, bins: Any = 100, *, range: Any = None, weight: Tensor | None = None, density: bool = False
) -> Any:
    """torch.histogram: the one-dimensional histogramdd of every element (not differentiable, as in torch)."""
    R._check_tensor("histogram", input)
    flat = Tensor._make(input._data.reshape(-1, 1))
    hist, edges = _histogramdd_values(flat, [bins], range, weight, density)
    return _HISTOGRAM(Tensor._make(hist), Tensor._make(edges[0]))


def histogramdd(
    input: Tensor, bins: Any = 10, *, range: Any = None, weight: Tensor | None = None, density: bool = False
) -> Any:
    """torch.histogramdd: counts of the rows of ``input`` (..., D) in a D-dimensional grid of bins."""
    R._check_tensor("histogramdd", input)
    hist, edges = _histogramdd_values(input, bins, range, weight, density)
    return _HISTOGRAMDD(Tensor._make(hist), tuple(Tensor._make(e) for e in edges))


# --------------------------------------------------------------------------- exports
__all__ = [
    "argsort", "bincount", "histc", "kthvalue", "mode", "msort", "nanquantile", "quantile", "searchsorted", "sort",
    "topk", "unique",
]  # fmt: skip
METHODS = {name: globals()[name] for name in __all__ if name != "searchsorted"}
__all__ += ["bucketize", "histogram", "histogramdd", "isin", "unique_consecutive"]
METHODS.update({"histogram": histogram, "unique_consecutive": unique_consecutive})
