"""The vectorised fmod / remainder / floor-division kernels against NumPy's per-element loops (C's fmod and
divmod) on adversarial inputs, and the engine's ops on large tensors against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import reference_engine as engine
from reference_engine.ops import _float_modulo as M

DTYPES = [np.float32, np.float64]


def _inputs(dt: type, n: int = 1 << 17, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    fi = np.finfo(dt)
    specials = np.array(
        [np.nan, np.inf, -np.inf, 0.0, -0.0, fi.tiny, -fi.smallest_subnormal, fi.max, -fi.max, 1, -1, 0.5, -3, 0.1],
        dtype=dt,
    )
    k = n // 6
    uint = np.uint32 if dt is np.float32 else np.uint64
    parts = [
        (rng.uniform(-9, 9, k).astype(dt), rng.uniform(-9, 9, k).astype(dt)),
        # every bit pattern: every exponent, NaN payloads, subnormals
        (rng.integers(0, np.iinfo(uint).max, k, dtype=uint).view(dt), rng.integers(0, np.iinfo(uint).max, k, dtype=uint).view(dt)),
        (rng.integers(-200, 200, k).astype(dt), rng.integers(-20, 20, k).astype(dt)),
    ]  # fmt: skip
    # exact multiples of b (any exponent float64's exact path takes) and their neighbours: the remainder is 0
    # or one ulp of a, where the rounded quotient can truncate one too high
    top = 100 if dt is np.float32 else 980
    b = (rng.uniform(-2, 2, k) * 2.0 ** rng.integers(-top, top, k)).astype(dt)
    a = (rng.integers(-(2**26), 2**26, k).astype(dt) * b).astype(dt)
    parts.append((np.nextafter(a, np.where(rng.random(k) < 0.5, -np.inf, np.inf).astype(dt)), b))
    parts.append((a, b))
    # quotients around float32's exact-in-float64 bound (2**28) and beyond
    b = rng.uniform(-9, 9, k).astype(dt)
    parts.append(((b * rng.uniform(2**26, 2**31, k) * rng.choice([-1, 1], k)).astype(dt), b))
    a = np.concatenate([p[0] for p in parts] + [rng.choice(specials, k)])
    b = np.concatenate([p[1] for p in parts] + [rng.choice(specials, k)])
    return a, b


def _assert_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_array_equal(got[ok], want[ok])
    np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(want[ok]))


@pytest.mark.parametrize("dt", DTYPES)
def test_kernels_match_numpy_loops(dt: type) -> None:
    a, b = _inputs(dt)
    with np.errstate(all="ignore"):
        _assert_bits(M.fmod(a, b), np.fmod(a, b))
        _assert_bits(M.remainder(a, b), np.mod(a, b))
        _assert_bits(M.floor_divide(a, b), np.floor_divide(a, b))


@pytest.mark.parametrize("dt", DTYPES)
def test_kernels_broadcast_and_strided(dt: type) -> None:
    a, b = _inputs(dt, n=1 << 16, seed=1)
    x = a[: 256 * 256].reshape(256, 256)
    with np.errstate(all="ignore"):
        for y in (b[:256].reshape(1, 256), np.asarray(b[3]), np.asarray(dt(np.inf)), np.asarray(dt(-0.0))):
            for p, q in ((x, y), (x.T, y), (y, x)):
                _assert_bits(M.fmod(p, q), np.fmod(p, q))
                _assert_bits(M.remainder(p, q), np.mod(p, q))
                _assert_bits(M.floor_divide(p, q), np.floor_divide(p, q))


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("name", ["remainder", "fmod", "floor_divide"])
def test_large_tensors_match_torch(name: str, dt: str) -> None:
    rng = np.random.default_rng(2)
    a = rng.uniform(-9, 9, 1 << 16).astype(dt)
    b = rng.uniform(-9, 9, 1 << 16).astype(dt)
    b[::97] = rng.integers(-3, 4, b[::97].size)  # integer divisors (exact multiples, zeros)
    a[::89] = 6.0
    want = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    got = getattr(engine, name)(engine.from_numpy(a), engine.from_numpy(b)).numpy()
    np.testing.assert_array_equal(got, want)
    got = engine.from_numpy(a).div(engine.from_numpy(b), rounding_mode="floor").numpy()
    np.testing.assert_array_equal(got, torch.from_numpy(a).div(torch.from_numpy(b), rounding_mode="floor").numpy())


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 400])  # small tensors take NumPy's loop, large ones the vectorised kernel
def test_remainder_zero_takes_the_dividends_sign_as_torch(dt: type, n: int) -> None:
    vals = np.array([-3.0, -2.0, -1.5, -0.0, 0.0, 1.5, 2.0, 3.0, np.inf, -np.inf, np.nan], dtype=dt)
    a, b = (np.tile(v.ravel(), n) for v in np.meshgrid(vals, vals))
    want = torch.remainder(torch.tensor(a), torch.tensor(b)).numpy()
    got = engine.remainder(engine.tensor(a), engine.tensor(b)).numpy()
    bits = {np.float16: np.uint16, np.float32: np.uint32, np.float64: np.uint64}[dt]
    same = (got.view(bits) == want.view(bits)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), list(zip(a[~same][:5], b[~same][:5], want[~same][:5], got[~same][:5], strict=True))
    assert np.signbit(engine.remainder(engine.tensor(-2.0, dtype=engine.float64), 1.0).item())  # torch: -0.
