"""Shape ops and views: view, reshape, expand, unsqueeze, squeeze, permute, transpose, flatten, to, select,
narrow, movedim, repeat, flip, roll, tril/triu, diagonal, diag, tile, rot90, nonzero (joining and splitting
are in ``join.py``).

A view shares storage and version counter with its base. Each view records
``_base`` (the root tensor it looks into) and ``_view_fn``, which replays the
chain of view ops on another tensor of the base's shape: an in-place op on
the view uses it to route grads into the base (``CopySlices``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._creation import _place, check_int_device
from .._device import as_device
from ..autograd import grad_mode
from ..autograd.engine import _is_expandable_to, sum_to_shape
from ..autograd.graph import AsStridedBackward0, Node
from ..tensor import Tensor, _size_args
from . import reduction as R
from ._util import grad_recording, record, record_with, wrap_dims
from .inplace import check_inplace, warn_complex_to_real


def make_view(base: Tensor, arr: Any, view_fn: Callable[[Tensor], Tensor]) -> Tensor:
    """A tensor sharing ``base``'s storage and version counter.

    ``view_fn`` replays this one view op on a tensor shaped like ``base``; it
    is composed with the base's own replay so ``_view_fn`` always starts from
    the root.
    """
    out = Tensor._make(arr)
    out._vc = base._vc
    out._view_version = base._vc[0]
    if base._base is not None:
        out._base = base._base
        parent_fn = base._view_fn
        out._view_fn = (lambda t: view_fn(parent_fn(t))) if parent_fn is not None else None
    else:
        out._base = base
        out._view_fn = view_fn
    if not grad_mode._state.enabled and base.requires_grad:
        # torch forbids in-place ops on such views later (inplace.check_inplace raises)
        out._view_created_in_no_grad = True
    return out


# --------------------------------------------------------------------------- view / reshape
def _plain_grad(grad: Tensor) -> bool:
    """Whether a view node's backward may build its view of ``grad`` directly: no graph to record
    (no create_graph), no tangent to carry (no forward-AD level), a plain tensor of a NumPy array."""
    return (
        not grad_mode._state.enabled
        and type(grad) is Tensor
        and type(grad._data) is np.ndarray
        and grad_mode.forward_level.token is None
    )


class ViewBackward0(Node):
    # view: self: grad.reshape_symint(self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        sizes = self.self_sizes
        if _plain_grad(grad) and grad._data.flags.c_contiguous:
            # the view ``reshape`` makes, without its argument checks (the sizes are the forward input's own)
            return (make_view(grad, grad._data.reshape(sizes, copy=False), lambda t: t.reshape(sizes)),)
        return (grad.reshape(sizes),)


def _infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape [{', '.join(map(str, shape))}]")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape [{', '.join(map(str, shape))}] because the "
                "unspecified dimension size -1 can be any value and is ambiguous"
            )
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


def view(input: Tensor, *shape: Any) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        raise NotImplementedError("view(dtype) is not supported by reference_engine")
    shape = _infer_shape(_size_args(shape), input._data.size)
    arr = _reshape_view(input._data, shape)
    if arr is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        )
    return _view_result(input, arr, lambda t: t.view(shape), ViewBackward0)


def _view_result(input: Tensor, arr: Any, replay: Callable, node_cls: type, **attrs: Any) -> Tensor:
    out = make_view(input, arr, replay)
    if grad_recording(input):
        node = node_cls()
        node.self_sizes = input._data.shape
        for k, v in attrs.items():
            setattr(node, k, v)
        record(node, out, input)
    return out


def reshape(input: Tensor, *shape: Any) -> Tensor:
    shape = _infer_shape(_size_args(shape), input._data.size)
    arr = _reshape_view(input._data, shape)
    if arr is None:
        # not expressible as a view: torch clones (CloneBackward0) then _unsafe_view's the copy
        return _unsafe_view(clone(input), shape)
    # torch's reshape is a view of a contiguous input; of a non-contiguous one it is _reshape_alias
    node = ViewBackward0 if input._data.flags.c_contiguous else ReshapeAliasBackward0
    return _view_result(input, arr, lambda t: t.reshape(shape), node)


class ReshapeAliasBackward0(Node):
    # _reshape_alias: self: grad.reshape_symint(self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.self_sizes),)


class UnsafeViewBackward0(Node):
    # _unsafe_view: self: grad.reshape_symint(self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.self_sizes),)


def _unsafe_view(t: Tensor, shape: tuple) -> Tensor:
    """A reshape torch does not track as a view (its input is a fresh, contiguous result)."""
    out = Tensor._make(t._data.reshape(shape))
    if grad_recording(t):
        record_with(UnsafeViewBackward0(), out, t, self_sizes=t._data.shape)
    return out


def _reshape_view(a: Any, shape: tuple[int, ...]) -> Any:
    """``a`` reshaped without copying, or None when its strides do not allow that."""
    try:
        return a.reshape(shape, copy=False)
    except ValueError:
        return None
    except TypeError:  # an array module without the copy= argument
        arr = a.view()
        try:
            arr.shape = shape
        except AttributeError:
            return None
        return arr


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other.shape)


class ExpandBackward0(Node):
    # expand: self: at::sum_to(grad, self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (sum_to_shape(grad, self.self_sizes),)


def expand(input: Tensor, *sizes: Any) -> Tensor:
    sizes = _size_args(sizes)
    a = input._data
    if len(sizes) < a.ndim:
        raise RuntimeError(
            f"expand(torch.{input.dtype.tensor_type.replace('Tensor', '')}Tensor{{[{', '.join(map(str, a.shape))}]}}, "
            f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided ({len(sizes)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({a.ndim})"
        )
    lead = len(sizes) - a.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s == -1:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}"
                )
            target.append(s)
            continue
        cur = a.shape[i - lead]
        if s == -1:
            s = cur
        elif cur != 1 and cur != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                f"dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  Tensor sizes: "
                f"[{', '.join(map(str, a.shape))}]"
            )
        target.append(s)
    target_t = tuple(target)
    if target_t == a.shape:
        arr = a.view()
    else:
        arr = input._xp.broadcast_to(a, target_t)
    return _view_result(input, arr, lambda t: t.expand(target_t), ExpandBackward0)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other.shape)


def broadcast_to(input: Tensor, size: Any) -> Tensor:
    return expand(input, size)


# --------------------------------------------------------------------------- unsqueeze / squeeze
class UnsqueezeBackward0(Node):
    # unsqueeze: self: grad.squeeze(dim)
    def apply(self, grad: Tensor) -> tuple:
        return (grad.squeeze(self.dim),)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    d = wrap_dims(dim, input.ndim + 1)[0]
    arr = input._xp.expand_dims(input._data, d)
    return _view_result(input, arr, lambda t: t.unsqueeze(d), UnsqueezeBackward0, dim=d)


class SqueezeBackward0(Node):
    # squeeze: self: unsqueeze_to(grad, self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.self_sizes),)


# squeeze.dim: self: unsqueeze_to(grad, dim, self.sym_sizes()); squeeze.dims: the same with dims
SqueezeBackward1 = type("SqueezeBackward1", (SqueezeBackward0,), {})
SqueezeBackward2 = type("SqueezeBackward2", (SqueezeBackward0,), {})
# the in-place squeeze_(), squeeze_.dim and squeeze_.dims: the same formulas under the in-place ops' names
SqueezeBackward3 = type("SqueezeBackward3", (SqueezeBackward0,), {})
SqueezeBackward4 = type("SqueezeBackward4", (SqueezeBackward0,), {})
SqueezeBackward5 = type("SqueezeBackward5", (SqueezeBackward0,), {})


class UnsqueezeBackward1(UnsqueezeBackward0):
    # unsqueeze_: self: grad.squeeze(dim)
    pass


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    a = input._data
    if dim is None:
        axes = tuple(i for i, s in enumerate(a.shape) if s == 1)
        node_cls: type = SqueezeBackward0
    else:
        dims = wrap_dims(dim, a.ndim)
        axes = tuple(d for d in dims if a.ndim and a.shape[d] == 1)
        node_cls = SqueezeBackward1 if isinstance(dim, int) else SqueezeBackward2
    arr = a.squeeze(axis=axes) if axes else a.view()
    return _view_result(input, arr, lambda t: t.squeeze(dim), node_cls)


# --------------------------------------------------------------------------- permute / transpose / t
class PermuteBackward0(Node):
    # permute: self: permute_backwards(grad, dims) = grad.permute(inverse of dims)
    def apply(self, grad: Tensor) -> tuple:
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return (grad.permute(inv),)


def permute(input: Tensor, *dims: Any) -> Tensor:
    dims_t = _size_args(dims)
    if len(dims_t) != input.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {input.ndim} is not equal to len(dims) = {len(dims_t)}"
        )
    try:
        norm = wrap_dims(dims_t, input.ndim) if dims_t else ()
    except RuntimeError:  # wrap_dims' duplicate message is not permute's
        raise RuntimeError("permute(): duplicate dims are not allowed.") from None
    arr = input._data.transpose(norm)
    return _view_result(input, arr, lambda t: t.permute(norm), PermuteBackward0, dims=norm)


class TransposeBackward0(Node):
    # transpose.int: self: grad.transpose(dim0, dim1)
    def apply(self, grad: Tensor) -> tuple:
        return (grad.transpose(self.dim0, self.dim1),)


class TransposeBackward1(TransposeBackward0):
    # transpose_: self: grad.transpose(dim0, dim1) (the in-place op's node, as torch names it)
    pass


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input.ndim
    d0, d1 = wrap_dims(dim0, n)[0], wrap_dims(dim1, n)[0]
    arr = input._xp.swapaxes(input._data, d0, d1) if n else input._data.view()
    return _view_result(input, arr, lambda t: t.transpose(d0, d1), TransposeBackward0, dim0=d0, dim1=d1)


swapaxes = swapdims = transpose


class TBackward0(Node):
    # t: self: grad.t()
    def apply(self, grad: Tensor) -> tuple:
        g = grad._data
        if _plain_grad(grad) and g.ndim == 2:  # the view ``t`` makes, without its dispatch and checks
            return (make_view(grad, g.T, lambda x: x.t()),)
        return (grad.t(),)


class TBackward1(TBackward0):
    # t_: self: grad.t()
    pass


def t(input: Tensor) -> Tensor:
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    arr = input._data.T if input.ndim == 2 else input._data.view()
    return _view_result(input, arr, lambda x: x.t(), TBackward0)


def _T(self: Tensor) -> Tensor:  # noqa: N802
    if self.ndim not in (0, 2):
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
            "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
            "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return permute(self, tuple(range(self.ndim - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:  # noqa: N802
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
    return transpose(self, -2, -1)


def _mH(self: Tensor) -> Tensor:  # noqa: N802
    # the conjugate transpose: on a real tensor, the transpose (complex tensors conjugate too)
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
    out = transpose(self, -2, -1)
    return out.conj() if self.is_complex() else out


def _H(self: Tensor) -> Tensor:  # noqa: N802
    if self.ndim not in (0, 2):
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
            + (" For batches of matrices, consider using tensor.mH" if self.ndim > 2 else "")
        )
    if self.ndim == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return self.view(())  # an alias, as torch
    return _mH(self)


def adjoint(input: Tensor) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(
            f"tensor.adjoint() is only supported on matrices or batches of matrices. Got {input.ndim}-D tensor."
        )
    return _mH(input)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    n = input.ndim
    if n == 0:
        return reshape(input, (1,))
    s, e = wrap_dims(start_dim, n)[0], wrap_dims(end_dim, n)[0]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input  # torch returns the tensor itself
    shape = input._data.shape
    new = (*shape[:s], math.prod(shape[s : e + 1]), *shape[e + 1 :])  # exact ints, no NumPy call
    return reshape(input, new)


def ravel(input: Tensor) -> Tensor:
    # torch: self.contiguous().view(-1), so a non-contiguous input is cloned (CloneBackward0) first
    return view(contiguous(input), -1)


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    d = wrap_dims(dim, input.ndim)[0]
    shape = input._data.shape
    sizes = tuple(sizes)
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
    if int(np.prod(sizes)) != shape[d]:
        raise RuntimeError(
            f"unflatten: Provided sizes [{', '.join(map(str, sizes))}] don't multiply up to the size of dim {dim} "
            f"({shape[d]}) in the input tensor"
        )
    return view(input, shape[:d] + sizes + shape[d + 1 :])


# --------------------------------------------------------------------------- copies: clone, contiguous, to
class CloneBackward0(Node):
    # clone: self: grad
    def apply(self, grad: Tensor) -> tuple:
        return (grad,)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    out = Tensor._make(input._data.copy())
    if grad_recording(input):
        record(CloneBackward0(), out, input)
    return out


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


class ToCopyBackward0(Node):
    # _to_copy: self: _to_copy_backward(grad, self.options()) = grad cast/moved back to self's dtype and device;
    # a real self takes the real part of a complex grad (handle_r_to_c), without the cast's warning
    def apply(self, grad: Tensor) -> tuple:
        if grad._data.dtype.kind == "c" and not self.__dict__.get("self_complex", True):
            grad = grad.real  # at::real (handle_r_to_c): ops/complex_numbers.py's real, through the tensor surface
        return (grad.to(device=self.self_device),)


def _parse_to(args: tuple, kwargs: dict) -> tuple[D.dtype | None, Any]:
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    kwargs.pop("memory_format", None)
    for a in args:
        if isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, dev = a.dtype, a.device
        elif isinstance(a, bool):
            continue  # positional non_blocking / copy (bool is an int: test it first)
        elif isinstance(a, str | int) or type(a).__name__ == "device":
            dev = a
    return dtype, as_device(dev)


def _channels_last_copy(input: Tensor, memory_format: Any) -> bool:
    """Whether ``memory_format`` asks for torch's channels-last layout, which a dense row-major tensor is not
    in: torch then copies (the engine keeps row-major data; the values are the same)."""
    rank = {"channels_last": 4, "channels_last_3d": 5}.get(getattr(memory_format, "name", ""))
    if rank is None:
        return False
    if input.dim() != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {memory_format.name} format")
    return True


def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    flags = [a for a in args if isinstance(a, bool)]  # positional non_blocking, then copy
    copy = bool(kwargs.get("copy", flags[1] if len(flags) > 1 else False))
    copy = copy or _channels_last_copy(input, kwargs.get("memory_format"))
    for a in (*args, kwargs.get("device")):
        check_int_device(a)  # x.to(0) is the current accelerator: torch's error when there is none
    dtype, dev = _parse_to(args, dict(kwargs))
    same_dtype = dtype is None or dtype.np == input._data.dtype
    same_dev = dev is None or dev == input.device
    if same_dtype and same_dev and not copy:
        return input
    arr = input._data
    if not same_dev:
        arr = _place(arr, dev)
    if not same_dtype and arr.dtype.kind == "c" and not dtype.is_complex:
        warn_complex_to_real()
        arr = arr.real  # the real parts, as torch's copy (NumPy's cast would warn again)
    arr = D.astype(arr, dtype) if not same_dtype else (arr.copy() if same_dev else arr)
    out = Tensor._make(arr)
    if grad_recording(input) and (out.is_floating_point() or out.is_complex()):
        record_with(ToCopyBackward0(), out, input, self_device=input.device, self_complex=input.is_complex())
    return out


def _cast(dtype: D.dtype) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dtype, memory_format=memory_format)

    return method


def cpu(self: Tensor) -> Tensor:
    return to(self, "cpu")


def cuda(self: Tensor, device: Any = None, non_blocking: bool = False) -> Tensor:
    return to(self, device if device is not None else "cuda")


def type_as(input: Tensor, other: Tensor) -> Tensor:
    return to(input, other.dtype)


METHODS = {
    "view": view, "reshape": reshape, "view_as": view_as, "reshape_as": reshape_as, "expand": expand,
    "expand_as": expand_as, "broadcast_to": broadcast_to, "unsqueeze": unsqueeze, "squeeze": squeeze,
    "permute": permute, "transpose": transpose, "swapaxes": swapaxes, "swapdims": swapdims, "t": t,
    "flatten": flatten, "ravel": ravel, "unflatten": unflatten, "clone": clone, "contiguous": contiguous, "to": to, "cpu": cpu,
    "cuda": cuda, "type_as": type_as, "float": _cast(D.float32), "double": _cast(D.float64),
    "half": _cast(D.float16), "long": _cast(D.int64), "int": _cast(D.int32), "short": _cast(D.int16),
    "char": _cast(D.int8), "byte": _cast(D.uint8), "bool": _cast(D.bool_),
    "bfloat16": _cast(D.bfloat16),
}  # fmt: skip
__all__ = [
    "broadcast_to", "clone", "flatten", "permute", "reshape", "squeeze", "swapaxes", "swapdims", "t",
    "transpose", "unflatten", "unsqueeze",
]  # fmt: skip


# --------------------------------------------------------------------------- select / slice / narrow
def _zeros(shape: tuple[int, ...], like: Tensor) -> Tensor:
    return Tensor._make(like._xp.zeros(shape, dtype=like._data.dtype))


def _embed(grad: Tensor, sizes: tuple[int, ...], key: tuple, replay: Callable, node_cls: type) -> Tensor:
    """Zeros of ``sizes`` with ``grad`` written at the basic index ``key`` (select/slice backward).

    Recorded itself so double backward works: its backward reads ``key`` back out.
    """
    full = _zeros(sizes, grad)
    full._data[key] = grad._data
    if grad_recording(grad):
        record_with(node_cls(), full, grad, replay=replay)
    return full


class SelectBackwardBackward0(Node):
    # select_backward: grad: grad.select(dim, index)
    def apply(self, grad: Tensor) -> tuple:
        return (self.replay(grad),)


# slice_backward: grad_output: grad.slice_symint(dim, start, end, step)
SliceBackwardBackward0 = type("SliceBackwardBackward0", (SelectBackwardBackward0,), {})


class SelectBackward0(Node):
    # select.int: self: select_backward_symint(grad, self.sym_sizes(), dim, index)
    def apply(self, grad: Tensor) -> tuple:
        return (_embed(grad, self.self_sizes, self.key, self.replay_fn, SelectBackwardBackward0),)


class SliceBackward0(Node):
    # slice.Tensor: self: slice_backward_wrapper(grad, self.sym_sizes(), dim, start, end, step)
    def apply(self, grad: Tensor) -> tuple:
        return (_embed(grad, self.self_sizes, self.key, self.replay_fn, SliceBackwardBackward0),)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dims(dim, input.ndim)[0]
    size = input._data.shape[d]
    index = int(index)
    if index < -size or index >= size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size [{', '.join(map(str, input.shape))}] at "
            f"dimension {d}"
        )
    return _select(input, d, index % size)


def _select(input: Tensor, d: int, index: int) -> Tensor:
    # the trailing Ellipsis keeps numpy returning a 0-d view instead of a scalar copy
    key = (*(slice(None),) * d, index, Ellipsis)
    replay = lambda t: _select(t, d, index)
    return _view_result(input, input._data[key], replay, SelectBackward0, key=key, replay_fn=replay)


def _slice(input: Tensor, d: int, start: int, stop: int, step: int) -> Tensor:
    """``input[..., start:stop:step]`` along dim ``d`` (aten::slice), bounds already clamped."""
    key = (*(slice(None),) * d, slice(start, stop, step), Ellipsis)
    replay = lambda t: _slice(t, d, start, stop, step)
    return _view_result(input, input._data[key], replay, SliceBackward0, key=key, replay_fn=replay)


def slice_dim(input: Tensor, d: int, sl: slice) -> Tensor:
    """Apply a Python slice to dim ``d`` with torch's rules (positive step, clamped bounds)."""
    step = 1 if sl.step is None else int(sl.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")
    start, stop, _ = slice(sl.start, sl.stop, step).indices(input._data.shape[d])
    return _slice(input, d, start, max(stop, start), step)


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dims(dim, input.ndim)[0]
    size = input._data.shape[d]
    if isinstance(start, Tensor) and (start.ndim or start.dtype.is_floating_point or start.dtype is D.bool_):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    start = int(start)
    if start < -size or start > size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start %= max(size, 1) if start < 0 else size + 1
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(input, d, start, start + length, 1)


# --------------------------------------------------------------------------- movedim / repeat / flip / roll / tril
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ([{', '.join(map(str, src))}] dims) should "
            f"contain the same number of dims as destination ([{', '.join(map(str, dst))}] dims)"
        )
    n = input.ndim
    s, t_ = tuple(wrap_dims(d, n)[0] for d in src), tuple(wrap_dims(d, n)[0] for d in dst)
    for what, given, wrapped in (("source", src, s), ("destination", dst, t_)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ([{', '.join(map(str, given))}])")
    order = [-1] * n
    for a, b in zip(s, t_, strict=True):
        order[b] = a
    rest = iter(i for i in range(n) if i not in s)
    order = [o if o != -1 else next(rest) for o in order]
    return permute(input, order)


moveaxis = movedim


class RepeatBackward0(Node):
    # repeat: self: repeat_backward(grad, repeats, self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        lead = len(self.repeats) - len(self.self_sizes)
        if lead:
            grad = grad.sum(tuple(range(lead)))
        shape: list[int] = []
        for r, s in zip(self.repeats[lead:], self.self_sizes, strict=True):
            shape += [r, s]
        summed = grad.reshape(shape).sum(tuple(range(0, len(shape), 2))) if shape else grad
        return (summed,)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    reps = _size_args(sizes)
    if len(reps) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if any(r < 0 for r in reps):
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {min(reps)}: [{', '.join(map(str, reps))}]"
        )
    a = input._data.reshape((1,) * (len(reps) - input.ndim) + input._data.shape)
    res = Tensor._make(input._xp.tile(a, reps) if reps else a.copy())
    if grad_recording(input):
        node = RepeatBackward0()
        node.repeats, node.self_sizes = reps, input._data.shape
        record(node, res, input)
    return res


