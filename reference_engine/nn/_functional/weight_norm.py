"""``torch._weight_norm`` and ``torch.norm_except_dim``: the computation behind weight normalisation.

``_weight_norm(v, g, dim)`` is ``v * (g / ||v||)`` with the norm taken over every dim but ``dim``. As in ATen
(``aten/src/ATen/native/WeightNorm.cpp``), ``dim`` 0 or the last dim runs the fused kernel
(``_weight_norm_interface``: one ``WeightNormInterfaceBackward0`` node, which saves the norms), any other dim
(and ``dim=-1``, torch's "whole tensor" spelling) runs the composite ``v * (g / norm_except_dim(v, 2, dim))``,
so the grad_fn is ``MulBackward0`` there, as in torch.
"""

from __future__ import annotations

from ... import _dtype as D
from ..._backend import array_module
from ...autograd.graph import Node
from ...ops._util import grad_recording, needs, record
from ...tensor import Tensor


def norm_except_dim(v: Tensor, pow: int = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dim but ``dim``, shaped to broadcast against ``v``
    (``dim=-1``: the norm of the whole tensor, 0-d)."""
    if dim == -1:
        return v.norm(pow)
    if dim == 0:
        output_size = [1] * v.dim()
        output_size[0] = v.size(0)
        return v.contiguous().view(v.size(0), -1).norm(pow, 1).view(output_size)
    if dim == v.dim() - 1:
        output_size = [1] * v.dim()
        output_size[v.dim() - 1] = v.size(v.dim() - 1)
        return v.contiguous().view(-1, v.size(v.dim() - 1)).norm(pow, 0).view(output_size)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _bcast_size(v: Tensor, dim: int) -> list[int]:
    size = [1] * v.dim()
    size[dim] = v.size(dim)
    return size


class WeightNormInterfaceBackward0(Node):
    # _weight_norm_interface: v, g: _weight_norm_differentiable_backward(grad.contiguous(), v, g, result1, dim)
    # (under grad mode; the fused kernel otherwise, the same formula):
    #   s = sum over the other dims of grad * v;  grad_v = g / n * (grad - v * s / n^2);  grad_g = s / n
    def apply(self, grad: Tensor) -> tuple:
        v, g, norms = self.saved("v"), self.saved("g"), self.saved("result1")
        dim = self.dim
        bcast = _bcast_size(v, dim)
        g = g.reshape(bcast)
        prod = (grad.contiguous() * v).contiguous()
        if dim == 0:
            per_dim_sums = prod.view(v.size(0), -1).sum(1).view(bcast)
        else:
            per_dim_sums = prod.view(-1, v.size(dim)).sum(0).view(bcast)
        grad_v = (g / norms) * (grad - v * (per_dim_sums / (norms * norms))) if needs(self, 0) else None
        grad_g = (per_dim_sums / norms).reshape(self.g_shape) if needs(self, 1) else None
        return grad_v, grad_g


def _weight_norm_interface(v: Tensor, g: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """The fused kernel for dim 0 or the last dim: (w, norms), the norms shaped to broadcast against v."""
    arr = v._data
    xp = array_module(arr)
    bcast = tuple(_bcast_size(v, dim))
    other = tuple(d for d in range(v.dim()) if d != dim)
    norms = xp.sqrt((arr * arr).sum(axis=other, keepdims=True))
    w = Tensor._make(arr * (g._data.reshape(bcast) / norms))
    # torch's norms tensor has g's shape
    result1 = Tensor._make(norms.reshape(g._data.shape))
    if grad_recording(v, g):
        node = WeightNormInterfaceBackward0()
        node.dim, node.g_shape = dim, tuple(g.shape)
        record(node, w, v, g)
        node.save("v", v)
        node.save("g", g)
        node.save("result1", Tensor._make(norms))
    return w, result1


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """``v * (g / ||v||)``, the norm over every dim but ``dim`` (torch._weight_norm)."""
    if v.device != g.device:
        raise RuntimeError(
            "weight_norm: expected v_in and g_in to be on the same device, but v_in is on "
            f"{v.device} and g_in is on {g.device}"
        )
    v, g = v.contiguous(), g.contiguous()
    has_half = D.float16 in (v.dtype, g.dtype)
    if not has_half and (dim == 0 or dim == v.dim() - 1):
        return _weight_norm_interface(v, g, dim)[0]
    return v * (g / norm_except_dim(v, 2, dim))
