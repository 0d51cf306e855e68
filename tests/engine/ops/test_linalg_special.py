"""torch.linalg and torch.special (linalg.py, special.py) against real torch (torch.save/load: tests/engine/tensor/test_serialization.py).

Each case runs one program on torch and on the engine from the same float64 leaves and compares the value,
dtype and shape of every output, the grad_fn chain of each differentiable output, and the leaves' gradients
of a weighted sum of the outputs (and, for a few, second derivatives). Eigen- and singular vectors are
unique only up to sign, so their cases return sign-free quantities. Error cases compare type name and message.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from conformance.compare import Tolerance
from tests.helpers import as_numpy, check_program, error_signature, raised_error, torch_release

_RNG = np.random.default_rng(0)
SQ = _RNG.standard_normal((3, 3)) + 3 * np.eye(3)  # well conditioned
BATCH = _RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
_M = _RNG.standard_normal((3, 3))
SPD = _M @ _M.T + np.eye(3)
TALL = _RNG.standard_normal((4, 3))
WIDE = _RNG.standard_normal((2, 4))
VEC = _RNG.standard_normal(3)
RHS = _RNG.standard_normal((3, 2))
POS = _RNG.uniform(0.1, 3.0, (2, 3))
UNIT = _RNG.uniform(0.05, 0.95, (2, 3))
SIGNED = _RNG.standard_normal((2, 3)) * 2


def check(fn: Callable[..., Any], *arrays: np.ndarray, order: int = 1, chain: bool = True, rtol: float = 1e-9) -> None:
    """``helpers.check_program``: values to ``rtol`` (atol 1e-10), grads to ``rtol`` (atol 1e-9)."""
    check_program(
        fn,
        arrays,
        order=order,
        chain=chain,
        value_tolerance=lambda dtype: Tolerance(rtol, 1e-10, "linalg: LAPACK vs NumPy's LAPACK, other orders"),
        grad_tolerance=Tolerance(rtol, 1e-9, "linalg: LAPACK vs NumPy's LAPACK, other orders"),
    )


def _sym(a: Any) -> Any:
    return (a + a.mT) / 2


# --------------------------------------------------------------------------- linalg
LINALG: dict[str, tuple[Callable[..., Any], tuple[np.ndarray, ...]]] = {
    "inv": (lambda m, a: m.linalg.inv(a), (SQ,)),
    "inv_batch": (lambda m, a: m.linalg.inv(a), (BATCH,)),
    "inverse": (lambda m, a: m.inverse(a), (SQ,)),
    "inverse_method": (lambda m, a: a.inverse(), (SQ,)),
    "det": (lambda m, a: m.linalg.det(a), (BATCH,)),
    "det_top": (lambda m, a: m.det(a), (SQ,)),
    "slogdet": (lambda m, a: m.linalg.slogdet(a), (BATCH,)),
    "slogdet_top": (lambda m, a: m.slogdet(a), (SQ,)),
    "logdet": (lambda m, a: m.logdet(a), (SPD,)),
    "logdet_negative": (lambda m, a: m.logdet(-a), (SPD,)),
    "solve_matrix": (lambda m, a, b: m.linalg.solve(a, b), (SQ, RHS)),
    "solve_vector": (lambda m, a, b: m.linalg.solve(a, b), (SQ, VEC)),
    "solve_batch_broadcast": (lambda m, a, b: m.linalg.solve(a, b), (BATCH, RHS)),
    "cholesky": (lambda m, a: m.linalg.cholesky(_sym(a)), (SPD,)),
    "cholesky_upper": (lambda m, a: m.linalg.cholesky(_sym(a), upper=True), (SPD,)),
    "cholesky_deprecated": (lambda m, a: m.cholesky(_sym(a)), (SPD,)),
    "qr_tall": (lambda m, a: m.linalg.qr(a), (TALL,)),
    "qr_square": (lambda m, a: m.linalg.qr(a), (SQ,)),
    "qr_wide": (lambda m, a: m.linalg.qr(a), (WIDE,)),
    "qr_complete_wide": (lambda m, a: m.linalg.qr(a, mode="complete"), (WIDE,)),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh(a), (SPD,)),
    "eigh_invariants": (lambda m, a: _eigh_invariants(m, a), (SPD,)),
    "svdvals": (lambda m, a: m.linalg.svdvals(a), (TALL,)),
    "svd_invariants_tall": (lambda m, a: _svd_invariants(m, a, False), (TALL,)),
    "svd_invariants_wide": (lambda m, a: _svd_invariants(m, a, False), (WIDE,)),
    "svd_full_invariants": (lambda m, a: _svd_invariants(m, a, True), (TALL,)),
    "pinv_tall": (lambda m, a: m.linalg.pinv(a), (TALL,)),
    "pinv_wide": (lambda m, a: m.linalg.pinv(a), (WIDE,)),
    "pinverse": (lambda m, a: m.pinverse(a), (TALL,)),
    "pinv_hermitian": (lambda m, a: m.linalg.pinv(a, hermitian=True), (SPD,)),
    "matrix_rank": (lambda m, a: m.linalg.matrix_rank(a), (TALL,)),
    "cross": (lambda m, a, b: m.linalg.cross(a, b), (TALL, SQ[:1])),
    "cross_top_dim0": (lambda m, a, b: m.cross(a, b, dim=0), (SQ, SPD)),
    "vector_norm": (lambda m, a: m.linalg.vector_norm(a), (TALL,)),
    "vector_norm_ord_dim": (lambda m, a: m.linalg.vector_norm(a, 3, dim=1, keepdim=True), (TALL,)),
    "matrix_norm_fro": (lambda m, a: m.linalg.matrix_norm(a), (BATCH,)),
    "matrix_norm_nuc": (lambda m, a: m.linalg.matrix_norm(a, "nuc"), (TALL,)),
    "matrix_norm_2": (lambda m, a: m.linalg.matrix_norm(a, 2), (BATCH,)),
    "matrix_norm_-2_keepdim": (lambda m, a: m.linalg.matrix_norm(a, -2, keepdim=True), (TALL,)),
    "matrix_norm_nuc_keepdim_dims": (lambda m, a: m.linalg.matrix_norm(a, "nuc", (2, 0), keepdim=True), (BATCH,)),
    "matrix_norm_1": (lambda m, a: m.linalg.matrix_norm(a, 1), (BATCH,)),
    "matrix_norm_inf": (lambda m, a: m.linalg.matrix_norm(a, float("inf")), (TALL,)),
    "matrix_norm_-inf_keepdim": (lambda m, a: m.linalg.matrix_norm(a, -float("inf"), keepdim=True), (BATCH,)),
    "matrix_norm_dims": (lambda m, a: m.linalg.matrix_norm(a, 1, dim=(0, 2)), (BATCH,)),
    "norm_default": (lambda m, a: m.linalg.norm(a), (BATCH,)),
    "norm_matrix_ord": (lambda m, a: m.linalg.norm(a, 2), (TALL,)),
    "norm_vector_ord": (lambda m, a: m.linalg.norm(a[0], 1), (TALL,)),
    "norm_dim": (lambda m, a: m.linalg.norm(a, dim=1), (TALL,)),
    "torch_norm_nuc": (lambda m, a: m.norm(a, "nuc"), (TALL,)),
    "tensor_norm_p1_dim": (lambda m, a: a.norm(1, dim=0), (TALL,)),
    "matrix_power_3": (lambda m, a: m.matrix_power(a, 3), (SQ,)),
    "matrix_power_5": (lambda m, a: m.linalg.matrix_power(a, 5), (SQ,)),
    "matrix_power_-2": (lambda m, a: m.matrix_power(a, -2), (SQ,)),
    "matrix_power_0": (lambda m, a: a.matrix_power(0), (SQ,)),
    "matrix_power_1": (lambda m, a: m.matrix_power(a, 1), (BATCH,)),
    "cdist": (lambda m, a, b: m.cdist(a, b), (TALL, SQ)),
    "cdist_p1": (lambda m, a, b: m.cdist(a, b, p=1), (TALL, SQ)),
    "cdist_p3": (lambda m, a, b: m.cdist(a, b, p=3), (TALL, SQ)),
    "cdist_pinf": (lambda m, a, b: m.cdist(a, b, p=float("inf")), (TALL, SQ)),
    "cholesky_batch": (lambda m, a: m.linalg.cholesky(a @ a.mT + m.eye(3)), (BATCH,)),
    "eigh_batch_upper": (lambda m, a: _eigh_invariants(m, a, "U"), (BATCH,)),
    "eigvalsh_upper_nonsymmetric": (lambda m, a: m.linalg.eigvalsh(a, UPLO="U"), (SQ,)),
    "svd_invariants_batch": (lambda m, a: _svd_invariants(m, a, False), (BATCH,)),
    "svd_full_invariants_wide": (lambda m, a: _svd_invariants(m, a, True), (WIDE,)),
    "qr_batch": (lambda m, a: m.linalg.qr(a), (BATCH,)),
    "pinv_batch": (lambda m, a: m.linalg.pinv(a), (BATCH,)),
    "pinv_rtol": (lambda m, a: m.linalg.pinv(a, rtol=0.5), (TALL,)),
    "matrix_rank_tolerances": (lambda m, a: m.linalg.matrix_rank(a, atol=1.0, rtol=0.1), (BATCH,)),
    "matrix_rank_hermitian": (lambda m, a: m.linalg.matrix_rank(a, hermitian=True), (SPD,)),
    "solve_left_false": (lambda m, a, b: m.linalg.solve(a, b, left=False), (SQ, RHS.T)),
    "cdist_batch": (lambda m, a, b: m.cdist(a, b), (BATCH, BATCH[:, :2])),
    "torch_norm_fro_dim": (lambda m, a: m.norm(a, "fro", dim=(0, 1)), (BATCH,)),
    "torch_norm_p3_keepdim": (lambda m, a: m.norm(a, 3, dim=1, keepdim=True), (BATCH,)),
    "lstsq_solution": (lambda m, a, b: m.linalg.lstsq(a, b).solution, (TALL, TALL)),
    "lstsq_all": (lambda m, a, b: m.linalg.lstsq(a, b), (TALL, TALL[:, :2] * 2 + 1)),
}


def _eigh_invariants(m: Any, a: Any, uplo: str = "L") -> tuple:
    w, v = m.linalg.eigh(_sym(a), UPLO=uplo)
    return w, v * v  # squared entries: free of the sign of each eigenvector


def _svd_invariants(m: Any, a: Any, full: bool) -> tuple:
    u, s, vh = m.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    return s, (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :] + 0.1 * u[..., :k] @ vh[..., :k, :]


# torch 2.14 removed torch.cholesky: under it these cases must raise torch's removal error
_REMOVED_IN_2_14 = {"cholesky_deprecated"}

# torch composes lstsq differently (LinalgLstsqBackward0); values and grads agree
_NO_CHAIN = {"lstsq_solution", "lstsq_all", "solve_left_false"}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_matches_torch(name: str) -> None:
    fn, arrays = LINALG[name]
    if name in _REMOVED_IN_2_14 and torch_release() == "2.14":
        expected = raised_error(lambda: fn(torch, *(torch.tensor(a) for a in arrays)))
        assert error_signature(lambda: fn(re_, *(re_.tensor(a) for a in arrays))) == expected
        return
    check(fn, *arrays, chain=name not in _NO_CHAIN)


_DOUBLE_BACKWARD = [
    "inv", "det", "slogdet", "solve_vector", "solve_matrix", "cholesky", "qr_tall", "qr_wide", "eigvalsh",
    "eigh_invariants", "svdvals", "svd_invariants_wide", "pinv_tall", "pinv_wide", "cross", "matrix_norm_nuc", "logdet",
]  # fmt: skip


@pytest.mark.parametrize("name", _DOUBLE_BACKWARD)
def test_linalg_double_backward(name: str) -> None:
    fn, arrays = LINALG[name]
    check(fn, *arrays, order=2, chain=False, rtol=1e-7)


def test_det_of_singular_matrix() -> None:
    # torch's grad is zero where the determinant is exactly zero (not the cofactor matrix)
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]])
    check(lambda m, x: m.linalg.det(x), np.stack([a, a + np.eye(3)]))


def test_float32_values_and_dtypes() -> None:
    a32 = SPD.astype(np.float32)
    for name in ("inv", "det", "cholesky", "eigvalsh", "svdvals", "matrix_norm_nuc", "pinv_tall"):
        fn, _ = LINALG[name]
        t = fn(torch, torch.tensor(a32))
        r = fn(re_, re_.tensor(a32))
        assert str(r.dtype) == str(t.dtype) == "torch.float32"
        np.testing.assert_allclose(as_numpy(r), as_numpy(t), rtol=1e-4, atol=1e-5)


def test_results_print_like_torch() -> None:
    for fn in (lambda m: m.linalg.slogdet(m.tensor(SQ)), lambda m: m.linalg.qr(m.tensor(SQ)).__class__.__name__):
        assert repr(fn(re_)) == repr(fn(torch))
    assert re_.linalg.LinAlgError.__name__ == torch.linalg.LinAlgError.__name__
    assert issubclass(re_.linalg.LinAlgError, RuntimeError)


LINALG_ERRORS: dict[str, Callable[[Any], Any]] = {
    "inv_singular": lambda m: m.linalg.inv(m.zeros(3, 3)),
    "inv_singular_pivot2": lambda m: m.linalg.inv(m.tensor([[1.0, 2.0], [2.0, 4.0]])),
    "inv_singular_batch": lambda m: m.linalg.inv(m.stack([m.eye(2), m.zeros(2, 2)])),
    "inv_nonsquare": lambda m: m.linalg.inv(m.zeros(2, 3)),
    "inv_1d": lambda m: m.linalg.inv(m.zeros(3)),
    "inv_int": lambda m: m.inverse(m.zeros(3, 3, dtype=m.long)),
    "det_nonsquare": lambda m: m.det(m.zeros(2, 3)),
    "det_int": lambda m: m.linalg.det(m.zeros(3, 3, dtype=m.long)),
    "slogdet_nonsquare": lambda m: m.linalg.slogdet(m.zeros(2, 3)),
    "solve_singular": lambda m: m.linalg.solve(m.zeros(3, 3), m.ones(3)),
    "solve_singular_batch": lambda m: m.linalg.solve(m.zeros(2, 3, 3), m.ones(2, 3)),
    "solve_dtype": lambda m: m.linalg.solve(m.eye(3), m.ones(3, dtype=m.float64)),
    "solve_shape": lambda m: m.linalg.solve(m.eye(3), m.ones(4, 2)),
    "solve_vector_shape": lambda m: m.linalg.solve(m.eye(3), m.ones(4)),
    "cholesky_not_pd": lambda m: m.linalg.cholesky(m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "cholesky_not_pd_batch": lambda m: m.linalg.cholesky(m.stack([m.eye(2), -m.eye(2)])),
    "cholesky_deprecated_not_pd": lambda m: m.cholesky(-m.eye(3)),
    "cholesky_nonsquare": lambda m: m.linalg.cholesky(m.zeros(2, 3)),
    "eigh_int": lambda m: m.linalg.eigh(m.zeros(3, 3, dtype=m.long)),
    "eigh_nonsquare": lambda m: m.linalg.eigh(m.zeros(2, 3)),
    "svd_1d": lambda m: m.linalg.svd(m.zeros(3)),
    "svd_int": lambda m: m.linalg.svd(m.zeros(3, 3, dtype=m.long)),
    "qr_mode": lambda m: m.linalg.qr(m.zeros(3, 3), mode="x"),
    "qr_r_backward": lambda m: m.linalg.qr(m.ones(3, 3, requires_grad=True), mode="r").R.sum().backward(),
    "qr_complete_tall_backward": lambda m: (
        m.linalg.qr(m.eye(4, 3, requires_grad=True), mode="complete").Q.sum().backward()
    ),
    "cross_size": lambda m: m.linalg.cross(m.zeros(2, 4), m.zeros(2, 4)),
    "cross_broadcast": lambda m: m.linalg.cross(m.zeros(2, 3), m.zeros(3, 3)),
    "vector_norm_int": lambda m: m.linalg.vector_norm(m.zeros(3, dtype=m.long)),
    "vector_norm_str_ord": lambda m: m.linalg.vector_norm(m.ones(3), ord="fro"),
    "matrix_norm_1d": lambda m: m.linalg.matrix_norm(m.zeros(3)),
    "matrix_norm_order": lambda m: m.linalg.matrix_norm(m.zeros(3, 3), ord=3),
    "matrix_norm_int": lambda m: m.linalg.matrix_norm(m.zeros(3, 3, dtype=m.long)),
    "norm_3d_ord": lambda m: m.linalg.norm(m.zeros(3, 3, 3), ord=2),
    "norm_1d_fro": lambda m: m.linalg.norm(m.zeros(3), ord="fro"),
    "matrix_power_nonsquare": lambda m: m.matrix_power(m.zeros(2, 3), 2),
    "matrix_power_singular": lambda m: m.matrix_power(m.zeros(3, 3), -1),
    "cdist_columns": lambda m: m.cdist(m.zeros(3, 2), m.zeros(3, 4)),
    "cdist_1d": lambda m: m.cdist(m.zeros(3), m.zeros(3)),
    "pinv_int": lambda m: m.linalg.pinv(m.zeros(3, 3, dtype=m.long)),
    "matrix_rank_int": lambda m: m.linalg.matrix_rank(m.zeros(3, 3, dtype=m.long)),
    **{
        f"not_a_tensor_{name}": (lambda m, name=name: functools.reduce(getattr, name.split("."), m)([1.0]))
        for name in (
            "linalg.inv",
            "linalg.det",
            "linalg.slogdet",
            "linalg.cholesky",
            "linalg.qr",
            "linalg.eigh",
            "linalg.svd",
            "linalg.svdvals",
            "linalg.vector_norm",
            "linalg.matrix_norm",
            "linalg.norm",
            "inverse",
            "det",
            "logdet",
            "slogdet",
            "cholesky",
        )
    },
    "not_a_tensor_solve_b": lambda m: m.linalg.solve(m.eye(2), [1.0]),
    "not_a_tensor_cross": lambda m: m.linalg.cross([1.0], m.ones(3)),
    "not_a_tensor_matrix_power": lambda m: m.matrix_power([1.0], 2),
    "not_a_tensor_cdist": lambda m: m.cdist([1.0], m.ones(2, 2)),
}


@pytest.mark.parametrize("name", sorted(LINALG_ERRORS))
def test_linalg_error_matches_torch(name: str) -> None:
    fn = LINALG_ERRORS[name]
    expected = error_signature(lambda: fn(torch))
    assert expected is not None
    assert error_signature(lambda: fn(re_)) == expected


def test_singular_results_match_torch() -> None:
    for fn in (
        lambda m: m.linalg.det(m.zeros(3, 3)),
        lambda m: m.linalg.slogdet(m.zeros(3, 3)).logabsdet,
        lambda m: m.logdet(m.zeros(3, 3)),
        lambda m: m.linalg.matrix_rank(m.ones(2, 3, 3)),
    ):
        t, r = fn(torch), fn(re_)
        assert str(r.dtype) == str(t.dtype)
        np.testing.assert_array_equal(as_numpy(r), as_numpy(t))


def test_deprecated_forms_warn_like_torch() -> None:
    def cholesky(m: Any) -> Any:
        return m.cholesky(m.eye(2))

    forms = [lambda m: m.cross(m.ones(2, 3), m.ones(2, 3))]
    if torch_release() == "2.14":  # torch 2.14 removed torch.cholesky: it raises torch's error, warning nothing
        expected = raised_error(lambda: cholesky(torch))
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            assert error_signature(lambda: cholesky(re_)) == expected
        assert not rec
    else:
        forms.append(cholesky)
    for fn in forms:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            fn(re_)
        assert [w.category for w in rec] == [UserWarning]


# --------------------------------------------------------------------------- special
SPECIAL: dict[str, tuple[Callable[..., Any], tuple[np.ndarray, ...]]] = {
    "erfinv": (lambda m, u: m.special.erfinv(u * 2 - 1), (UNIT,)),
    "erfinv_top": (lambda m, u: m.erfinv(u), (UNIT,)),
    "erfinv_method": (lambda m, u: u.erfinv(), (UNIT,)),
    "erfc": (lambda m, x: m.special.erfc(x), (SIGNED,)),
    "erfc_top": (lambda m, x: m.erfc(x), (SIGNED,)),
    "erfcx": (lambda m, x: m.special.erfcx(x), (SIGNED,)),
    "expit": (lambda m, x: m.special.expit(x), (SIGNED,)),
    "logit": (lambda m, u: m.special.logit(u), (UNIT,)),
    "logit_eps": (lambda m, u: m.logit(u, eps=0.2), (UNIT,)),
    "logit_method": (lambda m, u: u.logit(), (UNIT,)),
    "xlogy": (lambda m, x, y: m.special.xlogy(x, y), (SIGNED, POS)),
    "xlogy_top_zero": (lambda m, x, y: m.xlogy(x * (x > 0), y), (SIGNED, POS)),
    "xlogy_scalar_self": (lambda m, y: m.xlogy(2.0, y), (POS,)),
    "xlogy_scalar_other": (lambda m, x: m.xlogy(x, 3.0), (SIGNED,)),
    "xlogy_method": (lambda m, x, y: x.xlogy(y), (SIGNED, POS)),
    "xlog1py": (lambda m, x, y: m.special.xlog1py(x, y), (SIGNED, POS)),
    "ndtr": (lambda m, x: m.special.ndtr(x), (SIGNED,)),
    "log_ndtr": (lambda m, x: m.special.log_ndtr(x * 5), (SIGNED,)),
    "ndtri": (lambda m, u: m.special.ndtri(u), (UNIT,)),
    "sinc": (lambda m, x: m.special.sinc(x), (SIGNED,)),
    "sinc_top": (lambda m, x: m.sinc(x), (SIGNED,)),
    "entr": (lambda m, p: m.special.entr(p), (POS,)),
    "gammaln": (lambda m, x: m.special.gammaln(x), (SIGNED,)),
    "lgamma": (lambda m, p: m.lgamma(p), (POS,)),
    "lgamma_method": (lambda m, x: x.lgamma(), (SIGNED,)),
    "digamma": (lambda m, x: m.special.digamma(x), (SIGNED,)),
    "digamma_top": (lambda m, p: m.digamma(p), (POS,)),
    "psi": (lambda m, p: m.special.psi(p), (POS,)),
    "polygamma": (lambda m, p: m.special.polygamma(2, p), (POS,)),
    "polygamma_top": (lambda m, p: m.polygamma(1, p), (POS,)),
    "polygamma_method": (lambda m, p: p.polygamma(3), (POS,)),
    "i0": (lambda m, x: m.special.i0(x), (SIGNED,)),
    "i0_top": (lambda m, x: m.i0(x), (SIGNED,)),
    "i0e": (lambda m, x: m.special.i0e(x), (SIGNED,)),
    "i1": (lambda m, x: m.special.i1(x), (SIGNED,)),
    "i1e": (lambda m, x: m.special.i1e(x), (SIGNED,)),
    "exp2": (lambda m, x: m.special.exp2(x), (SIGNED,)),
    "logsumexp": (lambda m, x: m.special.logsumexp(x, 1), (SIGNED,)),
    "softmax": (lambda m, x: m.special.softmax(x, 0), (SIGNED,)),
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_matches_torch(name: str) -> None:
    fn, arrays = SPECIAL[name]
    check(fn, *arrays, rtol=1e-12)


@pytest.mark.parametrize("name", ["erfinv", "logit", "xlogy", "lgamma", "digamma", "i0", "i1", "sinc", "ndtr"])
def test_special_double_backward(name: str) -> None:
    fn, arrays = SPECIAL[name]
    check(fn, *arrays, order=2, chain=False, rtol=1e-10)


@pytest.mark.parametrize("name", sorted(SPECIAL))
@pytest.mark.parametrize("dtype", ["float32", "float16", "int64"])
def test_special_dtypes(name: str, dtype: str) -> None:
    fn, arrays = SPECIAL[name]
    if dtype == "int64":
        arrays = tuple(np.floor(a * 3) for a in arrays)

    def run(m: Any) -> Any:
        return fn(m, *[m.tensor(a.astype(dtype)) for a in arrays])

    expected_error = error_signature(lambda: run(torch))
    assert error_signature(lambda: run(re_)) == expected_error
    if expected_error:
        return  # a kernel torch does not have for this dtype
    t, r = run(torch), run(re_)
    assert str(r.dtype) == str(t.dtype)
    tol = 1e-3 if dtype == "float16" else 2e-6
    np.testing.assert_allclose(as_numpy(r).astype(float), as_numpy(t).astype(float), rtol=tol, atol=tol, equal_nan=True)


def test_special_edge_values() -> None:
    edges = np.array([0.0, -0.0, -1.0, -2.5, 1.0, np.inf, -np.inf, np.nan, 1e-300, 40.0])
    for fn in (
        lambda m, x: m.special.erfinv(m.tanh(x)),
        lambda m, x: m.special.gammaln(x),
        lambda m, x: m.special.digamma(x),
        lambda m, x: m.special.entr(x),
        lambda m, x: m.special.sinc(x),
        lambda m, x: m.special.xlogy(x, x),
        lambda m, x: m.special.xlogy(0.0, x),
        lambda m, x: m.special.log_ndtr(x),
        lambda m, x: m.special.i0(x),
        lambda m, x: m.logit(x),
    ):
        t, r = fn(torch, torch.tensor(edges)), fn(re_, re_.tensor(edges))
        np.testing.assert_allclose(as_numpy(r), as_numpy(t), rtol=1e-12, equal_nan=True)


def test_special_errors_match_torch() -> None:
    for fn in (lambda m: m.polygamma(-1, m.ones(2)),):
        assert error_signature(lambda fn=fn: fn(re_)) == error_signature(lambda fn=fn: fn(torch))


_HALF_ERRORS: dict[str, Callable[[Any, Any], Any]] = {
    "inv": lambda m, h: m.linalg.inv(h),
    "det": lambda m, h: m.linalg.det(h),
    "slogdet": lambda m, h: m.linalg.slogdet(h),
    "solve": lambda m, h: m.linalg.solve(h, h),
    "cholesky": lambda m, h: m.linalg.cholesky(h),
    "eigh": lambda m, h: m.linalg.eigh(h),
    "svd": lambda m, h: m.linalg.svd(h),
    "qr": lambda m, h: m.linalg.qr(h),
    "pinv": lambda m, h: m.linalg.pinv(h),
    "matrix_norm_nuc": lambda m, h: m.linalg.matrix_norm(h, "nuc"),
    "cdist": lambda m, h: m.cdist(h, h),
}


@pytest.mark.parametrize("name", sorted(_HALF_ERRORS))
def test_half_linalg_errors_match_torch(name: str) -> None:
    fn = _HALF_ERRORS[name]
    expected = error_signature(lambda: fn(torch, torch.eye(3, dtype=torch.float16)))
    assert expected is not None
    assert error_signature(lambda: fn(re_, re_.eye(3, dtype=re_.float16))) == expected


@pytest.mark.parametrize(
    "name", ["inv", "det", "solve_matrix", "cholesky", "qr_tall", "eigvalsh", "svdvals", "pinv_tall", "cdist"]
)
def test_float32_grads(name: str) -> None:
    fn, arrays = LINALG[name]
    check(fn, *[a.astype(np.float32) for a in arrays], rtol=2e-4)


@pytest.mark.parametrize("name", ["erfinv", "lgamma", "digamma", "polygamma", "xlogy", "logit", "i1", "ndtr"])
def test_special_float32_grads(name: str) -> None:
    fn, arrays = SPECIAL[name]
    check(fn, *[a.astype(np.float32) for a in arrays], rtol=2e-5)
