"""The activation ops of ``nn.functional``, each one graph node named as in torch.

Forward values are computed on the array (float16 in float32, rounded once, as torch's
Half kernels do) following the arithmetic of torch's CPU kernels; backward formulas
are the ones in torch's derivatives.yaml, written with engine ops so double backward works.
An in-place call (``inplace=True``) is the out-of-place op plus ``inplace.commit``; where
torch's in-place op saves its result instead of its input, it records the node torch
gives that op (``LeakyReluBackward1``, ``EluBackward1``; ``ThresholdBackward1`` still reads the input).

selu and celu are torch's elu kernel with other coefficients, so their nodes reuse elu's backward
(``EluBackward0/1`` for selu, as torch records; ``CeluBackward0/1`` for celu). rrelu is torch's
``rrelu_with_noise``: in eval mode leaky_relu with the mean slope, in train mode one
``uniform_real_distribution<double>(lower, upper)`` draw per non-positive element, in order.
relu, tanh, sigmoid and the softmax family are the core ops (``ops.pointwise``, ``ops.reduction``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import _dtype as D
from ... import random as _random
from ..._backend import to_numpy
from ...autograd.graph import Node
from ...ops import _autocast, pointwise
from ...ops import reduction as _reduction
from ...ops._util import _FROM_NUMPY, grad_recording, needs, record, record_with, wrap_dims
from ...ops.inplace import check_inplace, commit, scalar_type_name
from ...ops.join import cat
from ...ops.unary import PiecewiseLinearBackwardBackward, ThresholdBackwardBackward0, sloped_grad
from ...tensor import Tensor

_where = pointwise.where


def _apply(
    input: Tensor,
    name: str,
    fn: Callable[[Any, Any], Any],
    node_cls: type[Node],
    *,
    kernel: str | None = "",
    saves_result: bool = False,
    complex_ok: bool = False,
    **attrs: Any,
) -> Tensor:
    """Run ``fn(xp, array)`` elementwise and record ``node_cls`` (with ``attrs``) for the input.

    ``name``: torch's op name, for the wrong-argument error. ``kernel``: torch's CPU kernel name for
    the "not implemented for 'Long'" error of a floating-only op (default ``<name>_cpu``); None for ops
    torch also runs on integers (hardtanh, threshold). ``complex_ok``: torch's kernel takes complex inputs too.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    dt = _FROM_NUMPY[input._data.dtype]
    if kernel is not None and not (dt.is_floating_point or (complex_ok and dt.is_complex)):
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


def run_inplace(input: Tensor, inplace: bool, op: Callable[[Tensor], Tensor]) -> Tensor:
    """``op(input)``, written back into ``input`` when ``inplace`` (torch's ``relu_``-style variants)."""
    if not inplace:
        return op(input)
    check_inplace(input)
    return commit(input, op(input))


def _scalar(a: Any, value: float) -> Any:
    # a Python number in the computing dtype, as torch casts its Scalar arguments to scalar_t
    return a.dtype.type(value)


# --------------------------------------------------------------------------- leaky_relu
class LeakyReluBackwardBackward0(PiecewiseLinearBackwardBackward):
    # leaky_relu_backward: grad_output: leaky_relu_backward(grad, self, negative_slope, false); self: zeros_like
    pass


def _leaky_grad(grad: Tensor, x: Tensor, slope: float) -> Tensor:
    return sloped_grad(LeakyReluBackwardBackward0, grad, x, x._xp.where(x._data > 0, 1.0, slope))  # float slopes


class LeakyReluBackward0(Node):
    # self: leaky_relu_backward(grad, self, negative_slope, false) = grad where self > 0 else grad * slope
    def apply(self, grad: Tensor) -> tuple:
        return (_leaky_grad(grad, self.saved("self"), self._saved_negative_slope),)


