"""Complex conjugation: ``conj`` (torch's lazy conjugate view, computed eagerly here) and ``conj_physical``.

On a real tensor both give the tensor itself, as torch's do; on a complex one the result records
ConjBackward0 / ConjPhysicalBackward0, whose formula conjugates the incoming grad. ``real_part`` is the
differentiable real part the backward formulas read (torch's ``at::real`` inside a formula).
"""

from __future__ import annotations

from .._dtype import _FROM_NUMPY
from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import grad_recording, record
from .inplace import check_inplace, commit


class ConjBackward0(Node):
    # conj: self: grad.conj()
    def apply(self, grad: Tensor) -> tuple:
        return (conj(grad),)


class ConjPhysicalBackward0(Node):
    # conj_physical: self: grad.conj_physical()
    def apply(self, grad: Tensor) -> tuple:
        return (conj_physical(grad),)


class RealPartBackward(Node):
    """The node of ``real_part``: torch's ``at::real`` is view_as_real(self).select(-1, 0), whose backward
    puts the real grad back as the real part of a complex one (ViewAsRealBackward0 under SelectBackward0)."""

    def apply(self, grad: Tensor) -> tuple:
        return (grad.to(_FROM_NUMPY[self.complex_dtype]),)


def real_part(input: Tensor) -> Tensor:
    """The real part of a complex tensor, a new real tensor (a backward formula's ``at::real``)."""
    out = Tensor._make(input._data.real.copy())
    if grad_recording(input):
        node = RealPartBackward()
        node.complex_dtype = input._data.dtype
        record(node, out, input)
    return out


def _conjugate(input: Tensor, node: type) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"conj(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind != "c":
        return input  # torch returns a real tensor itself: conjugation is the identity there
    out = Tensor._make(input._xp.conj(input._data))
    if grad_recording(input):
        record(node(), out, input)
    return out


def conj(input: Tensor) -> Tensor:
    """torch.conj: the complex conjugate (the tensor itself when it is real)."""
    return _conjugate(input, ConjBackward0)


def conj_physical(input: Tensor) -> Tensor:
    """torch.conj_physical: the complex conjugate, materialised (the tensor itself when it is real)."""
    return _conjugate(input, ConjPhysicalBackward0)


def conj_physical_(self: Tensor) -> Tensor:
    """Tensor.conj_physical_: conjugated in place (for a real tensor nothing changes but its version)."""
    check_inplace(self)
    if self._data.dtype.kind != "c":
        self._vc[0] += 1  # torch's kernel still runs (a copy onto itself)
        return self
    return commit(self, conj_physical(self))


def resolve_conj(input: Tensor) -> Tensor:
    """torch.resolve_conj: conjugation is never lazy here, so the tensor itself."""
    return input


__all__ = ["conj", "conj_physical", "resolve_conj"]
METHODS = {"conj": conj, "conj_physical": conj_physical, "conj_physical_": conj_physical_, "resolve_conj": resolve_conj}
