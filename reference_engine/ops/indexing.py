"""Indexing: ``x[...]`` (basic indexing gives views, advanced indexing copies) and ``x[...] = v``.

Basic index elements (ints, slices, None, Ellipsis) are applied one after the
other as view ops (select, slice, unsqueeze), so the result's grad_fn chain is
torch's. Tensor, list and bool elements are then applied together as one
advanced index (``IndexBackward0``), with NumPy's placement rules, which are
torch's. Gather/scatter-style ops live here too, as they share the index
plumbing: index_select, gather, scatter, take, take_along_dim, masked_fill, masked_select,
index_add/index_copy/index_fill, masked_scatter and repeat_interleave (an index_select with repeated indices).
"""

from __future__ import annotations

import itertools
import operator
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import to_numpy
from .._creation import _place
from ..autograd.graph import Node
from ..tensor import Tensor
from . import join as J
from . import pointwise as P
from . import reduction as R
from . import shape as S
from ._util import check_broadcast, check_common_device, grad_recording, needs, record, record_with, wrap_dims
from .inplace import check_inplace, commit, inplace_method, scalar_type_name
from .shape import _select, _view_result, slice_dim, unsqueeze

_BAD_INDEX = "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {})"
_SEQ_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; "
    "use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
    "x[torch.tensor(seq)], which will result either in an error or a different result"
)


# --------------------------------------------------------------------------- index normalisation
def _as_tuple(index: Any) -> tuple:
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and any(
        e is None or e is Ellipsis or isinstance(e, slice | list | tuple | Tensor) for e in index
    ):
        # torch still reads such a list as a tuple of indices, with a deprecation warning
        warnings.warn(_SEQ_WARNING, UserWarning, stacklevel=3)
        return tuple(index)
    return (index,)


def _is_int(e: Any) -> bool:
    return isinstance(e, int | np.integer) and not isinstance(e, bool | np.bool_)


def _index_array(e: Any, xp: Any) -> Any:
    """An advanced index element as an integer or bool array."""
    if isinstance(e, Tensor):
        arr = e._data
        if xp is not np and type(arr) is np.ndarray:
            arr = xp.asarray(arr)  # torch indexes a GPU tensor with CPU index tensors too
        if arr.dtype == np.uint8:
            warnings.warn(
                "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.",
                UserWarning,
                stacklevel=4,
            )
            return arr.astype(bool)
        if arr.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr
    arr = xp.asarray(e)
    if not arr.size and arr.dtype.kind != "b":
        return arr.astype(np.int64)  # x[[]]: an empty list is an empty integer index (NumPy reads it as float)
    if arr.dtype.kind == "f":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return arr


def _specified_dims(index: tuple) -> int:
    n = 0
    for e in index:
        if e is None or e is Ellipsis or isinstance(e, bool | np.bool_):
            continue
        if isinstance(e, Tensor) and e._data.dtype.kind == "b":
            n += e.ndim
        elif isinstance(e, Tensor) and e._data.dtype == np.uint8:
            n += e.ndim
        else:
            n += 1
    return n


def _check_bounds(arr: Any, size: int, dim: int, check: bool = True) -> Any:
    """Wrap negative indices; ``check=False`` (an empty tensor: torch checks nothing) only wraps."""
    arr = arr.astype(np.int64, copy=False)
    if arr.size and check:
        bad = arr[(arr < -size) | (arr >= size)]
        if bad.size:
            raise IndexError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {dim} with size {size}")
    return arr % max(size, 1) if arr.size else arr


def _apply_basic(self: Tensor, index: Any) -> tuple[Tensor, dict[int, Any], bool]:
    """Apply the basic part of ``index`` as views.

    Returns the view (``self`` when nothing was applied), the advanced index
    elements keyed by the dim they index in that view, and whether a view op ran.
    """
    idx = _as_tuple(index)
    if _specified_dims(idx) > self.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self.ndim}")
    result, dim, touched = self, 0, False
    adv: dict[int, Any] = {}
    seen_ellipsis = False
    for pos, e in enumerate(idx):
        if isinstance(e, Tensor) and e.ndim == 0 and e._data.dtype.kind in "iu" and e._data.dtype != np.uint8:
            e = int(e.item())  # a 0-d integer tensor selects like an int
        if _is_int(e):
            size = result._data.shape[dim]
            i = int(e)
            if i < -size or i >= size:
                # torch names the position in the index tuple, not the tensor dim
                raise IndexError(f"index {i} is out of bounds for dimension {pos} with size {size}")
            result, touched = _select(result, dim, i % size), True
        elif isinstance(e, slice):
            # torch skips a whole-dim slice inside a tuple index, but not a bare ``x[:]``
            if idx is not index or not _is_full(e, result._data.shape[dim]):
                result, touched = slice_dim(result, dim, e), True
            dim += 1
        elif e is None:
            result, touched, dim = unsqueeze(result, dim), True, dim + 1
        elif e is Ellipsis:
            skip = 0 if seen_ellipsis else self.ndim - _specified_dims(idx)
            seen_ellipsis = True
            dim += skip
        elif isinstance(e, bool | np.bool_) or (isinstance(e, Tensor) and e.ndim == 0 and e._data.dtype.kind == "b"):
            # a scalar bool adds a dim of size 1 and keeps (True) or drops (False) it: an index on it
            result, touched = unsqueeze(result, dim), True
            adv[dim] = self._xp.asarray([0] if bool(e) else [], dtype=np.int64)
            dim += 1
        elif isinstance(e, Tensor | list | tuple | np.ndarray | range):
            # torch names the position among the advanced indices, not the tensor dim (a range: its list)
            e = list(e) if isinstance(e, range) else e
            dim = _tensor_index(adv, _index_array(e, self._xp), result, dim, len(adv), check=result._data.size != 0)
        elif isinstance(e, float):
            raise IndexError(_BAD_INDEX.format("float"))
        else:
            raise TypeError(f"new(): invalid data type '{type(e).__name__}'")
    return result, adv, touched


