"""torch.autocast / torch.amp.autocast and the autocast state functions (``torch.is_autocast_enabled`` ...).

On the CPU, an enabled autocast (bfloat16, torch's default, or float16) applies torch's per-op casting
policy: ``ops/_autocast.py`` holds the dtype the ops on torch's lists read, and their casts. The regions
torch runs as plain code run unchanged: ``enabled=False``, a dtype torch's CPU autocast turns itself off
for (float32, float64 ...: its warning, then nothing changes), ``device_type='cuda'`` without a GPU
(torch's warning, then nothing), and device types the engine has no tensors on (``'mps'``, ``'xpu'`` ...:
the flag is set, no op sees it). The engine's GPU has no casting policy: entering an enabled CUDA
autocast with a GPU raises ``NotImplementedError`` rather than computing in the wrong dtype.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from .. import _dtype as D
from .._backend import cupy_module
from ..ops import _autocast

__all__ = [
    "autocast", "get_autocast_dtype", "is_autocast_available", "is_autocast_cache_enabled", "is_autocast_enabled",
    "set_autocast_cache_enabled", "set_autocast_dtype", "set_autocast_enabled",
]  # fmt: skip

# the device types torch.device parses, in the order its error lists them
_DEVICE_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
    "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)  # fmt: skip


BFLOAT16 = D.bfloat16

# torch's default autocast dtype per device type (the types autocast is available for)
_DEFAULT_DTYPES: dict[str, Any] = {
    "cpu": BFLOAT16, "cuda": D.float16, "ipu": D.float16, "xpu": D.float16, "hip": D.float16, "maia": BFLOAT16,
    "xla": BFLOAT16, "mps": D.float16, "hpu": BFLOAT16, "mtia": D.float16, "privateuseone": D.float16,
}  # fmt: skip
_NOT_AVAILABLE = {"hip"}  # has a dtype slot, but torch.amp.is_autocast_available('hip') is False

_enabled: dict[str, bool] = dict.fromkeys(_DEFAULT_DTYPES, False)
_dtypes: dict[str, Any] = dict(_DEFAULT_DTYPES)
_cache_enabled = _autocast.CACHE_ENABLED  # one flag: the casts' cache reads it
_nesting = [0]  # autocast regions entered: leaving the outermost clears the cast cache, as torch


def _sync_cpu() -> None:
    """What the CPU ops see: the autocast dtype while CPU autocast is on, else None."""
    dtype = _dtypes["cpu"]
    on = _enabled["cpu"] and dtype in (D.bfloat16, D.float16)
    _autocast.LOWER[0] = dtype if on else None


def _device_type(device_type: str) -> str:
    """'cuda:0' -> 'cuda'; torch's error for a string that is no device type."""
    kind = device_type.split(":", 1)[0]
    if kind not in _DEVICE_TYPES:
        raise RuntimeError(
            "Expected one of " + ", ".join(_DEVICE_TYPES) + f" device type at start of device string: {device_type}"
        )
    return kind


def _slot(device_type: Any, fn: str) -> str:
    """The device type whose autocast state ``fn`` reads or sets; torch's errors for others (they differ by fn)."""
    if not isinstance(device_type, str):
        raise TypeError(f"{fn}(): argument 'device_type' (position 1) must be str, not {type(device_type).__name__}")
    kind = _device_type(device_type)
    if kind not in _DEFAULT_DTYPES:
        if fn == "get_autocast_dtype":
            raise RuntimeError("unsupported scalarType")
        raise RuntimeError("unknown device type for autocast in get_autocast_dispatch_key_from_device_type")
    return kind


