"""Random numbers: ``manual_seed``, ``randn``, ``rand``, ``randint``, ``randperm`` and in-place samplers.

The generator is a NumPy ``Generator`` (PCG64). Seeding makes runs of the
engine reproducible, but the streams differ from torch's (torch uses a
Mersenne Twister with its own transforms): the same seed does NOT give the
same numbers as torch. Tests that compare with torch copy torch's values in.

Importing this module also attaches ``normal_``, ``uniform_``,
``bernoulli_`` and ``random_`` to ``Tensor``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from . import _dtype as D
from .ops.inplace import check_inplace
from .tensor import Tensor, _size_args

_DEFAULT_SEED = 67280421310721  # torch's default_rng_seed_val


class Generator:
    """A seedable source of random numbers (NumPy PCG64; streams differ from torch)."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed = _DEFAULT_SEED
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        self.device = device

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def seed(self) -> int:
        s = time.time_ns() & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed


default_generator = Generator()


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng


def manual_seed(seed: int) -> Generator:
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def _float_dtype(dtype: D.dtype | None) -> D.dtype:
    return dtype if dtype is not None else D.get_default_dtype()


def _finish(arr: np.ndarray, dtype: D.dtype, requires_grad: bool) -> Tensor:
    t = Tensor._make(np.ascontiguousarray(arr, dtype=dtype.np))
    if requires_grad:
        t.requires_grad_(True)
    return t


def randn(
    *size: Any,
    generator: Generator | None = None,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    dt = _float_dtype(dtype)
    return _finish(_rng(generator).standard_normal(_size_args(size)), dt, requires_grad)


def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    dt = _float_dtype(dtype)
    return _finish(_rng(generator).random(_size_args(size)), dt, requires_grad)


def randint(
    low: int,
    high: Any = None,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = _rng(generator).integers(low, high, size=_size_args((size,)))
    return _finish(arr, dtype or D.int64, requires_grad)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return _finish(_rng(generator).permutation(n), dtype or D.int64, requires_grad)


def randn_like(input: Tensor, *, dtype: D.dtype | None = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype: D.dtype | None = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def normal(
    mean: float,
    std: float,
    size: Any,
    *,
    generator: Generator | None = None,
    dtype: D.dtype | None = None,
    requires_grad: bool = False,
) -> Tensor:
    arr = _rng(generator).normal(mean, std, size=_size_args((size,)))
    return _finish(arr, _float_dtype(dtype), requires_grad)


# --------------------------------------------------------------------------- in-place samplers
def _fill(t: Tensor, arr: np.ndarray) -> Tensor:
    """Write samples into ``t`` in place (same storage, version bump), with torch's leaf check."""
    check_inplace(t)
    t._data[...] = arr.astype(t._data.dtype, copy=False)
    t._vc[0] += 1
    return t


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill(self, _rng(generator).normal(mean, std, size=self._data.shape))


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    return _fill(self, _rng(generator).uniform(from_, to, size=self._data.shape))


def bernoulli_(self: Tensor, p: float = 0.5, *, generator: Generator | None = None) -> Tensor:
    return _fill(self, _rng(generator).random(self._data.shape) < p)


def random_(self: Tensor, from_: int = 0, to: int | None = None, *, generator: Generator | None = None) -> Tensor:
    if to is None:
        from_, to = 0, from_ if from_ else 2**24
    return _fill(self, _rng(generator).integers(from_, to, size=self._data.shape))


Tensor.normal_ = normal_
Tensor.uniform_ = uniform_
Tensor.bernoulli_ = bernoulli_
Tensor.random_ = random_

__all__ = [
    "Generator", "default_generator", "initial_seed", "manual_seed", "normal", "rand", "rand_like", "randint",
    "randn", "randn_like", "randperm", "seed",
]  # fmt: skip
