"""``repr`` of engine tensors against real torch's, byte for byte.

Every case builds the same NumPy array into a torch tensor and an engine
tensor and compares the two reprs; the expected text always comes from torch
itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_engine as engine
from reference_engine import _printing

F32, F64, F16 = np.float32, np.float64, np.float16
NAN, INF = math.nan, math.inf


def pair(arr: Any, dtype: Any = None, requires_grad: bool = False) -> tuple[Any, torch.Tensor]:
    """The same data as (engine tensor, torch tensor)."""
    a = np.array(arr, dtype=dtype)
    e, t = engine.from_numpy(a.copy()), torch.from_numpy(a.copy())
    if requires_grad:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def assert_same_repr(e: Any, t: torch.Tensor) -> None:
    expected = repr(t)
    assert repr(e) == expected
    assert str(e) == str(t)


@pytest.fixture
def both_printoptions() -> Iterator[Callable[..., None]]:
    """Set print options in torch and the engine alike; restore both afterwards."""
    torch_old = torch._tensor_str.get_printoptions()
    engine_old = _printing.get_printoptions()

    def setter(**kwargs: Any) -> None:
        torch.set_printoptions(**kwargs)
        _printing.set_printoptions(**kwargs)

    yield setter
    torch.set_printoptions(**torch_old)
    _printing.set_printoptions(**engine_old)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------- the value table
VALUE_CASES: dict[str, tuple[Any, Any]] = {
    # the seed document's REPL outputs
    "seed_grad": ([2.0, 2.0, 2.0], F32),
    "seed_zero_dim": (0.0, F32),
    "seed_int": ([1, 2, 3], np.int64),
    # integer mode, fixed mode, precision 4
    "int_mode": ([1.0, 2.0], F32),
    "int_mode_negative": ([-3.0, 10.0, 250.0], F32),
    "fixed": ([0.5, 1.25, -3.125], F32),
    "fixed_rounding": ([0.123456, 1.99999, 2.00005], F64),
    "fixed_float32_digits": ([0.1, 0.2, 0.3], F32),
    "width_padding": ([1.5, -100.25, 7.0], F32),
    # scientific-notation thresholds: ratio > 1000, max > 1e8, min < 1e-4
    "ratio_1000_exact": ([1.0, 1000.0], F64),
    "ratio_above_1000": ([1.0, 1000.5], F64),
    "ratio_above_1000_int": ([1.0, 1001.0], F64),
    "max_1e8_exact": ([1.0e8, 1.0e8 - 1], F64),
    "max_above_1e8": ([1.00000001e8, 1.0e8], F64),
    "min_1e-4_exact": ([1.0e-4, 2.0e-4], F64),
    "min_below_1e-4": ([9.9e-5, 1.0e-4], F64),
    "min_1e-4_float32": ([1.0e-4, 2.0e-4], F32),
    "sci_mixed_signs": ([-1.0e-7, 3.0e5, 0.0], F32),
    "sci_huge": ([1.0e30, -2.5e-30], F64),
    # non-finite values and zeros
    "nan_inf": ([NAN, INF, -INF, 1.5], F32),
    "nan_inf_int_mode": ([NAN, INF, -INF, 2.0], F32),
    "nan_inf_sci": ([NAN, INF, 1.0e-9, 1.0], F32),
    "all_nan": ([NAN, NAN], F32),
    "only_inf": ([INF, -INF], F64),
    "zeros": ([0.0, 0.0, 0.0], F32),
    "negative_zero": ([-0.0, 0.0], F32),
    "negative_zero_fixed": ([-0.0, 0.5], F32),
    "negative_zero_sci": ([-0.0, 1.0e-6], F32),
    # other dtypes
    "bool": ([True, False, True], np.bool_),
    "int8": ([-128, 0, 127], np.int8),
    "uint8": ([0, 255, 7], np.uint8),
    "int16": ([-5, 300], np.int16),
    "int32": ([1, -22, 333], np.int32),
    "int64_wide": ([1, -1000000000000, 5], np.int64),
    "float64": ([0.5, 1.0], F64),
    "float64_int": ([1.0, 2.0], F64),
    "float16": ([0.1, 1.5, -2.0], F16),
    "float16_int": ([1.0, 2048.0], F16),
    "float16_big": ([65504.0, 1.0], F16),
    "float16_tiny": ([6.0e-8, 1.0], F16),
    "float16_nan": ([NAN, 0.5], F16),
    "complex64": ([1 + 2j, -0.5 - 1.5j, 3j], np.complex64),
    "complex128_int": ([1 + 1j, 2 - 3j], np.complex128),
    "complex_neg_zero_imag": ([complex(1.0, -0.0), 2 + 0.5j], np.complex64),
    "complex_sci": ([1e-6 + 1e5j, 1 + 1j], np.complex128),
    # 0-dim
    "zero_dim_int_mode": (2.0, F32),
    "zero_dim_fixed": (0.5, F32),
    "zero_dim_neg_zero": (-0.0, F32),
    "zero_dim_nan": (NAN, F32),
    "zero_dim_inf": (-INF, F64),
    "zero_dim_sci": (1.0e10, F32),
    "zero_dim_tiny": (1.0e-10, F64),
    "zero_dim_float64": (0.25, F64),
    "zero_dim_float16": (0.25, F16),
    "zero_dim_int64": (7, np.int64),
    "zero_dim_int32": (7, np.int32),
    "zero_dim_bool": (True, np.bool_),
    "zero_dim_complex": (1 - 2j, np.complex64),
    # empty
    "empty": ([], F32),
    "empty_rows": (np.zeros((0, 3)), F32),
    "empty_middle": (np.zeros((2, 0, 4)), F32),
    "empty_int64": ([], np.int64),
    "empty_int64_2d": (np.zeros((3, 0)), np.int64),
    "empty_bool": ([], np.bool_),
    "empty_float64": ([], F64),
    "empty_float16": (np.zeros((0, 1)), F16),
    # nesting and indentation
    "matrix": (np.arange(6).reshape(2, 3) * 0.5, F32),
    "cube": (np.arange(24).reshape(2, 3, 4), F32),
    "four_dim": (np.arange(16).reshape(2, 1, 4, 2) - 5.5, F32),
    "singleton_dims": ([[[[1.5]]]], F32),
    "int_cube": (np.arange(-12, 12).reshape(2, 3, 4), np.int64),
    "bool_matrix": (np.eye(3, dtype=bool), np.bool_),
    # line wrapping at linewidth 80
    "wrap_vector": (_rng(0).standard_normal(40), F32),
    "wrap_sci_vector": (_rng(1).standard_normal(30) * 1e6, F64),
    "wrap_int_vector": (np.arange(100) * 1234567, np.int64),
    "wrap_matrix_rows": (_rng(2).standard_normal((3, 25)), F32),
    "wrap_nested": (_rng(3).standard_normal((2, 2, 20)), F32),
    "wrap_complex": (_rng(4).standard_normal(20) + 1j * _rng(5).standard_normal(20), np.complex128),
    # summarisation above 1000 elements
    "exactly_threshold": (np.arange(1000) * 0.5, F32),
    "one_above_threshold": (np.arange(1001) * 0.5, F32),
    "big_int": (np.arange(2000), np.int64),
    "big_matrix": (_rng(6).standard_normal((50, 50)), F32),
    "big_cube": (_rng(7).standard_normal((10, 10, 20)), F64),
    "big_narrow": (_rng(8).standard_normal((400, 3)), F32),
    "big_wide": (_rng(9).standard_normal((3, 400)), F32),
    "big_hidden_outlier": (np.concatenate([np.ones(600), [1e12], np.full(600, 2.0)]), F32),
    "big_bool": (_rng(10).standard_normal(1500) > 0, np.bool_),
    "big_float16": (_rng(11).standard_normal((40, 40)), F16),
    "big_complex": (_rng(12).standard_normal(1200) + 1j, np.complex64),
}


@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_repr_matches_torch(name: str) -> None:
    data, dtype = VALUE_CASES[name]
    assert_same_repr(*pair(data, dtype))


# ---------------------------------------------------------------------- autograd suffixes
@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        ([-1.0, 0.0, 1.0], F32),
        (0.5, F32),
        ([0.5, 1.5], F64),
        ([], F32),
        (np.zeros((0, 2)), F64),
        ([1.0, 2.0], F16),
        ([[[[-0.3100, -0.3029], [-0.4663, -0.0912]]]], F32),  # the seed's Conv2d weight
        ([0.4589], F32),  # the seed's Conv2d bias
        (_rng(13).standard_normal(2000), F32),
    ],
)
def test_requires_grad_leaf(data: Any, dtype: Any) -> None:
    assert_same_repr(*pair(data, dtype, requires_grad=True))


NON_LEAF_OPS: dict[str, Callable[[Any], Any]] = {
    "mul": lambda x: x * 2,
    "add": lambda x: x + 1,
    "sum": lambda x: x.sum(),
    "seed_sum_mul": lambda x: (x * 2).sum(),
    "neg": lambda x: -x,
    "sub": lambda x: x - 0.5,
    "div": lambda x: x / 3,
}


@pytest.mark.parametrize("op", list(NON_LEAF_OPS))
@pytest.mark.parametrize("dtype", [F32, F64])
def test_non_leaf_shows_grad_fn(op: str, dtype: Any) -> None:
    e, t = pair([-1.0, 0.0, 1.0], dtype, requires_grad=True)
    fn = NON_LEAF_OPS[op]
    assert_same_repr(fn(e), fn(t))


def test_detached_and_no_grad_results_show_nothing() -> None:
    e, t = pair([1.0, 2.0], F32, requires_grad=True)
    assert_same_repr((e * 2).detach(), (t * 2).detach())
    with engine.no_grad(), torch.no_grad():
        assert_same_repr(e * 2, t * 2)


def test_suffixes_wrap_onto_new_line() -> None:
    # last line close to the linewidth: dtype= and grad_fn= move to their own lines
    for n in range(5, 12):
        e, t = pair(np.linspace(-1, 1, n), F64, requires_grad=True)
        assert_same_repr(e, t)
        assert_same_repr(e * 2, t * 2)


def test_device_suffix_for_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CUDA tensor lists device= first; the expected layout is torch's own suffix joiner."""
    e, t = pair([1.0, 2.0], F64, requires_grad=True)
    monkeypatch.setattr(type(e), "device", property(lambda self: engine.device("cuda", 0)))
    body = "tensor(" + torch._tensor_str._tensor_str(t.detach(), 7)
    suffixes = ["device='cuda:0'", "dtype=torch.float64", "requires_grad=True"]
    assert repr(e) == torch._tensor_str._add_suffixes(body, suffixes, 7, False)


