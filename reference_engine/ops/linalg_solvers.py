# ruff: noqa: N803, N806 - the linear-algebra names of torch and its formulas (A, LU, P, L, U, gA ...)
"""LU factorization and the solvers built on factors: torch.linalg.lu / lu_factor(_ex) / lu_solve, torch.lu_unpack,
linalg.solve_triangular and the legacy torch.lu / lu_solve / triangular_solve, and the ``_ex`` variants of
inv / solve / cholesky (a result plus LAPACK's ``info``).

NumPy exposes no LU, so ``_getrf`` is LAPACK getrf's unblocked algorithm (partial pivoting on the first
largest |pivot|, the same pivots NumPy/SciPy/torch get), vectorized over the batch. Triangular solves are
substitution loops over the rows (trsm's results, including its infinities for a zero diagonal).

Backward formulas are torch's FunctionsManual.cpp ones (linalg_lu_backward, linalg_lu_solve_LU,
linalg_solve_triangular_backward, triangular_solve_backward, lu_unpack_backward) in engine ops, so double
backward works.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._torch_version import since
from ..autograd.graph import Node
from ..tensor import Tensor
from . import join as J
from . import shape as S
from ._util import grad_recording, needs, record
from .blas import _check_tensor, matmul
from .linalg import (
    LinalgCholeskyExBackward0,
    LinalgInvExBackward0,
    LinalgSolveExBackward0,
    _batch_prefix,
    _check_matrix,
    _cholesky,
    _colmajor,
    _LinAlgError,
    _return_type,
    _type_name,
    linalg_cholesky,
    solve,
)

_LU = _return_type("linalg_lu", ("P", "L", "U"))
_LU_FACTOR = _return_type("linalg_lu_factor", ("LU", "pivots"))
_LU_FACTOR_EX = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_LU_UNPACK = _return_type("lu_unpack", ("P", "L", "U"))
_INV_EX = _return_type("linalg_inv_ex", ("inverse", "info"))
_SOLVE_EX = _return_type("linalg_solve_ex", ("result", "info"))
_CHOLESKY_EX = _return_type("linalg_cholesky_ex", ("L", "info"))
_TRIANGULAR_SOLVE = _return_type("triangular_solve", ("solution", "cloned_coefficient"))


# --------------------------------------------------------------------------- array kernels
def _getrf(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LU with partial pivoting of a batch of m x n matrices: (LU packed, 1-based int32 pivots, int32 info)."""
    lu = np.array(a, copy=True)
    m, n = lu.shape[-2:]
    k = min(m, n)
    batch = lu.shape[:-2]
    flat = lu.reshape(-1, m, n)
    piv = np.zeros((flat.shape[0], k), dtype=np.int32)
    info = np.zeros(flat.shape[0], dtype=np.int32)
    rows = np.arange(flat.shape[0])
    with np.errstate(all="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(flat[:, j:, j]), axis=-1)  # idamax: the first largest
            piv[:, j] = p + 1
            swap = flat[rows, p].copy()
            flat[rows, p] = flat[:, j]
            flat[:, j] = swap
            pivot = flat[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            # getf2 scales the column only by a nonzero pivot (the column is all zeros otherwise)
            flat[:, j + 1 :, j] /= np.where(zero, 1, pivot)[:, None]
            flat[:, j + 1 :, j + 1 :] -= flat[:, j + 1 :, j, None] * flat[:, j, None, j + 1 :]
    return flat.reshape(a.shape), piv.reshape(*batch, k), info.reshape(batch)


def _perm_from_pivots(piv: np.ndarray, m: int) -> np.ndarray:
    """The row order LAPACK's swaps give: perm[i] is the row of A that lands in row i of P^T A."""
    flat = piv.reshape(-1, piv.shape[-1]).astype(np.int64) - 1
    perm = np.broadcast_to(np.arange(m), (flat.shape[0], m)).copy()
    rows = np.arange(flat.shape[0])
    for i in range(flat.shape[1]):
        p = flat[:, i]
        a, b = perm[:, i].copy(), perm[rows, p].copy()
        perm[:, i], perm[rows, p] = b, a
    return perm.reshape(*piv.shape[:-1], m)


def _trsm(a: np.ndarray, b: np.ndarray, upper: bool, unit: bool) -> np.ndarray:
    """X with tri(A) X = B by substitution (broadcast batches); only A's ``upper``/lower triangle is read."""
    n = a.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, (*batch, n, n))
    x = np.array(np.broadcast_to(b, (*batch, *b.shape[-2:])), dtype=np.result_type(a, b), copy=True)
    order = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(all="ignore"):
        for i in order:
            others = slice(i + 1, n) if upper else slice(0, i)
            if (i + 1 < n) if upper else i > 0:
                x[..., i, :] -= np.einsum("...k,...kc->...c", a[..., i, others], x[..., others, :])
            if not unit:
                x[..., i, :] /= a[..., i, i, None]
    return x


# --------------------------------------------------------------------------- solve_triangular
def _check_same_dtype(fn: str, A: Tensor, B: Tensor, a: str = "A", b: str = "B") -> None:
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"{fn}: Expected {a} and {b} to have the same dtype, but found {a} of type {_type_name(A)} and {b} of "
            f"type {_type_name(B)} instead"
        )


