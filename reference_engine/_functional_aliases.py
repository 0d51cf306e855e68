"""torch's top-level spellings of ``nn.functional`` ops (``torch.selu``, ``torch.conv1d``, ``torch.layer_norm`` ...).

Only the ones whose positional arguments are the functional form's: torch's top-level ``kl_div``,
``embedding``, ``instance_norm`` and the losses take a different argument order or an integer
reduction, and are left out rather than given the wrong meaning.
"""

from __future__ import annotations

from typing import Any

from .nn import functional as F
from .nn._functional.grid_sample import grid_sampler, grid_sampler_2d, grid_sampler_3d  # the ops F.grid_sample runs
from .nn._functional.padding import constant_pad_nd  # torch.constant_pad_nd: the op F.pad's constant mode runs
from .tensor import Tensor

selu = F.selu
celu = F.celu
prelu = F.prelu
rrelu = F.rrelu
hardshrink = F.hardshrink
threshold = F.threshold
pixel_shuffle = F.pixel_shuffle
pixel_unshuffle = F.pixel_unshuffle
conv1d = F.conv1d
conv_transpose1d = F.conv_transpose1d
conv_transpose2d = F.conv_transpose2d
conv3d = F.conv3d
conv_transpose3d = F.conv_transpose3d
bilinear = F.bilinear
pairwise_distance = F.pairwise_distance
cosine_similarity = F.cosine_similarity
layer_norm = F.layer_norm
group_norm = F.group_norm
avg_pool1d = F.avg_pool1d
max_pool1d = F.max_pool1d
adaptive_avg_pool1d = F.adaptive_avg_pool1d


def selu_(input: Tensor) -> Tensor:
    return F.selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return F.celu(input, alpha, inplace=True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, **_: Any) -> Tensor:
    return F.rrelu(input, lower, upper, training, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return F.threshold(input, threshold, value, inplace=True)


__all__ = [
    "adaptive_avg_pool1d", "avg_pool1d", "bilinear", "celu", "celu_", "conv1d", "conv_transpose1d", "conv_transpose2d",
    "cosine_similarity", "group_norm", "hardshrink", "layer_norm", "max_pool1d", "pairwise_distance", "pixel_shuffle",
    "pixel_unshuffle", "prelu", "rrelu", "rrelu_", "selu", "selu_", "threshold", "threshold_",
]  # fmt: skip
__all__ += ["constant_pad_nd", "conv3d", "conv_transpose3d", "grid_sampler", "grid_sampler_2d", "grid_sampler_3d"]
