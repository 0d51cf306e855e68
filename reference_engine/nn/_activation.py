"""The activation ops of ``nn.functional``, each one graph node named as in torch.

Forward values are computed on the array (float16 in float32, rounded once, as torch's
Half kernels do) following the arithmetic of torch's CPU kernels; backward formulas
are the ones in torch's derivatives.yaml, written with engine ops so double backward works.
An in-place call (``inplace=True``) is the out-of-place op plus ``inplace.commit``; where
torch's in-place op saves its result instead of its input, it records the node torch
gives that op (``LeakyReluBackward1``, ``EluBackward1``; ``ThresholdBackward1`` still reads the input).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..autograd.graph import Node
from ..ops import pointwise
from ..ops._util import _FROM_NUMPY, grad_recording, record, wrap_dims
from ..ops.inplace import check_inplace, commit, scalar_type_name
from ..ops.join import cat
from ..ops.loss import _log_sigmoid
from ..tensor import Tensor

_where = pointwise.where


def _apply(
    input: Tensor,  # noqa: A002
    name: str,
    fn: Callable[[Any, Any], Any],
    node_cls: type[Node],
    *,
    kernel: str | None = "",
    saves_result: bool = False,
    **attrs: Any,
) -> Tensor:
    """Run ``fn(xp, array)`` elementwise and record ``node_cls`` (with ``attrs``) for the input.

    ``name``: torch's op name, for the wrong-argument error. ``kernel``: torch's CPU kernel name for
    the "not implemented for 'Long'" error of a floating-only op (default ``<name>_cpu``); None for ops
    torch also runs on integers (hardtanh, threshold).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    dt = _FROM_NUMPY[input._data.dtype]
    if kernel is not None and not dt.is_floating_point:
        raise NotImplementedError(f"\"{kernel or name + '_cpu'}\" not implemented for '{scalar_type_name(dt)}'")
    out = Tensor._make(pointwise._unary_compute(input, dt, fn))
    if grad_recording(input):
        node = node_cls()
        # torch exposes a node's saved arguments as grad_fn._saved_<name>
        node.__dict__.update({f"_saved_{k}": v for k, v in attrs.items()})
        record(node, out, input)
        if saves_result:
            node.save("result", out, is_output=True)
        else:
            node.save("self", input)
    return out


def run_inplace(input: Tensor, inplace: bool, op: Callable[[Tensor], Tensor]) -> Tensor:  # noqa: A002
    """``op(input)``, written back into ``input`` when ``inplace`` (torch's ``relu_``-style variants)."""
    if not inplace:
        return op(input)
    check_inplace(input)
    return commit(input, op(input))


def _scalar(a: Any, value: float) -> Any:
    # a Python number in the computing dtype, as torch casts its Scalar arguments to scalar_t
    return a.dtype.type(value)


# --------------------------------------------------------------------------- leaky_relu
class LeakyReluBackward0(Node):
    # self: leaky_relu_backward(grad, self, negative_slope, false) = grad where self > 0 else grad * slope
    def apply(self, grad: Tensor) -> tuple:
        return (_where(self.saved("self") > 0, grad, grad * self._saved_negative_slope),)


class LeakyReluBackward1(Node):
    # leaky_relu_: self: leaky_relu_backward(grad, result, negative_slope, true)
    def apply(self, grad: Tensor) -> tuple:
        return (_where(self.saved("result") > 0, grad, grad * self._saved_negative_slope),)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    def op(x: Tensor) -> Tensor:
        return _apply(
            x, "leaky_relu", lambda xp, a: xp.where(a > 0, a, a * _scalar(a, negative_slope)),
            LeakyReluBackward1 if inplace else LeakyReluBackward0, saves_result=inplace, negative_slope=negative_slope,
        )  # fmt: skip

    return run_inplace(input, inplace, op)


# --------------------------------------------------------------------------- gelu
_SQRT1_2 = 1 / math.sqrt(2.0)
_GELU_BETA = math.sqrt(2.0) * (2 / math.sqrt(math.pi)) * 0.5  # sqrt(2 / pi)
_GELU_KAPPA = 0.044715


def _gelu_values(approximate: str) -> Callable[[Any, Any], Any]:
    def exact(xp: Any, a: Any) -> Any:
        # torch's kernel: x * 0.5 * (1 + erf(x * M_SQRT1_2))
        return a * _scalar(a, 0.5) * (1 + pointwise._erf(xp, a * _scalar(a, _SQRT1_2)))

    def tanh(xp: Any, a: Any) -> Any:
        # 0.5 * x * (1 + tanh(kBeta * (x + kKappa * x^3)))
        inner = _scalar(a, _GELU_BETA) * (a + _scalar(a, _GELU_KAPPA) * (a * a * a))
        return _scalar(a, 0.5) * a * (1 + xp.tanh(inner))

    return tanh if approximate == "tanh" else exact


