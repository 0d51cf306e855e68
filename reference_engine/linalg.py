"""torch.linalg: decompositions, solvers and norms (implemented in ops/linalg.py).

``import reference_engine.linalg`` and ``torch.linalg.norm(x)`` work as in torch; the functions here
record the same grad_fn nodes as torch's (LinalgInvExBackward0, LinalgSvdBackward0 ...).
"""

from __future__ import annotations

from ._torch_version import since
from .ops import matrix_functions as _matrix_functions
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

# functions a torch release added: served only while the engine mirrors that release or a newer one
_ADDED_IN = {"matrix_sqrth": "2.14", "polar": "2.14"}


def __getattr__(name: str) -> object:
    if name in _ADDED_IN and since(_ADDED_IN[name]):
        return getattr(_matrix_functions, name)
    raise AttributeError(f"module 'torch.linalg' has no attribute {name!r}")  # as torch's namespace says


def __dir__() -> list[str]:
    return sorted([*globals(), *(n for n, v in _ADDED_IN.items() if since(v))])


__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm",
    "matrix_power", "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
]  # fmt: skip
