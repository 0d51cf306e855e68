"""Indexing: ``x[...]`` (basic indexing gives views, advanced indexing copies) and ``x[...] = v``.

Basic index elements (ints, slices, None, Ellipsis) are applied one after the
other as view ops (select, slice, unsqueeze), so the result's grad_fn chain is
torch's. Tensor, list and bool elements are then applied together as one
advanced index (``IndexBackward0``), with NumPy's placement rules, which are
torch's. Gather/scatter-style ops live here too, as they share the index
plumbing.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import check_common_device, grad_recording, needs, record, wrap_dims
from .inplace import check_inplace, commit, inplace_method, scalar_type_name
from .shape import _select, _view_result, slice_dim, unsqueeze

_BAD_INDEX = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {})"
)
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
    if arr.dtype.kind == "f":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return arr if arr.size or arr.dtype.kind == "b" else arr.astype(np.int64)


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
        elif isinstance(e, Tensor | list | tuple | np.ndarray):
            arr = _index_array(e, self._xp)
            if arr.dtype.kind == "b":
                _check_mask(arr, result, dim)
                for k, col in enumerate(self._xp.nonzero(arr)):
                    adv[dim + k] = col.astype(np.int64)
                dim += arr.ndim
            else:
                # torch names the position among the advanced indices, not the tensor dim
                adv[dim] = _check_bounds(arr, result._data.shape[dim], len(adv), check=result._data.size != 0)
                dim += 1
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


def _key(adv: dict[int, Any]) -> tuple:
    last = max(adv)
    return tuple(adv.get(d, slice(None)) for d in range(last + 1))


# --------------------------------------------------------------------------- index / index_put
class AliasBackward0(Node):
    # alias: self: grad
    def apply(self, grad: Tensor) -> tuple:
        return (grad,)


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


def _index(input: Tensor, key: tuple) -> Tensor:  # noqa: A002
    """``input[key]`` for a normalised advanced key (slices and int64 arrays): a copy."""
    out = Tensor._make(input._data[key])
    if grad_recording(input):
        node = IndexBackward0()
        node.key, node.self_sizes = key, input._data.shape
        record(node, out, input)
    return out


def _add_at(xp: Any, arr: Any, key: tuple, values: Any) -> None:
    if hasattr(xp, "add") and hasattr(xp.add, "at"):
        xp.add.at(arr, key, values)
    else:  # CuPy
        import cupyx  # noqa: PLC0415 - only present with CuPy

        cupyx.scatter_add(arr, key, values)


def _index_put(input: Tensor, key: tuple, values: Tensor, accumulate: bool, source: Any = None) -> Tensor:  # noqa: A002
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


def _put_key(input: Tensor, indices: Any) -> tuple:  # noqa: A002
    """torch.index_put's ``indices`` (a tuple of tensors or None) as a normalised key."""
    adv: dict[int, Any] = {}
    dim = 0
    for t in indices:
        if t is None:
            dim += 1
            continue
        arr = _index_array(t, input._xp)
        if arr.dtype.kind == "b":
            _check_mask(arr, input, dim)
            for k, col in enumerate(input._xp.nonzero(arr)):
                adv[dim + k] = col.astype(np.int64)
            dim += arr.ndim
        else:
            adv[dim] = _check_bounds(arr, input._data.shape[dim], dim)
            dim += 1
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


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
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
class IndexSelectBackward0(Node):
    # index_select: self: index_select_backward_symint(grad, self.sym_sizes(), dim, index)
    #   = zeros.index_add_(dim, index, grad)
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.self_sizes, dtype=grad._data.dtype))
        return (_index_put(zeros, self.key, grad, accumulate=True),)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
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
    out = Tensor._make(input._data[key] if input.ndim else input._data[arr].reshape(()))
    if grad_recording(input):
        node = IndexSelectBackward0()
        node.key, node.self_sizes = key, input._data.shape
        record(node, out, input)
    return out


