"""torch.special's ported kernels and torch.signal.windows against real torch, for what the OpInfo catalogue's
samples leave out: edge values (poles, zeros, infinities, NaN), zeta's gradient (its entry has no autograd),
the non-differentiable Bessel / polynomial outputs, the window argument errors, special.round's node, and the
whole family running with SciPy absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from tests.helpers import OVER_FLOAT_DTYPES, assert_same_error_full, assert_same_result

EDGES = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, -2.5, 0.5, 1e-30, 1e-6, 5.0, 8.0, 30.0, -30.0, 1e3]
EDGES += [float("inf"), float("-inf"), float("nan")]

UNARY = [
    "digamma", "special.erfcx", "special.erfc", "special.log_ndtr", "special.i0e", "special.i1", "special.i1e",
    "erfinv", "special.ndtri", "special.airy_ai", "special.bessel_j0", "special.bessel_j1", "special.bessel_y0",
    "special.bessel_y1", "special.modified_bessel_i0", "special.modified_bessel_i1", "special.modified_bessel_k0",
    "special.modified_bessel_k1", "special.scaled_modified_bessel_k0", "special.scaled_modified_bessel_k1",
    "special.spherical_bessel_j0",
]  # fmt: skip


def _fn(lib: Any, name: str) -> Any:
    for part in name.split("."):
        lib = getattr(lib, part)
    return lib


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("name", UNARY)
def test_unary_edge_values(name: str, tdt: Any, edt: Any) -> None:
    # erfinv and ndtri live on [-1, 1] / [0, 1]: their edges are those of the domain
    values = [-1.0, 1.0, 0.0, 0.5, 0.999, -0.9999, 1.5, float("nan")] if name in ("erfinv", "special.ndtri") else EDGES
    assert_same_result(lambda m: _fn(m, name)(m.tensor(values, dtype=tdt if m is torch else edt)))


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_poles_and_reflection(n: int, tdt: Any, edt: Any) -> None:
    values = [0.0, -0.0, -1.0, -3.0, -2.5, 0.25, 1.0, 10.0, 1e4, float("inf"), float("nan")]
    assert_same_result(lambda m: m.polygamma(n, m.tensor(values, dtype=tdt if m is torch else edt)))


@OVER_FLOAT_DTYPES
def test_zeta_edges_and_scalar_forms(tdt: Any, edt: Any) -> None:
    x = [1.0, 0.5, 2.0, 2.0, 3.0, 2.0, 4.0, float("nan"), 2.0]
    q = [1.0, 1.0, 0.0, -1.0, -1.5, -1.5, 1e-3, 1.0, float("inf")]

    def program(m: Any) -> Any:
        dt = tdt if m is torch else edt
        xt, qt = m.tensor(x, dtype=dt), m.tensor(q, dtype=dt)
        return m.special.zeta(xt, qt), m.special.zeta(3.0, qt), m.special.zeta(xt, 2.5)

    assert_same_result(program)


def test_zeta_gradient_and_missing_derivative() -> None:
    def grad_q(m: Any) -> Any:
        q = m.tensor([1.5, 2.0, 7.0], dtype=m.float64, requires_grad=True)
        y = m.special.zeta(m.tensor([2.0, 3.0, 4.5], dtype=m.float64), q)
        (g,) = m.autograd.grad(y.sum(), q)
        return y.grad_fn.name(), m.special.zeta(2.0, q).grad_fn.name(), g

    assert_same_result(grad_q)

    def grad_x(m: Any) -> Any:
        x = m.tensor([2.0, 3.0], requires_grad=True)
        return m.special.zeta(x, 2.0).sum().backward()

    assert_same_error_full(grad_x)


@pytest.mark.parametrize("name", ["special.bessel_j0", "special.airy_ai", "special.modified_bessel_k1"])
def test_bessel_outputs_do_not_require_grad(name: str) -> None:
    def program(m: Any) -> Any:
        y = _fn(m, name)(m.tensor([0.5, 2.0], requires_grad=True))
        return y.requires_grad, y.grad_fn is None

    assert_same_result(program)


@pytest.mark.parametrize("kind", ["chebyshev_polynomial_u", "hermite_polynomial_h", "legendre_polynomial_p"])
def test_polynomials_scalar_forms_and_large_n(kind: str) -> None:
    def program(m: Any) -> Any:
        f = getattr(m.special, kind)
        x = m.tensor([-1.0, -0.3, 0.0, 0.7, 1.0, 1.5], requires_grad=True)
        n = m.tensor([0.0, 3.9, 40.0, 600.0, -2.0, 9.0])
        y = f(x, n)
        return y, f(x, 12), f(0.25, n), y.requires_grad

    assert_same_result(program)


def test_polynomials_reject_two_numbers() -> None:
    def program(m: Any) -> Any:
        return m.special.chebyshev_polynomial_t(0.5, 3)

    with pytest.raises(TypeError) as got:
        program(engine)
    with pytest.raises(TypeError) as want:
        program(torch)
    assert str(got.value).splitlines()[0] == str(want.value).splitlines()[0]


def test_special_round_is_the_decimals_overload() -> None:
    def program(m: Any) -> Any:
        x = m.tensor([0.5, 1.26, -2.5], requires_grad=True)
        return [y.grad_fn.name() for y in (m.round(x), m.round(x, decimals=0), m.special.round(x), x.round())]

    assert_same_result(program)


@pytest.mark.parametrize("window", ["hann", "kaiser", "gaussian", "bartlett", "nuttall"])
def test_window_with_grad_and_float64(window: str) -> None:
    def program(m: Any) -> Any:
        w = getattr(m.signal.windows, window)(7, sym=False, dtype=m.float64, requires_grad=True)
        return w, w.grad_fn.name() if w.grad_fn is not None else None

    assert_same_result(program)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.signal.windows.hann(-1),
        lambda m: m.signal.windows.hann(3, layout=m.sparse_coo),
        lambda m: m.signal.windows.hann(3, dtype=m.int64),
        lambda m: m.signal.windows.exponential(3, tau=0.0),
        lambda m: m.signal.windows.exponential(3, center=1.0),
        lambda m: m.signal.windows.gaussian(3, std=-1.0),
        lambda m: m.signal.windows.kaiser(3, beta=-1.0),
        lambda m: m.signal.windows.general_cosine(3, a=[]),
    ],
)
def test_window_errors(call: Any) -> None:
    assert_same_error_full(call)


_NO_SCIPY = """
import json, sys
sys.modules["scipy"] = None
sys.modules["scipy.special"] = None
import numpy as np
import reference_engine as torch
x = torch.tensor(np.linspace(-4, 4, 17), dtype=torch.float64)
p = torch.tensor(np.linspace(0.01, 0.99, 17), dtype=torch.float64)
s = torch.special
out = {
    "digamma": torch.digamma(x), "polygamma3": torch.polygamma(3, x), "erfc": s.erfc(x), "erfcx": s.erfcx(x),
    "log_ndtr": s.log_ndtr(x), "i0e": s.i0e(x), "i1": s.i1(x), "i1e": s.i1e(x), "j0": s.bessel_j0(x),
    "airy": s.airy_ai(x), "zeta": s.zeta(x.abs() + 1.5, x.abs() + 0.5), "erfinv": torch.erfinv(p * 2 - 1),
    "ndtri": s.ndtri(p), "cheb": s.chebyshev_polynomial_t(x / 4, 9), "kaiser": torch.signal.windows.kaiser(9, dtype=torch.float64),
}
print(json.dumps({k: v.tolist() for k, v in out.items()}))
"""


def test_ported_functions_need_no_scipy() -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "-c", _NO_SCIPY], capture_output=True, text=True, env=env, check=True)
    got = json.loads(done.stdout)
    x = torch.tensor(np.linspace(-4, 4, 17), dtype=torch.float64)
    p = torch.tensor(np.linspace(0.01, 0.99, 17), dtype=torch.float64)
    s = torch.special
    want = {
        "digamma": torch.digamma(x), "polygamma3": torch.polygamma(3, x), "erfc": s.erfc(x), "erfcx": s.erfcx(x),
        "log_ndtr": s.log_ndtr(x), "i0e": s.i0e(x), "i1": s.i1(x), "i1e": s.i1e(x), "j0": s.bessel_j0(x),
        "airy": s.airy_ai(x), "zeta": s.zeta(x.abs() + 1.5, x.abs() + 0.5), "erfinv": torch.erfinv(p * 2 - 1),
        "ndtri": s.ndtri(p), "cheb": s.chebyshev_polynomial_t(x / 4, 9), "kaiser": torch.signal.windows.kaiser(9, dtype=torch.float64),
    }  # fmt: skip
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value.numpy(), rtol=1e-7, atol=1e-7, equal_nan=True, err_msg=name)