def _is_full(sl: slice, size: int) -> bool:
    # torch tests the literal bounds, before wrapping: x[:, -2:] on a size-2 dim is still a slice
    start = 0 if sl.start is None else sl.start
    stop = size if sl.stop is None else sl.stop
    return sl.step in (None, 1) and start == 0 and stop >= size


def _check_mask(mask: Any, result: Tensor, dim: int) -> None:
    shape = result._data.shape
    for k, m in enumerate(mask.shape):
        if dim + k >= len(shape) or shape[dim + k] != m:
            raise IndexError(
                f"The shape of the mask [{', '.join(map(str, mask.shape))}] at index {k} does not match the shape "
                f"of the indexed tensor [{', '.join(map(str, shape))}] at index {dim + k}"
            )


def _tensor_index(adv: dict[int, Any], arr: Any, indexed: Tensor, dim: int, position: int, check: bool = True) -> int:
    """Enter the index array ``arr`` on ``indexed``'s dim ``dim`` into ``adv``; returns the next dim to index.

    A bool mask covers as many dims as it has, each indexed by its nonzero positions; an integer index
    covers one dim and is bounds-checked (``position`` and ``check`` as ``_check_bounds`` takes them).
    """
    if arr.dtype.kind == "b":
        _check_mask(arr, indexed, dim)
        for k, col in enumerate(indexed._xp.nonzero(arr)):
            adv[dim + k] = col.astype(np.int64)
        return dim + arr.ndim
    adv[dim] = _check_bounds(arr, indexed._data.shape[dim], position, check=check)
    return dim + 1


def _key(adv: dict[int, Any]) -> tuple:
    last = max(adv)
    return tuple(adv.get(d, slice(None)) for d in range(last + 1))


# --------------------------------------------------------------------------- index / index_put
class AliasBackward0(Node):
    # alias: self: grad
    def apply(self, grad: Tensor) -> tuple:
        return (grad,)


# alias_copy: the alias formula under the copy variant's name
AliasBackward0_copy = type("AliasBackward0_copy", (AliasBackward0,), {})


def alias_copy(input: Tensor) -> Tensor:
    """torch.alias_copy: the input's values in fresh storage."""
    out = Tensor._make(input._data.copy())
    if grad_recording(input):
        record(AliasBackward0_copy(), out, input)
    return out


class IndexBackward0(Node):
    # index.Tensor: self: index_backward(grad.new_zeros(self.sym_sizes()), indices, grad)
    #   = zeros.index_put_(indices, grad, accumulate=True)
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.self_sizes, dtype=grad._data.dtype))
        return (_index_put(zeros, self.key, grad, accumulate=True),)


class IndexPutBackward0(Node):
    # index_put: self: accumulate ? grad : grad.index_put(indices, zeros_like(values), false)
    #            values: grad.index(indices)  (summed to values' shape by the engine)
    def apply(self, grad: Tensor) -> tuple:
        g_self = None
        if needs(self, 0):
            zero = Tensor._make(grad._xp.zeros((), dtype=grad._data.dtype))
            g_self = grad if self.accumulate else _index_put(grad, self.key, zero, accumulate=False)
        g_values = _index(grad, self.key) if needs(self, 1) else None
        return g_self, g_values


def _index(input: Tensor, key: tuple) -> Tensor:
    """``input[key]`` for a normalised advanced key (slices and int64 arrays): a copy."""
    return _indexed_copy(input, key, input._data[key], IndexBackward0)


def _indexed_copy(input: Tensor, key: tuple, arr: Any, node_cls: type[IndexBackward0]) -> Tensor:
    """``arr``, the elements of ``input`` at ``key``, as a tensor; its node (``node_cls``) puts the grad back there."""
    out = Tensor._make(arr)
    if grad_recording(input):
        node = node_cls()
        node.key, node.self_sizes = key, input._data.shape
        record(node, out, input)
    return out


def _add_at(xp: Any, arr: Any, key: tuple, values: Any) -> None:
    if hasattr(xp, "add") and hasattr(xp.add, "at"):
        xp.add.at(arr, key, values)
    else:  # CuPy
        import cupyx  # noqa: PLC0415 - only present with CuPy

        cupyx.scatter_add(arr, key, values)


def _index_put(input: Tensor, key: tuple, values: Tensor, accumulate: bool, source: Any = None) -> Tensor:
    """Out-of-place ``input.index_put(key, values, accumulate)``.

    ``source`` is what the user assigned in ``x[idx] = source``: a tensor there must already have x's dtype,
    checked after the shapes, as torch does.
    """
    xp = input._xp
    arr = input._data.copy()
    target = arr[key].shape
    v = values._data.astype(arr.dtype, copy=False)
    try:
        v = xp.broadcast_to(v, target)
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape [{', '.join(map(str, values.shape))}] cannot be broadcast "
            f"to indexing result of shape [{', '.join(map(str, target))}]"
        ) from None
    _check_put_dtype(input, source)
    if accumulate:
        _add_at(xp, arr, key, v)
    else:
        arr[key] = v
    out = Tensor._make(arr)
    if grad_recording(input, values):
        node = IndexPutBackward0()
        node.key, node.accumulate = key, accumulate
        record(node, out, input, values)
    return out


def _put_key(input: Tensor, indices: Any) -> tuple:
    """torch.index_put's ``indices`` (a tuple of tensors or None) as a normalised key."""
    adv: dict[int, Any] = {}
    dim = 0
    for t in indices:
        if t is None:
            dim += 1
            continue
        dim = _tensor_index(adv, _index_array(t, input._xp), input, dim, dim)
    if dim > input.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got {dim})")
    return _key(adv) if adv else ()


def _check_put_dtype(dest: Tensor, values: Any) -> None:
    # index_put_ does not cast a tensor value (a Python scalar is converted first)
    if isinstance(values, Tensor) and values.dtype is not dest.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{scalar_type_name(dest.dtype)} for the destination and {scalar_type_name(values.dtype)} for the source."
        )


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    return _index_put(input, _put_key(input, indices), _value_tensor(input, values), accumulate)


def index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    check_inplace(self)
    return commit(self, index_put(self, indices, values, accumulate))


