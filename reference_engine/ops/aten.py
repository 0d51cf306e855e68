"""``torch.ops.aten``: ATen operators called by their schema name (``torch.ops.aten.slice.Tensor(x, 1, 0, 2)``).

``torch.ops`` is this package (``reference_engine.ops``), so ``torch.ops.aten`` is this module. Each operator
is an ``OpOverloadPacket`` (``aten.slice``) whose attributes are its overloads (``aten.slice.Tensor``), as in
torch; calling the packet calls its first overload. Only the operators in ``_OVERLOADS`` exist; any other
name is torch's AttributeError for an unknown operator. The overloads are the module's public functions,
named ``<op>_<overload>``; the package registers this module with forward AD like its other namespaces, so
they compute tangents as the engine's other ops do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _dtype as D
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from . import reduction as R
from ._util import grad_recording, record, wrap_dims
from .pointwise import where
from .shape import _slice


# --------------------------------------------------------------------------- the operators
def slice_tensor(self: Tensor, dim: int = 0, start: Any = None, end: Any = None, step: Any = 1) -> Tensor:
    """aten::slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1)."""
    if self.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = wrap_dims(dim, self.ndim)[0]
    if int(step) <= 0:
        raise RuntimeError("slice step must be positive")
    # aten's clamping (negative bounds count from the end, then into [0, size], end no less than start) is
    # Python's for a positive step; a full slice is still a SliceBackward0 view (``x[:]`` is an alias)
    lo, hi, step = slice(None if start is None else int(start), None if end is None else int(end), int(step)).indices(
        self._data.shape[d]
    )
    return _slice(self, d, lo, max(hi, lo), step)


class SafeSoftmaxBackward0(Node):
    # _safe_softmax: self: _softmax_backward_data(grad, result, dim, self.scalar_type())
    #   = (result * (grad - (grad * result).sum(dim, true))).to(self's dtype)
    def apply(self, grad: Tensor) -> tuple:
        y = self.saved("result")
        res = R._softmax_backward_data(grad, y, self.dim, y.dtype)  # an op of its own under create_graph
        # a dtype= result's grad comes back in self's dtype (ToCopyBackward0 under create_graph, as torch's)
        return (res if res.dtype == self.self_dtype else res.to(self.self_dtype),)


def safe_softmax_default(self: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    """aten::_safe_softmax(Tensor self, int dim, ScalarType? dtype=None): softmax, with 0 (not NaN) along a
    slice whose every input is -inf (attention rows that mask everything). ``dtype`` converts without a
    ToCopyBackward0: the node leads straight to ``self``, and its grad comes back in ``self``'s dtype."""
    d = R._one_dim(self, dim)
    with grad_mode.no_grad():
        src = self if dtype is None else self.to(dtype)
        out = R.softmax(src, d)
        masked = R.all(self == float("-inf"), d, keepdim=True) if self.ndim else self == float("-inf")
        result = Tensor._make(where(masked, 0.0, out).to(out.dtype)._data)
    if grad_recording(self):
        node = SafeSoftmaxBackward0()
        node.dim, node.self_dtype = d, self.dtype
        record(node, result, self)
        node.save("result", result, is_output=True)
    return result


_OVERLOADS: dict[str, dict[str, Callable[..., Any]]] = {
    "slice": {"Tensor": slice_tensor},
    "_safe_softmax": {"default": safe_softmax_default},
}


# --------------------------------------------------------------------------- torch's operator objects
class OpOverload:
    """One overload of an ATen operator (``aten.slice.Tensor``)."""

    def __init__(self, op: str, overload: str, fn: Callable[..., Any]) -> None:
        self._op, self._overload, self._fn = op, overload, fn
        self.__name__ = f"{op}.{overload}"
        self.__qualname__ = self.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)

    def name(self) -> str:
        return f"aten::{self.__name__}"

    def __repr__(self) -> str:
        return f"<OpOverload(op='aten.{self._op}', overload='{self._overload}')>"

    def __str__(self) -> str:
        return f"aten.{self.__name__}"


class OpOverloadPacket:
    """An ATen operator and its overloads (``aten.slice``); calling it calls its first overload."""

    def __init__(self, op: str, overloads: dict[str, Callable[..., Any]]) -> None:
        self._op = op
        self._overloads = {name: OpOverload(op, name, fn) for name, fn in overloads.items()}
        self.__name__ = self.__qualname__ = op

    def __getattr__(self, name: str) -> OpOverload:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._overloads[name]
        except KeyError:
            raise AttributeError(f"The underlying op of 'aten.{self._op}' has no overload name '{name}'") from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return next(iter(self._overloads.values()))(*args, **kwargs)

    def overloads(self) -> list[str]:
        return list(self._overloads)

    def __repr__(self) -> str:
        return f"aten.{self._op}"


_PACKETS = {op: OpOverloadPacket(op, overloads) for op, overloads in _OVERLOADS.items()}


def register(op: str, overloads: dict[str, Callable[..., Any]]) -> None:
    """Add an operator whose function lives above this package (nn's kernels: see reference_engine/_aten.py)."""
    _PACKETS[op] = OpOverloadPacket(op, overloads)


def __dir__() -> list[str]:
    return sorted([*globals(), *_PACKETS])


def __getattr__(name: str) -> OpOverloadPacket:
    try:
        return _PACKETS[name]
    except KeyError:
        raise AttributeError(f"'_OpNamespace' 'aten' object has no attribute '{name}'") from None


__all__: list[str] = []  # nothing here joins the top-level namespace: the operators are reached as torch.ops.aten