class LeakyReluBackward1(Node):
    # leaky_relu_: self: leaky_relu_backward(grad, result, negative_slope, true)
    def apply(self, grad: Tensor) -> tuple:
        return (_leaky_grad(grad, self.saved("result"), self._saved_negative_slope),)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
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


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
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


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    if isinstance(input, Tensor) and input.is_complex() and grad_recording(input):
        # torch computes complex silu but has no derivative for it
        raise RuntimeError("silu does not support automatic differentiation for outputs with complex dtype.")
    return run_inplace(
        input, inplace, lambda x: _apply(x, "silu", lambda xp, a: a / (1 + xp.exp(-a)), SiluBackward0, complex_ok=True)
    )


class MishBackward0(Node):
    # self: mish_backward(grad, self) = grad * (tanh(softplus(x)) + x * sigmoid(x) * (1 - tanh(softplus(x))^2))
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        tsp = x.exp().log1p().tanh()
        return (grad * (tsp + x * x.sigmoid() * (1 - tsp * tsp)),)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
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
    # self: elu_backward(grad, alpha, scale, input_scale, /* is_result */ false, self)
    def apply(self, grad: Tensor) -> tuple:
        return (_elu_grad(grad, self.saved("self"), self, False),)


class EluBackward1(Node):
    # elu_: self: elu_backward(grad, alpha, scale, input_scale, /* is_result */ true, result)
    def apply(self, grad: Tensor) -> tuple:
        return (_elu_grad(grad, self.saved("result"), self, True),)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
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


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    def values(xp: Any, a: Any) -> Any:
        ab = a * _scalar(a, beta)
        return xp.where(ab > threshold, a, xp.log1p(xp.exp(ab)) / _scalar(a, beta))

    return _apply(input, "softplus", values, SoftplusBackward0, beta=beta, threshold=threshold)


# --------------------------------------------------------------------------- hardtanh, relu6, hard*
class HardtanhBackwardBackward0(PiecewiseLinearBackwardBackward):
    # hardtanh_backward: grad_output: hardtanh_backward(grad, self, min_val, max_val); self: zeros_like(grad)
    pass


class HardtanhBackward0(Node):
    # self: hardtanh_backward(grad, self, min_val, max_val): grad strictly inside (min, max), else 0
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        inside = (x._data > self._saved_min_val) & (x._data < self._saved_max_val)
        return (sloped_grad(HardtanhBackwardBackward0, grad, x, inside),)


def _clip(a: Any, xp: Any, lo: float, hi: float) -> Any:
    lo_, hi_ = a.dtype.type(lo), a.dtype.type(hi)
    return xp.minimum(xp.maximum(a, lo_), hi_)


def _clamped(input: Tensor, min_val: float, max_val: float, inplace: bool, name: str) -> Tensor:
    def op(x: Tensor) -> Tensor:
        values = lambda xp, a: _clip(a, xp, min_val, max_val)
        return _apply(x, name, values, HardtanhBackward0, kernel=None, min_val=min_val, max_val=max_val)

    return run_inplace(input, inplace, op)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _clamped(input, min_val, max_val, inplace, "hardtanh")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    # torch's relu6 is hardtanh(0, 6) (HardtanhBackward0), under its own name in errors
    return _clamped(input, 0.0, 6.0, inplace, "relu6")


class HardswishBackward0(Node):
    # self: hardswish_backward(grad, self): 0 below -3, grad * (x / 3 + 0.5) up to 3, grad above
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        return (_where(x < -3, 0.0, _where(x <= 3, grad * (x / 3 + 0.5), grad)),)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    def values(xp: Any, a: Any) -> Any:
        return a * _clip(a + 3, xp, 0, 6) / a.dtype.type(6)

    return run_inplace(input, inplace, lambda x: _apply(x, "hardswish", values, HardswishBackward0))


class HardsigmoidBackward0(Node):
    # self: hardsigmoid_backward(grad, self): grad / 6 strictly inside (-3, 3), else 0
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        return (_where((x > -3) & (x < 3), grad / 6, 0.0),)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    def values(xp: Any, a: Any) -> Any:
        return _clip(a + 3, xp, 0, 6) / a.dtype.type(6)

    return run_inplace(input, inplace, lambda x: _apply(x, "hardsigmoid", values, HardsigmoidBackward0))


