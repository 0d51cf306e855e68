"""The orthogonal polynomials of torch.special: Chebyshev T/U/V/W (plain and shifted), Hermite H/He, Laguerre L,
Legendre P, each of (input, n).

Ported from ATen's ``*_polynomial_*_forward`` (aten/src/ATen/native/Math.h): the same special cases in the same
order, the same trigonometric closed forms for large n inside the interval, and the same three-term recurrences,
all in the promoted dtype's arithmetic (float32 inputs are computed in float32, as torch does). Two details of
torch's compiled kernels matter in float32: the compiler contracts the recurrences' ``a * b - c`` into a fused
multiply-add (``_fms``: one rounding, emulated exactly through float64), and sinf/cosf/acosf are correctly
rounded (``_fn``: evaluated in float64 and rounded once; NumPy's float32 SIMD versions are off by an ulp at times,
which n * acos(x) amplifies). ``n`` is truncated
to an integer as C++'s ``static_cast<int64_t>`` does; NaN, infinite or out-of-range n give the int64 minimum
(x86's conversion result), hence 0. torch records no derivative for these functions: outputs never require grad.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from ..tensor import Tensor
from ._blocks import blockwise
from ._branches import assign, select
from ._util import array_module, binary_arrays, invalid_combination, on_host

_Step = Callable[[Any, Any, Any, int], Any]


def _integer_n(n: Any) -> Any:
    """static_cast<int64_t>(n) for a float n, with x86's result (INT64_MIN) where C++ leaves it undefined."""
    if n.dtype.kind in "iub":
        return n.astype(np.int64)
    with np.errstate(invalid="ignore"):
        out = n.astype(np.int64)  # truncates toward zero as the C++ conversion does
        bad = ~(np.abs(n) < 2.0**63)  # NaN, infinite or out of range: NumPy's result there is the platform's
    if bad.any():
        out[bad] = np.iinfo(np.int64).min
    return out


def _fms(a: Any, b: Any, c: Any) -> Any:
    """a * b - c rounded once (the FMA torch's kernels are compiled to). float32: exact through float64 (the product
    of two float32 is exact there); float64: the plain expression, within a couple of ulps of the FMA."""
    if a.dtype == np.float32:
        return (np.float64(a) * np.asarray(b, np.float64) - np.asarray(c, np.float64)).astype(np.float32)
    return a * b - c


def _fn(f: Any, a: Any) -> Any:
    """A libm function with a correctly rounded float32 result (glibc's sinf, cosf, acosf are)."""
    if a.dtype == np.float32:
        return f(a.astype(np.float64)).astype(np.float32)
    return f(a)


def _cases(default: Any, *rules: tuple[Any, Any]) -> Any:
    """``rules`` are (mask, value) in the kernel's if-chain order: the first matching rule wins. ``default`` is
    written over in place."""
    for mask, value in reversed(rules):
        assign(default, mask, value)
    return default


def _loop_mask(rules: list[tuple[Any, Any]]) -> Any:
    """The elements no rule covers: those that run the recurrence."""
    covered = rules[0][0].copy()
    for mask, _ in rules[1:]:
        covered |= mask
    return ~covered


def _recurrence(x: Any, n: Any, mask: Any, q0: Any, step: _Step) -> Any:
    """The kernels' loop: p = 1, q = q0, then n - 1 steps ``r = step(x, p, q, j)`` (j = 0, 1, ...). Only the
    elements in ``mask`` run. They are ordered by n once, so the elements still iterating after step j are a
    suffix: each step runs on a view of that suffix and hands the finished prefix its result, and a few large n
    do not make every element iterate. (The kernels also leave the loop where q turns NaN; NaN stays NaN through
    every step, so iterating on changes nothing.)"""
    flat = np.zeros(x.size, dtype=x.dtype)
    idx = np.flatnonzero(mask)
    left = n.ravel()[idx] - 1
    lo, hi = (int(left.min()), int(left.max())) if left.size else (0, 0)
    if 0 <= lo and hi < 2**16:  # a radix sort (stable sorts of small unsigned ints are): linear in the size
        order = np.argsort(left.astype(np.uint8 if hi < 2**8 else np.uint16), kind="stable")
    else:
        order = np.argsort(left, kind="stable")
    idx, left = idx[order], left[order]
    xa, qa = x.ravel()[idx], q0.ravel()[idx]
    pa = np.ones_like(xa)
    start, j = 0, 0
    while start < idx.size:
        r = step(xa, pa, qa, j)
        pa, qa = qa, r
        j += 1
        cut = int(np.searchsorted(left, j, side="right"))  # left <= j: done after this step
        if cut > start:
            done = cut - start
            flat[idx[start:cut]] = r[:done]
            xa, pa, qa = xa[done:], pa[done:], qa[done:]
            start = cut
    return flat.reshape(x.shape)


