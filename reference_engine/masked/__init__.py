"""torch.masked: reductions and normalizations that ignore the masked-out elements of a strided tensor
(implemented in ``_ops.py``, which ``torch.masked._ops`` also names). MaskedTensor is not provided."""

from __future__ import annotations

from . import _ops
from ._ops import *  # noqa: F403 (torch.masked's names are the ones _ops.py exports)

__all__ = _ops.__all__