class LinalgSolveTriangularBackward0(Node):
    # linalg_solve_triangular: self, B: linalg_solve_triangular_backward(grad, self, result, upper, left,
    #   unitriangular, grad_input_mask)
    #   gB = solve_triangular(A^H, grad, !upper, left, unitriangular)
    #   gA = -gB X^H (left) or -X^H gB (right), then triu(unitriangular) / tril(-unitriangular)
    def apply(self, grad: Tensor) -> tuple:
        A, X = self.saved("self"), self.saved("result")
        gB = solve_triangular(A.mT, grad, upper=not self.upper, left=self.left, unitriangular=self.unit)
        gA = None
        if needs(self, 0):
            gA = -matmul(gB, X.mT) if self.left else -matmul(X.mT, gB)
            gA = S.triu(gA, int(self.unit)) if self.upper else S.tril(gA, -int(self.unit))
        return gA, gB if needs(self, 1) else None


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """torch.linalg.solve_triangular: X with A X = B (``left=False``: X A = B), A triangular."""
    _check_tensor(A, "linalg_solve_triangular", "self", 1)
    _check_tensor(B, "linalg_solve_triangular", "B", 2)
    _check_matrix("linalg.solve_triangular", A, kernel="triangular_solve_cpu", arg="A")
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    _check_same_dtype("linalg.solve_triangular", A, B, "A", "B")
    n = A._data.shape[-1]
    rows = B._data.shape[-2] if left else B._data.shape[-1]
    if rows != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
            f"{B._data.shape[-2]}x{B._data.shape[-1]})"
        )
    a, b = A._data, B._data
    if left:
        x = _trsm(a, b, upper, unitriangular)
    else:
        x = np.swapaxes(_trsm(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), not upper, unitriangular), -1, -2)
    out = Tensor._make(_colmajor(x, a.dtype))
    if grad_recording(A, B):
        node = LinalgSolveTriangularBackward0()
        node.upper, node.left, node.unit = upper, left, unitriangular
        record(node, out, A, B)
        node.save("self", A)
        node.save("result", out, is_output=True)
    return out


class TriangularSolveBackward0(Node):
    # triangular_solve: self, A: triangular_solve_backward(grad_solution, grad_cloned_coefficient, self, A,
    #   solution, upper, transpose, unitriangular, grad_input_mask)
    #   grad_b = triangular_solve(grad_x, A, upper, !transpose, unitriangular).solution
    #   grad_a = -x grad_b^T (transpose) or -grad_b x^T, projected on A's triangle, plus grad_cloned_coefficient
    def apply(self, grad_x: Tensor, grad_m: Tensor) -> tuple:
        A, X = self.saved("A"), self.saved("solution")
        grad_b = _triangular_solve(grad_x, A, self.upper, not self.transpose, self.unit)[0]
        grad_a = None
        if needs(self, 1):
            grad_a = -matmul(X, grad_b.mT) if self.transpose else -matmul(grad_b, X.mT)
            grad_a = S.triu(grad_a, int(self.unit)) if self.upper else S.tril(grad_a, -int(self.unit))
            grad_a = grad_a + grad_m
        return grad_b if needs(self, 0) else None, grad_a


def _triangular_solve(b: Tensor, A: Tensor, upper: bool, transpose: bool, unit: bool) -> tuple[Tensor, Tensor]:
    a = np.swapaxes(A._data, -1, -2) if transpose else A._data
    x = _trsm(a, b._data, upper != transpose, unit)
    batch = x.shape[:-2]
    sol = Tensor._make(_colmajor(x, A._data.dtype))
    coef = Tensor._make(np.ascontiguousarray(np.broadcast_to(A._data, (*batch, *A._data.shape[-2:]))))
    if grad_recording(b, A):
        node = TriangularSolveBackward0()
        node.upper, node.transpose, node.unit = upper, transpose, unit
        record(node, (sol, coef), b, A)
        node.save("A", A)
        node.save("solution", sol, is_output=True)
    return sol, coef


_TRIANGULAR_SOLVE_WARNED = [False]


def triangular_solve(
    input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False, unitriangular: bool = False
) -> Any:
    """The legacy torch.triangular_solve(b, A): (solution, a copy of A), with torch's deprecation warning."""
    _check_tensor(input, "triangular_solve", "self", 1)
    _check_tensor(A, "triangular_solve", "A", 2)
    if not _TRIANGULAR_SOLVE_WARNED[0]:  # TORCH_WARN_ONCE
        _TRIANGULAR_SOLVE_WARNED[0] = True
        warnings.warn(
            "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be removed in "
            "a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments reversed and does not "
            "return a copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\nshould be replaced "
            "with\nX = torch.linalg.solve_triangular(A, B).",
            UserWarning,
            stacklevel=2,
        )
    for name, t in (("A", A), ("self", input)):
        if t._data.ndim < 2:
            raise RuntimeError(f"torch.triangular_solve: The input tensor {name} must have at least 2 dimensions.")
    _check_same_dtype("triangular_solve", input, A, "self", "A")
    n = A._data.shape[-1]
    if A._data.shape[-2] != n:
        raise RuntimeError(
            f"triangular_solve: A must be batches of square matrices, but they are {A._data.shape[-2]} by {n} matrices"
        )
    if input._data.shape[-2] != n:
        raise RuntimeError(
            f"triangular_solve: Incompatible matrix sizes for triangular_solve: each A matrix is {n} by {n} but "
            f"each b matrix is {input._data.shape[-2]} by {input._data.shape[-1]}"
        )
    return _TRIANGULAR_SOLVE(*_triangular_solve(input, A, upper, transpose, unitriangular))


