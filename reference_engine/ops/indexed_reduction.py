"""Reductions into an index: ``scatter_reduce``, ``index_reduce`` and ``segment_reduce``.

Each one folds values into positions named by an index with sum, prod, mean, amax or amin.
The values follow torch's CPU kernels: one position's contributions are applied one after the
other in index order (``ufunc.at`` walks the index in C order, the kernels' order for the
elements that meet at one place), ``mean`` sums first and divides by the count afterwards
(floor division for integers), and amax/amin propagate NaN. ``include_self=False`` first
fills the positions written to with the reduction's identity.

The backward formulas are derivatives.yaml's ``scatter_reduce_backward`` and
``index_reduce_backward`` (torch/csrc/autograd/FunctionsManual.cpp), written with the engine's
own ops so they have a second derivative (and, through it, forward-mode tangents): ties of
amax/amin share the gradient evenly; prod recomputes the product without the zeros;
mean divides by the count of values that met at each position. ``segment_reduce``'s backward is
torch's CPU kernel (``_segment_reduce_backward``), which has no derivative of its own.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import array_module, is_cuda_array, to_numpy
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from . import pointwise as P
from ._util import grad_recording, needs, record, record_saving, wrap_dims
from .indexing import _dims_text, _gather_key
from .inplace import inplace_method, scalar_type_name

_SCATTER_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_INDEX_REDUCES = ("prod", "mean", "amax", "amin")
_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}
_INDEX_REDUCE_BETA = "index_reduce() is in beta and the API may change at any time."
_BETA_WARNED = [False]
_REDUCED_FLOATS = (np.dtype(np.float16), np.dtype(D.BF16))


# --------------------------------------------------------------------------- shared kernels
def _identity(dtype: np.dtype, reduce: str) -> Any:
    """The value ``include_self=False`` writes first: the reduction's identity (infinities for floats)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = reduce == "amin"
    if dtype.kind == "b":
        return big
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.max if big else info.min
    return np.inf if big else -np.inf


def _reduce_at(arr: Any, key: tuple, values: Any, reduce: str) -> Any:
    """``arr[key] (op)= values`` one element at a time, in index order; ``arr`` comes back (a new array on a GPU)."""
    ufunc = _UFUNCS[reduce]
    if is_cuda_array(arr):  # CuPy has no multiply.at: the host computes, in the same order
        host = to_numpy(arr)
        ufunc.at(
            host,
            tuple(k if isinstance(k, slice) else to_numpy(k) for k in key),
            to_numpy(values),
        )
        return array_module(arr).asarray(host)
    with np.errstate(all="ignore"):
        ufunc.at(arr, key, values)
    return arr


def _mean_divide(arr: Any, counts: Any) -> Any:
    """``arr / counts`` with torch's ``div_(count)`` (``div_(count, "floor")`` for integers and bool)."""
    counts[counts == 0] = 1
    kind = arr.dtype.kind
    if kind == "b":
        raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
    with np.errstate(all="ignore"):
        if kind in "iu":
            return arr // counts
        return (arr / counts).astype(arr.dtype, copy=False)


def _flat(arr: Any) -> Any:
    return arr.reshape(1) if arr.ndim == 0 else arr


