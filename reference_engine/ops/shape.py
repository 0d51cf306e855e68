"""Shape ops and views: view, reshape, expand, unsqueeze, squeeze, permute, transpose, flatten, to.

A view shares storage and version counter with its base. Each view records
``_base`` (the root tensor it looks into) and ``_view_fn``, which replays the
chain of view ops on another tensor of the base's shape: an in-place op on
the view uses it to route grads into the base (``CopySlices``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import as_device
from ..autograd.graph import Node
from ..tensor import Tensor, _size_args
from ._util import grad_recording, record, wrap_dims


def make_view(base: Tensor, arr: Any, view_fn: Callable[[Tensor], Tensor]) -> Tensor:
    """A tensor sharing ``base``'s storage and version counter.

    ``view_fn`` replays this one view op on a tensor shaped like ``base``; it
    is composed with the base's own replay so ``_view_fn`` always starts from
    the root.
    """
    out = Tensor._make(arr)
    out._vc = base._vc
    if base._base is not None:
        out._base = base._base
        parent_fn = base._view_fn
        out._view_fn = (lambda t: view_fn(parent_fn(t))) if parent_fn is not None else None
    else:
        out._base = base
        out._view_fn = view_fn
    return out


# --------------------------------------------------------------------------- view / reshape
class ViewBackward0(Node):
    # view: self: grad.reshape_symint(self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.self_sizes),)


def _infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


def view(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        raise NotImplementedError("view(dtype) is not supported by reference_engine")
    shape = _infer_shape(_size_args(shape), input._data.size)
    a = input._data
    try:
        arr = a.view()
        arr.shape = shape  # raises instead of copying when strides do not allow a view
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return _view_result(input, arr, lambda t: t.view(shape), ViewBackward0)


def _view_result(input: Tensor, arr: Any, replay: Callable, node_cls: type, **attrs: Any) -> Tensor:  # noqa: A002
    out = make_view(input, arr, replay)
    if grad_recording(input):
        node = node_cls()
        node.self_sizes = input._data.shape
        for k, v in attrs.items():
            setattr(node, k, v)
        record(node, out, input)
    return out


def reshape(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    shape = _infer_shape(_size_args(shape), input._data.size)
    a = input._data
    arr = a.view()
    try:
        arr.shape = shape
    except AttributeError:
        # not expressible as a view: copy (torch records _reshape_alias/clone + view as ViewBackward0 too)
        copy = Tensor._make(a.reshape(shape))
        if grad_recording(input):
            node = ViewBackward0()
            node.self_sizes = a.shape
            record(node, copy, input)
        return copy
    return _view_result(input, arr, lambda t: t.reshape(shape), ViewBackward0)


def view_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return view(input, other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return reshape(input, other.shape)


class ExpandBackward0(Node):
    # expand: self: at::sum_to(grad, self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        from ..autograd.engine import sum_to_shape

        return (sum_to_shape(grad, self.self_sizes),)


def expand(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
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
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}")
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


def expand_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return expand(input, other.shape)


def broadcast_to(input: Tensor, size: Any) -> Tensor:  # noqa: A002
    return expand(input, size)


# --------------------------------------------------------------------------- unsqueeze / squeeze
class UnsqueezeBackward0(Node):
    # unsqueeze: self: grad.squeeze(dim)
    def apply(self, grad: Tensor) -> tuple:
        return (grad.squeeze(self.dim),)


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    d = wrap_dims(dim, input.ndim + 1)[0]
    arr = input._xp.expand_dims(input._data, d)
    return _view_result(input, arr, lambda t: t.unsqueeze(d), UnsqueezeBackward0, dim=d)


class SqueezeBackward0(Node):
    # squeeze: self: unsqueeze_to(grad, self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.self_sizes),)


SqueezeBackward1 = type("SqueezeBackward1", (SqueezeBackward0,), {})
SqueezeBackward2 = type("SqueezeBackward2", (SqueezeBackward0,), {})


def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
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


def permute(input: Tensor, *dims: Any) -> Tensor:  # noqa: A002
    dims_t = _size_args(dims)
    if len(dims_t) != input.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {input.ndim} is not equal to len(dims) = {len(dims_t)}"
        )
    norm = wrap_dims(dims_t, input.ndim) if dims_t else ()
    arr = input._data.transpose(norm)
    return _view_result(input, arr, lambda t: t.permute(norm), PermuteBackward0, dims=norm)


class TransposeBackward0(Node):
    # transpose.int: self: grad.transpose(dim0, dim1)
    def apply(self, grad: Tensor) -> tuple:
        return (grad.transpose(self.dim0, self.dim1),)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    n = input.ndim
    d0, d1 = wrap_dims(dim0, n)[0], wrap_dims(dim1, n)[0]
    arr = input._xp.swapaxes(input._data, d0, d1) if n else input._data.view()
    return _view_result(input, arr, lambda t: t.transpose(d0, d1), TransposeBackward0, dim0=d0, dim1=d1)


swapaxes = swapdims = transpose


class TBackward0(Node):
    # t: self: grad.t()
    def apply(self, grad: Tensor) -> tuple:
        return (grad.t(),)


def t(input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    arr = input._data.T if input.ndim == 2 else input._data.view()
    return _view_result(input, arr, lambda x: x.t(), TBackward0)


def _T(self: Tensor) -> Tensor:  # noqa: N802
    if self.ndim not in (0, 2):
        import warnings

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


Tensor.T = property(_T)  # type: ignore[assignment]
Tensor.mT = property(_mT)  # type: ignore[assignment]


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    n = input.ndim
    if n == 0:
        return reshape(input, (1,))
    s, e = wrap_dims(start_dim, n)[0], wrap_dims(end_dim, n)[0]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input  # torch returns the tensor itself
    shape = input._data.shape
    new = shape[:s] + (int(np.prod(shape[s : e + 1])),) + shape[e + 1 :]
    return reshape(input, new)


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:  # noqa: A002
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


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    out = Tensor._make(input._data.copy())
    if grad_recording(input):
        record(CloneBackward0(), out, input)
    return out


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:  # noqa: A002
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


class ToCopyBackward0(Node):
    # _to_copy: self: _to_copy_backward(grad, self.options()) = grad cast/moved back to self's dtype and device
    def apply(self, grad: Tensor) -> tuple:
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
        elif isinstance(a, str | int) or type(a).__name__ == "device":
            dev = a
        elif isinstance(a, bool):
            continue
    return dtype, as_device(dev)


def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A002
    copy = bool(kwargs.get("copy", False))
    dtype, dev = _parse_to(args, dict(kwargs))
    same_dtype = dtype is None or dtype.np == input._data.dtype
    same_dev = dev is None or dev == input.device
    if same_dtype and same_dev and not copy:
        return input
    from .._creation import _place

    arr = input._data
    if not same_dev:
        arr = _place(arr, dev)
    arr = arr.astype(dtype.np) if not same_dtype else (arr.copy() if same_dev else arr)
    out = Tensor._make(arr)
    if grad_recording(input) and out.is_floating_point():
        node = ToCopyBackward0()
        node.self_device = input.device
        record(node, out, input)
    return out


def _cast(dtype: D.dtype) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dtype)

    return method


def cpu(self: Tensor) -> Tensor:
    return to(self, "cpu")


def cuda(self: Tensor, device: Any = None, non_blocking: bool = False) -> Tensor:
    return to(self, device if device is not None else "cuda")


def type_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return to(input, other.dtype)


def numel(input: Tensor) -> int:  # noqa: A002
    return input.numel()


METHODS = {
    "view": view, "reshape": reshape, "view_as": view_as, "reshape_as": reshape_as, "expand": expand,
    "expand_as": expand_as, "broadcast_to": broadcast_to, "unsqueeze": unsqueeze, "squeeze": squeeze,
    "permute": permute, "transpose": transpose, "swapaxes": swapaxes, "swapdims": swapdims, "t": t,
    "flatten": flatten, "unflatten": unflatten, "clone": clone, "contiguous": contiguous, "to": to, "cpu": cpu,
    "cuda": cuda, "type_as": type_as, "float": _cast(D.float32), "double": _cast(D.float64),
    "half": _cast(D.float16), "long": _cast(D.int64), "int": _cast(D.int32), "short": _cast(D.int16),
    "char": _cast(D.int8), "byte": _cast(D.uint8), "bool": _cast(D.bool_),
}  # fmt: skip
__all__ = [
    "broadcast_to", "clone", "expand_copy", "flatten", "permute", "reshape", "squeeze", "swapaxes", "swapdims", "t",
    "transpose", "unflatten", "unsqueeze",
]  # fmt: skip


def expand_copy(input: Tensor, size: Any) -> Tensor:  # noqa: A002
    return clone(expand(input, size))

