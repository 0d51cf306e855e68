# ruff: noqa: N803, N806 - the linear-algebra names of torch and its formulas (A, Q, R, gA ...)
"""torch.linalg's decompositions, solvers and norms, and their top-level aliases (inverse, det, cdist ...),
plus matrix_exp and the legacy torch.svd / torch.qr (torch.linalg's own are ``linalg_svd`` / ``linalg_qr``
here; ``reference_engine.linalg`` exports them under their torch.linalg names).

Forward values come from NumPy's LAPACK wrappers (the same routines torch calls: getrf/getri, potrf,
geqrf, syevd, gesdd), so results agree with torch to rounding, including the signs of QR factors.
Eigenvectors and singular vectors are unique only up to sign; tests compare sign-free quantities.

Backward formulas are torch's (FunctionsManual.cpp: linalg_det_backward, cholesky_backward,
linalg_qr_backward, linalg_eig_backward, svd_backward, pinv_backward ...) written with engine ops, so
double backward records a graph too. Triangular solves are done with the general ``solve`` (equal up to
rounding, and differentiable). A node with several outputs receives zeros for the unused ones, which is
what torch's "undefined grad" branches reduce to.
"""

from __future__ import annotations

import collections
import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .._torch_version import since
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from . import _autocast
from . import join as J
from . import pointwise as P
from . import reduction as R
from . import shape as S
from ._util import _FROM_NUMPY, binary_arrays, cj, grad_recording, needs, record, record_saving, wrap_dims
from .blas import _SCALAR_NAMES, _check_tensor, matmul


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (torch._C._LinAlgError): a RuntimeError raised for singular or non-PD inputs."""


LinAlgError = _LinAlgError


def _return_type(name: str, fields: tuple[str, ...]) -> type:
    """torch.return_types.<name>: a named tuple printed the way torch prints it."""
    base = collections.namedtuple(name, fields)  # type: ignore[misc]

    def __repr__(self: Any) -> str:  # noqa: N807
        body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "torch.return_types"})


_SLOGDET = _return_type("linalg_slogdet", ("sign", "logabsdet"))
_TSLOGDET = _return_type("slogdet", ("sign", "logabsdet"))
_QR = _return_type("linalg_qr", ("Q", "R"))
_EIGH = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
_SVD = _return_type("linalg_svd", ("U", "S", "Vh"))
_LSTSQ = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


# --------------------------------------------------------------------------- checks and helpers
def _type_name(t: Tensor) -> str:
    return _SCALAR_NAMES[_FROM_NUMPY[t._data.dtype].name]


def _check_float(fn: str, t: Tensor) -> None:
    if t._data.dtype.kind not in "fc":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {_type_name(t)}")


def _check_half(fn: str, t: Tensor, kernel: str | None) -> None:
    """Half has no LAPACK kernels: some ops check first (``kernel`` None), others fail in dispatch."""
    if t._data.dtype == np.float16:
        if kernel is None:
            raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got Half")
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Half'")


def _check_matrix(
    fn: str, t: Tensor, square: bool = True, floating: bool = True, kernel: str | None = None, arg: str = "A"
) -> None:
    """torch's checks in its order: type, rank, squareness, then dtype (``kernel``: see ``_check_half``)."""
    _check_tensor(t, fn.replace("torch.", "").replace(".", "_"), arg, 1)
    if t._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    m, n = t._data.shape[-2:]
    if square and m != n:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are {m} by {n} matrices")
    if floating:
        _check_float(fn, t)
    _check_half(fn, t, kernel)


def _batch_prefix(batch_shape: tuple, flat_index: int) -> str:
    # torch names the first failing batch element by its flat index, and only for batched inputs
    return f"(Batch element {flat_index}): " if batch_shape else ""


def _first_zero_pivot(a: np.ndarray) -> int:
    """1-based index of the first exactly-zero pivot of LU with partial pivoting (LAPACK getrf's info), or 0."""
    u = np.array(a)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1 :, k:] -= np.outer(u[k + 1 :, k] / u[k, k], u[k, k:])
    return 0


def _singular_element(a: np.ndarray) -> tuple[int, int]:
    """The flat batch index of the first matrix LU finds singular, and its zero pivot (1-based)."""
    for i, mat in enumerate(a.reshape(-1, *a.shape[-2:])):
        k = _first_zero_pivot(mat)
        if k:
            return i, k
    return 0, a.shape[-1]


def _colmajor(arr: np.ndarray, dtype: Any) -> np.ndarray:
    """``arr`` in ``dtype``, each matrix stored column-major: the layout of torch's LAPACK results, which
    decides later view/reshape node names (ViewBackward0 vs ReshapeAliasBackward0) and ``stride()``."""
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(arr, -1, -2), dtype=dtype), -1, -2)


def _const(arr: Any) -> Tensor:
    return Tensor._make(arr)


def _eye_like(t: Tensor, n: int) -> Tensor:
    return _const(t._xp.eye(n, dtype=t._data.dtype))


def _diag_embed(v: Tensor) -> Tensor:
    """A batch of diagonal matrices from a batch of vectors (differentiable)."""
    return v.unsqueeze(-1) * _eye_like(v, v._data.shape[-1])


def _scalar_mat(v: Tensor) -> Tensor:
    return v.unsqueeze(-1).unsqueeze(-1)


# --------------------------------------------------------------------------- inv
class LinalgInvExBackward0(Node):
    # linalg_inv_ex: A: -at::matmul(inverse.mH(), at::matmul(grad, inverse.mH()))
    def apply(self, grad: Tensor) -> tuple:
        inv_h = self.saved("inverse").mH
        return (-matmul(inv_h, matmul(grad, inv_h)),)