# --------------------------------------------------------------------------- scatter_reduce
def _scatter_shape_check(input: Tensor, d: int, index: Tensor, src: Tensor) -> None:
    """torch's scatter_shape_check: index no larger than self (apart from ``dim``) and than src, anywhere."""
    if max(input.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    ndim = max(input.ndim, 1)
    ix = _flat(index._data).shape
    sh = _flat(input._data).shape
    wrong = any(k != d and ix[k] > sh[k] for k in range(ndim))
    if not wrong:
        for k in range(ndim):
            if src.ndim and k >= src.ndim:  # torch reads src.size(k): a src with fewer dims is a dim error
                wrap_dims(k, src.ndim)
            if ix[k] > (src._data.shape[k] if src.ndim else 1):
                wrong = True
                break
    if wrong:
        raise RuntimeError(
            f"Expected index [{_dims_text(index._data.shape)}] to be no larger than self "
            f"[{_dims_text(input._data.shape)}] apart from dimension {d} and to be no larger size than src "
            f"[{_dims_text(src._data.shape)}]"
        )


def _src_values(src: Tensor, index: Tensor) -> Any:
    """The part of ``src`` the index covers (torch restrides src to the index's shape; both have as many dims)."""
    return _flat(src._data)[tuple(slice(0, s) for s in _flat(index._data).shape)]


def _check_scatter_args(input: Tensor, d: int, index: Tensor, src: Any, reduce: str) -> None:
    """scatter_reduce.two's meta checks, in torch's order: dtypes, shapes, the reduction's name."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    nonempty = index._data.size != 0
    if nonempty and index._data.dtype not in (np.int32, np.int64):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if nonempty:
        _scatter_shape_check(input, d, index, src)
    if reduce not in _SCATTER_REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")


class ScatterReduceBackward0(Node):
    """scatter_reduce.two: self, src: scatter_reduce_backward(grad, self, dim, index, src, reduce, include_self,
    result) ; index: non_differentiable"""

    def apply(self, grad: Tensor) -> tuple:
        dim, index = self._saved_dim, self.saved("index")
        flavour = _Flavour(
            select=lambda t: t.gather(dim, index),
            add=lambda t, v: t.scatter_add(dim, index, v),
            fill0=lambda t: t.scatter(dim, index, 0),
            again=lambda s, v: scatter_reduce(
                s, dim, index, v, self._saved_reduce, include_self=self._saved_include_self
            ),
            refusal="scatter_reduce(): Double backward is unsupported for src when >1 zeros in src are scattered to "
            "the same position in self",
        )
        return _reduce_backward(self, grad, self.saved("src"), flavour)


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input`` with ``src`` folded in at ``index`` along ``dim`` by ``reduce`` (torch.scatter_reduce)."""
    d = wrap_dims(dim, input.ndim)[0]
    _check_scatter_args(input, d, index, src, reduce)
    arr = input._data.copy()
    flat = _flat(arr)
    key: tuple | None = None
    if index._data.size:
        if (reduce == "mean" and arr.dtype.kind == "b") or (reduce in ("amax", "amin") and arr.dtype.kind == "c"):
            raise NotImplementedError(
                f"\"scatter_gather_tensor_cpu_reduce_{reduce}\" not implemented for '{scalar_type_name(input.dtype)}'"
            )
        if max(src.ndim, 1) != max(index.ndim, 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        key = _gather_key(input, d, index, "scatter")
        # Half and BFloat16 fold in float32 and round once (the sum and prod differ from a fold in half)
        work = flat.astype(np.float32) if arr.dtype in _REDUCED_FLOATS else flat
        if not include_self:
            work[key] = _identity(arr.dtype, reduce)
        work = _reduce_at(work, key, _src_values(src, index).astype(work.dtype, copy=False), reduce)
        flat = work.astype(arr.dtype, copy=False)
    if reduce == "mean":
        counts = input._xp.full(flat.shape, 1 if include_self else 0, dtype=arr.dtype)
        if key is not None:
            ones = input._xp.ones(_flat(index._data).shape, dtype=arr.dtype)  # an array: ufunc.at is slow with a scalar
            counts = _reduce_at(counts, key, ones, "sum")
        flat = _mean_divide(flat, counts)
    out = Tensor._make(flat.reshape(input._data.shape))
    if grad_recording(input, src):
        node = record_saving(
            ScatterReduceBackward0(), out, {"self": input, "src": src}, save_result=True,
            _saved_dim=d, _saved_reduce=reduce, _saved_include_self=include_self,
        )  # fmt: skip
        node.save("index", index)
    return out


# --------------------------------------------------------------------------- index_reduce
def _check_index_args(input: Tensor, d: int, index: Tensor, source: Tensor) -> None:
    """index_func_meta_impl's checks for index_reduce_, in torch's order."""
    if index.ndim > 1:
        raise IndexError(
            f"index_reduce_(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
            f"{scalar_type_name(index.dtype)} and size: [{_dims_text(index._data.shape)}]"
        )
    if index._data.dtype not in (np.int32, np.int64):
        raise RuntimeError(
            f"index_reduce_(): Expected dtype int32/int64 for index but got: {scalar_type_name(index.dtype)}"
        )
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"index_reduce_(): self ({scalar_type_name(input.dtype)}) and source ({scalar_type_name(source.dtype)}) "
            "must have the same scalar type"
        )
    if not (d == 0 or d < source.ndim):
        raise RuntimeError(
            f"index_reduce_(): Indexing dim {d} is out of bounds of the source tensor with dim {source.ndim}"
        )
    n_src = source._data.shape[d] if source.ndim else 1
    if index._data.size != n_src:
        raise RuntimeError(
            f"index_reduce_(): Number of indices ({index._data.size}) should be equal to source.size(dim): "
            f"({n_src}), for dim: {d}"
        )
    s_in, s_src = list(input._data.shape), list(source._data.shape)
    if input.ndim and source.ndim:
        del s_in[d], s_src[d]
    if s_in != s_src:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = "
            f"[{_dims_text(input._data.shape)}] source.shape = [{_dims_text(source._data.shape)}]"
        )


