"""``nn.functional``: the stateless forms of the layers and losses."""

from __future__ import annotations

from typing import Any

from .. import random as _random
from .._backend import array_module
from ..ops import pointwise
from ..ops.batchnorm import batch_norm as _batch_norm
from ..ops.conv import conv2d
from ..ops.loss import binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss
from ..ops.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ..tensor import Tensor
from ._activation import (
    elu,
    gelu,
    glu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    relu6,
    silu,
    softplus,
    softsign,
    tanhshrink,
    threshold,
)
from ._activation2 import celu, hardshrink, rrelu, selu, softshrink
from ._attention import scaled_dot_product_attention
from ._conv_more import conv1d, conv_transpose1d, conv_transpose2d
from ._loss import binary_cross_entropy, huber_loss, kl_div, smooth_l1_loss
from ._loss2 import (
    bilinear,
    cosine_embedding_loss,
    gaussian_nll_loss,
    margin_ranking_loss,
    pairwise_distance,
    poisson_nll_loss,
    triplet_margin_loss,
)
from ._normalization import cosine_similarity, group_norm, layer_norm, normalize
from ._ops import linear, softmax_dim
from ._ops import log_softmax as _log_softmax
from ._ops import softmax as _softmax
from ._padding import pad
from ._pooling1d import adaptive_avg_pool1d, avg_pool1d, dropout1d, max_pool1d
from ._sparse import embedding, one_hot
from ._vision import (
    adaptive_max_pool2d,
    dropout2d,
    instance_norm,
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    prelu,
)


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu_() if inplace else pointwise.relu(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return pointwise.tanh(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return pointwise.sigmoid(input)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        dim = softmax_dim("softmax", input.ndim, _stacklevel)
    return _softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        dim = softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        dim = softmax_dim("softmin", input.ndim, _stacklevel)
    return _softmax(-input, dim, dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    arr = input._data
    if p == 1.0:
        noise = arr * 0  # torch draws nothing when everything is dropped
    else:
        # torch's recipe: bernoulli_(1 - p) from the default generator, then / (1 - p) in the tensor's dtype
        keep = _random._bernoulli_mask(arr.shape, 1.0 - p, _random._gen(None, input))
        noise = array_module(arr).asarray(keep).astype(arr.dtype) / arr.dtype.type(1.0 - p)
    mask = Tensor._make(noise)
    return input.mul_(mask) if inplace else input * mask


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    if training:
        size = input.shape
        per_channel = 1
        for i, s in enumerate(size):
            if i != 1:
                per_channel *= s
        if per_channel == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def max_pool2d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    return input.flatten(start_dim, end_dim)


__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "max_pool2d", "max_pool2d_with_indices",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "l1_loss", "linear", "log_softmax",
    "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "tanh",
    "cosine_similarity", "elu", "gelu", "glu", "group_norm", "hardsigmoid", "hardswish", "hardtanh", "layer_norm",
    "leaky_relu", "logsigmoid", "mish", "normalize", "relu6", "silu", "softmin", "softplus", "softsign",
    "tanhshrink", "threshold", "binary_cross_entropy", "embedding", "huber_loss", "kl_div", "one_hot", "pad",
    "smooth_l1_loss",
    "conv1d", "conv_transpose1d", "conv_transpose2d", "scaled_dot_product_attention",
    "adaptive_max_pool2d", "dropout2d", "instance_norm", "interpolate", "pixel_shuffle", "pixel_unshuffle", "prelu",
    "celu", "hardshrink", "rrelu", "selu", "softshrink",
    "adaptive_avg_pool1d", "avg_pool1d", "dropout1d", "max_pool1d",
    "bilinear", "cosine_embedding_loss", "gaussian_nll_loss", "margin_ranking_loss", "pairwise_distance",
    "poisson_nll_loss", "triplet_margin_loss",
]  # fmt: skip