def _inv_values(fn: str, a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        i, k = _singular_element(a)
        raise _LinAlgError(
            f"{fn}: {_batch_prefix(a.shape[:-2], i)}The diagonal element {k} is zero, the inversion could not be "
            "completed because the input matrix is singular."
        ) from None


def inv(A: Tensor) -> Tensor:
    """torch.linalg.inv: the inverse of each square matrix (LinAlgError naming the zero pivot if singular)."""
    _check_matrix("linalg.inv", A)
    out = Tensor._make(_colmajor(_inv_values("linalg.inv", A._data), A._data.dtype))
    if grad_recording(A):
        node = LinalgInvExBackward0()
        record(node, out, A)
        node.save("inverse", out, is_output=True)
    return out


def inverse(input: Tensor) -> Tensor:
    """torch.inverse: the same op as linalg.inv."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(inverse, False, (), locals())
    _check_tensor(input, "inverse", "input", 1)
    return inv(input)


# --------------------------------------------------------------------------- det / slogdet / logdet
def _det_grad_matrix(A: Tensor, det_: Tensor) -> Tensor:
    """A^{-H}, differentiable; a matrix whose determinant is exactly zero gets zeros, as torch's LU-based
    formula gives there (its factor ``grad * det`` is zero), so it is replaced by the identity first."""
    singular = det_._data == 0
    if not singular.any():
        return inv(A).mH
    mask = _const(singular[..., None, None])
    return P.where(mask, 0.0, inv(P.where(mask, _eye_like(A, A._data.shape[-1]), A)).mH)


class LinalgDetBackward0(Node):
    # linalg_det: A: linalg_det_backward(grad, result, A, LU, pivots) = (grad * det.conj()) * A^{-H}
    def apply(self, grad: Tensor) -> tuple:
        A, det_ = self.saved("A"), self.saved("result")
        if A._data.shape[-1] <= 1:
            # torch's gradient of a 0x0 or 1x1 determinant is the incoming grad (a cofactor of 1), with no
            # history of A (a leaf even under create_graph)
            return (_scalar_mat(grad) * _const(np.ones(A._data.shape, dtype=A._data.dtype)),)
        return (_scalar_mat(grad * cj(det_)) * _det_grad_matrix(A, det_),)


def linalg_det(A: Tensor) -> Tensor:
    """torch.linalg.det."""
    _check_matrix("linalg.det", A, kernel="lu_cpu")
    out = Tensor._make(np.asarray(np.linalg.det(A._data), dtype=A._data.dtype))
    if grad_recording(A):
        record_saving(LinalgDetBackward0(), out, {"A": A}, save_result=True)
    return out


class LinalgSlogdetBackward0(Node):
    # linalg_slogdet: A: slogdet_backward(grad_sign, grad_logabsdet, A, sign, LU, pivots)
    #   real A: grad_logabsdet * A^{-H} (the sign is locally constant)
    def apply(self, grad_sign: Tensor, grad_logabsdet: Tensor) -> tuple:
        A, sign = self.saved("A"), self.saved("sign")
        g = grad_logabsdet
        if sign.is_complex():
            # complex A: g = grad_logabsdet - i * imag(grad_sign.conj() * sign), then g * A^{-H}
            g = g - (cj(grad_sign) * sign).imag * 1j
        return (_scalar_mat(g) * _det_grad_matrix(A, sign),)


def _slogdet(fn: str, A: Tensor, cls: type) -> Any:
    _check_matrix(fn, A)
    sign, logabs = np.linalg.slogdet(A._data)
    dt = A._data.dtype
    outs = (Tensor._make(np.asarray(sign, dtype=dt)), Tensor._make(np.asarray(logabs, dtype=dt.type(0).real.dtype)))
    if grad_recording(A):
        node = LinalgSlogdetBackward0()
        record(node, outs, A)
        node.save("A", A)
        node.save("sign", outs[0], is_output=True)
    return cls(*outs)


def det(input: Tensor) -> Tensor:
    """torch.det: linalg.det under its top-level name."""
    _check_tensor(input, "det", "input", 1)
    return linalg_det(input)


def linalg_slogdet(A: Tensor) -> Any:
    """torch.linalg.slogdet: (sign, log|det|)."""
    return _slogdet("linalg.slogdet", A, _SLOGDET)


def slogdet(input: Tensor) -> Any:
    """torch.slogdet: linalg.slogdet under torch's top-level result name."""
    _check_tensor(input, "slogdet", "input", 1)
    return _slogdet("linalg.slogdet", input, _TSLOGDET)


def logdet(input: Tensor) -> Tensor:
    """torch.logdet: log(det), NaN for a negative determinant (torch: where(sign == -1, nan, logabsdet))."""
    _check_tensor(input, "logdet", "input", 1)
    sign, logabs = _slogdet("linalg.slogdet", input, _TSLOGDET)
    if sign.is_complex():  # torch: log(sign) + logabsdet
        return sign.log() + logabs
    return P.where(sign == -1, math.nan, logabs)


# --------------------------------------------------------------------------- solve
def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    # linalg_solve_is_vector_rhs
    b = B._data.shape
    return len(b) == 1 or (A._data.ndim - 1 == len(b) and b == A._data.shape[:-1])


class LinalgSolveExBackward0(Node):
    # linalg_solve_ex: A, B: linalg_solve_backward(grad, result, A, LU, pivots, left, grad_input_mask[1])
    #   gB = solve(A^H, grad); gA = -gB X^H (vector right-hand side: an outer product)
    def apply(self, grad: Tensor, grad_info: Tensor | None = None) -> tuple:
        A, X = self.saved("A"), self.saved("result")
        gB = solve(A.mH, grad)
        gA = None
        if needs(self, 0):
            gA = -(gB.unsqueeze(-1) * cj(X).unsqueeze(-2)) if self.vector else -matmul(gB, X.mH)
        return gA, gB if needs(self, 1) else None


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """torch.linalg.solve: X with A X = B (``left=False``: X A = B); B may be a vector or a batch of them."""
    if not left:
        return solve(A.mT, B.mT).mT
    _check_tensor(A, "linalg_solve", "A", 1)
    _check_tensor(B, "linalg_solve", "B", 2)
    _check_matrix("linalg.solve", A, kernel="lu_cpu")
    _check_float("linalg.solve", B)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type {_type_name(A)} and B of "
            f"type {_type_name(B)} instead"
        )
    vector = _is_vector_rhs(A, B)
    b = B._data[..., None] if vector else B._data
    n = A._data.shape[-1]
    if b.shape[-2] != n:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and "
            f"{b.shape[-2]}x{b.shape[-1]})"
        )
    batch = np.broadcast_shapes(A._data.shape[:-2], b.shape[:-2])
    a_full = np.broadcast_to(A._data, (*batch, n, n))
    b_full = np.broadcast_to(b, (*batch, *b.shape[-2:]))
    try:
        x = np.linalg.solve(a_full, b_full)
    except np.linalg.LinAlgError:
        i, _ = _singular_element(a_full)
        raise _LinAlgError(
            f"torch.linalg.solve: {_batch_prefix(batch, i)}The solver failed because the input matrix is singular."
        ) from None
    dt = A._data.dtype
    out = Tensor._make(np.ascontiguousarray(x[..., 0], dtype=dt) if vector else _colmajor(x, dt))
    if grad_recording(A, B):
        node = LinalgSolveExBackward0()
        node.vector = vector
        record(node, out, A, B)
        node.save("A", A)
        node.save("result", out, is_output=True)
    return out


# --------------------------------------------------------------------------- cholesky
def _cholesky_backward(grad: Tensor, L: Tensor, upper: bool) -> Tensor:
    """cholesky_backward: gA = L^{-H} Phi(L^H gL) L^{-1}, Phi = lower triangle with the diagonal halved."""
    gL = grad.mH if upper else grad
    L_ = L.mH if upper else L
    phi = S.tril(matmul(L_.mH, gL))
    phi = (phi + S.tril(phi, -1).mH) * 0.5
    if phi.is_complex():  # torch symmetrizes the result (0.5 (gA + gA^H)): phi's Hermitian part
        phi = (phi + phi.mH) * 0.5
    ga = solve(L_.mH, phi)  # L^{-H} phi
    return solve(L_.mT, ga.mT).mT  # ... L^{-1}


class LinalgCholeskyExBackward0(Node):
    # linalg_cholesky_ex: self: cholesky_backward(grad, upper, L)
    def apply(self, grad: Tensor, grad_info: Tensor | None = None) -> tuple:
        return (_cholesky_backward(grad, self.saved("L"), self.upper),)


class CholeskyBackward0(LinalgCholeskyExBackward0):
    # cholesky (deprecated): self: cholesky_backward(grad, upper, result)
    pass