def _chebyshev_step(y2: Any, p: Any, q: Any, j: int) -> Any:
    return _fms(y2, q, p)  # y2 = y + y, formed once for all steps


def _chebyshev_closed(kind: str, shifted: bool, x: Any, y: Any, n: Any) -> Any:
    """The kernels' trigonometric form for large n inside the interval (theta = acos(y))."""
    dt = x.dtype.type
    one = dt(1)
    nf = n.astype(x.dtype)  # C++ converts n to T where it meets a T
    odd_sign = select(n % 2 == 0, one, -one)
    n1 = (n + 1).astype(x.dtype)
    n2 = (n + n + 1).astype(x.dtype)
    theta = _fn(np.arccos, y)
    if kind == "t":
        return _fn(np.cos, nf * theta)
    if kind == "u":
        s = _fn(np.sin, theta)
        return select(s != 0, _fn(np.sin, n1 * theta) / s, n1 * _fn(np.cos, n1 * theta) / y)
    if kind == "v":
        return select(
            _fn(np.sin, theta / dt(2)) != one,
            _fn(np.cos, (nf + dt(0.5)) * theta) / _fn(np.cos, theta / dt(2)),
            n2 * odd_sign,
        )
    fallback = odd_sign if shifted else select(x > 0, n2, odd_sign)
    return select(
        _fn(np.cos, theta / dt(2)) != one,
        _fn(np.sin, (nf + dt(0.5)) * theta) / _fn(np.sin, theta / dt(2)),
        fallback,
    )


def _chebyshev(kind: str, shifted: bool, x: Any, n: Any) -> Any:
    dt = x.dtype.type
    one = dt(1)
    y = x + x - one if shifted else x
    q0 = {"t": y, "u": y + y, "v": y + y - one, "w": y + y + one}[kind]
    odd_sign = select(n % 2 == 0, one, -one)
    n1 = (n + 1).astype(x.dtype)
    n2 = (n + n + 1).astype(x.dtype)
    # the ends of the interval, and the threshold above which the closed (trigonometric) form is used
    if shifted:
        at_one, at_minus_one = x == one, x == dt(0)
        big = n > {"t": 6, "u": 6, "v": 6, "w": 4}[kind]
    else:
        at_one = np.abs(x) == one
        big = n > {"t": 6, "u": 8, "v": 8, "w": 8}[kind]
        at_one, at_minus_one = at_one & (x > 0), at_one & ~(x > 0)
    ends = {"t": (one, odd_sign), "u": (n1, n1 * odd_sign), "v": (one, n2 * odd_sign), "w": (n2, odd_sign)}[kind]
    use_closed = big & (np.abs(y) < one)
    closed = np.zeros_like(x)
    at = np.flatnonzero(use_closed)
    closed.reshape(-1)[at] = _chebyshev_closed(kind, shifted, x.reshape(-1)[at], y.reshape(-1)[at], n.reshape(-1)[at])
    rules = [
        (n < 0, dt(0)),
        (at_one, ends[0]),
        (at_minus_one, ends[1]),
        (use_closed, closed),
        (n == 0, one),
        (n == 1, q0),
    ]
    loop = _loop_mask(rules)
    return _cases(_recurrence(y + y, n, loop, q0, _chebyshev_step), *rules)


