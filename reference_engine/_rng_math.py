"""Float arithmetic exactly as torch's compiled CPU sampling kernels round it.

torch's AVX2 kernels are built with FMA enabled, and the compiler fuses a
multiply into the add/subtract that consumes it (the first multiply of a
statement, in source order). To get the same bits, each fused pair here is a
single-rounding ``fma``; every other operation rounds on its own.

The float32 Box-Muller for n >= 16 runs torch's vectorised Cephes-style
``log`` and ``sincos`` (from avx_mathfun.h), not the C library's, so they are
re-expressed below step by step (same polynomial, same range reduction):
``_log_ps``, ``_sincos_ps`` and ``box_muller_reference_f32`` are that
specification. ``_normal_f32.box_muller_f32`` is what the samplers run: the
same roundings in far fewer array passes, checked against the specification
on every possible input (tests/engine/random/test_rng_math.py).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from ._backend import array_module, is_cuda_array

f32 = np.float32
_TIE = np.int64(-(2**63))


def fma32(a: np.ndarray, b: np.ndarray | np.floating, c: np.ndarray | np.floating) -> np.ndarray:
    """float32 fma(a, b, c) with one rounding.

    a*b of two float32 is exact in float64, so the float64 sum is off only by
    its own rounding; that matters only when it lands exactly on a float32
    halfway point, and those few elements are redone toward the exact value.
    """
    s = np.asarray(a).astype(np.float64)
    s *= np.float64(b) if np.ndim(b) == 0 else np.asarray(b, np.float64)
    s += np.float64(c) if np.ndim(c) == 0 else np.asarray(c, np.float64)
    # a float32 halfway point has exactly bit 28 set among the 29 low mantissa bits: shift them to the top
    low = s.reshape(-1).view(np.int64) << 35
    if np.count_nonzero(low == _TIE):
        _fix_ties(s.reshape(-1), a, b, c, np.flatnonzero(low == _TIE))
    return s.astype(f32)


def _fix_ties(s: np.ndarray, a: Any, b: Any, c: Any, idx: np.ndarray) -> None:
    """Move float64 sums sitting on a float32 halfway point one float64 step toward the exact a*b + c."""
    pick = [np.broadcast_to(np.asarray(v, np.float64), s.shape if np.ndim(v) == 0 else np.shape(v)).reshape(-1)[idx]
            for v in (a, b, c)]  # fmt: skip
    p = pick[0] * pick[1]
    cc = pick[2]
    t = s[idx]
    bb = t - p
    err = (p - (t - bb)) + (cc - bb)  # two-sum: exactly (p + c) - t
    # toward an infinity: err is below half an ulp of t, so t + err would round back to t
    s[idx] = np.where(err != 0, np.nextafter(t, np.copysign(np.inf, err)), t)


_SPLIT = 134217729.0  # 2**27 + 1, Dekker's (Veltkamp's) splitter for float64


def _split(a: Any) -> tuple[Any, Any]:
    """Two 26-bit halves of float64 ``a`` whose pairwise products are exact."""
    t = a * _SPLIT
    hi = t - (t - a)
    return hi, a - hi


def fma64(a: Any, b: Any, c: Any) -> Any:
    """float64 fma(a, b, c): a * b + c with one rounding, as the FMA instruction torch's kernels use.

    NumPy has no fma: the product's exact error (Dekker) and the sum's (Knuth's TwoSum) are added
    back before the last rounding. That is correctly rounded except when the small correction itself
    rounds onto a tie, which random data practically never hits. Where infinities or overflow make
    the correction nan, the plain sum is kept. NumPy or CuPy arrays (or scalars).
    """
    xp = next((array_module(v) for v in (a, b, c) if is_cuda_array(v)), np)
    a = xp.asarray(a, dtype=xp.float64)
    b = xp.asarray(b, dtype=xp.float64)
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    ep = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    es = (p - (s - bb)) + (c - bb)
    r = s + (es + ep)
    return xp.where(xp.isfinite(r), r, s)


def fma_exact(a: float, b: float, c: float) -> float:
    """Correctly rounded float64 fma for scalars (exact rational arithmetic)."""
    if not all(np.isfinite((a, b, c))):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


# --------------------------------------------------------------------------- float32 AVX2 Box-Muller
_LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
          -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]  # fmt: skip
_SQRTHF = f32(0.707106781186547524)
_LOG_Q1 = f32(-2.12194440e-4)
_LOG_Q2 = f32(0.693359375)


def _log_ps(x: np.ndarray) -> np.ndarray:
    """Cephes logf on (0, 1]: split off the exponent, fold the mantissa around sqrt(1/2), degree-9 polynomial."""
    bits = x.view(np.int32)
    e = ((bits >> 23) - 127).astype(f32) + f32(1)
    m = ((bits & ~0x7F800000) | np.int32(0x3F000000)).view(f32)  # mantissa in [0.5, 1)
    small = m < _SQRTHF
    m1 = m - f32(1)
    e = e - small.astype(f32)
    x = m1 + np.where(small, m, f32(0))
    z = x * x
    y = np.full_like(x, f32(_LOG_P[0]))
    for coef in _LOG_P[1:]:
        y = fma32(y, x, f32(coef))
    y = y * x
    y = fma32(y, z, e * _LOG_Q1)
    y = fma32(-z, f32(0.5), y)
    return fma32(e, _LOG_Q2, x + y)


_CHUNK = 2048  # blocks of 16 per chunk
_FOPI = f32(1.27323954473516)  # 4 / pi
_DP = (f32(-0.78515625), f32(-2.4187564849853515625e-4), f32(-3.77489497744594108e-8))


def _sincos_ps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cephes sinf/cosf for x >= 0: reduce by multiples of pi/4 in three parts, then the two polynomials."""
    j = (x * _FOPI).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(f32)
    for dp in _DP:
        x = fma32(y, dp, x)
    flip_sin = (j & 4) != 0
    use_cos_poly = (j & 2) == 0
    flip_cos = ((j - 2) & 4) == 0
    z = x * x
    c = fma32(np.full_like(x, f32(2.443315711809948e-5)), z, f32(-1.388731625493765e-3))
    c = fma32(c, z, f32(4.166664568298827e-2))
    c = c * z
    c = fma32(c, z, -(z * f32(0.5))) + f32(1)
    s = fma32(np.full_like(x, f32(-1.9515295891e-4)), z, f32(8.3321608736e-3))
    s = fma32(s, z, f32(-1.6666654611e-1))
    s = fma32(s * z, x, x)
    sin = np.where(use_cos_poly, s, c)
    cos = np.where(use_cos_poly, c, s)
    return np.where(flip_sin, -sin, sin), np.where(flip_cos, -cos, cos)


def _blocks(u: np.ndarray, tail: np.ndarray | None) -> np.ndarray:
    nb = u.size // 16
    parts = [u[: nb * 16]] + ([tail] if tail is not None else [])
    return np.concatenate(parts).reshape(-1, 16)


def _assemble(out: np.ndarray, n: int, has_tail: bool) -> np.ndarray:
    """Full blocks fill the front; when n % 16 != 0 a recomputed block of fresh uniforms fills the last 16."""
    flat = out.reshape(-1)
    if not has_tail:
        return flat
    res = np.empty(n, flat.dtype)
    res[: n - 16] = flat[: n - 16]
    res[n - 16 :] = flat[-16:]
    return res


def box_muller_reference_f32(u: np.ndarray, tail: np.ndarray | None, mean: np.float32, std: np.float32) -> np.ndarray:
    """normal_fill_AVX2 step by step (the specification ``_normal_f32`` is tested against; slow).

    Per block of 16, u[0:8] -> radius, u[8:16] -> angle; cos half first, sin half second.
    """
    b = _blocks(u, tail)
    out = np.empty_like(b)
    for lo in range(0, b.shape[0], _CHUNK):  # cache-sized chunks: the many passes below stay in L2
        blk = b[lo : lo + _CHUNK]
        radius = np.sqrt(f32(-2) * _log_ps(f32(1) - blk[:, :8]))
        sin, cos = _sincos_ps(f32(2.0 * np.pi) * blk[:, 8:])
        np.multiply(radius, cos, out=out[lo : lo + _CHUNK, :8])
        np.multiply(radius, sin, out=out[lo : lo + _CHUNK, 8:])
    out = fma32(out, std, mean)  # always, as the kernel: fma(-0, 1, +0) is +0
    return _assemble(out, u.size, tail is not None)


# NumPy's float64 log/log1p/sin/cos loops call the C library, as torch's scalar kernels do, except on CPUs with
# AVX-512, where NumPy dispatches them to Intel's SVML, whose results differ from the C library's in the last bit
# for some inputs. Where torch's result is the C library's, the engine then calls it element by element.
try:  # NumPy's private table of the CPU features its loops dispatch on
    from numpy._core._multiarray_umath import __cpu_features__ as _NUMPY_CPU
except ImportError:  # another NumPy layout: assume its loops are the C library's
    _NUMPY_CPU = {}
NUMPY_USES_SVML = bool(_NUMPY_CPU.get("AVX512_SKX"))
_LIBM = {"log": math.log, "log1p": math.log1p, "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp}


def libm(name: str, x: np.ndarray) -> np.ndarray:
    """The C library's ``name`` (log, log1p, sin, cos) of each float64 element, as torch's scalar code gets it."""
    if not NUMPY_USES_SVML:
        return getattr(np, name)(x)
    flat = np.asarray(x, dtype=np.float64)
    return np.fromiter(map(_LIBM[name], flat.ravel().tolist()), np.float64, flat.size).reshape(flat.shape)


def box_muller_blocks_f64(u: np.ndarray, tail: np.ndarray | None, mean: float, std: float) -> np.ndarray:
    """normal_fill for double: the same block layout with the C library's log/cos/sin."""
    b = _blocks(u, tail)
    radius = np.sqrt(-2.0 * libm("log", 1.0 - b[:, :8]))
    theta = (2.0 * np.pi) * b[:, 8:]
    out = np.concatenate([radius * libm("cos", theta), radius * libm("sin", theta)], axis=1)
    if not (mean == 0 and std == 1):
        out = fma64(out, std, mean)
    return _assemble(out, u.size, tail is not None)
