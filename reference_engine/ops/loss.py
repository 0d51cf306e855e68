"""Loss functions as single graph nodes: mse_loss, nll_loss, binary_cross_entropy_with_logits, plus l1_loss.

Node names are torch's (``MseLossBackward0``, ``NllLossBackward0``,
``BinaryCrossEntropyWithLogitsBackward0``); ``l1_loss`` is composite in torch
(abs of the difference, then mean/sum) and is composite here too.
"""

from __future__ import annotations

import warnings
from typing import Any

from .._backend import array_module
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import grad_recording, needs, record
from .inplace import scalar_type_name
from .pointwise import _ErrState

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


def _reduce(arr: Any, reduction: str) -> Any:
    # through the core reductions, so losses share the engine's one summation order
    if reduction == "mean":
        total = Tensor._make(arr).sum()._data
        with _ErrState():
            return total / arr.dtype.type(arr.size)  # torch's mean: the sum divided by the count
    if reduction == "sum":
        return Tensor._make(arr).sum()._data
    return arr


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast shape of ``a`` and ``b``, with torch's error when they do not broadcast."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb, strict=True)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
            )
        out.append(max(x, y) if x != 0 and y != 0 else 0)
    return tuple(out)


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
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    x, t = _broadcast_pair(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    a, b = x._data, t._data
    d = a - b
    arr = _reduce(d * d, reduction)
    out = Tensor._make(array_module(a).asarray(arr, dtype=d.dtype))
    if grad_recording(x, t):
        node = MseLossBackward0()
        node.norm = 2.0 / max(d.size, 1) if reduction == "mean" else 2.0
        record(node, out, x, t)
        node.save("self", x)
        node.save("target", t)
    return out


# --------------------------------------------------------------------------- l1 (composite, as in torch)
def l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    from ..nn._ops import mean_all  # noqa: PLC0415 - nn imports this module

    x, t = _broadcast_pair(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    loss = (x - t).abs()
    if reduction == "mean":
        return mean_all(loss)
    return loss.sum() if reduction == "sum" else loss


# --------------------------------------------------------------------------- nll
class NllLossBackward0(Node):
    # self: nll_loss_backward(grad, self, target, weight, reduction, ignore_index, total_weight):
    # -weight[target] * grad at each target position (divided by total_weight for mean), zero elsewhere
    def apply(self, grad: Tensor) -> tuple:
        if self.unsqueeze_grad:
            grad = grad.unsqueeze(1)
        return (grad * Tensor._make(self.coef),)


def _check_nll(input: Tensor, target: Tensor) -> None:  # noqa: A002
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
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
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


def _nll(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, reduction: str) -> Tensor:  # noqa: A002
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
        node.unsqueeze_grad = reduction == "none" and x.ndim >= 2
        record(node, out, input)
    return out


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    from ..nn._ops import log_softmax  # noqa: PLC0415 - nn imports this module

    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    cdim = 1 if input.ndim >= 2 else 0
    if target._data.dtype.kind == "f" and target.shape == input.shape:
        return _cross_entropy_probs(log_softmax(input, cdim), target, weight, reduction, label_smoothing, cdim)
    logp = log_softmax(input, cdim)
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
    return -prod.sum() / (logp.numel() / n_classes)


# --------------------------------------------------------------------------- bce with logits
class BinaryCrossEntropyWithLogitsBackward0(Node):
    # self: binary_cross_entropy_with_logits_backward(grad, self, target, weight, pos_weight, reduction)
    #   = ((pos_weight * target + 1 - target) * sigmoid(self) - pos_weight * target) * weight * grad [/ numel]
    # target: binary_cross_entropy_with_logits_target_backward
    #   = (log(1 - sigmoid(self)) - pos_weight * log(sigmoid(self))) * weight * grad [/ numel]
    def apply(self, grad: Tensor) -> tuple:
        gi = grad * Tensor._make(self.d_input) if needs(self, 0) else None
        gt = grad * Tensor._make(self.d_target) if needs(self, 1) else None
        return gi, gt, None, None


def _log_sigmoid(xp: Any, x: Any) -> Any:
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
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
    out = Tensor._make(xp.asarray(_reduce(losses, reduction), dtype=x.dtype))
    if grad_recording(input, target):
        node = BinaryCrossEntropyWithLogitsBackward0()
        sig = xp.exp(logsig)
        scale = (1.0 / max(x.size, 1)) if reduction == "mean" else 1.0
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
        record(node, out, input, target, weight, pos_weight)
    return out


__all__ = ["binary_cross_entropy_with_logits", "cross_entropy", "l1_loss", "mse_loss", "nll_loss"]
