"""torch.backends.mkl: answered as torch 2.13's CPU build answers (it is built with MKL)."""

from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    return True
