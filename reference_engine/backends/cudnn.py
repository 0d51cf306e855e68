"""torch.backends.cudnn: the engine calls no cuDNN, so it answers as a torch without cuDNN does.

``is_available()`` is False and ``version()`` None, on the CPU and on the engine's GPU alike (its GPU
kernels are CuPy's, never cuDNN's). ``enabled``, ``benchmark``, ``deterministic`` and ``allow_tf32`` are
settable bools with torch's defaults and errors (``flags()`` sets them for a block); they change nothing the
engine computes: it never uses TF32 and has no algorithm search to benchmark.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .. import _dtype as D
from ._flags import BoolFlag, flag_module

__all__ = ["flags", "is_acceptable", "is_available", "set_flags", "version"]


def version() -> int | None:
    return None


def is_available() -> bool:
    return False


def is_acceptable(tensor: Any) -> bool:
    """Whether cuDNN could take ``tensor``: never, as in torch without cuDNN (which warns for a GPU float tensor)."""
    if not _this.enabled:
        return False
    if tensor.device.type != "cuda" or tensor.dtype not in (D.float16, D.float32, D.float64):
        return False
    warnings.warn(
        "PyTorch was compiled without cuDNN/MIOpen support. To use cuDNN/MIOpen, rebuild "
        "PyTorch making sure the library is visible to the build system.",
        stacklevel=2,
    )
    return False


def set_flags(
    _enabled: bool | None = None,
    _benchmark: bool | None = None,
    _benchmark_limit: int | None = None,
    _deterministic: bool | None = None,
    _allow_tf32: bool | None = None,
    _fp32_precision: Any = "none",
    _depthwise_kernel: Any = None,
) -> tuple:
    """Set the flags that are not None; return the previous ones (``benchmark_limit`` is None without cuDNN)."""
    orig = (_this.enabled, _this.benchmark, None, _this.deterministic, _this.allow_tf32, "none", None)
    for name, value in (
        ("enabled", _enabled), ("benchmark", _benchmark), ("deterministic", _deterministic), ("allow_tf32", _allow_tf32)
    ):  # fmt: skip
        if value is not None:
            setattr(_this, name, value)  # through the flag, which checks the value
    return orig


@contextmanager
def flags(
    enabled: bool = False,
    benchmark: bool = False,
    benchmark_limit: int = 10,
    deterministic: bool = False,
    allow_tf32: bool = True,
    fp32_precision: Any = "none",
    depthwise_kernel: Any = "auto",
) -> Iterator[None]:
    """torch.backends.cudnn.flags: these values inside the block (torch's defaults: cuDNN off), the old ones after."""
    orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32, fp32_precision, depthwise_kernel)
    try:
        yield
    finally:
        set_flags(*orig)


# the TF32 flag's setter is torch's _set_cudnn_allow_tf32, whose error names set_allow_tf32_cublas
enabled: bool
benchmark: bool
deterministic: bool
allow_tf32: bool
benchmark_limit: int | None = None
_this = sys.modules[__name__]
flag_module(
    __name__,
    {
        "enabled": BoolFlag(True, "set_enabled_cudnn"),
        "benchmark": BoolFlag(False, "set_benchmark_cudnn"),
        "deterministic": BoolFlag(False, "set_deterministic_cudnn"),
        "allow_tf32": BoolFlag(True, "set_allow_tf32_cublas"),
    },
)