# --------------------------------------------------------------------------- __getitem__ / __setitem__
def getitem(self: Tensor, index: Any) -> Tensor:
    result, adv, touched = _apply_basic(self, index)
    if adv:
        return _index(result, _key(adv))
    if not touched:  # x[...] / x[()]: a fresh alias view
        return _view_result(self, self._data.view(), lambda t: t[...], AliasBackward0)
    return result


def _value_tensor(like: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    value = D.real_fill(value, D._FROM_NUMPY[like._data.dtype])
    return Tensor._make(like._xp.asarray(value, dtype=like._data.dtype))


def _strip_leading_ones(value: Tensor) -> Tensor:
    # torch drops leading size-1 dims of the value before broadcasting it (slicePrefix1sDims)
    n = 0
    while n < value.ndim and value._data.shape[n] == 1:
        n += 1
    return value.reshape(value._data.shape[n:]) if n else value


def setitem(self: Tensor, index: Any, value: Any) -> None:
    val = _value_tensor(self, value)
    view, adv, touched = _apply_basic(self, index)
    if adv:
        check_inplace(view)
        commit(view, _index_put(view, _key(adv), val, accumulate=False, source=value))
        return
    if not touched:  # x[...] = v writes into x itself
        view = self
    if val.ndim == 0:  # torch fills with a 0-d value (a Python scalar is wrapped as one)
        view.fill_(val)
        return
    val = _strip_leading_ones(val)
    _check_expand(val, view._data.shape)
    view.copy_(val)


def _check_expand(value: Tensor, shape: tuple[int, ...]) -> None:
    """Raise expand's error when ``value`` does not broadcast to ``shape``."""
    vs = value._data.shape
    if len(vs) > len(shape):
        raise RuntimeError(
            f"expand(torch.{value.dtype.tensor_type}{{[{', '.join(map(str, vs))}]}}, size=[{', '.join(map(str, shape))}]): "
            f"the number of sizes provided ({len(shape)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(vs)})"
        )
    lead = len(shape) - len(vs)
    for i, s in enumerate(vs):
        if s != 1 and s != shape[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[lead + i]}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: [{', '.join(map(str, shape))}].  Tensor "
                f"sizes: [{', '.join(map(str, vs))}]"
            )


# --------------------------------------------------------------------------- index_select / gather / scatter
class IndexSelectBackward0(IndexBackward0):
    """index_select: self: index_select_backward_symint(grad, self.sym_sizes(), dim, index).

    That is zeros.index_add_(dim, index, grad): on index_select's full key, IndexBackward0's accumulating index_put.
    """

    def apply(self, grad: Tensor) -> tuple:
        if self.self_sizes:
            return super().apply(grad)
        # a 0-dim input was indexed as its 1-element view (index_select treats it as a vector of one)
        zeros = Tensor._make(grad._xp.zeros((1,), dtype=grad._data.dtype))
        return (_index_put(zeros, self.key, grad, accumulate=True).reshape(()),)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    check_common_device("_index_select", ("self", input), ("index", index))
    d = wrap_dims(dim, input.ndim)[0]
    if index._data.dtype not in (np.int32, np.int64):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    arr = index._data.reshape(-1).astype(np.int64)
    size = input._data.shape[d] if input.ndim else 1
    if arr.size and (arr.min() < 0 or arr.max() >= size):
        raise IndexError("index out of range in self")
    key = (*(slice(None),) * d, arr)
    return _indexed_copy(
        input, key, input._data[key] if input.ndim else input._data.reshape(1)[arr].reshape(()), IndexSelectBackward0
    )


def _gather_key(input: Tensor, d: int, index: Tensor, what: str) -> tuple:
    """Full advanced key addressing ``input[..., index[i], ...]`` for each position of ``index``."""
    if index._data.dtype not in (np.int32, np.int64) and index._data.size:  # an empty index of any dtype is fine
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index")
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    xp = input._xp
    idx = index._data.reshape(index._data.shape or (1,))
    size = input._data.shape[d] if input.ndim else 1
    if idx.size:
        bad = idx[(idx < 0) | (idx >= size)]
        if bad.size:
            raise RuntimeError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {d} with size {size}")
    grids = list(xp.indices(idx.shape, sparse=True))
    grids[d] = idx
    return tuple(grids)


class GatherBackward0(Node):
    # gather: self: gather_backward(grad, self, dim, index, sparse_grad) = zeros.scatter_add(dim, index, grad)
    # (scatter_add folds Half in float32, as torch's does)
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.self_sizes, dtype=grad._data.dtype))
        if self.index._data.size == 0:
            return (zeros,)
        return (scatter_add(zeros, self.dim, self.index, grad),)


def _flat(t: Tensor) -> Tensor:
    return t.reshape(1) if t.ndim == 0 else t


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    check_common_device("gather", ("self", input), ("index", index))
    d = wrap_dims(dim, input.ndim)[0]
    if index._data.size == 0:  # torch checks nothing about an empty index: an empty result of its shape
        out = Tensor._make(input._xp.zeros(index._data.shape, dtype=input._data.dtype))
        if grad_recording(input):
            record_with(GatherBackward0(), out, input, dim=d, index=index, self_sizes=input._data.shape)
        return out
    if index.ndim == input.ndim:
        for k, (n_ix, n_in) in enumerate(zip(index._data.shape, input._data.shape, strict=True)):
            if k != d and n_ix > n_in:
                raise RuntimeError(
                    f"Size does not match at dimension {k} expected index [{_dims_text(index._data.shape)}] to be "
                    f"no larger than self [{_dims_text(input._data.shape)}] apart from dimension {d}"
                )
    key = _gather_key(input, d, index, "gather")
    src = input._data.reshape(input._data.shape or (1,))
    out = Tensor._make(src[key].reshape(index._data.shape))
    if grad_recording(input):
        record_with(GatherBackward0(), out, input, dim=d, index=index, self_sizes=input._data.shape)
    return out


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    if indices._data.dtype != np.int64:
        raise RuntimeError(
            f"torch.take_along_dim(): dtype of indices should be Long but got {scalar_type_name(indices.dtype)}"
        )
    # negative indices count from the end (torch wraps them before its gather)
    size = input._data.size if dim is None else (input._data.shape[wrap_dims(dim, input.ndim)[0]] if input.ndim else 1)
    if indices._data.size and bool((indices._data < 0).any()):
        indices = Tensor._make(input._xp.where(indices._data < 0, indices._data + size, indices._data))
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = wrap_dims(dim, input.ndim)[0]
    shape = list(
        np.broadcast_shapes(
            tuple(s for i, s in enumerate(input.shape) if i != d),
            tuple(s for i, s in enumerate(indices.shape) if i != d),
        )
    )
    in_shape = [*shape[:d], input._data.shape[d], *shape[d:]]
    ix_shape = [*shape[:d], indices._data.shape[d], *shape[d:]]
    return gather(input.expand(in_shape), d, indices.expand(ix_shape))


