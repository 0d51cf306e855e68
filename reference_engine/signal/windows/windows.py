"""torch.signal.windows' window functions.

torch writes these in Python on top of its own ops (torch/signal/windows/windows.py); this is the same sequence of
engine ops (linspace, then exp / sin / cos / i0 ...), so values, the float32 rounding, and the autograd graph of a
``requires_grad=True`` window follow torch's.
"""

# ruff: noqa: N803 - the window length is torch's keyword argument ``M``

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ... import _creation as C
from ... import _dtype as D
from ..._layout import strided
from ...ops import pointwise as P
from ...ops import reduction as R
from ...ops import special as S
from ...tensor import Tensor

_FLOAT_DTYPES = (D.float32, D.float64)


def _window_function_checks(function_name: str, M: int, dtype: D.dtype, layout: Any) -> None:
    """torch's argument checks, with its messages."""
    if M < 0:
        raise ValueError(f"{function_name} requires non-negative window length, got M={M}")
    if layout is not strided:
        raise ValueError(f"{function_name} is implemented for strided tensors only, got: {layout}")
    if dtype not in _FLOAT_DTYPES:
        raise ValueError(f"{function_name} expects float32 or float64 dtypes, got: {dtype}")


def _empty(dtype: D.dtype, device: Any, requires_grad: bool) -> Tensor:
    return C.empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)


def _ones(dtype: D.dtype, device: Any, requires_grad: bool) -> Tensor:
    return C.ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)


def exponential(
    M: int,
    *,
    center: float | None = None,
    tau: float = 1.0,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """exp(-|n - center| / tau)."""
    dtype = dtype or D.get_default_dtype()
    _window_function_checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _empty(dtype, device, requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / tau
    k = C.linspace(
        -center * constant, (-center + (M - 1)) * constant, M, dtype=dtype, device=device, requires_grad=requires_grad
    )
    return P.exp(-P.abs(k))


def cosine(
    M: int,
    *,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """sin(pi * (n + 0.5) / M)."""
    dtype = dtype or D.get_default_dtype()
    _window_function_checks("cosine", M, dtype, layout)
    if M == 0:
        return _empty(dtype, device, requires_grad)
    start = 0.5
    constant = math.pi / (M + 1 if not sym and M > 1 else M)
    k = C.linspace(
        start * constant, (start + (M - 1)) * constant, M, dtype=dtype, device=device, requires_grad=requires_grad
    )
    return P.sin(k)


def gaussian(
    M: int,
    *,
    std: float = 1.0,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """exp(-(n - center)^2 / (2 std^2))."""
    dtype = dtype or D.get_default_dtype()
    _window_function_checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _empty(dtype, device, requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / (std * math.sqrt(2))
    k = C.linspace(
        start * constant, (start + (M - 1)) * constant, M, dtype=dtype, device=device, requires_grad=requires_grad
    )
    return P.exp(-(k**2))


def kaiser(
    M: int,
    *,
    beta: float = 12.0,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """I0(beta * sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta)."""
    dtype = dtype or D.get_default_dtype()
    _window_function_checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M == 0:
        return _empty(dtype, device, requires_grad)
    if M == 1:
        return _ones(dtype, device, requires_grad)
    # torch casts beta to a tensor of the window's dtype (to avoid NaNs) and computes the endpoints with it
    b = C.tensor(beta, dtype=dtype, device=device)
    start = -b
    constant = 2.0 * b / (M if not sym else M - 1)
    end = P.minimum(b, start + (M - 1) * constant)
    k = C.linspace(start, end, M, dtype=dtype, device=device, requires_grad=requires_grad)
    return S.i0(P.sqrt(b * b - P.pow(k, 2))) / S.i0(b)


def hamming(
    M: int,
    *,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """general_hamming with alpha = 0.54."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(
    M: int,
    *,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """general_hamming with alpha = 0.5."""
    return general_hamming(
        M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad
    )


def blackman(
    M: int,
    *,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """general_cosine with a = [0.42, 0.5, 0.08]."""
    dtype = dtype or D.get_default_dtype()
    _window_function_checks("blackman", M, dtype, layout)
    return general_cosine(
        M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad
    )


def bartlett(
    M: int,
    *,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The triangular window 1 - |2n / (M - 1) - 1|."""
    dtype = dtype or D.get_default_dtype()
    _window_function_checks("bartlett", M, dtype, layout)
    if M == 0:
        return _empty(dtype, device, requires_grad)
    if M == 1:
        return _ones(dtype, device, requires_grad)
    start = -1
    constant = 2 / (M if not sym else M - 1)
    k = C.linspace(start, start + (M - 1) * constant, M, dtype=dtype, device=device, requires_grad=requires_grad)
    return 1 - P.abs(k)


def general_cosine(
    M: int,
    *,
    a: Iterable,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """sum_i (-1)^i a_i cos(2 pi i n / (M - 1))."""
    dtype = dtype or D.get_default_dtype()
    _window_function_checks("general_cosine", M, dtype, layout)
    if M == 0:
        return _empty(dtype, device, requires_grad)
    if M == 1:
        return _ones(dtype, device, requires_grad)
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    constant = 2 * math.pi / (M if not sym else M - 1)
    k = C.linspace(0, (M - 1) * constant, M, dtype=dtype, device=device, requires_grad=requires_grad)
    a_i = C.tensor([(-1) ** i * w for i, w in enumerate(a)], device=device, dtype=dtype, requires_grad=requires_grad)
    i = C.arange(a_i.shape[0], dtype=a_i.dtype, device=a_i.device, requires_grad=a_i.requires_grad)
    return R.sum(a_i.unsqueeze(-1) * P.cos(i.unsqueeze(-1) * k), 0)


def general_hamming(
    M: int,
    *,
    alpha: float = 0.54,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """general_cosine with a = [alpha, 1 - alpha]."""
    return general_cosine(
        M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad
    )


def nuttall(
    M: int,
    *,
    sym: bool = True,
    dtype: D.dtype | None = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The minimum 4-term Blackman-Harris window (general_cosine with Nuttall's coefficients)."""
    return general_cosine(
        M,
        a=[0.3635819, 0.4891775, 0.1365995, 0.0106411],
        sym=sym,
        dtype=dtype,
        layout=layout,
        device=device,
        requires_grad=requires_grad,
    )


__all__ = [
    "bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming", "hamming",
    "hann", "kaiser", "nuttall",
]  # fmt: skip