class FlipBackward0(Node):
    # flip: self: grad.flip(dims)
    def apply(self, grad: Tensor) -> tuple:
        return (flip(grad, self.dims),)


def flip(input: Tensor, *dims: Any, **kwargs: Any) -> Tensor:
    if kwargs:  # torch.flip(x, dims=...): the schema's keyword
        dims = (kwargs.pop("dims"), *dims)
        if kwargs:
            raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(kwargs))}'")
    ds = wrap_dims(_size_args(dims), input.ndim)
    res = Tensor._make(input._xp.flip(input._data, axis=ds).copy() if ds else input._data.copy())
    if grad_recording(input):
        record_with(FlipBackward0(), res, input, dims=ds)
    return res


def fliplr(input: Tensor) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class RollBackward0(Node):
    # roll: self: grad.roll(fmap(reverse_list_symint(shifts), [](c10::SymInt i){return -i;}), reverse_list(dims))
    def apply(self, grad: Tensor) -> tuple:
        return (roll(grad, tuple(-s for s in self.shifts), self.dims),)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    sh = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if not sh:
        raise RuntimeError("`shifts` required")
    if dims is not None and input.ndim == 0:
        first = dims if isinstance(dims, int) else next(iter(dims))
        raise IndexError(f"Dimension specified as {first} but tensor has no dimensions")
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        flat = Tensor._make(input._xp.roll(input._data.reshape(-1), sh[0]).reshape(input._data.shape))
        ds: Any = None
        res = flat
    else:
        dl = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(sh) != len(dl):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(dl)}")
        ds = tuple(wrap_dims(d, input.ndim)[0] for d in dl)
        res = Tensor._make(input._xp.roll(input._data, sh, axis=ds))
    if grad_recording(input):
        node = RollBackward0()
        node.shifts, node.dims = sh, ds
        record(node, res, input)
    return res