class ScatterBackward0(Node):
    # scatter.src: self: grad.scatter(dim, index, 0) ; src: grad.gather(dim, index)
    def apply(self, grad: Tensor) -> tuple:
        g_self = scatter(grad, self.dim, self.index, 0) if needs(self, 0) else None
        g_src = gather(grad, self.dim, self.index) if needs(self, 1) else None
        return g_self, g_src


class ScatterBackward1(Node):
    # scatter.value: self: grad.scatter(dim, index, 0)
    def apply(self, grad: Tensor) -> tuple:
        return (scatter(grad, self.dim, self.index, 0),)


class ScatterAddBackward0(Node):
    # scatter_add: self: grad ; src: grad.gather(dim, index)
    def apply(self, grad: Tensor) -> tuple:
        return grad, (gather(grad, self.dim, self.index) if needs(self, 1) else None)


def _scatter(input: Tensor, dim: int, index: Tensor, src: Any, add: bool, what: str) -> Tensor:
    d = wrap_dims(dim, input.ndim)[0]
    # torch's scatter_gather checks, in its order: dtypes, then index against self, then against src
    if isinstance(src, Tensor) and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor) and src.ndim != index.ndim and not (src.ndim <= 1 and index.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    key = _gather_key(input, d, index, what)
    arr = input._data.reshape(input._data.shape or (1,)).copy()
    if isinstance(src, Tensor):
        sl = tuple(slice(0, s) for s in index._data.shape)
        vals = src._data.reshape(src._data.shape or (1,))[sl].astype(arr.dtype, copy=False)
    else:
        vals = input._xp.asarray(src, dtype=arr.dtype)
    vals = input._xp.broadcast_to(vals, arr[key].shape)
    if add and input.dtype in D.REDUCED_FLOATS:  # Half and BFloat16 fold in float32 and round once
        wide = arr.astype(np.float32)
        _add_at(input._xp, wide, key, vals.astype(np.float32))
        arr = D.astype(wide, input.dtype) if type(wide) is np.ndarray else wide.astype(arr.dtype)
    elif add:
        _add_at(input._xp, arr, key, vals)
    else:
        arr[key] = vals
    out = Tensor._make(arr.reshape(input._data.shape))
    if grad_recording(input, src):
        node = (ScatterAddBackward0 if add else ScatterBackward0)() if isinstance(src, Tensor) else ScatterBackward1()
        node.dim, node.index = d, index
        record(node, out, input, *((src,) if isinstance(src, Tensor) else ()))
    return out


_SCATTER_REDUCE_WARNING = (
    "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a future PyTorch "
    "release. Use torch.scatter_reduce instead for more reduction options."
)
_SCATTER_REDUCE_WARNED = [False]
_LEGACY_REDUCE = {"add": np.add, "multiply": np.multiply}


def _scatter_legacy_reduce(input: Tensor, dim: int, index: Tensor, src: Any, reduce: Any) -> Tensor:
    """scatter(..., reduce="add" | "multiply"): folded in at the index one after the other; no derivative."""
    if isinstance(src, Tensor) and not _SCATTER_REDUCE_WARNED[0]:  # TORCH_WARN_ONCE
        _SCATTER_REDUCE_WARNED[0] = True
        warnings.warn(_SCATTER_REDUCE_WARNING, UserWarning, stacklevel=3)
    d = wrap_dims(dim, input.ndim)[0]
    # scatter_meta_impl's order: the index's dtype, the src's dtype, the ranks, then the reduction's name
    if index._data.size and index._data.dtype not in (np.int32, np.int64):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if isinstance(src, Tensor) and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if reduce not in _LEGACY_REDUCE:
        raise RuntimeError("reduce argument must be either add or multiply.")
    key = _gather_key(input, d, index, "scatter")
    arr = input._data.reshape(input._data.shape or (1,))
    # Half and BFloat16 fold in float32 and round once, as scatter_reduce does
    work = to_numpy(arr).astype(np.float32 if input.dtype in D.REDUCED_FLOATS else arr.dtype)
    if isinstance(src, Tensor):
        vals = to_numpy(src._data.reshape(src._data.shape or (1,))[tuple(slice(0, n) for n in index._data.shape)])
    else:
        vals = np.asarray(src).astype(arr.dtype)
    vals = np.broadcast_to(vals.astype(work.dtype), work[key].shape)
    with np.errstate(all="ignore"):  # CuPy has no multiply.at: the host folds, in the same order
        _LEGACY_REDUCE[reduce].at(work, tuple(to_numpy(k) for k in key), vals)
    out = Tensor._make(input._xp.asarray(D.astype(work, input.dtype)).reshape(input._data.shape))
    if grad_recording(input, src):  # torch has no derivative for scatter with reduce
        record(P.NoDerivative("scatter"), out, input, *((src,) if isinstance(src, Tensor) else ()))
    return out


def scatter(
    input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: Any = None
) -> Tensor:
    if reduce is not None:
        return _scatter_legacy_reduce(input, dim, index, value if src is None else src, reduce)
    return _scatter(input, dim, index, value if src is None else src, add=False, what="scatter")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return _scatter(input, dim, index, src, add=True, what="scatter_add")


# --------------------------------------------------------------------------- masked_fill
class MaskedFillBackward0(Node):
    # masked_fill.Scalar: self: grad.masked_fill(mask, 0)
    def apply(self, grad: Tensor) -> tuple:
        return (masked_fill(grad, self.mask, 0),)


class MaskedFillBackward1(Node):
    # masked_fill.Tensor: self: grad.masked_fill(mask, 0) ; value: masked_select_backward... = grad[mask].sum()
    def apply(self, grad: Tensor) -> tuple:
        g_self = masked_fill(grad, self.mask, 0) if needs(self, 0) else None
        g_val = None
        if needs(self, 1):
            outside = Tensor._make(~self.mask._data)
            g_val = masked_fill(grad, outside, 0).sum()
        return g_self, g_val


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {_c10_name(mask.dtype)}")
    xp = input._xp
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        fill = _checked_fill(value._data, input).astype(input._data.dtype)
    else:
        fill = xp.asarray(_checked_fill(value, input)).astype(input._data.dtype)
    # out of place, the input is expanded to the mask's shape (torch's expand_outplace); masked_fill_ refuses
    # that when it copies the result back
    out = Tensor._make(xp.where(mask._data, fill, input._data).astype(input._data.dtype, copy=False))
    if isinstance(value, Tensor):
        if grad_recording(input, value):
            record_with(MaskedFillBackward1(), out, input, value, mask=mask)
    elif grad_recording(input):
        node = MaskedFillBackward0()
        node.mask = mask
        record(node, out, input)
    return out


_C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "int64_t", "int32": "int",
                 "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t", "bool": "bool"}  # fmt: skip


