"""selu, celu, softshrink, hardshrink and rrelu, each one graph node named as in torch.

selu and celu are torch's elu kernel with other coefficients, so their nodes reuse elu's backward
(``EluBackward0/1`` for selu, as torch records; ``CeluBackward0/1`` for celu). rrelu is torch's
``rrelu_with_noise``: in eval mode leaky_relu with the mean slope, in train mode one
``uniform_real_distribution<double>(lower, upper)`` draw per non-positive element, in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random as _random
from .._backend import to_numpy
from ..autograd.graph import Node
from ..ops._util import _FROM_NUMPY, grad_recording, record
from ..ops.inplace import scalar_type_name
from ..tensor import Tensor
from ._activation import EluBackward0, EluBackward1, _apply, _scalar, _where, run_inplace

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_like(
    input: Tensor,  # noqa: A002
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


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _elu_like(input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace, (EluBackward0, EluBackward1))


class CeluBackward0(EluBackward0):
    # self: elu_backward(grad, alpha, 1, 1.0 / alpha, false, self)
    pass


class CeluBackward1(EluBackward1):
    # celu_: elu_backward(grad, alpha, 1, 1.0 / alpha, true, result)
    pass


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    # torch's forward divides in double, its derivative (derivatives.yaml: 1.0/alpha.toFloat()) by alpha
    # rounded to float32 first: for alpha = 0.7 the gradients differ by 1.7e-8 relative
    grad_scale = 1.0 / float(np.float32(alpha))
    return _elu_like(input, alpha, 1.0, 1.0 / alpha, inplace, (CeluBackward0, CeluBackward1), grad_scale)


class _ShrinkBackward(Node):
    # softshrink_backward / hardshrink_backward: grad where x < -lambd or x > lambd, else 0
    def apply(self, grad: Tensor) -> tuple:
        x, lambd = self.saved("self"), self._saved_lambd
        return (_where((x < -lambd) | (x > lambd), grad, 0.0),)


class SoftshrinkBackward0(_ShrinkBackward):
    pass


class HardshrinkBackward0(_ShrinkBackward):
    pass


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    if isinstance(input, Tensor):
        dt = _FROM_NUMPY[input._data.dtype]
        if not dt.is_floating_point:
            raise NotImplementedError(f"\"softshrink_check\" not implemented for '{scalar_type_name(dt)}'")
        if lambd < 0:
            top = float(np.finfo(dt.np).max)
            raise RuntimeError(
                f"lambda must be in range [0, {top:g}] for input dtype {scalar_type_name(dt)}, but found {lambd:g}"
            )

    def values(xp: Any, a: Any) -> Any:
        lam = _scalar(a, lambd)
        return xp.where(a > lam, a - lam, xp.where(a < -lam, a + lam, a * 0))

    return _apply(input, "softshrink", values, SoftshrinkBackward0, lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    def values(xp: Any, a: Any) -> Any:
        lam = _scalar(a, lambd)
        return xp.where((a >= -lam) & (a <= lam), a * 0, a)

    return _apply(input, "hardshrink", values, HardshrinkBackward0, lambd=lambd)


class RreluWithNoiseBackward0(Node):
    # rrelu_with_noise_backward: grad * noise when training (noise is 1 for x > 0), else leaky_relu's grad
    def apply(self, grad: Tensor) -> tuple:
        if self._saved_training and self._saved_upper - self._saved_lower > 1e-6:
            return (grad * self.saved("noise"),)
        slope = (self._saved_lower + self._saved_upper) / 2
        return (_where(self.saved("self") > 0, grad, grad * slope),)


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    # rrelu_: the same formula on the input as it was before the write
    pass


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    if isinstance(input, Tensor) and not _FROM_NUMPY[input._data.dtype].is_floating_point:
        raise NotImplementedError(
            f"\"leaky_relu_cpu\" not implemented for '{scalar_type_name(_FROM_NUMPY[input._data.dtype])}'"
        )
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


__all__ = ["celu", "hardshrink", "rrelu", "selu", "softshrink"]