# --------------------------------------------------------------------------- LU
def _lu_unpack_arrays(lu: np.ndarray, piv: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    U = np.triu(lu[..., :k, :])
    if piv is None:
        return None, L, U
    perm = _perm_from_pivots(piv, m)
    P = np.zeros((*perm.shape, m), dtype=lu.dtype)
    np.put_along_axis(P, perm[..., :, None], 1, axis=-1)  # (P^T)[i, perm[i]] = 1
    return np.swapaxes(P, -1, -2), L, U


def _linalg_lu_backward(gL: Tensor | None, gU: Tensor | None, P: Tensor | None, L: Tensor, U: Tensor) -> Tensor:
    """linalg_lu_backward: gA = P L^{-H} [L^H gL o 1_L + gU U^H o 1_U] U^{-H} (square), and the wide / tall
    cases with their extra blocks."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        gA = S.tril(matmul(L.mT, gL), -1) if gL is not None else None
        if gU is not None:
            t = S.triu(matmul(gU, U.mT))
            gA = t if gA is None else gA + t
        gA = solve_triangular(U.mT, gA, upper=False, left=False)
        gA = solve_triangular(L.mT, gA, upper=True, left=True, unitriangular=True)
    elif m < n:
        U1, U2 = S.narrow(U, -1, 0, k), S.narrow(U, -1, k, n - k)
        gA = matmul(L.mT, gL) if gL is not None else None
        if gU is not None:
            t = matmul(S.triu(gU), U.mT)
            gA = -t if gA is None else gA - t
        gA = solve_triangular(U1.mT, S.tril(gA, -1), upper=False, left=False)
        if gU is not None:
            gA = J.cat([gA + S.triu(S.narrow(gU, -1, 0, k)), S.narrow(gU, -1, k, n - k)], -1)
        gA = solve_triangular(L.mT, gA, upper=True, left=True, unitriangular=True)
        if gU is None:
            gA = J.cat([gA, U2 * 0.0], -1)
    else:
        L1, L2 = S.narrow(L, -2, 0, k), S.narrow(L, -2, k, m - k)
        gA = matmul(gU, U.mT) if gU is not None else None
        if gL is not None:
            t = matmul(L.mT, S.tril(gL, -1))
            gA = -t if gA is None else gA - t
        gA = solve_triangular(L1.mT, S.triu(gA), upper=True, left=True, unitriangular=True)
        if gL is not None:
            gA = J.cat([gA + S.tril(S.narrow(gL, -2, 0, k), -1), S.narrow(gL, -2, k, m - k)], -2)
        gA = solve_triangular(U.mT, gA, upper=False, left=False)
        if gL is None:
            gA = J.cat([gA, L2 * 0.0], -2)
    return matmul(P, gA) if P is not None else gA


class LinalgLuFactorExBackward0(Node):
    # linalg_lu_factor_ex: A: lu_factor_ex_backward(grad, LU, pivots, pivot)
    #   = linalg_lu_backward(grad.narrow(-1, 0, k), grad.narrow(-2, 0, k), P, L, U, pivot) with lu_unpack(LU)
    def apply(self, grad: Tensor) -> tuple:
        LU, piv = self.saved("LU"), self.pivots
        P, L, U = lu_unpack(LU, piv, True, self.pivot)
        m, n = LU.shape[-2:]
        k = min(m, n)
        return (
            _linalg_lu_backward(S.narrow(grad, -1, 0, k), S.narrow(grad, -2, 0, k), P if self.pivot else None, L, U),
        )


def _lu_checks(fn: str, A: Tensor, pivot: bool) -> None:
    _check_matrix(fn, A, square=False, kernel="lu_cpu")
    if not pivot:
        raise RuntimeError(f"{fn}: LU without pivoting is not implemented on the CPU")


def _lu_factor_ex(fn: str, A: Tensor, pivot: bool) -> tuple[Tensor, Tensor, Tensor]:
    _lu_checks(fn, A, pivot)
    lu, piv, info = _getrf(A._data)
    LU = Tensor._make(_colmajor(lu, A._data.dtype))
    pivots, infos = Tensor._make(piv), Tensor._make(info)
    if grad_recording(A):
        node = LinalgLuFactorExBackward0()
        node.pivot = pivot
        node.pivots = pivots
        record(node, LU, A)
        node.save("LU", LU, is_output=True)
    return LU, pivots, infos


def _check_lu_errors(fn: str, info: np.ndarray) -> None:
    bad = np.flatnonzero(info.reshape(-1) > 0)
    if bad.size:
        i = int(bad[0])
        k = int(info.reshape(-1)[i])
        # torch's _linalg_check_errors raises a plain RuntimeError for LU (not LinAlgError)
        raise RuntimeError(
            f"{fn}: {_batch_prefix(info.shape, i)}U[{k},{k}] is zero and using it on lu_solve would result in a "
            "division by zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) "
            "or linalg.lu_factor_ex(A, pivot)"
        )


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> Any:
    """torch.linalg.lu_factor_ex: (LU, pivots, info), LAPACK getrf's packed factors."""
    _check_tensor(A, "linalg_lu_factor_ex", "A", 1)
    LU, pivots, info = _lu_factor_ex("torch.linalg.lu_factor_ex", A, pivot)
    if check_errors:
        _check_lu_errors("torch.linalg.lu_factor_ex", info._data)
    return _LU_FACTOR_EX(LU, pivots, info)


def lu_factor(A: Tensor, *, pivot: bool = True) -> Any:
    """torch.linalg.lu_factor: (LU, pivots); raises for a zero pivot."""
    _check_tensor(A, "linalg_lu_factor", "A", 1)
    LU, pivots, info = _lu_factor_ex("torch.linalg.lu_factor", A, pivot)
    _check_lu_errors("torch.linalg.lu_factor", info._data)
    return _LU_FACTOR(LU, pivots)


class LinalgLuBackward0(Node):
    # linalg_lu: A: linalg_lu_backward(L_grad, U_grad, P, L, U, pivot)
    def apply(self, gL: Tensor, gU: Tensor) -> tuple:
        P = self.P if self.pivot else None
        return (_linalg_lu_backward(gL, gU, P, self.saved("L"), self.saved("U")),)


def linalg_lu(A: Tensor, *, pivot: bool = True) -> Any:
    """torch.linalg.lu: (P, L, U) with A = P L U."""
    _check_tensor(A, "linalg_lu", "A", 1)
    _lu_checks("linalg.lu", A, pivot)
    lu_, piv, _ = _getrf(A._data)
    p, low, up = _lu_unpack_arrays(lu_, piv)
    dt = A._data.dtype
    P, L, U = (Tensor._make(_colmajor(x, dt)) for x in (p, low, up))
    if grad_recording(A):
        node = LinalgLuBackward0()
        node.pivot, node.P = pivot, P
        record(node, (L, U), A)
        node.save("L", L, is_output=True)
        node.save("U", U, is_output=True)
    return _LU(P, L, U)


class LuUnpackBackward0(Node):
    # lu_unpack: LU_data: lu_unpack_backward(grad_L, grad_U, LU_data.sym_size(-2), LU_data.sym_size(-1))
    #   = L_grad.tril(-1) + U_grad.triu() on their k-wide blocks
    def apply(self, gL: Tensor, gU: Tensor) -> tuple:
        m, n = self.m, self.n
        k = min(m, n)
        if m == n:
            return (S.tril(gL, -1) + S.triu(gU),)
        if m < n:
            return (J.cat([S.tril(gL, -1) + S.triu(S.narrow(gU, -1, 0, k)), S.narrow(gU, -1, k, n - k)], -1),)
        return (J.cat([S.tril(S.narrow(gL, -2, 0, k), -1) + S.triu(gU), S.narrow(gL, -2, k, m - k)], -2),)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True) -> Any:
    """torch.lu_unpack: (P, L, U) from lu_factor's packed factors and pivots (empty tensors where not unpacked)."""
    _check_tensor(LU_data, "lu_unpack", "LU_data", 1)
    _check_tensor(LU_pivots, "lu_unpack", "LU_pivots", 2)
    lu_ = LU_data._data
    if lu_.ndim < 2:
        raise RuntimeError(
            f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: {list(lu_.shape)} instead"
        )
    m, n = lu_.shape[-2:]
    k = min(m, n)
    if unpack_pivots:
        piv = LU_pivots._data
        if piv.dtype != np.int32:
            raise RuntimeError(
                "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                "Note: this function is intended to be used with the output produced by torch.linalg.lu_factor"
            )
        if piv.shape[-1] != k:
            raise RuntimeError(
                f"torch.lu_unpack: Expected LU_pivots.size(-1) == min(LU.size(-1), LU.size(-2)), but got "
                f"{piv.shape[-1]} != {k}"
            )
    p, low, up = _lu_unpack_arrays(lu_, LU_pivots._data if unpack_pivots else None)
    dt = lu_.dtype
    empty = np.zeros((0,), dtype=dt)
    P = Tensor._make(_colmajor(p, dt) if p is not None else empty)
    L = Tensor._make(_colmajor(low, dt) if unpack_data else empty)
    U = Tensor._make(_colmajor(up, dt) if unpack_data else empty.copy())
    if unpack_data and grad_recording(LU_data):
        node = LuUnpackBackward0()
        node.m, node.n = m, n
        record(node, (L, U), LU_data)
    return _LU_UNPACK(P, L, U)


