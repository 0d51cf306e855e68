"""torch.nn.parallel: ``DataParallel`` (one device: the engine's CPU, or its one GPU) and
``DistributedDataParallel`` (refused: there is no torch.distributed)."""

from __future__ import annotations

from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