class TrilBackward0(Node):
    # tril: self: grad.tril(diagonal)
    def apply(self, grad: Tensor) -> tuple:
        return (tril(grad, self.diagonal),)


class TriuBackward0(Node):
    # triu: self: grad.triu(diagonal)
    def apply(self, grad: Tensor) -> tuple:
        return (triu(grad, self.diagonal),)


def _tri(input: Tensor, diagonal: int, name: str, node_cls: type) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    xp = input._xp
    arr = getattr(xp, name)(input._data, k=diagonal)
    res = Tensor._make(arr.astype(input._data.dtype, copy=False))
    if grad_recording(input):
        record_with(node_cls(), res, input, diagonal=diagonal)
    return res


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return _tri(input, diagonal, "tril", TrilBackward0)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return _tri(input, diagonal, "triu", TriuBackward0)


# --------------------------------------------------------------------------- nonzero
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    xp = input._xp
    if input.ndim == 0:
        idx = xp.nonzero(input._data.reshape(1))
        cols = [i.astype(xp.int64) for i in idx] if as_tuple else []
        if as_tuple:
            return tuple(Tensor._make(c) for c in cols)
        return Tensor._make(xp.zeros((int(idx[0].size), 0), dtype=xp.int64))
    idx = xp.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(xp.int64)) for i in idx)
    return Tensor._make(xp.stack(idx, axis=1).astype(xp.int64).reshape(-1, input.ndim))