def _cholesky(fn: str, A: Tensor, upper: bool, node_cls: type) -> Tensor:
    _check_matrix("linalg.cholesky", A, kernel="cholesky_cpu", arg="input")
    a = A._data
    try:
        low = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        flat = a.reshape(-1, *a.shape[-2:])
        for i, mat in enumerate(flat):
            for k in range(1, mat.shape[-1] + 1):
                try:
                    np.linalg.cholesky(mat[:k, :k])
                except np.linalg.LinAlgError:
                    raise _LinAlgError(
                        f"{fn}: {_batch_prefix(a.shape[:-2], i)}The factorization could not be completed because "
                        f"the input is not positive-definite (the leading minor of order {k} is not "
                        "positive-definite)."
                    ) from None
        raise
    out = Tensor._make(_colmajor(np.swapaxes(low, -1, -2) if upper else low, a.dtype))
    if grad_recording(A):
        node = node_cls()
        node.upper = upper
        record(node, out, A)
        node.save("L", out, is_output=True)
    return out


def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """torch.linalg.cholesky: lower factor L with A = L L^H (reads the lower triangle only)."""
    return _cholesky("linalg.cholesky", A, upper, LinalgCholeskyExBackward0)


_CHOLESKY_WARNING = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future PyTorch "
    "release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\nand\n"
    "U = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
    "This transform will produce equivalent results for all valid (symmetric positive definite) inputs."
)


# torch 2.14 removed torch.cholesky and torch.qr (deprecated since 1.9): the names remain and raise this
_CHOLESKY_REMOVED = (
    "This function was deprecated since version 1.9 and is now removed. `torch.cholesky` is deprecated in favor of "
    "`torch.linalg.cholesky`.\nL = torch.cholesky(A) should be replaced with:\nL = torch.linalg.cholesky(A)\n"
    "U = torch.cholesky(A, upper=True) should be replaced with:\nU = torch.linalg.cholesky(A).mH"
)


def _qr_removed(some: Any) -> str:
    return (
        "This function was deprecated since version 1.9 and is now removed. `torch.qr` is deprecated in favor of "
        "`torch.linalg.qr` and the boolean parameter `some` has been replaced with a string parameter `mode`.\n\n"
        "Q, R = torch.qr(A) should be replaced with:\nQ, R = torch.linalg.qr(A, mode='reduced')\n\nand\n\n"
        "Q, R = torch.qr(A, some=False) should be replaced with:\nQ, R = torch.linalg.qr(A, mode='complete')\n\n"
        + ("Since `some` was set to True, use mode='reduced'." if some else "Since `some` was set to False, use "
           "mode='complete'.")
    )  # fmt: skip


def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky (deprecated): warns, then linalg.cholesky with its own node and error prefix.

    torch 2.14 removed it: the call raises RuntimeError, whatever the arguments."""
    if since("2.14"):
        raise RuntimeError(_CHOLESKY_REMOVED)
    _check_tensor(input, "cholesky", "input", 1)
    warnings.warn(_CHOLESKY_WARNING, UserWarning, stacklevel=2)
    return _cholesky("cholesky", input, upper, CholeskyBackward0)


# --------------------------------------------------------------------------- qr
def _qr_square_backward(gQ: Tensor, gR: Tensor, Q: Tensor, R: Tensor) -> Tensor:
    """linalg_qr_backward for m >= n: gA = (gQ + Q copyltu(M)) R^{-H}, M = R gR^H - gQ^H Q, copyltu(M) =
    tril(M, -1) + tril(M, -1)^H + real(diag(M))."""
    m_ = matmul(R, gR.mH) - matmul(gQ.mH, Q)
    low = S.tril(m_) + S.tril(m_, -1).mH
    if m_.is_complex():  # copyltu keeps the real part of M's diagonal (its imaginary part is R's phase gauge)
        low = low - _diag_embed(m_.diagonal(0, -2, -1).imag * 1j)
    ga = gQ + matmul(Q, low)
    return solve(R, ga.mH).mH  # X R^H = ga


class LinalgQrBackward0(Node):
    # linalg_qr: A: linalg_qr_backward(grad_Q, grad_R, Q, R, mode)
    def apply(self, gQ: Tensor, gR: Tensor) -> tuple:
        if self.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        Q, R = self.saved("Q"), self.saved("R")
        m, n = Q._data.shape[-2], R._data.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return (_qr_square_backward(gQ, gR, Q, R),)
        # wide A = [X | Y], R = [U | V]: X = Q U is a square QR and Y = Q V
        A = self.saved("A")
        gU, gV = gR[..., :, :m], gR[..., :, m:]
        y = A[..., :, m:]
        gx = _qr_square_backward(gQ + matmul(y, gV.mH), gU, Q, R[..., :, :m])
        return (J.cat([gx, matmul(Q, gV)], -1),)


def linalg_qr(A: Tensor, mode: str = "reduced") -> Any:
    """torch.linalg.qr: (Q, R); ``mode`` 'reduced', 'complete' or 'r' (Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    _check_matrix("linalg.qr", A, square=False, kernel="geqrf_cpu")
    a = A._data
    q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    if mode == "r":
        q = np.zeros((0,), dtype=a.dtype)
    q = q.astype(a.dtype, copy=False) if mode == "r" else _colmajor(q, a.dtype)
    outs = (Tensor._make(q), Tensor._make(_colmajor(r, a.dtype)))
    if grad_recording(A):
        node = LinalgQrBackward0()
        node.mode = mode
        record(node, outs, A)
        node.save("Q", outs[0], is_output=True)
        node.save("R", outs[1], is_output=True)
        node.save("A", A)
    return _QR(*outs)


# --------------------------------------------------------------------------- eigh
class LinalgEighBackward0(Node):
    # linalg_eigh: A: linalg_eig_backward(grads[0], grads[1], eigenvalues, eigenvectors, /*is_hermitian=*/true)
    #   gA = V (diag(gL) + skew(V^H gV) / E) V^H, E_ij = L_j - L_i off the diagonal, where
    #   skew(X) = 0.5 * (X - X^H) projects onto the tangent space of U(n) (so gA is symmetric)
    def apply(self, gL: Tensor, gV: Tensor) -> tuple:
        L, V = self.saved("eigenvalues"), self.saved("eigenvectors")
        eye = _const(np.eye(L._data.shape[-1], dtype=bool))
        e = P.where(eye, 1.0, L.unsqueeze(-2) - L.unsqueeze(-1))
        vhgv = matmul(V.mH, gV)
        if vhgv.is_complex():  # the eigenvectors' phases are arbitrary: a loss must not depend on them
            diag = vhgv.diagonal(0, -2, -1)
            stand_in = grad_mode.forward_level.token is not None and gV.requires_grad
            if not stand_in and not np.allclose(diag._data.imag, 0.0, rtol=1e-2, atol=1e-2):
                raise RuntimeError(_GAUGE_MSG.replace("linalg_eig_backward", "linalg_eigh_backward"))
        inner = P.where(eye, _diag_embed(gL), 0.5 * (vhgv - vhgv.mH) / e)
        return (matmul(V, matmul(inner, V.mH)),)


def _eigh(fn: str, A: Tensor, UPLO: str, vectors: bool) -> Any:
    _check_matrix(fn, A, floating=False, kernel="linalg_eigh_cpu", arg="input")
    if A._data.dtype.kind not in "fc":
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{_type_name(A)}'")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    w, v = np.linalg.eigh(A._data, UPLO=UPLO)
    dt = A._data.dtype
    # a Hermitian matrix's eigenvalues are real: the real dtype of a complex input
    vals, vecs = (
        Tensor._make(w.astype(w.real.dtype if dt.kind != "c" else w.dtype, copy=False)),
        Tensor._make(_colmajor(v, dt)),
    )
    if grad_recording(A):
        node = LinalgEighBackward0()
        # eigvalsh records both outputs too: the backward formula needs V with its history
        record(node, (vals, vecs), A)
        node.save("eigenvalues", vals, is_output=True)
        node.save("eigenvectors", vecs, is_output=True)
    return _EIGH(vals, vecs) if vectors else vals


def eigh(A: Tensor, UPLO: str = "L") -> Any:
    """torch.linalg.eigh: eigenvalues (ascending) and eigenvectors of a symmetric matrix."""
    return _eigh("linalg.eigh", A, UPLO, True)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """torch.linalg.eigvalsh: eigenvalues only (differentiable through the same node as eigh)."""
    return _eigh("linalg.eigvalsh", A, UPLO, False)


# --------------------------------------------------------------------------- eig
_EIG = _return_type("linalg_eig", ("eigenvalues", "eigenvectors"))
_GAUGE_MSG = (
    "linalg_eig_backward: The eigenvectors in the complex case are specified up to multiplication by e^{i phi}. "
    "The specified loss function depends on this quantity, so it is ill-defined."
)


class LinalgEigBackward0(Node):
    # linalg_eig: self: handle_r_to_c(self.scalar_type(), linalg_eig_backward(grads[0], grads[1], eigenvalues,
    #   eigenvectors, /*is_hermitian=*/false))
    #   without gV: linalg_solve(V^H, gL.unsqueeze(-1) * V^H); the engine hands a node zeros for an output
    #   nothing flowed into, for which the general formula gives that value:
    #   VhgV = V^H gV, refused unless imag(diag(VhgV)) ~ 0 (the eigenvectors' phase is arbitrary);
    #   VhgV -= V^H (V * real(diag(VhgV))); gA = VhgV / (L.conj()_j - L.conj()_i) off the diagonal, gL on it;
    #   A's grad: V^{-H} gA V^H (the real part for a real A: the engine's handle_r_to_c)
    def apply(self, gL: Tensor, gV: Tensor) -> tuple:
        L, V = self.saved("eigenvalues"), self.saved("eigenvectors")
        vh = V.mH
        vh_inv = inv(vh)
        vhgv = matmul(vh, gV)
        diag = vhgv.diagonal(0, -2, -1)
        # forward AD's tangents come from this formula on arbitrary stand-in cotangents (which require grad):
        # the check is backward's alone (torch's linalg_eig_jvp has none)
        stand_in = grad_mode.forward_level.token is not None and gV.requires_grad
        if not stand_in and not np.allclose(diag._data.imag, 0.0, rtol=1e-2, atol=1e-2):
            raise RuntimeError(_GAUGE_MSG)
        vhgv = vhgv - matmul(vh, V * diag.real.unsqueeze(-2))
        eye = _const(np.eye(L._data.shape[-1], dtype=bool))
        lc = L.conj()
        econj = P.where(eye, 1.0, lc.unsqueeze(-2) - lc.unsqueeze(-1))
        ga = P.where(eye, _diag_embed(gL), vhgv / econj)
        return (matmul(vh_inv, matmul(ga, vh)),)


def _eig(fn: str, A: Tensor, vectors: bool) -> Any:
    _check_matrix(fn, A, floating=False, kernel="linalg_eig_out_cpu")
    a = A._data
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"Unknown Complex ScalarType for {_type_name(A)}")
    if a.size and not np.isfinite(a).all():
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    cdt = np.complex64 if a.dtype in (np.float32, np.complex64) else np.complex128
    # LAPACK's geev (NumPy's eig), as torch: a real input goes through the real routine, its vectors unit-norm
    w, v = np.linalg.eig(a) if a.size else (np.zeros(a.shape[:-1], cdt), np.zeros(a.shape, cdt))
    vals, vecs = Tensor._make(w.astype(cdt)), Tensor._make(_colmajor(v, cdt))
    if grad_recording(A):
        node = LinalgEigBackward0()
        record(node, (vals, vecs), A)
        node.save("eigenvalues", vals, is_output=True)
        node.save("eigenvectors", vecs, is_output=True)
    return _EIG(vals, vecs) if vectors else vals


