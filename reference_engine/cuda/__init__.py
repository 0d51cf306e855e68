"""torch.cuda for the engine: availability, device queries and synchronisation through CuPy.

Without CuPy, or with CuPy but no visible GPU, everything answers like a
CPU-only torch build: ``is_available()`` is False, ``device_count()`` is 0,
and calls that need a device raise ``AssertionError('Torch not compiled with
CUDA enabled')``. The seeding functions seed the engine's GPU generator
(``random.cuda_generator``): random tensors on a GPU are drawn on the host
from that MT19937 stream and copied over, so they follow the right
distribution but not torch's CUDA Philox values; a CPU-only torch also
accepts the seeding calls silently.
"""

from __future__ import annotations

from typing import Any

from .._backend import cupy_module, require_cupy
from .._device import as_device
from .._tensortype import CUDA_TYPES
from ..random import cuda_generator

__all__ = [
    "current_device", "device_count", "get_device_name", "is_available", "is_initialized", "manual_seed",
    "manual_seed_all", "seed", "seed_all", "set_device", "synchronize",
]  # fmt: skip

# torch.cuda.FloatTensor ...: the legacy constructors of GPU tensors (torch's TypeError without a GPU)
FloatTensor, DoubleTensor, HalfTensor = CUDA_TYPES["FloatTensor"], CUDA_TYPES["DoubleTensor"], CUDA_TYPES["HalfTensor"]
LongTensor, IntTensor, ShortTensor = CUDA_TYPES["LongTensor"], CUDA_TYPES["IntTensor"], CUDA_TYPES["ShortTensor"]
CharTensor, ByteTensor, BoolTensor = CUDA_TYPES["CharTensor"], CUDA_TYPES["ByteTensor"], CUDA_TYPES["BoolTensor"]
__all__ += [*CUDA_TYPES, "amp"]


def is_available() -> bool:
    """True only when CuPy imports and sees at least one GPU."""
    return cupy_module() is not None


def is_initialized() -> bool:
    # CuPy initialises its context on first use; a usable CuPy is as good as initialised
    return is_available()


def device_count() -> int:
    cp = cupy_module()
    return 0 if cp is None else int(cp.cuda.runtime.getDeviceCount())


def _index(device: Any) -> int:
    """The GPU ordinal of a ``device`` argument (None: the current one)."""
    cp = require_cupy()
    if device is None:
        return int(cp.cuda.Device().id)
    dev = as_device(device)
    if dev is None or dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    return int(dev.index or 0)


def current_device() -> int:
    return _index(None)


def set_device(device: Any) -> None:
    require_cupy().cuda.Device(_index(device)).use()


def synchronize(device: Any = None) -> None:
    """Wait for every kernel queued on ``device`` (timings of GPU work need this)."""
    require_cupy().cuda.Device(_index(device)).synchronize()


def get_device_name(device: Any = None) -> str:
    props = require_cupy().cuda.runtime.getDeviceProperties(_index(device))
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def manual_seed(seed: int) -> None:
    """Seed the engine's GPU generator (torch.cuda.manual_seed; a CPU-only torch accepts it silently too)."""
    cuda_generator.manual_seed(int(seed))


def manual_seed_all(seed: int) -> None:
    manual_seed(seed)


def seed() -> None:
    cuda_generator.seed()


def seed_all() -> None:
    seed()


from . import amp  # noqa: E402 - torch.cuda.amp, written against torch.amp (which needs the functions above)