def argwhere(input: Tensor) -> Tensor:
    """torch.argwhere: nonzero's (n, ndim) index matrix."""
    return nonzero(input)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """torch.nonzero_static: nonzero's first ``size`` rows, padded with ``fill_value`` rows up to ``size``."""
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    idx = nonzero(input)._data[:size]
    pad = input._xp.full((size - idx.shape[0], idx.shape[1]), fill_value, dtype=idx.dtype)
    return Tensor._make(input._xp.concatenate([idx, pad]))


METHODS.update({
    "fliplr": fliplr, "flipud": flipud,
    "select": select, "narrow": narrow, "movedim": movedim, "moveaxis": moveaxis, "repeat": repeat, "flip": flip, "roll": roll, "tril": tril, "triu": triu,
    "nonzero": nonzero,
})  # fmt: skip
__all__ += ["fliplr", "flipud"]
__all__ += [
    "flip", "movedim", "moveaxis", "narrow", "nonzero", "repeat", "roll", "select", "tril", "triu",
]  # fmt: skip
__all__ += ["argwhere", "nonzero_static"]
METHODS.update({"argwhere": argwhere, "nonzero_static": nonzero_static})


# --------------------------------------------------------------------------- diagonal
def _diag_view(a: Any, xp: Any, offset: int, d1: int, d2: int) -> Any:
    """A writable view of the diagonal (numpy's own diagonal() is read-only)."""
    key = [slice(None)] * a.ndim
    if offset >= 0:
        key[d2] = slice(offset, None)
    else:
        key[d1] = slice(-offset, None)
    b = a[tuple(key)]
    n = max(min(b.shape[d1], b.shape[d2]), 0)
    rest = [i for i in range(a.ndim) if i not in (d1, d2)]
    shape = (*(b.shape[i] for i in rest), n)
    strides = (*(b.strides[i] for i in rest), b.strides[d1] + b.strides[d2])
    if n == 0 or b.size == 0:
        return xp.zeros(shape, dtype=a.dtype)
    return xp.lib.stride_tricks.as_strided(b, shape, strides)


