"""fmod, remainder and floor division of float32 and float64 arrays, vectorised.

NumPy's ``np.mod`` and ``np.floor_divide`` run a scalar divmod per element (C's fmod, then a sign fix-up and
a snap of the quotient to an integer); these kernels do the same steps as whole-array passes, with the same
values element for element (signed zeros included; a NaN stays a NaN). torch's CPU kernels (c10's
``div_floor_floating``, the remainder kernel's fmod plus sign fix-up) follow the same steps.

``fmod`` is ``a - n * b`` with n the truncated quotient, computed exactly where the quotient is small enough:
float32 in float64 arithmetic, float64 with Dekker's exact product (see ``_fmod64``); C's fmod elsewhere.
Large operands go through in cache-sized blocks (ops/_blocks.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._blocks import blockwise

# Below this |a / b|, the float64 quotient of two float32 values truncates to the exact integer quotient:
# a non-integer quotient of float32 values lies at least 2**-24 from every integer, more than the rounding
# error of the float64 division (|q| * 2**-53), and n * b (n < 2**28, b with 24 significant bits) is exact.
_F32_EXACT_QUOTIENT = float(2**28)


_MIN_SIZE = 4096
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def operand(a: Any, b: Any) -> Any:
    """``b`` as an array for these kernels where they apply to ``a`` (a float32 or float64 NumPy array) and ``b``
    (an array of its dtype, or a Python number that NumPy would cast to it exactly as ``np.asarray``); None
    where they do not."""
    if type(a) is not np.ndarray or a.dtype not in _FLOATS:
        return None
    if a.size < _MIN_SIZE and np.size(b) < _MIN_SIZE:  # NumPy's per-element loop is cheaper than ten passes
        return None
    if type(b) is np.ndarray:
        return b if b.dtype == a.dtype else None
    if type(b) in (float, int) and (abs(b) <= 1e38 or b != b or abs(b) == float("inf")):
        return np.asarray(b, dtype=a.dtype)
    return None


def _scatter(out: Any, idx: Any, values: Any) -> None:
    if out.flags.c_contiguous:
        out.reshape(-1)[idx] = values
    else:
        out.flat[idx] = values


def _flat(x: Any, shape: tuple) -> Any:
    return np.broadcast_to(x, shape).reshape(-1)  # a copy where x is broadcast; only on the rare path


def _fmod(a: Any, b: Any) -> Any:
    if a.dtype == np.float64 and b.dtype == np.float64:
        return _fmod64(a, b)
    if a.dtype != np.float32 or b.dtype != np.float32:
        return np.fmod(a, b)
    # Inputs cast to float64 inside the ufuncs' buffers: no float64 copies of a and b (fresh memory costs
    # more than the arithmetic here).
    n = np.divide(a, b, dtype=np.float64)
    ok = n < _F32_EXACT_QUOTIENT
    ok &= n > -_F32_EXACT_QUOTIENT
    ok &= np.abs(b) <= np.finfo(np.float32).max
    np.trunc(n, out=n)
    np.multiply(n, b, out=n)
    np.subtract(a, n, out=n)
    r = n.astype(np.float32)
    # The exact remainder of an exact zero is +0; C's fmod keeps the dividend's sign (and a nonzero remainder
    # has it too).
    np.copysign(r, a, out=r)
    # Elsewhere (b zero, infinite or NaN, a infinite or NaN, |a / b| too large) C's fmod itself.
    if not ok.all():
        idx = np.flatnonzero(~ok)
        _scatter(r, idx, np.fmod(_flat(a, r.shape)[idx], _flat(b, r.shape)[idx]))
    return r


def _sign_differs(mod: Any, b: Any) -> Any:
    """Where the truncated remainder is nonzero and its sign differs from the divisor's: the floored quotient
    is one lower and the floored remainder ``mod + b``."""
    fix = np.less(mod, 0)
    fix ^= np.less(b, 0)
    fix &= mod != 0
    return fix


def _remainder(a: Any, b: Any) -> Any:
    mod = _fmod(a, b)
    fix = _sign_differs(mod, b)
    # mod + b where fixed, mod + (+-0) elsewhere; a zero takes b's sign, a nonzero result has it already.
    res = np.multiply(b, fix, dtype=mod.dtype)
    res += mod
    np.copysign(res, b, out=res)
    inf_b = np.isinf(b)
    if inf_b.any():  # inf * 0 is NaN: those elements from NumPy's own loop
        idx = np.flatnonzero(np.broadcast_to(inf_b, res.shape))
        _scatter(res, idx, np.mod(_flat(a, res.shape)[idx], _flat(b, res.shape)[idx]))
    return res


def _floor_divide(a: Any, b: Any) -> Any:
    mod = _fmod(a, b)
    fix = _sign_differs(mod, b)
    div = np.subtract(a, mod)
    div /= b
    div -= fix
    res = np.floor(div)
    np.subtract(div, res, out=div)
    res += div > 0.5
    # A zero quotient takes the sign of a / b; a nonzero floored quotient has it already.
    q = a / b
    np.copysign(res, q, out=res)
    zero_b = b == 0
    if zero_b.any():
        idx = np.flatnonzero(np.broadcast_to(zero_b, res.shape))
        _scatter(res, idx, q.reshape(-1)[idx] if q.flags.c_contiguous else q.flat[idx])
    return res


# float64: below |a / b| < 2**26 the truncated quotient n has at most 26 bits, so Dekker's exact product
# n * b = p + e needs only b split (Veltkamp, into two 26-bit halves); b, a bounded away from overflow and b
# from underflow keep the split and e exact.
_F64_EXACT_QUOTIENT = float(2**26)
_SPLITTER = float(2**27 + 1)
_F64_B_RANGE = (2.0**-900, 2.0**990)
_F64_A_MAX = 2.0**1000


def _fmod64(a: Any, b: Any) -> Any:
    """``np.fmod(a, b)`` for float64: a - n * b exactly, n = trunc(a / b).

    The rounded quotient truncates to the exact one or one above it (never below: the exact one is an integer,
    and rounding is monotonic); ``a - p`` is exact (p is within a factor two of a, Sterbenz) and so is the
    remainder ``(a - p) - e``, being representable. One above gives a remainder of the wrong sign, corrected by
    adding b (again a representable, so exact, result)."""
    q = a / b
    ab = np.abs(b)
    ok = np.abs(q) < _F64_EXACT_QUOTIENT
    ok &= ab > _F64_B_RANGE[0]
    ok &= ab < _F64_B_RANGE[1]
    ok &= np.abs(a) < _F64_A_MAX
    n = np.trunc(q, out=q)
    # Veltkamp split of b: bh + bl == b, 26 significant bits each (b's shape: may be broadcast)
    bh = b * _SPLITTER
    bh = bh - (bh - b)
    bl = b - bh
    p = n * b
    # e = (n * bh - p) + n * bl: the rounding error of p, exact
    e = n * bh
    e -= p
    e += n * bl
    r = np.subtract(a, p, out=p)
    r -= e
    # r's sign differs from a's where n was one too large: add b with a's sign
    wrong = np.signbit(r)
    wrong ^= np.signbit(a)
    wrong &= r != 0
    fix = np.copysign(b, a)
    fix *= wrong
    r += fix
    # An exact zero remainder is +0; C's fmod keeps the dividend's sign.
    np.copysign(r, a, out=r)
    if not ok.all():
        idx = np.flatnonzero(np.broadcast_to(~ok, r.shape))
        _scatter(r, idx, np.fmod(_flat(a, r.shape)[idx], _flat(b, r.shape)[idx]))
    return r


def fmod(a: Any, b: Any) -> Any:
    """``np.fmod(a, b)`` of two float32 or float64 arrays of one dtype (broadcasting), same values."""
    return blockwise(_fmod, a, b)


def remainder(a: Any, b: Any) -> Any:
    """``np.mod(a, b)`` (Python's ``%``: the sign of ``b``) of two float32 or float64 arrays of one dtype."""
    return blockwise(_remainder, a, b)


def floor_divide(a: Any, b: Any) -> Any:
    """``np.floor_divide(a, b)`` of two float32 or float64 arrays of one dtype: the floored quotient
    ``(a - fmod(a, b)) / b``, one lower where the remainder's sign differs from ``b``'s, snapped to an
    integer; ``a / b`` where ``b`` is zero."""
    return blockwise(_floor_divide, a, b)