class GeluBackward0(Node):
    # self: gelu_backward(grad, self, approximate)
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        if self._saved_approximate == "tanh":
            x_sq = x * x
            t = ((x + x_sq * x * _GELU_KAPPA) * _GELU_BETA).tanh()
            left = x * 0.5
            right_derivative = left * (1 - t * t) * ((x_sq * (3 * _GELU_KAPPA) + 1) * _GELU_BETA)
            return (grad * ((t + 1) * 0.5 + right_derivative),)
        cdf = ((x * _SQRT1_2).erf() + 1) * 0.5
        pdf = (x * x * -0.5).exp() * (_SQRT1_2 * 2 / math.sqrt(math.pi) * 0.5)
        return (grad * (cdf + x * pdf),)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _apply(
        input, "gelu", _gelu_values(approximate), GeluBackward0, kernel="GeluKernelImpl", approximate=approximate
    )


# --------------------------------------------------------------------------- silu, mish
class SiluBackward0(Node):
    # self: silu_backward(grad, self) = grad * sigmoid(x) * (1 + x * (1 - sigmoid(x)))
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        s = x.sigmoid()
        return (grad * s * (x * (1 - s) + 1),)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return run_inplace(input, inplace, lambda x: _apply(x, "silu", lambda xp, a: a / (1 + xp.exp(-a)), SiluBackward0))


class MishBackward0(Node):
    # self: mish_backward(grad, self) = grad * (tanh(softplus(x)) + x * sigmoid(x) * (1 - tanh(softplus(x))^2))
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        tsp = x.exp().log1p().tanh()
        return (grad * (tsp + x * x.sigmoid() * (1 - tsp * tsp)),)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    def values(xp: Any, a: Any) -> Any:
        return a * xp.tanh(xp.log1p(xp.exp(a)))

    return run_inplace(input, inplace, lambda x: _apply(x, "mish", values, MishBackward0))


# --------------------------------------------------------------------------- elu, softplus
def _elu_grad(grad: Tensor, x_or_result: Tensor, node: Node, is_result: bool) -> Tensor:
    # elu_backward: x <= 0: grad * input_scale * (is_result ? result + negcoef : negcoef * exp(x * input_scale))
    negcoef = node._saved_alpha * node._saved_scale
    if is_result:
        neg = grad * ((x_or_result + negcoef) * node._saved_input_scale)
    else:
        neg = grad * ((x_or_result * node._saved_input_scale).exp() * (node._saved_input_scale * negcoef))
    return _where(x_or_result <= 0, neg, grad * node._saved_scale)


class EluBackward0(Node):
    def apply(self, grad: Tensor) -> tuple:
        return (_elu_grad(grad, self.saved("self"), self, False),)


class EluBackward1(Node):
    # elu_: the formula reads the result
    def apply(self, grad: Tensor) -> tuple:
        return (_elu_grad(grad, self.saved("result"), self, True),)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    def values(xp: Any, a: Any) -> Any:
        return xp.where(a > 0, a, xp.expm1(a) * _scalar(a, alpha))

    def op(x: Tensor) -> Tensor:
        node = EluBackward1 if inplace else EluBackward0
        return _apply(x, "elu", values, node, saves_result=inplace, alpha=alpha, scale=1.0, input_scale=1.0)

    return run_inplace(input, inplace, op)


class SoftplusBackward0(Node):
    # self: softplus_backward(grad, self, beta, threshold): x * beta > threshold ? grad : grad * z / (z + 1), z = exp(x * beta)
    def apply(self, grad: Tensor) -> tuple:
        xb = self.saved("self") * self._saved_beta
        z = xb.exp()
        return (_where(xb > self._saved_threshold, grad, grad * z / (z + 1)),)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    def values(xp: Any, a: Any) -> Any:
        ab = a * _scalar(a, beta)
        return xp.where(ab > threshold, a, xp.log1p(xp.exp(ab)) / _scalar(a, beta))

    return _apply(input, "softplus", values, SoftplusBackward0, beta=beta, threshold=threshold)


