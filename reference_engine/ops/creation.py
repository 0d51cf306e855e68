"""Creation ops built on the core ops: logspace (linspace lives in ``reference_engine._creation``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._creation import _finish, _place, into_out, space_checks
from .._device import or_default
from ..tensor import Tensor
from . import pointwise as P


# --------------------------------------------------------------------------- logspace
def logspace(
    start: Any,
    end: Any,
    steps: int,
    base: float = 10.0,
    *,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    layout: Any = None,
    out: Any = None,
) -> Tensor:
    """base ** linspace(start, end), filled from both ends like torch's kernel (the first half from
    ``start``, the second half from ``end``); integer dtypes compute in float64 and truncate."""
    space_checks("logspace", start, end, steps)
    if out is not None:
        return into_out(logspace(start, end, steps, base, dtype=dtype or out.dtype, device=device), out)
    device = or_default(device)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or D.get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    calc = dtype.np if dtype.category >= 2 and dtype is not D.float16 else np.float64
    t = np.dtype(calc).type
    i = np.arange(steps, dtype=calc)
    with P._errstate(np):
        if steps == 1:
            expo = np.array([t(start)], dtype=calc)
        else:
            step = (t(end) - t(start)) / t(steps - 1)
            half = steps // 2
            expo = np.where(i < half, t(start) + step * i, t(end) - step * (t(steps - 1) - i))
        vals = np.power(t(base), expo.astype(calc)).astype(dtype.np)
    return _finish(_place(vals, device) if device is not None else vals, requires_grad)


# --------------------------------------------------------------------------- exports
__all__ = ["logspace"]
METHODS: dict = {}
