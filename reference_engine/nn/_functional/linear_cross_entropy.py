"""linear_cross_entropy: the cross entropy of a linear projection's logits, and its chunked form.

Without ``options`` (the reference path) it is nn.functional's composite: ``linear`` (the weight flattened
to (C * prod(out_features), in_features) for a K-dimensional loss), the logits reshaped to
``(*batch, C, *out_features)``, then ``cross_entropy``; its graph and derivatives are those ops'.

With ``options`` (a ``LinearCrossEntropyOptions``) and a configuration the chunked path supports (class
index targets of dtype int64, no label smoothing, no out_features), torch runs a custom operator over
chunks of the batch. Its values equal the reference path's; its graph is one node,
``GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward`` (or
``..._no_reduction_...`` for reduction='none'), with an edge per tensor argument given, and its gradients
carry no graph of their own (no double backward, no forward AD). For 'mean' and 'sum' the gradients are
computed in the forward and handed over once: a second backward raises unless ``allow_retain_graph``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any, Literal

from ... import _dtype as D
from ...autograd import grad as autograd_grad
from ...autograd import grad_mode
from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...tensor import Tensor
from .linear import linear
from .loss import cross_entropy


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Opts linear_cross_entropy into its chunked implementation (the batch processed in pieces)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: Literal["accurate", "balanced", "compact", "auto"] = "auto"
    acc_dtype: Any = None


class _ChunkedBackward(Node):
    # A custom operator's generated node: the gradients of the reference computation, without a graph.
    def apply(self, grad: Tensor) -> tuple:
        if self.used and not self.allow_retain_graph:
            raise RuntimeError(
                "linear_cross_entropy chunked backward called twice; retain_graph=True / double backward are not "
                "supported."
            )
        self.used = True
        # 'none' saves its inputs (freed after a backward without retain_graph); 'mean' and 'sum' hold the
        # gradients torch computes in the forward
        inputs = [self.saved(f"arg{i}") for i in range(self.count)] if self.recompute else self.inputs
        with grad_mode.enable_grad():
            leaves = [t.detach().requires_grad_(t.requires_grad) for t in inputs]
            wanted = [i for i, t in enumerate(leaves) if t is not None and t.requires_grad]
            loss = self.reference(*leaves)
            grads = _grad(loss, [leaves[i] for i in wanted], grad.detach())
        out: list[Tensor | None] = [None] * len(inputs)
        for i, g in zip(wanted, grads, strict=True):
            out[i] = g.detach()
        return tuple(out)


# torch.library's generated node classes, one per custom operator (reduction 'none' is its own operator)
_CHUNKED = type(
    "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward", (_ChunkedBackward,), {}
)
_CHUNKED_NONE = type(
    "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_no_reduction_defaultBackward",
    (_ChunkedBackward,),
    {},
)


def _grad(loss: Tensor, inputs: list[Tensor], grad: Tensor) -> tuple:
    return autograd_grad(loss, inputs, grad, allow_unused=True) if inputs else ()


def _check(input: Tensor, linear_weight: Tensor, linear_bias: Tensor | None) -> tuple[Any, int, tuple]:
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), "
            f"got {input.shape[-1]} and {linear_weight.shape[-1]}, respectively"
        )
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and input.dim() == 1:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires"
            f" batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}"
        )
    return tuple(input.shape[:-1]), num_classes, out_features


def _reference(
    input: Tensor,
    linear_weight: Tensor,
    target: Tensor,
    linear_bias: Tensor | None,
    weight: Tensor | None,
    reduction: str,
    ignore_index: int,
    label_smoothing: float,
) -> Tensor:
    batches, num_classes, out_features = _check(input, linear_weight, linear_bias)
    if out_features:
        flat = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape((flat, input.shape[-1]))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(flat)
    logits = linear(input, linear_weight, linear_bias).reshape((*batches, num_classes, *out_features))
    return cross_entropy(
        logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index, label_smoothing=label_smoothing
    )


def linear_cross_entropy(
    input: Tensor,
    linear_weight: Tensor,
    target: Tensor,
    *,
    linear_bias: Tensor | None = None,
    weight: Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    options: Any = None,
) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...), optionally chunked."""
    batches, num_classes, out_features = _check(input, linear_weight, linear_bias)
    probabilities = tuple(target.shape) == (*batches, num_classes, *out_features)
    if probabilities and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = ignore_index if ignore_index is not None else -100
    chunkable = (
        reduction in {"mean", "sum", "none"} and label_smoothing == 0.0 and target.dtype == D.int64 and not out_features
    )
    if options is not None and not chunkable:
        warnings.warn(
            "linear_cross_entropy: ``options`` ignored; chunked path needs reduction in {'mean','sum','none'}, "
            "label_smoothing == 0, target.dtype == int64, out_features == (). Got "
            f"reduction={reduction!r}, label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
            f"out_features={out_features}, tracing=False, linear_bias.shape="
            f"{tuple(linear_bias.shape) if linear_bias is not None else None}.",
            stacklevel=2,
        )
    args = (reduction, ignore_index, label_smoothing)
    if options is None or not chunkable:
        return _reference(input, linear_weight, target, linear_bias, weight, *args)
    return _chunked(input, linear_weight, target, linear_bias, weight, options, *args)


def _chunked(
    input: Tensor,
    linear_weight: Tensor,
    target: Tensor,
    linear_bias: Tensor | None,
    weight: Tensor | None,
    options: Any,
    reduction: str,
    ignore_index: int,
    label_smoothing: float,
) -> Tensor:
    """torch's chunked custom operator: the reference values, one generated node without double backward."""
    batched = input.dim() == 2
    if not batched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)  # noqa: A001 (torch's parameter name)
    allow_retain = bool(getattr(options, "allow_retain_graph", False))
    given = [t for t in (input, linear_weight, target, linear_bias, weight) if t is not None]

    def reference(x: Tensor, w: Tensor, t: Tensor, *rest: Tensor) -> Tensor:
        b = rest[0] if linear_bias is not None else None
        cw = rest[-1] if weight is not None else None
        return _reference(x, w, t, b, cw, reduction, ignore_index, label_smoothing)

    with grad_mode.no_grad():
        values = reference(*given)
    out = Tensor._make(values._data)
    if grad_recording(*given):
        node = (_CHUNKED_NONE if reduction == "none" else _CHUNKED)()
        node.reference, node.used, node.count = reference, False, len(given)
        # 'none' recomputes in each backward; 'mean' and 'sum' hand over gradients computed once
        node.recompute = reduction == "none"
        node.allow_retain_graph = allow_retain or node.recompute
        record(node, out, *given)
        if node.recompute:
            for i, t in enumerate(given):
                node.save(f"arg{i}", t)
        else:
            node.inputs = given
    return out if batched else out.squeeze(0)
