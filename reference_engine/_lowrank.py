"""torch.svd_lowrank and torch.pca_lowrank (torch/_lowrank.py) for dense tensors: Halko, Martinsson and Tropp's
randomized range finder, then an SVD of the small projected matrix.

They are composites of public ops (randn, matmul, linalg.qr, linalg.svd), run in torch's order so that the
same seed draws the same random matrix and every result carries torch's grad_fn.
"""

from __future__ import annotations

from . import _dtype as D
from . import linalg
from .ops.blas import matmul
from .ops.reduction import mean
from .random import randn
from .tensor import Tensor

__all__ = ["pca_lowrank", "svd_lowrank"]


def _floating_dtype(A: Tensor) -> D.dtype:  # noqa: N803 - torch's argument name
    """_linalg_utils.get_floating_dtype: integer inputs work in float32."""
    return A.dtype if A.dtype in (D.float16, D.float32, D.float64) else D.float32


def _approximate_basis(A: Tensor, q: int, niter: int | None = 2, M: Tensor | None = None) -> Tensor:  # noqa: N803
    """get_approximate_basis: Q with q orthonormal columns such that Q Q^H (A - M) approximates A - M."""
    niter = 2 if niter is None else niter
    R = randn(A.shape[-1], q, dtype=_floating_dtype(A))  # noqa: N806
    X = matmul(A, R)  # noqa: N806
    if M is not None:
        X = X - matmul(M, R)  # noqa: N806
    Q = linalg.qr(X).Q  # noqa: N806
    for _ in range(niter):
        X = matmul(A.mH, Q)  # noqa: N806
        if M is not None:
            X = X - matmul(M.mH, Q)  # noqa: N806
        Q = linalg.qr(X).Q  # noqa: N806
        X = matmul(A, Q)  # noqa: N806
        if M is not None:
            X = X - matmul(M, Q)  # noqa: N806
        Q = linalg.qr(X).Q  # noqa: N806
    return Q


def svd_lowrank(
    A: Tensor,  # noqa: N803
    q: int | None = 6,
    niter: int | None = 2,
    M: Tensor | None = None,  # noqa: N803
) -> tuple[Tensor, Tensor, Tensor]:
    """torch.svd_lowrank: (U, S, V) with A - M ~ U diag(S) V^H, of rank q."""
    q = 6 if q is None else q
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.size())  # noqa: N806
    if m < n:
        A = A.mH  # noqa: N806
        if M is not None:
            M = M.mH  # noqa: N806
    Q = _approximate_basis(A, q, niter=niter, M=M)  # noqa: N806
    B = matmul(Q.mH, A)  # noqa: N806
    if M is not None:
        B = B - matmul(Q.mH, M)  # noqa: N806
    U, S, Vh = linalg.svd(B, full_matrices=False)  # noqa: N806
    V = Vh.mH  # noqa: N806
    U = Q.matmul(U)  # noqa: N806
    if m < n:
        U, V = V, U  # noqa: N806
    return U, S, V


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:  # noqa: N803
    """torch.pca_lowrank: svd_lowrank of A with its column means removed (``center``), q = min(6, m, n) by
    default."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter, M=None)
    C = mean(A, (-2,), True)  # noqa: N806
    return svd_lowrank(A - C, q, niter=niter, M=None)
