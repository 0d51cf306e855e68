"""torch.linalg: decompositions, solvers and norms (implemented in ops/linalg_more.py).

``import reference_engine.linalg`` and ``torch.linalg.norm(x)`` work as in torch; the functions here
record the same grad_fn nodes as torch's (LinalgInvExBackward0, LinalgSvdBackward0 ...).
"""

from __future__ import annotations

from .ops.linalg import matmul
from .ops.linalg_more import (
    LinAlgError,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_norm,
    matrix_power,
    matrix_rank,
    pinv,
    qr,
    solve,
    svd,
    svdvals,
    vector_norm,
)
from .ops.linalg_more import linalg_cholesky as cholesky
from .ops.linalg_more import linalg_cross as cross
from .ops.linalg_more import linalg_det as det
from .ops.linalg_more import linalg_norm as norm
from .ops.linalg_more import linalg_slogdet as slogdet

__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm",
    "matrix_power", "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
]  # fmt: skip
