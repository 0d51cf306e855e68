"""Elementwise kernels run block by block over large contiguous arrays.

A kernel of a few dozen NumPy passes over a 1M-element array spends most of its time on memory: every pass
writes a fresh multi-megabyte temporary and reads the previous one back from RAM. Over blocks of ``BLOCK``
elements the temporaries stay in cache and the allocator reuses them. Each element's value depends only on its
own inputs, so the result is the same, element for element.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

BLOCK = 1 << 15  # elements: a float64 block's temporaries fit in L2


def blockwise(kernel: Callable[..., Any], x: Any, *others: Any) -> Any:
    """``kernel(x, *others)`` for elementwise kernels, computed block by block where ``x`` is a large
    C-contiguous NumPy array and every other operand is 0-d or a C-contiguous array of ``x``'s shape; the
    kernel called once on the whole arrays otherwise. The result has ``x``'s shape and the kernel's dtype."""
    if not (
        type(x) is np.ndarray
        and x.size > 2 * BLOCK
        and x.flags.c_contiguous
        and all(
            type(o) is np.ndarray and (o.ndim == 0 or (o.shape == x.shape and o.flags.c_contiguous)) for o in others
        )
    ):
        return kernel(x, *others)
    flat_x = x.reshape(-1)
    flat_others = [o.reshape(-1) if o.ndim else o for o in others]

    def block(i: int) -> Any:
        return kernel(flat_x[i : i + BLOCK], *(o[i : i + BLOCK] if o.ndim else o for o in flat_others))

    first = block(0)
    out = np.empty(x.size, dtype=first.dtype)
    out[:BLOCK] = first
    for i in range(BLOCK, x.size, BLOCK):
        out[i : i + BLOCK] = block(i)
    return out.reshape(x.shape)
