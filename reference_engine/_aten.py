"""``torch.ops.aten``: the aten operators torch code calls by their operator name, ``torch.ops.aten.X`` or
``torch.ops.aten.X.default``.

Each is an ``OpOverloadPacket``-like callable whose ``default`` (and ``vec``, where aten has that overload)
runs the engine's function. The functions are public names of this module, so forward AD sees them as ops.
"""

from __future__ import annotations

from typing import Any

from .nn._functional.antialias import upsample_bicubic2d_aa, upsample_bilinear2d_aa, upsample_lanczos2d_aa
from .nn._functional.grid_sample import grid_sampler_2d, grid_sampler_3d
from .nn._functional.pooling import max_pool2d_with_indices_backward

__all__ = [
    "aten",
    "grid_sampler_2d",
    "grid_sampler_3d",
    "max_pool2d_with_indices_backward",
    "upsample_bicubic2d_aa",
    "upsample_bilinear2d_aa",
    "upsample_lanczos2d_aa",
]


class OpOverloadPacket:
    """One aten operator: callable itself, and through its overloads (``default``, ``vec``)."""

    def __init__(self, name: str, fn: Any) -> None:
        self._name = name
        self._fn = fn
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)

    @property
    def default(self) -> Any:
        return self._fn

    @property
    def vec(self) -> Any:
        return self._fn

    def __repr__(self) -> str:
        return f"aten.{self._name}"


class _AtenNamespace:
    """``torch.ops.aten``: the operators the engine has, by aten name."""

    def __init__(self, table: dict[str, Any]) -> None:
        self._ops = {name: OpOverloadPacket(name, fn) for name, fn in table.items()}

    def __getattr__(self, name: str) -> OpOverloadPacket:
        try:
            return self.__dict__["_ops"][name]
        except KeyError:
            raise AttributeError(f"'_OpNamespace' 'aten' object has no attribute '{name}'") from None

    def __dir__(self) -> list[str]:
        return sorted(self._ops)


aten = _AtenNamespace(
    {
        "max_pool2d_with_indices_backward": max_pool2d_with_indices_backward,
        "_upsample_bilinear2d_aa": upsample_bilinear2d_aa,
        "_upsample_bicubic2d_aa": upsample_bicubic2d_aa,
        "_upsample_lanczos2d_aa": upsample_lanczos2d_aa,
        "grid_sampler_2d": grid_sampler_2d,
        "grid_sampler_3d": grid_sampler_3d,
    }
)
