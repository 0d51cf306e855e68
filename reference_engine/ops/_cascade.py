"""torch's CPU summation order for a float32/float64 reduction to one value, on NumPy arrays.

torch 2.13 sums a contiguous run of floats (``cascade_sum`` in its CPU SumKernel) in AVX2 vectors
of 8 floats (4 doubles), four vectors side by side, each lane accumulated in a four-level cascade:
level 0 adds ``2**p`` rows in order, then passes its sum up to level 1, which passes up every
``2**p`` level-0 sums, and so on, with ``p = max(4, ceil(log2(rows)) // 4)``. The leftover vectors,
the four columns, the scalar tail and the vector lanes are then added in a fixed order. NumPy's
pairwise sum rounds differently, and a float32 sum of a few thousand terms can differ in its last
bits; long float32 training runs amplify that (an RMSprop fit near its minimum).

The order was read in torch's source and confirmed by experiment: bit-identical for every size
up to 70,000 with one thread (``tests/test_cascade_sum.py``). Above ``GRAIN`` elements torch
splits the reduction between its threads, which depends on the machine, so callers use NumPy's
sum there.
"""

from __future__ import annotations

import functools
import math

import numpy as np

GRAIN = 32768  # at::internal::GRAIN_SIZE: smaller reductions always run on one thread
_LEVELS = 4
_ILP = 4  # vectors summed side by side


def _seq(rows: np.ndarray) -> np.ndarray:
    """Sum along axis -2 strictly in order (NumPy reduces a non-inner axis row by row).

    torch's accumulators start from +0; starting from the first row instead differs only in the sign
    of a zero, which no later nonzero term can see, and ``cascade_sum`` turns a final -0 into +0.
    """
    if rows.shape[-2]:
        return np.add.reduce(rows, axis=-2)
    return np.zeros(rows.shape[:-2] + rows.shape[-1:], rows.dtype)


