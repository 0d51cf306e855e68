"""The error-function family's value kernels: erfcx, erfc, log_ndtr, erfinv, ndtri (and the double erf they
use), NumPy ports of ATen's kernels (aten/src/ATen/native/Math.h: the Faddeeva package's erfcx_y100 table,
calc_erfcx, calc_log_ndtr, calc_erfinv, Cephes' calc_ndtri). ops/special.py builds the ops and their backward
nodes on them. Each kernel takes (xp, array) like the engine's other value functions and computes on the host.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._blocks import blockwise
from ._branches import piecewise as _piecewise
from ._branches import select
from ._erfcx_coefficients import ERFCX_Y100


def _erf64(x: Any) -> Any:
    """erf in double without SciPy: its Maclaurin series below |x| = 0.5 (13 terms reach double precision there),
    1 - erfc(|x|) from the erfcx table above."""

    def series(x: Any) -> Any:
        minus_xx = -(x * x)
        term = x.copy()
        total = x.copy()
        tmp = np.empty_like(x)
        for n in range(1, 14):  # in place: the same operations as term = term * -xx / n; total += term / (2n + 1)
            term *= minus_xx
            term /= n
            np.divide(term, 2 * n + 1, out=tmp)
            total += tmp
        total *= 2 / math.sqrt(math.pi)
        return total

    def outer(x: Any) -> Any:
        return np.copysign(1 - _erfc64(np.abs(x)), x)

    return _piecewise(x, np.abs(x) < 0.5, series, outer)


_ERFINV_A = (-0.140543331, 0.914624893, -1.645349621, 0.886226899)
_ERFINV_B = (0.012229801, -0.329097515, 1.442710462, -2.118377725, 1.0)
_ERFINV_C = (1.641345311, 3.429567803, -1.624906493, -1.970840454)
_ERFINV_D = (1.637067800, 3.543889200, 1.0)


def _erfinv_values(xp: Any, y: Any) -> Any:
    return blockwise(_erfinv_block, y)


def _erfinv_block(y: Any) -> Any:
    """ATen's calc_erfinv: a rational first guess (central for |y| <= 0.7, tail beyond), then two Newton steps on
    erf. float32 runs the double algorithm and rounds once: torch's float32 results match that (99.98% bit-exact on
    uniform samples), not a float32 evaluation of the same steps."""
    if y.dtype == np.float32:
        return _erfinv_block(y.astype(np.float64)).astype(np.float32)
    dt = y.dtype.type
    ya = np.abs(y)

    def central(y: Any) -> Any:
        z = y * y
        return y * _horner_rational(z, _ERFINV_A) / _horner_rational(z, _ERFINV_B)

    def tail(y: Any) -> Any:
        zt = np.sqrt(-_fn32(np.log, (dt(1) - np.abs(y)) / dt(2)))
        return np.copysign(_horner_rational(zt, _ERFINV_C), y) / _horner_rational(zt, _ERFINV_D)

    x = _piecewise(y, ya <= dt(0.7), central, tail)  # each guess only on its own elements
    scale = dt(2) * dt(0.564189583547756286948079451560772586)
    for _ in range(2):
        erf_x = _erf64(x)
        erf_x -= y
        step = _fn32(np.exp, -(x * x))
        step *= scale
        erf_x /= step
        x = x - erf_x
    x = select(ya == 1, np.copysign(np.inf, y), x)
    return select(ya > 1, np.nan, x)


def _horner_rational(z: Any, coefs: tuple[float, ...]) -> Any:
    """((c0 z + c1) z + c2) ... (the double path; float32 inputs are evaluated in double, see _erfinv_values)."""
    r = z * coefs[0]  # the same value as full(c0) * z
    r += coefs[1]
    for c in coefs[2:]:
        r *= z
        r += c
    return r


_ERFCX_COLUMNS = np.ascontiguousarray(np.array(ERFCX_Y100).T)  # (7, 100): one gather per coefficient


def _erfcx_y100(y100: Any) -> Any:
    """ATen's erfcx_y100: the piecewise polynomial on [k, k + 1) of y100 = 400 / (4 + |x|). t is formed in the input's
    precision (2 * y100 - (2k + 1)); the coefficients are double literals, so the polynomial is evaluated in double.
    Outside [0, 100) (only |x| < 4 eps reaches it) the kernel returns 1."""
    # The selects only where some element needs them (the usual input is finite and inside): same values.
    finite = np.isfinite(y100)
    k = np.trunc(y100 if finite.all() else select(finite, y100, -1)).astype(np.int64)
    inside = (k >= 0) & (k < 100)
    all_inside = bool(inside.all())
    kk = k if all_inside else select(inside, k, 0)
    t = (y100.dtype.type(2) * y100 - (2 * kk + 1).astype(y100.dtype)).astype(np.float64)
    r = _ERFCX_COLUMNS[6][kk]
    for j in range(5, -1, -1):
        r *= t
        r += _ERFCX_COLUMNS[j][kk]
    return r if all_inside else select(inside, r, 1.0)


def _erfcx_values(xp: Any, x: Any) -> Any:
    """ATen's calc_erfcx (Faddeeva package): the table for moderate |x|, a continued fraction above 50, and
    2 exp(x^2) - erfcx(-x) below 0; float expressions mix T and double literals as the C++ does."""
    dt = x.dtype.type

    def large(x: Any) -> Any:
        xx = x * x
        ispi = dt(0.56418958354775628694807945156)
        xd, xxd = x.astype(np.float64), xx.astype(np.float64)
        frac = np.float64(ispi) * (xxd * (xxd + 4.5) + 2) / (xd * ((xx * (xx + dt(5))).astype(np.float64) + 3.75))
        return select(x > 5e7, (ispi / x).astype(np.float64), frac)

    def nonnegative(x: Any) -> Any:
        value = _erfcx_y100(dt(400) / (dt(4) + x))
        big = x > 50
        if big.any():  # the continued fraction only where it is used
            value[big] = large(x[big])
        return value.astype(x.dtype, copy=False)

    def negative(x: Any) -> Any:
        two_exp = (dt(2) * _fn32(np.exp, x * x)).astype(np.float64)
        value = select(x < -6.1, two_exp, two_exp - _erfcx_y100(dt(400) / (dt(4) - x)))
        return select(x < -26.7, np.inf, value).astype(x.dtype)

    if not (x < 0).any():  # one branch only (NaN takes the first and is put back below)
        out = nonnegative(x)
    else:
        out = _piecewise(x, x >= 0, nonnegative, negative)
    nan = np.isnan(x)
    return select(nan, x, out) if nan.any() else np.asarray(out, order="C")


def _fn32(f: Any, a: Any) -> Any:
    """A libm function with a correctly rounded float32 result (glibc's expf, logf ... are; NumPy's float32 SIMD
    kernels can be an ulp off)."""
    if a.dtype == np.float32:
        return f(a.astype(np.float64)).astype(np.float32)
    return f(a)


def _erfc64(x: Any) -> Any:
    """erfc in double from the erfcx table: erfcx(x) exp(-x^2) for x >= 0, 2 - erfc(-x) below (float32 callers
    round this once, as glibc's correctly rounded erfcf does)."""
    ax = np.abs(x)
    tail = _erfcx_values(np, ax)
    tail *= np.exp(-(ax * ax))
    negative = np.flatnonzero(x < 0)  # NaN stays NaN either way
    if negative.size:
        flat = tail.reshape(-1)  # a view: tail is a fresh C-contiguous array (_erfcx_values)
        flat[negative] = 2 - flat[negative]
    return tail


def _erfc_values(xp: Any, a: Any) -> Any:
    return blockwise(lambda a: _erfc64(a.astype(np.float64)).astype(a.dtype), a)


def _log_ndtr_values(xp: Any, x: Any) -> Any:
    """ATen's calc_log_ndtr: log(erfcx(-t) / 2) - t^2 below -1, log1p(-erfc(t) / 2)
    above, with t = x / sqrt(2) in the input's precision."""
    dt = x.dtype.type
    t = x * dt(0.70710678118654752440)
    return _piecewise(
        t,
        x < -1,
        lambda t: _fn32(np.log, _erfcx_values(np, -t) / dt(2)) - t * t,
        lambda t: _fn32(np.log1p, -(_erfc_values(np, t) / dt(2))),
    )


_NDTRI_P0 = (
    -5.99633501014107895267e1,
    9.80010754185999661536e1,
    -5.66762857469070293439e1,
    1.39312609387279679503e1,
    -1.23916583867381258016e0,
)
_NDTRI_Q0 = (
    1.0,
    1.95448858338141759834e0,
    4.67627912898881538453e0,
    8.63602421390890590575e1,
    -2.25462687854119370527e2,
    2.00260212380060660359e2,
    -8.20372256168333339912e1,
    1.59056225126211695515e1,
    -1.18331621121330003142e0,
)
_NDTRI_P1 = (
    4.05544892305962419923e0,
    3.15251094599893866154e1,
    5.71628192246421288162e1,
    4.40805073893200834700e1,
    1.46849561928858024014e1,
    2.18663306850790267539e0,
    -1.40256079171354495875e-1,
    -3.50424626827848203418e-2,
    -8.57456785154685413611e-4,
)
_NDTRI_Q1 = (
    1.0,
    1.57799883256466749731e1,
    4.53907635128879210584e1,
    4.13172038254672030440e1,
    1.50425385692907503408e1,
    2.50464946208309415979e0,
    -1.42182922854787788574e-1,
    -3.80806407691578277194e-2,
    -9.33259480895457427372e-4,
)
_NDTRI_P2 = (
    3.23774891776946035970e0,
    6.91522889068984211695e0,
    3.93881025292474443415e0,
    1.33303460815807542389e0,
    2.01485389549179081538e-1,
    1.23716634817820021358e-2,
    3.01581553508235416007e-4,
    2.65806974686737550832e-6,
    6.23974539184983293730e-9,
)
_NDTRI_Q2 = (1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
             2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
             2.89247864745380683936e-6, 6.79019408009981274425e-9)  # fmt: skip


def _polevl_fma(x: Any, coefs: tuple[float, ...]) -> Any:
    """Cephes polevl with the compiled kernel's fused steps (float32: exact through float64)."""
    dt = x.dtype.type
    r = np.zeros_like(x)
    for c in coefs:
        if x.dtype == np.float32:
            r = (r.astype(np.float64) * x.astype(np.float64) + np.float64(dt(c))).astype(np.float32)
        else:
            r = r * x + dt(c)
    return r


def _ndtri_values(xp: Any, y0: Any) -> Any:
    """ATen's calc_ndtri (Cephes): a rational approximation around the centre, then two in z = sqrt(-2 log y) for
    the tails, in the input's precision."""
    dt = y0.dtype.type
    one = dt(1)
    e2 = dt(0.13533528323661269189)
    upper = y0 > one - e2
    y = select(upper, one - y0, y0)

    def central(y: Any) -> Any:
        yc = y - dt(0.5)
        y2 = yc * yc
        value = yc + yc * (y2 * _polevl_fma(y2, _NDTRI_P0) / _polevl_fma(y2, _NDTRI_Q0))
        return value * dt(2.50662827463100050242e0)

    def tail(y: Any) -> Any:
        x = np.sqrt(dt(-2) * _fn32(np.log, y))
        x0 = x - _fn32(np.log, x) / x
        z = one / x
        near = x < dt(8)
        x1 = _piecewise(
            z,
            near,
            lambda z: z * _polevl_fma(z, _NDTRI_P1) / _polevl_fma(z, _NDTRI_Q1),
            lambda z: z * _polevl_fma(z, _NDTRI_P2) / _polevl_fma(z, _NDTRI_Q2),
        )
        return x0 - x1

    out = _piecewise(y, y > e2, central, tail)
    out = select(~(y > e2) & ~upper, -out, out)  # the lower tail is negative
    out = select((y0 < 0) | (y0 > one), np.nan, out)
    return select(y0 == 0, -np.inf, select(y0 == one, np.inf, out))
