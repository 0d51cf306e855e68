"""The 32-bit Mersenne Twister (MT19937) behind torch's CPU generator.

torch seeds MT19937 with the low 32 bits of the seed through the reference
``init_genrand`` recurrence, and draws:

- 32-bit words: one tempered MT output;
- 64-bit words: two outputs, the first one is the high half.

The state is the 624-word key plus a position (how many words of the current
block were used). Bulk output uses NumPy's C MT19937 (same algorithm, same
tempering), loaded with this state: it is about 20x faster than a Python-level
twist. ``twist``/``temper`` below are the same algorithm with array operations;
they are the specification the fast path is tested against.
"""

from __future__ import annotations

import numpy as np

N = 624  # words in the state
M = 397  # the twist's middle offset
_MATRIX_A = np.uint32(0x9908B0DF)
_UPPER = np.uint32(0x80000000)
_LOWER = np.uint32(0x7FFFFFFF)


def init_key(seed: int) -> np.ndarray:
    """The reference ``init_genrand``: key[0] = seed, key[i] = 1812433253 * (k ^ (k >> 30)) + i (mod 2**32)."""
    key = [int(seed) & 0xFFFFFFFF]
    for i in range(1, N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


def _twist_rows(cur: np.ndarray, nxt: np.ndarray, far: np.ndarray) -> np.ndarray:
    y = (cur & _UPPER) | (nxt & _LOWER)
    return far ^ (y >> np.uint32(1)) ^ np.where((y & np.uint32(1)).astype(bool), _MATRIX_A, np.uint32(0))


def twist(key: np.ndarray) -> np.ndarray:
    """The next 624-word block, vectorised.

    Word i depends on words i, i+1 and i+397 (mod 624) where words below i are
    already the new ones. So the block splits into runs with no dependency
    inside a run: [0, 227) reads only old words, [227, 454) reads new [0, 227),
    [454, 623) reads new [227, 396), and word 623 reads the new word 0.
    """
    k = key.astype(np.uint32, copy=True)
    bounds = [(0, N - M), (N - M, 2 * (N - M)), (2 * (N - M), N - 1)]
    for lo, hi in bounds:
        idx = np.arange(lo, hi)
        k[lo:hi] = _twist_rows(k[idx], k[idx + 1], k[(idx + M) % N])
    k[N - 1] = _twist_rows(k[N - 1 : N], k[0:1], k[M - 1 : M])[0]
    return k


def temper(words: np.ndarray) -> np.ndarray:
    y = words.astype(np.uint32, copy=True)
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    y ^= y >> np.uint32(18)
    return y


def reference_draw(key: np.ndarray, pos: int, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """``n`` tempered words from (key, pos) with the array-op twist; returns (words, key, pos)."""
    out = []
    need = n
    while need > 0:
        if pos >= N:
            key, pos = twist(key), 0
        take = min(need, N - pos)
        out.append(temper(key[pos : pos + take]))
        pos += take
        need -= take
    words = np.concatenate(out) if out else np.zeros(0, np.uint32)
    return words, key, pos


class MT19937:
    """MT19937 state with bulk draws; ``fresh`` marks a just-seeded key that has not been twisted yet."""

    __slots__ = ("_bitgen", "fresh")

    def __init__(self, seed: int) -> None:
        self._bitgen = np.random.MT19937(0)
        self.seed(seed)

    def seed(self, seed: int) -> None:
        self.set_key(init_key(seed), N)
        self.fresh = True

    def set_key(self, key: np.ndarray, pos: int) -> None:
        state = {"bit_generator": "MT19937", "state": {"key": np.asarray(key, np.uint32), "pos": int(pos)}}
        self._bitgen.state = state
        self.fresh = False

    def key_pos(self) -> tuple[np.ndarray, int]:
        st = self._bitgen.state["state"]
        return np.array(st["key"], dtype=np.uint32), int(st["pos"])

    def random32(self, n: int) -> np.ndarray:
        """``n`` 32-bit words as uint64 (so later arithmetic does not wrap)."""
        if n <= 0:
            return np.zeros(0, np.uint64)
        self.fresh = False
        return self._bitgen.random_raw(n)

    def random64(self, n: int) -> np.ndarray:
        """``n`` 64-bit words: each is (first draw << 32) | second draw."""
        w = self.random32(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def copy(self) -> MT19937:
        other = MT19937.__new__(MT19937)
        other._bitgen = np.random.MT19937(0)
        other._bitgen.state = self._bitgen.state
        other.fresh = self.fresh
        return other
