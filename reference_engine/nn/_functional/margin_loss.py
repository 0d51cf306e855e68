"""The margin losses of classification: soft_margin, hinge_embedding, multi_margin, multilabel_margin and
multilabel_soft_margin.

``soft_margin_loss``, ``multi_margin_loss`` and ``multilabel_margin_loss`` are ATen kernels with their own
nodes (``SoftMarginLossBackward0``, ``MultiMarginLossBackward0``, ``MultilabelMarginLossBackward0``); the
soft margin's backward is written in engine ops (torch differentiates it twice and forward), the other two
have no double backward in torch and run on arrays, in the loop order of ATen's ``LossMultiMargin.cpp`` and
``LossMultiLabelMargin.cpp`` (a sequential sum over the classes of each sample). ``hinge_embedding_loss``
(ATen's ``Loss.cpp``) and ``multilabel_soft_margin_loss`` (``nn.functional``) are composites.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._creation import zeros_like
from ...autograd.graph import Node
from ...ops._util import grad_recording, needs, record
from ...ops.inplace import scalar_type_name
from ...ops.pointwise import where
from ...tensor import Tensor
from ._broadcast import broadcast_shape
from .activation import logsigmoid
from .loss import _apply_reduction, _reduction_arg


def _dims(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


# --------------------------------------------------------------------------- soft_margin
class SoftMarginLossBackward0(Node):
    # self: soft_margin_loss_backward(grad, self, target, reduction)
    #       = -norm * target * z / (1 + z) * grad, z = exp(-target * self), norm = 1 / numel for 'mean'
    def apply(self, grad: Tensor) -> tuple:
        x, t = self.saved("self"), self.saved("target")
        z = (-t * x).exp()
        g = (t * z) * (-self.norm) / (z + 1) * grad
        return (g if needs(self, 0) else None, None)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduction_arg(size_average, reduce, reduction)
    a = input._data
    t = target._data
    broadcast_shape(a.shape, t.shape)  # torch's error for operands that do not broadcast
    # ATen: neg_out(output, input).mul_(target).exp_().log1p_()
    with np.errstate(all="ignore"):
        loss = np.log1p(np.exp(np.negative(a) * t.astype(a.dtype, copy=False)))
    out = Tensor._make(np.asarray(loss, dtype=a.dtype))
    out = _apply_reduction_array(out, reduction)
    if grad_recording(input):
        node = SoftMarginLossBackward0()
        node.norm = 1.0 / max(a.size, 1) if reduction == "mean" else 1.0
        record(node, out, input, None)
        node.save("self", input)
        node.save("target", target)
    return out


def _apply_reduction_array(loss: Tensor, reduction: str) -> Tensor:
    # the reduction of a single-node loss: its value only (the node is recorded on the result)
    if reduction == "none":
        return loss
    total = loss.sum()
    return Tensor._make(total._data / total._data.dtype.type(loss.numel())) if reduction == "mean" else total


# --------------------------------------------------------------------------- hinge_embedding
def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduction_arg(size_average, reduce, reduction)
    # ATen's composite, in its order
    zeros = zeros_like(input)
    margin_clamp = (margin - input).clamp_min_(0)
    output_margin = where(target != 1, margin_clamp, zeros)
    output_self = where(target != -1, input, zeros)
    return _apply_reduction(output_margin + output_self, reduction)


# --------------------------------------------------------------------------- multilabel_soft_margin
def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = _reduction_arg(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


# --------------------------------------------------------------------------- multi_margin, multilabel_margin
def _frames(input: Tensor, target: Tensor, name: str) -> tuple[int, int]:
    """(samples, classes) of a multi-class margin loss, with ATen's shape checks."""
    if not (input.dim() <= 1 and input.numel() > 0) and not (input.dim() == 2 and input.size(1) > 0):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {_dims(input)}"
        )
    nframe = 1 if input.dim() <= 1 else input.size(0)
    dim = 1 if input.dim() == 0 else input.size(-1)
    return nframe, dim


def _check_long(target: Tensor) -> None:
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {scalar_type_name(target.dtype)}")


def _reduce_frames(per: Any, reduction: str, input: Tensor) -> Any:
    """Per-sample losses reduced as ATen does: one running sum over the samples, then divided by their count."""
    if reduction == "none" and input.dim() == 2:
        return per
    if reduction == "none":
        return per.reshape(())
    total = per.dtype.type(0)
    for v in per:
        total = per.dtype.type(total + v)
    return np.asarray(total / per.dtype.type(len(per)) if reduction == "mean" else total, dtype=per.dtype)


def _scale_by_grad(gin: Any, grad: Tensor, reduction: str, input: Tensor) -> Any:
    g = grad._data
    if reduction == "none" and input.dim() == 2:
        return gin * g.reshape(-1, 1)
    return gin * g