def eig(A: Tensor) -> Any:
    """torch.linalg.eig: the complex eigenvalues and unit-norm eigenvectors of a square matrix."""
    return _eig("linalg.eig", A, True)


def eigvals(A: Tensor) -> Tensor:
    """torch.linalg.eigvals: eigenvalues only (through eig's node when A requires grad, as torch)."""
    return _eig("linalg.eigvals", A, False)


# --------------------------------------------------------------------------- svd
def _svd_backward(gU: Tensor, gS: Tensor, gVh: Tensor, U: Tensor, s: Tensor, Vh: Tensor) -> Tensor:
    """svd_backward (reduced factors; zeros stand for undefined grads). For a complex A, U^H gU's diagonal
    (imaginary: the phases of the singular vectors) adds diag(UhgU) / (2 S) to the middle factor."""
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    s2 = s * s
    eye = _const(np.eye(s._data.shape[-1], dtype=bool))
    e = P.where(eye, 1.0, s2.unsqueeze(-2) - s2.unsqueeze(-1))
    uhgu = matmul(U.mH, gU)
    vhgv = matmul(Vh, gVh.mH)
    uhgu, vhgv = uhgu - uhgu.mH, vhgv - vhgv.mH
    ga = (uhgu * s.unsqueeze(-2) + s.unsqueeze(-1) * vhgv) / e + _diag_embed(gS)
    if uhgu.is_complex():
        ga = ga + _diag_embed(uhgu.diagonal(0, -2, -1) / (2 * s))
    if m > n:
        ga = matmul(U, ga)
        gus = gU / s.unsqueeze(-2)
        ga = ga + gus - matmul(U, matmul(U.mH, gus))
        return matmul(ga, Vh)
    if m < n:
        ga = matmul(ga, Vh)
        gvs = gVh / s.unsqueeze(-1)
        ga = ga + gvs - matmul(matmul(gvs, Vh.mH), Vh)
        return matmul(U, ga)
    return matmul(U, matmul(ga, Vh))


class LinalgSvdBackward0(Node):
    # _linalg_svd: A: svd_backward(full_matrices && grad_U.defined() ? grad_U.narrow(-1, 0, S.size(-1)) : grad_U,
    #   grad_S, full_matrices && grad_Vh.defined() ? grad_Vh.narrow(-2, 0, S.size(-1)) : grad_Vh,
    #   full_matrices ? U.narrow(-1, 0, S.size(-1)) : U, S, full_matrices ? Vh.narrow(-2, 0, S.size(-1)) : Vh)
    def apply(self, gU: Tensor, gS: Tensor, gVh: Tensor) -> tuple:
        U, s, Vh = self.saved("U"), self.saved("S"), self.saved("Vh")
        k = s._data.shape[-1]
        return (_svd_backward(gU[..., :k], gS, gVh[..., :k, :], U[..., :k], s, Vh[..., :k, :]),)