def _checked_fill(value: Any, input: Tensor) -> Any:
    """c10's checked_convert: a complex fill value goes into a real tensor only with a zero imaginary part."""
    if input._data.dtype.kind == "c" or not np.iscomplexobj(value):
        return value
    if bool(np.any(np.imag(value) != 0)):
        raise RuntimeError(
            f"value cannot be converted to type {_C_TYPE_NAMES.get(input.dtype.name, input.dtype.name)} "
            "without overflow"
        )
    return np.real(value)


def _c10_name(d: D.dtype) -> str:
    names = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
             "float32": "float", "float64": "double", "float16": "c10::Half"}  # fmt: skip
    return names.get(d.name, d.name)


def _dims_text(shape: tuple) -> str:
    return ", ".join(map(str, shape))


# --------------------------------------------------------------------------- take / masked_select
class TakeBackward0(Node):
    # take: self: take_backward(grad, self, index) = zeros_like(self).put_(index, grad, true)
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.numel, dtype=grad._data.dtype))
        flat = _index_put(zeros, (self.index,), grad.reshape(-1), accumulate=True)
        return (flat.reshape(self.self_sizes),)


def take(input: Tensor, index: Tensor) -> Tensor:
    R._check_tensor("take", input)
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {scalar_type_name(index.dtype)}")
    n = input._data.size
    idx = index._data.reshape(-1)
    if idx.size:
        bad = idx[(idx < -n) | (idx >= n)]
        if bad.size:
            raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements.")
    idx = idx % max(n, 1)
    out = Tensor._make(input._data.reshape(-1)[idx].reshape(index._data.shape))
    if grad_recording(input):
        node = TakeBackward0()
        node.index, node.numel, node.self_sizes = idx, n, input._data.shape
        record(node, out, input)
    return out


