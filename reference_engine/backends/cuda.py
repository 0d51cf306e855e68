"""torch.backends.cuda: whether the engine has CUDA, and cuBLAS's matmul flags (``matmul``).

``is_built()`` answers for the engine: True when its CUDA path (CuPy with a visible GPU) works, as a CUDA
build of torch answers, else False as torch's CPU build does. ``matmul.allow_tf32`` and the
reduced-precision flags are settable with torch's defaults and errors; the engine's matmuls compute in full
precision whatever they say. ``allow_tf32`` is the same setting as ``torch.get_float32_matmul_precision()``
('highest' means no TF32), as in torch.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import cuda as _cuda

__all__ = ["get_float32_matmul_precision", "is_built", "matmul", "set_float32_matmul_precision"]


def is_built() -> bool:
    return _cuda.is_available()


_PRECISIONS = ("highest", "high", "medium")
_precision = ["highest"]


def get_float32_matmul_precision() -> str:
    """torch.get_float32_matmul_precision: 'highest' (no TF32) until set otherwise."""
    return _precision[0]


def set_float32_matmul_precision(precision: str) -> None:
    """torch.set_float32_matmul_precision; anything but 'highest' allows TF32 (the engine computes in full float32)."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _precision[0] = precision


class cuBLASModule:  # noqa: N801 - torch's name
    """``torch.backends.cuda.matmul``: cuBLAS's flags, read and set as attributes (anything else: AttributeError)."""

    _reduction = {"fp16": [True, True], "bf16": [True, True]}  # (allow reduced precision, allow split-k)
    _fp16_accumulation = [False]

    @staticmethod
    def _parse_reduction_setting(value: Any, attr_name: str) -> tuple[bool, bool]:
        def ensure_bool(obj: Any, which: str) -> bool:
            if isinstance(obj, bool):
                return obj
            raise TypeError(f"{attr_name} expects a bool for {which}, but got {type(obj)!r}")

        if isinstance(value, bool):
            return value, True
        if isinstance(value, list | tuple):
            if not value:
                raise TypeError(f"{attr_name} expects at least one boolean argument")
            if len(value) > 2:
                raise TypeError(f"{attr_name} expects at most two boolean arguments")
            allow = ensure_bool(value[0], "allow_reduced_precision")
            return allow, True if len(value) == 1 else ensure_bool(value[1], "allow_splitk")
        raise TypeError(f"{attr_name} expects a bool or a tuple/list of bools, but got {type(value)!r}")

    def __getattr__(self, name: str) -> Any:
        if name == "allow_tf32":
            return _precision[0] != "highest"
        for kind in ("fp16", "bf16"):
            if name == f"allow_{kind}_reduced_precision_reduction":
                return self._reduction[kind][0]
            if name == f"allow_{kind}_reduced_precision_reduction_split_k":
                return self._reduction[kind][1]
        if name == "allow_fp16_accumulation":
            return self._fp16_accumulation[0]
        if name == "fp32_precision":
            raise NotImplementedError(
                "torch.backends.cuda.matmul.fp32_precision is not implemented by reference_engine"
            )
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "allow_tf32":
            if not isinstance(value, bool):
                raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got {type(value).__name__}")
            _precision[0] = "high" if value else "highest"
        elif name in ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
            allow, splitk = self._parse_reduction_setting(value, name)
            if allow and not splitk:
                raise RuntimeError("allow_splitk=False is not supported when reduced precision reductions are enabled")
            self._reduction[name[6:10]][:] = [allow, splitk]
        elif name == "allow_fp16_accumulation":
            if not isinstance(value, bool):
                raise RuntimeError(f"set_allow_fp16_accumulation_cublas expects a bool, but got {type(value).__name__}")
            self._fp16_accumulation[0] = value
        elif name == "fp32_precision":
            raise NotImplementedError(
                "torch.backends.cuda.matmul.fp32_precision is not implemented by reference_engine"
            )
        else:
            raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()