def _multi_row_sum(rows: np.ndarray) -> np.ndarray:
    """torch's multi_row_sum over axis 0 of ``rows`` (shape (size, k)): the four-level cascade per column."""
    size, k = rows.shape
    power = max(4, (math.ceil(math.log2(size)) if size > 1 else 0) // _LEVELS)
    step = 1 << power
    blocks = size // step
    out = _seq(rows[blocks * step :])  # rows after the last complete block stay in level 0
    if not blocks:  # the higher levels stay at +0, and adding +0 to a sum changes nothing but a zero's sign
        return out
    level = _seq(rows[: blocks * step].reshape(blocks, step, k))  # each complete block of rows, in order
    partials = []  # what levels 1 and 2 hold at the end, since their last flush upward
    for _ in range(_LEVELS - 2):
        groups = level.shape[0] // step
        if not groups:  # nothing ever flushed past this level: it holds all of ``level``
            break
        partials.append(_seq(level[groups * step :]))
        level = _seq(level[: groups * step].reshape(groups, step, k))
    for partial in partials:
        out = out + partial
    return out + _seq(level)


def _row_sum(x: np.ndarray) -> np.ndarray:
    """torch's row_sum: ``_ILP`` interleaved columns (of scalars, or of vectors), the leftovers, then the columns."""
    n = x.shape[0]
    rows = n // _ILP
    width = x.shape[1] if x.ndim == 2 else 1
    if rows:
        cols = _multi_row_sum(x[: rows * _ILP].reshape(rows, _ILP * width)).reshape(_ILP, width)
    else:
        cols = np.zeros((_ILP, width), x.dtype)
    if width > 1:
        # column 0, the leftover rows, then columns 1 to 3: one running sum per lane, in that order (with
        # lanes side by side NumPy reduces row by row; a single lane would be summed pairwise)
        return _seq(np.concatenate((cols[:1], x[rows * _ILP :].reshape(-1, width), cols[1:])))
    acc = cols[0]
    for row in x[rows * _ILP :]:
        acc = acc + row
    return acc + cols[1] + cols[2] + cols[3]


@functools.lru_cache(maxsize=1024)
def _plan(n: int, itemsize: int) -> tuple[int, int, int, int, int, int, int] | None:
    """The cut points of ``cascade_sum`` for ``n`` elements where only level 0 ever flushes upward (fewer than
    ``step`` complete blocks: up to 8,191 float32 or 4,095 float64 elements), else None."""
    lanes = 32 // itemsize
    nvec = n // lanes
    rows = nvec // _ILP
    if rows == 0:
        return None
    power = max(4, (math.ceil(math.log2(rows)) if rows > 1 else 0) // _LEVELS)
    step = 1 << power
    blocks = rows // step
    if blocks >= step:
        return None
    return rows * _ILP * lanes, _ILP * lanes, blocks * step, blocks, step, lanes, nvec * lanes


def _planned_sum(flat: np.ndarray, plan: tuple[int, int, int, int, int, int, int]) -> np.ndarray:
    """``cascade_sum`` for a size with a plan: the same additions as ``_row_sum`` and ``_multi_row_sum``, in
    the same order, with the cut points computed once per size (the seed's loss and bias grad, every step)."""
    end, width, cut, blocks, step, lanes, vend = plan
    zero = flat.dtype.type(0)
    body = flat[:end].reshape(-1, width)  # the four interleaved columns of vectors, side by side
    if blocks:
        level = np.add.reduce(body[:cut].reshape(blocks, step, width), axis=1)  # level 0's flushes
        upper = np.add.reduce(level, axis=0)  # level 1, never flushed
        cols = np.add.reduce(body[cut:], axis=0) + upper if cut < body.shape[0] else upper + zero
    else:
        cols = np.add.reduce(body, axis=0)
    cols = cols.reshape(_ILP, lanes)
    acc = np.add.reduce(np.concatenate((cols[:1], flat[end:vend].reshape(-1, lanes), cols[1:])), axis=0)
    return np.add.accumulate(np.concatenate((flat[vend:], acc)))[-1] + zero


def cascade_sum(flat: np.ndarray) -> np.ndarray:
    """The sum of a 1-d contiguous float32/float64 array, rounded as torch's CPU kernel rounds it (0-d)."""
    dt = flat.dtype
    lanes = 32 // dt.itemsize  # one AVX2 register
    n = flat.size
    if n < lanes:
        # Shorter than one vector: torch's scalar loop, four interleaved sums. With under eight
        # elements that is x0 + x4 + x5 + x6, then x1, x2, x3: one running sum in that order.
        order = flat if n < _ILP else np.concatenate((flat[:1], flat[_ILP:], flat[1:_ILP]))
        return np.add.accumulate(order)[-1] + dt.type(0)  # torch's sums start from +0: never -0
    plan = _plan(n, dt.itemsize)
    if plan is not None:
        return _planned_sum(flat, plan)
    nvec = n // lanes
    vecs = flat[: nvec * lanes].reshape(nvec, lanes)
    if nvec < _ILP:  # fewer vectors than the four columns: each lane is one running sum
        acc = vecs[0] if nvec == 1 else vecs[0] + vecs[1]
        if nvec == 3:
            acc = acc + vecs[2]
    else:
        acc = _row_sum(vecs)
    # the scalar tail first, then the vector's lanes, as one running sum
    return np.add.accumulate(np.concatenate((flat[nvec * lanes :], acc)))[-1] + dt.type(0)


def applies(arr: np.ndarray) -> bool:
    """Whether ``cascade_sum`` gives torch's bits for reducing all of ``arr``: a small, contiguous float array."""
    return (
        type(arr) is np.ndarray
        and arr.dtype.kind == "f"
        and arr.dtype.itemsize in (4, 8)
        and 0 < arr.size <= GRAIN
        and arr.flags.c_contiguous
    )
