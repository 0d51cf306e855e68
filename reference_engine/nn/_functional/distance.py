"""pairwise_distance and cosine_similarity: torch's composites (ATen's ``Distance.cpp``)."""

from __future__ import annotations

from ... import _dtype as D
from ...autograd.grad_mode import no_grad
from ...ops import reduction as R
from ...ops.inplace import scalar_type_name
from ...tensor import Tensor
from ._broadcast import broadcast_shape


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    # ATen: at::norm over the innermost dim of the broadcast result (NormBackward1, not linalg's node)
    return R._vector_norm(x1 - x2 + eps, p, max(x1.dim(), x2.dim()) - 1, keepdim, node_cls=R.NormBackward1)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """torch's composite: each operand divided by its (clamped) norm, then the product summed over ``dim``.

    The clamp runs in place under no_grad on a clone, so gradients flow as if the norm were unclamped.
    """
    common = D.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {scalar_type_name(common)}"
        )
    if x1.shape != x2.shape:
        shape = broadcast_shape(x1.shape, x2.shape)
        x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)
