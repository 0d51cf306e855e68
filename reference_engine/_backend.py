"""The array module behind a tensor: NumPy on the CPU, CuPy on 'cuda'.

The backend follows the data (like Chainer's ``get_array_module``): every op
asks ``array_module(arr)`` instead of importing numpy directly, so the same
op code runs on either library. CuPy is imported lazily and only if present.
"""

from __future__ import annotations

import types

import numpy as np

_cupy: types.ModuleType | None = None
_cupy_checked = False


def cupy_module() -> types.ModuleType | None:
    """CuPy if it is installed and can see a GPU, else None."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # type: ignore[import-not-found]  # noqa: PLC0415

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # noqa: BLE001 - any failure means "no usable CUDA"
            _cupy = None
    return _cupy


def array_module(arr: object) -> types.ModuleType:
    """numpy, or cupy when ``arr`` is a CuPy array."""
    if type(arr).__module__.startswith("cupy"):
        return _cupy or cupy_module()  # type: ignore[return-value]
    return np


def is_cuda_array(arr: object) -> bool:
    return type(arr).__module__.startswith("cupy")


def to_numpy(arr: object) -> np.ndarray:
    """A host copy (or the array itself on the CPU)."""
    if is_cuda_array(arr):
        return arr.get()  # type: ignore[attr-defined]
    return arr  # type: ignore[return-value]