class LinalgLuSolveBackward0(Node):
    # linalg_lu_solve: LU: linalg_lu_solve_LU(grad, LU, pivots, result, left, adjoint)
    #                  B: at::linalg_lu_solve(LU, pivots, grad, left, !adjoint)
    def apply(self, gX: Tensor) -> tuple:
        LU, piv, X = self.saved("LU"), self.pivots, self.saved("result")
        left, adjoint = self.left, self.adjoint
        gLU = gB = None
        if needs(self, 0):
            P, L, U = lu_unpack(LU, piv, True, True)
            if left != adjoint:
                # gR = U^{-H} op_2(-gX) op_2(X)^H; gL = (L^{-H} gR U^H).tril(-1); gLU = gL + gR.triu()
                rhs = -matmul(gX, X.mT) if left else -matmul(gX.mT, X)
                gR = solve_triangular(U.mT, rhs, upper=False)
                gL = S.tril(solve_triangular(L.mT, matmul(gR, U.mT), upper=True, unitriangular=True), -1)
                gLU = gL + S.triu(gR)
            else:
                # gR = -P^T op_3(X) op_1(op_2(gX)) P L^{-H}; gU = (L^H gR U^{-H}).triu(); gLU = gR.tril(-1) + gU
                gR = -matmul(matmul(matmul(P.mT, X if left else X.mT), gX.mT if left else gX), P)
                gR = solve_triangular(L.mT, gR, upper=True, left=False, unitriangular=True)
                gU = S.triu(solve_triangular(U.mT, matmul(L.mT, gR), upper=False, left=False))
                gLU = S.tril(gR, -1) + gU
        if needs(self, 2):
            gB = linalg_lu_solve(LU, piv, gX, left=left, adjoint=not adjoint)
        return gLU, None, gB


