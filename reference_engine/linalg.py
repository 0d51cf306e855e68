# ruff: noqa: N803, N806 - torch.linalg's argument names (A, B)
"""torch.linalg: decompositions, solvers and norms (implemented in ops/linalg.py).

``import reference_engine.linalg`` and ``torch.linalg.norm(x)`` work as in torch; the functions here
record the same grad_fn nodes as torch's (LinalgInvExBackward0, LinalgSvdBackward0 ...).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._torch_version import since
from .ops import join as J
from .ops import matrix_functions as _matrix_functions
from .ops import reduction as R
from .ops import scan
from .ops import shape as S
from .ops.blas import matmul, mm, vdot
from .ops.linalg import (
    LinAlgError,
    _type_name,
    eig,
    eigh,
    eigvals,
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
from .ops.linalg import matrix_norm as _matrix_norm
from .ops.linalg_householder import householder_product
from .ops.linalg_solvers import (
    cholesky_ex,
    inv_ex,
    ldl_factor,
    ldl_factor_ex,
    ldl_solve,
    lu_factor,
    lu_factor_ex,
    solve_ex,
    solve_triangular,
)
from .ops.linalg_solvers import linalg_lu as lu
from .ops.linalg_solvers import linalg_lu_solve as lu_solve
from .tensor import Tensor

# functions a torch release added: served only while the engine mirrors that release or a newer one
_ADDED_IN = {"matrix_sqrth": "2.14", "polar": "2.14"}


def __getattr__(name: str) -> object:
    if name in _ADDED_IN and since(_ADDED_IN[name]):
        return getattr(_matrix_functions, name)
    raise AttributeError(f"module 'torch.linalg' has no attribute {name!r}")  # as torch's namespace says


def __dir__() -> list[str]:
    return sorted([*globals(), *(n for n, v in _ADDED_IN.items() if since(v))])


__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve",
    "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_norm", "matrix_power", "matrix_rank",
    "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm",
]  # fmt: skip


# --------------------------------------------------------------------------- composites
# torch writes these in ATen out of other ops (LinearAlgebra.cpp), so their grad_fn is the last op's node;
# they are composed here the same way, in the same order.


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """torch.linalg.diagonal: torch.diagonal with matrix defaults for the dims."""
    return S.diagonal(A, offset, dim1, dim2)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """torch.linalg.vecdot: (x.conj() * y).sum(dim)."""
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got {_type_name(x)}")
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type {_type_name(x)} "
            f"and y of type {_type_name(y)} instead"
        )
    if x.ndim == 1 and y.ndim == 1:  # torch's vdot path for two vectors (VdotBackward0)
        return vdot(x, y)
    return R.sum(x.conj() * y, dim)


def _chain_order(dims: list[int]) -> list[list[int]]:
    """matrix_chain_order: the split points of the cheapest parenthesization (CLRS dynamic programming)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf  # type: ignore[call-overload]
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain_product(ts: list[Tensor], split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return ts[i]
    k = split[i][j]
    return mm(_chain_product(ts, split, i, k), _chain_product(ts, split, k + 1, j))


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """torch.linalg.multi_dot: the chain product in the cheapest order; 1-D ends are a row / a column."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    ts, out_shape = list(tensors), []
    first, last = ts[0], ts[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    ts[0] = first.unsqueeze(0) if first.ndim == 1 else first
    out_shape += [first.shape[0]] if first.ndim == 2 else []
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    ts[-1] = last.unsqueeze(-1) if last.ndim == 1 else last
    out_shape += [last.shape[1]] if last.ndim == 2 else []
    for i in range(1, n - 1):
        if ts[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ts[i].ndim}D")
    for i in range(1, n):
        if ts[i].dtype != ts[0].dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is {str(ts[0].dtype).removeprefix('torch.')}"
                f" and tensor {i} {str(ts[i].dtype).removeprefix('torch.')}"
            )
        if ts[i - 1].shape[-1] != ts[i].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i - 1} and {i} with shapes {list(tensors[i - 1].shape)} and "
                f"{list(tensors[i].shape)} cannot be multiplied"
            )
    if n == 2:
        result = mm(ts[0], ts[1])
    elif n == 3:
        a, b, c, d = ts[0].shape[0], ts[1].shape[0], ts[2].shape[0], ts[2].shape[1]
        if (a * c) * (b + d) > (b * d) * (a + c):
            result = mm(ts[0], mm(ts[1], ts[2]))
        else:
            result = mm(mm(ts[0], ts[1]), ts[2])
    else:
        dims = [t.shape[0] for t in ts] + [ts[-1].shape[1]]
        result = _chain_product(ts, _chain_order(dims), 0, n - 1)
    return result.view(out_shape)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """torch.linalg.vander: columns x**0 .. x**(N-1), as [ones, cumprod of x repeated N-1 times]."""
    if x._data.dtype.kind not in "fciu" or x._data.dtype == bool:
        raise RuntimeError(
            f"linalg.vander supports floating point, complex, and integer tensors, but got {_type_name(x)}"
        )
    x_ = x.unsqueeze(-1) if x.ndim == 0 else x
    shape = list(x_.shape)
    n = shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    result = scan.cumprod(x_.unsqueeze(-1).expand(*shape, n - 1), -1)
    ones = result.new_ones((*shape, 1))
    return J.cat([ones, result], -1)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """torch.linalg.tensorinv: inv of A reshaped to prod(shape[:ind]) x prod(shape[ind:]), shaped back."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    end, start = list(A.shape[ind:]), list(A.shape[:ind])
    p_end, p_start = math.prod(end), math.prod(start)
    if p_end != p_start:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got "
            f"{p_end} != {p_start}"
        )
    return inv(A.reshape(p_start, p_end)).reshape(end + start)


