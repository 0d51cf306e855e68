"""torch.save / torch.load for what scripts checkpoint: tensors, Parameters, state dicts, optimizer states.

The file is a pickle of the object behind a short header of the engine's own; tensors are stored as raw
bytes with dtype, shape, device and ``requires_grad`` (torch keeps the flag, and a non-leaf comes back as a
leaf that requires grad, as in torch). These files are NOT readable by real torch, and torch's zip files
are not readable here: only a round trip through the engine is supported. Differences from torch:
tensors that were views of one storage come back as separate tensors (the same tensor object saved twice
still comes back as one object), and ``mmap`` is accepted but ignored.

``weights_only=True`` (torch's default) allows only tensors, dtypes, devices, sizes, containers and
numbers, plus what ``add_safe_globals`` registers; anything else raises torch's UnpicklingError text.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
from collections import OrderedDict
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from . import _dtype as D
from ._backend import to_numpy
from ._device import device
from .nn.parameter import Parameter
from .tensor import Size, Tensor

_MAGIC = b"reference_engine.save/1\n"
_ZIP_MAGIC = b"PK\x03\x04"
_SAFE: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "range"): range,
}
_user_safe: dict[tuple[str, str], Any] = {}


def add_safe_globals(safe_globals: list[Any]) -> None:
    """torch.serialization.add_safe_globals: classes/functions that ``weights_only`` loading may use."""
    for obj in safe_globals:
        _user_safe[(obj.__module__, obj.__qualname__)] = obj


@contextlib.contextmanager
def safe_globals(safe_globals: list[Any]) -> Iterator[None]:
    """torch.serialization.safe_globals: ``add_safe_globals`` for the duration of a ``with`` block."""
    saved = dict(_user_safe)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_safe.clear()
        _user_safe.update(saved)


def get_safe_globals() -> list[Any]:
    return list(_user_safe.values())


def clear_safe_globals() -> None:
    _user_safe.clear()


# --------------------------------------------------------------------------- saving
def _rebuild_tensor(
    kind: str, np_dtype: str, shape: tuple, raw: bytes, requires_grad: bool, location: str, map_location: Any = None
) -> Tensor:
    arr = np.frombuffer(raw, dtype=np.dtype(np_dtype)).reshape(shape).copy()
    t = Tensor._make(arr)
    target = _target_location(location, map_location, t)
    if isinstance(target, Tensor):
        t = target
    elif target != "cpu":
        t = t.to(target)
    if kind == "parameter":
        return Parameter(t, requires_grad)
    t._requires_grad = requires_grad
    return t


def _target_location(location: str, map_location: Any, t: Tensor) -> Any:
    """Where a tensor saved at ``location`` goes: torch's map_location forms (None, str, device, dict, callable)."""
    if map_location is None:
        return location
    if isinstance(map_location, str | device):
        return str(map_location)
    if isinstance(map_location, dict):
        return str(map_location.get(location, location))
    return map_location(t, location)


def _rebuild_dtype(np_dtype: str) -> D.dtype:
    return D._FROM_NUMPY[np.dtype(np_dtype)]


def _rebuild_device(name: str) -> device:
    return device(name)


def _rebuild_size(dims: tuple) -> Size:
    return Size(dims)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            arr = np.asarray(to_numpy(obj._data))  # not ascontiguousarray: it makes 0-dim arrays 1-dim
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            loc = "cpu" if not obj.is_cuda else f"cuda:{obj.device.index or 0}"
            return _rebuild_tensor, (kind, arr.dtype.str, arr.shape, arr.tobytes(order="C"), obj.requires_grad, loc)
        if isinstance(obj, D.dtype):
            return _rebuild_dtype, (obj.np.str,)
        if isinstance(obj, device):
            return _rebuild_device, (str(obj),)
        if isinstance(obj, Size):
            return _rebuild_size, (tuple(obj),)
        return NotImplemented


def _open(f: Any, mode: str) -> tuple[IO[bytes], bool]:
    if isinstance(f, str | os.PathLike):
        return open(f, mode), True  # the caller closes it
    return f, False


def save(obj: Any, f: Any, pickle_module: Any = pickle, pickle_protocol: int = 2, **_: Any) -> None:
    """torch.save: write ``obj`` to a path or a binary file object (the engine's own format, see above)."""
    fh, owned = _open(f, "wb")
    try:
        fh.write(_MAGIC)
        # protocol 3 at least: older ones pickle bytes through _codecs.encode, which weights_only refuses
        _Pickler(fh, protocol=max(pickle_protocol, 3)).dump(obj)
    finally:
        if owned:
            fh.close()


# --------------------------------------------------------------------------- loading
_REBUILDERS = {
    "_rebuild_tensor": _rebuild_tensor,
    "_rebuild_dtype": _rebuild_dtype,
    "_rebuild_device": _rebuild_device,
    "_rebuild_size": _rebuild_size,
}


def _weights_only_error(module: str, name: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo "
        "those steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) In PyTorch 2.6, we changed "
        "the default value of the `weights_only` argument in `torch.load` from `False` to `True`. Re-running "
        "`torch.load` with `weights_only` set to `False` will likely succeed, but it can result in arbitrary "
        "code execution. Do it only if you got the file from a trusted source.\n\t(2) Alternatively, to load "
        "with `weights_only=True` please check the recommended steps in the following error message.\n\t"
        f"WeightsUnpickler error: Unsupported global: GLOBAL {module}.{name} was not an allowed global by "
        f"default. Please use `torch.serialization.add_safe_globals([{module}.{name}])` or the "
        f"`torch.serialization.safe_globals([{module}.{name}])` context manager to allowlist this global if you trust "
        "this class/function.\n\nCheck the documentation of torch.load to learn more about types accepted by "
        "default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
    )


class _Unpickler(pickle.Unpickler):
    def __init__(self, fh: IO[bytes], map_location: Any, weights_only: bool, **kwargs: Any) -> None:
        super().__init__(fh, **kwargs)
        self.map_location = map_location
        self.weights_only = weights_only

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in _REBUILDERS:
            fn = _REBUILDERS[name]
            return functools.partial(fn, map_location=self.map_location) if fn is _rebuild_tensor else fn
        if (module, name) in _SAFE:
            return _SAFE[(module, name)]
        if (module, name) in _user_safe:
            return _user_safe[(module, name)]
        if self.weights_only:
            raise _weights_only_error(module, name)
        return super().find_class(module, name)


def load(
    f: Any,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """torch.load for files written by this engine's ``save``; ``weights_only`` defaults to True as in torch."""
    if weights_only is None:
        weights_only = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") in ("0", "")
    fh, owned = _open(f, "rb")
    try:
        head = fh.read(len(_MAGIC))
        if head != _MAGIC:
            what = "a torch zip checkpoint" if head.startswith(_ZIP_MAGIC) else "not written by reference_engine.save"
            raise RuntimeError(f"reference_engine.load: this file is {what}; only the engine's own files can be read")
        return _Unpickler(fh, map_location, weights_only, **pickle_load_args).load()
    finally:
        if owned:
            fh.close()


__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "load", "safe_globals", "save"]
