"""Float arithmetic exactly as torch's compiled CPU sampling kernels round it.

torch's AVX2 kernels are built with FMA enabled, and the compiler fuses a
multiply into the add/subtract that consumes it (the first multiply of a
statement, in source order). To get the same bits, each fused pair here is a
single-rounding ``fma``; every other operation rounds on its own.

The float32 Box-Muller for n >= 16 runs torch's vectorised Cephes-style
``log`` and ``sincos`` (from avx_mathfun.h), not the C library's, so they are
re-expressed below step by step (same polynomial, same range reduction):
``_log_ps``, ``_sincos_ps`` and ``box_muller_reference_f32`` are that
specification. ``box_muller_words_f32`` is what the samplers run: the same
roundings in far fewer array passes, checked against the specification on
every possible input (tests/test_rng_math.py).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

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


_SPLIT = 134217729.0  # 2**27 + 1, Dekker's splitter for float64


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = a * _SPLIT
    hi = t - (t - a)
    return hi, a - hi


def fma64(a: np.ndarray, b: float | np.ndarray, c: float | np.ndarray) -> np.ndarray:
    """float64 fma(a, b, c): exact product (Dekker) and compensated sum; wrong only on exact-tie corner cases."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    ep = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    es = (p - (s - bb)) + (c - bb)
    return s + (es + ep)


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
    """normal_fill_AVX2 step by step (the specification ``box_muller_words_f32`` is tested against; slow).

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


# ---- the fast path: the same roundings, far fewer array passes
#
# Every fused multiply-add below is evaluated as float64 product + float64 sum + one cast to float32,
# without fma32's halfway-point check. That check can be dropped because the inputs are only ever
# torch's float32 uniforms, u = k / 2**24 with k a 24-bit integer: there are 2**24 possible inputs to
# the log and 2**24 to the sincos, and for every one of them no float64 sum in the chain lands on a
# float32 halfway point while being inexact (tests/test_rng_math.py runs all 2**24 of them through
# this path and the step-by-step reference above). Several fmas need no float64 at all because their
# product is exact in float32 (a scaling by 1/2 or 2, e * 0.693359375 with |e| <= 24, j * DP1 and
# j * DP2 whose constants have 8 and 11 significant bits), so one float32 add is their single rounding.
#
# Constants are 0-d arrays: NumPy converts a Python or NumPy scalar operand on every call (0.2 to 0.4 us,
# as long as a pass over a thousand values), a 0-d array it takes as it is.
def _c32(v: float) -> np.ndarray:
    return np.array(v, f32)


def _c64(v: float) -> np.ndarray:
    return np.array(v, np.float64)


def _ci(v: int) -> np.ndarray:
    return np.array(v, np.int32)


# The log's intermediates are computed times 2 (radius = sqrt(-2 log)): doubling every constant doubles
# every rounded intermediate exactly (no value comes near the float32 range limits, and a positive factor
# keeps the signs of zeros, which -2 would not: log(1) must stay +0 so that the radius is sqrt(-0) = -0).
# Then fma(-z, 0.5, y) is 2y - z, and -2 log = -(2 e q2) - (2x + 2y), one subtraction.
_LOG_P2 = [_c64(f32(2) * f32(c)) for c in _LOG_P]
_LOG_Q1_2 = _c32(f32(2) * _LOG_Q1)
_LOG_Q2_2 = _c32(f32(-2) * _LOG_Q2)
# k - 2**24 (k = the low 24 bits of a word, all a uniform uses) is -(1 - u) * 2**24 exactly, from one OR
_LOG_TOP = _ci(-(1 << 24))
# adding this to the bits of -(1 - u) * 2**24 gives bits(1 - u) - bits(sqrt(1/2)) (mod 2**32): it removes the
# sign bit and the 2**24 scale. Then >> 23 is Cephes' exponent e (decremented when the mantissa is below
# sqrt(1/2)) and the low 23 bits, re-biased from sqrt(1/2), are its mantissa folded into [sqrt(1/2), sqrt(2)).
_LOG_SHIFT = _ci((-(1 << 31) - (24 << 23) - 0x3F3504F3) % (1 << 32))  # 0x34CAFB0D, positive as int32
_SQRTHF_BITS = _ci(0x3F3504F3)
_MANT = _ci(0x7FFFFF)
_LOW24 = _ci(0xFFFFFF)
_TWO_PI_24 = _c32(f32(2.0 * np.pi) * f32(2.0**-24))  # 2 pi u = (2 pi 2**-24) k: power-of-two scaling, same rounding
_COS_P = [_c64(f32(c)) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)]
_SIN_P = [_c64(f32(c)) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_DP12 = (_c32(_DP[0]), _c32(_DP[1]))
_DP3 = _c64(_DP[2])
_F1, _F2, _FOPI_A = _c32(1), _c32(2), _c32(_FOPI)
_I1, _INOT1, _I23, _I29, _I30, _I31, _SIGN = (_ci(v) for v in (1, ~1, 23, 29, 30, 31, -(1 << 31)))
_D_HALF_NEG = _c64(-0.5)
# blocks of 16 per chunk, the fastest measured: each chunk makes ~120 NumPy calls of ~0.5 us overhead,
# and the ~1 MB of scratch arrays is still served from L2/L3 at this size (4096 was as fast, 1024 and 8192 slower)
_ROWS = 2048


class _NormalChunk:
    """Scratch arrays and their fixed views for Box-Muller over ``rows`` blocks of 16, reused chunk after chunk."""

    def __init__(self, rows: int) -> None:
        n = rows * 8
        self.low = np.empty((rows, 16), np.int32)  # the low 32 bits of each word
        self.halves = np.empty((2, n), np.int32)  # [radius words, angle words], each contiguous
        self.ia, self.ib = np.empty(n, np.int32), np.empty(n, np.int32)
        self.fa, self.fb, self.fc, self.fd = (np.empty(n, f32) for _ in range(4))
        self.r = np.empty(n, f32)
        self.res = np.empty((2, n), f32)  # [cos half, sin half] of every block, before interleaving
        self.cos, self.sin = self.res
        self.da, self.db, self.dc = (np.empty(n) for _ in range(3))
        # 8 words = 32 bytes: a 32-byte void view moves each half-block as one element, where a (rows, 8) view
        # would make NumPy run its inner loop 8 values at a time
        self._low_v = self.low.view("V32").reshape(rows, 2).T
        self._halves_v = self.halves.view("V32").reshape(2, rows)
        self._res_v = self.res.view("V32").reshape(2, rows).T

    def run(self, words: np.ndarray, out: np.ndarray, mean: np.ndarray | None) -> None:
        """words: (rows, 16) raw 32-bit MT outputs; out: (rows, 16) float32 normals (cos half, sin half).

        ``mean`` (0-d, +-0) is added when std is 1 and mean is 0: that is the kernel's fma(n, 1, mean),
        which turns a -0 (radius -0 for u = 0, or a zero sine) into +0 when mean is +0.
        """
        self._load(words)
        self._radius()
        self._sincos()
        np.multiply(self.res, self.r, self.res)
        if mean is not None:
            np.add(self.res, mean, self.res)
        np.copyto(out.view("V32"), self._res_v)

    def _load(self, words: np.ndarray) -> None:
        np.copyto(self.low, words, casting="unsafe")  # uint64 -> int32 keeps the low 32 bits
        np.copyto(self._halves_v, self._low_v)

    def _radius(self) -> None:
        """sqrt(-2 log(1 - u)) with Cephes' logf, as _log_ps (the polynomial's values doubled, see _LOG_P2)."""
        ia, ib = self.ia, self.ib
        x, z, y, e = self.fa, self.fb, self.fc, self.fd
        x64, t = self.da, self.db
        np.bitwise_or(self.halves[0], _LOG_TOP, ia)
        np.copyto(y, ia, casting="unsafe")
        np.add(y.view(np.int32), _LOG_SHIFT, ia)
        np.right_shift(ia, _I23, ib)
        np.copyto(e, ib, casting="unsafe")
        np.bitwise_and(ia, _MANT, ia)
        np.add(ia, _SQRTHF_BITS, ia)
        np.subtract(ia.view(f32), _F1, x)  # x = m - 1, exact for m in [sqrt(1/2), sqrt(2)) (Cephes' 2m - 1 below)
        np.multiply(x, x, z)
        np.copyto(x64, x)
        np.multiply(x64, _LOG_P2[0], t)
        np.add(t, _LOG_P2[1], t)
        for coef in _LOG_P2[2:]:
            np.copyto(y, t, casting="unsafe")  # the fma's single rounding
            np.copyto(t, y)
            np.multiply(t, x64, t)  # exact: a product of two float32
            np.add(t, coef, t)
        np.copyto(y, t, casting="unsafe")
        np.multiply(y, x, y)
        np.copyto(t, y)
        np.copyto(x64, z)
        np.multiply(t, x64, t)
        np.multiply(e, _LOG_Q1_2, y)
        np.copyto(x64, y)
        np.add(t, x64, t)
        np.copyto(y, t, casting="unsafe")  # fma(y, z, e * q1)
        np.subtract(y, z, y)  # fma(-z, 0.5, y): z / 2 is exact, so a plain subtraction rounds once
        np.multiply(x, _F2, x)
        np.add(x, y, y)
        np.multiply(e, _LOG_Q2_2, e)  # exact: |e| <= 24 and q2 has 9 significant bits
        np.subtract(e, y, y)  # -2 fma(e, q2, x + y): rounding to nearest is symmetric
        np.sqrt(y, self.r)

    def _sincos(self) -> None:
        """Cephes sincosf of 2 pi u, as _sincos_ps, then the quadrant's swap and signs as bit operations."""
        j, ib = self.ia, self.ib
        th, x, z, jf = self.fa, self.fb, self.fc, self.fd
        x64, z64, t = self.da, self.db, self.dc
        sn, cs = self.sin, self.cos
        np.bitwise_and(self.halves[1], _LOW24, j)
        np.copyto(th, j, casting="unsafe")
        np.multiply(th, _TWO_PI_24, th)
        np.multiply(th, _FOPI_A, x)
        np.copyto(j, x, casting="unsafe")  # truncation, as _mm256_cvttps_epi32 (theta >= 0)
        np.add(j, _I1, j)
        np.bitwise_and(j, _INOT1, j)
        np.copyto(jf, j, casting="unsafe")
        # Cody-Waite reduction: x + j*DP1 and x + j*DP2 are exact (j <= 8 is even, DP1 has 8 significant bits
        # and DP2 11; when j > 0, theta >= pi/4 is a multiple of 2**-24 and each reduced x is below 1), so
        # plain float32 ops give the fmas' single rounding
        np.multiply(jf, _DP12[0], x)
        np.add(th, x, x)
        np.multiply(jf, _DP12[1], th)
        np.add(x, th, x)
        np.copyto(x64, x)
        np.copyto(t, jf)
        np.multiply(t, _DP3, t)
        np.add(t, x64, t)
        np.copyto(x, t, casting="unsafe")  # fma(j, DP3, x)
        np.copyto(x64, x)
        np.multiply(x, x, z)
        np.copyto(z64, z)
        # sine polynomial first: its last step needs x64, whose array the cosine then reuses
        _poly2(sn, _SIN_P, z64, t)
        np.multiply(sn, z, sn)
        np.copyto(t, sn)
        np.multiply(t, x64, t)
        np.add(t, x64, t)
        np.copyto(sn, t, casting="unsafe")  # fma(s * z, x, x)
        _poly2(cs, _COS_P, z64, t)
        np.multiply(cs, z, cs)
        np.copyto(t, cs)
        np.multiply(t, z64, t)
        np.multiply(z64, _D_HALF_NEG, x64)
        np.add(t, x64, t)
        np.copyto(cs, t, casting="unsafe")  # fma(c * z, z, -(z * 0.5))
        np.add(cs, _F1, cs)
        # j in {0, 2, 4, 6, 8}: bit 1 swaps the polynomials, bit 2 negates the sine, bit 2 xor bit 1 the cosine.
        # As bit operations on the float32 patterns (an xor-swap under a mask, xor of the sign bit), which
        # cost a fraction of np.where and unary minus.
        sb, cb = sn.view(np.int32), cs.view(np.int32)
        swap, d = x.view(np.int32), z.view(np.int32)
        np.left_shift(j, _I30, ib)  # sign bit = bit 1 of j
        np.right_shift(ib, _I31, swap)  # all ones where the polynomials swap
        np.bitwise_xor(sb, cb, d)
        np.bitwise_and(d, swap, d)
        np.bitwise_xor(sb, d, sb)
        np.bitwise_xor(cb, d, cb)
        np.left_shift(j, _I29, j)
        np.bitwise_and(j, _SIGN, j)  # sign bit = bit 2 of j
        np.bitwise_xor(sb, j, sb)
        np.bitwise_xor(j, ib, j)
        np.bitwise_xor(cb, j, cb)


