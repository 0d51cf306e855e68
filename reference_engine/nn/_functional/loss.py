"""The losses of ``nn.functional``.

Single graph nodes named as torch's (``MseLossBackward0``, ``NllLossBackward0``,
``BinaryCrossEntropyWithLogitsBackward0``, ``BinaryCrossEntropyBackward0``, ``SmoothL1LossBackward0``,
``HuberLossBackward0``), whose backward formulas are derivatives.yaml's; the rest (l1, kl_div, the ranking,
embedding, triplet, Poisson and Gaussian losses) are torch's composites (ATen's ``Loss.cpp`` and
``nn.functional``), written with engine ops in the same order, so values, grads and the top node of the
graph follow torch's. Every 'mean' and 'sum' goes through the engine's one summation order.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._backend import array_module
from ..._creation import ones_like, zeros_like
from ...autograd import grad_mode
from ...autograd.graph import Node
from ...ops import _autocast
from ...ops import reduction as _reduction
from ...ops._util import grad_recording, needs, record, record_with
from ...ops.inplace import scalar_type_name
from ...ops.pointwise import _ErrState, minimum, where
from ...ops.special import _div_scalar  # torch's div.Scalar (DivBackward1), beside the other Scalar overloads
from ...tensor import Tensor
from ._broadcast import broadcast_shape
from .activation import _log_sigmoid, logsigmoid
from .distance import pairwise_distance

_REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """Map the deprecated ``size_average``/``reduce`` pair onto ``reduction`` like torch."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduction_arg(size_average: Any, reduce: Any, reduction: str) -> str:
    """A loss's reduction from its arguments: the legacy flags mapped, then checked."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    return reduction


_PLAIN_FLOATS = (np.float32, np.float64)


def _sum_all(arr: Any) -> Any:
    """``torch.sum``'s value for all of ``arr``: its array kernel directly for a float32/float64 NumPy array
    (what the op computes there), the op otherwise."""
    if type(arr) is np.ndarray and arr.dtype.type in _PLAIN_FLOATS:
        return _reduction._sum_array(arr, tuple(range(arr.ndim)), False)
    return Tensor._make(arr).sum()._data


def _reduce(arr: Any, reduction: str) -> Any:
    # through the core reductions, so losses share the engine's one summation order
    if reduction == "mean":
        if arr.dtype == D.BF16:  # the float32 sum divided in float32, rounded once: the core mean's path
            return Tensor._make(arr).mean()._data
        total = _sum_all(arr)
        with _ErrState():
            return total / arr.dtype.type(arr.size)  # torch's mean: the sum divided by the count
    if reduction == "sum":
        return _sum_all(arr)
    return arr


def _reduced(arr: Any, reduction: str) -> Tensor:
    """The loss array ``arr`` reduced as ``reduction`` says, as a tensor of its dtype (a single node's value)."""
    return Tensor._make(array_module(arr).asarray(_reduce(arr, reduction), dtype=arr.dtype))


def _mean_norm(numel: int, reduction: str) -> float:
    # the 'mean' reductions' grads carry 1 / numel
    return 1.0 / max(numel, 1) if reduction == "mean" else 1.0


def _record_pair(out: Tensor, input: Tensor, target: Tensor, node_cls: type[Node], **attrs: Any) -> Tensor:
    """Record ``node_cls`` (with ``attrs``) for a loss node that saves its input and target."""
    if grad_recording(input, target):
        node = node_cls()
        node.__dict__.update(attrs)
        record(node, out, input, target)
        node.save("self", input)
        node.save("target", target)
    return out


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    """A composite loss's reduction with engine ops: ``mean`` (MeanBackward0), ``sum`` or none."""
    if reduction == "mean":
        return _reduction.mean(loss)
    return loss.sum() if reduction == "sum" else loss


def _broadcast_pair(x: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    if x._data.shape != target._data.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({x.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=4,
        )
        shape = broadcast_shape(x.shape, target.shape)
        x, target = x.expand(shape), target.expand(shape)
    return x, target


# --------------------------------------------------------------------------- mse
class MseLossBackward0(Node):
    # self: mse_loss_backward(grad, self, target, reduction) = norm * (self - target) * grad,
    #       norm = 2 / numel for mean, 2 otherwise ; target: the same with the operands swapped
    def apply(self, grad: Tensor) -> tuple:
        if not grad_mode._state.enabled:  # no create_graph: one array expression
            a = self.saved("self")._data
            g = (a - self.saved("target")._data) * a.dtype.type(self.norm) * grad._data
            return Tensor._make(g) if needs(self, 0) else None, Tensor._make(-g) if needs(self, 1) else None
        diff = self.saved("self") - self.saved("target")
        g = diff * self.norm * grad
        return g if needs(self, 0) else None, -g if needs(self, 1) else None


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(mse_loss, False, (), locals())
    x, t = _broadcast_pair(input, target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    a, b = x._data, t._data
    d = a - b
    return _record_pair(_reduced(d * d, reduction), x, t, MseLossBackward0, norm=2.0 * _mean_norm(d.size, reduction))


# --------------------------------------------------------------------------- l1 (composite, as in torch)
def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(l1_loss, False, (), locals())
    x, t = _broadcast_pair(input, target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    return _apply_reduction((x - t).abs(), reduction)


# --------------------------------------------------------------------------- nll
class NllLossBackward0(Node):
    # self: nll_loss_backward(grad, self, target, weight, reduction, ignore_index, total_weight):
    # -weight[target] * grad at each target position (divided by total_weight for mean), zero elsewhere
    def apply(self, grad: Tensor) -> tuple:
        g = grad._data[:, None] if self.unsqueeze_grad else grad._data
        # torch writes -weight[target] * grad at the target positions only: elsewhere a zero, not 0 * grad
        # (an infinite grad, a scaler's overflow step, must not turn the other classes' grads into NaN)
        with np.errstate(invalid="ignore", over="ignore"):
            out = Tensor._make(grad._xp.where(self.at_target, g * self.coef, self.coef.dtype.type(0)))
        if grad_recording(grad, self.input_ref):
            # under create_graph: torch's double-backward node, linear in the grad (grad_output: nll_loss(grad, ...),
            # self: zeros_like(grad)), with edges to the grad and to the input
            cls = NllLoss2DBackwardBackward0 if isinstance(self, NllLoss2DBackward0) else NllLossBackwardBackward0
            record_with(cls(), out, grad, self.input_ref, coef=self.coef, unsqueeze_grad=self.unsqueeze_grad)
            out._grad_fn.at_target = self.at_target
        return (out,)


class NllLossBackwardBackward0(Node):
    # nll_loss_backward: grad_output: nll_loss(grad, target, weight, reduction, ignore_index); self: zeros_like(grad)
    def apply(self, grad: Tensor) -> tuple:
        picked = grad * Tensor._make(self.coef)  # the coefficients hold -weight[target] (/ total_weight)
        d_grad = picked.sum(1) if self.unsqueeze_grad else picked.sum()
        return d_grad if needs(self, 0) else None, zeros_like(grad) if needs(self, 1) else None


class NllLoss2DBackwardBackward0(NllLossBackwardBackward0):
    # nll_loss2d_backward: the same formula
    pass


def _check_nll(input: Tensor, target: Tensor) -> None:
    # torch's order: nll_loss_nd's ValueErrors, then the kernel's checks
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim >= 2 and input.shape[0] != (target.shape[0] if target.ndim else 1):
        tb = target.shape[0] if target.ndim else 1
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({tb}).")
    if input.ndim <= 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target._data.dtype.kind not in "iu" or target._data.dtype.itemsize not in (1, 8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {scalar_type_name(target.dtype)}")


class NllLoss2DBackward0(NllLossBackward0):
    # nll_loss2d: the same formula, for inputs with spatial dims (N, C, H, W)
    pass


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(nll_loss, False, (), locals())
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_nll(input, target)
    check_reduction(reduction)
    if input.ndim == 4 or input.ndim < 3:
        return _nll(input, target, weight, ignore_index, reduction)
    # torch routes spatial inputs through nll_loss2d on an (N, C, H, W) view
    n, c = input.shape[0], input.shape[1]
    x4 = input.reshape(n, c, input.shape[2], -1)
    out = _nll(x4, target.reshape(n, x4.shape[2], x4.shape[3]), weight, ignore_index, reduction)
    return out.reshape(target.shape) if reduction == "none" else out


def _nll(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, reduction: str) -> Tensor:
    x, t = input._data, target._data.astype("int64")
    xp = array_module(x)
    cdim = 1 if x.ndim >= 2 else 0
    n_classes = x.shape[cdim]
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].reshape(-1)[0])} is out of bounds.")
    safe_t = xp.where(valid, t, 0)
    w = weight._data.astype(x.dtype)[safe_t] if weight is not None else xp.ones(t.shape, dtype=x.dtype)
    w = xp.where(valid, w, xp.zeros((), dtype=x.dtype))
    picked = xp.take_along_axis(x, xp.expand_dims(safe_t, cdim), cdim).squeeze(cdim) if x.ndim >= 2 else x[safe_t]
    losses = -w * picked
    total = _reduce(w, "sum")
    if reduction == "none":
        arr = losses
    elif reduction == "sum":
        arr = _reduce(losses, "sum")
    else:
        arr = _reduce(losses, "sum") / total
    out = Tensor._make(xp.asarray(arr, dtype=x.dtype))
    if grad_recording(input):
        node = NllLoss2DBackward0() if x.ndim == 4 else NllLossBackward0()
        coef = xp.zeros_like(x)
        scale = -w / total if reduction == "mean" else -w
        xp.put_along_axis(coef, xp.expand_dims(safe_t, cdim), xp.expand_dims(scale.astype(x.dtype), cdim), cdim)
        node.coef = coef
        node.at_target = xp.zeros(x.shape, dtype=bool)
        xp.put_along_axis(node.at_target, xp.expand_dims(safe_t, cdim), xp.expand_dims(valid, cdim), cdim)
        node.unsqueeze_grad = reduction == "none" and x.ndim >= 2
        # the input itself, not saved: the double-backward node needs only its edge (no version check in torch)
        node.input_ref = input
        record(node, out, input)
    return out


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(cross_entropy, False, (), locals())
    reduction = _reduction_arg(size_average, reduce, reduction)
    cdim = 1 if input.ndim >= 2 else 0
    logp = _reduction.log_softmax(input, cdim)
    if target._data.dtype.kind == "f" and target.shape == input.shape:
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, cdim)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return nll
    return _smoothed(logp, nll, target, weight, ignore_index, reduction, label_smoothing, cdim)


def _smoothed(
    logp: Tensor,
    nll: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    cdim: int,
) -> Tensor:
    """Class-index targets with label smoothing, composite as in torch:
    (1 - eps) * nll + eps / C * (the weighted -sum of log-probs over classes, reduced like nll)."""
    n_classes = logp.shape[cdim]
    if weight is not None:
        shape = [1] * logp.ndim
        shape[cdim] = n_classes
        smooth = -(logp * weight.reshape(shape)).sum(cdim)
    else:
        smooth = -logp.sum(cdim)
    t = target._data
    keep = t != ignore_index
    smooth = smooth * Tensor._make(keep.astype(logp._data.dtype))  # masked_fill_(ignore_mask, 0)
    if reduction == "mean":
        if weight is not None:
            denom = weight._data[t[keep]].sum()
        else:
            denom = keep.sum()
        ret = smooth.sum() / Tensor._make(array_module(t).asarray(denom, dtype=logp._data.dtype))
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def _cross_entropy_probs(
    logp: Tensor, target: Tensor, weight: Tensor | None, reduction: str, label_smoothing: float, cdim: int
) -> Tensor:
    """Class-probability targets, composite as in torch: -(logp * target * weight).sum(...)."""
    n_classes = logp.shape[cdim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        shape = [1] * logp.ndim
        shape[cdim] = n_classes
        prod = prod * weight.reshape(shape)
    if reduction == "none":
        return -prod.sum(cdim)
    if reduction == "sum":
        return -prod.sum()
    # ATen divides by a Scalar (the batch size, an integer): div.Scalar, DivBackward1
    return _div_scalar(-prod.sum(), logp.numel() // n_classes)


# --------------------------------------------------------------------------- bce with logits
class BinaryCrossEntropyWithLogitsBackward0(Node):
    # self: binary_cross_entropy_with_logits_backward(grad, self, target, weight, pos_weight, reduction)
    #   = ((pos_weight * target + 1 - target) * sigmoid(self) - pos_weight * target) * weight * grad [/ numel]
    # target: binary_cross_entropy_with_logits_target_backward
    #   = (log(1 - sigmoid(self)) - pos_weight * log(sigmoid(self))) * weight * grad [/ numel]
    def apply(self, grad: Tensor) -> tuple:
        if grad_mode._state.enabled and grad_recording(grad, self.x_ref, self.t_ref):
            return self._differentiable(grad)
        gi = grad * Tensor._make(self.d_input) if needs(self, 0) else None
        gt = grad * Tensor._make(self.d_target) if needs(self, 1) else None
        return gi, gt, None, None

    def _differentiable(self, grad: Tensor) -> tuple:
        # under create_graph: torch's FunctionsManual formulas in engine ops, in torch's order, so the grads keep
        # a graph (DivBackward1 on top for 'mean', as torch's)
        x, t, w, pw = self.x_ref, self.t_ref, self.w_ref, self.pw_ref
        gi = gt = None
        if needs(self, 0):
            if pw is not None:
                tp = pw * t
                gi = ((tp + 1) - t) * x.sigmoid() - tp
            else:
                gi = x.sigmoid() - t
            gi = gi * grad
            gi = gi * w if w is not None else gi
            gi = _div_scalar(gi, x.numel()) if self.mean else gi
        if needs(self, 1):
            if pw is not None:
                gt = (logsigmoid(-x) - logsigmoid(x) * pw) * grad
            else:
                gt = -x * grad
            gt = gt * w if w is not None else gt
            gt = _div_scalar(gt, t.numel()) if self.mean else gt
        return gi, gt, None, None


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(binary_cross_entropy_with_logits, False, (), locals())
    reduction = _reduction_arg(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    x, t = input._data, target._data.astype(input._data.dtype)
    xp = array_module(x)
    logsig = _log_sigmoid(xp, x)
    pw = pos_weight._data.astype(x.dtype) if pos_weight is not None else None
    lw = 1 + (pw - 1) * t if pw is not None else 1
    losses = (1 - t) * x - lw * logsig
    wa = weight._data.astype(x.dtype) if weight is not None else None
    if wa is not None:
        losses = losses * wa
    out = _reduced(losses, reduction)
    if grad_recording(input, target):
        node = BinaryCrossEntropyWithLogitsBackward0()
        sig = xp.exp(logsig)
        scale = _mean_norm(x.size, reduction)
        if pw is not None:
            d_in = (pw * t + 1 - t) * sig - pw * t
            d_t = (logsig - x) - pw * logsig
        else:
            d_in, d_t = sig - t, -x
        if wa is not None:
            d_in, d_t = d_in * wa, d_t * wa
        shape = losses.shape
        node.d_input = xp.broadcast_to(d_in * scale, shape).astype(x.dtype)
        node.d_target = xp.broadcast_to(d_t * scale, shape).astype(x.dtype)
        # the tensors themselves for the create_graph formulas (weight and pos_weight take no grad in torch)
        node.x_ref, node.t_ref, node.mean = input, target, reduction == "mean"
        node.w_ref = weight.detach() if weight is not None else None
        node.pw_ref = pos_weight.detach() if pos_weight is not None else None
        record(node, out, input, target, weight, pos_weight)
    return out


_BCE_EPSILON = 1e-12


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
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(binary_cross_entropy, False, (), locals())
    reduction = _reduction_arg(size_average, reduce, reduction)
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
    return _record_pair(_reduced(losses, reduction), input, target, BinaryCrossEntropyBackward0,
                        weight=weight.detach() if weight is not None else None,
                        numel=x.size if reduction == "mean" else 0)  # fmt: skip


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
    input: Tensor,
    target: Tensor,
    reduction: str,
    node_cls: type[Node],
    values: Any,
    **attrs: float,
) -> Tensor:
    a, b = input._data, target._data.astype(input._data.dtype)
    z = np.abs(a - b)
    return _record_pair(_reduced(values(z), reduction), input, target, node_cls, norm=_mean_norm(z.size, reduction),
                        **attrs)  # fmt: skip


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(smooth_l1_loss, False, (), locals())
    x, t = _broadcast_pair(input, target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    if beta == 0.0:
        return l1_loss(x, t, reduction=reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")

    def values(z: Any) -> Any:
        bt, half = z.dtype.type(beta), z.dtype.type(0.5)
        return np.where(z < bt, half * z * z / bt, z - half * bt)

    return _piecewise_loss(x, t, reduction, SmoothL1LossBackward0, values, beta=beta)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(huber_loss, False, (), locals())
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
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    return _apply_reduction(weighted, reduction)


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
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(kl_div, False, (), locals())
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
    reduced = _apply_reduction(loss, inner)
    if reduction == "batchmean" and input.ndim != 0:
        reduced = reduced / input.shape[0]
    return reduced


# --------------------------------------------------------------------------- ranking, embedding, triplet, Poisson, Gaussian
_COSINE_EPSILON = 1e-12  # ATen's EPSILON in cosine_embedding_loss


def _shape(t: Tensor) -> str:
    return "torch.Size([" + ", ".join(str(s) for s in t.shape) + "])"


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(margin_ranking_loss, False, (), locals())
    reduction = _reduction_arg(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {_shape(input1)}, input2: {_shape(input2)}, target: {_shape(target)} "
        )
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(cosine_embedding_loss, False, (), locals())
    reduction = _reduction_arg(size_average, reduce, reduction)
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if targ_dim == 1 else 1
    if input1.dim() != want or input2.dim() != want:
        sizes = f"[{', '.join(map(str, input1.shape))}] and [{', '.join(map(str, input2.shape))}]"
        raise RuntimeError(
            f"{targ_dim}D target tensor expects {want}D input tensors, but found inputs with sizes {sizes}."
        )
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = (input1 * input1).sum(targ_dim) + _COSINE_EPSILON
    mag_square2 = (input2 * input2).sum(targ_dim) + _COSINE_EPSILON
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = zeros_like(cos)
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _apply_reduction(pos + neg, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(triplet_margin_loss, False, (), locals())
    reduction = _reduction_arg(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D inputs"
        )
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((dist_pos + margin - dist_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Any = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """nn.functional's composite: the triplet loss over any distance (pairwise_distance by default)."""
    check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs"
        )
    if distance_function is None:
        distance_function = pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance_function(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    if reduction == "sum":
        return loss.sum()
    return _reduction.mean(loss) if reduction == "mean" else loss


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(poisson_nll_loss, False, (), locals())
    reduction = _reduction_arg(size_average, reduce, reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + ((target * (2 * math.pi)).log() * 0.5)
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # homoscedastic: one variance per row
        elif input.dim() != var.dim() or sum(y for x, y in zip(input.shape, var.shape, strict=True) if x != y) != 1:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = ((input - target) ** 2 / var + var.log()) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)
