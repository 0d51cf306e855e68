"""The engine's random numbers are torch's CPU random numbers, bit for bit.

Every test seeds both libraries the same way, runs the same call on each, and
requires the raw arrays to be identical (``np.array_equal``, dtype included),
then draws once more on both: equal next draws show the call consumed the
generator exactly as torch does. Sizes cover every switch found in torch's
kernels: 16 (Box-Muller blocks vs the scalar path), n % 16 (the recomputed
tail block), 624 (one MT19937 block), 2**32 (64-bit words for randint).
Expected values always come from torch in the same test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_engine as E
import reference_engine.nn
from reference_engine import _mt19937

SIZES = st.one_of(
    st.integers(1, 40),
    st.sampled_from([47, 48, 49, 63, 64, 65, 311, 312, 623, 624, 625, 1000, 1249, 4097]),
)
SEEDS = st.integers(0, 2**32 + 7)
DTYPES = st.sampled_from(["float32", "float64"])
FEW = settings(max_examples=12, deadline=None)


def _np(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, E.Tensor):
        return x.detach()._data
    return x


def assert_same_stream(seed: int, fn: Callable[[Any], Any]) -> None:
    """fn(torch) and fn(engine) after manual_seed(seed): identical results and identical next draws."""
    torch.manual_seed(seed)
    expected = _np(fn(torch))
    follow_t = torch.rand(5, dtype=torch.float64).numpy()
    E.manual_seed(seed)
    actual = _np(fn(E))
    follow_e = E.rand(5, dtype=E.float64)._data
    assert type(actual) is type(expected)
    if isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        bad = np.flatnonzero(actual.reshape(-1) != expected.reshape(-1))
        assert np.array_equal(actual, expected), f"{bad.size} differ, first at {bad[:5]}"
    else:
        assert actual == expected
    assert np.array_equal(follow_e, follow_t), "the generator state after the call differs"


# --------------------------------------------------------------------------- the core
def test_mt19937_fast_path_equals_array_op_twist() -> None:
    gen = _mt19937.MT19937(12345)
    words, key, pos = _mt19937.reference_draw(_mt19937.init_key(12345), _mt19937.N, 2000)
    assert np.array_equal(gen.random32(2000), words)
    assert np.array_equal(gen.key_pos()[0], key) and gen.key_pos()[1] == pos


@FEW
@given(seed=SEEDS)
def test_raw_words(seed: int) -> None:
    # random_ on int64 in [0, 2**32) returns raw 32-bit words; over a wider range, 64-bit words
    assert_same_stream(seed, lambda t: t.randint(0, 2**32, (700,)))
    assert_same_stream(seed, lambda t: t.randint(0, 2**40, (9,)))


# --------------------------------------------------------------------------- factories
@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES)
def test_randn(seed: int, n: int, dtype: str) -> None:
    assert_same_stream(seed, lambda t: t.randn(n, dtype=getattr(t, dtype)))


@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES)
def test_randn_twice_keeps_cached_normal(seed: int, n: int, dtype: str) -> None:
    # small sizes use the scalar Box-Muller, whose second value is cached for the next call
    assert_same_stream(seed, lambda t: [t.randn(3, dtype=getattr(t, dtype)), t.randn(n, dtype=getattr(t, dtype))][1])


@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES)
def test_rand(seed: int, n: int, dtype: str) -> None:
    assert_same_stream(seed, lambda t: t.rand(2, n, dtype=getattr(t, dtype)))


@FEW
@given(
    seed=SEEDS, n=SIZES, low=st.integers(-50, 50), span=st.sampled_from([1, 2, 7, 1000, 2**28 - 1, 2**28, 2**31, 2**33])
)
def test_randint(seed: int, n: int, low: int, span: int) -> None:
    assert_same_stream(seed, lambda t: t.randint(low, low + span, (n,)))


@FEW
@given(seed=SEEDS, n=st.integers(0, 300))
def test_randperm(seed: int, n: int) -> None:
    assert_same_stream(seed, lambda t: t.randperm(n))


@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES, mean=st.floats(-3, 3), std=st.floats(0.01, 5))
def test_normal_float_args(seed: int, n: int, dtype: str, mean: float, std: float) -> None:
    assert_same_stream(seed, lambda t: t.normal(mean, std, (n,), dtype=getattr(t, dtype)))


@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES)
def test_normal_tensor_args(seed: int, n: int, dtype: str) -> None:
    def fn(t: Any) -> Any:
        dt = getattr(t, dtype)
        return t.normal(t.arange(n, dtype=dt), t.full((n,), 0.5, dtype=dt))

    assert_same_stream(seed, fn)


@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES, p=st.floats(0, 1))
def test_bernoulli(seed: int, n: int, dtype: str, p: float) -> None:
    assert_same_stream(seed, lambda t: t.bernoulli(t.full((n,), p, dtype=getattr(t, dtype))))
    assert_same_stream(seed, lambda t: t.bernoulli(t.zeros(n, dtype=getattr(t, dtype)), p))


@FEW
@given(seed=SEEDS, rows=st.integers(1, 3), cats=st.integers(1, 40), k=st.integers(1, 6), dtype=DTYPES)
def test_multinomial(seed: int, rows: int, cats: int, k: int, dtype: str) -> None:
    weights = np.random.default_rng(seed).random((rows, cats)) + 0.01

    def fn(t: Any, replacement: bool) -> Any:
        return t.multinomial(t.tensor(weights, dtype=getattr(t, dtype)), k, replacement)

    assert_same_stream(seed, lambda t: fn(t, True))
    if k <= cats:
        assert_same_stream(seed, lambda t: fn(t, False))


# --------------------------------------------------------------------------- in-place samplers
@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES, a=st.floats(-5, 5), width=st.floats(0, 10))
def test_uniform_(seed: int, n: int, dtype: str, a: float, width: float) -> None:
    assert_same_stream(seed, lambda t: t.empty(n, dtype=getattr(t, dtype)).uniform_(a, a + width))


@pytest.mark.parametrize(
    ("dtype", "low", "high", "n"),
    [
        ("float32", 1.0, 1 + 2**-20, 20000), ("float32", -1 - 2**-20, -1.0, 20000),
        ("float64", 1.0, 1 + 2**-50, 20000), ("float16", 1.0, 1.00390625, 20000), ("float16", 0.0, 1.0, 200000),
    ],
)  # fmt: skip
def test_uniform_never_returns_the_upper_bound(dtype: str, low: float, high: float, n: int) -> None:
    # intervals so narrow that x * (to - from) + from often rounds to ``to``: torch gives ``from`` there
    assert_same_stream(3, lambda t: t.empty(n, dtype=getattr(t, dtype)).uniform_(low, high))
    if (low, high) == (0.0, 1.0):
        assert_same_stream(3, lambda t: t.rand(n, dtype=getattr(t, dtype)))


@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES, mean=st.floats(-3, 3), std=st.floats(0, 5))
def test_normal_(seed: int, n: int, dtype: str, mean: float, std: float) -> None:
    assert_same_stream(seed, lambda t: t.empty(n, dtype=getattr(t, dtype)).normal_(mean, std))


@FEW
@given(seed=SEEDS, rows=st.integers(1, 9), cols=st.integers(1, 9), dtype=DTYPES)
def test_samplers_fill_transposed_tensors_in_memory_order(seed: int, rows: int, cols: int, dtype: str) -> None:
    # a non-contiguous tensor takes normal_'s scalar path; every sampler fills it in storage order
    assert_same_stream(seed, lambda t: t.empty(cols, rows, dtype=getattr(t, dtype)).t().normal_())
    assert_same_stream(seed, lambda t: t.empty(cols, rows, dtype=getattr(t, dtype)).t().uniform_(-1, 2))


@FEW
@given(seed=SEEDS, n=SIZES, dtype=st.sampled_from(["float32", "float64", "int64", "int32", "int16", "uint8", "bool"]))
def test_random_(seed: int, n: int, dtype: str) -> None:
    assert_same_stream(seed, lambda t: t.empty(n, dtype=getattr(t, dtype)).random_())
    if dtype != "bool":
        assert_same_stream(seed, lambda t: t.empty(n, dtype=getattr(t, dtype)).random_(3, 100))
        assert_same_stream(seed, lambda t: t.empty(n, dtype=getattr(t, dtype)).random_(100))


@FEW
@given(seed=SEEDS, n=SIZES, dtype=DTYPES, lambd=st.floats(0.1, 10))
def test_exponential_(seed: int, n: int, dtype: str, lambd: float) -> None:
    assert_same_stream(seed, lambda t: t.empty(n, dtype=getattr(t, dtype)).exponential_(lambd))


@FEW
@given(seed=SEEDS, n=SIZES, dtype=st.sampled_from(["float32", "float64", "int64", "bool"]), p=st.floats(0, 1))
def test_bernoulli_(seed: int, n: int, dtype: str, p: float) -> None:
    assert_same_stream(seed, lambda t: t.empty(n, dtype=getattr(t, dtype)).bernoulli_(p))


def test_large_sizes() -> None:
    # 262_149 and 1_000_003: float32 Box-Muller shared between two threads, with a recomputed last block
    for n in (100_003, 65_536, 262_149, 1_000_003):
        assert_same_stream(3, lambda t, n=n: t.randn(n))
        assert_same_stream(3, lambda t, n=n: t.empty(n).normal_(0.25, 3.0))
        assert_same_stream(3, lambda t, n=n: t.randn(n, dtype=t.float64))


# --------------------------------------------------------------------------- nn.init and modules
INITS: list[tuple[str, dict[str, Any]]] = [
    ("uniform_", {"a": -2.0, "b": 3.0}), ("normal_", {"mean": 1.0, "std": 0.1}),
    ("xavier_uniform_", {}), ("xavier_normal_", {"gain": 1.3}), ("kaiming_uniform_", {"a": 0.1}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}), ("trunc_normal_", {"std": 0.02}),
    ("trunc_normal_", {"mean": 0.5, "std": 2.0, "a": -0.3, "b": 0.4}),
]  # fmt: skip


@FEW
@given(seed=SEEDS, init=st.sampled_from(INITS), shape=st.sampled_from([(5, 3), (40, 17), (8, 3, 3, 3)]), dtype=DTYPES)
def test_nn_init(seed: int, init: tuple[str, dict[str, Any]], shape: tuple[int, ...], dtype: str) -> None:
    name, kwargs = init
    assert_same_stream(seed, lambda t: getattr(t.nn.init, name)(t.empty(shape, dtype=getattr(t, dtype)), **kwargs))


def _params(t: Any, build: Callable[[Any], Any]) -> Any:
    return t.cat([p.detach().reshape(-1) for p in build(t).parameters()])


@pytest.mark.parametrize(
    "build",
    [
        lambda t: t.nn.Linear(3, 1),
        lambda t: t.nn.Linear(64, 10),
        lambda t: t.nn.Linear(7, 5, bias=False),
        lambda t: t.nn.Linear(4, 6, dtype=t.float64),
        lambda t: t.nn.Conv2d(3, 8, 3),
        lambda t: t.nn.Conv2d(1, 1, 2, 1, 0),
        lambda t: t.nn.Sequential(t.nn.Linear(3, 16), t.nn.ReLU(), t.nn.Linear(16, 2)),
    ],
)
def test_default_module_init(build: Callable[[Any], Any]) -> None:
    assert_same_stream(0, lambda t: _params(t, build))


# --------------------------------------------------------------------------- generator state
@pytest.mark.parametrize("draw", [lambda t: None, lambda t: t.randn(3), lambda t: t.rand(700), lambda t: t.rand(624)])
def test_rng_state_bytes_match_torch(draw: Callable[[Any], Any]) -> None:
    torch.manual_seed(7)
    draw(torch)
    E.manual_seed(7)
    draw(E)
    assert np.array_equal(E.get_rng_state()._data, torch.get_rng_state().numpy())


def test_set_rng_state_takes_torch_state() -> None:
    torch.manual_seed(3)
    torch.randn(5)  # leaves a cached normal in the state
    E.set_rng_state(E.tensor(torch.get_rng_state().numpy()))
    assert np.array_equal(E.randn(7)._data, torch.randn(7).numpy())
    assert E.initial_seed() == torch.initial_seed()


def test_state_round_trip_and_fork_rng() -> None:
    E.manual_seed(11)
    E.randn(1)
    state = E.get_rng_state()
    first = E.randn(20)._data
    E.set_rng_state(state)
    assert np.array_equal(E.randn(20)._data, first)
    E.set_rng_state(state)
    with E.random.fork_rng():
        E.randn(100)
    assert np.array_equal(E.randn(20)._data, first)


@pytest.mark.parametrize("seed", [0, -1, 2**63 + 5, 2**64 - 1, 2**40 + 3])
def test_seeds_and_initial_seed(seed: int) -> None:
    torch.manual_seed(seed)
    E.manual_seed(seed)
    assert E.initial_seed() == torch.initial_seed()
    assert np.array_equal(E.rand(4)._data, torch.rand(4).numpy())


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1])
def test_seed_overflow_error(seed: int) -> None:
    with pytest.raises(Exception) as expected:
        torch.manual_seed(seed)
    with pytest.raises(type(expected.value), match=str(expected.value)):
        E.manual_seed(seed)


def test_generator_objects() -> None:
    assert E.Generator().initial_seed() == torch.Generator().initial_seed()
    gt, ge = torch.Generator().manual_seed(5), E.Generator().manual_seed(5)
    torch.manual_seed(1)
    E.manual_seed(1)
    a_t = torch.randn(20, generator=gt).numpy()
    a_e = E.randn(20, generator=ge)._data
    assert np.array_equal(a_e, a_t)
    # the default generator was not touched
    assert np.array_equal(E.rand(3)._data, torch.rand(3).numpy())
    assert np.array_equal(ge.get_state()._data, gt.get_state().numpy())
    assert np.array_equal(E.empty(9).uniform_(generator=ge)._data, torch.empty(9).uniform_(generator=gt).numpy())


@pytest.mark.parametrize("fn", [lambda t: t.randn(()), lambda t: t.rand(()), lambda t: t.randint(0, 5, ())])
def test_zero_dim_results(fn: Callable[[Any], Any]) -> None:
    assert_same_stream(5, fn)


@pytest.mark.parametrize("p", [0.1, 0.5, 1 / 3])
def test_bernoulli_mask_is_torch_dropout_mask(p: float) -> None:
    # the contract nn.functional.dropout relies on: torch keeps an element where bernoulli_(1 - p) drew 1
    xs = np.random.default_rng(1).standard_normal((6, 50)).astype(np.float32)
    torch.manual_seed(4)
    kept = torch.nn.functional.dropout(torch.tensor(xs), p).numpy() != 0
    follow_t = torch.rand(3).numpy()
    E.manual_seed(4)
    assert np.array_equal(E.random._bernoulli_mask(xs.shape, 1.0 - p), kept)
    assert np.array_equal(E.rand(3)._data, follow_t)
