"""``nn.Parameter``: a leaf tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from typing import Any

from .._backend import to_numpy
from .._creation import empty
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that shares ``data``'s storage and requires grad by default."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = empty(0)
        self = object.__new__(cls)
        # Same storage and version counter as ``data``, like torch's _make_subclass.
        Tensor._init_from(self, data._data)
        self._vc = data._vc
        self.requires_grad_(requires_grad)
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            result._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (_rebuild_parameter, (to_numpy(self._data).copy(), self._requires_grad))


def _rebuild_parameter(arr: Any, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(arr), requires_grad)


def is_parameter(obj: object) -> bool:
    return isinstance(obj, Parameter)
