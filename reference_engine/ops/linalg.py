"""Matrix products: matmul, mm, bmm, dot, mv, outer."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor


def matmul(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    raise NotImplementedError("matmul is not implemented yet")


METHODS: dict = {"matmul": matmul}
__all__ = ["matmul"]