def _warn_beta() -> None:
    if not _BETA_WARNED[0]:  # TORCH_WARN_ONCE
        _BETA_WARNED[0] = True
        warnings.warn(_INDEX_REDUCE_BETA, UserWarning, stacklevel=3)


class IndexReduceBackward0(Node):
    """index_reduce: self, source: index_reduce_backward(grad, self, dim, index, source, reduce, include_self,
    result) ; index: non_differentiable"""

    def apply(self, grad: Tensor) -> tuple:
        dim, index = self._saved_dim, self.saved("index")
        flavour = _Flavour(
            select=lambda t: t.index_select(dim, index),
            add=lambda t, v: t.index_add(dim, index, v),
            fill0=lambda t: t.index_fill(dim, index, 0),
            again=lambda s, v: index_reduce(
                s, dim, index, v, self._saved_reduce, include_self=self._saved_include_self
            ),
            refusal="index_reduce(): Double backward is unsupported for source when >1 zeros in source are scattered to "
            "the same position in self",
        )
        return _reduce_backward(self, grad, self.saved("source"), flavour)


def index_reduce(
    input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input`` with the slices of ``source`` folded into the slices ``index`` names along ``dim``."""
    if reduce not in _INDEX_REDUCES:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d = wrap_dims(dim, input.ndim)[0]
    _check_index_args(input, d, index, source)
    _warn_beta()
    arr = input._data.copy()
    flat = _flat(arr)
    size = flat.shape[d]
    idx = index._data.reshape(-1).astype(np.int64)
    if arr.dtype.kind in "bc":  # the kernels' dtype dispatch: bool and complex only on the slice-wise path
        kernel = (
            "index_reduce_func_exclude_input_init" if not include_self else "index_func_" if input.ndim <= 1 else ""
        )
        if kernel:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type_name(input.dtype)}'")
    if not include_self:  # index_fill_ first: it wraps negative indices and words its own bound error
        bad = idx[(idx < -size) | (idx >= size)]
        if bad.size:
            raise IndexError(f"index {int(bad[0])} is out of bounds for dimension {d} with size {size}")
        flat[(slice(None),) * d + (idx % max(size, 1),)] = _identity(arr.dtype, reduce)
    if idx.size and bool(((idx < 0) | (idx >= size)).any()):
        raise IndexError("index out of range in self")
    if reduce in ("amax", "amin") and arr.dtype.kind == "c" and idx.size:
        op = "maximum" if reduce == "amax" else "minimum"
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{scalar_type_name(input.dtype)}'")
    key = (slice(None),) * d + (idx,)
    flat = _reduce_at(flat, key, _flat(source._data).astype(arr.dtype, copy=False), reduce)
    if reduce == "mean":
        counts = input._xp.full(flat.shape, 1 if include_self else 0, dtype=arr.dtype)
        ones = input._xp.ones(_flat(source._data).shape, dtype=arr.dtype)  # an array: ufunc.at is slow with a scalar
        counts = _reduce_at(counts, key, ones, "sum")
        flat = _mean_divide(flat, counts)
    out = Tensor._make(flat.reshape(input._data.shape))
    if grad_recording(input, source):
        node = record_saving(
            IndexReduceBackward0(), out, {"self": input, "source": source}, save_result=True,
            _saved_dim=d, _saved_reduce=reduce, _saved_include_self=include_self,
        )  # fmt: skip
        node.save("index", index)
    return out


# --------------------------------------------------------------------------- the shared backward
class _Flavour:
    """The four ops that make scatter_reduce_backward into index_reduce_backward (gather -> index_select,
    scatter_add -> index_add, scatter(0) -> index_fill(0), the op itself), and the double-backward refusal."""

    def __init__(
        self,
        select: Callable[[Tensor], Tensor],
        add: Callable[[Tensor, Tensor], Tensor],
        fill0: Callable[[Tensor], Tensor],
        again: Callable[[Tensor, Tensor], Tensor],
        refusal: str,
    ) -> None:
        self.select, self.add, self.fill0, self.again, self.refusal = select, add, fill0, again, refusal


class Error(Node):
    """torch's DelayedError node (its Python class is ``Error``): passes its input through; differentiating
    through it raises ``msg``."""

    def name(self) -> str:
        return "torch::autograd::Error"

    def apply(self, grad: Tensor) -> tuple:
        raise RuntimeError(self.msg)


def _delayed_error(t: Tensor, msg: str) -> Tensor:
    out = Tensor._make(t._data)
    if grad_recording(t):
        node = Error()
        node.msg = msg
        record(node, out, t)
    return out


def _reduce_backward(node: Node, grad: Tensor, src: Tensor, f: _Flavour) -> tuple:
    self_, result = node.saved("self"), node.saved("result")
    reduce = node._saved_reduce
    if reduce == "sum":
        g_self, g_src = grad, f.select(grad)
    elif reduce == "prod":
        g_self, g_src = _prod_backward(grad, self_, src, result, f)
    elif reduce == "mean":
        n = Tensor._make(grad._xp.full(grad._data.shape, 1 if node._saved_include_self else 0, grad._data.dtype))
        n = f.add(n, Tensor._make(grad._xp.ones(src._data.shape, src._data.dtype)))
        n = n.masked_fill(n == 0, 1)
        g_self, g_src = grad / n, f.select(grad) / f.select(n)
    else:  # amax / amin: ties share the gradient evenly
        value = f.select(result)
        self_is = self_ == result
        src_is = src == value
        distributed = grad / f.add(self_is.to(self_.dtype), src_is.to(self_.dtype))
        g_self, g_src = self_is * distributed, src_is * f.select(distributed)
    if not node._saved_include_self:
        g_self = f.fill0(g_self)
    return (g_self if needs(node, 0) else None), (g_src if needs(node, 1) else None)


def _prod_backward(grad: Tensor, self_: Tensor, src: Tensor, result: Tensor, f: _Flavour) -> tuple:
    # the exclusive product of the others for an element that is 0: recomputed with that 0 replaced by 1
    masked_self = self_.masked_fill(self_ == 0, 1)
    g_self = grad * f.again(masked_self, src) / masked_self
    src_zero = src == 0
    zeros = Tensor._make(grad._xp.zeros(self_._data.shape, self_._data.dtype))
    num_zeros = f.select(f.add(zeros, src_zero.to(self_.dtype)))
    single_zero = src_zero & (num_zeros == 1)
    masked_src_result = f.again(self_, src.masked_fill(single_zero, 1))
    g_src = P.where(
        single_zero, f.select(grad * masked_src_result), f.select(grad * result) / src.masked_fill(src_zero, 1)
    )
    if grad_mode._state.enabled and bool((num_zeros._data > 1).any()):
        g_src = _delayed_error(g_src, f.refusal)
    return g_self, g_src


# --------------------------------------------------------------------------- segment_reduce
_SEGMENT_REDUCES = {"sum": "sum", "prod": "prod", "mean": "mean", "max": "amax", "amax": "amax", "min": "amin",
                    "amin": "amin"}  # fmt: skip
_SEGMENT_FOLD = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}
_CHECK_TAIL = "  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)"


def _segment_bounds(data: Tensor, axis: int, lengths: Tensor | None, offsets: Tensor | None, unsafe: bool) -> tuple:
    """(starts, lengths) of every segment as int64 arrays of shape (outer, segments), after torch's checks."""
    what, given = ("offsets", offsets) if offsets is not None else ("lengths", lengths)
    assert given is not None
    if data.ndim < given.ndim:
        raise RuntimeError(f"Expected data.dim() >= {what}_value.dim() to be true, but got false.{_CHECK_TAIL}")
    if axis != given.ndim - 1:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of {what} but got {axis}.")
    arr = to_numpy(given._data)
    if what == "lengths" and not unsafe:
        if arr.size and arr.min() < 0:
            raise RuntimeError("lengths contains negative value!")
        if not bool((arr.sum(-1) == data._data.shape[axis]).all()):
            raise RuntimeError(
                "segment_reduce(): Expected all rows of lengths along axis to sum to data.size(lengths.dim()-1) "
                "when !unsafe."
            )
    if arr.dtype not in (np.int32, np.int64):
        raise NotImplementedError(
            f"\"_segment_reduce_{what}_cpu_kernel1\" not implemented for '{scalar_type_name(given.dtype)}'"
        )
    if data._data.dtype.kind != "f" and data._data.dtype != D.BF16:
        raise NotImplementedError(f"\"_segment_reduce_cpu\" not implemented for '{scalar_type_name(data.dtype)}'")
    outer = int(np.prod(data._data.shape[:axis], dtype=np.int64))
    rows = arr.astype(np.int64).reshape(outer, -1)  # torch reads the batch dims of lengths as data's
    if what == "offsets":
        starts, counts = rows[:, :-1], np.diff(rows, axis=1)
    else:
        counts = rows
        starts = np.cumsum(rows, axis=1) - rows
    if counts.size and counts.min() < 0:
        raise RuntimeError(f"Expected segment_length >= 0 to be true, but got false.{_CHECK_TAIL}")
    return starts, counts


def _segment_fold(x: np.ndarray, starts: np.ndarray, counts: np.ndarray, reduce: str, initial: Any) -> np.ndarray:
    """Each segment folded one element after the other from its initial value, as torch's CPU kernel. With few
    segments, each is one ``ufunc.accumulate`` (a sequential fold, unlike ``reduce``'s pairwise sum); with many,
    the k-th step of every segment is taken at once. ``x`` is (outer, length along axis, inner)."""
    outer, segments = counts.shape
    first = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce] if initial is None else initial
    acc = np.full((outer, segments, x.shape[2]), first, dtype=x.dtype)
    fold = _SEGMENT_FOLD[reduce]
    longest = int(counts.max(initial=0))
    with np.errstate(all="ignore"):
        if outer * segments < longest:
            for o, s in zip(*np.nonzero(counts > 0), strict=True):
                lo = starts[o, s]
                run = np.concatenate([acc[o, s][None], x[o, lo : lo + counts[o, s]]])
                acc[o, s] = fold.accumulate(run, axis=0)[-1]
        else:
            for k in range(longest):
                o, s = np.nonzero(counts > k)
                acc[o, s] = fold(acc[o, s], x[o, np.minimum(starts[o, s] + k, x.shape[1] - 1)])
        if reduce == "mean":
            n = np.broadcast_to(counts[:, :, None], acc.shape).astype(x.dtype)
            divide = (n > 0) & ~np.isnan(acc)
            acc = np.where(divide, acc / np.where(divide, n, 1), acc).astype(x.dtype, copy=False)
            if initial is None:
                acc[np.broadcast_to(counts[:, :, None] == 0, acc.shape)] = np.nan
    return acc