def is_autocast_available(device_type: str) -> bool:
    kind = _device_type(device_type)
    return kind in _DEFAULT_DTYPES and kind not in _NOT_AVAILABLE


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for ``device_type`` (no argument: CUDA's, as torch's legacy form)."""
    return _enabled[_slot(device_type, "is_autocast_enabled")]


def _computes_there(kind: str) -> bool:
    """Whether the engine has tensors on this device type, so that an enabled autocast would change its ops."""
    return kind == "cuda" and cupy_module() is not None  # the CPU has torch's policy: ops/_autocast.py


def _not_implemented(kind: str, dtype: Any) -> NotImplementedError:
    return NotImplementedError(
        f"autocast on the GPU with {dtype!r} is not implemented by reference_engine: it has no per-op "
        "autocast casting policy there. autocast(enabled=False), and the CPU's autocast, run as in torch."
    )


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    if not isinstance(enabled, bool):
        raise TypeError(
            f"set_autocast_enabled(): argument 'enabled' (position 2) must be bool, not {type(enabled).__name__}"
        )
    kind = _slot(device_type, "set_autocast_enabled")
    if enabled and _computes_there(kind):
        raise _not_implemented(kind, _dtypes[kind])
    _enabled[kind] = enabled
    _sync_cpu()


def get_autocast_dtype(device_type: str) -> D.dtype:
    """The dtype autocast uses on ``device_type`` (bfloat16 on the CPU unless set)."""
    return _dtypes[_slot(device_type, "get_autocast_dtype")]


def set_autocast_dtype(device_type: str, dtype: D.dtype) -> None:
    if not isinstance(dtype, D.dtype):
        raise TypeError(
            f"set_autocast_dtype(): argument 'dtype' (position 2) must be torch.dtype, not {type(dtype).__name__}"
        )
    _dtypes[_slot(device_type, "set_autocast_dtype")] = dtype
    _sync_cpu()


def is_autocast_cache_enabled() -> bool:
    return _cache_enabled[0]


def set_autocast_cache_enabled(enabled: bool) -> None:
    _cache_enabled[0] = bool(enabled)


def autocast_decorator(autocast_instance: autocast, func: Callable) -> Callable:
    @functools.wraps(func)
    def decorate_autocast(*args: Any, **kwargs: Any) -> Any:
        with autocast_instance:
            return func(*args, **kwargs)

    return decorate_autocast


class autocast:  # noqa: N801 - torch's name
    """``with torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None):``, or as a decorator.

    Validation and warnings follow torch 2.13's ``torch.amp.autocast``; what the engine cannot run is
    refused on entry (module docstring).
    """

    def __init__(
        self, device_type: str, dtype: Any = None, enabled: bool = True, cache_enabled: bool | None = None
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        kind = _slot(device_type, "get_autocast_dtype")  # torch reads the default dtype first: its errors
        self.fast_dtype = _dtypes[kind] if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{self.device}'")
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        device_name = self.device.upper()
        if enabled:
            if self.device == "cuda":
                if cupy_module() is None:
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                    enabled = False
            elif self.fast_dtype not in (BFLOAT16, D.float16):
                warnings.warn(
                    f"In {device_name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                    f"{device_name} Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                    stacklevel=2,
                )
                enabled = False
        self._enabled = enabled

    def __enter__(self) -> autocast:
        kind = _device_type(self.device)
        if self._enabled is True and _computes_there(kind):
            raise _not_implemented(kind, self.fast_dtype)
        self.prev_cache_enabled = is_autocast_cache_enabled()
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = _dtypes[kind]
        set_autocast_enabled(self.device, self._enabled)
        set_autocast_dtype(self.device, self.fast_dtype)
        set_autocast_cache_enabled(self._cache_enabled)
        _nesting[0] += 1
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        set_autocast_enabled(self.device, self.prev)
        set_autocast_dtype(self.device, self.prev_fastdtype)
        set_autocast_cache_enabled(self.prev_cache_enabled)
        _nesting[0] -= 1
        if _nesting[0] == 0:
            _autocast.clear_cache()

    def __call__(self, func: Callable) -> Callable:
        return autocast_decorator(self, func)