# --------------------------------------------------------------------------- threshold, logsigmoid
class ThresholdBackward0(Node):
    # self: threshold_backward(grad, self, threshold): 0 where self <= threshold
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        return (sloped_grad(ThresholdBackwardBackward0, grad, x, x._data > self._saved_threshold),)


class ThresholdBackward1(ThresholdBackward0):
    # threshold_: the same formula, on the input as it was before the write (torch saves self here)
    pass


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    def op(x: Tensor) -> Tensor:
        values = lambda xp, a: xp.where(a <= threshold, a.dtype.type(value), a)
        node = ThresholdBackward1 if inplace else ThresholdBackward0
        return _apply(x, "threshold", values, node, kernel=None, threshold=threshold)

    return run_inplace(input, inplace, op)


def _log_sigmoid(xp: Any, x: Any) -> Any:
    # log(sigmoid(x)) without overflow: min(x, 0) - log1p(exp(-|x|)) (also binary_cross_entropy_with_logits')
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


class LogSigmoidBackward0(Node):
    # self: log_sigmoid_backward(grad, self, buffer): grad * (x < 0 ? 1 - z / (1 + z) : z / (1 + z)), z = exp(-|x|)
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        z = (-x.abs()).exp()
        q = z / (z + 1)
        return (grad * _where(x < 0, 1 - q, q),)


def logsigmoid(input: Tensor) -> Tensor:
    return _apply(input, "log_sigmoid", _log_sigmoid, LogSigmoidBackward0)


# --------------------------------------------------------------------------- glu
class GluBackward0(Node):
    # self: glu_backward(grad, self, dim): [grad * sigmoid(b), grad * a * sigmoid(b) * (1 - sigmoid(b))]
    def apply(self, grad: Tensor) -> tuple:
        a, b = self.saved("self").chunk(2, self._saved_dim)
        s = b.sigmoid()
        return (cat([grad * s, grad * a * s * (1 - s)], self._saved_dim),)


def glu(input: Tensor, dim: int = -1) -> Tensor:
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
def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


# --------------------------------------------------------------------------- selu, celu, shrinks, rrelu
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_like(
    input: Tensor,
    alpha: float,
    scale: float,
    input_scale: float,
    inplace: bool,
    nodes: tuple,
    grad_input_scale: float | None = None,
) -> Tensor:
    def values(xp: Any, a: Any) -> Any:
        # torch's elu kernel: x <= 0 ? expm1(x * input_scale) * (alpha * scale) : x * scale
        neg = xp.expm1(a * _scalar(a, input_scale)) * (_scalar(a, alpha) * _scalar(a, scale))
        return xp.where(a > 0, a * _scalar(a, scale), neg)

    def op(x: Tensor) -> Tensor:
        backward_scale = input_scale if grad_input_scale is None else grad_input_scale
        attrs = {"alpha": alpha, "scale": scale, "input_scale": backward_scale}
        return _apply(x, "elu", values, nodes[inplace], kernel="elu_cpu", saves_result=inplace, **attrs)

    return run_inplace(input, inplace, op)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _elu_like(input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace, (EluBackward0, EluBackward1))


class CeluBackward0(EluBackward0):
    # self: elu_backward(grad, alpha, 1, 1.0 / alpha, false, self)
    pass


class CeluBackward1(EluBackward1):
    # celu_: elu_backward(grad, alpha, 1, 1.0 / alpha, true, result)
    pass


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    # torch's forward divides in double, its derivative (derivatives.yaml: 1.0/alpha.toFloat()) by alpha
    # rounded to float32 first: for alpha = 0.7 the gradients differ by 1.7e-8 relative
    grad_scale = 1.0 / float(np.float32(alpha))
    return _elu_like(input, alpha, 1.0, 1.0 / alpha, inplace, (CeluBackward0, CeluBackward1), grad_scale)


class SoftshrinkBackwardBackward0(PiecewiseLinearBackwardBackward):
    # softshrink_backward: grad_output: softshrink_backward(grad, self, lambd); self: zeros_like(grad)
    pass


