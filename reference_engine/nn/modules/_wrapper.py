"""The base of the layers that only call one ``nn.functional`` op with their stored arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...tensor import Tensor
from ..module import Module


class _FunctionalLayer(Module):
    """forward is ``_fn(input, *values)``, the values of the attributes named in ``_args``, in order; extra_repr
    lists them as torch does: ``name=value``, strings quoted, ``inplace`` only when it is set."""

    _fn: Callable[..., Any]
    _args: tuple[str, ...] = ()

    def forward(self, input: Tensor) -> Any:
        return type(self)._fn(input, *(getattr(self, name) for name in self._args))

    def extra_repr(self) -> str:
        values = ((name, getattr(self, name)) for name in self._args)
        return ", ".join(f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"
                         for name, value in values if name != "inplace" or value)  # fmt: skip
