"""pairwise_distance and cosine_similarity: torch's composites (ATen's ``Distance.cpp``); pdist, one node."""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as D
from ...autograd.grad_mode import no_grad
from ...autograd.graph import Node
from ...ops import reduction as R
from ...ops._util import grad_recording, record
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


# --------------------------------------------------------------------------- pdist
def _pairs(n: int) -> tuple:
    # the rows (i, j), i < j, in the order of pdist's output
    return np.triu_indices(n, 1)


class PdistBackward0(Node):
    # self: _pdist_backward(grad, self, p, result): each pair's grad times d dist / d x_i (minus it for x_j):
    #       p = 0: 0; p = 1: sign(diff); p = 2: diff / dist; p = inf: sign(diff) * (|diff| == dist);
    #       p < 2: sign(diff) |diff|^(p-1) / dist^(p-1); otherwise diff |diff|^(p-2) / dist^(p-1); 0 where dist == 0
    def apply(self, grad: Tensor) -> tuple:
        a = self.saved("self")._data
        dist = self.saved("result")._data[:, None]
        i, j = _pairs(a.shape[0])
        diff = a[i] - a[j]
        p = self.p
        dt = a.dtype.type
        with np.errstate(all="ignore"):
            if p == 0:
                d = np.zeros_like(diff)
            elif p == 1:
                d = np.sign(diff)
            elif p == 2:
                d = np.where(dist == 0, dt(0), diff / dist)
            elif math.isinf(p):
                d = np.sign(diff) * (np.abs(diff) == dist)
            elif p < 2:
                d = np.sign(diff) * np.abs(diff) ** dt(p - 1) / dist ** dt(p - 1)
                d = np.where((dist == 0) | ((diff == 0) & (p < 1)), dt(0), d)
            else:
                d = np.where(dist == 0, dt(0), diff * np.abs(diff) ** dt(p - 2) / dist ** dt(p - 1))
        contrib = (d * grad._data[:, None]).astype(a.dtype, copy=False)
        gin = np.zeros_like(a)
        np.add.at(gin, i, contrib)
        np.add.at(gin, j, -contrib)
        return (Tensor._make(gin),)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances of every pair of rows (i < j) of a 2-D input, as one node."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    a = input._data
    i, j = _pairs(a.shape[0])
    diff = np.abs(a[i] - a[j])
    dt = a.dtype.type
    if p == 0:
        res = (diff != 0).sum(axis=1).astype(a.dtype)
    elif p == 1:
        res = diff.sum(axis=1)
    elif p == 2:
        res = np.sqrt((diff * diff).sum(axis=1))
    elif math.isinf(p):
        res = diff.max(axis=1, initial=dt(0))
    else:
        res = (diff ** dt(p)).sum(axis=1) ** dt(1.0 / p)
    out = Tensor._make(np.asarray(res, dtype=a.dtype).reshape(len(i)))
    if grad_recording(input):
        node = PdistBackward0()
        node.p = p
        record(node, out, input)
        node.save("self", input)
        node.save("result", out, is_output=True)
    return out
