# ruff: noqa: N802, N803, N806 - the linear-algebra names of torch's docs (A, U, H, Vh)
"""Matrix functions new in torch 2.14: ``linalg.matrix_sqrth`` (the principal square root of a symmetric
positive-definite matrix) and ``linalg.polar`` (the polar decomposition ``A = U H``).

``reference_engine.linalg`` serves them only while the engine mirrors torch 2.14 or newer (torch 2.13 has
neither). Both go through the engine's ``eigh`` and ``svd``, as torch's CPU kernels do.
"""

from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import no_grad
from ..autograd.graph import Node
from ..tensor import Tensor
from . import shape as S
from ._util import grad_recording, record
from .blas import matmul
from .inplace import call_with_out
from .linalg import _return_type, _svd_backward, _type_name, eigh, linalg_svd

PolarResult = _return_type("linalg_polar", ("U", "H"))  # torch.return_types.linalg_polar


def _check(name: str, A: Tensor) -> None:
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_type_name(A)}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")


def _mT(t: Tensor) -> Tensor:
    return S.transpose(t, -2, -1)


class LinalgMatrixSqrthBackward0(Node):
    # A: with A = V diag(l) V^T and s = sqrt(max(l, 0)), X = V diag(s) V^T solves X dX + dX X = dA, a
    #    self-adjoint map; torch takes the symmetric part of grad first:
    #    gA = V ((V^T sym(grad) V) / (s_i + s_j)) V^T
    def apply(self, grad: Tensor) -> tuple:
        V, s = self.saved("V"), self.saved("s")
        g = (grad + _mT(grad)) * 0.5
        m = matmul(matmul(_mT(V), g), V) / (S.unsqueeze(s, -1) + S.unsqueeze(s, -2))
        return (matmul(matmul(V, m), _mT(V)),)


def matrix_sqrth(A: Tensor) -> Tensor:
    """torch.linalg.matrix_sqrth (torch 2.14): X with X X = A, from the lower triangle of A; negative
    eigenvalues count as zero."""
    _check("linalg.matrix_sqrth", A)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_sqrth: A must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )
    # the factors keep their history through eigh: the backward saves them, so it is differentiable again
    lam, V = eigh(A)
    s = lam.clamp_min(0).sqrt()
    with no_grad():
        X = matmul(V * S.unsqueeze(s, -2), _mT(V))
    out = Tensor._make(X._data)
    if grad_recording(A):
        node = LinalgMatrixSqrthBackward0()
        record(node, out, A)
        node.save("V", V)
        node.save("s", s)
    return out


class LinalgPolarBackward0(Node):
    # A: from A = W diag(S) Vh, U = W Vh and H = Vh^T diag(S) Vh; the chain rule through these products gives
    #    gW = gU Vh^T, gS = diag(Vh gH Vh^T), gVh = W^T gU + diag(S) Vh (gH + gH^T), then svd_backward. torch's
    #    gradient equals this composite's (measured against torch 2.14.1: 4e-15 in float64)
    def apply(self, grad_U: Tensor, grad_H: Tensor) -> tuple:
        W, s, Vh = self.saved("W"), self.saved("S"), self.saved("Vh")
        gH2 = grad_H + _mT(grad_H)
        gW = matmul(grad_U, _mT(Vh))
        gVh = matmul(_mT(W), grad_U) + S.unsqueeze(s, -1) * matmul(Vh, gH2)
        gS = S.diagonal(matmul(matmul(Vh, grad_H), _mT(Vh)), 0, -2, -1)
        return (_svd_backward(gW, gS, gVh, W, s, Vh),)


def _compose(W: Tensor, s: Tensor, Vh: Tensor) -> tuple[Tensor, Tensor]:
    return matmul(W, Vh), matmul(_mT(Vh) * S.unsqueeze(s, -2), Vh)


def polar(A: Tensor, *, out: Any = None) -> Any:
    """torch.linalg.polar (torch 2.14): A = U H with U's columns orthonormal and H positive semi-definite."""
    if out is not None:
        return call_with_out(polar, "linalg.polar", (A,), {}, out)
    _check("linalg.polar", A)
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(
            f"linalg.polar: input must have at least as many rows as columns, but got {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )
    W, s, Vh = linalg_svd(A, full_matrices=False)  # with svd's history, as matrix_sqrth's factors
    with no_grad():
        U, H = _compose(W, s, Vh)
    U, H = Tensor._make(U._data), Tensor._make(H._data)
    if grad_recording(A):
        node = LinalgPolarBackward0()
        record(node, (U, H), A)
        for name, t in (("W", W), ("S", s), ("Vh", Vh)):
            node.save(name, t)
    return PolarResult(U, H)