def _lu_solve_arrays(lu_: np.ndarray, piv: np.ndarray, b: np.ndarray, adjoint: bool) -> np.ndarray:
    """A X = B (A^H X = B with ``adjoint``) for A = P L U given by getrf's packed factors (getrs)."""
    m = lu_.shape[-1]
    perm = _perm_from_pivots(piv, m)
    batch = np.broadcast_shapes(lu_.shape[:-2], b.shape[:-2])
    perm = np.broadcast_to(perm, (*batch, m))
    b = np.broadcast_to(b, (*batch, *b.shape[-2:]))
    if not adjoint:
        pb = np.take_along_axis(b, perm[..., :, None], axis=-2)  # P^T B
        y = _trsm(lu_, pb, upper=False, unit=True)
        return _trsm(lu_, y, upper=True, unit=False)
    lt = np.swapaxes(lu_, -1, -2)
    y = _trsm(lt, b, upper=False, unit=False)  # U^T y = B
    z = _trsm(lt, y, upper=True, unit=True)  # L^T z = y
    x = np.empty_like(z)
    np.put_along_axis(x, perm[..., :, None], z, axis=-2)  # X = P z
    return x


def linalg_lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """torch.linalg.lu_solve: X with A X = B (A^H with ``adjoint``; X A = B with ``left=False``), A given by
    lu_factor's LU and pivots."""
    _check_tensor(LU, "linalg_lu_solve", "LU", 1)
    _check_tensor(pivots, "linalg_lu_solve", "pivots", 2)
    _check_tensor(B, "linalg_lu_solve", "B", 3)
    _check_matrix("linalg.lu_solve", LU, kernel="lu_solve_cpu", arg="LU")
    if B._data.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    _check_same_dtype("linalg.lu_solve", LU, B, "LU", "B")
    n = LU._data.shape[-1]
    if (B._data.shape[-2] if left else B._data.shape[-1]) != n:
        raise RuntimeError(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
            f"({n}x{n} and {B._data.shape[-2]}x{B._data.shape[-1]})"
        )
    lu_, piv, b = LU._data, pivots._data, B._data
    if left:
        x = _lu_solve_arrays(lu_, piv, b, adjoint)
    else:
        # X A = B  <=>  A^H X^H = B^H
        x = np.swapaxes(_lu_solve_arrays(lu_, piv, np.swapaxes(b, -1, -2), not adjoint), -1, -2)
    out = Tensor._make(_colmajor(x, lu_.dtype))
    if grad_recording(LU, B):
        node = LinalgLuSolveBackward0()
        node.left, node.adjoint, node.pivots = left, adjoint, pivots
        record(node, out, LU, None, B)
        node.save("LU", LU)
        node.save("result", out, is_output=True)
    return out


_LU_WARNED = [False]
_LU_SOLVE_WARNED = [False]


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False) -> Any:
    """The legacy torch.lu: linalg.lu_factor_ex's (LU, pivots[, infos])."""
    if not _LU_WARNED[0]:  # TORCH_WARN_ONCE
        _LU_WARNED[0] = True
        warnings.warn(
            "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be "
            "removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced "
            "with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = torch.lu(A, "
            "compute_pivots, get_infos=True)\nshould be replaced with\nLU, pivots, info = "
            "torch.linalg.lu_factor_ex(A, compute_pivots)",
            UserWarning,
            stacklevel=2,
        )
    _check_tensor(A, "_lu_with_info", "self", 1)
    # torch's _lu_with_info does not raise for a singular matrix, with or without get_infos
    LU, pivots, info = _lu_factor_ex("torch.linalg.lu_factor_ex", A, pivot)
    if not get_infos:
        return LU, pivots
    return LU, pivots, info


