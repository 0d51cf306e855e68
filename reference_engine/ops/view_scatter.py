"""The scatter variants of view ops: select_scatter, slice_scatter, diagonal_scatter, as_strided_scatter.

Each returns a copy of ``input`` with the region its view op would return replaced by ``src`` (torch's
functionalization ops): a fresh tensor, never a view. The backward of each is the same pair for every view
op (derivatives.yaml): ``self`` gets the grad with the region zeroed (the op itself, scattering zeros),
``src`` gets the grad's region (the view op), both written in engine ops so double backward works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import grad_recording, needs, record_with, wrap_dims
from .shape import as_strided, contiguous, diagonal, select, slice_dim


class _ViewScatterBackward(Node):
    """The formula the four ops share; each torch node name below is a subclass (never this class itself)."""

    def apply(self, grad: Tensor) -> tuple:
        d_self = d_src = None
        if needs(self, 0):
            zeros = Tensor._make(grad._xp.zeros(self.src_sizes, dtype=grad._data.dtype))
            d_self = _scatter(grad, zeros, self.view, type(self))
        if needs(self, 1):
            d_src = self.view(grad)
        return d_self, d_src


class SelectScatterBackward0(_ViewScatterBackward):
    # select_scatter: self: select_scatter(grad, zeros_like(src), dim, index) ; src: grad.select(dim, index)
    pass


class SliceScatterBackward0(_ViewScatterBackward):
    # slice_scatter: self: slice_scatter_symint(grad, zeros_like(src), dim, start, end, step)
    #                src: grad.slice_symint(dim, start, end, step)
    pass


class DiagonalScatterBackward0(_ViewScatterBackward):
    # diagonal_scatter: self: diagonal_scatter(grad, zeros_like(src), offset, dim1, dim2)
    #                   src: grad.diagonal(offset, dim1, dim2)
    pass


class AsStridedScatterBackward0(Node):
    # as_strided_scatter: self, src: as_strided_scatter_backward(grad, TensorGeometry(self), TensorGeometry(src),
    #                                                            size, stride, storage_offset)
    # FunctionsManual's as_strided_scatter_backward gives self the grad *inside* the region (zeros elsewhere; the
    # complement would be the derivative, but torch 2.13 computes this) and src the grad's region, with no
    # history: it is not differentiable, so double backward sees grads that do not require grad, as in torch.
    def apply(self, grad: Tensor) -> tuple:
        with grad_mode.no_grad():
            region = self.view(contiguous(grad))
            zeros = Tensor._make(grad._xp.zeros(grad._data.shape, dtype=grad._data.dtype))
            d_self = _scatter(zeros, region, self.view, AsStridedScatterBackward0) if needs(self, 0) else None
            return d_self, (contiguous(region) if needs(self, 1) else None)


def _scatter(
    input: Tensor,
    src: Tensor,
    view: Callable[[Tensor], Tensor],
    node_cls: type,
    name: str = "",
) -> Tensor:
    """``input`` copied, with ``view`` of the copy overwritten by ``src``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"{name}(): argument 'src' (position 2) must be Tensor, not {type(src).__name__}")
    out = Tensor._make(input._data.copy())
    with grad_mode.no_grad():
        region = view(out)
    if region._data.shape != src._data.shape:
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"[{', '.join(map(str, src.shape))}], slice size = [{', '.join(map(str, region.shape))}]"
        )
    region._data[...] = src._data
    if grad_recording(input, src):
        record_with(node_cls(), out, input, src, view=view, src_sizes=src._data.shape)
    return out


def select_scatter(input: Tensor, src: Any, dim: int, index: int) -> Tensor:
    return _scatter(input, src, lambda t: select(t, dim, index), SelectScatterBackward0, name="select_scatter")


def slice_scatter(
    input: Tensor, src: Any, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1
) -> Tensor:
    d = wrap_dims(dim, input.ndim)[0]
    return _scatter(
        input, src, lambda t: slice_dim(t, d, slice(start, end, step)), SliceScatterBackward0, name="slice_scatter"
    )


def diagonal_scatter(input: Tensor, src: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return _scatter(
        input, src, lambda t: diagonal(t, offset, dim1, dim2), DiagonalScatterBackward0, name="diagonal_scatter"
    )


def as_strided_scatter(input: Tensor, src: Any, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
    # the geometry is read on the op's contiguous copy of input (storage offset 0 unless given)
    view = lambda t: as_strided(t, size, stride, storage_offset)
    return _scatter(input, src, view, AsStridedScatterBackward0, name="as_strided_scatter")


__all__ = ["as_strided_scatter", "diagonal_scatter", "select_scatter", "slice_scatter"]
METHODS = {name: globals()[name] for name in __all__}
