"""LU factorization and the solvers built on it, side by side with torch, on what the OpInfo catalogue's
samples (all well conditioned) do not reach: singular matrices (zero pivots, ``info``, the error texts),
row swaps on a known matrix, and gradients on empty / 1x1 determinants."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch

import reference_engine as engine
from tests.helpers import assert_same_result, error_signature, grad_fn_name, run_both


def _same_error(fn: Any) -> None:
    """The same exception type name (torch's LinAlgError is torch._C._LinAlgError) and message."""
    want = error_signature(lambda: fn(torch), must_raise=True)
    assert error_signature(lambda: fn(engine)) == want


# an exactly singular 3x3 (a zero column: U[3,3] is 0.0 exactly), put second in a batch so errors name element 1
SINGULAR = [[1.0, 2.0, 0.0], [4.0, 5.0, 0.0], [5.0, 7.0, 0.0]]
REGULAR = [[0.0, 2.0, 1.0], [3.0, 1.0, 0.0], [1.0, 1.0, 4.0]]


def _a(m: Any, rows: Any = SINGULAR) -> Any:
    return m.tensor(rows, dtype=m.float64)


def test_lu_factor_ex_reports_the_zero_pivot() -> None:
    assert_same_result(lambda m: tuple(m.linalg.lu_factor_ex(_a(m))))


def test_lu_factor_pivots_on_a_zero_leading_entry() -> None:
    # REGULAR's first column needs a row swap (A[0, 0] == 0): pivots and P as LAPACK's getrf gives them
    assert_same_result(lambda m: tuple(m.linalg.lu_factor(_a(m, REGULAR))))
    assert_same_result(lambda m: tuple(m.linalg.lu(_a(m, REGULAR))))


@pytest.mark.parametrize("batched", [False, True], ids=["matrix", "batch"])
def test_lu_factor_of_a_singular_matrix_raises(batched: bool) -> None:
    def run(m: Any) -> Any:
        a = m.stack([_a(m, REGULAR), _a(m)]) if batched else _a(m)
        return m.linalg.lu_factor(a)

    _same_error(run)


def test_inv_ex_and_solve_ex_of_a_singular_matrix() -> None:
    got, want = run_both(
        lambda m: (m.linalg.inv_ex(_a(m)).info, m.linalg.solve_ex(_a(m), m.ones(3, 1, dtype=m.float64)).info)
    )
    assert [int(t) for t in got] == [int(t) for t in want]
    _same_error(lambda m: m.linalg.inv_ex(_a(m), check_errors=True))


def test_cholesky_ex_of_a_matrix_that_is_not_positive_definite() -> None:
    got, want = run_both(lambda m: m.linalg.cholesky_ex(_a(m, [[4.0, 2.0], [2.0, -1.0]])).info)
    assert int(got) == int(want)


@pytest.mark.parametrize("shape", [(1, 1), (0, 0), (3, 1, 1)])
def test_det_gradient_of_a_tiny_matrix_is_a_leaf(shape: tuple[int, ...]) -> None:
    def run(m: Any) -> Any:
        a = m.ones(shape, dtype=m.float64).mul(2.0).requires_grad_()
        d = m.linalg.det(a)
        (g,) = m.autograd.grad(d, a, m.ones_like(d), create_graph=True)
        return g, g.requires_grad, g.is_leaf

    assert_same_result(run)


def test_solve_triangular_and_lu_solve_grad_fns() -> None:
    def run(m: Any) -> Any:
        a = _a(m, REGULAR).requires_grad_()
        b = m.tensor([[1.0], [2.0], [3.0]], dtype=m.float64, requires_grad=True)
        lu, piv = m.linalg.lu_factor(a)
        x = m.linalg.lu_solve(lu, piv, b)
        y = m.linalg.solve_triangular(a.triu(), b, upper=True)
        ga, gb = m.autograd.grad((x.sum() + y.sum()), (a, b))
        return grad_fn_name(lu), grad_fn_name(x), grad_fn_name(y), ga, gb

    assert_same_result(run)


NOT_PD = [[4.0, 2.0], [2.0, -1.0]]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.linalg.lu_factor_ex(_a(m), check_errors=True),
        lambda m: m.linalg.solve_ex(_a(m), m.ones(3, 1, dtype=m.float64), check_errors=True),
        lambda m: m.linalg.cholesky_ex(_a(m, NOT_PD), check_errors=True),
    ],
    ids=["lu_factor_ex", "solve_ex", "cholesky_ex"],
)
def test_check_errors_of_the_ex_variants(call: Any) -> None:
    _same_error(call)


def test_legacy_lu_of_a_singular_matrix_does_not_raise() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.lu's once-only deprecation warning
        assert_same_result(lambda m: tuple(m.lu(_a(m))))
        assert_same_result(lambda m: tuple(m.lu(_a(m), get_infos=True)))


def test_ldl_factor_of_a_singular_matrix() -> None:
    assert_same_result(lambda m: tuple(m.linalg.ldl_factor_ex(m.zeros(3, 3, dtype=m.float64))))
    _same_error(lambda m: m.linalg.ldl_factor(m.zeros(2, 3, 3, dtype=m.float64)))
    _same_error(lambda m: m.linalg.ldl_factor_ex(m.zeros(3, 3, dtype=m.float64), check_errors=True))


def test_ldl_factor_with_a_2x2_pivot_block() -> None:
    # a zero diagonal forces Bunch-Kaufman's 2x2 blocks (negative pivots); solve through them
    rows = [[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]]
    assert_same_result(lambda m: tuple(m.linalg.ldl_factor(m.tensor(rows, dtype=m.float64))))

    def solve(m: Any) -> Any:
        ld, piv = m.linalg.ldl_factor(m.tensor(rows, dtype=m.float64))
        return m.linalg.ldl_solve(ld, piv, m.tensor([[1.0], [2.0], [3.0]], dtype=m.float64))

    assert_same_result(solve)