class DiagonalBackwardBackward0(Node):
    # diagonal_backward: grad: grad.diagonal(offset, dim1, dim2)
    def apply(self, grad: Tensor) -> tuple:
        return (diagonal(grad, self.offset, self.dim1, self.dim2),)


class DiagonalBackward0(Node):
    # diagonal: self: diagonal_backward_symint(grad, self.sym_sizes(), offset, dim1, dim2)
    def apply(self, grad: Tensor) -> tuple:
        full = _zeros(self.self_sizes, grad)
        _diag_view(full._data, full._xp, self.offset, self.dim1, self.dim2)[...] = grad._data
        if grad_recording(grad):
            node = DiagonalBackwardBackward0()
            node.offset, node.dim1, node.dim2 = self.offset, self.dim1, self.dim2
            record(node, full, grad)
        return (full,)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    n = input.ndim
    d1, d2 = wrap_dims(dim1, n)[0], wrap_dims(dim2, n)[0]
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    arr = _diag_view(input._data, input._xp, offset, d1, d2)
    return _view_result(
        input, arr, lambda t: diagonal(t, offset, d1, d2), DiagonalBackward0, offset=offset, dim1=d1, dim2=d2
    )


METHODS["diagonal"] = diagonal
__all__ += ["diagonal"]


# --------------------------------------------------------------------------- diag / trace
class DiagEmbedBackward0(Node):
    # diag_embed: self: grad.diagonal(offset, dim1, dim2)
    def apply(self, grad: Tensor) -> tuple:
        return (diagonal(grad, self.offset, self.dim1, self.dim2),)


