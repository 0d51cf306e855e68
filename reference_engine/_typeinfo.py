"""``torch.finfo`` and ``torch.iinfo``: the numeric limits of a dtype, printed as torch prints them."""

from __future__ import annotations

import ml_dtypes
import numpy as np

from . import _dtype as D


def _check_dtype(type: object, who: str) -> D.dtype:
    if not isinstance(type, D.dtype):
        raise TypeError(f"{who}(): argument 'type' (position 1) must be torch.dtype, not {type.__class__.__name__}")
    return type


class _Info:
    """What finfo and iinfo share: equal, and hashing alike, when they describe the same dtype."""

    dtype: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.dtype))


class finfo(_Info):  # noqa: N801 - mirrors torch.finfo
    """Limits of a floating point dtype (complex dtypes report their real part's), as ``torch.finfo``."""

    def __init__(self, type: D.dtype | None = None) -> None:
        dt = D.get_default_dtype() if type is None else _check_dtype(type, "finfo")
        if not (dt.is_floating_point or dt.is_complex):
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"
            )
        real = dt.to_real()
        # bfloat16: ml_dtypes' own finfo (NumPy's refuses its dtype in ml_dtypes releases before 0.6)
        info = ml_dtypes.finfo(real.np) if real.name == "bfloat16" else np.finfo(real.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -int(
            info.precision
        )  # torch: 10**-digits (NumPy keeps it in the dtype, 0.0010004 for half)
        self.dtype = real.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo(_Info):  # noqa: N801 - mirrors torch.iinfo
    """Limits of an integer dtype, as ``torch.iinfo``."""

    def __init__(self, type: D.dtype) -> None:
        dt = _check_dtype(type, "iinfo")
        if dt is D.bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dt.category != D._INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        info = np.iinfo(dt.np)
        self.bits = int(info.bits)
        self.min = int(info.min)
        self.max = int(info.max)
        self.dtype = dt.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
