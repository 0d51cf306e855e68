"""``torch.autograd.Variable``: the pre-0.4 wrapper, kept by torch for old programs.

Every tensor is a Variable (``isinstance(t, Variable)``), and ``Variable(t, requires_grad=...)`` gives a new
leaf on ``t``'s data, as torch's does; ``Variable()`` is an empty tensor.
"""

from __future__ import annotations

from typing import Any

from .._creation import empty
from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False) -> Any:  # type: ignore[misc]
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        return out.requires_grad_() if requires_grad else out