class SegmentReduceBackward0(Node):
    """segment_reduce: data: _segment_reduce_backward(grad, result, data, reduce, lengths, offsets, axis, initial)"""

    def apply(self, grad: Tensor) -> tuple:
        data, result = self.saved("data"), self.saved("result")
        shape = data._data.shape
        axis = self._saved_axis
        outer, inner = int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis + 1 :], dtype=np.int64))
        x = to_numpy(data._data).reshape(outer, shape[axis], inner)
        out = to_numpy(result._data).reshape(outer, -1, inner)
        g = to_numpy(grad._data).reshape(out.shape)
        gi = _segment_grad(x, out, g, self.starts, self.counts, self.op, self.initial)
        res = Tensor._make(array_module(grad._data).asarray(gi.reshape(shape)))
        if grad_recording(grad, result, data):  # torch has no derivative for _segment_reduce_backward
            record(P.NoDerivative("_segment_reduce_backward"), res, grad, result, data)
        return (res,)


def _segment_grad(x: Any, out: Any, g: Any, starts: Any, counts: Any, reduce: str, initial: Any) -> Any:
    """torch's _segment_reduce_cpu_lengths_backward_kernel1, one segment at a time (vectorised over inner)."""
    gi = np.zeros(x.shape, dtype=x.dtype)
    with np.errstate(all="ignore"):
        for o, s in zip(*np.nonzero(counts > 0), strict=True):
            lo, n = starts[o, s], counts[o, s]
            seg, go, yo = x[o, lo : lo + n], g[o, s], out[o, s]
            if reduce in ("amax", "amin"):
                hit = np.isnan(seg) | (seg == yo)
                gi[o, lo : lo + n] = np.where(hit, go, gi[o, lo : lo + n])
                many = hit.sum(0) >= 2  # ties share the grad, but only a positive one is divided (torch's kernel)
                part = gi[o, lo : lo + n]
                split = many & (part > 0)
                part[split] = (part / np.broadcast_to(hit.sum(0), part.shape).astype(x.dtype))[split]
            elif reduce == "mean":
                gi[o, lo : lo + n] = go / x.dtype.type(n)
            elif reduce == "sum":
                gi[o, lo : lo + n] = go
            else:
                gi[o, lo : lo + n] = _prod_grad(seg, go, yo, initial)
    return gi


