"""Joining and splitting tensors: cat, stack, hstack/vstack/dstack, split, chunk, tensor_split, unbind,
block_diag, cartesian_prod, meshgrid, broadcast_tensors, _chunk_cat."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .._creation import _place
from .._torch_version import since
from ..autograd.graph import Node
from ..tensor import Size, Tensor
from . import shape as S
from ._util import check_broadcast, check_common_device, grad_recording, needs, record, record_with, wrap_dims
from .pointwise import NoDerivative
from .shape import _select, _slice, make_view


# --------------------------------------------------------------------------- atleast_nd
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


# --------------------------------------------------------------------------- meshgrid / tile / repeat_interleave
def _tensor_args(tensors: tuple, fn: str) -> list[Tensor]:
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    return _tensor_list(list(tensors), fn)


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


def _stack_args(tensors: Any, fn: str) -> list[Tensor]:
    ts = _tensor_list(tensors, fn)
    if not ts:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return ts


def hstack(tensors: Any) -> Tensor:
    ts = list(_atleast(tuple(_stack_args(tensors, "hstack")), 1))
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    return cat(list(_atleast(tuple(_stack_args(tensors, "vstack")), 2)), 0)


row_stack = vstack


def dstack(tensors: Any) -> Tensor:
    return cat(list(_atleast(tuple(_stack_args(tensors, "dstack")), 3)), 2)


def column_stack(tensors: Any) -> Tensor:
    ts = _stack_args(tensors, "column_stack")
    cols = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts]
    return cat(cols, 1)


# --------------------------------------------------------------------------- tensor_split / broadcast_tensors
def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
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


# --------------------------------------------------------------------------- cartesian_prod / block_diag
def broadcast_shapes(*shapes: Any) -> Size:
    """torch.broadcast_shapes (torch._refs._broadcast_shapes): the shape the given shapes broadcast to."""
    shapes = tuple((s,) if isinstance(s, int) else s for s in shapes if s is not None)
    if not shapes:
        return Size([])
    for shape in shapes:
        if not isinstance(shape, list | tuple):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {shape}")
    common = [1] * max(len(s) for s in shapes)
    for arg, shape in enumerate(shapes):
        for i in range(-1, -1 - len(shape), -1):
            if shape[i] == common[i]:
                continue
            if common[i] == 1:
                if shape[i] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[i] = shape[i]
            if shape[i] != 1 and common[i] != shape[i]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[i]} at {i}! Mismatching argument at index "
                    f"{arg} had {shape}; but expected shape should be broadcastable to {common}"
                )
    return Size(common)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of a 1-d tensor's elements, in itertools' (and torch's) order, as rows
    stacked from the input's gathered elements (StackBackward0, as torch 2.13's; torch 2.14 indexes at once)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape [{', '.join(map(str, input.shape))}]")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._make(input._xp.empty((0,), dtype=input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(input._data.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    if since("2.14"):  # torch 2.14 indexes the input with the (n, r) index table at once (IndexBackward0)
        return input[Tensor._make(_place(idx, input.device))]
    cols = [
        input.index_select(0, Tensor._make(_place(np.ascontiguousarray(idx[:, k]), input.device))) for k in range(r)
    ]
    return stack(cols, 1)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]  # torch hands back the input itself
    grids = meshgrid(*tensors, indexing="ij")
    return stack([S.flatten(g) for g in grids], 1)


class BlockDiagBackward0(Node):
    # block_diag: block_diag_backward(grad, sizes, dtypes): each input's block, cast to its dtype
    def apply(self, grad: Tensor) -> tuple:
        grads = []
        r = c = 0
        for (rows, cols), orig in zip(self.block_shapes, self.orig_shapes, strict=True):
            block = grad[r : r + rows, c : c + cols]
            grads.append(S.reshape(block, orig))
            r, c = r + rows, c + cols
        return tuple(grads)


def block_diag(*tensors: Tensor) -> Tensor:
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t.ndim} dimensions"
            )
        arr = t._data
        blocks.append(arr.reshape(1, 1) if arr.ndim == 0 else arr.reshape(1, -1) if arr.ndim == 1 else arr)
    if not tensors:  # torch's empty result is one row of nothing
        return Tensor._make(np.zeros((1, 0), dtype=D.get_default_dtype().np))
    dt = D.result_type(*tensors)
    xp = tensors[0]._xp
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    res = xp.zeros((rows, cols), dtype=dt.np)
    r = c = 0
    for b in blocks:
        res[r : r + b.shape[0], c : c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    out = Tensor._make(res)
    if grad_recording(*tensors):
        record_with(
            BlockDiagBackward0(),
            out,
            *tensors,
            block_shapes=[b.shape for b in blocks],
            orig_shapes=[t._data.shape for t in tensors],
        )
    return out


# --------------------------------------------------------------------------- hsplit / vsplit / dsplit
def _dim_split(name: str, input: Tensor, sections: Any, min_dim: int, d: int) -> tuple[Tensor, ...]:
    if not isinstance(sections, int | list | tuple) or isinstance(sections, bool):  # (Tensor, int) or (Tensor, int[])
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got (Tensor, {type(sections).__name__}), but "
            "expected one of:"
        )
    if input.ndim < min_dim:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_dim} dimension, "
            f"but got a tensor with {input.ndim} dimensions!"
        )
    if isinstance(sections, int):
        size = input.shape[d]
        if sections == 0 or size % sections != 0:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {d}, but the size of the dimension {size} "
                f"is not divisible by the split_size {sections}!"
            )
    return tensor_split(input, sections, d)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    return _dim_split("hsplit", input, indices_or_sections, 1, 1 if input.ndim > 1 else 0)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    return _dim_split("vsplit", input, indices_or_sections, 2, 0)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    return _dim_split("dsplit", input, indices_or_sections, 3, 2)


# --------------------------------------------------------------------------- split / chunk / unbind
class SplitBackward0(Node):
    # split.Tensor: self: split_backward(grads, split_size, dim, self.sym_sizes(), self.options())
    def apply(self, *grads: Tensor) -> tuple:
        return (cat(list(grads), self.dim),)


# split_with_sizes: self: split_with_sizes_backward(grads, split_sizes, dim, self.sym_sizes(), self.options())
SplitWithSizesBackward0 = type("SplitWithSizesBackward0", (SplitBackward0,), {})


class UnbindBackward0(Node):
    # unbind.int: self: unbind_backward(grads, dim) = stack(grads, dim)
    def apply(self, *grads: Tensor) -> tuple:
        return (stack(list(grads), self.dim),)


def _multi_view(input: Tensor, arrs: list, replays: list, node_cls: type, dim: int) -> tuple[Tensor, ...]:
    outs = tuple(make_view(input, a, r) for a, r in zip(arrs, replays, strict=True))
    if grad_recording(input):
        record_with(node_cls(), outs, input, dim=dim)
    return outs


def _split_pieces(input: Tensor, d: int, sizes: list[int], node_cls: type) -> tuple[Tensor, ...]:
    arrs, replays, off = [], [], 0
    for s in sizes:
        key = (slice(None),) * d + (slice(off, off + s), Ellipsis)
        arrs.append(input._data[key])
        replays.append(lambda t, o=off, s=s: _slice(t, d, o, o + s, 1))
        off += s
    return _multi_view(input, arrs, replays, node_cls, d)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dims(dim, tensor.ndim)[0]
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, list | tuple):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension "
                f"{d}), but got split_sizes=[{', '.join(map(str, sizes))}]"
            )
        return _split_pieces(tensor, d, sizes, SplitWithSizesBackward0)
    step = int(split_size_or_sections)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
    n = max((size + step - 1) // step, 1) if step else 1
    sizes = [min(step, size - i * step) for i in range(n)]
    return _split_pieces(tensor, d, sizes, SplitBackward0)


def tensor_split_sections(input: Tensor, sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return split(input, sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dims(dim, input.ndim)[0]
    size = input._data.shape[d]
    step = (size + chunks - 1) // chunks
    if step == 0:  # torch: an empty dim gives `chunks` empty pieces through split_with_sizes
        return _split_pieces(input, d, [0] * chunks, SplitWithSizesBackward0)
    return split(input, step, d)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dims(dim, input.ndim)[0]
    n = input._data.shape[d]
    arrs = [input._data[(slice(None),) * d + (i, Ellipsis)] for i in range(n)]
    replays = [lambda t, i=i: _select(t, d, i) for i in range(n)]
    return _multi_view(input, arrs, replays, UnbindBackward0, d)


def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return split(input, list(split_sizes), dim)


class UnsafeSplitBackward0(SplitBackward0):
    # unsafe_split.Tensor: self: split_backward(grads, split_size, dim, self.sym_sizes(), self.options())
    pass


class UnsafeSplitWithSizesBackward0(SplitBackward0):
    # unsafe_split_with_sizes: self: split_with_sizes_backward(grads, split_sizes, dim, self.sym_sizes(), ...)
    pass


def _untracked_views(views: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """torch's unsafe_* splits: the pieces share the input's memory but autograd does not track them as views
    (no ``_base``, so in-place ops on them are not refused); the split's node renamed as the unsafe op's."""
    outs = []
    for v in views:
        out = Tensor._make(v._data)
        node = v._grad_fn
        if node is not None:
            if type(node) in (SplitBackward0, SplitWithSizesBackward0):
                node.__class__ = UnsafeSplitBackward0 if type(node) is SplitBackward0 else UnsafeSplitWithSizesBackward0
            out._grad_fn, out._output_nr = node, v._output_nr
        outs.append(out)
    return tuple(outs)


def unsafe_split(input: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return _untracked_views(split(input, split_size, dim))


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    return _untracked_views(chunk(input, chunks, dim))


# unbind_copy and split_with_sizes_copy: the view op's node under torch's "<Node>_copy" name
UnbindBackward0_copy = type("UnbindBackward0_copy", (UnbindBackward0,), {})
SplitWithSizesBackward0_copy = type("SplitWithSizesBackward0_copy", (SplitWithSizesBackward0,), {})


def unbind_copy(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    return S.copy_of(unbind(input, dim), {UnbindBackward0: UnbindBackward0_copy})


def split_with_sizes_copy(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return S.copy_of(split_with_sizes(input, split_sizes, dim), {SplitWithSizesBackward0: SplitWithSizesBackward0_copy})


# --------------------------------------------------------------------------- cat / stack
class CatBackward0(Node):
    # cat: tensors: cat_tensors_backward(grad, to_args_sizes(tensors), to_args_scalartypes(tensors), dim)
    def apply(self, grad: Tensor) -> tuple:
        out, off = [], 0
        for i, size in enumerate(self.sizes):
            if size is None:  # a skipped legacy empty 1-d input
                out.append(None)
                continue
            n = size[self.dim]
            out.append(_slice(grad, self.dim, off, off + n, 1) if needs(self, i) else None)
            off += n
        return tuple(out)


class StackBackward0(Node):
    # stack: tensors: stack_tensors_backward(grad, dim, to_args_scalartypes(tensors)) = grad.unbind(dim)
    def apply(self, grad: Tensor) -> tuple:
        return unbind(grad, self.dim)


def _tensor_list(tensors: Any, fn: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, list | tuple):
        raise TypeError(
            f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not {type(tensors).__name__}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


def _promoted(tensors: list[Tensor]) -> tuple[D.dtype, Any]:
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    return dt, tensors[0]._xp


def cat(tensors: Any, dim: int = 0) -> Tensor:
    ts = _tensor_list(tensors, "cat")
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    check_common_device("cat", *(("tensors", t) for t in ts))
    for i, t in enumerate(ts):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # legacy rule: 1-d empty tensors are skipped whatever the other shapes
    skipped = [t.ndim == 1 and t._data.shape[0] == 0 for t in ts]
    used = [t for t, sk in zip(ts, skipped, strict=True) if not sk]
    dt, xp = _promoted(ts)
    ref = used[0] if used else ts[0]
    d = wrap_dims(dim, ref.ndim)[0]
    for i, t in enumerate(ts):
        if skipped[i] and used:
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref._data.shape[k]} "
                    f"but got size {t._data.shape[k]} for tensor number {i} in the list."
                )
    arrs = [t._data.astype(dt.np, copy=False) for t in (used or [ref])]
    res = Tensor._make(xp.concatenate(arrs, axis=d))
    if grad_recording(*ts):
        record_with(
            CatBackward0(),
            res,
            *ts,
            dim=d,
            sizes=[None if sk and used else t._data.shape for t, sk in zip(ts, skipped, strict=True)],
        )
    return res


concat = concatenate = cat


def stack(tensors: Any, dim: int = 0) -> Tensor:
    ts = _tensor_list(tensors, "stack")
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    d = wrap_dims(dim, ts[0].ndim + 1)[0]
    for i, t in enumerate(ts[1:], 1):
        if t._data.shape != ts[0]._data.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got [{', '.join(map(str, ts[0].shape))}] at "
                f"entry 0 and [{', '.join(map(str, t.shape))}] at entry {i}"
            )
    check_common_device("cat", *(("tensors", t) for t in ts))  # torch's stack concatenates unsqueezed inputs
    dt, xp = _promoted(ts)
    res = Tensor._make(xp.stack([t._data.astype(dt.np, copy=False) for t in ts], axis=d))
    if grad_recording(*ts):
        record_with(StackBackward0(), res, *ts, dim=d)
    return res


def _chunk_cat_dim(ts: list[Tensor], dim: int, num_chunks: int) -> int:
    """preprocess_chunk_cat_inputs's checks, in torch's order; the wrapped dim."""
    if num_chunks < 1:
        raise RuntimeError("_chunk_cat expects positive num_chunks")
    if not ts:
        raise RuntimeError("_chunk_cat expects a non-empty input tensor list")
    for t in ts:
        if t._data.size == 0:
            raise RuntimeError("_chunk_cat expects non-empty tensor")
        if t.dtype is not ts[0].dtype:
            raise RuntimeError("_chunk_cat expects all input tensors with the same dtype")
        if t.device != ts[0].device:
            raise RuntimeError("_chunk_cat expects all inputs tensors on the same device")
    if all(t.ndim == ts[0].ndim for t in ts):
        dim = wrap_dims(dim, ts[0].ndim)[0]
    elif dim < 0:
        raise RuntimeError("_chunk_cat expects non-negative dim when input tensors have different ndims")
    elif any(dim >= t.ndim for t in ts):
        raise RuntimeError("_chunk_cat expects dim < ndim for all input tensors")
    lead = ts[0]._data.shape[:dim]
    if any(t._data.shape[:dim] != lead for t in ts):
        raise RuntimeError("_chunk_cat expects same sizes of 0,...,dim-1 dimensions for all tensors")
    return dim


def _chunk_cat(tensors: Any, dim: int, num_chunks: int) -> Tensor:
    """torch._chunk_cat: each tensor zero-padded along ``dim`` to a multiple of ``num_chunks``, viewed as
    ``(*sizes before dim, num_chunks, rest)``, and those concatenated along ``dim + 1``."""
    ts = _tensor_list(tensors, "_chunk_cat")
    d = _chunk_cat_dim(ts, dim, num_chunks)
    xp = ts[0]._xp
    pieces = []
    for t in ts:
        arr = t._data
        size = arr.shape[d]
        chunk = -(-size // num_chunks)
        if chunk * num_chunks != size:
            pad = [(0, 0)] * arr.ndim
            pad[d] = (0, chunk * num_chunks - size)
            arr = xp.pad(arr, pad)
        pieces.append(arr.reshape(*arr.shape[:d], num_chunks, -1))
    out = Tensor._make(xp.concatenate(pieces, axis=d + 1))
    if grad_recording(*ts):  # torch has no derivative for _chunk_cat
        record(NoDerivative("_chunk_cat"), out, *ts)
    return out


# --------------------------------------------------------------------------- exports
__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_tensors", "cartesian_prod", "cat", "chunk",
    "column_stack", "concat", "concatenate", "dsplit", "dstack", "hsplit", "hstack", "meshgrid", "row_stack", "split",
    "stack", "tensor_split", "unbind", "vsplit", "vstack",
]  # fmt: skip
METHODS = {name: globals()[name] for name in ("chunk", "dsplit", "hsplit", "split", "tensor_split", "unbind", "vsplit")}
__all__ += ["broadcast_shapes", "combinations"]
__all__ += ["_chunk_cat"]
__all__ += ["split_with_sizes", "split_with_sizes_copy", "unbind_copy", "unsafe_chunk", "unsafe_split"]
METHODS.update({name: globals()[name] for name in ("split_with_sizes", "unsafe_chunk", "unsafe_split")})
