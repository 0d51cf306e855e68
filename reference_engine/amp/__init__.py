"""torch.amp: ``GradScaler`` (gradient scaling, as torch on the CPU and the engine's GPU) and ``autocast``
(the regions torch runs unchanged; the others refused with NotImplementedError: ``autocast_mode``)."""

from __future__ import annotations

from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "is_autocast_available"]