def _prod_grad(seg: Any, go: Any, yo: Any, initial: Any) -> Any:
    """grad * out / x, and for a 0 or NaN element the product of the others (from the initial value, in order)."""
    res = (go * yo) / seg
    for j, i in zip(*np.nonzero(np.isnan(seg) | (seg == 0)), strict=True):
        acc = seg.dtype.type(1 if initial is None else initial)
        for k in range(seg.shape[0]):
            if k != j:
                acc = seg.dtype.type(acc * seg[k, i])
        res[j, i] = go[i] * acc
    return res


def segment_reduce(
    data: Tensor,
    reduce: str,
    *,
    lengths: Tensor | None = None,
    indices: Tensor | None = None,
    offsets: Tensor | None = None,
    axis: int = 0,
    unsafe: bool = False,
    initial: Any = None,
) -> Tensor:
    """Reduce the segments of ``data`` along ``axis`` given by ``lengths`` or ``offsets`` (torch.segment_reduce)."""
    axis = wrap_dims(axis, data.ndim)[0]
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if reduce not in _SEGMENT_REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    op = _SEGMENT_REDUCES[reduce]
    starts, counts = _segment_bounds(data, axis, lengths, offsets, unsafe)
    shape = data._data.shape
    outer, inner = counts.shape[0], int(np.prod(shape[axis + 1 :], dtype=np.int64))
    x = to_numpy(data._data).reshape(outer, shape[axis], inner)
    init = None if initial is None else x.dtype.type(initial)
    folded = _segment_fold(x, starts, counts, op, init)
    out = Tensor._make(
        array_module(data._data).asarray(folded.reshape(*shape[:axis], counts.shape[1], *shape[axis + 1 :]))
    )
    if grad_recording(data):
        node = record_saving(
            SegmentReduceBackward0(), out, {"data": data}, save_result=True,
            _saved_reduce=reduce, _saved_axis=axis, _saved_initial=initial, op=op, starts=starts, counts=counts,
            initial=init,
        )  # fmt: skip
        node._saved_lengths, node._saved_offsets = lengths, offsets
    return out


# --------------------------------------------------------------------------- exports
METHODS = {
    "scatter_reduce": scatter_reduce, "scatter_reduce_": inplace_method(scatter_reduce),
    "index_reduce": index_reduce, "index_reduce_": inplace_method(index_reduce),
}  # fmt: skip
__all__ = ["index_reduce", "scatter_reduce", "segment_reduce"]
_segment_reduce = segment_reduce  # torch._segment_reduce is the same function
__all__ += ["_segment_reduce"]
