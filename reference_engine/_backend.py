"""The array module behind a tensor: NumPy on the CPU, CuPy on 'cuda'.

The backend follows the data (like Chainer's ``get_array_module``): every op
asks ``array_module(arr)`` instead of importing numpy directly, so the same
op code runs on either library. CuPy is imported lazily and only if present;
it counts as usable only when it also sees at least one GPU.
"""

from __future__ import annotations

import types

import numpy as np

_cupy: types.ModuleType | None = None
_cupy_checked = False
_cupy_reason = "CuPy has not been probed yet"

# torch's error on a CPU-only build, for any request that needs a GPU
NO_CUDA_MESSAGE = "Torch not compiled with CUDA enabled"
# ... and its error for a CUDA legacy type (x.type('torch.cuda.FloatTensor')) on that build
NO_CUDA_LIBRARY_MESSAGE = (
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two shared libraries: a CPU "
    "library and a CUDA library; this error has occurred because you are trying to use some CUDA functionality, but "
    "the CUDA library has not been loaded by the dynamic linker for some reason.  The CUDA library MUST be loaded, "
    "EVEN IF you don't directly use any symbols from the CUDA library! One common culprit is a lack of "
    "-Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic library dependencies if you "
    "don't depend on any of their symbols.  You can check if this has occurred by using ldd on your binary to see if "
    "there is a dependency on *_cuda.so library."
)


def cupy_module() -> types.ModuleType | None:
    """CuPy if it is installed and can see a GPU, else None (the reason is kept for skips)."""
    global _cupy, _cupy_checked, _cupy_reason
    if not _cupy_checked:
        _cupy_checked = True
        _cupy, _cupy_reason = _probe_cupy()
    return _cupy


def _probe_cupy() -> tuple[types.ModuleType | None, str]:
    try:
        # optional dependency (the 'cuda' extras), imported on first use: importing CuPy initialises CUDA
        import cupy  # type: ignore[import-not-found]  # noqa: PLC0415
    except Exception as exc:  # noqa: BLE001 - a broken install is as good as none
        return None, f"CuPy is not importable ({type(exc).__name__}: {exc}); install the 'cuda' or 'cuda13' extra"
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # noqa: BLE001 - no driver, no device: CUDA is unusable
        return None, f"CuPy sees no CUDA device ({type(exc).__name__}: {exc})"
    if count < 1:
        return None, "CuPy sees no CUDA device (getDeviceCount() == 0)"
    return cupy, ""


def unavailable_reason() -> str:
    """Why CUDA cannot be used here ('' when it can)."""
    cupy_module()
    return "" if _cupy is not None else _cupy_reason


def require_cupy() -> types.ModuleType:
    """CuPy, or torch's CPU-build AssertionError when no usable GPU is present."""
    cp = cupy_module()
    if cp is None:
        raise AssertionError(NO_CUDA_MESSAGE)
    return cp


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
