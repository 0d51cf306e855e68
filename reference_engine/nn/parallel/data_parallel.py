"""torch.nn.DataParallel on the engine's devices.

Without a GPU it is torch's CPU behaviour: the wrapper holds the module (``module.`` prefixes its
parameter names) and calls it. With the engine's GPU it is torch's one-device path: the module moves to
``device_ids[0]``, tensor inputs are moved there and the module's output is returned as it is. Replicating
across several GPUs (scatter, replicate, parallel_apply, gather) is not implemented: asked for, it raises
NotImplementedError.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from ... import cuda
from ..._device import device as _device_cls
from ...tensor import Tensor
from ..module import Module

__all__ = ["DataParallel", "data_parallel"]


def _index(d: Any) -> int:
    if isinstance(d, _device_cls):
        return 0 if d.index is None else d.index
    if isinstance(d, str):
        return _index(_device_cls(d))
    return int(d)


def _one_device(device_ids: Sequence[Any] | None, output_device: Any) -> tuple[list[int], int]:
    ids = list(range(cuda.device_count())) if device_ids is None else [_index(d) for d in device_ids]
    if not ids:
        raise RuntimeError("no available devices were found")
    if len(ids) > 1:
        raise NotImplementedError(
            f"DataParallel over {len(ids)} GPUs (scatter, replicate, parallel_apply, gather) is not implemented "
            "by reference_engine: pass device_ids=[0]"
        )
    return ids, ids[0] if output_device is None else _index(output_device)


def _to(value: Any, device: _device_cls) -> Any:
    """Tensors inside ``value`` (nested tuples, lists, dicts) moved to ``device``; other objects as they are."""
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, tuple | list):
        return type(value)(_to(v, device) for v in value)
    if isinstance(value, dict):
        return {k: _to(v, device) for k, v in value.items()}
    return value


class DataParallel(Module):
    """Wrap ``module`` to run it on ``device_ids`` (module docstring: one device only)."""

    def __init__(
        self, module: Module, device_ids: Sequence[Any] | None = None, output_device: Any = None, dim: int = 0
    ) -> None:
        super().__init__()
        if not cuda.is_available():
            self.module = module
            self.device_ids = []
            return
        ids, out = _one_device(device_ids, output_device)
        self.dim = dim
        self.module = module
        self.device_ids = ids
        self.output_device = out
        self.src_device_obj = _device_cls("cuda", ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(
                    "module must have its parameters and buffers "
                    f"on device {self.src_device_obj} (device_ids[0]) but found one of "
                    f"them on device: {t.device}"
                )
        return self.module(*_to(inputs, self.src_device_obj), **_to(kwargs, self.src_device_obj))


def data_parallel(
    module: Module,
    inputs: Any,
    device_ids: Sequence[Any] | None = None,
    output_device: Any = None,
    dim: int = 0,
    module_kwargs: Any = None,
) -> Any:
    """The functional DataParallel: ``module(*inputs)`` on the one GPU, the output on ``output_device``."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not cuda.is_available():
        raise RuntimeError("device type could not be determined")
    ids, out = _one_device(device_ids, output_device)
    src = _device_cls("cuda", ids[0])
    result = module(*_to(inputs, src), **_to(module_kwargs or {}, src))
    return _to(result, _device_cls("cuda", out))