def _svd(fn: str, A: Tensor, full_matrices: bool, vectors: bool) -> Any:
    _check_matrix(fn, A, square=False, kernel="linalg_svd_cpu")
    a = A._data
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    dt = a.dtype
    # singular values are real: the real dtype of a complex input
    sdt = s.dtype if dt.kind == "c" else dt
    outs = (Tensor._make(_colmajor(u, dt)), Tensor._make(s.astype(sdt, copy=False)), Tensor._make(_colmajor(vh, dt)))
    if grad_recording(A):
        node = LinalgSvdBackward0()
        # svdvals records U and Vh too: the backward formula needs them with their history
        record(node, outs, A)
        for name, t in zip(("U", "S", "Vh"), outs, strict=True):
            node.save(name, t, is_output=True)
    return _SVD(*outs) if vectors else outs[1]


def linalg_svd(A: Tensor, full_matrices: bool = True) -> Any:
    """torch.linalg.svd: U, S, Vh with A = U diag(S) Vh."""
    return _svd("linalg.svd", A, full_matrices, True)


def svdvals(A: Tensor) -> Tensor:
    """torch.linalg.svdvals: singular values, descending."""
    _check_tensor(A, "linalg_svdvals", "A", 1)
    return _svd("linalg.svd", A, False, False)


# --------------------------------------------------------------------------- pinv / matrix_rank
class LinalgPinvBackward0(Node):
    # linalg_pinv.atol_rtol_tensor: self: pinv_backward(grad, result, self)
    def apply(self, grad: Tensor) -> tuple:
        return (_pinv_backward(grad, self.saved("result"), self.saved("self")),)


def _pinv_backward(grad: Tensor, pa: Tensor, a: Tensor) -> Tensor:
    """pinv_backward (FunctionsManual.cpp); its transposes are conjugate transposes (mH)."""
    m, n = a._data.shape[-2:]
    pah, gh = pa.mH, grad.mH
    if m <= n:
        k = matmul(gh, pa)
        kpah = matmul(k, pah)
        res = -matmul(pa, k).mH + kpah - matmul(matmul(a, pa), kpah)
        return res + matmul(matmul(pah, pa), gh - matmul(k, a))
    k = matmul(pa, gh)
    pahk = matmul(pah, k)
    res = -matmul(k, pa).mH + matmul(matmul(gh - matmul(a, k), pa), pah)
    return res + pahk - matmul(matmul(pahk, pa), a)


def _tolerance(s_max: np.ndarray, shape: tuple, atol: Any, rtol: Any, dt: Any) -> np.ndarray:
    """max(atol, rtol * s_max); rtol defaults to eps * max(m, n) when neither is given, else to 0."""
    if rtol is None:
        rtol = D.np_finfo(dt).eps * max(shape[-2:]) if atol is None or atol == 0 else 0.0
    atol = 0.0 if atol is None else atol
    atol = atol._data if isinstance(atol, Tensor) else atol
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    return np.maximum(atol, rtol * s_max)


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """torch.linalg.pinv: the Moore-Penrose pseudo-inverse (singular values below the tolerance dropped)."""
    _check_tensor(A, "linalg.pinv", "input", 1)
    a = A._data
    if a.ndim < 2 or a.dtype.kind not in "fc" or a.dtype == np.float16:
        dims = ", ".join(str(s) for s in a.shape)
        raise RuntimeError(
            f"linalg.pinv({_type_name(A)}{{[{dims}]}}): expected a tensor with 2 or more dimensions of float, "
            "double, cfloat or cdouble types"
        )
    if hermitian:
        w, v = np.linalg.eigh(a)
        wmax = np.abs(w).max(axis=-1, keepdims=True) if w.size else np.zeros((*w.shape[:-1], 1), a.dtype)
        tol = _tolerance(wmax, a.shape, atol, rtol, w.dtype)
        inv_w = np.where(np.abs(w) > tol, 1 / np.where(w == 0, 1, w), 0)
        res = (v * inv_w[..., None, :]) @ np.swapaxes(v, -1, -2).conj()
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        smax = s[..., :1] if s.shape[-1] else np.zeros((*s.shape[:-1], 1), a.dtype)
        tol = _tolerance(smax, a.shape, atol, rtol, s.dtype)
        inv_s = np.where(s > tol, 1 / np.where(s == 0, 1, s), 0)
        res = np.swapaxes(vh, -1, -2).conj() @ (inv_s[..., :, None] * np.swapaxes(u, -1, -2).conj())
    out = Tensor._make(np.ascontiguousarray(res).astype(a.dtype, copy=False))
    if grad_recording(A):
        record_saving(LinalgPinvBackward0(), out, {"self": A}, save_result=True)
    return out


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: linalg.pinv with ``rtol=rcond``."""
    return pinv(input, rtol=rcond)


def matrix_rank(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """torch.linalg.matrix_rank: the number of singular values above the tolerance (int64, no grad)."""
    _check_tensor(A, "linalg.matrix_rank", "input", 1)
    a = A._data
    if a.dtype.kind != "f" or a.dtype == np.float16:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros((*s.shape[:-1], 1), a.dtype)
    tol = _tolerance(smax, a.shape, atol, rtol, a.dtype)
    return Tensor._make(np.asarray((s > tol).sum(axis=-1), dtype=np.int64))


# --------------------------------------------------------------------------- cross
class LinalgCrossBackward0(Node):
    # linalg_cross: self: at::linalg_cross(other.conj(), grad, dim); other: at::linalg_cross(grad, self.conj(), dim)
    def apply(self, grad: Tensor) -> tuple:
        d = self.dim
        g_self = linalg_cross(cj(self.saved("other")), grad, dim=d) if needs(self, 0) else None
        g_other = linalg_cross(grad, cj(self.saved("self")), dim=d) if needs(self, 1) else None
        return g_self, g_other


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """torch.linalg.cross: the cross product along ``dim`` (size 3), broadcasting the other dims."""
    _check_tensor(input, "linalg_cross", "input", 1)
    _check_tensor(other, "linalg_cross", "other", 2)
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    (d,) = wrap_dims(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and {b.shape[d]}"
        )
    x, y, dt = binary_arrays(input, other)  # promotion and the broadcast check, as for any binary op
    out = Tensor._make(np.ascontiguousarray(np.cross(x, y, axis=d)).astype(dt.np, copy=False))
    if grad_recording(input, other):
        record_saving(LinalgCrossBackward0(), out, {"self": input, "other": other}, dim=d)
    return out


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """torch.cross: ``dim=None`` picks the first dim of size 3, with torch's deprecation warning."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim explicitly "
            "or simply use torch.linalg.cross.\nThe default value of dim will change to agree with that of "
            "linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return linalg_cross(input, other, dim=dim)


# --------------------------------------------------------------------------- norms
def vector_norm(
    x: Tensor,
    ord: Any = 2,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: D.dtype | None = None,
) -> Tensor:
    """torch.linalg.vector_norm: over all elements by default (LinalgVectorNormBackward0)."""
    _check_tensor(x, "linalg_vector_norm", "input", 1)
    if ord is None or isinstance(ord, str | list | tuple):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    return R._vector_norm(x, ord, dim, keepdim, dtype)


