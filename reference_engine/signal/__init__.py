"""torch.signal: signal-processing helpers (for now its ``windows`` namespace)."""

from __future__ import annotations

from . import windows

__all__ = ["windows"]