def _gather_key(input: Tensor, d: int, index: Tensor, what: str) -> tuple:  # noqa: A002
    """Full advanced key addressing ``input[..., index[i], ...]`` for each position of ``index``."""
    if index._data.dtype != np.int64:
        raise RuntimeError(f"{what}(): Expected dtype int64 for index")
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
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.self_sizes, dtype=grad._data.dtype))
        g = grad.reshape(self.index_shape)
        return (_index_put(zeros.reshape(self.flat_sizes), self.key, g, accumulate=True).reshape(self.self_sizes),)


def _flat(t: Tensor) -> Tensor:
    return t.reshape(1) if t.ndim == 0 else t


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    check_common_device("gather", ("self", input), ("index", index))
    d = wrap_dims(dim, input.ndim)[0]
    key = _gather_key(input, d, index, "gather")
    src = input._data.reshape(input._data.shape or (1,))
    out = Tensor._make(src[key].reshape(index._data.shape))
    if grad_recording(input):
        node = GatherBackward0()
        node.key, node.self_sizes = key, input._data.shape
        node.flat_sizes, node.index_shape = src.shape, index._data.shape or (1,)
        record(node, out, input)
    return out


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = wrap_dims(dim, input.ndim)[0]
    shape = list(np.broadcast_shapes(tuple(s for i, s in enumerate(input.shape) if i != d),
                                     tuple(s for i, s in enumerate(indices.shape) if i != d)))
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


def _scatter(input: Tensor, dim: int, index: Tensor, src: Any, add: bool, what: str) -> Tensor:  # noqa: A002
    d = wrap_dims(dim, input.ndim)[0]
    key = _gather_key(input, d, index, what)
    arr = input._data.reshape(input._data.shape or (1,)).copy()
    if isinstance(src, Tensor):
        if src.ndim != index.ndim and not (src.ndim <= 1 and index.ndim <= 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        sl = tuple(slice(0, s) for s in index._data.shape)
        vals = src._data.reshape(src._data.shape or (1,))[sl].astype(arr.dtype, copy=False)
    else:
        vals = input._xp.asarray(src, dtype=arr.dtype)
    vals = input._xp.broadcast_to(vals, arr[key].shape)
    if add:
        _add_at(input._xp, arr, key, vals)
    else:
        arr[key] = vals
    out = Tensor._make(arr.reshape(input._data.shape))
    if grad_recording(input, src):
        node = (ScatterAddBackward0 if add else ScatterBackward0)() if isinstance(src, Tensor) else ScatterBackward1()
        node.dim, node.index = d, index
        record(node, out, input, *((src,) if isinstance(src, Tensor) else ()))
    return out


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: Any = None) -> Tensor:  # noqa: A002
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not supported by reference_engine")
    return _scatter(input, dim, index, value if src is None else src, add=False, what="scatter")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
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


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    if mask._data.dtype != np.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {_c10_name(mask.dtype)}"
        )
    xp = input._xp
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        fill = value._data.astype(input._data.dtype)
    else:
        fill = xp.asarray(value).astype(input._data.dtype)
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    out = Tensor._make(xp.where(mask._data, fill, input._data).astype(input._data.dtype, copy=False))
    if shape != input._data.shape:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, input.shape))}] doesn't match the broadcast shape "
            f"[{', '.join(map(str, shape))}]"
        )
    if isinstance(value, Tensor):
        if grad_recording(input, value):
            node = MaskedFillBackward1()
            node.mask = mask
            record(node, out, input, value)
    elif grad_recording(input):
        node = MaskedFillBackward0()
        node.mask = mask
        record(node, out, input)
    return out


def _c10_name(d: D.dtype) -> str:
    names = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
             "float32": "float", "float64": "double", "float16": "c10::Half"}  # fmt: skip
    return names.get(d.name, d.name)


METHODS = {
    "index_select": index_select, "gather": gather, "take_along_dim": take_along_dim, "scatter": scatter,
    "scatter_add": scatter_add, "masked_fill": masked_fill, "index_put": index_put, "index_put_": index_put_,
    # in place: computed out of place, then written back with version bump and history rebase
    "scatter_": inplace_method(scatter), "scatter_add_": inplace_method(scatter_add),
    "masked_fill_": inplace_method(masked_fill),
}  # fmt: skip
__all__ = ["gather", "index_put", "index_put_", "index_select", "masked_fill", "scatter", "scatter_add", "take_along_dim"]
