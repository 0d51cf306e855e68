"""torch.accelerator: the current accelerator, which for the engine is its CUDA path (CuPy) or none.

Without a GPU everything answers as torch's CPU build does: no accelerator (``current_accelerator()`` is
None, ``device_count()`` 0), and the calls that need one raise torch's ``RuntimeError: Cannot access
accelerator device when none is available.`` With one, ``device(type='cuda')`` is the accelerator and the
calls go to ``reference_engine.cuda``.
"""

from __future__ import annotations

from typing import Any

from . import cuda
from ._creation import NO_ACCELERATOR_MESSAGE
from ._device import device as _device_cls

__all__ = [
    "current_accelerator", "current_device_index", "device_count", "device_index", "is_available",
    "set_device_index", "synchronize",
]  # fmt: skip


def current_accelerator(check_available: bool = False) -> _device_cls | None:
    """``device(type='cuda')`` when the engine has a GPU, else None (``check_available`` changes nothing)."""
    return _device_cls("cuda") if cuda.is_available() else None


def is_available() -> bool:
    return cuda.is_available()


def device_count() -> int:
    return cuda.device_count() if cuda.is_available() else 0


def _require() -> None:
    if not cuda.is_available():
        raise RuntimeError(NO_ACCELERATOR_MESSAGE)


def current_device_index() -> int:
    _require()
    return cuda.current_device()


def _device_index(device: Any, optional: bool) -> int:
    """torch.accelerator._utils._get_device_index: an int as it is, a device of the accelerator's type its index."""
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _device_cls(device)
    index = None
    if isinstance(device, _device_cls):
        acc = current_accelerator()
        if acc is None:
            raise RuntimeError("Accelerator expected")
        if acc.type != device.type:
            raise ValueError(f"{device.type} doesn't match the current accelerator {acc}.")
        index = device.index
    if index is None:
        if not optional:
            raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
        return current_device_index()
    return index


def set_device_index(device: Any, /) -> None:
    """Make ``device`` the current GPU; a negative index is a no-op, as in torch."""
    index = _device_index(device, optional=False)
    if index < 0:
        return
    _require()
    cuda.set_device(index)


def synchronize(device: Any = None, /) -> None:
    """Wait for the GPU's queued work (torch raises without an accelerator, even for index -1)."""
    index = _device_index(device, optional=True)
    _require()
    cuda.synchronize(None if index < 0 else index)


class device_index:  # noqa: N801 - torch's name
    """``with torch.accelerator.device_index(i):`` makes GPU ``i`` current inside the block (None: no change)."""

    def __init__(self, device: int | None, /) -> None:
        self.idx = device
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx is not None:
            _require()
            self.prev_idx = cuda.current_device()
            cuda.set_device(self.idx)

    def __exit__(self, *exc_info: object) -> None:
        if self.idx is not None:
            cuda.set_device(self.prev_idx)