# --------------------------------------------------------------------------- hardtanh, relu6, hard*
class HardtanhBackward0(Node):
    # self: hardtanh_backward(grad, self, min_val, max_val): grad strictly inside (min, max), else 0
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        return (_where((x > self._saved_min_val) & (x < self._saved_max_val), grad, 0.0),)


def _clip(a: Any, xp: Any, lo: float, hi: float) -> Any:
    lo_, hi_ = a.dtype.type(lo), a.dtype.type(hi)
    return xp.minimum(xp.maximum(a, lo_), hi_)


def _clamped(input: Tensor, min_val: float, max_val: float, inplace: bool, name: str) -> Tensor:  # noqa: A002
    def op(x: Tensor) -> Tensor:
        values = lambda xp, a: _clip(a, xp, min_val, max_val)
        return _apply(x, name, values, HardtanhBackward0, kernel=None, min_val=min_val, max_val=max_val)

    return run_inplace(input, inplace, op)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return _clamped(input, min_val, max_val, inplace, "hardtanh")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    # torch's relu6 is hardtanh(0, 6) (HardtanhBackward0), under its own name in errors
    return _clamped(input, 0.0, 6.0, inplace, "relu6")


class HardswishBackward0(Node):
    # self: hardswish_backward(grad, self): 0 below -3, grad * (x / 3 + 0.5) up to 3, grad above
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        return (_where(x < -3, 0.0, _where(x <= 3, grad * (x / 3 + 0.5), grad)),)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    def values(xp: Any, a: Any) -> Any:
        return a * _clip(a + 3, xp, 0, 6) / a.dtype.type(6)

    return run_inplace(input, inplace, lambda x: _apply(x, "hardswish", values, HardswishBackward0))


class HardsigmoidBackward0(Node):
    # self: hardsigmoid_backward(grad, self): grad / 6 strictly inside (-3, 3), else 0
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        return (_where((x > -3) & (x < 3), grad / 6, 0.0),)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    def values(xp: Any, a: Any) -> Any:
        return _clip(a + 3, xp, 0, 6) / a.dtype.type(6)

    return run_inplace(input, inplace, lambda x: _apply(x, "hardsigmoid", values, HardsigmoidBackward0))


# --------------------------------------------------------------------------- threshold, logsigmoid
class ThresholdBackward0(Node):
    # self: threshold_backward(grad, self, threshold): 0 where self <= threshold
    def apply(self, grad: Tensor) -> tuple:
        return (_where(self.saved("self") <= self._saved_threshold, 0.0, grad),)


class ThresholdBackward1(ThresholdBackward0):
    # threshold_: the same formula, on the input as it was before the write (torch saves self here)
    pass


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    def op(x: Tensor) -> Tensor:
        values = lambda xp, a: xp.where(a <= threshold, a.dtype.type(value), a)
        node = ThresholdBackward1 if inplace else ThresholdBackward0
        return _apply(x, "threshold", values, node, kernel=None, threshold=threshold)

    return run_inplace(input, inplace, op)


class LogSigmoidBackward0(Node):
    # self: log_sigmoid_backward(grad, self, buffer): grad * (x < 0 ? 1 - z / (1 + z) : z / (1 + z)), z = exp(-|x|)
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        z = (-x.abs()).exp()
        q = z / (z + 1)
        return (grad * _where(x < 0, 1 - q, q),)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return _apply(input, "log_sigmoid", _log_sigmoid, LogSigmoidBackward0)


# --------------------------------------------------------------------------- glu
class GluBackward0(Node):
    # self: glu_backward(grad, self, dim): [grad * sigmoid(b), grad * a * sigmoid(b) * (1 - sigmoid(b))]
    def apply(self, grad: Tensor) -> tuple:
        a, b = self.saved("self").chunk(2, self._saved_dim)
        s = b.sigmoid()
        return (cat([grad * s, grad * a * s * (1 - s)], self._saved_dim),)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dims(dim, input.ndim)[0]
    size = input.shape[d]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    half = size // 2

    def values(xp: Any, a: Any) -> Any:
        first, second = xp.split(a, [half], axis=d)
        return first * (1 / (1 + xp.exp(-second)))

    return _apply(input, "glu", values, GluBackward0, dim=d)


# --------------------------------------------------------------------------- composites (as in torch)
def softsign(input: Tensor) -> Tensor:  # noqa: A002
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    return input - input.tanh()


__all__ = [
    "elu", "gelu", "glu", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu", "logsigmoid", "mish", "relu6",
    "silu", "softplus", "softsign", "tanhshrink", "threshold",
]  # fmt: skip