def lu_solve(input: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """The legacy torch.lu_solve(b, LU, pivots): linalg.lu_solve with its arguments reversed."""
    if not _LU_SOLVE_WARNED[0]:  # TORCH_WARN_ONCE
        _LU_SOLVE_WARNED[0] = True
        warnings.warn(
            "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future PyTorch "
            "release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = torch.lu_solve(B, LU, "
            "pivots)\nshould be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)",
            UserWarning,
            stacklevel=2,
        )
    return linalg_lu_solve(LU_data, LU_pivots, input)


# --------------------------------------------------------------------------- _ex variants
def _info(batch: tuple, fill: np.ndarray | None = None) -> Tensor:
    return Tensor._make(np.zeros(batch, dtype=np.int32) if fill is None else fill.astype(np.int32))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:
    """torch.linalg.inv_ex: (inverse, info); info > 0 names the zero pivot of a singular matrix."""
    _check_tensor(A, "linalg_inv_ex", "A", 1)
    _check_matrix("linalg.inv", A)
    a = A._data
    n = a.shape[-1]
    _, _, info = _getrf(a) if a.size else (None, None, np.zeros(a.shape[:-2], np.int32))
    if info.any():
        if check_errors:
            i = int(np.flatnonzero(info.reshape(-1))[0])
            raise _LinAlgError(
                f"linalg.inv_ex: {_batch_prefix(a.shape[:-2], i)}The diagonal element {int(info.reshape(-1)[i])} is "
                "zero, the inversion could not be completed because the input matrix is singular."
            )
        lu_, piv, _ = _getrf(a)
        inv_ = _lu_solve_arrays(lu_, piv, np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape), False)
    else:
        inv_ = np.linalg.inv(a) if a.size else np.zeros_like(a)
    out = Tensor._make(_colmajor(inv_, a.dtype))
    if grad_recording(A):
        node = LinalgInvExBackward0()
        record(node, out, A)
        node.save("inverse", out, is_output=True)
    return _INV_EX(out, _info(a.shape[:-2], info))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> Any:
    """torch.linalg.solve_ex: (result, info) of linalg.solve."""
    a = A._data
    info = np.zeros(a.shape[:-2], np.int32)
    if a.ndim >= 2 and a.shape[-1] == a.shape[-2] and a.size and a.dtype.kind == "f":
        info = _getrf(a)[2]
    if info.any() and check_errors:
        i = int(np.flatnonzero(info.reshape(-1))[0])
        raise _LinAlgError(
            f"torch.linalg.solve_ex: {_batch_prefix(info.shape, i)}The solver failed because the input matrix is "
            "singular."
        )
    if info.any():
        # torch's getrs divides by the zero pivot: the result holds infinities / NaNs
        lu_, piv, _ = _getrf(a)
        vector = B._data.ndim == 1 or (a.ndim - 1 == B._data.ndim and B._data.shape == a.shape[:-1])
        b = B._data[..., None] if vector else B._data
        if not left:
            x = np.swapaxes(_lu_solve_arrays(lu_, piv, np.swapaxes(b, -1, -2), True), -1, -2)
        else:
            x = _lu_solve_arrays(lu_, piv, b, False)
        res = Tensor._make(np.ascontiguousarray(x[..., 0]) if vector else _colmajor(x, a.dtype))
        if grad_recording(A, B):
            node = LinalgSolveExBackward0()
            node.vector = vector
            record(node, res, A, B)
            node.save("A", A)
            node.save("result", res, is_output=True)
        return _SOLVE_EX(res, _info(info.shape, info))
    res = solve(A, B, left=left)
    return _SOLVE_EX(res, _info(info.shape, info))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:
    """torch.linalg.cholesky_ex: (L, info); info > 0 is the order of the first leading minor that is not
    positive-definite (L then holds the factor computed so far)."""
    _check_tensor(A, "linalg_cholesky_ex", "A", 1)
    if check_errors:
        L = _cholesky("linalg.cholesky_ex", A, upper, LinalgCholeskyExBackward0)
        return _CHOLESKY_EX(L, _info(A._data.shape[:-2]))
    _check_matrix("linalg.cholesky", A, kernel="cholesky_cpu", arg="input")
    a = A._data
    try:
        return _CHOLESKY_EX(linalg_cholesky(A, upper=upper), _info(a.shape[:-2]))
    except _LinAlgError:
        pass
    flat = a.reshape(-1, *a.shape[-2:])
    info = np.zeros(flat.shape[0], np.int32)
    res = np.zeros_like(flat)
    for i, mat in enumerate(flat):
        low = np.tril(mat)
        for k in range(1, mat.shape[-1] + 1):
            try:
                low[:k, :k] = np.linalg.cholesky(mat[:k, :k])
            except np.linalg.LinAlgError:
                info[i] = k
                break
        res[i] = low
    res = res.reshape(a.shape)
    out = Tensor._make(_colmajor(np.swapaxes(res, -1, -2) if upper else res, a.dtype))
    if grad_recording(A):
        node = LinalgCholeskyExBackward0()
        node.upper = upper
        record(node, out, A)
        node.save("L", out, is_output=True)
    return _CHOLESKY_EX(out, _info(a.shape[:-2], info.reshape(a.shape[:-2])))


# --------------------------------------------------------------------------- cholesky_solve / cholesky_inverse
class CholeskySolveBackward0(Node):
    # cholesky_solve: self, input2: cholesky_solve_backward(grad, self, input2, result, upper, grad_input_mask)
    #   grad_self = cholesky_solve(grad, input2, upper); common = grad_self X^H + (grad_self X^H)^H
    #   grad_input2 = -input2 common (upper) or -common input2
    def apply(self, grad: Tensor) -> tuple:
        L, X = self.saved("input2"), self.saved("result")
        g_self = cholesky_solve(grad, L, self.upper)
        g_l = None
        if needs(self, 1):
            common = matmul(g_self, X.mT)
            common = common + common.mT
            g_l = -matmul(L, common) if self.upper else -matmul(common, L)
        return g_self if needs(self, 0) else None, g_l


def _cholesky_solve_arrays(b: np.ndarray, f: np.ndarray, upper: bool) -> np.ndarray:
    """A^{-1} B for A = L L^H (or U^H U), reading only the factor's triangle (potrs)."""
    ft = np.swapaxes(f, -1, -2)
    if upper:
        return _trsm(f, _trsm(ft, b, False, False), True, False)
    return _trsm(ft, _trsm(f, b, False, False), True, False)


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky_solve(B, L): X with A X = B for A = L L^H given its Cholesky factor (U^H U if ``upper``)."""
    _check_tensor(input, "cholesky_solve", "self", 1)
    _check_tensor(input2, "cholesky_solve", "input2", 2)
    _check_same_dtype("cholesky_solve", input, input2, "self", "input2")
    b, f = input._data, input2._data
    if b.ndim < 2 or f.ndim < 2:
        raise RuntimeError(
            f"b should have at least 2 dimensions, but has {b.ndim} dimensions instead"
            if b.ndim < 2
            else f"u should have at least 2 dimensions, but has {f.ndim} dimensions instead"
        )
    n = f.shape[-1]
    if f.shape[-2] != n:
        raise RuntimeError(
            f"cholesky_solve: A must be batches of square matrices, but they are {f.shape[-2]} by {n} matrices"
        )
    if b.shape[-2] != n:
        raise RuntimeError(
            f"cholesky_solve: Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by {n} but each b "
            f"matrix is {b.shape[-2]} by {b.shape[-1]}"
        )
    out = Tensor._make(_colmajor(_cholesky_solve_arrays(b, f, upper), b.dtype))
    if grad_recording(input, input2):
        node = CholeskySolveBackward0()
        node.upper = upper
        record(node, out, input, input2)
        node.save("input2", input2)
        node.save("result", out, is_output=True)
    return out


class CholeskyInverseBackward0(Node):
    # cholesky_inverse: self: cholesky_inverse_backward(grad, self, upper, result)
    #   common = inverse (grad + grad^H) inverse; grad_L = -L common (upper) or -common L
    def apply(self, grad: Tensor) -> tuple:
        L, inv_ = self.saved("self"), self.saved("result")
        common = matmul(inv_, matmul(grad + grad.mT, inv_))
        return (-matmul(L, common) if self.upper else -matmul(common, L),)


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky_inverse(L): (L L^H)^{-1} (or (U^H U)^{-1}) from a Cholesky factor's triangle (potri)."""
    _check_tensor(input, "cholesky_inverse", "self", 1)
    _check_matrix("cholesky_inverse", input, kernel="cholesky_inverse_out_cpu", arg="input")
    f = input._data
    eye = np.broadcast_to(np.eye(f.shape[-1], dtype=f.dtype), f.shape)
    res = _cholesky_solve_arrays(eye, f, upper)
    res = (res + np.swapaxes(res, -1, -2)) / 2  # potri fills one triangle and mirrors it: exactly symmetric
    out = Tensor._make(_colmajor(res, f.dtype))
    if grad_recording(input):
        node = CholeskyInverseBackward0()
        node.upper = upper
        record(node, out, input)
        node.save("self", input)
        node.save("result", out, is_output=True)
    return out


