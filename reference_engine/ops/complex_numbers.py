"""Complex numbers: the views between complex and real tensors (view_as_real, view_as_complex, real, imag),
the conjugate (conj as a lazy view, conj_physical, resolve_conj, resolve_neg), angle, polar, complex, and the
complex casts (cfloat, cdouble).

torch's ``conj()`` flips a bit on a view instead of touching memory; the engine's conjugate view holds the
conjugated values in an array of its own (NumPy has no conjugate bit), marked ``is_conj()``, sharing the base's
version counter and autograd view history (``ConjBackward0``). Writing through such a view does not reach its
base's memory, nor does the view see later in-place changes of its base.

Gradients follow torch's convention for complex autograd: a node returns the conjugate Wirtinger derivative
times the incoming grad, so formulas conjugate what derivatives.yaml conjugates (``grad * other.conj()``), and a
grad that flows from a complex result into a real input keeps its real part (torch's ``handle_r_to_c``, done
once in the backward engine's ``validate_grad``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import _FROM_NUMPY, check_broadcast, grad_recording, needs, record, record_saving, record_with
from .inplace import call_with_out, inplace_method, scalar_type_name
from .pointwise import _ErrState, where
from .shape import _view_result, clone, make_view, select, to

_PI = math.pi


def _is_complex(t: Tensor) -> bool:
    return t._data.dtype.kind == "c"


# --------------------------------------------------------------------------- view_as_real / view_as_complex
class ViewAsRealBackward0(Node):
    # view_as_real: self: at::view_as_complex(grad.contiguous()) # gx0 + 1j * gx1
    def apply(self, grad: Tensor) -> tuple:
        return (view_as_complex(grad.contiguous()),)


class ViewAsComplexBackward0(Node):
    # view_as_complex: self: at::view_as_real(grad.contiguous().resolve_conj()) # [gx, gy]
    def apply(self, grad: Tensor) -> tuple:
        return (view_as_real(resolve_conj(grad.contiguous())),)


def _real_pairs(arr: Any) -> Any:
    """The (..., 2) real view of a complex array: the real part's view with a last axis of half an item."""
    xp = array_module(arr)  # CuPy's arrays view the same way
    return xp.lib.stride_tricks.as_strided(arr.real, (*arr.shape, 2), (*arr.strides, arr.itemsize // 2))


def view_as_real(input: Tensor) -> Tensor:
    """torch.view_as_real: a real view with a last dimension of 2 (real, imaginary)."""
    if not _is_complex(input):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    if input.is_conj():
        raise RuntimeError(
            "view_as_real doesn't work on unresolved conjugated tensors.  To resolve the conjugate tensor so you can "
            "view it as real, use self.resolve_conj(); however, be warned that the resulting tensor will NOT alias "
            "the original."
        )
    return _view_result(input, _real_pairs(input._data), view_as_real, ViewAsRealBackward0)


def view_as_complex(input: Tensor) -> Tensor:
    """torch.view_as_complex: a complex view of a (..., 2) float tensor, with torch's layout checks."""
    dt = _FROM_NUMPY[input._data.dtype]
    if dt not in (D.float32, D.float64, D.float16):
        raise RuntimeError(
            "view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar "
            f"type: {scalar_type_name(dt)}"
        )
    if dt is D.float16:
        raise NotImplementedError("view_as_complex of a half tensor: reference_engine has no complex32 dtype")
    arr = input._data
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    cdt = np.complex64 if dt is D.float32 else np.complex128
    if arr.size == 0:  # NumPy gives empty arrays zero strides: nothing to check, nothing to share
        return _view_result(input, np.empty(arr.shape[:-1], cdt), view_as_complex, ViewAsComplexBackward0)
    item = arr.itemsize
    if arr.strides[-1] != item:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any((s // item) % 2 for s in arr.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    # NumPy views a contiguous last axis of two reals as one complex item (then drops that axis)
    out = arr.view(cdt)[..., 0]
    return _view_result(input, out, view_as_complex, ViewAsComplexBackward0)


# --------------------------------------------------------------------------- real / imag
def real(input: Tensor) -> Tensor:
    """torch.real: a real tensor itself; a complex one's real parts as a view (``view_as_real(x)[..., 0]``; a
    conjugate view is first un-conjugated as at::real does with ``_conj()``: ConjBackward0, the same real parts)."""
    if not _is_complex(input):
        return input
    return select(view_as_real(conj(input) if input.is_conj() else input), -1, 0)


def imag(input: Tensor) -> Tensor:
    """torch.imag: a complex tensor's imaginary parts as a view; refused on a real tensor."""
    if not _is_complex(input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return select(view_as_real(resolve_conj(input) if input.is_conj() else input), -1, 1)


def _set_part(index: int) -> Any:
    def setter(self: Tensor, value: Any) -> None:
        part = real(self) if index == 0 else imag(self)
        part.copy_(value)

    return setter


# --------------------------------------------------------------------------- conj
class ConjBackward0(Node):
    # _conj: self: grad.conj()
    def apply(self, grad: Tensor) -> tuple:
        return (conj(grad),)


class ConjPhysicalBackward0(Node):
    # _conj_physical: self: grad.conj_physical()
    def apply(self, grad: Tensor) -> tuple:
        return (conj_physical(grad),)


def is_complex(input: Tensor) -> bool:
    """torch.is_complex: whether the tensor's dtype is complex."""
    return input._data.dtype.kind == "c"


def is_conj(input: Tensor) -> bool:
    return input.__dict__.get("_conj", False)


def is_neg(input: Tensor) -> bool:
    # the engine keeps no negative bit: imag of a conjugate view holds its negated values
    return False


def conj(input: Tensor) -> Tensor:
    """torch.conj: a real tensor itself; a complex one's conjugate as a view flagged ``is_conj()`` (a conjugate
    view's conj is a view of its base without the flag)."""
    if not _is_complex(input):
        return input
    out = make_view(input, np.conj(input._data), conj)
    if not is_conj(input):
        out.__dict__["_conj"] = True
    if grad_recording(input):
        record(ConjBackward0(), out, input)
    return out


def conj_physical(input: Tensor) -> Tensor:
    """torch.conj_physical: the conjugate in new memory (a real tensor is returned as is)."""
    if not _is_complex(input):
        return input
    out = Tensor._make(np.conj(input._data))
    if grad_recording(input):
        record(ConjPhysicalBackward0(), out, input)
    return out


def resolve_conj(input: Tensor) -> Tensor:
    """torch.resolve_conj: a conjugate view materialized (torch clones it: CloneBackward0), else the input."""
    if not is_conj(input):
        return input
    return clone(input)


def resolve_neg(input: Tensor) -> Tensor:
    """torch.resolve_neg: the input (the engine has no negative views)."""
    return input


# --------------------------------------------------------------------------- angle
class AngleBackward0(Node):
    # angle: self: angle_backward(grad, self)
    #   complex: where(self == 0.0, zeros, grad * self / self.abs().pow(2) * 1j)
    #   real: zeros_like(self)
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        if not _is_complex(s):
            return (s * 0 if not s.is_floating_point() else s.new_zeros(s.shape),)
        return (where(s == 0.0, 0.0, grad * s / s.abs().pow(2) * 1j),)


def angle(input: Tensor) -> Tensor:
    """torch.angle: the argument of each element; of a real number 0 or pi (NaN kept)."""
    a = input._data
    if a.dtype.kind == "c":
        with _ErrState():
            res = np.angle(a).astype(a.real.dtype)
    else:
        dt = D.to_float(_FROM_NUMPY[a.dtype])
        x = D.astype(a, dt)
        res = np.where(np.isnan(x), x, np.where(x < 0, dt.np.type(_PI), dt.np.type(0)))
        res = np.asarray(res, dtype=dt.np)
    out = Tensor._make(res)
    if grad_recording(input):
        record_saving(AngleBackward0(), out, {"self": input})
    return out


# --------------------------------------------------------------------------- polar / complex
class PolarBackward0(Node):
    # polar: abs, angle: polar_backward(grad, result)
    #   grad_abs = at::real(grad.conj() * at::sgn(result))
    #   grad_angle = at::real(grad.conj() * result * 1j)
    def apply(self, grad: Tensor) -> tuple:
        result = self.saved("result")
        gc = conj(grad)
        ga = real(gc * result.sgn()) if needs(self, 0) else None
        gb = real(gc * (result * 1j)) if needs(self, 1) else None
        return ga, gb


class ComplexBackward0(Node):
    # complex: real: at::real(grad) ; imag: at::imag(grad)
    def apply(self, grad: Tensor) -> tuple:
        return (real(grad) if needs(self, 0) else None), (imag(grad) if needs(self, 1) else None)


def _check_parts(name: str, names: tuple[str, str], a: Any, b: Any, out: Tensor | None) -> D.dtype:
    for pos, (arg, value) in enumerate(zip(names, (a, b), strict=True), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {type(value).__name__}")
    da, db = _FROM_NUMPY[a._data.dtype], _FROM_NUMPY[b._data.dtype]
    if da not in (D.float16, D.float32, D.float64) or db not in (D.float16, D.float32, D.float64):
        raise RuntimeError(
            "Expected both inputs to be Half, Float or Double tensors but got "
            f"{scalar_type_name(da)} and {scalar_type_name(db)}"
        )
    if da is not db:
        raise RuntimeError(
            f"Expected object of scalar type {scalar_type_name(da)} but got scalar type {scalar_type_name(db)} "
            "for second argument"
        )
    if da is D.float16:
        raise NotImplementedError("complex32 results: reference_engine has no complex32 dtype")
    cdt = da.to_complex()
    if out is not None and out.dtype is not cdt:
        raise RuntimeError(
            f"Expected object of scalar type {scalar_type_name(cdt)} but got scalar type "
            f"{scalar_type_name(out.dtype)} for argument 'out'"
        )
    return cdt


def polar(abs: Tensor, angle: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.polar: ``abs * (cos(angle) + 1j * sin(angle))``."""
    cdt = _check_parts("polar", ("abs", "angle"), abs, angle, out)
    if out is not None:
        return call_with_out(polar, "polar", (abs, angle), {}, out)
    r, t = abs._data, angle._data
    check_broadcast(r.shape, t.shape)
    res = np.empty(np.broadcast_shapes(r.shape, t.shape), cdt.np)
    with _ErrState():
        res.real = r * np.cos(t)
        res.imag = r * np.sin(t)
    result = Tensor._make(res)
    if grad_recording(abs, angle):
        record(PolarBackward0(), result, abs, angle)
        result._grad_fn.save("result", result, is_output=True)
    return result


def complex(real: Tensor, imag: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A001 - torch.complex
    """torch.complex: ``real + 1j * imag`` from two real tensors of one floating dtype."""
    cdt = _check_parts("complex", ("real", "imag"), real, imag, out)
    if out is not None:
        return call_with_out(complex, "complex", (real, imag), {}, out)
    check_broadcast(real._data.shape, imag._data.shape)
    res = np.empty(np.broadcast_shapes(real._data.shape, imag._data.shape), cdt.np)
    res.real = real._data
    res.imag = imag._data
    result = Tensor._make(res)
    if grad_recording(real, imag):
        record_with(ComplexBackward0(), result, real, imag)
    return result


# --------------------------------------------------------------------------- casts
def _cast(dtype: D.dtype) -> Any:
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dtype, memory_format=memory_format)

    return method


def chalf(self: Tensor, memory_format: Any = None) -> Tensor:
    raise NotImplementedError("Tensor.chalf: reference_engine has no complex32 dtype")


__all__ = [
    "angle", "complex", "conj", "conj_physical", "imag", "is_complex", "is_conj", "is_neg", "polar", "real", "resolve_conj",
    "resolve_neg", "view_as_complex", "view_as_real",
]  # fmt: skip
METHODS = {
    "angle": angle, "conj": conj, "conj_physical": conj_physical, "is_conj": is_conj, "is_neg": is_neg,
    "resolve_conj": resolve_conj, "resolve_neg": resolve_neg, "cfloat": _cast(D.complex64),
    "cdouble": _cast(D.complex128), "chalf": chalf, "conj_physical_": inplace_method(conj_physical),
}  # fmt: skip
# ``x.real`` and ``x.imag`` are properties (settable: ``x.real = y`` writes the real parts)
PROPERTIES = {"real": (real, _set_part(0)), "imag": (imag, _set_part(1))}
