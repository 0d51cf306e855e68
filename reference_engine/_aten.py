"""The ``torch.ops.aten`` operators whose kernels live in ``nn`` (above the ops package, which holds the
namespace itself: ``reference_engine/ops/aten.py``): registered there by aten name, with their ``default``
overload (and ``vec`` where aten has that overload for the upsampling kernels).

The functions are public names of this module, so forward AD sees them as ops.
"""

from __future__ import annotations

from .nn._functional.antialias import upsample_bicubic2d_aa, upsample_bilinear2d_aa, upsample_lanczos2d_aa
from .nn._functional.grid_sample import grid_sampler_2d, grid_sampler_3d
from .nn._functional.pooling import max_pool2d_with_indices_backward
from .ops import aten

__all__ = [
    "grid_sampler_2d",
    "grid_sampler_3d",
    "max_pool2d_with_indices_backward",
    "upsample_bicubic2d_aa",
    "upsample_bilinear2d_aa",
    "upsample_lanczos2d_aa",
]

aten.register("max_pool2d_with_indices_backward", {"default": max_pool2d_with_indices_backward})
aten.register("grid_sampler_2d", {"default": grid_sampler_2d})
aten.register("grid_sampler_3d", {"default": grid_sampler_3d})
for _name, _fn in (("_upsample_bilinear2d_aa", upsample_bilinear2d_aa),
                   ("_upsample_bicubic2d_aa", upsample_bicubic2d_aa),
                   ("_upsample_lanczos2d_aa", upsample_lanczos2d_aa)):  # fmt: skip
    aten.register(_name, {"default": _fn, "vec": _fn})