# --------------------------------------------------------------------------- exports
__all__ = ["cholesky_inverse", "cholesky_solve", "lu", "lu_solve", "lu_unpack", "triangular_solve"]
METHODS: dict = {
    "cholesky_inverse": cholesky_inverse, "cholesky_solve": cholesky_solve, "lu": lu, "lu_solve": lu_solve,
    "triangular_solve": triangular_solve,
}  # fmt: skip


# --------------------------------------------------------------------------- LDL (Bunch-Kaufman)
_LDL_FACTOR = _return_type("linalg_ldl_factor", ("LD", "pivots"))
_LDL_FACTOR_EX = _return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
_BK_ALPHA = (1.0 + 17.0**0.5) / 8.0


def _sytf2_lower(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """LAPACK sytf2 (lower): the Bunch-Kaufman factorization P L D L^T P^T of one symmetric matrix given by
    its lower triangle; (LD lower, 1-based pivots negative for 2x2 blocks, info)."""
    n = a.shape[-1]
    s = np.tril(a) + np.tril(a, -1).T  # the symmetric matrix the lower triangle stands for
    piv = np.zeros(n, np.int32)
    info = 0
    k = 0
    with np.errstate(all="ignore"):
        while k < n:
            kstep = 1
            absakk = abs(s[k, k])
            if k < n - 1:
                imax = k + 1 + int(np.argmax(np.abs(s[k + 1 :, k])))
                colmax = abs(s[imax, k])
            else:
                imax, colmax = k, 0.0
            if max(absakk, colmax) == 0 or np.isnan(absakk):
                info = info or k + 1
                kp = k
            else:
                if absakk >= _BK_ALPHA * colmax:
                    kp = k
                else:
                    rowmax = np.abs(s[imax, k:imax]).max()
                    if imax < n - 1:
                        rowmax = max(rowmax, np.abs(s[imax + 1 :, imax]).max())
                    if absakk >= _BK_ALPHA * colmax * (colmax / rowmax):
                        kp = k
                    elif abs(s[imax, imax]) >= _BK_ALPHA * rowmax:
                        kp = imax
                    else:
                        kp, kstep = imax, 2
                kk = k + kstep - 1
                if kp != kk:  # interchange rows and columns kk and kp of the trailing submatrix
                    idx = np.arange(k, n)
                    perm = idx.copy()
                    perm[kk - k], perm[kp - k] = kp, kk
                    sub = s[np.ix_(perm, perm)]
                    s[k:, k:] = sub
                if kstep == 1:
                    if k < n - 1:
                        d11 = 1.0 / s[k, k]
                        x = s[k + 1 :, k].copy()
                        s[k + 1 :, k + 1 :] += np.outer(x, -d11 * x)
                        s[k + 1 :, k] = x * d11
                        s[k, k + 1 :] = s[k + 1 :, k]
                elif k < n - 2:
                    d21 = s[k + 1, k]
                    d11 = s[k + 1, k + 1] / d21
                    d22 = s[k, k] / d21
                    t = 1.0 / (d11 * d22 - 1.0)
                    d21 = t / d21
                    c1, c2 = s[k + 2 :, k].copy(), s[k + 2 :, k + 1].copy()
                    wk = d21 * (d11 * c1 - c2)
                    wkp1 = d21 * (d22 * c2 - c1)
                    s[k + 2 :, k + 2 :] -= np.outer(c1, wk) + np.outer(c2, wkp1)
                    s[k + 2 :, k], s[k + 2 :, k + 1] = wk, wkp1
                    s[k, k + 2 :], s[k + 1, k + 2 :] = wk, wkp1
            if kstep == 1:
                piv[k] = kp + 1
            else:
                piv[k] = piv[k + 1] = -(kp + 1)
            k += kstep
    return np.tril(s), piv, info


def _ldl(fn: str, A: Tensor, hermitian: bool) -> tuple[Tensor, Tensor, Tensor]:
    _check_matrix(fn, A, kernel="linalg_ldl_factor_ex_cpu")
    a = A._data
    n = a.shape[-1]
    flat = a.reshape(int(np.prod(a.shape[:-2], dtype=np.int64)), n, n)
    lds, pivs, infos = [], [], []
    for mat in flat:
        ld, piv, info = _sytf2_lower(mat)
        lds.append(ld)
        pivs.append(piv)
        infos.append(info)
    ld = np.stack(lds).reshape(a.shape) if lds else np.zeros_like(a)
    piv = np.stack(pivs).reshape(*a.shape[:-1]) if pivs else np.zeros(a.shape[:-1], np.int32)
    info = np.asarray(infos, np.int32).reshape(a.shape[:-2])
    return Tensor._make(_colmajor(ld, a.dtype)), Tensor._make(piv), Tensor._make(info)


def _check_ldl_errors(fn: str, info: np.ndarray) -> None:
    """torch's _linalg_check_errors has no case for sytrf's info > 0 (a zero 1x1 block of D), so it ends in its
    internal assert, whose text (with its source line) is what torch raises."""
    bad = info.reshape(-1)[info.reshape(-1) != 0]
    if bad.size:
        line = 1681 if since("2.14") else 1642  # the assert's source line moved in torch 2.14
        raise RuntimeError(
            f'false INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp":{line}, '
            f"please report a bug to PyTorch. {fn}: Unknown error code: {int(bad[0])}."
        )


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False) -> Any:
    """torch.linalg.ldl_factor_ex: (LD, pivots, info), LAPACK sytrf's Bunch-Kaufman factors of A's lower
    triangle."""
    _check_tensor(A, "linalg_ldl_factor_ex", "self", 1)
    LD, pivots, info = _ldl("torch.linalg.ldl_factor_ex", A, hermitian)
    if check_errors:
        _check_ldl_errors("torch.linalg.ldl_factor_ex", info._data)
    return _LDL_FACTOR_EX(LD, pivots, info)


