"""torch.special's Bessel and Airy functions: airy_ai, bessel_j0/j1/y0/y1, modified_bessel_i0/i1/k0/k1,
scaled_modified_bessel_k0/k1, spherical_bessel_j0.

Ported from ATen's ``*_forward`` kernels (aten/src/ATen/native/Math.h, after Cephes): the same domains, the same
rational and Chebyshev approximations (tables in ``_bessel_coefficients``) and the same power series, evaluated
in the input's precision, so float32 results carry torch's float32 rounding. As in ops/orthogonal_polynomials.py,
float32 reproduces two properties of torch's compiled kernel: the polynomial and Chebyshev steps are fused
multiply-adds (``_fma``, exact through float64), and libm's float functions are correctly rounded (``_fn``).
torch records no derivative for these functions: their outputs never require grad.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from ..tensor import Tensor
from . import _bessel_coefficients as K
from ._blocks import blockwise
from ._branches import piecewise as _piecewise
from ._branches import select
from ._util import array_module, on_host

_F32 = np.dtype(np.float32)


def _fma(a: Any, b: Any, c: Any) -> Any:
    """a * b + c rounded once (float32: exact through float64, where the float32 product is exact)."""
    if a.dtype == _F32:
        return (a.astype(np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(_F32)
    return a * b + c


def _fn(f: Any, a: Any) -> Any:
    """A libm function with a correctly rounded float32 result (NumPy's float32 SIMD kernels can be an ulp off)."""
    if a.dtype == _F32:
        return f(a.astype(np.float64)).astype(_F32)
    return f(a)


def _horner(z: Any, coefs: tuple[float, ...]) -> Any:
    """The kernels' ``r = r * z + C[i]`` loops, from r = 0. float32 runs in double and rounds once: torch's fused
    float32 steps are within an ulp or two of that, and one rounding keeps the loop to in-place NumPy passes."""
    w = z.astype(np.float64) if z.dtype == _F32 else z
    r = np.full_like(w, coefs[0])
    for c in coefs[1:]:
        r *= w
        r += c
    return r.astype(z.dtype, copy=False)


def _chebyshev(c: Any, coefs: tuple[float, ...]) -> Any:
    """The kernels' Clenshaw loops ``a = c * q - p + A[i]``; returns 0.5 * (a - p), the series' value (float32 in
    double, rounded once, as ``_horner``)."""
    w = c.astype(np.float64) if c.dtype == _F32 else c
    p = np.zeros_like(w)
    q = np.zeros_like(w)
    a = np.full_like(w, coefs[0])
    for coef in coefs[1:]:
        p, q = q, a
        a = w * q
        a -= p
        a += coef
    a -= p
    a *= 0.5
    return a.astype(c.dtype, copy=False)


# --------------------------------------------------------------------------- Bessel functions of the first and second kind
def _asymptotic(x: Any, t: dict[str, tuple[float, ...]], w: Any, shift: float, second_kind: bool) -> Any:
    """The kernels' large-x form: (P(w)/Q(w) cos(x - shift) - 5/x R(w)/S(w) sin(x - shift)) sqrt(2/pi) / sqrt(x)
    (sin and +cos for the second kind), the outer ``a * b -/+ c`` fused as compiled."""
    dt = x.dtype.type
    phase = x - dt(shift)
    ratio = dt(5) / x * (_horner(w, t["QP"]) / _horner(w, t["QQ"]))
    lead = _horner(w, t["PP"]) / _horner(w, t["PQ"])
    if second_kind:
        value = _fma(lead, _fn(np.sin, phase), ratio * _fn(np.cos, phase))
    else:
        value = _fma(lead, _fn(np.cos, phase), -(ratio * _fn(np.sin, phase)))
    return value * dt(0.797884560802865355879892119868763737) / np.sqrt(x)


def _bessel_j0(x: Any) -> Any:
    dt = x.dtype.type
    t = K.BESSEL_J0

    def small(x: Any) -> Any:
        xx = x * x
        value = (xx - dt(5.78318596294678452118e00)) * (xx - dt(3.04712623436620863991e01)) * _horner(xx, t["RP"])
        return select(x < dt(0.00001), dt(1) - xx / dt(4), value / _horner(xx, t["RQ"]))

    x = np.abs(x)
    return _piecewise(
        x,
        x <= dt(5),
        small,
        lambda x: _asymptotic(x, t, dt(25) / (x * x), 0.785398163397448309615660845819875721, False),
    )


def _bessel_j1(x: Any) -> Any:
    dt = x.dtype.type
    t = K.BESSEL_J1

    def small(x: Any) -> Any:
        xx = x * x
        value = _horner(xx, t["RP"]) / _horner(xx, t["RQ"]) * x
        return value * (xx - dt(1.46819706421238932572e01)) * (xx - dt(4.92184563216946036703e01))

    def big(x: Any) -> Any:
        return _asymptotic(x, t, dt(5) / x * (dt(5) / x), 2.356194490192344928846982537459627163, False)

    ax = np.abs(x)
    out = _piecewise(ax, ax <= dt(5), small, big)
    return select(x < 0, -out, out)


def _bessel_y0(x: Any) -> Any:
    dt = x.dtype.type
    t = K.BESSEL_Y0

    def small(x: Any) -> Any:
        xx = x * x
        value = _horner(xx, t["YP"]) / _horner(xx, t["YQ"])
        value = _fma(dt(0.636619772367581343075535053490057448) * _fn(np.log, x), _bessel_j0(x), value)
        return select(x == 0, -np.inf, select(x < 0, np.nan, value))

    def big(x: Any) -> Any:
        return _asymptotic(x, t, dt(25) / (x * x), 0.785398163397448309615660845819875721, True)

    return _piecewise(x, x <= dt(5), small, big)


def _bessel_y1(x: Any) -> Any:
    dt = x.dtype.type
    t = K.BESSEL_Y1

    def small(x: Any) -> Any:
        xx = x * x
        log_term = dt(0.636619772367581343075535053490057448) * _fma(_bessel_j1(x), _fn(np.log, x), -(dt(1) / x))
        value = _fma(x, _horner(xx, t["YP"]) / _horner(xx, t["YQ"]), log_term)
        return select(x == 0, -np.inf, select(x <= 0, np.nan, value))

    def big(x: Any) -> Any:
        return _asymptotic(x, t, dt(5) / x * (dt(5) / x), 2.356194490192344928846982537459627163, True)

    return _piecewise(x, x <= dt(5), small, big)


# --------------------------------------------------------------------------- modified Bessel functions
def _modified_bessel_i0(x: Any) -> Any:
    dt = x.dtype.type
    t = K.MODIFIED_BESSEL_I0
    ax = np.abs(x)
    return _piecewise(
        ax,
        ax <= dt(8),
        lambda x: _fn(np.exp, x) * _chebyshev(x / dt(2) - dt(2), t["A"]),
        lambda x: _fn(np.exp, x) * _chebyshev(dt(32) / x - dt(2), t["B"]) / np.sqrt(x),
    )


def _modified_bessel_i1(x: Any) -> Any:
    dt = x.dtype.type
    t = K.MODIFIED_BESSEL_I1
    ax = np.abs(x)
    value = _piecewise(
        ax,
        ax <= dt(8),
        lambda x: _chebyshev(x / dt(2) - dt(2), t["A"]) * x * _fn(np.exp, x),
        lambda x: _fn(np.exp, x) * _chebyshev(dt(32) / x - dt(2), t["B"]) / np.sqrt(x),
    )
    return select(x < 0, -value, value)


def _k_domain(x: Any, small: Callable[[Any], Any], big: Callable[[Any], Any]) -> Any:
    """K0, K1 and their scaled forms: the series up to 2, the asymptotic form above; +inf at 0, NaN below."""
    value = _piecewise(x, x <= x.dtype.type(2), small, big)
    return select(x == 0, np.inf, select(x < 0, np.nan, value))


def _k_tail(x: Any, coefs: tuple[float, ...], scaled: bool) -> Any:
    dt = x.dtype.type
    series = _chebyshev(dt(8) / x - dt(2), coefs)
    return series / np.sqrt(x) if scaled else _fn(np.exp, -x) * series / np.sqrt(x)


def _k0_series(x: Any, coefs: tuple[float, ...], scaled: bool) -> Any:
    dt = x.dtype.type
    if scaled:
        value = _chebyshev(x * x - dt(2), coefs) - _fn(np.log, dt(0.5) * x) * _modified_bessel_i0(x)
        return value * _fn(np.exp, x)
    # the unscaled kernel writes std::log(0.5 * x): a double 0.5, so the log and the rest are in double
    log_half_x = np.log(0.5 * x.astype(np.float64))
    return (_chebyshev(x * x - dt(2), coefs) - log_half_x * _modified_bessel_i0(x)).astype(x.dtype)


def _k1_series(x: Any, coefs: tuple[float, ...], scaled: bool) -> Any:
    dt = x.dtype.type
    value = _fma(_fn(np.log, dt(0.5) * x), _modified_bessel_i1(x), _chebyshev(x * x - dt(2), coefs) / x)
    return value * _fn(np.exp, x) if scaled else value


def _modified_bessel_k0(x: Any) -> Any:
    t = K.MODIFIED_BESSEL_K0
    return _k_domain(x, lambda x: _k0_series(x, t["A"], False), lambda x: _k_tail(x, t["B"], False))


def _modified_bessel_k1(x: Any) -> Any:
    t = K.MODIFIED_BESSEL_K1
    return _k_domain(x, lambda x: _k1_series(x, t["A"], False), lambda x: _k_tail(x, t["B"], False))


def _scaled_modified_bessel_k0(x: Any) -> Any:
    t = K.SCALED_MODIFIED_BESSEL_K0
    return _k_domain(x, lambda x: _k0_series(x, t["A"], True), lambda x: _k_tail(x, t["B"], True))


def _scaled_modified_bessel_k1(x: Any) -> Any:
    t = K.SCALED_MODIFIED_BESSEL_K1
    return _k_domain(x, lambda x: _k1_series(x, t["A"], True), lambda x: _k_tail(x, t["B"], True))


# --------------------------------------------------------------------------- i0e, i1, i1e (torch.special's older kernels)
def _i0e_values(xp: Any, a: Any) -> Any:
    """ATen's calc_i0e: exp(-|x|) I0(x) from Chebyshev series on [0, 8] and (8, inf)."""
    dt = a.dtype.type
    x = np.abs(a)
    return _piecewise(
        x,
        x <= dt(8),
        lambda x: _chebyshev(x / dt(2) - dt(2), K.I0E_A),
        lambda x: _chebyshev(dt(32) / x - dt(2), K.I0E_B) / np.sqrt(x),
    )


def _i1e_tables(a: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    # the float kernels use shorter tables (float precision needs fewer terms)
    return (K.I1E_A_F32, K.I1E_B_F32) if a.dtype == _F32 else (K.I1E_A_F64, K.I1E_B_F64)


def _i1_values(xp: Any, a: Any) -> Any:
    """ATen's calc_i1: exp(|x|) |x| times the i1e series on [0, 8]; exp(|x|) series / sqrt(|x|) beyond; odd."""
    dt = a.dtype.type
    x = np.abs(a)
    ta, tb = _i1e_tables(a)
    out = _piecewise(
        x,
        x <= dt(8),
        lambda x: _fn(np.exp, x) * x * _chebyshev(x / dt(2) - dt(2), ta),
        lambda x: _fn(np.exp, x) * _chebyshev(dt(32) / x - dt(2), tb) / np.sqrt(x),
    )
    return select(a < 0, -out, out)


def _i1e_values(xp: Any, a: Any) -> Any:
    """ATen's calc_i1e: exp(-|x|) I1(x), odd."""
    dt = a.dtype.type
    x = np.abs(a)
    ta, tb = _i1e_tables(a)
    out = _piecewise(
        x,
        x <= dt(8),
        lambda x: _chebyshev(x / dt(2) - dt(2), ta) * x,
        lambda x: _chebyshev(dt(32) / x - dt(2), tb) / np.sqrt(x),
    )
    return select(a < 0, -out, out)


# --------------------------------------------------------------------------- Airy Ai, spherical j0
def _airy_series(x: Any) -> Any:
    """The power series for |x| < 2.09: f and g summed until the term's relative size is below epsilon."""
    dt = x.dtype.type
    eps = dt(D.np_finfo(x.dtype).eps)
    f = np.ones_like(x)
    g = x.copy()
    k = np.ones_like(x)
    m = np.ones_like(x)
    n = x.copy()
    z = x * x * x
    live = np.arange(x.size)
    flat_f, flat_g = f.copy(), g.copy()
    while live.size:
        m = m * z
        k = k + dt(1)
        m = m / k
        n = n * z
        k = k + dt(1)
        n = n / k
        m = m / k
        f = f + m
        k = k + dt(1)
        n = n / k
        g = g + n
        going = np.abs(m / f) > eps
        done = ~going
        flat_f[live[done]], flat_g[live[done]] = f[done], g[done]
        live, f, g, k, m, n, z = live[going], f[going], g[going], k[going], m[going], n[going], z[going]
    return _fma(dt(0.355028053887817239260), flat_f, -(dt(0.258819403792806798405) * flat_g))


def _airy_ai(x: Any) -> Any:
    dt = x.dtype.type
    t = K.AIRY_AI
    shape = x.shape
    x = x.reshape(-1)
    out = np.zeros_like(x)
    # x < -2.09: the oscillating asymptotic form
    neg = x < dt(-2.09)
    xn = x[neg]
    zeta = dt(-2) * xn * np.sqrt(-xn) / dt(3)
    z = dt(1) / zeta
    zz = z * z
    phase = zeta + dt(0.25) * dt(math.pi)
    amp = dt(1) + z * z * _horner(zz, t["AFN"]) / _horner(zz, t["AFD"])
    osc = _fma(_fn(np.sin, phase), amp, -(_fn(np.cos, phase) * (z * _horner(zz, t["AGN"]) / _horner(zz, t["AGD"]))))
    out[neg] = dt(5.64189583547756286948e-01) / np.sqrt(np.sqrt(-xn)) * osc
    # x >= 2.09: the decaying asymptotic form
    pos = x >= dt(2.09)
    xp = x[pos]
    zeta = dt(2) * xp * np.sqrt(xp) / dt(3)
    ratio = _horner(dt(1) / zeta, t["AN"]) / _horner(dt(1) / zeta, t["AD"])
    out[pos] = dt(5.64189583547756286948e-01) * ratio / (dt(2) * np.sqrt(np.sqrt(xp)) * _fn(np.exp, zeta))
    mid = ~neg & ~pos
    out[mid] = _airy_series(x[mid])
    out = select(x > dt(103.892), dt(0), out)
    return select(np.isinf(x), np.nan, out).reshape(shape)


def _spherical_bessel_j0(x: Any) -> Any:
    dt = x.dtype.type
    xx = x * x
    series = dt(1) / dt(6227020800.0)
    for c in (-1 / 39916800.0, 1 / 362880.0, -1 / 5040.0, 1 / 120.0, -1 / 6.0, 1.0):
        series = _fma(xx, series, dt(c) if c != 1.0 else dt(1))
    # the kernel's constants are T(1.0) / T(6.0) ...: quotients rounded in T
    value = select(np.abs(x) < dt(0.5), series, _fn(np.sin, x) / x)
    return select(np.isinf(x), dt(0), value)


def _unary(name: str, kernel: Callable[[Any], Any]) -> Callable[[Tensor], Tensor]:
    def op(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(
                f"special_{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
            )
        dt = D.to_float(D._FROM_NUMPY[input._data.dtype])
        data = input._data
        with np.errstate(all="ignore"):
            values = on_host(lambda xp, a: np.asarray(blockwise(kernel, np.array(a, dtype=dt.np)), dtype=dt.np))(
                array_module(data), data
            )
        return Tensor._make(values)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.special.{name}: elementwise, not differentiable."
    return op


airy_ai = _unary("airy_ai", _airy_ai)
bessel_j0 = _unary("bessel_j0", _bessel_j0)
bessel_j1 = _unary("bessel_j1", _bessel_j1)
bessel_y0 = _unary("bessel_y0", _bessel_y0)
bessel_y1 = _unary("bessel_y1", _bessel_y1)
modified_bessel_i0 = _unary("modified_bessel_i0", _modified_bessel_i0)
modified_bessel_i1 = _unary("modified_bessel_i1", _modified_bessel_i1)
modified_bessel_k0 = _unary("modified_bessel_k0", _modified_bessel_k0)
modified_bessel_k1 = _unary("modified_bessel_k1", _modified_bessel_k1)
scaled_modified_bessel_k0 = _unary("scaled_modified_bessel_k0", _scaled_modified_bessel_k0)
scaled_modified_bessel_k1 = _unary("scaled_modified_bessel_k1", _scaled_modified_bessel_k1)
spherical_bessel_j0 = _unary("spherical_bessel_j0", _spherical_bessel_j0)

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
    "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
]  # fmt: skip
