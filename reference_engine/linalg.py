"""torch.linalg: decompositions, solvers and norms (implemented in ops/linalg.py).

``import reference_engine.linalg`` and ``torch.linalg.norm(x)`` work as in torch; the functions here
record the same grad_fn nodes as torch's (LinalgInvExBackward0, LinalgSvdBackward0 ...).
"""

from __future__ import annotations

from .ops.blas import matmul
from .ops.linalg import (
    LinAlgError,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_norm,
    matrix_power,
    matrix_rank,
    pinv,
    solve,
    svdvals,
    vector_norm,
)
from .ops.linalg import linalg_cholesky as cholesky
from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_det as det
from .ops.linalg import linalg_norm as norm
from .ops.linalg import linalg_qr as qr
from .ops.linalg import linalg_slogdet as slogdet
from .ops.linalg import linalg_svd as svd

__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm",
    "matrix_power", "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
]  # fmt: skip