def _matrix_dims(fn: str, A: Tensor, dim: Any) -> tuple[int, int]:
    if A._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    dims = tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{fn}: dim must be a 2-tuple. Got {' '.join(str(d) for d in dims)}")
    d0, d1 = (int(d) % A._data.ndim for d in dims)
    if d0 == d1:
        raise RuntimeError(f"{fn}: dims must be different. Got ({dims[0]}, {dims[1]})")
    return d0, d1


def matrix_norm(
    A: Tensor,
    ord: Any = "fro",
    dim: Any = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: D.dtype | None = None,
) -> Tensor:
    """torch.linalg.matrix_norm: 'fro', 'nuc', +-1, +-2, +-inf, composed as torch composes it."""
    fn = "linalg.matrix_norm"
    _check_tensor(A, "linalg_matrix_norm", "input", 1)
    d0, d1 = _matrix_dims(fn, A, dim)
    _check_float(fn, A)
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return R._vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or (not isinstance(ord, str) and abs(ord) == 2):
        _check_half(fn, A, None)
        # move the two dims to the end, as torch's create_dim_backshift_permutation does
        perm = [i for i in range(A.ndim) if i not in (d0, d1)] + [d0, d1]
        sv = svdvals(S.permute(A, perm))
        if ord == "nuc":
            res = R.sum(sv, -1, keepdim)
        else:
            res = R.amax(sv, -1, keepdim) if ord > 0 else R.amin(sv, -1, keepdim)
        if not keepdim:
            return res
        # torch keeps the reduced dim, adds the other and moves both back with the inverse permutation
        inverse_perm = [perm.index(i) for i in range(A.ndim)]
        return S.permute(res.unsqueeze(-1), inverse_perm)
    if isinstance(ord, str) or abs(ord) not in (1, math.inf):
        raise RuntimeError(f"{fn}: Order {ord} not supported.")
    if abs(ord) == math.inf:
        d0, d1 = d1, d0
    res = R._vector_norm(A, 1, d0, keepdim)
    if not keepdim and d0 < d1:
        d1 -= 1
    return R.amax(res, d1, keepdim) if ord > 0 else R.amin(res, d1, keepdim)


def linalg_norm(
    A: Tensor,
    ord: Any = None,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: D.dtype | None = None,
) -> Tensor:
    """torch.linalg.norm: a vector norm or a matrix norm depending on ``ord`` and ``dim``."""
    _check_tensor(A, "linalg_norm", "input", 1)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D."
        )
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: D.dtype | None = None) -> Tensor:
    """torch.norm / Tensor.norm: the vector norms of ``_vector_norm`` (torch's linalg.vector_norm), plus p='nuc'
    (a matrix norm)."""
    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return R._vector_norm(input, p, dim, keepdim, dtype)


# --------------------------------------------------------------------------- matrix_power
def matrix_power(input: Tensor, n: int) -> Tensor:
    """torch.matrix_power (linalg.matrix_power): repeated squaring, with torch's order of products."""
    _check_tensor(input, "matrix_power", "input", 1)
    if input._data.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    m, k = input._data.shape[-2:]
    if m != k:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but they are {m} by {k} matrices"
        )
    if n == 0:
        ident = Tensor._make(np.broadcast_to(np.eye(m, dtype=input._data.dtype), input._data.shape).copy())
        return S.clone(input).copy_(ident)
    if n == -1:  # torch returns linalg.inv's result itself (no clone)
        return inv(input)
    a = inv(input) if n < 0 else input
    n = abs(n)
    if n == 1:
        return S.clone(a)
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = a if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result  # type: ignore[return-value]


# --------------------------------------------------------------------------- cdist
class CdistBackward0(Node):
    # _cdist_forward: x1: _cdist_backward(grad.contiguous(), x1, x2, p, result)
    #                 x2: _cdist_backward(grad.mT().contiguous(), x2, x1, p, result.mT().contiguous())
    def apply(self, grad: Tensor) -> tuple:
        x1, x2, dist = self.saved("x1"), self.saved("x2"), self.saved("result")
        g1 = _cdist_grad(grad, x1, x2, dist, self.p) if needs(self, 0) else None
        g2 = _cdist_grad(grad.mT, x2, x1, dist.mT, self.p) if needs(self, 1) else None
        return g1, g2