def _poly2(out: np.ndarray, coefs: Any, z64: np.ndarray, t: np.ndarray) -> None:
    """``out = fma(fma(z, c0, c1), z, c2)`` in float32, each fma rounded once (``t``: float64 scratch)."""
    np.multiply(z64, coefs[0], t)
    np.add(t, coefs[1], t)
    np.copyto(out, t, casting="unsafe")
    np.copyto(t, out)
    np.multiply(t, z64, t)
    np.add(t, coefs[2], t)
    np.copyto(out, t, casting="unsafe")


def box_muller_words_f32(words: np.ndarray, tail: np.ndarray | None, mean: np.float32, std: np.float32) -> np.ndarray:
    """normal_fill_AVX2 on raw 32-bit MT words: the uniform of a word is (w & (2**24 - 1)) * 2**-24.

    ``words`` are the n words of the uniform fill (the last n % 16 are overwritten by torch and unused),
    ``tail`` the 16 words of the recomputed last block when n % 16 != 0. Bit-identical to
    ``box_muller_reference_f32`` on the same uniforms.
    """
    n = words.size
    nb = n // 16
    out = np.empty(n, f32)
    blocks, outb = words[: nb * 16].reshape(nb, 16), out[: nb * 16].reshape(nb, 16)
    # fma(n, std, mean) ends every block; with std 1 and mean +-0 it is n + mean, one float32 add per chunk
    plain = std == 1 and mean == 0
    add = _c32(mean) if plain else None
    full = _NormalChunk(min(nb, _ROWS))
    for lo in range(0, nb, _ROWS):
        chunk = full if lo + _ROWS <= nb else _NormalChunk(nb - lo)
        chunk.run(blocks[lo : lo + _ROWS], outb[lo : lo + _ROWS], add)
    if tail is not None:
        last = np.empty((1, 16), f32)
        _NormalChunk(1).run(tail.reshape(1, 16), last, add)
        out[n - 16 :] = last.reshape(-1)
    return out if plain else fma32(out, std, mean)


def box_muller_blocks_f64(u: np.ndarray, tail: np.ndarray | None, mean: float, std: float) -> np.ndarray:
    """normal_fill for double: the same block layout with the C library's log/cos/sin."""
    b = _blocks(u, tail)
    radius = np.sqrt(-2.0 * np.log(1.0 - b[:, :8]))
    theta = (2.0 * np.pi) * b[:, 8:]
    out = np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], axis=1)
    if not (mean == 0 and std == 1):
        out = fma64(out, std, mean)
    return _assemble(out, u.size, tail is not None)
