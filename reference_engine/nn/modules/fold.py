"""Fold and Unfold: ``F.fold`` / ``F.unfold`` as layers."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ._wrapper import _FunctionalLayer


class Fold(_FunctionalLayer):
    _fn, _args = staticmethod(F.fold), ("output_size", "kernel_size", "dilation", "padding", "stride")

    def __init__(
        self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
    ) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride


class Unfold(_FunctionalLayer):
    _fn, _args = staticmethod(F.unfold), ("kernel_size", "dilation", "padding", "stride")

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride
