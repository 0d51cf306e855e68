"""Padding layers (ConstantPad, ZeroPad, ReflectionPad, ReplicationPad, CircularPad; 1-d and 2-d): ``F.pad``."""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from .. import functional as F
from ..module import Module


def _amounts(padding: Any, n: int) -> tuple:
    # torch's _ntuple: an iterable is kept as given, a single value repeated
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * n


class _PadNd(Module):
    """``F.pad(input, padding, _mode)``; ``_sides`` amounts (2 per padded dim)."""

    _mode = "constant"
    _sides = 2

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _amounts(padding, self._sides)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    _sides = 4


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    _sides = 4


class ReflectionPad1d(_PadNd):
    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    _sides = 4


class ReplicationPad1d(_PadNd):
    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    _sides = 4


class CircularPad1d(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        dims = (self._sides // 2 + 1, self._sides // 2 + 2)
        if input.dim() not in dims:
            raise ValueError(f"expected {dims[0]}D or {dims[1]}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad2d(CircularPad1d):
    _sides = 4
