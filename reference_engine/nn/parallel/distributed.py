"""torch.nn.parallel.DistributedDataParallel: needs a process group, which the engine cannot make."""

from __future__ import annotations

from typing import Any

from ...distributed import unavailable
from ..module import Module


class DistributedDataParallel(Module):
    """Refused on construction: torch.distributed is not available in the engine."""

    def __init__(self, module: Module, *args: Any, **kwargs: Any) -> None:
        raise unavailable("torch.nn.parallel.DistributedDataParallel")