# diagonal_copy: the same formula as diagonal, under the name torch gives the copying variant
DiagonalBackward0_copy = type("DiagonalBackward0_copy", (DiagonalBackward0,), {})


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    R._check_tensor("diag", input)
    a = input._data
    xp = input._xp
    if a.ndim == 1:
        n = a.shape[0] + abs(diagonal)
        res = xp.zeros((n, n), dtype=a.dtype)
        _diag_view(res, xp, diagonal, 0, 1)[...] = a
        out = Tensor._make(res)
        if grad_recording(input):
            record_with(DiagEmbedBackward0(), out, input, offset=diagonal, dim1=0, dim2=1)
        return out
    if a.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
    out = Tensor._make(_diag_view(a, xp, diagonal, 0, 1).copy())
    if grad_recording(input):
        node = DiagonalBackward0_copy()
        node.self_sizes, node.offset, node.dim1, node.dim2 = a.shape, diagonal, 0, 1
        record(node, out, input)
    return out


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    n = input.ndim + 1
    d1, d2 = wrap_dims(dim1, n)[0], wrap_dims(dim2, n)[0]
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    a = input._data
    k = a.shape[-1] + abs(offset)
    rest = iter(a.shape[:-1])
    shape = tuple(k if i in (d1, d2) else next(rest) for i in range(n))
    res = input._xp.zeros(shape, dtype=a.dtype)
    # the diagonal view puts the diagonal last and the other dims in order: the input's own layout
    _diag_view(res, input._xp, offset, d1, d2)[...] = a
    out = Tensor._make(res)
    if grad_recording(input):
        record_with(DiagEmbedBackward0(), out, input, offset=offset, dim1=d1, dim2=d2)
    return out


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    # torch: diag_embed of self.contiguous().view(-1)
    return diag_embed(view(contiguous(input), -1), offset, 0, 1)


def tile(input: Tensor, dims: Any) -> Tensor:
    reps = _size_args((dims,), "tile")
    if len(reps) < input.ndim:
        reps = (1,) * (input.ndim - len(reps)) + reps
    return repeat(input, reps)


class Rot90Backward0(Node):
    # rot90: self: grad.rot90(-k, dims)
    def apply(self, grad: Tensor) -> tuple:
        return (rot90(grad, -self.k, self.dims),)


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:
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


# --------------------------------------------------------------------------- exports
METHODS.update({name: globals()[name] for name in ("diag", "diag_embed", "diagflat", "rot90", "tile", "adjoint")})
__all__ += ["diag", "diag_embed", "diagflat", "rot90", "tile", "adjoint"]


# --------------------------------------------------------------------------- in-place views: t_, squeeze_ ...
def _inplace_view(self: Tensor, view: Tensor, node_cls: type) -> Tensor:
    """``self`` made into ``view`` (the out-of-place view op applied to it), as torch's in-place view ops change a
    tensor's sizes and strides: same storage, version bumped, the view op's node renamed as the in-place op's
    and chained onto ``self``'s own history (a view of a base stays a view of it, with no CopySlices)."""
    node = view._grad_fn
    self._data = view._data
    self._vc[0] += 1
    if node is not None:
        node.__class__ = node_cls
        self._grad_fn, self._output_nr = node, 0
    if self._base is not None:
        # later in-place ops on self replay the whole chain from the base, this op included
        self._view_fn = view._view_fn
        self._view_version = self._vc[0]
    return self


def t_(self: Tensor) -> Tensor:
    check_inplace(self)
    return _inplace_view(self, t(self), TBackward1)


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    check_inplace(self)
    return _inplace_view(self, transpose(self, dim0, dim1), TransposeBackward1)


def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    check_inplace(self)
    return _inplace_view(self, unsqueeze(self, dim), UnsqueezeBackward1)


def squeeze_(self: Tensor, dim: Any = None) -> Tensor:
    check_inplace(self)
    # squeeze_(), squeeze_.dim, squeeze_.dims: one node name per overload, as torch's
    node_cls = SqueezeBackward3 if dim is None else SqueezeBackward4 if isinstance(dim, int) else SqueezeBackward5
    return _inplace_view(self, squeeze(self, dim), node_cls)


METHODS.update({"t_": t_, "transpose_": transpose_, "unsqueeze_": unsqueeze_, "squeeze_": squeeze_})
METHODS.update({"swapaxes_": transpose_, "swapdims_": transpose_})  # torch's aliases (TransposeBackward1 too)


# --------------------------------------------------------------------------- unfold
class UnfoldBackward0(Node):
    # unfold: self: unfold_backward_symint(grad, self.sym_sizes(), dimension, size, step)
    def apply(self, grad: Tensor) -> tuple:
        return (unfold_backward(grad, self.self_sizes, self.dimension, self.size, self.step),)


