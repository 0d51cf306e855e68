"""torch.cuda.amp: the deprecated CUDA spellings of ``torch.amp.GradScaler('cuda')`` and ``torch.amp.autocast('cuda')``,
with torch's FutureWarning."""

from __future__ import annotations

import warnings
from typing import Any

from .. import _dtype as D
from ..amp import autocast_mode, grad_scaler

__all__ = ["GradScaler", "autocast"]


class GradScaler(grad_scaler.GradScaler):
    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        warnings.warn(
            "`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use `torch.amp.GradScaler('cuda', args...)` "
            "instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


class autocast(autocast_mode.autocast):  # noqa: N801 - torch's name
    def __init__(self, enabled: bool = True, dtype: Any = D.float16, cache_enabled: bool = True) -> None:
        warnings.warn(
            "`torch.cuda.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast('cuda', args...)` "
            "instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)