def _hermite_h(x: Any, n: Any) -> Any:
    dt = x.dtype.type
    limit = 128 if x.dtype == np.float32 else 512  # getHermitianLimit: NaN beyond it
    rules = [(n < 0, dt(0)), (n == 0, dt(1)), (n == 1, x + x), (n > limit, np.nan)]
    loop = _loop_mask(rules)
    x2 = x + x  # the steps' 2x, formed once
    return _cases(_recurrence(x2, n, loop, x2, lambda x2, p, q, j: _fms(x2, q, dt(2 + 2 * j) * p)), *rules)


def _hermite_he(x: Any, n: Any) -> Any:
    dt = x.dtype.type
    limit = 128 if x.dtype == np.float32 else 512
    rules = [(n < 0, dt(0)), (n == 0, dt(1)), (n == 1, x), (n > limit, np.nan)]
    loop = _loop_mask(rules)
    return _cases(_recurrence(x, n, loop, x, lambda x, p, q, j: _fms(x, q, dt(1 + j) * p)), *rules)


def _laguerre_l(x: Any, n: Any) -> Any:
    dt = x.dtype.type
    one = dt(1)

    def step(x: Any, p: Any, q: Any, j: int) -> Any:
        k = 1 + j
        return _fms(dt(k + k) + (one - x), q, dt(k) * p) / dt(k + 1)

    rules = [(n < 0, dt(0)), (np.abs(x) == 0, one), (n == 0, one), (n == 1, one - x)]
    loop = _loop_mask(rules)
    return _cases(_recurrence(x, n, loop, one - x, step), *rules)


def _legendre_p(x: Any, n: Any) -> Any:
    dt = x.dtype.type
    one = dt(1)

    def step(x: Any, p: Any, q: Any, j: int) -> Any:
        k = 1 + j
        return _fms(dt(k + k + 1) * x, q, dt(k) * p) / dt(k + 1)

    ends = select((x > 0) | (n % 2 == 0), one, -one)
    rules = [(n < 0, dt(0)), (np.abs(x) == one, ends), (n == 0, one), (n == 1, x)]
    loop = _loop_mask(rules)
    return _cases(_recurrence(x, n, loop, x, step), *rules)


def _polynomial(name: str, kernel: Callable[[Any, Any], Any]) -> Callable[..., Tensor]:
    def op(input: Any, n: Any) -> Tensor:
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            raise invalid_combination(f"special_{name}", input, n)
        x, k, dt = binary_arrays(input, n)
        if dt.category < 2:  # integer and bool arguments give the default float dtype
            dt = D.get_default_dtype()

        def compute(xp: Any, x: Any, k: Any) -> Any:
            x, k = np.broadcast_arrays(np.asarray(x, dtype=dt.np), np.asarray(k, dtype=dt.np))
            with np.errstate(all="ignore"):
                values = blockwise(kernel, np.array(x), _integer_n(k))  # a copy: broadcast views are read-only
            return np.asarray(values, dtype=dt.np)

        return Tensor._make(on_host(compute)(array_module(x), x, k))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.special.{name}(input, n): elementwise, not differentiable."
    return op


def _chebyshev_op(kind: str, shifted: bool) -> Callable[[Any, Any], Any]:
    return lambda x, n: _chebyshev(kind, shifted, x, n)


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", _chebyshev_op("t", False))
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", _chebyshev_op("u", False))
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", _chebyshev_op("v", False))
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", _chebyshev_op("w", False))
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t", _chebyshev_op("t", True))
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u", _chebyshev_op("u", True))
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v", _chebyshev_op("v", True))
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w", _chebyshev_op("w", True))
hermite_polynomial_h = _polynomial("hermite_polynomial_h", _hermite_h)
hermite_polynomial_he = _polynomial("hermite_polynomial_he", _hermite_he)
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", _laguerre_l)
legendre_polynomial_p = _polynomial("legendre_polynomial_p", _legendre_p)

__all__ = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
]  # fmt: skip