class UnfoldBackwardBackward0(Node):
    # unfold_backward: grad_in: grad.unfold(dim, size, step)
    def apply(self, grad: Tensor) -> tuple:
        return (unfold(grad, self.dim, self.size, self.step),)


def unfold_backward(grad: Tensor, sizes: tuple[int, ...], dim: int, size: int, step: int) -> Tensor:
    """Zeros of ``sizes`` with each window of ``grad`` added back where unfold took it (windows may overlap)."""
    g = grad._data
    full = grad._xp.zeros(sizes, dtype=g.dtype)
    if not sizes:  # a 0-d input: its one window is the element itself (or empty)
        full[...] = g.sum()
    else:
        n = g.shape[dim]
        for j in range(size):
            key = (*(slice(None),) * dim, slice(j, j + (n - 1) * step + 1, step), Ellipsis)
            full[key] += g[..., j]
    out = Tensor._make(full)
    if grad_recording(grad):
        record_with(UnfoldBackwardBackward0(), out, grad, dim=dim, size=size, step=step)
    return out


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    a = input._data
    d = wrap_dims(dimension, max(a.ndim, 1))[0]
    length = a.shape[d] if a.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if a.ndim == 0:
        shape, strides = (size,), (a.itemsize,)
    else:
        n = (length - size) // step + 1
        shape = (*a.shape[:d], n, *a.shape[d + 1 :], size)
        strides = (*a.strides[:d], a.strides[d] * step, *a.strides[d + 1 :], a.strides[d])
    arr = input._xp.lib.stride_tricks.as_strided(a, shape, strides)
    return _view_result(
        input, arr, lambda t: unfold(t, d, size, step), UnfoldBackward0, dimension=d, size=size, step=step
    )


METHODS["unfold"] = unfold


# --------------------------------------------------------------------------- copy variants: permute_copy ...
# Each *_copy op is its view op's values in fresh storage, its node the view op's under torch's "<Node>_copy"
# name (the same derivatives.yaml formula).
PermuteBackward0_copy = type("PermuteBackward0_copy", (PermuteBackward0,), {})
SqueezeBackward0_copy = type("SqueezeBackward0_copy", (SqueezeBackward0,), {})
SqueezeBackward1_copy = type("SqueezeBackward1_copy", (SqueezeBackward1,), {})
SqueezeBackward2_copy = type("SqueezeBackward2_copy", (SqueezeBackward2,), {})
TBackward0_copy = type("TBackward0_copy", (TBackward0,), {})
TransposeBackward0_copy = type("TransposeBackward0_copy", (TransposeBackward0,), {})
UnfoldBackward0_copy = type("UnfoldBackward0_copy", (UnfoldBackward0,), {})
UnsqueezeBackward0_copy = type("UnsqueezeBackward0_copy", (UnsqueezeBackward0,), {})
ViewBackward0_copy = type("ViewBackward0_copy", (ViewBackward0,), {})
ExpandBackward0_copy = type("ExpandBackward0_copy", (ExpandBackward0,), {})
_COPY_NODES = {
    cls: globals()[cls.__name__ + "_copy"]
    for cls in (PermuteBackward0, SqueezeBackward0, SqueezeBackward1, SqueezeBackward2, TBackward0,
                TransposeBackward0, UnfoldBackward0, UnsqueezeBackward0, ViewBackward0, ExpandBackward0,
                DiagonalBackward0)
}  # fmt: skip


def copy_of(views: Any, copy_nodes: dict[type, type] | None = None) -> Any:
    """The copy variant's result from the view op's (a tensor or a tuple of them): each view's values copied
    into fresh storage, with the view op's node (renamed by ``copy_nodes``) as its grad_fn."""
    table = _COPY_NODES if copy_nodes is None else copy_nodes
    if isinstance(views, Tensor):
        return copy_of((views,), table)[0]
    outs = []
    renamed: set[int] = set()
    for v in views:
        out = Tensor._make(v._data.copy())
        node = v._grad_fn
        if node is not None:
            if id(node) not in renamed:  # several outputs of one multi-output view op share its node
                node.__class__ = table[type(node)]
                renamed.add(id(node))
            out._grad_fn, out._output_nr = node, v._output_nr
        outs.append(out)
    return tuple(outs)


def permute_copy(input: Tensor, dims: Any) -> Tensor:
    return copy_of(permute(input, dims))


def squeeze_copy(input: Tensor, dim: Any = None) -> Tensor:
    return copy_of(squeeze(input, dim))


def t_copy(input: Tensor) -> Tensor:
    return copy_of(t(input))


def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return copy_of(transpose(input, dim0, dim1))


def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    return copy_of(unfold(input, dimension, size, step))


def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:
    return copy_of(unsqueeze(input, dim))


def view_copy(input: Tensor, size: Any) -> Tensor:
    return copy_of(view(input, size))


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return copy_of(diagonal(input, offset, dim1, dim2))


def expand_copy(input: Tensor, size: Any, *, implicit: bool = False) -> Tensor:
    return copy_of(expand(input, size))


class NarrowCopyBackward0(SliceBackward0):
    # narrow_copy: self: slice_backward_symint(grad, self.sym_sizes(), dim, start, start + length, 1)
    pass


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    # narrow_copy's own checks where they differ from narrow's (an internal assert, the length's message)
    if input.ndim and dim >= input.ndim:
        raise RuntimeError(
            "Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)"
        )
    if input.ndim and length < 0:
        size = input._data.shape[wrap_dims(dim, input.ndim)[0]]
        if -size <= start <= size:
            raise RuntimeError(
                f"start ({start % size if start < 0 else start}) + length ({length}) exceeds dimension size ({size})."
            )
    return copy_of(narrow(input, dim, start, length), {SliceBackward0: NarrowCopyBackward0})