def test_default_dtype_float64_changes_dtype_suffix() -> None:
    old_t, old_e = torch.get_default_dtype(), engine.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    engine.set_default_dtype(engine.float64)
    try:
        for data, dtype in [([0.5], F32), ([0.5], F64), ([1j], np.complex64), ([1j], np.complex128), ([], F32)]:
            assert_same_repr(*pair(data, dtype))
    finally:
        torch.set_default_dtype(old_t)
        engine.set_default_dtype(old_e)


# ---------------------------------------------------------------------- print options
PRINTOPTION_CASES: list[dict[str, Any]] = [
    {"precision": 2},
    {"precision": 8},
    {"precision": 0},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 200},
    {"linewidth": 10},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "default"},
    {"sci_mode": True},
    {"sci_mode": False},
    {"sci_mode": True, "precision": 2},
]

PRINTOPTION_DATA: list[tuple[Any, Any]] = [
    (np.arange(10), np.int64),
    (np.arange(10) * 0.5, F32),
    (_rng(14).standard_normal((4, 5)), F32),
    (_rng(15).standard_normal((3, 4, 5)) * 1e-6, F64),
    (_rng(16).standard_normal(1200), F32),
    (np.arange(1500).reshape(30, 50), np.int64),
    ([1.0, 1e9], F32),
    ([NAN, 0.0, 2.0], F32),
    (0.123456789, F64),
    ([], F32),
    ([1 + 1j, 0.5 - 2j], np.complex64),
]