class MultiMarginLossBackward0(Node):
    # self: multi_margin_loss_backward(grad, self, target, p, margin, weight, reduction): per sample, each class d
    #       with z = margin - x[target] + x[d] > 0 gets g (p=1) or 2 g z (p=2), times weight[target], and the
    #       target class minus their sum; g = 1 / dim (1 / (nframe * dim) for 'mean'); times grad
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")._data
        x2 = x.reshape(self.nframe, self.dim)
        tgt = self.target.reshape(self.nframe)
        rows = np.arange(self.nframe)
        dt = x.dtype.type
        g = dt(1.0 / (self.nframe * self.dim) if self.reduction == "mean" else 1.0 / self.dim)
        xt = x2[rows, tgt]
        gin = np.zeros_like(x2)
        gsum = np.zeros(self.nframe, dtype=x.dtype)
        for d in range(self.dim):
            z = dt(self.margin) - xt + x2[:, d]
            h = np.full_like(z, g) if self.p == 1 else dt(2) * g * z
            if self.weight is not None:
                h = h * self.weight[tgt]
            h = np.where((z > 0) & (tgt != d), h, dt(0))
            gsum = gsum + h
            gin[:, d] = h
        gin[rows, tgt] = -gsum
        gin = _scale_by_grad(gin, grad, self.reduction, self.saved("self"))
        return (Tensor._make(gin.reshape(x.shape).astype(x.dtype, copy=False)), None, None)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduction_arg(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    nframe, dim = _frames(input, target, "multi_margin_loss")
    if not (target.dim() <= 1 and target.numel() == nframe):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch "
            f"size). Expected target size [{nframe}], but got {_dims(target)}. Input has shape {_dims(input)}."
        )
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {_dims(weight)}")
    _check_long(target)
    tgt = target._data.reshape(nframe)
    if tgt.size and (tgt.min() < 0 or tgt.max() >= dim):
        raise RuntimeError("target out of range")
    x = input._data
    dt = x.dtype.type
    x2 = x.reshape(nframe, dim)
    rows = np.arange(nframe)
    xt = x2[rows, tgt]
    w = None if weight is None else weight._data.astype(x.dtype, copy=False)
    per = np.zeros(nframe, dtype=x.dtype)
    for d in range(dim):
        z = dt(margin) - xt + x2[:, d]
        h = z if p == 1 else z * z
        if w is not None:
            h = h * w[tgt]
        per = per + np.where((z > 0) & (tgt != d), h, dt(0))
    per = per / dt(dim)
    out = Tensor._make(_reduce_frames(per.astype(x.dtype, copy=False), reduction, input))
    if grad_recording(input):
        node = MultiMarginLossBackward0()
        node.nframe, node.dim, node.target, node.p, node.margin = nframe, dim, tgt, p, margin
        node.weight, node.reduction = w, reduction
        record(node, out, input, None, None)
        node.save("self", input)
    return out


class MultilabelMarginLossBackward0(Node):
    # self: multilabel_margin_loss_backward(grad, self, target, reduction, is_target): for each target label t
    #       and each non-target class d with z = 1 - x[t] + x[d] > 0, x[t] gets -g and x[d] gets +g;
    #       g = 1 / dim (1 / (nframe * dim) for 'mean'); times grad
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")._data
        dt = x.dtype.type
        x2 = x.reshape(self.nframe, self.dim)
        g = dt(1.0 / (self.nframe * self.dim) if self.reduction == "mean" else 1.0 / self.dim)
        gin = np.zeros_like(x2)
        rows = np.arange(self.nframe)
        for j in range(self.dim):
            t = self.target[:, j]
            live = self.alive[:, j]
            xt = x2[rows, np.where(live, t, 0)]
            for d in range(self.dim):
                hit = live & ~self.is_target[:, d] & (dt(1) - xt + x2[:, d] > 0)
                gin[rows, np.where(live, t, 0)] -= np.where(hit, g, dt(0))
                gin[:, d] += np.where(hit, g, dt(0))
        gin = _scale_by_grad(gin, grad, self.reduction, self.saved("self"))
        return (Tensor._make(gin.reshape(x.shape).astype(x.dtype, copy=False)), None)


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _reduction_arg(size_average, reduce, reduction)
    nframe, dim = _frames(input, target, "multilabel_margin_loss")
    ok = target.dim() <= 1 and target.numel() == dim if input.dim() <= 1 else target.shape == input.shape
    if not ok:
        raise RuntimeError(f"inconsistent target size: {_dims(target)} for input of size: {_dims(input)}")
    _check_long(target)
    tgt = target._data.reshape(nframe, dim)
    if tgt.size and (tgt.min() < -1 or tgt.max() >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    # the labels of a sample are its targets up to the first negative one
    alive = np.cumprod(tgt >= 0, axis=1).astype(bool)
    rows = np.arange(nframe)
    is_target = np.zeros((nframe, dim), dtype=bool)
    for j in range(dim):
        is_target[rows[alive[:, j]], tgt[alive[:, j], j]] = True
    x = input._data
    dt = x.dtype.type
    x2 = x.reshape(nframe, dim)
    per = np.zeros(nframe, dtype=x.dtype)
    for j in range(dim):
        xt = x2[rows, np.where(alive[:, j], tgt[:, j], 0)]
        for d in range(dim):
            z = dt(1) - xt + x2[:, d]
            per = per + np.where(alive[:, j] & ~is_target[:, d] & (z > 0), z, dt(0))
    per = per / dt(dim)
    out = Tensor._make(_reduce_frames(per.astype(x.dtype, copy=False), reduction, input))
    if grad_recording(input):
        node = MultilabelMarginLossBackward0()
        node.nframe, node.dim, node.target, node.alive, node.is_target = nframe, dim, tgt, alive, is_target
        node.reduction = reduction
        record(node, out, input, None)
        node.save("self", input)
    return out