def _cdist_grad(grad: Tensor, x1: Tensor, x2: Tensor, dist: Tensor, p: float) -> Tensor:
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., r1, r2, m)
    d = dist.unsqueeze(-1)
    zero = _const(d._data == 0)
    if p == 0:
        return x1 * 0.0
    if p == 1:
        w = P.sign(diff)
    elif p == 2:
        w = P.where(zero, 0.0, diff / d)
    elif math.isinf(p):
        w = P.sign(diff) * _const(np.abs(diff._data) == d._data)
    else:
        w = P.where(zero, 0.0, P.sign(diff) * P.abs(diff) ** (p - 1) / d ** (p - 1))
    return R.sum(grad.unsqueeze(-1) * w, -2)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """torch.cdist: p-norm distances between the rows of two batches of matrices."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(cdist, False, (), locals())
    _check_tensor(x1, "cdist", "x1", 1)
    _check_tensor(x2, "cdist", "x2", 2)
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} X2: {x2._data.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    _check_half("cdist", x1, "cdist")
    a, b = x1._data, x2._data
    diff = np.abs(a[..., :, None, :] - b[..., None, :, :])
    with np.errstate(all="ignore"):
        if p == 0:
            res = (diff != 0).sum(-1).astype(a.dtype)
        elif p == 1:
            res = diff.sum(-1)
        elif p == 2:
            res = np.sqrt((diff * diff).sum(-1))
        elif math.isinf(p):
            res = diff.max(-1) if diff.shape[-1] else diff.sum(-1)
        else:
            res = (diff**p).sum(-1) ** (1.0 / p)
    out = Tensor._make(np.ascontiguousarray(res).astype(a.dtype, copy=False))
    if grad_recording(x1, x2):
        record_saving(CdistBackward0(), out, {"x1": x1, "x2": x2}, save_result=True, p=float(p))
    return out


# --------------------------------------------------------------------------- lstsq
class LinalgLstsqBackward0(Node):
    # linalg_lstsq: self, b: linalg_lstsq_backward(grads[0], grads[1], self, b, solution, grad_input_mask)
    #   solution X = pinv(A) B: gA = pinv_backward(gX B^H, pinv(A), A), gB = pinv(A)^H gX
    #   residuals |A X - B|^2 (X optimal, so only their explicit dependence): gA += 2 (r gL) X^H, gB -= 2 r gL
    def apply(self, gX: Tensor, gL: Tensor) -> tuple:
        A, B, X = self.saved("self"), self.saved("b"), self.saved("solution")
        vector = self.vector
        B_ = B.unsqueeze(-1) if vector else B
        X_ = X.unsqueeze(-1) if vector else X
        gX_ = gX.unsqueeze(-1) if vector else gX
        pinv_a = pinv(A)
        gA = _pinv_backward(matmul(gX_, B_.mH), pinv_a, A) if needs(self, 0) else None
        gB = matmul(pinv_a.mH, gX_) if needs(self, 1) else None
        if gL._data.size and bool((gL._data != 0).any()):
            r = matmul(A, X_) - B_
            rg = r * gL.unsqueeze(-2)
            gA = None if gA is None else gA + 2.0 * matmul(rg, X_.mH)
            gB = None if gB is None else gB - 2.0 * rg
        if gB is not None and vector:
            gB = gB.squeeze(-1)
        return gA, gB


def _lstsq_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The least-squares (m >= n) or minimum-norm (m < n) solution through a QR factorization (gels)."""
    m, n = a.shape[-2:]
    if m >= n:
        q, r = np.linalg.qr(a)
        return (
            np.linalg.solve(r, np.swapaxes(q, -1, -2).conj() @ b)
            if n
            else np.zeros((*b.shape[:-2], 0, b.shape[-1]), a.dtype)
        )
    q, r = np.linalg.qr(np.swapaxes(a, -1, -2).conj())  # A = R^H Q^H
    return q @ np.linalg.solve(np.swapaxes(r, -1, -2).conj(), b)


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> Any:
    """torch.linalg.lstsq (CPU default driver 'gelsy'): (solution, residuals, rank, singular_values), which
    of them are filled depending on the driver, as LAPACK's drivers fill them."""
    fn = "torch.linalg.lstsq"
    _check_tensor(A, "linalg_lstsq", "self", 1)
    _check_tensor(B, "linalg_lstsq", "b", 2)
    a, b = A._data, B._data
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if b.ndim < 1:
        raise RuntimeError(f"{fn}: other must have at least 1 dimension.")
    _check_float(fn, A)
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{fn}: Expected input and other to have the same dtype, but got input's dtype {_type_name(A)} and "
            f"other's dtype {_type_name(B)}"
        )
    dim_diff = a.ndim - b.ndim
    if not 0 <= dim_diff <= 1:
        raise RuntimeError(
            f"{fn}: input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) <= 1"
        )
    vector = dim_diff == 1
    b2 = b[..., None] if vector else b
    if a.shape[-2] != b2.shape[-2]:
        which = "other.size(-1)" if vector else "other.size(-2)"
        raise RuntimeError(f"{fn}: input.size(-2) should match {which}")
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"{fn}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    _check_half(fn, A, "linalg_lstsq_cpu")
    m, n = a.shape[-2:]
    batch = np.broadcast_shapes(a.shape[:-2], b2.shape[:-2])
    a_full = np.broadcast_to(a, (*batch, m, n))
    b_full = np.broadcast_to(b2, (*batch, *b2.shape[-2:]))
    x = _lstsq_solve(a_full, b_full).astype(a.dtype, copy=False)
    dt = a.dtype
    s = np.linalg.svd(a_full, compute_uv=False) if a_full.size else np.zeros((*batch, min(m, n)), dt)
    smax = s[..., :1] if s.shape[-1] else np.zeros((*batch, 1), dt)
    tol = (D.np_finfo(dt).eps * max(m, n) if rcond is None else rcond) * smax
    rank = (s > tol).sum(-1).astype(np.int64)
    rdt = np.zeros(0, dt).real.dtype  # residuals and singular values are real
    residuals = np.zeros((0,), rdt)
    if m > n and driver != "gelsy" and (driver == "gels" or bool((rank == n).all())):
        r = a_full @ x - b_full
        residuals = (r * r.conj()).real.sum(-2).astype(r.real.dtype)
        residuals = residuals[..., 0] if vector else residuals
    x = x[..., 0] if vector else x
    solution = Tensor._make(np.ascontiguousarray(x) if vector else _colmajor(x, dt))
    res_t = Tensor._make(np.ascontiguousarray(residuals))
    rank_t = Tensor._make(np.zeros((0,), np.int64) if driver == "gels" else rank)
    sv = Tensor._make(s.astype(rdt) if driver in ("gelsd", "gelss") else np.zeros((0,), rdt))
    if grad_recording(A, B):
        node = LinalgLstsqBackward0()
        node.vector = vector
        record(node, (solution, res_t), A, B)
        node.save("self", A)
        node.save("b", B)
        node.save("solution", solution, is_output=True)
    return _LSTSQ(solution, res_t, rank_t, sv)


# --------------------------------------------------------------------------- legacy svd / qr, histc
_LEGACY_SVD = _return_type("svd", ("U", "S", "V"))


_LEGACY_QR = _return_type("qr", ("Q", "R"))


_QR_WARNED = False


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:
    """The legacy torch.svd: linalg.svd with V = Vh.mH; without ``compute_uv``, U and V are full-size zeros."""
    if not compute_uv:
        s = _svd("linalg.svd", input, False, False)
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        xp, dt = input._xp, input._data.dtype
        u = Tensor._make(xp.zeros((*batch, m, m), dtype=dt))
        v = Tensor._make(xp.zeros((*batch, n, n), dtype=dt))
        return _LEGACY_SVD(u, s, v)
    u, s, vh = _svd("linalg.svd", input, not some, True)
    return _LEGACY_SVD(u, s, S.transpose(vh, -2, -1))


def qr(input: Tensor, some: bool = True) -> Any:
    global _QR_WARNED
    if since("2.14"):  # removed in torch 2.14
        raise RuntimeError(_qr_removed(some))
    if not _QR_WARNED:  # TORCH_WARN_ONCE
        _QR_WARNED = True
        warnings.warn(
            "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch release.\n"
            "The boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
            "Q, R = torch.qr(A, some)\nshould be replaced with\n"
            "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')",
            UserWarning,
            stacklevel=2,
        )
    q, r = linalg_qr(input, "reduced" if some else "complete")
    return _LEGACY_QR(q, r)


# --------------------------------------------------------------------------- matrix_exp
# torch's matrix_exp (LinearAlgebra.cpp: mexp, after Bader, Blanes and Casas 2019, "Computing the Matrix
# Exponential with an Optimized Taylor Polynomial Approximation"): a Taylor polynomial of degree 1, 2, 4, 8
# or 12 picked by the 1-norm, else degree 18 with scaling and squaring, all in the input's dtype. Following
# its steps in that dtype reproduces torch's float32 rounding, which a float64 computation does not.
_MEXP_THETAS = {
    np.dtype(np.float32): (1.192092800768788e-07, 5.978858893805233e-04, 5.116619363445086e-02,
                           5.800524627688768e-01, 1.461661507209034e00, 3.010066362817634e00),
    np.dtype(np.float64): (2.220446049250313e-16, 2.580956802971767e-08, 3.397168839976962e-04,
                           4.991228871115323e-02, 2.996158913811580e-01, 1.090863719290036e00),
}  # fmt: skip
_T12 = (
    (9.0198e-16, 0.46932117595418237389, -0.20099424927047284052, -0.04623946134063071740),
    (5.31597895759871264183, 1.19926790417132231573, 0.01179296240992997031, 0.01108844528519167989),
    (0.18188869982170434744, 0.05502798439925399070, 0.09351590770535414968, 0.00610700528898058230),
    (-2.0861320e-13, -0.13181061013830184015, -0.02027855540589259079, -0.00675951846863086359),
)
_T18 = (
    (0.0, -1.00365581030144618291e-01, -8.02924648241156932449e-03, -8.92138498045729985177e-04, 0.0),
    (0.0, 3.97849749499645077844e-01, 1.36783778460411720168e00, 4.98289622525382669416e-01,
     -6.37898194594723280150e-04),
    (-1.09676396052962061844e01, 1.68015813878906206114e00, 5.71779846478865511061e-02,
     -6.98210122488052056106e-03, 3.34975017086070470649e-05),
    (-9.04316832390810593223e-02, -6.76404519071381882256e-02, 6.75961301770459654925e-02,
     2.95552570429315521194e-02, -1.39180257516060693404e-05),
    (0.0, 0.0, -9.23364619367118555360e-02, -1.69364939002081722752e-02, -1.40086798182036094347e-05),
)  # fmt: skip