@pytest.mark.parametrize("options", PRINTOPTION_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_printoptions(options: dict[str, Any], both_printoptions: Callable[..., None]) -> None:
    both_printoptions(**options)
    assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()
    for data, dtype in PRINTOPTION_DATA:
        assert_same_repr(*pair(data, dtype))
    e, t = pair(np.arange(12) * 0.25, F32, requires_grad=True)
    assert_same_repr(e * 2, t * 2)


def test_printoptions_context_manager_restores() -> None:
    before = _printing.get_printoptions()
    with _printing.printoptions(precision=1, threshold=3):
        with torch._tensor_str.printoptions(precision=1, threshold=3):
            assert_same_repr(*pair(np.arange(5) * 0.33, F32))
    assert _printing.get_printoptions() == before


# ---------------------------------------------------------------------- random data
MAGNITUDES = st.integers(min_value=-12, max_value=12)
SHAPES = st.sampled_from([(), (1,), (5,), (17,), (2, 3), (3, 1, 4), (2, 2, 2, 2), (40, 30), (12, 10, 10)])


@st.composite
def float_arrays(draw: st.DrawFn) -> np.ndarray:
    shape = draw(SHAPES)
    dtype = draw(st.sampled_from([F32, F64]))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = 10.0 ** draw(MAGNITUDES)
    spread = 10.0 ** rng.integers(0, draw(st.integers(0, 8)) + 1, size=shape)
    arr = rng.standard_normal(shape) * scale * spread
    if draw(st.booleans()):
        arr = np.round(arr)  # integral values exercise integer mode
    if arr.size and draw(st.booleans()):
        flat = arr.reshape(-1)
        specials = np.array([NAN, INF, -INF, 0.0, -0.0])
        picks = rng.integers(0, flat.size, size=min(3, flat.size))
        flat[picks] = rng.choice(specials, size=picks.size)
    return arr.astype(dtype)


@settings(max_examples=100, deadline=None)
@given(float_arrays())
def test_random_float_arrays(arr: np.ndarray) -> None:
    assert_same_repr(*pair(arr))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=40), st.sampled_from([np.int64, np.int32]))
