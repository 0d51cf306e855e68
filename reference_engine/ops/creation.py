"""Creation ops built on the core ops: logspace (linspace lives in ``reference_engine._creation``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._creation import _finish, _place, into_out, space_checks
from .._device import or_default
from ..tensor import Tensor
from . import pointwise as P
from .inplace import scalar_type_name


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


# --------------------------------------------------------------------------- strided empties
def _strided_zeros(size: tuple[int, ...], stride: tuple[int, ...], dtype: D.dtype, device: Any) -> Any:
    """Zeros laid out with ``stride`` in a storage just large enough (torch's empty_strided allocation; the
    engine zero-fills, as its ``empty`` does, so runs are reproducible)."""
    n = 0 if any(s == 0 for s in size) else 1 + sum((s - 1) * st for s, st in zip(size, stride, strict=True))
    buf = np.zeros(n, dtype=dtype.np)
    # (on a GPU device the copy is dense: the layout is a CPU detail there)
    return _place(np.lib.stride_tricks.as_strided(buf, size, tuple(st * buf.itemsize for st in stride)), device)


def empty_strided(
    size: Any,
    stride: Any,
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"dimensionality of sizes ({len(size)}) must match dimensionality of strides ({len(stride)})"
        )
    if any(s < 0 for s in size):
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {min(size)}: [{', '.join(map(str, size))}]"
        )
    arr = _strided_zeros(size, stride, dtype or D.get_default_dtype(), or_default(device))
    return _finish(arr, requires_grad)


def new_empty_strided(
    self: Tensor,
    size: Any,
    stride: Any,
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    return empty_strided(
        size, stride, dtype=dtype or self.dtype, device=device if device is not None else self.device,
        requires_grad=requires_grad,
    )  # fmt: skip


def empty_permuted(
    size: Any,
    physical_layout: Any,
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Zeros of ``size`` whose memory holds the dims in ``physical_layout``'s order (outermost first)."""
    size, order = tuple(int(s) for s in size), tuple(int(p) for p in physical_layout)
    dim = len(size)
    if dim != len(order):
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; i.e. len(size) = "
            f"{dim} is not equal to len(physical_layout) = {len(order)}"
        )
    seen: set[int] = set()
    for i, p in enumerate(order):
        if not 0 <= p < dim:
            raise RuntimeError(
                f"Dimension out of range (expected to be between 0 and {dim - 1}, but got {p} at index {i}).  NB: "
                "negative dims not currently supported; file an issue if you want it."
            )
        if p in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(p)
    inverse = [0] * dim
    for i, p in enumerate(order):
        inverse[p] = i
    dtype = dtype or D.get_default_dtype()
    phys = np.zeros(tuple(size[p] for p in order), dtype=dtype.np).transpose(inverse)
    return _finish(_place(phys, or_default(device)), requires_grad)


# --------------------------------------------------------------------------- tril_indices / triu_indices
def _tri_indices(name: str, row: int, col: int, offset: int, dtype: D.dtype | None, device: Any) -> Tensor:
    dtype = dtype or D.int64
    if dtype.is_floating_point or dtype.is_complex or dtype is D.bool_:
        raise NotImplementedError(f"\"{name}\" not implemented for '{scalar_type_name(dtype)}'")
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    rows, cols = (np.tril_indices if name == "tril_indices" else np.triu_indices)(row, offset, col)
    arr = np.stack([rows, cols]).astype(dtype.np).reshape(2, -1)
    return Tensor._make(_place(arr, or_default(device)))


def tril_indices(
    row: int, col: int, offset: int = 0, *, dtype: D.dtype | None = None, device: Any = None, layout: Any = None,
    pin_memory: bool = False,
) -> Tensor:  # fmt: skip
    return _tri_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(
    row: int, col: int, offset: int = 0, *, dtype: D.dtype | None = None, device: Any = None, layout: Any = None,
    pin_memory: bool = False,
) -> Tensor:  # fmt: skip
    return _tri_indices("triu_indices", row, col, offset, dtype, device)


# --------------------------------------------------------------------------- exports
__all__ = ["empty_permuted", "empty_strided", "logspace", "tril_indices", "triu_indices"]
METHODS: dict = {"new_empty_strided": new_empty_strided}
