"""binary_cross_entropy, smooth_l1_loss and huber_loss as single nodes (torch's names), kl_div composite.

They share the argument handling and reduction of the losses in ``ops/loss.py`` (the
engine's one summation order for 'mean' and 'sum'). Backward formulas are derivatives.yaml's,
written with engine ops so double backward works.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..autograd.graph import Node
from ..ops._util import grad_recording, needs, record
from ..ops.loss import _broadcast_pair, _reduce, broadcast_shape, check_reduction, legacy_reduction
from ..ops.pointwise import _ErrState, where
from ..tensor import Tensor
from ._ops import mean_all

_BCE_EPSILON = 1e-12


def _reduced(arr: Any, reduction: str) -> Tensor:
    return Tensor._make(np.asarray(_reduce(arr, reduction), dtype=arr.dtype))


def _mean_norm(x: Tensor, reduction: str) -> float:
    # the 'mean' reductions' grads carry 1 / numel
    return 1.0 / max(x.numel(), 1) if reduction == "mean" else 1.0


# --------------------------------------------------------------------------- binary_cross_entropy
class BinaryCrossEntropyBackward0(Node):
    # self: grad * (self - target) / max((1 - self) * self, EPSILON) * weight [/ numel]
    # target: binary_cross_entropy_target_backward = -logit(self) * grad * weight [/ numel]
    def apply(self, grad: Tensor) -> tuple:
        x, t = self.saved("self"), self.saved("target")
        w = self.weight
        gi = gt = None
        if needs(self, 0):
            gi = grad * (x - t) / ((1 - x) * x).clamp_min(_BCE_EPSILON)
            gi = gi * w if w is not None else gi
            gi = gi / self.numel if self.numel else gi
        if needs(self, 1):
            gt = -(x / (1 - x)).log() * grad
            gt = gt * w if w is not None else gt
            gt = gt / self.numel if self.numel else gt
        return gi, gt


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is deprecated. "
            "Please ensure they have the same size."
        )
    if weight is not None:
        weight = weight.expand(*broadcast_shape(target.shape, weight.shape))
    x, t = input._data, target._data.astype(input._data.dtype)
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not ((t >= 0) & (t <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    floor = x.dtype.type(-100)  # torch clamps each log at -100 so a 0 or 1 input gives a finite loss
    with _ErrState():
        losses = (t - 1) * np.maximum(np.log1p(-x), floor) - t * np.maximum(np.log(x), floor)
    if weight is not None:
        losses = losses * weight._data.astype(x.dtype)
    out = _reduced(losses, reduction)
    if grad_recording(input, target):
        node = BinaryCrossEntropyBackward0()
        node.weight = weight.detach() if weight is not None else None
        node.numel = x.size if reduction == "mean" else 0
        record(node, out, input, target)
        node.save("self", input)
        node.save("target", target)
    return out


# --------------------------------------------------------------------------- smooth_l1 / huber
class SmoothL1LossBackward0(Node):
    # self: smooth_l1_loss_backward: norm * clamp(self - target, -beta, beta) / beta * grad ; target: its negative
    def apply(self, grad: Tensor) -> tuple:
        d = self.saved("self") - self.saved("target")
        g = d.clamp(-self.beta, self.beta) * (self.norm / self.beta) * grad
        return g if needs(self, 0) else None, -g if needs(self, 1) else None


class HuberLossBackward0(Node):
    # self: huber_loss_backward: norm * clamp(self - target, -delta, delta) * grad ; target: its negative
    def apply(self, grad: Tensor) -> tuple:
        d = self.saved("self") - self.saved("target")
        g = d.clamp(-self.delta, self.delta) * self.norm * grad
        return g if needs(self, 0) else None, -g if needs(self, 1) else None


def _piecewise_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str,
    node_cls: type[Node],
    values: Any,
    **attrs: float,
) -> Tensor:
    a, b = input._data, target._data.astype(input._data.dtype)
    z = np.abs(a - b)
    out = _reduced(values(z), reduction)
    if grad_recording(input, target):
        node = node_cls()
        node.__dict__.update(attrs)
        node.norm = _mean_norm(input, reduction)
        record(node, out, input, target)
        node.save("self", input)
        node.save("target", target)
    return out


def smooth_l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    from ..ops.loss import l1_loss  # noqa: PLC0415 - torch hands beta == 0 to l1_loss

    x, t = _broadcast_pair(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if beta == 0.0:
        return l1_loss(x, t, reduction=reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")

    def values(z: Any) -> Any:
        bt, half = z.dtype.type(beta), z.dtype.type(0.5)
        return np.where(z < bt, half * z * z / bt, z - half * bt)

    return _piecewise_loss(x, t, reduction, SmoothL1LossBackward0, values, beta=beta)


def huber_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    x, t = _broadcast_pair(input, target)
    if weight is None:
        check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")

    def values(z: Any) -> Any:
        dt, half = z.dtype.type(delta), z.dtype.type(0.5)
        return np.where(z < dt, half * z * z, dt * (z - half * dt))

    if weight is None:
        return _piecewise_loss(x, t, reduction, HuberLossBackward0, values, delta=delta)
    # torch's weighted form: the unreduced loss times weight, then reduced
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = _piecewise_loss(x, t, "none", HuberLossBackward0, values, delta=delta) * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return mean_all(weighted)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


# --------------------------------------------------------------------------- kl_div (composite, as in torch)
_KL_MEAN_WARNING = (
    "reduction: 'mean' divides the total loss by both the batch size and the support size."
    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
    "'mean' will be changed to behave the same as 'batchmean' in the next major release."
)


def _xlogy_self(t: Tensor) -> Tensor:
    """xlogy(t, t): t * log(t), 0 where t == 0."""
    if not (t.requires_grad or t.grad_fn is not None):
        a = t._data
        with _ErrState():
            return Tensor._make(np.where(a == 0, a.dtype.type(0), a * np.log(a)))
    return where(t == 0, 0.0, t * t.log())


def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    if size_average is not None or reduce is not None:
        # the legacy flags pick the kernel's reduction; 'batchmean' still divides by the batch below
        inner = legacy_reduction(size_average, reduce, "mean")
    else:
        if reduction == "mean":
            warnings.warn(_KL_MEAN_WARNING, stacklevel=2)
        inner = "sum" if reduction == "batchmean" else reduction
        check_reduction(inner)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy_self(target) - target * input
    if inner == "mean":
        reduced = mean_all(loss)
    else:
        reduced = loss.sum() if inner == "sum" else loss
    if reduction == "batchmean" and input.ndim != 0:
        reduced = reduced / input.shape[0]
    return reduced