METHODS["narrow_copy"] = narrow_copy
__all__ += [
    "diagonal_copy", "expand_copy", "narrow_copy", "permute_copy", "ravel", "squeeze_copy", "t_copy",
    "transpose_copy", "unfold_copy", "unsqueeze_copy", "view_copy",
]  # fmt: skip


# --------------------------------------------------------------------------- as_strided
class AsStridedBackward0_copy(AsStridedBackward0):  # noqa: N801 - torch's node name
    # as_strided_copy: the as_strided formula under the copy variant's name
    pass


class AsStridedBackward1(AsStridedBackward0):
    # as_strided_: self: as_strided_backward(grad, TensorGeometry(self), size, stride, storage_offset)
    pass


def _storage_root(a: Any) -> Any:
    """The allocation ``a`` looks into (torch's storage): its ``base`` chain followed to the end."""
    root = a
    while getattr(root, "base", None) is not None:
        root = root.base
    return root


def _storage_index(size: tuple[int, ...], stride: tuple[int, ...], offset: int) -> Any:
    """Each element's position in the storage, for a tensor of this geometry (an int64 array shaped ``size``)."""
    idx = np.full(size, offset, dtype=np.int64)
    for k, (s, st) in enumerate(zip(size, stride, strict=True)):
        idx += (np.arange(s, dtype=np.int64) * st).reshape((s,) + (1,) * (len(size) - k - 1))
    return idx


def _as_strided_backward(grad: Tensor, storage: int, out_geometry: tuple, in_geometry: tuple) -> Tensor:
    """as_strided_backward in engine ops (so it is differentiable): ``grad`` summed into a zero storage at the
    view's positions (overlapping positions add up), then read back through the input's geometry."""
    out_idx = Tensor._make(_place_index(_storage_index(*out_geometry), grad))
    in_idx = Tensor._make(_place_index(_storage_index(*in_geometry), grad))
    buf = grad.new_zeros((storage,)).index_put((out_idx.reshape(-1),), grad.reshape(-1), accumulate=True)
    return buf[in_idx]


def _place_index(idx: Any, like: Tensor) -> Any:
    return idx if type(like._data) is np.ndarray else _place(idx, like.device)


def as_strided(input: Tensor, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    a = input._data
    off = input.storage_offset() if storage_offset is None else int(storage_offset)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(st < 0 for st in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: [{', '.join(map(str, stride))}]"
        )
    if off < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {off}")
    root = _storage_root(a)
    flat = root.ravel(order="K")  # the allocation in memory order (a view: an allocation is contiguous)
    storage_bytes = flat.size * flat.itemsize
    need = 0 if any(s == 0 for s in size) else a.itemsize * (off + 1 + sum((s - 1) * st for s, st in zip(size, stride)))
    if need > storage_bytes:
        raise RuntimeError(
            f"setStorage: sizes [{', '.join(map(str, size))}], strides [{', '.join(map(str, stride))}], storage "
            f"offset {off}, and itemsize {a.itemsize} requiring a storage size of {need} are out of bounds for "
            f"storage of size {storage_bytes}"
        )
    arr = input._xp.lib.stride_tricks.as_strided(flat[off:], size, tuple(st * a.itemsize for st in stride))
    replay = lambda t: as_strided(t, size, stride, off)
    out = make_view(input, arr, replay)
    if grad_recording(input):
        geometry = (size, stride, off), (a.shape, input.stride(), input.storage_offset())
        backward = lambda g: _as_strided_backward(g, flat.size, *geometry)
        record(AsStridedBackward0(input, replay, backward), out, input)
    return out


def as_strided_(self: Tensor, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
    check_inplace(self)
    return _inplace_view(self, as_strided(self, size, stride, storage_offset), AsStridedBackward1)


def as_strided_copy(input: Tensor, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
    return copy_of(as_strided(input, size, stride, storage_offset), {AsStridedBackward0: AsStridedBackward0_copy})


METHODS.update({"as_strided": as_strided, "as_strided_": as_strided_})
__all__ += ["as_strided", "as_strided_copy"]


# --------------------------------------------------------------------------- resize_ / resize_as_
def resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """``self`` given a new shape in place, as torch's resize_: the elements from its storage offset on, in
    storage order, now laid out contiguously; a storage too small grows (the engine zero-fills the new part
    where torch leaves it uninitialized). Refused on a tensor that requires grad, whatever the grad mode."""
    size = _size_args(sizes)
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if any(s < 0 for s in size):
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {min(size)}: [{', '.join(map(str, size))}]"
        )
    n = int(np.prod(size))
    off = self.storage_offset()
    flat = _storage_root(self._data).ravel(order="K")
    if off + n > flat.size:
        grown = self._xp.zeros(off + n, dtype=flat.dtype)
        grown[: flat.size] = flat
        flat = grown
    self._data = flat[off : off + n].reshape(size)
    self._vc[0] += 1
    return self


def resize_as_(input: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:
    return resize_(input, the_template.shape)


METHODS.update({"resize_": resize_, "resize_as_": resize_as_})
__all__ += ["resize_as_"]


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """``x.sum_to_size(*size)``: at::sum_to (an empty size is the full sum; the same size is ``x`` itself)."""
    target = tuple(_size_args(size))
    shape = input._data.shape
    if not _is_expandable_to(target, shape):
        raise RuntimeError(
            f"size {{[{', '.join(map(str, target))}]}} is not expandable to size {{[{', '.join(map(str, shape))}]}}."
        )
    if not target:
        return R.sum(input)
    if target == shape:
        return input
    return sum_to_shape(input, target)


METHODS["sum_to_size"] = sum_to_size
