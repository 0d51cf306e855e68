"""Activation layers (ReLU, GELU, SiLU, SELU, CELU, the shrinks, RReLU, PReLU, Softmax, Softmax2d, GLU ...),
thin wrappers over ``nn.functional``."""

from __future__ import annotations

from typing import Any

from ..._creation import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ._wrapper import _FunctionalLayer


class _Stateless(_FunctionalLayer):
    """An activation without arguments: forward is ``_fn(input)``."""


class Tanh(_Stateless):
    _fn = staticmethod(F.tanh)


class Sigmoid(_Stateless):
    _fn = staticmethod(F.sigmoid)


class _SoftmaxNd(_FunctionalLayer):
    """Softmax, LogSoftmax, Softmin: ``_fn(input, dim)``, warning about an implicit dim from the caller's line."""

    _args = ("dim",)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.dim, _stacklevel=5)


class Softmax(_SoftmaxNd):
    _fn = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxNd):
    _fn = staticmethod(F.log_softmax)


class Softmin(_SoftmaxNd):
    _fn = staticmethod(F.softmin)


class _ELUNd(_FunctionalLayer):
    """ELU and CELU: ``_fn(input, alpha, inplace)``."""

    _args = ("alpha", "inplace")

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class ELU(_ELUNd):
    _fn = staticmethod(F.elu)


class CELU(_ELUNd):
    _fn = staticmethod(F.celu)


class _Shrink(_FunctionalLayer):
    """Softshrink and Hardshrink: ``_fn(input, lambd)``."""

    _args = ("lambd",)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return str(self.lambd)


class Softshrink(_Shrink):
    _fn = staticmethod(F.softshrink)


class Hardshrink(_Shrink):
    _fn = staticmethod(F.hardshrink)


class _InplaceOnly(_FunctionalLayer):
    """An activation whose only argument is ``inplace``: forward is ``_fn(input, inplace)``."""

    _args = ("inplace",)
    _repr_inplace = True  # Hardswish/Hardsigmoid print nothing, even in place

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return super().extra_repr() if self._repr_inplace else ""


class ReLU(_InplaceOnly):
    _fn = staticmethod(F.relu)


class SiLU(_InplaceOnly):
    _fn = staticmethod(F.silu)


class Mish(_InplaceOnly):
    _fn = staticmethod(F.mish)


class Hardswish(_InplaceOnly):
    _fn = staticmethod(F.hardswish)
    _repr_inplace = False


class Hardsigmoid(_InplaceOnly):
    _fn = staticmethod(F.hardsigmoid)
    _repr_inplace = False


class SELU(_InplaceOnly):
    _fn = staticmethod(F.selu)


class LogSigmoid(_Stateless):
    _fn = staticmethod(F.logsigmoid)


class Softsign(_Stateless):
    _fn = staticmethod(F.softsign)


class Tanhshrink(_Stateless):
    _fn = staticmethod(F.tanhshrink)


class LeakyReLU(_FunctionalLayer):
    _fn, _args = staticmethod(F.leaky_relu), ("negative_slope", "inplace")

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace


class GELU(_FunctionalLayer):
    _fn, _args = staticmethod(F.gelu), ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate


class Softplus(_FunctionalLayer):
    _fn, _args = staticmethod(F.softplus), ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold


class Hardtanh(_FunctionalLayer):
    _fn, _args = staticmethod(F.hardtanh), ("min_val", "max_val", "inplace")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")


class ReLU6(Hardtanh):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Threshold(_FunctionalLayer):
    _fn, _args = staticmethod(F.threshold), ("threshold", "value", "inplace")

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace


class GLU(_FunctionalLayer):
    _fn, _args = staticmethod(F.glu), ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim


class RReLU(_FunctionalLayer):
    _args = ("lower", "upper", "inplace")  # forward passes ``training`` between them

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class Softmax2d(Module):
    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3, _stacklevel=5)


class PReLU(Module):
    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
