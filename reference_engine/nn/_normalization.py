"""layer_norm and group_norm (one node each, as in torch), normalize and cosine_similarity (composite).

Both norms standardise rows of a (rows, K) view of the input (layer norm: one row per
leading index; group norm: one row per (sample, group)) and then apply a per-element
(layer norm) or per-channel (group norm) affine map. The forward follows torch's CPU
kernel: ``y = (x * rstd + (-rstd * mean)) * weight + bias``. The backward recomputes the
row statistics with engine ops, so double backward differentiates through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from ..autograd.grad_mode import no_grad
from ..autograd.graph import Node
from ..ops._util import grad_recording, needs, record
from ..ops.inplace import scalar_type_name
from ..ops.loss import broadcast_shape
from ..ops.pointwise import _ErrState
from ..tensor import Tensor


def _row_moments(xr: Any, eps: float) -> tuple[Any, Any]:
    """Mean and 1/sqrt(var + eps) of each row of the 2-D array ``xr`` (population variance)."""
    mean = xr.mean(axis=1, keepdims=True)
    var = ((xr - mean) ** 2).mean(axis=1, keepdims=True)
    with _ErrState():
        rstd = 1 / array_module(xr).sqrt(var + xr.dtype.type(eps))
    return mean, rstd


def _normalized_rows(xr: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """(x - mean) * rstd and rstd of each row, as differentiable engine ops."""
    centered = xr - xr.mean(1, keepdim=True)
    rstd = ((centered * centered).mean(1, keepdim=True) + eps).rsqrt()
    return centered * rstd, rstd


def _input_grad(g: Tensor, xhat: Tensor, rstd: Tensor) -> Tensor:
    """The grad of rows standardised to ``xhat`` from ``g``, the grad with respect to xhat."""
    return (g - g.mean(1, keepdim=True) - xhat * (g * xhat).mean(1, keepdim=True)) * rstd


def _compute_dtype(x: Tensor) -> Any:
    # Half kernels accumulate in float32 and round the result once
    return np.float32 if x._data.dtype == np.float16 else x._data.dtype


# --------------------------------------------------------------------------- layer_norm
class NativeLayerNormBackward0(Node):
    # input, weight, bias: native_layer_norm_backward(grad, input, normalized_shape, mean, rstd, weight, bias)
    def apply(self, grad: Tensor) -> tuple:
        x, w = self.saved("input"), self.saved("weight") if self.has_weight else None
        rows = (-1, self.k)
        xhat, rstd = _normalized_rows(x.reshape(rows), self.eps)
        gy = grad.reshape(rows)
        gi = gw = gb = None
        if needs(self, 0):
            g = gy * w.reshape(1, self.k) if w is not None else gy
            gi = _input_grad(g, xhat, rstd).reshape(x.shape)
        if needs(self, 1):
            gw = (gy * xhat).sum(0).reshape(w.shape)
        if needs(self, 2):
            gb = gy.sum(0).reshape(self.norm_shape)
        return gi, gw, gb


def _check_layer_norm(x: Tensor, shape: tuple[int, ...], weight: Tensor | None, bias: Tensor | None) -> None:
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"{list(t.shape)} and normalized_shape = {list(shape)}"
            )
    n = len(shape)
    if n == 0 or x.ndim < n or tuple(x.shape[x.ndim - n :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, {', '.join(map(str, shape))}], "
            f"but got input of size{list(x.shape)}"
        )


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_layer_norm(input, shape, weight, bias)
    k = int(np.prod(shape))
    a = input._data
    xr = a.astype(_compute_dtype(input)).reshape(-1, k)
    mean, rstd = _row_moments(xr, eps)
    y = xr * rstd + (-rstd * mean)
    if weight is not None:
        y = y * weight._data.reshape(1, k).astype(xr.dtype)
    if bias is not None:
        y = y + bias._data.reshape(1, k).astype(xr.dtype)
    out = Tensor._make(y.reshape(a.shape).astype(a.dtype))
    if grad_recording(input, weight, bias):
        node = NativeLayerNormBackward0()
        node.k, node.eps, node.norm_shape, node.has_weight = k, eps, shape, weight is not None
        record(node, out, input, weight, bias)
        node.save("input", input)
        if weight is not None:
            node.save("weight", weight)
    return out


# --------------------------------------------------------------------------- group_norm
class NativeGroupNormBackward0(Node):
    # input, weight, bias: native_group_norm_backward(grad, input, mean, rstd, weight, N, C, HxW, group)
    def apply(self, grad: Tensor) -> tuple:
        x, w = self.saved("input"), self.saved("weight") if self.has_weight else None
        n, c, groups = x.shape[0], x.shape[1], self.groups
        per_channel = (n, c, -1)
        xhat, rstd = _normalized_rows(x.reshape(n * groups, -1), self.eps)
        gy = grad.reshape(per_channel)
        gi = gw = gb = None
        if needs(self, 0):
            g = gy * w.reshape(1, c, 1) if w is not None else gy
            gi = _input_grad(g.reshape(n * groups, -1), xhat, rstd).reshape(x.shape)
        if needs(self, 1):
            gw = (gy * xhat.reshape(per_channel)).sum((0, 2))
        if needs(self, 2):
            gb = gy.sum((0, 2))
        return gi, gw, gb


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if _single_value_per_channel(input, num_groups):
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size "
            f"{[n * c // num_groups, num_groups, *input.shape[2:]]}"
        )
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got "
                f"{name} of shape {list(t.shape)} and input of shape {list(input.shape)}"
            )
    a = input._data
    xr = a.astype(_compute_dtype(input)).reshape(n * num_groups, -1)
    mean, rstd = _row_moments(xr, eps)
    y = (xr * rstd + (-rstd * mean)).reshape(n, c, -1)
    if weight is not None:
        y = y * weight._data.reshape(1, c, 1).astype(xr.dtype)
    if bias is not None:
        y = y + bias._data.reshape(1, c, 1).astype(xr.dtype)
    out = Tensor._make(y.reshape(a.shape).astype(a.dtype))
    if grad_recording(input, weight, bias):
        node = NativeGroupNormBackward0()
        node.groups, node.eps, node.has_weight = num_groups, eps, weight is not None
        record(node, out, input, weight, bias)
        node.save("input", input)
        if weight is not None:
            node.save("weight", weight)
    return out


def _single_value_per_channel(input: Tensor, num_groups: int) -> bool:  # noqa: A002
    # F.group_norm's _verify_batch_size on [N * C // G, G, *spatial]: every size but the second multiplies
    size = [input.shape[0] * input.shape[1] // num_groups, num_groups, *input.shape[2:]]
    count = size[0]
    for s in size[2:]:
        count *= s
    return count == 1


# --------------------------------------------------------------------------- normalize, cosine_similarity
def normalize(
    input: Tensor,  # noqa: A002
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    with no_grad():
        return out.copy_(input / denom)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """torch's composite: each operand divided by its (clamped) norm, then the product summed over ``dim``.

    The clamp runs in place under no_grad on a clone, so gradients flow as if the norm were unclamped.
    """
    common = D.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {scalar_type_name(common)}"
        )
    if x1.shape != x2.shape:
        shape = broadcast_shape(x1.shape, x2.shape)
        x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)
