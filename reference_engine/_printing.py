"""Placeholder repr until torch-identical printing lands (see nn/optim/printing work)."""

from __future__ import annotations

from typing import Any


def tensor_repr(t: Any) -> str:
    from ._backend import to_numpy

    return f"tensor({to_numpy(t._data)!r})"
