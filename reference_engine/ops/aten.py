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

from ..tensor import Tensor
from ._util import wrap_dims
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


_OVERLOADS: dict[str, dict[str, Callable[..., Any]]] = {
    "slice": {"Tensor": slice_tensor},
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