class PutBackward0(Node):
    # put: self: grad.put(index, zeros_like(source), accumulate) ; index: non_differentiable
    #      source: grad.take(index).reshape_as(source)
    def apply(self, grad: Tensor) -> tuple:
        d_self = d_source = None
        if needs(self, 0):
            zeros = Tensor._make(grad._xp.zeros(self.source_sizes, dtype=grad._data.dtype))
            d_self = put(grad, self.index, zeros, self.accumulate)
        if needs(self, 1):
            d_source = take(grad, self.index).reshape(self.source_sizes)
        return d_self, d_source


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` copied, with ``source`` written (added, with ``accumulate``) at flat positions ``index``."""
    if index._data.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {scalar_type_name(index.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{scalar_type_name(input.dtype)} and source.dtype = {scalar_type_name(source.dtype)}"
        )
    if source._data.size != index._data.size:
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got source.numel() = "
            f"{source._data.size}, index.numel() = {index._data.size}"
        )
    n = input._data.size
    idx = index._data.reshape(-1)
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements.")
    flat = input._data.copy().reshape(-1)
    src = source._data.reshape(-1)
    if accumulate:
        _add_at(input._xp, flat, (idx % max(n, 1),), src)
    else:
        flat[idx % max(n, 1)] = src
    out = Tensor._make(flat.reshape(input._data.shape))
    if grad_recording(input, source):
        record_with(
            PutBackward0(), out, input, source, index=index, accumulate=accumulate, source_sizes=source._data.shape
        )
    return out


def unravel_index(indices: Tensor, shape: Any) -> tuple[Tensor, ...]:
    """torch.unravel_index (torch.functional's Python, in engine ops): the coordinates of flat indices."""
    if indices.is_complex() or indices.is_floating_point() or indices.dtype is D.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int):
        shape = (shape,)
    elif not isinstance(shape, list | tuple):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for dim in shape:
        if not isinstance(dim, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(dim)}")
    shape = tuple(shape)
    if any(dim < 0 for dim in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    coefs = list(reversed(list(itertools.accumulate(reversed((*shape[1:], 1)), func=operator.mul))))
    as_long = lambda v: Tensor._make(_place(np.array(v, dtype=np.int64), indices.device))
    coords = P.remainder(P.floor_divide(S.unsqueeze(indices, -1), as_long(coefs)), as_long(shape))
    return tuple(coords.unbind(-1))


class MaskedSelectBackward0(Node):
    # masked_select: self: masked_select_backward(grad, self, mask) = zeros.masked_scatter_(mask, grad)
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.numel, dtype=grad._data.dtype))
        return (_index_put(zeros, (self.positions,), grad, accumulate=False).reshape(self.shape),)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    R._check_tensor("masked_select", input)
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    check_broadcast(mask._data.shape, input._data.shape)  # torch names the mask first
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    xp = input._xp
    # positions in the flattened broadcast shape, so a 0-d input and mask need no special case
    positions = xp.nonzero(xp.broadcast_to(mask._data, shape).reshape(-1))[0].astype(np.int64)
    out = Tensor._make(xp.broadcast_to(input._data, shape).reshape(-1)[positions])
    if grad_recording(input):
        node = MaskedSelectBackward0()
        node.shape, node.numel, node.positions = shape, int(np.prod(shape)), positions
        record(node, out, input)
    return out


# --------------------------------------------------------------------------- masked_scatter
_BYTE_MASK_WARNING = (
    "masked_scatter_ received a mask with dtype torch.uint8, this behavior is now deprecated,please use a mask "
    "with dtype torch.bool instead."
)


class MaskedScatterBackward0(Node):
    # masked_scatter: self: grad.masked_fill(mask, 0) ; mask: non_differentiable
    #                 source: masked_scatter_backward(grad, mask, source.sizes())
    #                   = grad.masked_select(mask), padded with zeros to source's numel, viewed as source
    def apply(self, grad: Tensor) -> tuple:
        mask = self.saved("mask")
        g_self = masked_fill(grad, mask, 0) if needs(self, 0) else None
        g_src = None
        if needs(self, 1):
            g_src = masked_select(grad, mask)
            missing = int(np.prod(self.source_sizes)) - g_src._data.size
            if missing > 0:
                zeros = Tensor._make(grad._xp.zeros(missing, dtype=grad._data.dtype))
                g_src = J.cat([g_src, zeros], 0)
            g_src = g_src.view(self.source_sizes)
        return g_self, g_src


def _masked_scatter_checks(input: Tensor, mask: Tensor, source: Tensor) -> None:
    """masked_scatter_'s checks before its kernel: dtypes (self and source, then the mask)."""
    if source.dtype is not input.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{scalar_type_name(input.dtype)} and {scalar_type_name(source.dtype)}"
        )
    if mask._data.dtype not in (np.bool_, np.uint8):
        raise RuntimeError(
            f"masked_scatter_ only supports boolean masks, but got mask with dtype {scalar_type_name(mask.dtype)}"
        )


def _expand_inplace_check(mask: Tensor, shape: tuple[int, ...]) -> None:
    """expand_inplace(self, mask): the mask must expand to self's shape (C++ expand's wording)."""
    ms = mask._data.shape
    if len(ms) > len(shape):
        raise RuntimeError(
            f"expand(CPU{scalar_type_name(mask.dtype)}Type{{[{_dims_text(ms)}]}}, size=[{_dims_text(shape)}]): the "
            f"number of sizes provided ({len(shape)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({len(ms)})"
        )
    _check_expand(mask, shape)


def _masked_scatter_into(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """The kernel: ``input`` (already of the broadcast shape) with the mask's places filled from ``source``."""
    if mask._data.dtype == np.uint8:
        warnings.warn(_BYTE_MASK_WARNING, UserWarning, stacklevel=4)
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype Byte")
    xp = input._xp
    where = xp.broadcast_to(mask._data, input._data.shape)
    count = int(where.sum())
    if count > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    arr = input._data.copy()
    arr[where] = source._data.reshape(-1)[:count]
    return Tensor._make(arr)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the places where ``mask`` is true filled, in order, from the elements of ``source``."""
    check_broadcast(mask._data.shape, input._data.shape)  # expand_outplace(mask, self): the mask is named first
    _masked_scatter_checks(input, mask, source)
    shape = np.broadcast_shapes(mask._data.shape, input._data.shape)
    base = input if input._data.shape == shape else Tensor._make(input._xp.broadcast_to(input._data, shape))
    out = _masked_scatter_into(base, mask, source)
    if grad_recording(input, source):
        node = MaskedScatterBackward0()
        node.source_sizes = source._data.shape
        record(node, out, input, source)
        node.save("mask", mask)
    return out


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    check_inplace(self, source)
    _masked_scatter_checks(self, mask, source)
    _expand_inplace_check(mask, self._data.shape)
    return commit(self, masked_scatter(self, mask, source))


# --------------------------------------------------------------------------- _unsafe_masked_index (and its put)
def _clamped_key(input: Tensor, indices: Any) -> tuple:
    """The indices clamped into range (torch clamps to [-size, size - 1], then wraps), as an advanced key."""
    if isinstance(indices, Tensor) or not isinstance(indices, list | tuple):
        raise TypeError(f"expected a list of Tensors for argument 'indices', but got {type(indices).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 2, but got {type(t).__name__}")
    shape = input._data.shape
    for t in indices[: len(shape)]:
        if t._data.dtype not in (np.int32, np.int64):
            raise RuntimeError(f"_unsafe_masked_index found unexpected index type {scalar_type_name(t.dtype)}")
    if not indices:
        raise IndexError("at least one index must be provided")
    if len(indices) > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {len(indices)})")
    xp = input._xp
    key = tuple(
        xp.clip(t._data.astype(np.int64), -size, size - 1) % max(size, 1)
        for t, size in zip(indices, shape, strict=False)
    )
    try:
        np.broadcast_shapes(*(k.shape for k in key))
    except ValueError:
        shapes = ", ".join(f"[{_dims_text(k.shape)}]" for k in key)
        raise IndexError(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}"
        ) from None
    return key


class UnsafeMaskedIndexBackward0(Node):
    # _unsafe_masked_index: self: _unsafe_masked_index_put_accumulate(zeros_like(self), mask, indices, grad)
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.self_sizes, dtype=grad._data.dtype))
        return (_unsafe_masked_index_put_accumulate(zeros, self.saved("mask"), self.indices, grad),)


class UnsafeMaskedIndexPutAccumulateBackward0(Node):
    # _unsafe_masked_index_put_accumulate: self: grad ; values: _unsafe_masked_index(grad, mask, indices, 0)
    def apply(self, grad: Tensor) -> tuple:
        g_values = _unsafe_masked_index(grad, self.saved("mask"), self.indices, 0) if needs(self, 1) else None
        return grad, g_values


def _unsafe_masked_index(input: Tensor, mask: Tensor, indices: Any, fill: Any) -> Tensor:
    """``where(mask, input[indices], fill)`` where a masked-out index may be out of range (torch clamps it)."""
    key = _clamped_key(input, indices)
    xp = input._xp
    value = _checked_fill(fill._data if isinstance(fill, Tensor) else fill, input)
    if input._data.size == 0:
        # torch indexes a tensor of the fill value whose indexed empty dims have size 1 (and its other dims 0)
        sizes = [1 if s == 0 else s for s in input._data.shape[: len(key)]] + [0] * (input.ndim - len(key))
        arr = xp.full(sizes, value).astype(input._data.dtype)[key]
    else:
        arr = input._data[key]
        check_broadcast(mask._data.shape, arr.shape)  # masked_fill(logical_not(mask), fill): the mask is named first
        fill_arr = xp.asarray(value).astype(arr.dtype)
        arr = xp.where(mask._data.astype(bool), arr, fill_arr).astype(arr.dtype, copy=False)
    out = Tensor._make(arr)
    if grad_recording(input):
        node = UnsafeMaskedIndexBackward0()
        node.indices, node.self_sizes = list(indices), input._data.shape
        record(node, out, input)
        node.save("mask", mask)
    return out


def _unsafe_masked_index_put_accumulate(input: Tensor, mask: Tensor, indices: Any, values: Tensor) -> Tensor:
    """``input`` with ``values`` (zero where ``mask`` is false) added at the clamped ``indices``: the backward
    of ``_unsafe_masked_index``."""
    if input._data.size == 0:
        return S.clone(input)
    key = _clamped_key(input, indices)
    xp = input._xp
    check_broadcast(mask._data.shape, values._data.shape)  # values.masked_fill(logical_not(mask), 0)
    masked = xp.where(mask._data.astype(bool), values._data, xp.zeros((), dtype=values._data.dtype))
    arr = input._data.copy()
    target = arr[key].shape
    try:
        masked = xp.broadcast_to(masked, target)
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape [{_dims_text(masked.shape)}] cannot be broadcast to indexing "
            f"result of shape [{_dims_text(target)}]"
        ) from None
    _check_put_dtype(input, values)
    _add_at(xp, arr, key, masked)
    out = Tensor._make(arr)
    if grad_recording(input, values):
        node = UnsafeMaskedIndexPutAccumulateBackward0()
        node.indices = list(indices)
        record(node, out, input, values)
        node.save("mask", mask)
    return out


# --------------------------------------------------------------------------- index_add / index_fill / index_copy
def _index_arg(input: Tensor, d: int, index: Tensor, what: str) -> Any:
    """The index as int64 with each op's own checks: index_fill wraps negative indices, index_add and
    index_copy refuse them (and each words the error and picks the exception type its own way)."""
    dt = index._data.dtype
    if what == "index_add_":
        if dt not in (np.int32, np.int64):
            raise RuntimeError(
                f"index_add_(): Expected dtype int32/int64 for index but got: {scalar_type_name(index.dtype)}"
            )
    elif dt != np.int64:
        raise IndexError(f"{what}(): Expected dtype int64 for index.")
    idx = index._data.reshape(-1).astype(np.int64)
    size = input._data.shape[d] if input.ndim else 1
    lo = -size if what == "index_fill_" else 0
    if idx.size:
        bad = idx[(idx < lo) | (idx >= size)]
        if bad.size:
            msg = f"index {int(bad[0])} is out of bounds for dimension {d} with size {size}"
            if what == "index_add_":
                raise RuntimeError(msg)
            raise IndexError(f"index_copy_(): {msg}" if what == "index_copy_" else msg)
    return idx % max(size, 1)


def _check_source(input: Tensor, d: int, idx: Any, source: Tensor, what: str) -> None:
    if what == "index_add_":
        if source.dtype is not input.dtype:
            raise RuntimeError(
                f"index_add_(): self ({scalar_type_name(input.dtype)}) and source "
                f"({scalar_type_name(source.dtype)}) must have the same scalar type"
            )
        s_in = [s for k, s in enumerate(input._data.shape) if k != d]
        s_src = [s for k, s in enumerate(source._data.shape) if k != d]
        if input.ndim and (source.ndim != input.ndim or s_in != s_src):
            raise RuntimeError(
                "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape "
                f"= [{_dims_text(input._data.shape)}] source.shape = [{_dims_text(source._data.shape)}]"
            )
    else:
        n_src = source._data.shape[d] if source.ndim else 1
        if idx.size != n_src:
            raise IndexError(
                f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) ({n_src})"
            )
        if source.dtype is not input.dtype:
            raise RuntimeError(
                "index_copy_(): self and source expected to have the same dtype, but got (self) "
                f"{scalar_type_name(input.dtype)} and (source) {scalar_type_name(source.dtype)}"
            )


class IndexAddBackward0(Node):
    # index_add: self: grad ; source: maybe_multiply(grad.index_select(dim, index).expand_as(source), alpha)
    def apply(self, grad: Tensor) -> tuple:
        g_src = None
        if needs(self, 1):
            g_src = _select_grad(grad, self.dim, self.index, self.source_sizes)
            if self.alpha != 1:
                g_src = g_src * self.alpha
        return grad, g_src


class IndexCopyBackward0(Node):
    # index_copy: self: grad.index_fill(dim, index, 0) ; source: grad.index_select(dim, index)
    def apply(self, grad: Tensor) -> tuple:
        g_self = index_fill(grad, self.dim, self.index, 0) if needs(self, 0) else None
        g_src = _select_grad(grad, self.dim, self.index, self.source_sizes) if needs(self, 1) else None
        return g_self, g_src


class IndexFillBackward0(Node):
    # index_fill.int_Scalar: self: grad.index_fill(dim, index, 0)
    def apply(self, grad: Tensor) -> tuple:
        return (index_fill(grad, self.dim, self.index, 0),)


class IndexFillBackward1(Node):
    # index_fill.int_Tensor: self: grad.index_fill(dim, index, 0)
    # value: grad.index_select(dim, std::get<0>(at::_unique(index, /*sorted=*/false))).sum()
    def apply(self, grad: Tensor) -> tuple:
        g_self = index_fill(grad, self.dim, self.index, 0) if needs(self, 0) else None
        g_val = None
        if needs(self, 1):  # a repeated index fills its place once: it counts once
            unique = Tensor._make(self.index._xp.unique(self.index._data))
            g_val = index_select(grad, self.dim, unique).sum()
        return g_self, g_val


def _select_grad(grad: Tensor, d: int, index: Tensor, source_sizes: tuple) -> Tensor:
    g = index_select(grad, d, index)
    return g.reshape(source_sizes) if g._data.shape != source_sizes else g


def _dim_key(input: Tensor, d: int, idx: Any) -> tuple:
    return (*(slice(None),) * d, idx) if input.ndim else (idx,)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    d = wrap_dims(dim, input.ndim)[0]
    idx = _index_arg(input, d, index, "index_add_")
    _check_source(input, d, idx, source, "index_add_")
    xp = input._xp
    arr = input._data.copy()
    flat = arr.reshape(1) if arr.ndim == 0 else arr
    src = source._data if source.ndim else source._data.reshape(1)
    with P._errstate(xp):
        _add_at(xp, flat, _dim_key(input, d, idx), src * alpha if alpha != 1 else src)
    out = Tensor._make(arr)
    if grad_recording(input, source):
        node = IndexAddBackward0()
        node.dim, node.index, node.alpha = d, Tensor._make(idx), alpha
        node.source_sizes = source._data.shape
        record(node, out, input, source)
    return out


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    d = wrap_dims(dim, input.ndim)[0]
    idx = _index_arg(input, d, index, "index_copy_")
    _check_source(input, d, idx, source, "index_copy_")
    arr = input._data.copy()
    flat = arr.reshape(1) if arr.ndim == 0 else arr
    flat[_dim_key(input, d, idx)] = source._data if source.ndim else source._data.reshape(1)
    out = Tensor._make(arr)
    if grad_recording(input, source):
        node = IndexCopyBackward0()
        node.dim, node.index, node.source_sizes = d, Tensor._make(idx), source._data.shape
        record(node, out, input, source)
    return out


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    d = wrap_dims(dim, input.ndim)[0]
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(
            f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s)."
        )
    idx = _index_arg(input, d, index, "index_fill_")
    arr = input._data.copy()
    flat = arr.reshape(1) if arr.ndim == 0 else arr
    fill = value._data if isinstance(value, Tensor) else value
    flat[_dim_key(input, d, idx)] = input._xp.asarray(fill).astype(arr.dtype)
    out = Tensor._make(arr)
    if isinstance(value, Tensor):
        if grad_recording(input, value):
            node: Node = IndexFillBackward1()
            node.dim, node.index = d, Tensor._make(idx)
            record(node, out, input, value)
    elif grad_recording(input):
        node = IndexFillBackward0()
        node.dim, node.index = d, Tensor._make(idx)
        record(node, out, input)
    return out


def repeat_interleave(
    input: Tensor,
    repeats: Any = None,
    dim: int | None = None,
    *,
    output_size: int | None = None,
) -> Tensor:
    if repeats is None:  # torch.repeat_interleave(repeats): the index each count repeats
        counts = input._data
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        return Tensor._make(input._xp.repeat(input._xp.arange(counts.size, dtype=np.int64), counts))
    src = input.flatten() if dim is None else input
    d = 0 if dim is None else wrap_dims(dim, input.ndim)[0]
    if isinstance(repeats, Tensor):
        r = repeats._data.reshape(-1)
        size = src._data.shape[d] if src.ndim else 1
        if r.size == 1:
            r = input._xp.broadcast_to(r, (size,))
        elif r.size != size:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {r.size} and input.size({d}) = {size}"
            )
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        index = Tensor._make(input._xp.repeat(input._xp.arange(size, dtype=np.int64), r))
        return index_select(src, d, index)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if src.ndim == 0:
        src = src.reshape(1)
    # torch: unsqueeze after dim, expand, then copy and view to the final shape
    shape = src._data.shape
    expanded = src.unsqueeze(d + 1).expand(*shape[: d + 1], repeats, *shape[d + 1 :])
    return S.clone(expanded).view(*shape[:d], shape[d] * repeats, *shape[d + 1 :])


# --------------------------------------------------------------------------- exports
METHODS = {
    "index_select": index_select, "gather": gather, "take_along_dim": take_along_dim, "scatter": scatter,
    "scatter_add": scatter_add, "masked_fill": masked_fill, "index_put": index_put, "index_put_": index_put_,
    "take": take, "masked_select": masked_select, "index_add": index_add, "index_copy": index_copy,
    "index_fill": index_fill, "repeat_interleave": repeat_interleave,
    # in place: computed out of place, then written back with version bump and history rebase
    "scatter_": inplace_method(scatter), "scatter_add_": inplace_method(scatter_add),
    "masked_fill_": inplace_method(masked_fill), "index_add_": inplace_method(index_add),
    "index_copy_": inplace_method(index_copy), "index_fill_": inplace_method(index_fill),
}  # fmt: skip
__all__ = [
    "gather", "index_add", "index_copy", "index_fill", "index_put", "index_put_", "index_select", "masked_fill",
    "masked_select", "repeat_interleave", "scatter", "scatter_add", "take", "take_along_dim",
]  # fmt: skip
__all__ += ["alias_copy"]
__all__ += ["put", "unravel_index"]
METHODS.update({"put": put, "put_": inplace_method(put)})
__all__ += ["masked_scatter", "_unsafe_masked_index", "_unsafe_masked_index_put_accumulate"]
METHODS.update({"masked_scatter": masked_scatter, "masked_scatter_": masked_scatter_})
