# ruff: noqa: N803, N806 - the linear-algebra names of torch and its formulas (A, Q, V, gA ...)
"""Householder reflectors: torch.geqrf (LAPACK geqrf's packed QR), torch.linalg.householder_product (orgqr:
Q from the reflectors) and torch.ormqr (Q, or Q^T, times a matrix).

Forward values are computed on arrays: geqrf is NumPy's own ``qr(mode="raw")`` (LAPACK geqrf itself), and Q
is applied reflector by reflector, H_i = I - tau_i v_i v_i^T with v_i = (0, .., 0, 1, A[i+1:, i]). The
backward nodes differentiate that product of reflectors in engine ops (reverse mode through each
H_i Y = Y - tau_i v_i (v_i^T Y)), which is the derivative torch's householder_product_backward and
ormqr_backward compute; being engine ops, double backward and forward AD follow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor
from . import join as J
from ._util import grad_recording, needs, record
from .blas import _check_tensor, matmul
from .linalg import _check_matrix, _colmajor, _return_type, _type_name

_GEQRF = _return_type("geqrf", ("a", "tau"))


# --------------------------------------------------------------------------- array kernels
def _reflectors(a: np.ndarray, k: int) -> np.ndarray:
    """The k Householder vectors stored below the diagonal of ``a``: shape (..., k, m)."""
    m = a.shape[-2]
    v = np.swapaxes(a[..., :, :k], -1, -2).copy()
    rows = np.arange(m)
    for i in range(k):
        v[..., i, :] = np.where(rows > i, v[..., i, :], 0)
        v[..., i, i] = 1
    return v


# --------------------------------------------------------------------------- differentiable reflectors
def _vectors(A: Tensor, k: int) -> list[Tensor]:
    """v_i of the stored reflectors, as engine ops of A (so gradients reach A's strict lower part)."""
    m = A.shape[-2]
    out = []
    for i in range(k):
        below = Tensor._make((np.arange(m) > i).astype(A._data.dtype))
        unit = Tensor._make((np.arange(m) == i).astype(A._data.dtype))
        out.append(A[..., :, i] * below + unit)
    return out


def _reflect(vs: list[Tensor], tau: Tensor, Y: Tensor, order: list[int]) -> Tensor:
    """H_{order[0]} ... H_{order[-1]} Y in engine ops."""
    for i in reversed(order):
        v = vs[i].unsqueeze(-1)
        Y = Y - tau[..., i].unsqueeze(-1).unsqueeze(-1) * v * matmul(v.mT, Y)
    return Y


def _reflect_backward(
    vs: list[Tensor], tau: Tensor, Y: Tensor, order: list[int], G: Tensor
) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """The gradients of Z = H_{order[0]} ... H_{order[-1]} Y for an incoming G = dL/dZ: (dL/dY, dL/dtau_i,
    dL/dv_i), per reflector i of ``order``. For Z = H Y = Y - t v (v^T Y): dY = H G, dt = -(v^T G)(Y^T v),
    dv = -t (G (Y^T v) + Y (G^T v))."""
    inputs = [Y]
    for i in reversed(order):  # the intermediates Y_j, Y after the reflectors applied so far
        inputs.append(_reflect(vs, tau, inputs[-1], [i]))
    inputs.reverse()  # inputs[j]: what reflector order[j] is applied to is inputs[j + 1]
    gtau: dict[int, Tensor] = {}
    gv: dict[int, Tensor] = {}
    for j, i in enumerate(order):
        y_in = inputs[j + 1]
        v = vs[i].unsqueeze(-1)
        t = tau[..., i].unsqueeze(-1).unsqueeze(-1)
        vtg = matmul(v.mT, G)  # (1, c)
        vty = matmul(v.mT, y_in)  # (1, c)
        gtau[i] = -(vtg * vty).sum((-2, -1))
        gv[i] = (-t * (matmul(G, vty.mT) + matmul(y_in, vtg.mT))).squeeze(-1)
        G = G - t * v * vtg  # H_i G
    return G, [gtau[i] for i in sorted(gtau)], [gv[i] for i in sorted(gv)]


def _grad_input(A: Tensor, gv: list[Tensor]) -> Tensor:
    """dL/dA from dL/dv_i: v_i reads column i of A below the diagonal; the other entries get zeros."""
    m, n = A.shape[-2:]
    if n == 0:
        return A * 0.0
    cols = []
    for i in range(n):
        if i < len(gv):
            below = Tensor._make((np.arange(m) > i).astype(A._data.dtype))
            cols.append(gv[i] * below)
        else:
            cols.append(A[..., :, i] * 0.0)
    return J.stack(cols, -1)


# --------------------------------------------------------------------------- geqrf
class GeqrfBackward0(Node):
    # geqrf: self: not_implemented("geqrf")
    def apply(self, *grads: Tensor) -> tuple:
        raise RuntimeError("the derivative for 'geqrf' is not implemented.")


def geqrf(input: Tensor) -> Any:
    """torch.geqrf: (a, tau), LAPACK geqrf's R above the diagonal and Householder vectors below."""
    _check_tensor(input, "geqrf", "self", 1)
    _check_matrix("geqrf", input, square=False, kernel="geqrf_cpu", arg="input")
    a = input._data
    m, n = a.shape[-2:]
    if a.size:
        h, tau = np.linalg.qr(a, mode="raw")
        packed = np.swapaxes(h, -1, -2)
    else:
        packed, tau = a.copy(), np.zeros((*a.shape[:-2], min(m, n)), a.dtype)
    outs = (Tensor._make(_colmajor(packed, a.dtype)), Tensor._make(np.ascontiguousarray(tau, dtype=a.dtype)))
    if grad_recording(input):
        record(GeqrfBackward0(), outs, input)
    return _GEQRF(*outs)


# --------------------------------------------------------------------------- householder_product
class LinalgHouseholderProductBackward0(Node):
    # linalg_householder_product: input, tau: householder_product_backward(grad, result, input, tau)
    #   the reverse-mode derivative of Q = (H_0 H_1 ... H_{k-1})[:, :n]
    def apply(self, grad: Tensor) -> tuple:
        A, tau = self.saved("input"), self.saved("tau")
        k, (m, n) = tau.shape[-1], A.shape[-2:]
        if tau.numel() == 0:  # torch returns undefined gradients when there is no reflector
            return None, None
        vs = _vectors(A, k)
        E = Tensor._make(np.broadcast_to(np.eye(m, n, dtype=A._data.dtype), A._data.shape).copy())
        _, gtau, gv = _reflect_backward(vs, tau, E, list(range(k)), grad)
        gA = _grad_input(A, gv) if needs(self, 0) else None
        gt = (J.stack(gtau, -1) if gtau else tau * 0.0) if needs(self, 1) else None
        return gA, gt


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """torch.linalg.householder_product: the first n columns of H_0 H_1 ... H_{k-1} (LAPACK orgqr)."""
    fn = "torch.linalg.householder_product"
    _check_tensor(A, "linalg_householder_product", "input", 1)
    _check_tensor(tau, "linalg_householder_product", "tau", 2)
    a, t = A._data, tau._data
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    m, n = a.shape[-2:]
    if m < n:
        raise RuntimeError(f"{fn}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < t.shape[-1]:
        raise RuntimeError(f"{fn}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if a.ndim - t.ndim != 1:
        raise RuntimeError(
            f"{fn}: Expected tau to have one dimension less than input, but got tau.ndim equal to {t.ndim} and "
            f"input.ndim is equal to {a.ndim}"
        )
    if a.ndim > 2 and t.shape[:-1] != a.shape[:-2]:
        raise RuntimeError(
            f"{fn}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got {tuple(t.shape[:-1])}"
        )
    if t.dtype != a.dtype:
        raise RuntimeError(f"{fn}: tau dtype {_type_name(tau)} does not match input dtype {_type_name(A)}")
    k = t.shape[-1]
    e = np.broadcast_to(np.eye(m, n, dtype=a.dtype), a.shape)
    q = _apply_ordered(_reflectors(a, k), t, e, list(range(k)))
    out = Tensor._make(_colmajor(q, a.dtype))
    if grad_recording(A, tau):
        node = LinalgHouseholderProductBackward0()
        record(node, out, A, tau)
        node.save("input", A)
        node.save("tau", tau)
    return out


# --------------------------------------------------------------------------- ormqr
class OrmqrBackward0(Node):
    # ormqr: self, input2, input3: ormqr_backward(grad, result, self, input2, input3, left, transpose,
    #   grad_input_mask), the reverse-mode derivative of op(Q) C (left) or C op(Q), Q = H_0 ... H_{k-1};
    #   input3's is ormqr(self, input2, grad, left, !transpose)
    def apply(self, grad: Tensor) -> tuple:
        A, tau, C = self.saved("self"), self.saved("input2"), self.saved("input3")
        k = tau.shape[-1]
        # gC = op(Q)^H grad (or grad op(Q)^H): ormqr with the transpose flipped, recorded for double backward
        gC = ormqr(A, tau, grad, self.left, not self.transpose) if needs(self, 2) else None
        if tau.numel() == 0:  # no reflector: Q = I, and torch leaves the reflectors' gradients undefined
            return None, None, gC
        vs = _vectors(A, k)
        # every case is a product of reflectors applied from the left: Q C, Q^T C, (Q^T C^T)^T, (Q C^T)^T
        order = list(range(k)) if self.left != self.transpose else list(range(k - 1, -1, -1))
        Y, G = (C, grad) if self.left else (C.mT, grad.mT)
        _, gtau, gv = _reflect_backward(vs, tau, Y, order, G)
        gA = _grad_input(A, gv) if needs(self, 0) else None
        gt = J.stack(gtau, -1) if needs(self, 1) else None
        return gA, gt, gC


def ormqr(input: Tensor, input2: Tensor, input3: Tensor, left: bool = True, transpose: bool = False) -> Tensor:
    """torch.ormqr(A, tau, C): Q C, Q^T C, C Q or C Q^T for the Q of geqrf's reflectors (LAPACK ormqr)."""
    fn = "torch.ormqr"
    _check_tensor(input, "ormqr", "self", 1)
    _check_tensor(input2, "ormqr", "input2", 2)
    _check_tensor(input3, "ormqr", "input3", 3)
    a, t, c = input._data, input2._data, input3._data
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if c.ndim < 2:
        raise RuntimeError(f"{fn}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if c.shape[side] < t.shape[-1]:
        raise RuntimeError(f"{fn}: other.shape[{side}] must be greater than or equal to tau.shape[-1]")
    if c.shape[side] != a.shape[-2]:
        raise RuntimeError(f"{fn}: other.shape[{side}] must be equal to input.shape[-2]")
    if t.shape[-1] != min(c.shape[side], a.shape[-1]):
        raise RuntimeError(f"{fn}: tau.shape[-1] must be equal to min(other.shape[{side}], input.shape[-1])")
    if a.ndim - t.ndim != 1:
        raise RuntimeError(
            f"{fn}: Expected tau to have one dimension less than input, but got tau.ndim equal to {t.ndim} and "
            f"input.ndim is equal to {a.ndim}"
        )
    if a.ndim != c.ndim:
        raise RuntimeError(
            f"{fn}: Expected other to have the same number of dimensions as input, but got other.ndim equal to "
            f"{c.ndim} and input.ndim is equal to {a.ndim}"
        )
    k = t.shape[-1]
    v = _reflectors(a, k)
    order = range(k) if left != transpose else range(k - 1, -1, -1)
    y = c if left else np.swapaxes(c, -1, -2)
    res = _apply_ordered(v, t, y, list(order))
    res = res if left else np.swapaxes(res, -1, -2)
    out = Tensor._make(_colmajor(res, c.dtype))
    if grad_recording(input, input2, input3):
        node = OrmqrBackward0()
        node.left, node.transpose = left, transpose
        record(node, out, input, input2, input3)
        node.save("self", input)
        node.save("input2", input2)
        node.save("input3", input3)
    return out


def _apply_ordered(v: np.ndarray, tau: np.ndarray, y: np.ndarray, order: list[int]) -> np.ndarray:
    """H_{order[0]} ... H_{order[-1]} Y on arrays."""
    for i in reversed(order):
        vi = v[..., i, :, None]
        y = y - tau[..., i, None, None] * vi * (np.swapaxes(vi, -1, -2) @ y)
    return y


# --------------------------------------------------------------------------- exports
__all__ = ["geqrf", "ormqr"]
METHODS: dict = {"geqrf": geqrf, "ormqr": ormqr}
