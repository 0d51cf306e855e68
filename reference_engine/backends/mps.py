"""torch.backends.mps: the engine has no Metal backend, as a torch built without MPS answers."""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_built() -> bool:
    return False


def is_available() -> bool:
    return False
