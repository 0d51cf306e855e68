"""Cases the OpInfo samples miss for the bit shifts, gcd/lcm, frexp/ldexp, the trapezoid rule, gradient, cov,
unique_consecutive, isin, nonzero_static, nanmedian, histogram and the incomplete gamma functions: integer
operands, out-of-range shift amounts, empty and non-finite inputs, the domain edges of igamma/igammac and the
regimes of its algorithm. Every expectation is real torch's answer to the same program."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import torch

from tests.helpers import assert_same_error_full, assert_same_result

NAN, INF = float("nan"), float("inf")


# --------------------------------------------------------------------------- integers and bits
@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8"])
def test_shifts_by_negative_or_too_many_bits(dtype: str) -> None:
    def program(m: Any) -> Any:
        dt = getattr(m, dtype)
        signed = dtype != "uint8"
        x = m.tensor([3, -8, 127, 1] if signed else [3, 200, 127, 1], dtype=dt)
        s = m.tensor([1, 70, -1, 7] if signed else [1, 9, 8, 7], dtype=dt)
        return x << s, x >> s, m.bitwise_left_shift(x, 3), m.bitwise_right_shift(x, 9), 1 << x

    assert_same_result(program)


def test_in_place_shift_operators_and_methods() -> None:
    def program(m: Any) -> Any:
        x = m.tensor([3, -8, 5])
        y = x
        x <<= 2
        x >>= m.tensor([1, 2, 70])
        z = m.tensor([0.5, 2.0])
        return x, y is x, x._version, z.arcsinh_(), m.tensor([3.0, 4.0]).ldexp_(m.tensor([1.0, 2.0]))

    assert_same_result(program)


def test_shift_errors() -> None:
    assert_same_error_full(lambda m: m.bitwise_left_shift(m.ones(2), m.ones(2)))
    assert_same_error_full(lambda m: m.bitwise_right_shift(m.tensor([True]), m.tensor([True])))


def test_gcd_lcm_zeros_and_signs() -> None:
    assert_same_result(
        lambda m: (
            m.gcd(m.tensor([0, -6, 4, 0]), m.tensor([0, 4, -6, 5])),
            m.lcm(m.tensor([0, -6, 4, 0]), m.tensor([0, 4, -6, 5])),
            m.tensor([12, 18], dtype=m.int16).gcd_(m.tensor([8, 27], dtype=m.int16)),
        )
    )
    assert_same_error_full(lambda m: m.gcd(m.ones(2), m.ones(2)))


def test_frexp_specials_and_ldexp_of_integers() -> None:
    assert_same_result(lambda m: tuple(m.frexp(m.tensor([0.0, -3.5, INF, -INF, NAN, 1e-40]))))
    assert_same_result(lambda m: m.ldexp(m.tensor([1, 2]), m.tensor([3, -4])))
    assert_same_error_full(lambda m: m.frexp(m.tensor([1, 2])))


def test_isposinf_isneginf_isreal_on_integers() -> None:
    assert_same_result(
        lambda m: (m.isposinf(m.tensor([1, 2])), m.isneginf(m.tensor([True])), m.isreal(m.tensor([1, 2])))
    )


# --------------------------------------------------------------------------- integration and differences
def test_trapezoid_family_on_integers_and_empty_dims() -> None:
    def program(m: Any) -> Any:
        y = m.tensor([[1, 2, 4], [3, 5, 9]])
        return (
            m.trapezoid(y),
            m.trapezoid(y, dx=2),
            m.trapz(y, m.tensor([1, 2, 5])),
            m.cumulative_trapezoid(y, dim=0),
            m.trapezoid(m.ones(3, 0)),
            m.cumulative_trapezoid(m.ones(3, 0)),
        )

    assert_same_result(program)
    assert_same_error_full(lambda m: m.trapezoid(m.ones(3, 4), m.ones(3)))
    assert_same_error_full(lambda m: m.trapezoid(m.ones(3) > 0))


def test_gradient_of_integers_and_spacing_errors() -> None:
    assert_same_result(
        lambda m: (
            m.gradient(m.tensor([1, 2, 4, 8]), spacing=2),
            m.gradient(m.tensor([1, 2, 4, 8]), spacing=(m.tensor([0, 1, 3, 4]),), edge_order=2),
        )
    )
    t = [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert_same_error_full(lambda m: m.gradient(m.tensor(t), spacing=[0.1]))
    assert_same_error_full(lambda m: m.gradient(m.tensor(t), spacing=0.1, dim=(1, 1)))


def test_cov_with_both_weights_and_integer_input() -> None:
    def program(m: Any) -> Any:
        x = m.tensor([[1.0, 2, 4, 3], [3, 5, 9, 1], [0, 2, 2, 7]])
        fw, aw = m.tensor([1, 2, 1, 3]), m.tensor([0.5, 1.0, 2.0, 1.0])
        return m.cov(x, correction=2, fweights=fw, aweights=aw), m.cov(m.tensor([[1, 2, 4], [3, 5, 9]])), m.corrcoef(x)

    assert_same_result(program)
    assert_same_error_full(lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([1, -1, 1])))
    assert_same_error_full(lambda m: m.cov(m.ones(2, 3), aweights=m.tensor([1, 1, 1])))


# --------------------------------------------------------------------------- sets, selections, histograms
def test_unique_consecutive_variants() -> None:
    def program(m: Any) -> Any:
        x = m.tensor([[1, 1], [1, 1], [2, 3]])
        return (
            m.unique_consecutive(x, return_inverse=True, return_counts=True),
            m.unique_consecutive(x, dim=0, return_inverse=True, return_counts=True),
            m.unique_consecutive(x, dim=1, return_inverse=True, return_counts=True),
            m.unique_consecutive(m.tensor(3.0), return_inverse=True, return_counts=True),
        )

    assert_same_result(program)


def test_isin_promotes_without_broadcasting_and_nonzero_static_pads() -> None:
    assert_same_result(
        lambda m: (
            m.isin(m.tensor([1, 2, 3]), m.tensor([2.0, 3.5])),
            m.isin(2, m.tensor([1, 2])),
            m.isin(m.tensor([1, 2]), 2, invert=True),
            m.nonzero_static(m.tensor([[1, 0], [0, 2]]), size=3, fill_value=-5),
            m.nonzero_static(m.tensor(3.0), size=2),
            m.bucketize(2.5, m.tensor([1.0, 2.0, 3.0]), right=True),
        )
    )
    assert_same_error_full(lambda m: m.nonzero_static(m.ones(2), size=-1))


def test_nanmedian_skips_nans() -> None:
    # an all-NaN slice's *index* is left out: torch's is whatever std::nth_element leaves (not reproduced)
    def program(m: Any) -> Any:
        x = m.tensor([[1.0, NAN, 3.0, 2.0], [NAN, 5.0, NAN, 4.0], [NAN] * 4])
        r = m.nanmedian(x, 1)
        return m.nanmedian(x), m.nanmedian(x[2]), r.values, r.indices[:2]

    assert_same_result(program)


def test_histogram_edges_ranges_and_errors() -> None:
    def program(m: Any) -> Any:
        x = m.tensor([1.0, 2, 1, 4, 2.5, 3])
        return (
            tuple(m.histogram(x, bins=4)),
            tuple(m.histogram(x, m.tensor([0.0, 1, 2, 5]), weight=m.ones(6), density=True)),
            tuple(m.histogram(m.tensor([1.0, NAN]), 2, range=(0.0, 2.0))),
            tuple(m.histogram(m.ones(0), bins=3)),
            tuple(m.histogram(m.tensor([1.0, 1]), bins=2)),
            tuple(m.histogram(m.tensor([0.1, 0.7, 0.3]), bins=6)),
            m.histogramdd(m.tensor([[0.0, 1], [1, 0], [2, 0], [2, 2]]), bins=[3, 2]).hist,
        )

    assert_same_result(program)
    assert_same_error_full(lambda m: m.histogram(m.tensor([1.0, INF]), 2))
    assert_same_error_full(lambda m: m.histogram(m.ones(3), 3, range=(2.0, 1.0)))


# --------------------------------------------------------------------------- incomplete gamma, mvlgamma
_A = [0.0, 0.0, 1.0, 2.0, INF, INF, -1.0, 3.0, 0.5, 2.0, 30.0, 250.0, 3.0, 1e-3, 700.0, 25.0, 0.7]
_X = [0.0, 1.0, 0.0, INF, 1.0, INF, 1.0, -1.0, 0.3, 3.0, 28.0, 260.0, 0.7, 1e-3, 690.0, 60.0, 0.6]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_igamma_igammac_domain_edges_and_regimes(dtype: str) -> None:
    # the edges torch assigns (a or x zero, infinite, negative) and each branch of calc_igamma(c): the series,
    # the continued fraction, the complement, the asymptotic expansion for large a near x
    def program(m: Any) -> Any:
        dt = getattr(m, dtype)
        a, x = m.tensor(_A, dtype=dt), m.tensor(_X, dtype=dt)
        return m.igamma(a, x), m.igammac(a, x), m.special.gammaincc(a, x), a.igamma(x)

    assert_same_result(program)


def test_igamma_grad_of_other_and_errors() -> None:
    def program(m: Any) -> Any:
        a = m.tensor([1.0, 2.5], dtype=m.float64)
        x = m.tensor([0.5, 3.0], dtype=m.float64, requires_grad=True)
        y = m.igamma(a, x) + m.igammac(a, x) * 2
        return y.grad_fn.name(), m.autograd.grad(y.sum(), x)

    assert_same_result(program)
    assert_same_error_full(lambda m: m.igamma(m.tensor([1, 2]), m.tensor([1, 2])))


def test_mvlgamma_of_integers() -> None:
    assert_same_result(lambda m: (m.mvlgamma(m.tensor([2, 3]), 2), m.special.multigammaln(m.tensor([2.5]), 3)))
    assert_same_error_full(lambda m: m.mvlgamma(m.tensor([3.0]), 0))


def test_incomplete_gamma_without_scipy() -> None:
    # the engine must not need SciPy: the same values with SciPy's modules blocked, in a fresh interpreter
    code = (
        "import sys; sys.modules['scipy'] = None; sys.modules['scipy.special'] = None\n"
        "import json, reference_engine as torch\n"
        f"a = torch.tensor({_A}); x = torch.tensor({_X})\n"
        "print(json.dumps([torch.igamma(a, x).tolist(), torch.igammac(a, x).tolist(), "
        "torch.mvlgamma(a.abs() + 2, 3).tolist()]))\n"
    )
    got = subprocess.run([sys.executable, "-c", code.replace("inf", "float('inf')")], capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    a, x = torch.tensor(_A), torch.tensor(_X)
    want = (torch.igamma(a, x), torch.igammac(a, x), torch.mvlgamma(a.abs() + 2, 3))
    values = json.loads(got.stdout)
    for g, w in zip(values, want, strict=True):
        torch.testing.assert_close(torch.tensor(g), w, equal_nan=True, rtol=2e-6, atol=1e-6)
