"""``view_as_real`` and ``view_as_complex``: a complex tensor as (real, imag) pairs in a last dim of 2, and back.

torch returns views sharing storage; the engine returns new tensors with the same values and the same
nodes (ViewAsRealBackward0, ViewAsComplexBackward0), each one's formula being the other op.
"""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..tensor import _SCALAR_TYPE_NAMES, Tensor
from ._util import _FROM_NUMPY, grad_recording, record


class ViewAsRealBackward0(Node):
    # view_as_real: self: at::view_as_complex(grad.contiguous())
    def apply(self, grad: Tensor) -> tuple:
        return (view_as_complex(grad.contiguous()),)


class ViewAsComplexBackward0(Node):
    # view_as_complex: self: at::view_as_real(grad.contiguous().resolve_conj())
    def apply(self, grad: Tensor) -> tuple:
        return (view_as_real(grad),)


def view_as_real(input: Tensor) -> Tensor:
    """torch.view_as_real: a complex tensor's real and imaginary parts in a new last dim of size 2."""
    a = input._data
    if a.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    xp = input._xp
    out = Tensor._make(xp.stack([a.real, a.imag], axis=-1))
    if grad_recording(input):
        record(ViewAsRealBackward0(), out, input)
    return out


def view_as_complex(input: Tensor) -> Tensor:
    """torch.view_as_complex: a real tensor whose last dim of size 2 holds (real, imaginary) pairs."""
    a = input._data
    dt = _FROM_NUMPY[a.dtype]
    if dt.name not in ("float16", "float32", "float64"):
        raise RuntimeError(
            "view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar "
            f"type: {_SCALAR_TYPE_NAMES[dt.name]}"
        )
    if a.ndim == 0 or a.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if a.strides[-1] != a.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    complex_np = np.complex64 if a.dtype == np.float32 else np.complex128
    out = Tensor._make((a[..., 0] + 1j * a[..., 1]).astype(complex_np))
    if grad_recording(input):
        record(ViewAsComplexBackward0(), out, input)
    return out


def real_part(input: Tensor) -> Tensor:
    """``at::real`` as torch's backward formulas call it on a complex tensor: view_as_real(input).select(-1, 0),
    so a double backward goes through the same nodes (SelectBackward0, ViewAsRealBackward0; a conjugate view
    is first un-conjugated, ConjBackward0, as torch's real does before view_as_real)."""
    # Tensor's methods (attached by the tensor surface): shape.py, whose ToCopyBackward0 calls this, sits below
    plain = input.conj() if input.is_conj() else input
    return view_as_real(plain).select(-1, 0)


__all__ = ["view_as_complex", "view_as_real"]
