"""dropout, dropout1d, dropout2d, dropout3d, alpha_dropout and feature_alpha_dropout, with torch's mask
recipe: ``bernoulli_(1 - p)`` from the default generator, then divided by ``1 - p`` in the tensor's dtype
(the alpha forms: scaled by ``a`` and shifted by ``b``, ATen's ``_dropout_impl``); the channel forms draw one
value per (sample, channel) (torch's feature_dropout)."""

from __future__ import annotations

import math
import warnings
from typing import Any

from ... import random as _random
from ..._backend import array_module
from ..._creation import ones, zeros
from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...tensor import Tensor


def _memory_order(arr: Any) -> tuple[int, ...] | None:
    """The axes of ``arr`` from outermost to innermost in memory when it is non-overlapping and dense but not
    C-contiguous (a permuted tensor, e.g. a transpose), else None: where torch's ``empty_like`` keeps the
    input's strides and where it allocates contiguously (``is_non_overlapping_and_dense``)."""
    if arr.flags.c_contiguous or arr.ndim < 2:
        return None
    dims = sorted((ax for ax in range(arr.ndim) if arr.shape[ax] >= 2), key=lambda ax: arr.strides[ax])
    need = arr.itemsize
    for ax in dims:
        if arr.strides[ax] != need:
            return None
        need *= arr.shape[ax]
    return tuple([ax for ax in range(arr.ndim) if arr.shape[ax] < 2] + dims[::-1])


def _keep_mask(input: Tensor, p: float) -> Any:
    """bernoulli_(1 - p) on torch's ``empty_like(input)`` noise, as a bool array of the input's shape."""
    arr = input._data
    order = _memory_order(arr)
    if order is None:
        return _random._bernoulli_mask(arr.shape, 1.0 - p, _random._gen(None, input))
    # torch's noise is empty_like(input): the input's strides, so bernoulli_ fills it in memory order
    drawn = _random._bernoulli_mask(tuple(arr.shape[ax] for ax in order), 1.0 - p, _random._gen(None, input))
    return drawn.transpose(tuple(order.index(ax) for ax in range(arr.ndim)))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    arr = input._data
    if p == 1.0:
        noise = arr * 0  # torch draws nothing when everything is dropped
    else:
        # torch's recipe: bernoulli_(1 - p) from the default generator, then / (1 - p) in the tensor's dtype
        keep = _keep_mask(input, p)
        noise = array_module(arr).asarray(keep).astype(arr.dtype) / arr.dtype.type(1.0 - p)
    mask = Tensor._make(noise)
    return input.mul_(mask) if inplace else input * mask


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: torch's feature_dropout, a bernoulli_(1 - p) noise of shape (N, C, 1) / (1 - p)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that dropout1d exists to "
            "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional "
            "batch dimension (i.e. 2D or 3D inputs)."
        )
    if p == 0 or not training or input.numel() == 0:
        return input
    batched = input.dim() == 3
    # torch runs an unbatched (C, L) input as (1, C, L) and squeezes the result; in place it reshapes the
    # input itself (unsqueeze_), which the engine lacks, so there the noise is (C, 1): the same draws
    x = input if batched or inplace else input.unsqueeze(0)
    if p == 1:
        noise = zeros((), dtype=input.dtype, device=input.device)
    else:
        noise = dropout(ones((*x.shape[:-1], 1), dtype=input.dtype, device=input.device), p)
    if inplace:
        return input.mul_(noise)
    out = x * noise
    return out if batched else out.squeeze(0)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: torch's feature_dropout, a bernoulli_(1 - p) noise of shape (N, C, 1, 1) / (1 - p)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    ndim = input.ndim
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            "dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, "
            "W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        noise = zeros((), dtype=input.dtype, device=input.device)
    else:
        # dropout of ones draws bernoulli_(1 - p) on the noise's shape and divides by 1 - p: torch's noise exactly
        noise = dropout(ones((*input.shape[:2], *([1] * (ndim - 2))), dtype=input.dtype, device=input.device), p)
    return input.mul_(noise) if inplace else input * noise


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W): torch's feature_dropout."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated and will result in an error in "
            "a future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            "dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    batched = inp_dim == 5
    # torch runs an unbatched input as a batch of one (unsqueeze_ in place, which the engine lacks: there the
    # noise is (C, 1, 1, 1), the same draws)
    x = input if batched or inplace else input.unsqueeze(0)
    if p == 0 or not training or input.numel() == 0:
        return input if batched or inplace else x.squeeze(0)  # torch's unsqueeze and squeeze still record
    if p == 1:
        noise = zeros((), dtype=input.dtype, device=input.device)
    else:
        # one draw per (sample, channel); in place on an unbatched input, x is the input itself, (C, ...)
        lead = x.shape[:1] if inplace and not batched else x.shape[:2]
        noise = dropout(ones((*lead, *([1] * (x.ndim - len(lead)))), dtype=input.dtype, device=input.device), p)
    if inplace:
        return input.mul_(noise)
    out = x * noise
    return out if batched else out.squeeze(0)


_SELU_ALPHA = 1.7580993408473766  # ATen's alpha (selu's -scale * alpha): alpha dropout's saturation value


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool) -> Tensor:
    """ATen's _dropout_impl with alpha_dropout: noise = bernoulli_(1 - p); b = (noise - 1) * alpha * a + alpha * a * p;
    noise *= a; then input * noise + b, a = 1 / sqrt((alpha^2 p + 1)(1 - p))."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        z = zeros((), dtype=input.dtype, device=input.device)
        return input.mul_(z) if inplace else input * z
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = (*input.shape[:2], *([1] * (input.dim() - 2)))
        keep = _random._bernoulli_mask(shape, 1.0 - p, _random._gen(None, input))
    else:
        keep = _keep_mask(input, p)
    noise = Tensor._make(array_module(input._data).asarray(keep).astype(input._data.dtype))
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    b = noise.add(-1).mul_(_SELU_ALPHA * a).add_(_SELU_ALPHA * a * p)
    noise.mul_(a)
    return (input.mul_(noise) if inplace else input * noise).add_(b)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    return _alpha_dropout(input, p, training, inplace, feature=False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    return _alpha_dropout(input, p, training, inplace, feature=True)


class NativeDropoutBackwardBackward0(Node):
    # native_dropout_backward: grad_output: native_dropout_double_backward(grad, mask, scale)
    #   = grad * mask * scale (mask: not differentiable)
    def apply(self, grad: Tensor) -> tuple:
        return native_dropout_backward(grad, self.mask, self.scale), None


def native_dropout_backward(grad_output: Tensor, mask: Tensor, scale: float) -> Tensor:
    """aten.native_dropout_backward: ``grad_output * mask * scale``, the gradient through a kept mask."""
    g = grad_output._data
    res = (g * mask._data.astype(g.dtype)) * g.dtype.type(scale)
    out = Tensor._make(res)
    if grad_recording(grad_output):
        node = NativeDropoutBackwardBackward0()
        node.mask, node.scale = mask, scale
        record(node, out, grad_output, mask)
    return out
