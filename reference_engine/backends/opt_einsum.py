"""torch.backends.opt_einsum: whether the ``opt_einsum`` package is importable, as torch decides it.

torch imports ``opt_einsum`` when it is installed and then plans einsum contractions with it; ``enabled``
and ``strategy`` are plain module attributes in torch 2.13 (nothing checks what is assigned), and so here.
The engine's einsum contracts in its own order whatever they say.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from typing import Any

__all__ = ["enabled", "get_opt_einsum", "is_available", "strategy"]


@cache
def is_available() -> bool:
    return importlib.util.find_spec("opt_einsum") is not None


def get_opt_einsum() -> Any:
    """The opt_einsum package when it is installed, else None."""
    return importlib.import_module("opt_einsum") if is_available() else None


enabled: bool = is_available()
strategy: str | None = "auto" if is_available() else None
