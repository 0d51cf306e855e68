"""torch.onnx: importable, and ``is_in_onnx_export()`` answers (False: the engine never exports), but the
engine cannot trace a model into an ONNX graph, so ``export`` raises NotImplementedError."""

from __future__ import annotations

from typing import Any

__all__ = ["OnnxExporterError", "export", "is_in_onnx_export"]


class OnnxExporterError(RuntimeError):
    """torch.onnx.OnnxExporterError (never raised by the engine, which does not export)."""


def is_in_onnx_export() -> bool:
    return False


def export(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(
        "torch.onnx.export is not implemented by reference_engine: it cannot trace a model into an ONNX graph"
    )
