"""The namespaces a scenario runs against: real torch, and reference_engine.

A backend pair is what one test item compares: torch on a device against the
reference engine on the matching array library (``cpu-numpy``; ``cuda-cupy``
when both a GPU torch and CuPy are present).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

import numpy as np

from reference_engine import _backend as engine_backend


@dataclass(frozen=True)
class Backend:
    """One side of a comparison: a torch-like module and the device its tensors live on."""

    module_name: str  # "torch" or "reference_engine"
    device: str  # the torch device string scenarios' tensors are created on

    @property
    def label(self) -> str:
        return "torch" if self.module_name == "torch" else "engine"

    def namespace(self) -> ModuleType:
        return importlib.import_module(self.module_name)

    def is_tensor(self, obj: Any) -> bool:
        return isinstance(obj, self.namespace().Tensor)

    def to_numpy(self, t: Any) -> np.ndarray:
        """A host NumPy copy of a tensor's values, with no autograd attached."""
        t = t.detach()
        if self.module_name == "torch":
            if str(t.dtype) == "torch.bfloat16":
                t = t.float()  # NumPy has no bfloat16; float32 holds every bfloat16 exactly
            return np.array(t.cpu().resolve_conj().numpy(), copy=True)
        return np.array(engine_backend.to_numpy(t._data), copy=True)

    def from_numpy(self, arr: np.ndarray, dtype_name: str, requires_grad: bool = False) -> Any:
        ns = self.namespace()
        return ns.tensor(arr, dtype=getattr(ns, dtype_name), device=self.device, requires_grad=requires_grad)


@dataclass(frozen=True)
class BackendPair:
    torch: Backend
    engine: Backend
    id: str  # appears in test ids: scenario[float32-cpu-numpy]


CPU_PAIR = BackendPair(Backend("torch", "cpu"), Backend("reference_engine", "cpu"), "cpu-numpy")
CUDA_PAIR = BackendPair(Backend("torch", "cuda"), Backend("reference_engine", "cuda"), "cuda-cupy")


@lru_cache(maxsize=1)
def cuda_available() -> bool:
    """Both sides can run on a GPU: torch sees CUDA and CuPy is importable."""
    try:
        torch = importlib.import_module("torch")  # imported on demand: collection stays fast
        return bool(torch.cuda.is_available()) and engine_backend.cupy_module() is not None
    except Exception:  # noqa: BLE001 - any failure means "no GPU pair"
        return False


def pairs_for(devices: tuple[str, ...]) -> list[BackendPair]:
    """The backend pairs a scenario's devices map to on this machine."""
    out = []
    if "cpu" in devices:
        out.append(CPU_PAIR)
    if "cuda" in devices and cuda_available():
        out.append(CUDA_PAIR)
    return out
