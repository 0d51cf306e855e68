"""The float arithmetic behind torch-identical sampling (reference_engine/_rng_math.py).

fma32 is checked against exact rational arithmetic rounded to float32 by hand, on the
inputs where a float64 evaluation alone goes wrong: a float64 sum that lands exactly on
a float32 halfway point while the exact value lies just above or below it.

The fast float32 Box-Muller (reference_engine/_normal_f32.py) drops that halfway check and several
float64 steps; it is only ever fed torch's uniforms, k / 2**24 for a 24-bit k, so it is
run on all 2**24 of them for each half of a block and compared bit for bit with the
step-by-step reference. Expected values never come from the code under test.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

import reference_engine as E
from reference_engine import _normal_f32 as NF
from reference_engine import _rng_math as RM

f32 = np.float32


def _round_f32(q: Fraction) -> np.float32:
    """Exact rational -> nearest float32, ties to even (normal range only)."""
    if q == 0:
        return f32(0)
    sign, mag = (-1 if q < 0 else 1), abs(q)
    e = mag.numerator.bit_length() - mag.denominator.bit_length()  # 2**(e - 1) < mag < 2**(e + 1)
    if Fraction(2) ** e > mag:
        e -= 1
    assert -126 <= e <= 127
    m = mag / Fraction(2) ** (e - 23)  # in [2**23, 2**24)
    whole, rest = divmod(m, 1)
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2):
        whole += 1
    return f32(sign * float(whole * Fraction(2) ** (e - 23)))  # exact: at most 25 significant bits, a float64


def _exact_fma(a: float, b: float, c: float) -> np.float32:
    return _round_f32(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)))


ULP = 2.0**-23
# a * b = 2**-24 - 2**-70 exactly: (1 + 2**-23)(1 - 2**-23) = 1 - 2**-46
A, B = f32(1 + ULP), f32((1 - ULP) * 2.0**-24)
TIES = [
    # exact value just below the midpoint 1 + 3 * 2**-24 (odd below, even above): float64 rounds onto the
    # midpoint and a plain cast would go up to the even neighbour; the answer is 1 + 2**-23
    (A, B, f32(1 + ULP), f32(1 + ULP)),
    # just above the midpoint 1 + 2**-24 (even below, odd above): a plain cast would go down to 1
    (-A, B, f32(1 + ULP), f32(1 + ULP)),
    # exact ties: ties to even
    (f32(1), f32(2.0**-24), f32(1), f32(1)),
    (f32(1), f32(2.0**-24), f32(1 + ULP), f32(1 + 2 * ULP)),
]


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize(("a", "b", "c", "expected"), TIES)
def test_fma32_on_float32_halfway_points(
    a: np.float32, b: np.float32, c: np.float32, expected: np.float32, sign: int
) -> None:
    a, c, expected = f32(sign * a), f32(sign * c), f32(sign * expected)
    assert _exact_fma(a, b, c) == expected  # the hand-worked expectation agrees with exact arithmetic
    s64 = np.float64(a) * np.float64(b) + np.float64(c)
    assert s64.view(np.int64) & 0x1FFFFFFF == 0x10000000  # float64 lands on a float32 halfway point
    # arrays of several sizes, and b, c as scalars
    for n in (1, 7, 1000):
        got = RM.fma32(np.full(n, a), np.full(n, b), np.full(n, c))
        assert got.dtype == np.float32 and np.array_equal(got.view(np.int32), np.full(n, expected).view(np.int32))
    assert RM.fma32(np.full(5, a), b, c).view(np.int32).tolist() == [expected.view(np.int32)] * 5
    assert RM.fma32(np.full(5, a), np.full(5, b), c).view(np.int32).tolist() == [expected.view(np.int32)] * 5


def test_fma32_on_crafted_and_random_inputs() -> None:
    """Halfway-point inputs built at many scales and mantissas, mixed with random ones."""
    rng = np.random.default_rng(7)
    a, b, c = [], [], []
    for _ in range(300):
        # (1 + d 2**-23)(1 - d 2**-23) = 1 - d**2 2**-46: just below a power of two, scaled to half an ulp of c
        d = int(rng.integers(1, 64))
        s = float(rng.choice([-1, 1]))
        cm = f32((1 + int(rng.integers(0, 2**23)) * ULP) * 2.0 ** int(rng.integers(-20, 20)))
        half_ulp = float(np.spacing(cm)) / 2
        a.append(f32(s * (1 + d * ULP)))
        b.append(f32((1 - d * ULP) * half_ulp))
        c.append(cm * f32(rng.choice([-1, 1])))
    for _ in range(300):
        a.append(f32(rng.standard_normal()))
        b.append(f32(rng.standard_normal()))
        c.append(f32(rng.standard_normal()))
    a, b, c = np.array(a, f32), np.array(b, f32), np.array(c, f32)
    expected = np.array([_exact_fma(*v) for v in zip(a, b, c)], f32)
    got = RM.fma32(a, b, c)
    assert np.array_equal(got.view(np.int32), expected.view(np.int32))
    # the crafted half really is hard: a plain float64 evaluation gets some of them wrong
    naive = (a.astype(np.float64) * b + c).astype(f32)
    assert np.count_nonzero(naive[:300] != expected[:300]) > 50


def _uniform(k: np.ndarray) -> np.ndarray:
    return k.astype(f32) * f32(2.0**-24)


def test_fast_box_muller_halves_on_every_uniform() -> None:
    """Radius, cosine and sine half of the fast path for all 2**24 uniforms, against _log_ps and _sincos_ps."""
    size = 1 << 17
    scratch = NF._Scratch(size)
    r, cos, sin = (np.empty(size, f32) for _ in range(3))
    rng = np.random.default_rng(0)
    for lo in range(0, 1 << 24, size):
        k = np.arange(lo, lo + size, dtype=np.int64)
        junk = rng.integers(0, 256, k.size, dtype=np.int64) << 24  # bits above the 24 a uniform uses
        words = (k | junk).astype(np.uint32).view(np.int32)
        NF.radius(words, r, scratch)
        NF.sincos(words, cos, sin, scratch)
        u = _uniform(k)
        radius = np.sqrt(f32(-2) * RM._log_ps(f32(1) - u))
        want_sin, want_cos = RM._sincos_ps(f32(2.0 * np.pi) * u)
        for got, want in ((r, radius), (cos, want_cos), (sin, want_sin)):
            bad = np.flatnonzero(got.view(np.int32) != want.view(np.int32))
            assert bad.size == 0, f"k = {k[bad[:5]]}: {got[bad[:5]]} != {want[bad[:5]]}"


def _drawing(words: np.ndarray) -> tuple[NF.Draw, list[int]]:
    """A ``draw`` that hands out ``words`` in order, and the sizes it was asked for."""
    asked: list[int] = []

    def draw(k: int) -> np.ndarray:
        start = sum(asked)
        asked.append(k)
        assert start + k <= words.size, "drew past the words the kernel consumes"
        return words[start : start + k]

    return draw, asked


_SIZES = [16, 17, 31, 32, 1000, 16 * NF._ROWS, 16 * NF._ROWS + 16, 16 * NF._THREADED_BLOCKS - 1]
_SIZES += [
    16 * NF._THREADED_BLOCKS,
    16 * (NF._THREADED_BLOCKS + 1001) + 3,
    16 * (NF._THREADED_BLOCKS + NF._SHARED_ROWS) + 9,
    16 * 3 * NF._THREADED_BLOCKS + 5,
]


@pytest.mark.parametrize("n", _SIZES)
@pytest.mark.parametrize(("mean", "std"), [(0.0, 1.0), (-0.0, 1.0), (0.5, 1.0), (0.0, 2.5), (-1.25, 0.1)])
def test_fast_box_muller_against_the_reference(n: int, mean: float, std: float) -> None:
    """Every size path (one chunk, many, two threads, a recomputed last block) against the specification."""
    rng = np.random.default_rng(n)
    tail_words = 16 if n % 16 else 0
    words = rng.integers(0, 2**32, n + tail_words, dtype=np.uint64)
    words[:64] &= np.uint64(0xFF000000)  # u = 0 in radius and angle slots: signed zeros
    draw, asked = _drawing(words)
    got = NF.box_muller_f32(draw, n, f32(mean), f32(std))
    assert sum(asked) == words.size  # every word torch's kernel consumes, in order, and no more
    mask = np.uint64(0xFFFFFF)
    tail = words[n:] if tail_words else None
    want = RM.box_muller_reference_f32(
        _uniform(words[:n] & mask), None if tail is None else _uniform(tail & mask), f32(mean), f32(std)
    )
    assert got.dtype == np.float32 and got.shape == (n,)
    assert np.array_equal(got.view(np.int32), want.view(np.int32))


def test_a_failing_draw_reaches_the_caller_on_the_threaded_path() -> None:
    """An error inside the helper thread's draw is raised in the caller, and no thread is left behind."""
    import threading  # noqa: PLC0415

    calls = []

    def draw(k: int) -> np.ndarray:
        calls.append(k)
        if len(calls) == 3:
            raise MemoryError("planted")
        return np.zeros(k, np.uint64)

    before = threading.active_count()
    with pytest.raises(MemoryError, match="planted"):
        NF.box_muller_f32(draw, 16 * 4 * NF._THREADED_BLOCKS, f32(0), f32(1))
    assert threading.active_count() == before


def test_randn_where_a_radius_uniform_is_zero() -> None:
    """torch's kernel ends with fma(n, std, mean): at u = 0 the radius is sqrt(-0) = -0, and torch returns +0.

    With seed 0, word 56992496 (the first radius slot of a block) has low 24 bits 0.
    """
    skip = 56992496
    torch.manual_seed(0)
    E.manual_seed(0)
    for size in [1 << 22] * (skip >> 22) + [skip % (1 << 22)]:  # one word per float32 uniform
        torch.rand(size)
        E.rand(size)
    expected = torch.randn(16).numpy()
    got = E.randn(16)._data
    assert expected[0] == 0 and not np.signbit(expected[0])
    assert np.array_equal(got.view(np.int32), expected.view(np.int32))
