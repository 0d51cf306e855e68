"""Indexing: ``x[...]`` (basic indexing gives views, advanced indexing copies) and ``x[...] = v``."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor


def getitem(self: Tensor, index: Any) -> Tensor:
    raise NotImplementedError("indexing is not implemented yet")


def setitem(self: Tensor, index: Any, value: Any) -> None:
    raise NotImplementedError("index assignment is not implemented yet")


METHODS: dict = {}
__all__: list[str] = []
