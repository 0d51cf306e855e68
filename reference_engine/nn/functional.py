"""``nn.functional``: the stateless forms of the layers and losses.

The ops live in ``nn/_functional/``, one module per subject (activation, conv, pooling, normalization,
loss, dropout, padding, embedding, embedding_bag, ctc, linear_cross_entropy, vision, attention, rnn,
distance, linear, ...); this module only re-exports them under torch's names.
"""

from __future__ import annotations

# Besides __all__, dir(nn.functional) has always shown these helper names (and flatten, softmax_dim,
# max_pool2d_with_indices below); they stay so that the module's public names do not change.
from typing import Any  # noqa: F401

from .._backend import array_module  # noqa: F401
from ..ops import pointwise  # noqa: F401
from ..tensor import Tensor  # noqa: F401
from ._functional.activation import (
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    rrelu,
    selu,
    sigmoid,
    silu,
    softmax,
    softmax_dim,  # noqa: F401
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from ._functional.attention import (
    _canonical_mask,  # noqa: F401
    _none_or_dtype,  # noqa: F401
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from ._functional.conv import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d
from ._functional.ctc import ctc_loss
from ._functional.distance import cosine_similarity, pairwise_distance, pdist
from ._functional.dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from ._functional.embedding import embedding, one_hot
from ._functional.embedding_bag import embedding_bag
from ._functional.fold import fold, unfold
from ._functional.fractional_pool import (
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)
from ._functional.grid_sample import grid_sample
from ._functional.linear import bilinear, linear
from ._functional.linear_cross_entropy import linear_cross_entropy
from ._functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ._functional.margin_loss import (
    hinge_embedding_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)
from ._functional.normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalize,
    rms_norm,
)
from ._functional.padding import pad
from ._functional.pool3d import avg_pool3d, max_pool3d, max_pool3d_with_indices
from ._functional.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_pool2d_with_indices,
)
from ._functional.unpooling import max_unpool1d, max_unpool2d, max_unpool3d
from ._functional.vision import (
    channel_shuffle,
    flatten,  # noqa: F401
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample_bilinear,
    upsample_nearest,
)

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
    "multi_head_attention_forward",
    "hinge_embedding_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "soft_margin_loss", "triplet_margin_with_distance_loss", "upsample_bilinear", "upsample_nearest",
    "channel_shuffle", "local_response_norm", "pdist", "rms_norm",
    "alpha_dropout", "dropout3d", "feature_alpha_dropout",
    "adaptive_max_pool1d", "max_unpool1d", "max_unpool2d", "max_unpool3d", "fold", "unfold",
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "max_pool3d",
    "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices", "max_pool3d_with_indices",
    "embedding_bag", "ctc_loss", "linear_cross_entropy", "conv3d", "conv_transpose3d", "grid_sample",
]  # fmt: skip