def _powers(a: np.ndarray, k: int) -> list[np.ndarray]:
    """The first k of I, A, A^2, A^3, A^6 (_fill_matrix_powers)."""
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    ps = [eye, a]
    if k > 2:
        ps.append(a @ a)
    if k > 3:
        ps.append(a @ ps[2])
    if k > 4:
        ps.append(ps[3] @ ps[3])
    return ps[:k]


def _combine(ps: list[np.ndarray], coefs: tuple, dt: Any) -> np.ndarray:
    """_compute_linear_combination: sum_j coef_j * P_j, accumulated in order in the dtype."""
    out = np.zeros_like(ps[0])
    for p, c in zip(ps, coefs, strict=True):
        out = out + dt.type(c) * p
    return out


def _taylor(a: np.ndarray, degree: int) -> np.ndarray:
    """compute_T1 .. compute_T18 of a batch of matrices."""
    dt = a.dtype
    if degree == 1:
        eye, a1 = _powers(a, 2)
        return eye + a1
    if degree == 2:
        eye, a1, a2 = _powers(a, 3)
        return (eye + a1) + a2 / dt.type(2.0)
    if degree == 4:
        ps = _powers(a, 3)
        ps.append(ps[2] @ _combine(ps, (1 / 2.0, 1 / 6.0, 1 / 24.0), dt))
        return _combine(ps, (1.0, 1.0, 0.0, 1.0), dt)
    if degree == 8:
        sqrt_177 = float(dt.type(0.1330413469565007072504e2))
        x3 = float(dt.type(2.0 / 3.0))
        x1 = x3 * ((1.0 + sqrt_177) / 88.0)
        x2 = x3 * ((1.0 + sqrt_177) / 352.0)
        x4 = (-271.0 + 29.0 * sqrt_177) / (315.0 * x3)
        x5 = (-11.0 + 11.0 * sqrt_177) / (1260.0 * x3)
        x6 = (-99.0 + 11.0 * sqrt_177) / (5040.0 * x3)
        x7 = (89.0 - sqrt_177) / (5040.0 * x3)
        y2 = (857.0 - 58.0 * sqrt_177) / 630.0
        ps = _powers(a, 3)
        ps.append(ps[2] @ _combine(ps[1:3], (x1, x2), dt))  # A4
        ps.append(_combine(ps[2:4], (x3, 1.0), dt) @ _combine(ps[0:4], (x4, x5, x6, x7), dt))  # A8
        return _combine(ps, (1.0, 1.0, y2, 0.0, 1.0), dt)
    if degree == 12:
        ps = _powers(a, 4)
        b0, b1, b2, b3 = (_combine(ps, row, dt) for row in _T12)
        b2 = b2 + b3 @ b3
        return b0 + (b1 + b2) @ b2
    ps = _powers(a, 5)
    b0, b1, b2, b3, b4 = (_combine(ps, row, dt) for row in _T18)
    b3 = b3 + b0 @ b4
    return b1 + (b2 + b3) @ b3


def _mexp(a: np.ndarray) -> np.ndarray:
    """mexp of a batch (b, n, n) of matrices, n >= 2, float32 or float64."""
    dt = a.dtype
    thetas = [dt.type(t) for t in _MEXP_THETAS[dt]]
    norm = np.abs(a).sum(-2).max(-1)
    res = np.empty_like(a)
    with np.errstate(all="ignore"):
        for i, degree in enumerate((1, 2, 4, 8, 12)):
            lower = dt.type(-1) if i == 0 else thetas[i - 1]
            idx = np.flatnonzero((lower < norm) & (norm <= thetas[i]))
            if idx.size:
                res[idx] = _taylor(a[idx], degree)
        idx = np.flatnonzero(norm >= thetas[4])
        if idx.size:
            s = np.maximum(0, np.ceil(np.log2(norm[idx] / thetas[5]))).astype(np.int64)
            scaled = a[idx] / np.power(2, s).astype(dt)[:, None, None]
            m = _taylor(scaled, 18)
            for j, k in enumerate(idx):
                mj = m[j]
                for _ in range(int(s[j])):
                    mj = mj @ mj
                res[k] = mj
    return res


class LinalgMatrixExpBackward0(Node):
    # linalg_matrix_exp: backward_analytic_function_of_a_matrix: exp([[A^H, G], [0, A^H]])'s upper-right block
    def apply(self, grad: Tensor) -> tuple:
        a = S.transpose(self.saved("self"), -2, -1)
        n = a.shape[-1]
        # torch fills a zero matrix through narrowed views (CopySlices), not with cat
        meta = Tensor._make(grad._xp.zeros((*a.shape[:-2], 2 * n, 2 * n), dtype=grad._data.dtype))
        for (r, c), part in (((0, 0), a), ((n, n), a), ((0, n), grad)):
            S._slice(S._slice(meta, meta.ndim - 2, r, r + n, 1), meta.ndim - 1, c, c + n, 1).copy_(part)
        big = matrix_exp(meta)
        return (S._slice(S._slice(big, big.ndim - 2, 0, n, 1), big.ndim - 1, n, 2 * n, 1),)


def matrix_exp(input: Tensor) -> Tensor:
    R._check_tensor("matrix_exp", input)
    a = input._data
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_exp: A must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices"
        )
    if a.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.matrix_exp: Expected a floating point or complex tensor as input. "
            f"Got {R._type_name(R._dtype_of(input))}"
        )
    n = a.shape[-1]
    if n == 0:
        res = a.copy()
    elif n == 1:
        with np.errstate(over="ignore"):
            res = np.exp(a)
    else:
        wide = a.dtype if a.dtype in _MEXP_THETAS else np.dtype(np.float64)  # half: computed wider
        flat = np.ascontiguousarray(a, dtype=wide).reshape(-1, n, n)
        res = _mexp(flat).reshape(a.shape) if flat.shape[0] else flat.reshape(a.shape)
    out = Tensor._make(input._xp.asarray(res, dtype=a.dtype))
    if grad_recording(input):
        record_saving(LinalgMatrixExpBackward0(), out, {"self": input})
    return out


# --------------------------------------------------------------------------- exports
__all__ = [
    "cdist", "cholesky", "cross", "det", "inverse", "logdet", "matrix_exp", "matrix_power", "norm", "pinverse", "qr",
    "slogdet", "svd",
]  # fmt: skip
METHODS: dict = {name: globals()[name] for name in __all__ if name != "cdist"}
