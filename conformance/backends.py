"""The namespaces a scenario runs against: real torch, and reference_engine.

A backend pair is what one test item compares: torch on a device against the
reference engine on the matching array library (``cpu-numpy``; ``cuda-cupy``
when both a GPU torch and CuPy are present).

By default a scenario runs on the pairs its ``devices`` name. The environment
variable ``CONFORMANCE_PAIRS`` (comma-separated pair ids) overrides that for
every scenario, which is how ``scripts/gpu_check.sh`` runs the whole suite on
the GPU; naming a pair this machine cannot run is then an error, not a skip.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

import numpy as np

from reference_engine import _backend as engine_backend
from reference_engine import _torch_version as engine_version


def oracle_version() -> str | None:
    """The installed torch's version string, read from its metadata (no import: collection stays fast)."""
    from importlib import metadata  # noqa: PLC0415

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def mirror_oracle() -> str:
    """Make the engine mirror the installed torch's release, here and in every process started from here.

    Returns the release the engine now mirrors (the nearest supported one for a torch the engine does not know).
    """
    installed = oracle_version()
    version = engine_version.supported_for(installed) if installed else engine_version.NEWEST
    os.environ[engine_version.ENV] = version
    engine_version.set_torch_version(version)
    return version


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
            if t._is_zerotensor():  # autograd's efficient zeros (a ZeroTensor grad) refuse .numpy()
                t = t.new_zeros(t.shape)
            if str(t.dtype) == "torch.bfloat16":
                t = t.float()  # NumPy has no bfloat16; float32 holds every bfloat16 exactly
            elif str(t.dtype) == "torch.complex32":
                t = t.to(self.namespace().complex64)  # NumPy has no complex32; complex64 holds it exactly
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


PAIRS = {p.id: p for p in (CPU_PAIR, CUDA_PAIR)}
PAIRS_ENV = "CONFORMANCE_PAIRS"


@lru_cache(maxsize=1)
def cuda_available() -> bool:
    """Both sides can run on a GPU: torch sees CUDA and CuPy is importable."""
    try:
        torch = importlib.import_module("torch")  # imported on demand: collection stays fast
        return bool(torch.cuda.is_available()) and engine_backend.cupy_module() is not None
    except Exception:  # noqa: BLE001 - any failure means "no GPU pair"
        return False


def cuda_skip_reason() -> str:
    """Why the cuda-cupy pair cannot run here, naming each missing side ('' when it can)."""
    reasons = []
    try:
        if not importlib.import_module("torch").cuda.is_available():
            reasons.append("torch sees no CUDA device (a CPU-only build, or no GPU/driver)")
    except Exception as exc:  # noqa: BLE001 - report whatever stopped torch
        reasons.append(f"torch.cuda is unusable ({type(exc).__name__}: {exc})")
    engine_reason = engine_backend.unavailable_reason()
    if engine_reason:
        reasons.append(engine_reason)
    return "; ".join(reasons)


def _requested() -> tuple[BackendPair, ...] | None:
    raw = os.environ.get(PAIRS_ENV, "").strip()
    if not raw:
        return None
    ids = [x.strip() for x in raw.split(",") if x.strip()]
    unknown = [x for x in ids if x not in PAIRS]
    if unknown:
        raise ValueError(f"{PAIRS_ENV}: unknown backend pair(s) {unknown}; known: {sorted(PAIRS)}")
    if CUDA_PAIR.id in ids and not cuda_available():
        raise RuntimeError(f"{PAIRS_ENV} asks for {CUDA_PAIR.id}, which cannot run here: {cuda_skip_reason()}")
    return tuple(PAIRS[x] for x in ids)


def pairs_for(devices: tuple[str, ...]) -> list[BackendPair]:
    """The backend pairs a scenario's devices map to on this machine."""
    requested = _requested()
    if requested is not None:
        return list(requested)
    out = []
    if "cpu" in devices:
        out.append(CPU_PAIR)
    if "cuda" in devices and cuda_available():
        out.append(CUDA_PAIR)
    return out


def skipped_pairs(devices: tuple[str, ...]) -> list[tuple[BackendPair, str]]:
    """The pairs a scenario asks for that this machine cannot run, each with the reason (for skip markers)."""
    if os.environ.get(PAIRS_ENV, "").strip():
        return []  # an explicit request either runs or fails in pairs_for
    if "cuda" in devices and not cuda_available():
        return [(CUDA_PAIR, cuda_skip_reason())]
    return []


def device_summary() -> dict[str, str]:
    """Which pairs this machine runs, for the run metadata: 'available' or 'skipped: <reason>'."""
    cuda = "available" if cuda_available() else f"skipped: {cuda_skip_reason()}"
    return {CPU_PAIR.id: "available", CUDA_PAIR.id: cuda}