def test_random_int_vectors(values: list[int], dtype: Any) -> None:
    arr = np.array(values, dtype=np.int64).astype(dtype)
    assert_same_repr(*pair(arr))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(width=16, allow_nan=True, allow_infinity=True), min_size=1, max_size=30))
def test_random_float16_vectors(values: list[float]) -> None:
    assert_same_repr(*pair(values, F16))


# ---------------------------------------------------------------------- Parameter helper
def test_parameter_repr_matches_torch_parameter() -> None:
    weight = _rng(17).standard_normal((1, 1, 2, 2)).astype(F32)
    e, _ = pair(weight, requires_grad=True)
    expected = repr(torch.nn.Parameter(torch.from_numpy(weight.copy())))
    assert _printing.parameter_repr(e) == expected


# ---------------------------------------------------------------------- views and subclasses
def test_views_print_their_own_elements() -> None:
    e, t = pair(np.arange(12).reshape(3, 4) * 0.5, F32)
    assert_same_repr(e.t(), t.t())
    assert_same_repr(e.transpose(0, 1), t.transpose(0, 1))
    strided = np.arange(24, dtype=F64).reshape(4, 6)[:, ::2]
    assert_same_repr(engine.from_numpy(strided), torch.from_numpy(strided))


def test_subclass_prints_its_class_name() -> None:
    class Mine(torch.Tensor):
        pass

    class MineEngine(engine.Tensor):
        pass

    MineEngine.__name__ = "Mine"
    arr = np.array([1.0, 2.5], dtype=F32)
    expected = repr(torch.from_numpy(arr.copy()).as_subclass(Mine))
    assert repr(MineEngine._make(arr.copy())) == expected


@pytest.mark.parametrize(
    "expr",
    ["f'{t.tensor(17.)}'", "f'{t.tensor(3)}'", "f'{t.tensor(True)}'", "f'{t.tensor(2.5, requires_grad=True)}'",
     "f'{t.tensor(1.5):.3f}'", "f'{t.tensor(7):>4}'", "f'{t.ones(2)}'", "format(t.ones(2), '.2f')"],
)  # fmt: skip
def test_format_matches_torch(expr: str) -> None:
    # a 0-d tensor formats as its Python number; any other with a spec is torch's TypeError
    def run(lib: Any) -> str:
        try:
            return eval(expr, {"t": lib})
        except TypeError as exc:
            return f"TypeError: {exc}"

    assert run(engine) == run(torch)