def ldl_factor(A: Tensor, *, hermitian: bool = False) -> Any:
    """torch.linalg.ldl_factor: (LD, pivots)."""
    _check_tensor(A, "linalg_ldl_factor", "self", 1)
    LD, pivots, info = _ldl("torch.linalg.ldl_factor", A, hermitian)
    _check_ldl_errors("torch.linalg.ldl_factor", info._data)
    return _LDL_FACTOR(LD, pivots)


def _sytrs_lower(ld: np.ndarray, piv: np.ndarray, b: np.ndarray) -> np.ndarray:
    """LAPACK sytrs (lower): X with A X = B for A = P L D L^T P^T given by sytrf's LD and pivots."""
    n = ld.shape[-1]
    x = np.array(b, copy=True)
    with np.errstate(all="ignore"):
        k = 0
        while k < n:
            if piv[k] > 0:
                kp = piv[k] - 1
                if kp != k:
                    x[[k, kp]] = x[[kp, k]]
                if k < n - 1:
                    x[k + 1 :] -= np.outer(ld[k + 1 :, k], x[k])
                x[k] /= ld[k, k]
                k += 1
            else:
                kp = -piv[k] - 1
                if kp != k + 1:
                    x[[k + 1, kp]] = x[[kp, k + 1]]
                if k < n - 2:
                    x[k + 2 :] -= np.outer(ld[k + 2 :, k], x[k])
                    x[k + 2 :] -= np.outer(ld[k + 2 :, k + 1], x[k + 1])
                akm1k = ld[k + 1, k]
                akm1 = ld[k, k] / akm1k
                ak = ld[k + 1, k + 1] / akm1k
                denom = akm1 * ak - 1.0
                bkm1, bk = x[k] / akm1k, x[k + 1] / akm1k
                x[k], x[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
                k += 2
        k = n - 1
        while k >= 0:
            if piv[k] > 0:
                if k < n - 1:
                    x[k] -= ld[k + 1 :, k] @ x[k + 1 :]
                kp = piv[k] - 1
                if kp != k:
                    x[[k, kp]] = x[[kp, k]]
                k -= 1
            else:
                if k < n - 1:
                    x[k] -= ld[k + 1 :, k] @ x[k + 1 :]
                    x[k - 1] -= ld[k + 1 :, k - 1] @ x[k + 1 :]
                kp = -piv[k] - 1
                if kp != k:
                    x[[k, kp]] = x[[kp, k]]
                k -= 2
    return x


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False) -> Tensor:
    """torch.linalg.ldl_solve: X with A X = B from ldl_factor's (LD, pivots)."""
    _check_tensor(LD, "linalg_ldl_solve", "LD", 1)
    _check_tensor(pivots, "linalg_ldl_solve", "pivots", 2)
    _check_tensor(B, "linalg_ldl_solve", "B", 3)
    _check_matrix("torch.linalg.ldl_solve", LD, kernel="linalg_ldl_solve_cpu", arg="LD")
    ld, piv, b = LD._data, pivots._data, B._data
    n = ld.shape[-1]
    batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    count = int(np.prod(batch, dtype=np.int64))
    ldf = np.broadcast_to(ld, (*batch, n, n)).reshape(count, n, n)
    pf = np.broadcast_to(piv, (*batch, n)).reshape(count, n)
    bf = np.broadcast_to(b, (*batch, *b.shape[-2:])).reshape(count, *b.shape[-2:])
    xs = [_sytrs_lower(ldf[i], pf[i], bf[i]) for i in range(bf.shape[0])]
    x = np.stack(xs).reshape(*batch, *b.shape[-2:]) if xs else np.zeros((*batch, *b.shape[-2:]), b.dtype)
    return Tensor._make(_colmajor(x, b.dtype))
