"""Linear and Identity layers."""

from __future__ import annotations

import math
from typing import Any

from ..._creation import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


def _weight_and_bias(module: Module, weight_shape: tuple, out_features: int, bias: bool, factory: dict) -> None:
    """A layer's ``weight`` of ``weight_shape`` and ``bias`` of (out_features,), or bias registered as None."""
    module.weight = Parameter(empty(weight_shape, **factory))
    if bias:
        module.bias = Parameter(empty(out_features, **factory))
    else:
        module.register_parameter("bias", None)


def _kaiming_reset(weight: Tensor, bias: Tensor | None, draw_empty_bias: bool) -> None:
    """torch's default init of Linear and the convolutions: kaiming_uniform_(a=sqrt(5)) for the weight, which is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias. For fan_in 0 Linear still draws
    U(0, 0) for the bias (``draw_empty_bias``); the convolutions draw nothing."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        if fan_in != 0 or draw_empty_bias:
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged (accepts and ignores any constructor arguments)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x W^T + b, with torch's default initialisation."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, {"device": device, "dtype": dtype})
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _kaiming_reset(self.weight, self.bias, draw_empty_bias=True)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        factory = {"device": device, "dtype": dtype}
        _weight_and_bias(self, (out_features, in1_features, in2_features), out_features, bias, factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch: U(-1/sqrt(in1), 1/sqrt(in1)) for the weight, then for the bias
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
