"""Complex conjugation: ``conj`` (torch's lazy conjugate view, computed eagerly here) and ``conj_physical``.

On a real tensor both give the tensor itself, as torch's do; on a complex one the result records
ConjBackward0 / ConjPhysicalBackward0, whose formula conjugates the incoming grad.
"""

from __future__ import annotations

from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import grad_recording, record
from .inplace import check_inplace, commit
from .shape import clone


class ConjBackward0(Node):
    # conj: self: grad.conj()
    def apply(self, grad: Tensor) -> tuple:
        return (conj(grad),)


class ConjPhysicalBackward0(Node):
    # conj_physical: self: grad.conj_physical()
    def apply(self, grad: Tensor) -> tuple:
        return (conj_physical(grad),)


def _conjugate(input: Tensor, node: type) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"conj(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind != "c":
        return input  # torch returns a real tensor itself: conjugation is the identity there
    out = Tensor._make(input._xp.conj(input._data))
    if grad_recording(input):
        record(node(), out, input)
    if node is ConjBackward0 and not is_conj(input):
        # torch's conj is a view with the conjugate bit set (the engine conjugates eagerly, and keeps the bit
        # for what reads it: is_conj, resolve_conj, and the real part a backward formula takes)
        out.__dict__[CONJ_BIT] = True
    return out


CONJ_BIT = "_conj_bit"


def is_conj(input: Tensor) -> bool:
    """Tensor.is_conj: whether the tensor is torch.conj's lazily conjugated view."""
    return bool(input.__dict__.get(CONJ_BIT, False))


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
    """torch.resolve_conj: a conjugate view materialised (a clone: CloneBackward0), any other tensor itself."""
    return clone(input) if is_conj(input) else input


__all__ = ["conj", "conj_physical", "is_conj", "resolve_conj"]
METHODS = {
    "conj": conj, "conj_physical": conj_physical, "conj_physical_": conj_physical_, "resolve_conj": resolve_conj,
    "is_conj": is_conj,
}  # fmt: skip