class HardshrinkBackwardBackward0(PiecewiseLinearBackwardBackward):
    # hardshrink_backward: grad_out: hardshrink_backward(grad, self, lambd); self: zeros_like(grad)
    pass


class _ShrinkBackward(Node):
    # softshrink_backward / hardshrink_backward: grad where x < -lambd or x > lambd, else 0
    backward_backward: type = PiecewiseLinearBackwardBackward

    def apply(self, grad: Tensor) -> tuple:
        x, lambd = self.saved("self"), self._saved_lambd
        outside = (x._data < -lambd) | (x._data > lambd)
        return (sloped_grad(self.backward_backward, grad, x, outside),)


class SoftshrinkBackward0(_ShrinkBackward):
    # self: softshrink_backward(grad, self, lambd)
    backward_backward = SoftshrinkBackwardBackward0


class HardshrinkBackward0(_ShrinkBackward):
    # self: hardshrink_backward(grad, self, lambd)
    backward_backward = HardshrinkBackwardBackward0


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if isinstance(input, Tensor):
        dt = _FROM_NUMPY[input._data.dtype]
        if not dt.is_floating_point:
            raise NotImplementedError(f"\"softshrink_check\" not implemented for '{scalar_type_name(dt)}'")
        if lambd < 0:
            top = float(D.np_finfo(dt.np).max)
            raise RuntimeError(
                f"lambda must be in range [0, {top:g}] for input dtype {scalar_type_name(dt)}, but found {lambd:g}"
            )

    def values(xp: Any, a: Any) -> Any:
        lam = _scalar(a, lambd)
        return xp.where(a > lam, a - lam, xp.where(a < -lam, a + lam, a * 0))

    return _apply(input, "softshrink", values, SoftshrinkBackward0, lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    def values(xp: Any, a: Any) -> Any:
        lam = _scalar(a, lambd)
        return xp.where((a >= -lam) & (a <= lam), a * 0, a)

    return _apply(input, "hardshrink", values, HardshrinkBackward0, lambd=lambd)


class RreluWithNoiseBackward0(Node):
    # rrelu_with_noise_backward: grad * noise when training (noise is 1 for x > 0), else leaky_relu's grad
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        if self._saved_training and self._saved_upper - self._saved_lower > 1e-6:
            slopes = self.saved("noise")._data
        else:
            slope = x._data.dtype.type((self._saved_lower + self._saved_upper) / 2)
            slopes = x._xp.where(x._data > 0, x._data.dtype.type(1), slope)
        # recorded as torch's RreluWithNoiseBackwardBackward0 under create_graph (linear in the grad)
        return (sloped_grad(RreluWithNoiseBackwardBackward0, grad, x, slopes),)


class RreluWithNoiseBackwardBackward0(PiecewiseLinearBackwardBackward):
    # rrelu_with_noise_backward: grad_output: rrelu_with_noise_backward(grad, self, noise, ...); self: zeros_like(grad)
    pass


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    # rrelu_: the same formula on the input as it was before the write
    pass


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    if isinstance(input, Tensor) and not _FROM_NUMPY[input._data.dtype].is_floating_point:
        raise NotImplementedError(
            f"\"leaky_relu_cpu\" not implemented for '{scalar_type_name(_FROM_NUMPY[input._data.dtype])}'"
        )
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    noise = None
    if training:
        flat = to_numpy(input._data).reshape(-1)
        neg = flat <= 0
        slopes = np.ones(flat.shape, dtype=np.float64)
        # one double draw per non-positive element, in element order, as torch's CPU loop does
        slopes[neg] = _random._uniform_draw(
            _random._gen(None, input), int(neg.sum()), np.dtype(np.float64), lower, upper
        )
        noise = Tensor._make(input._xp.asarray(slopes.astype(input._data.dtype).reshape(input._data.shape)))

    def op(x: Tensor) -> Tensor:
        if noise is not None:
            out = Tensor._make(x._data * noise._data)
        else:
            slope = (lower + upper) / 2
            out = Tensor._make(x._xp.where(x._data > 0, x._data, x._data * x._data.dtype.type(slope)))
        if grad_recording(x):
            node = (RreluWithNoiseBackward1 if inplace else RreluWithNoiseBackward0)()
            node.__dict__.update(_saved_lower=lower, _saved_upper=upper, _saved_training=training)
            record(node, out, x)
            node.save("self", x)
            if noise is not None:
                node.save("noise", noise)
        return out

    return run_inplace(input, inplace, op)


# --------------------------------------------------------------------------- prelu
class PreluKernelBackward0(Node):
    # self, weight: _prelu_kernel_backward(grad, self, weight)
    def apply(self, grad: Tensor) -> tuple:
        x, w = self.saved("self"), self.saved("weight")
        xa, wa, ga = x._data, w._data, grad._data
        positive = xa > 0
        gx = Tensor._make(np.where(positive, ga, wa * ga).astype(xa.dtype, copy=False))
        gw_full = np.where(positive, 0, xa * ga).astype(xa.dtype, copy=False)
        axes = tuple(i for i, n in enumerate(wa.shape) if n == 1 and gw_full.shape[i] != 1)
        gw = Tensor._make(gw_full.sum(axis=axes, keepdims=True) if axes else gw_full)
        if grad_recording(grad, x, w):
            # under create_graph both grads come from one PreluKernelBackwardBackward0, as torch's
            record_with(PreluKernelBackwardBackward0(), (gx, gw), grad, x, w, _x=x, _w=w, _grad=grad)
        return gx if needs(self, 0) else None, gw if needs(self, 1) else None


class PreluKernelBackwardBackward0(Node):
    # _prelu_kernel_backward (derivatives.yaml): with gI, gW the incoming grads of its two outputs,
    # grad_output: where(self >= 0, gI, gI * weight + gW * self); self: where(self >= 0, 0, grad_output * gW);
    # weight: where(self >= 0, 0, grad_output * gI)
    def apply(self, g_in: Tensor, g_w: Tensor) -> tuple:
        x, w, grad = self._x, self._w, self._grad
        nonneg = x >= 0
        d_grad = pointwise.where(nonneg, g_in, g_in * w + g_w * x) if needs(self, 0) else None
        d_x = pointwise.where(nonneg, 0.0, grad * g_w) if needs(self, 1) else None
        d_w = None
        if needs(self, 2):
            d_w = pointwise.where(nonneg, 0.0, grad * g_in)
            axes = tuple(i for i, n in enumerate(w.shape) if n == 1 and d_w.shape[i] != 1)
            d_w = d_w.sum(axes, keepdim=True) if axes else d_w  # the weight's broadcast dims summed back
        return d_grad, d_x, d_w


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), the weight per channel (dim 1) or shared."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(prelu, True, (), locals())
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    num = weight.numel()
    channels = input.shape[1] if input.ndim > 1 else 1
    if num != 1 and input.ndim == 0:
        raise RuntimeError("Not allow zero-dim input tensor.")
    if num != 1 and channels != num:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{num} and channel size = {channels}."
        )
    if input.ndim != weight.ndim:
        dims = [1] * input.ndim
        if input.ndim > 1:
            dims[1] = num
        weight = weight.reshape(dims)
    x, w = input._data, weight._data
    out = Tensor._make(np.where(x > 0, x, w * x).astype(x.dtype, copy=False))
    if grad_recording(input, weight):
        node = PreluKernelBackward0()
        record(node, out, input, weight)
        node.save("self", input)
        node.save("weight", weight)
    return out


# --------------------------------------------------------------------------- relu, tanh, sigmoid, softmax (core ops)
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else pointwise.relu(input)


def tanh(input: Tensor) -> Tensor:
    return pointwise.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    return pointwise.sigmoid(input)


def softmax_dim(name: str, ndim: int, stacklevel: int = 3) -> int:
    """torch's legacy implicit dim for softmax-like calls without ``dim``."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = softmax_dim("softmax", input.ndim, _stacklevel)
    return _reduction.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _reduction.log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = softmax_dim("softmin", input.ndim, _stacklevel)
    return _reduction.softmax(-input, dim, dtype=dtype)
