"""Branches of elementwise kernels on NumPy arrays: the C++ kernels' per-element if/else, done with index arrays.

NumPy's boolean-mask indexing (``x[mask]``, ``out[mask] = v``) branches per element: on a data-dependent mask
(half the elements one way, at random) it runs many times slower than an arithmetic pass over the same array.
``np.flatnonzero`` and integer gathers and scatters do not, so the indices are found once and values move with
them. The values are those of the masked form, element for element.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def piecewise(x: Any, cond: Any, if_true: Callable[[Any], Any], if_false: Callable[[Any], Any]) -> Any:
    """``if_true`` on the elements of ``x`` where ``cond`` holds, ``if_false`` on the rest, each evaluated only on
    its own elements; the result has ``x``'s shape and dtype."""
    flat_x = x.ravel()
    flat_cond = cond.ravel()
    out = np.empty(x.size, dtype=x.dtype)
    yes = np.flatnonzero(flat_cond)
    no = np.flatnonzero(~flat_cond)
    out[yes] = if_true(flat_x[yes])
    out[no] = if_false(flat_x[no])
    return out.reshape(x.shape)


def assign(out: Any, cond: Any, value: Any) -> None:
    """``np.copyto(out, value, where=cond)`` for a contiguous ``out``, in place; ``value`` is a scalar or an array
    of ``out``'s shape."""
    idx = np.flatnonzero(cond)
    if not idx.size:
        return
    flat = out.reshape(-1)  # a view: out is contiguous
    flat[idx] = value if np.ndim(value) == 0 else np.asarray(value).reshape(-1)[idx]


def select(cond: Any, a: Any, b: Any) -> Any:
    """``np.where(cond, a, b)``: the same dtype, shape and values, through index arrays where ``a`` and ``b`` are
    scalars or arrays of ``cond``'s shape (np.where itself otherwise)."""
    shape = np.shape(cond)
    if not shape or np.shape(a) not in ((), shape) or np.shape(b) not in ((), shape):
        return np.where(cond, a, b)
    out = np.empty(shape, dtype=np.result_type(a, b))
    out[...] = b
    idx = np.flatnonzero(cond)
    if idx.size:
        out.reshape(-1)[idx] = a if np.ndim(a) == 0 else np.asarray(a).reshape(-1)[idx]
    return out