def tensorsolve(A: Tensor, B: Tensor, dims: Sequence[int] | None = None) -> Tensor:
    """torch.linalg.tensorsolve: ``dims`` moved last, A reshaped to a square matrix, solved for B flattened."""
    nd = A.ndim
    if dims is not None:
        A = S.movedim(A, tuple(dims), tuple(range(nd - len(dims), nd)))
    result_shape = list(A.shape[B.ndim :])
    p_res, p_other = math.prod(result_shape), math.prod(B.shape)
    if p_res != p_other:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]),"
            f" but got {p_res} != {p_other}"
        )
    return solve(A.reshape(p_res, p_res), B.flatten()).reshape(result_shape)


_COND_ORDS = (2, -2, 1, -1, math.inf, -math.inf)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """torch.linalg.cond: s_max / s_min for p = +-2 (default), else norm(A, p) * norm(A^{-1}, p)."""
    if isinstance(p, str):
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    elif A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    p = 2 if p is None else p
    if not isinstance(p, str) and p not in _COND_ORDS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p:g}")
    if not isinstance(p, str) and abs(p) == 2:
        if A.numel() == 0:
            return A.new_zeros(tuple(A.shape[:-2]))
        sv = svdvals(A)
        s_max, s_min = S.narrow(sv, -1, 0, 1), S.narrow(sv, -1, -1, 1)
        return (s_min / s_max if p == -2 else s_max / s_min).squeeze(-1)
    name = p if isinstance(p, str) else ("inf" if p == math.inf else "-inf" if p == -math.inf else f"{int(p)}")
    m, n = A.shape[-2:]
    if m != n:
        raise RuntimeError(
            f"linalg.cond(ord={name}): A must be batches of square matrices, but they are {m} by {n} matrices"
        )
    if A.numel() == 0:
        return A.new_zeros(tuple(A.shape[:-2]))
    if p == "nuc":
        # torch: the nuclear norms through svdvals directly (matrix_norm('nuc') rejects infinities)
        sv = svdvals(A)
        return R.sum(sv, -1) * R.sum(sv.reciprocal(), -1)
    inverse, info = inv_ex(A)
    inverse = inverse.masked_fill((info > 0).unsqueeze(-1).unsqueeze(-1), math.inf)
    result = _matrix_norm(A, p) * _matrix_norm(inverse, p)
    # 0 * inf: torch's nan_to_num_(inf, inf, -inf) for NumPy's results
    return result.nan_to_num_(math.inf, math.inf, -math.inf)
