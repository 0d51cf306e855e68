"""Shape and indexing helpers built on the core ops: diag, trace, meshgrid, tile, repeat_interleave,
atleast_1d/2d/3d, hstack, vstack, dstack, column_stack, tensor_split, broadcast_tensors, diff, rot90, take,
masked_select, index_add, index_fill, index_copy, nan_to_num.

Where torch composes an op from others (meshgrid, hstack, diff, repeat_interleave), the engine composes the
same ops in the same order, so the grad_fn chain is torch's; ops that are native in torch get their own
node here.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, _size_args
from . import indexing as I
from . import pointwise as P
from . import reduction as R
from . import shape as S
from ._util import check_broadcast, grad_recording, needs, record, wrap_dims
from .inplace import inplace_method, scalar_type_name


def _dims_text(shape: tuple) -> str:
    return ", ".join(map(str, shape))


# --------------------------------------------------------------------------- diag / trace
class DiagEmbedBackward0(Node):
    # diag_embed: self: grad.diagonal(offset, dim1, dim2)
    def apply(self, grad: Tensor) -> tuple:
        return (S.diagonal(grad, self.offset, 0, 1),)


# diagonal_copy: the same formula as diagonal, under the name torch gives the copying variant
DiagonalBackward0_copy = type("DiagonalBackward0_copy", (S.DiagonalBackward0,), {})


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    R._check_tensor("diag", input)
    a = input._data
    xp = input._xp
    if a.ndim == 1:
        n = a.shape[0] + abs(diagonal)
        res = xp.zeros((n, n), dtype=a.dtype)
        S._diag_view(res, xp, diagonal, 0, 1)[...] = a
        out = Tensor._make(res)
        if grad_recording(input):
            node: Node = DiagEmbedBackward0()
            node.offset = diagonal
            record(node, out, input)
        return out
    if a.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
    out = Tensor._make(S._diag_view(a, xp, diagonal, 0, 1).copy())
    if grad_recording(input):
        node = DiagonalBackward0_copy()
        node.self_sizes, node.offset, node.dim1, node.dim2 = a.shape, diagonal, 0, 1
        record(node, out, input)
    return out


class TraceBackward0(Node):
    # trace: self: trace_backward_symint(grad, self.sym_sizes()) = zeros with grad on the main diagonal
    def apply(self, grad: Tensor) -> tuple:
        eye = Tensor._make(grad._xp.eye(*self.self_sizes, dtype=bool))
        return (P.where(eye, grad, 0.0).to(grad.dtype),)


def trace(input: Tensor) -> Tensor:  # noqa: A002
    R._check_tensor("trace", input)
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    if a.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    dt = R._reduce_int_dtype(input, None)
    out = Tensor._make(input._xp.asarray(a.astype(dt.np, copy=False).trace(), dtype=dt.np))
    if grad_recording(input):
        node = TraceBackward0()
        node.self_sizes = a.shape
        record(node, out, input)
    return out


# --------------------------------------------------------------------------- meshgrid / tile / repeat_interleave
def _tensor_args(tensors: tuple, fn: str) -> list[Tensor]:
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    return S._tensor_list(list(tensors), fn)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    ts = _tensor_args(tensors, "meshgrid")
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: " + repr(t._data.tolist())
            )
    for t in ts[1:]:
        if t.dtype is not ts[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(ts) >= 2
    if swap:  # torch swaps the first two inputs, builds an 'ij' grid, and swaps the outputs back
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    grids = []
    for i, t in enumerate(ts):
        view_shape = [1] * len(ts)
        view_shape[i] = -1
        grids.append(t.view(view_shape).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def tile(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    reps = _size_args((dims,), "tile")
    if len(reps) < input.ndim:
        reps = (1,) * (input.ndim - len(reps)) + reps
    return S.repeat(input, reps)


def repeat_interleave(
    input: Tensor,  # noqa: A002
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
        return I.index_select(src, d, index)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if src.ndim == 0:
        src = src.reshape(1)
    # torch: unsqueeze after dim, expand, then copy and view to the final shape
    shape = src._data.shape
    expanded = src.unsqueeze(d + 1).expand(*shape[: d + 1], repeats, *shape[d + 1 :])
    return S.clone(expanded).view(*shape[:d], shape[d] * repeats, *shape[d + 1 :])


# --------------------------------------------------------------------------- atleast_nd / stacks
def _atleast(tensors: tuple, n: int) -> Any:
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    ts = [tensors[0]] if single else _tensor_args(tensors, f"atleast_{n}d")
    out = []
    for t in ts:
        if t.ndim >= n:
            out.append(t)
        elif t.ndim == 0:
            out.append(t.reshape((1,) * n))
        elif n == 2 or (n == 3 and t.ndim == 1):
            t = t.unsqueeze(0)
            out.append(t.unsqueeze(-1) if n == 3 else t)
        else:  # 2-d to 3-d
            out.append(t.unsqueeze(-1))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    return _atleast(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    return _atleast(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    return _atleast(tensors, 3)


def _stack_args(tensors: Any, fn: str) -> list[Tensor]:
    ts = S._tensor_list(tensors, fn)
    if not ts:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return ts


def hstack(tensors: Any) -> Tensor:
    ts = list(_atleast(tuple(_stack_args(tensors, "hstack")), 1))
    return S.cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    return S.cat(list(_atleast(tuple(_stack_args(tensors, "vstack")), 2)), 0)


row_stack = vstack


def dstack(tensors: Any) -> Tensor:
    return S.cat(list(_atleast(tuple(_stack_args(tensors, "dstack")), 3)), 2)


def column_stack(tensors: Any) -> Tensor:
    ts = _stack_args(tensors, "column_stack")
    cols = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts]
    return S.cat(cols, 1)


# --------------------------------------------------------------------------- tensor_split / broadcast_tensors
def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dims(dim, input.ndim)[0]
    size = input._data.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.item() if spec.ndim == 0 else [int(v) for v in spec.tolist()]
    if isinstance(spec, int | np.integer):
        n = int(spec)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        base, extra = divmod(size, n)
        bounds, start = [], 0
        for i in range(n):
            stop = start + base + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
    else:
        cuts = [0, *[int(c) for c in spec], size]
        bounds = []
        for lo, hi in itertools.pairwise(cuts):
            lo, hi = _clamp_index(lo, size), _clamp_index(hi, size)
            bounds.append((lo, max(lo, hi)))
    return tuple(S._slice(input, d, lo, hi, 1) for lo, hi in bounds)


def _clamp_index(i: int, size: int) -> int:
    if i < 0:
        i += size
    return min(max(i, 0), size)


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    ts = _tensor_args(tensors, "broadcast_tensors")
    shape: tuple = ()
    for t in ts:
        check_broadcast(shape, t._data.shape)
        shape = np.broadcast_shapes(shape, t._data.shape)
    # torch hands back an input that already has the broadcast shape as is
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in ts)


# --------------------------------------------------------------------------- diff / rot90
def diff(
    input: Tensor,  # noqa: A002
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
    x = S.cat(parts, d) if len(parts) > 1 else input
    if n == 0:
        return x
    for _ in range(n):
        length = x._data.shape[d]
        if length == 0:
            break
        hi = S._slice(x, d, 1, length, 1)
        lo = S._slice(x, d, 0, length - 1, 1)
        x = P.logical_xor(hi, lo) if x._data.dtype == np.bool_ else P.sub(hi, lo)
    return x


class Rot90Backward0(Node):
    # rot90: self: grad.rot90(-k, dims)
    def apply(self, grad: Tensor) -> tuple:
        return (rot90(grad, -self.k, self.dims),)


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:  # noqa: A002
    R._check_tensor("rot90", input)
    dl = list(dims)
    if len(dl) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dl)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = wrap_dims(dl[0], input.ndim)[0], wrap_dims(dl[1], input.ndim)[0]
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    out = Tensor._make(input._xp.ascontiguousarray(input._xp.rot90(input._data, k, axes=(d0, d1))))
    if grad_recording(input):
        node = Rot90Backward0()
        node.k, node.dims = k, (d0, d1)
        record(node, out, input)
    return out


# --------------------------------------------------------------------------- take / masked_select
class TakeBackward0(Node):
    # take: self: take_backward(grad, self, index) = zeros_like(self).put_(index, grad, true)
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.numel, dtype=grad._data.dtype))
        flat = I._index_put(zeros, (self.index,), grad.reshape(-1), accumulate=True)
        return (flat.reshape(self.self_sizes),)


def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
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


class MaskedSelectBackward0(Node):
    # masked_select: self: masked_select_backward(grad, self, mask) = zeros.masked_scatter_(mask, grad)
    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.numel, dtype=grad._data.dtype))
        return (I._index_put(zeros, (self.positions,), grad, accumulate=False).reshape(self.shape),)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:  # noqa: A002
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


# --------------------------------------------------------------------------- index_add / index_fill / index_copy
def _index_arg(input: Tensor, d: int, index: Tensor, what: str) -> Any:  # noqa: A002
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


def _check_source(input: Tensor, d: int, idx: Any, source: Tensor, what: str) -> None:  # noqa: A002
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
    # index_fill.int_Tensor: self: grad.index_fill(dim, index, 0) ; value: grad.index_select(dim, index).sum()
    def apply(self, grad: Tensor) -> tuple:
        g_self = index_fill(grad, self.dim, self.index, 0) if needs(self, 0) else None
        g_val = I.index_select(grad, self.dim, self.index).sum() if needs(self, 1) else None
        return g_self, g_val


def _select_grad(grad: Tensor, d: int, index: Tensor, source_sizes: tuple) -> Tensor:
    g = I.index_select(grad, d, index)
    return g.reshape(source_sizes) if g._data.shape != source_sizes else g


def _key(input: Tensor, d: int, idx: Any) -> tuple:  # noqa: A002
    return (*(slice(None),) * d, idx) if input.ndim else (idx,)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    d = wrap_dims(dim, input.ndim)[0]
    idx = _index_arg(input, d, index, "index_add_")
    _check_source(input, d, idx, source, "index_add_")
    xp = input._xp
    arr = input._data.copy()
    flat = arr.reshape(1) if arr.ndim == 0 else arr
    src = source._data if source.ndim else source._data.reshape(1)
    with P._errstate(xp):
        I._add_at(xp, flat, _key(input, d, idx), src * alpha if alpha != 1 else src)
    out = Tensor._make(arr)
    if grad_recording(input, source):
        node = IndexAddBackward0()
        node.dim, node.index, node.alpha = d, Tensor._make(idx), alpha
        node.source_sizes = source._data.shape
        record(node, out, input, source)
    return out


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    d = wrap_dims(dim, input.ndim)[0]
    idx = _index_arg(input, d, index, "index_copy_")
    _check_source(input, d, idx, source, "index_copy_")
    arr = input._data.copy()
    flat = arr.reshape(1) if arr.ndim == 0 else arr
    flat[_key(input, d, idx)] = source._data if source.ndim else source._data.reshape(1)
    out = Tensor._make(arr)
    if grad_recording(input, source):
        node = IndexCopyBackward0()
        node.dim, node.index, node.source_sizes = d, Tensor._make(idx), source._data.shape
        record(node, out, input, source)
    return out


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    d = wrap_dims(dim, input.ndim)[0]
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(
            f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s)."
        )
    idx = _index_arg(input, d, index, "index_fill_")
    arr = input._data.copy()
    flat = arr.reshape(1) if arr.ndim == 0 else arr
    fill = value._data if isinstance(value, Tensor) else value
    flat[_key(input, d, idx)] = input._xp.asarray(fill).astype(arr.dtype)
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


# --------------------------------------------------------------------------- nan_to_num
class NanToNumBackward0(Node):
    # nan_to_num: self: grad * at::isfinite(self)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * P.isfinite(self.saved("self")),)


def nan_to_num(
    input: Tensor,  # noqa: A002
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    R._check_tensor("nan_to_num", input)
    a = input._data
    if a.dtype.kind != "f":
        return Tensor._make(a.copy())  # nothing to replace in an integer or bool tensor
    info = np.finfo(a.dtype)
    res = input._xp.nan_to_num(
        a, nan=nan, posinf=info.max if posinf is None else posinf, neginf=info.min if neginf is None else neginf
    ).astype(a.dtype, copy=False)
    out = Tensor._make(res)
    if grad_recording(input):
        node = NanToNumBackward0()
        record(node, out, input)
        node.save("self", input)
    return out


__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_tensors", "column_stack", "diag", "diff", "dstack",
    "hstack", "index_add", "index_copy", "index_fill", "masked_select", "meshgrid", "nan_to_num",
    "repeat_interleave", "rot90", "row_stack", "take", "tensor_split", "tile", "trace", "vstack",
]  # fmt: skip
_NOT_METHODS = ("atleast_1d", "atleast_2d", "atleast_3d", "broadcast_tensors", "column_stack", "dstack", "hstack",
                "meshgrid", "row_stack", "vstack")  # fmt: skip
METHODS: dict = {name: globals()[name] for name in __all__ if name not in _NOT_METHODS}
METHODS.update({
    name + "_": inplace_method(globals()[name]) for name in ("index_add", "index_copy", "index_fill", "nan_to_num")
})  # fmt: skip
