"""Every op of ``reference_engine.ops.pointwise`` against torch, plus the engine's own finite differences.

* a hypothesis test per op (float64; broadcastable shapes for binary ops):
  forward values and dtype, grad_fn name, and the grads of a backward with a
  random seed, compared with torch through ``compare_arrays``;
* a central finite-difference check of the engine's backward, at points away
  from kinks;
* explicit subgradients at kinks (relu'(0), abs'(0), clamp at its bounds,
  maximum/minimum ties, pow at a zero base, sqrt at 0) against torch;
* forward dtypes for non-float64 inputs (ints, bools, halves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import reference_engine as engine
from conformance.compare import Tolerance, compare_arrays
from tests.helpers import as_numpy, assert_same_error_full, error_signature, finite_difference, torch_release

Fn = Callable[..., Any]

# name -> (function of (lib, *tensors), input domain (lo, hi))
UNARY: dict[str, tuple[Fn, tuple[float, float]]] = {
    "abs": (lambda lib, a: lib.abs(a), (-5, 5)),
    "absolute": (lambda lib, a: lib.absolute(a), (-5, 5)),
    "acos": (lambda lib, a: lib.acos(a), (-0.95, 0.95)),
    "asin": (lambda lib, a: lib.asin(a), (-0.95, 0.95)),
    "atan": (lambda lib, a: lib.atan(a), (-5, 5)),
    "ceil": (lambda lib, a: lib.ceil(a), (-5, 5)),
    "cos": (lambda lib, a: lib.cos(a), (-5, 5)),
    "cosh": (lambda lib, a: lib.cosh(a), (-3, 3)),
    "erf": (lambda lib, a: lib.erf(a), (-3, 3)),
    "exp": (lambda lib, a: lib.exp(a), (-5, 5)),
    "expm1": (lambda lib, a: lib.expm1(a), (-5, 5)),
    "fix": (lambda lib, a: lib.fix(a), (-5, 5)),
    "floor": (lambda lib, a: lib.floor(a), (-5, 5)),
    "log": (lambda lib, a: lib.log(a), (0.1, 5)),
    "log10": (lambda lib, a: lib.log10(a), (0.1, 5)),
    "log1p": (lambda lib, a: lib.log1p(a), (-0.9, 5)),
    "log2": (lambda lib, a: lib.log2(a), (0.1, 5)),
    "neg": (lambda lib, a: lib.neg(a), (-5, 5)),
    "negative": (lambda lib, a: lib.negative(a), (-5, 5)),
    "neg_dunder": (lambda lib, a: -a, (-5, 5)),
    "reciprocal": (lambda lib, a: lib.reciprocal(a), (0.2, 5)),
    "relu": (lambda lib, a: lib.relu(a), (-5, 5)),
    "round": (lambda lib, a: lib.round(a), (-5, 5)),
    "round_decimals": (lambda lib, a: lib.round(a, decimals=2), (-5, 5)),
    "rsqrt": (lambda lib, a: lib.rsqrt(a), (0.1, 5)),
    "sgn": (lambda lib, a: lib.sgn(a), (-5, 5)),
    "sigmoid": (lambda lib, a: lib.sigmoid(a), (-10, 10)),
    "sign": (lambda lib, a: lib.sign(a), (-5, 5)),
    "sin": (lambda lib, a: lib.sin(a), (-5, 5)),
    "sinh": (lambda lib, a: lib.sinh(a), (-3, 3)),
    "sqrt": (lambda lib, a: lib.sqrt(a), (0.1, 5)),
    "square": (lambda lib, a: lib.square(a), (-5, 5)),
    "tan": (lambda lib, a: lib.tan(a), (-1.2, 1.2)),
    "tanh": (lambda lib, a: lib.tanh(a), (-5, 5)),
    "trunc": (lambda lib, a: lib.trunc(a), (-5, 5)),
    "pow_scalar": (lambda lib, a: lib.pow(a, 3), (-3, 3)),
    "pow_frac": (lambda lib, a: a**2.5, (0.1, 3)),
    "pow_zero": (lambda lib, a: a**0, (-3, 3)),
    "rpow": (lambda lib, a: 2.0**a, (-3, 3)),
    "rsub_scalar": (lambda lib, a: 2 - a, (-5, 5)),
    "rdiv_scalar": (lambda lib, a: 2 / a, (0.2, 5)),
    "add_scalar_alpha": (lambda lib, a: lib.add(a, 3, alpha=2), (-5, 5)),
    "mul_scalar": (lambda lib, a: a * 1.5, (-5, 5)),
    # 0.1 is inexact in float32: the saved scalar must keep float64 precision for a float64 input
    "mul_scalar_inexact": (lambda lib, a: a * 0.1, (-5, 5)),
    "div_scalar_inexact": (lambda lib, a: a / 0.1, (-5, 5)),
    "clamp": (lambda lib, a: lib.clamp(a, -1, 1), (-3, 3)),
    "clamp_min": (lambda lib, a: lib.clamp_min(a, 0.5), (-3, 3)),
    "clamp_max": (lambda lib, a: lib.clamp_max(a, 0.5), (-3, 3)),
    "clip": (lambda lib, a: lib.clip(a, min=-0.5), (-3, 3)),
    "float_power": (lambda lib, a: lib.float_power(a, 2), (-3, 3)),
    "lerp_scalar": (lambda lib, a: lib.lerp(a, lib.ones_like(a), 0.3), (-3, 3)),
}

BINARY: dict[str, tuple[Fn, tuple[float, float], tuple[float, float]]] = {
    "add": (lambda lib, a, b: lib.add(a, b), (-5, 5), (-5, 5)),
    "add_alpha": (lambda lib, a, b: lib.add(a, b, alpha=-2.5), (-5, 5), (-5, 5)),
    "sub": (lambda lib, a, b: lib.sub(a, b), (-5, 5), (-5, 5)),
    "sub_alpha": (lambda lib, a, b: lib.sub(a, b, alpha=3), (-5, 5), (-5, 5)),
    "subtract": (lambda lib, a, b: lib.subtract(a, b), (-5, 5), (-5, 5)),
    "rsub": (lambda lib, a, b: lib.rsub(a, b), (-5, 5), (-5, 5)),
    "mul": (lambda lib, a, b: lib.mul(a, b), (-5, 5), (-5, 5)),
    "multiply": (lambda lib, a, b: lib.multiply(a, b), (-5, 5), (-5, 5)),
    "div": (lambda lib, a, b: lib.div(a, b), (-5, 5), (0.2, 5)),
    "divide": (lambda lib, a, b: lib.divide(a, b), (-5, 5), (-5, -0.2)),
    "true_divide": (lambda lib, a, b: lib.true_divide(a, b), (-5, 5), (0.2, 5)),
    "div_floor": (lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), (-5, 5), (0.2, 5)),
    "div_trunc": (lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), (-5, 5), (-5, -0.2)),
    "floor_divide": (lambda lib, a, b: lib.floor_divide(a, b), (-5, 5), (0.2, 5)),
    "remainder": (lambda lib, a, b: lib.remainder(a, b), (-5, 5), (0.2, 5)),
    "remainder_neg": (lambda lib, a, b: lib.remainder(a, b), (-5, 5), (-5, -0.2)),
    "fmod": (lambda lib, a, b: lib.fmod(a, b), (-5, 5), (0.2, 5)),
    "fmod_neg": (lambda lib, a, b: lib.fmod(a, b), (-5, 5), (-5, -0.2)),
    "pow": (lambda lib, a, b: lib.pow(a, b), (0.1, 3), (-2, 2)),
    "float_power": (lambda lib, a, b: lib.float_power(a, b), (0.1, 3), (-2, 2)),
    "maximum": (lambda lib, a, b: lib.maximum(a, b), (-2, 2), (-2, 2)),
    "minimum": (lambda lib, a, b: lib.minimum(a, b), (-2, 2), (-2, 2)),
    "where": (lambda lib, a, b: lib.where(a > 0, a, b), (-5, 5), (-5, 5)),
    "where_method": (lambda lib, a, b: a.where(b > 0, b), (-5, 5), (-5, 5)),
    "clamp_tensor_min": (lambda lib, a, b: lib.clamp(a, min=b), (-3, 3), (-3, 3)),
    "clamp_tensor_max": (lambda lib, a, b: lib.clamp(a, max=b), (-3, 3), (-3, 3)),
    "clamp_tensor_both": (lambda lib, a, b: lib.clamp(a, b, b + 1), (-3, 3), (-3, 3)),
    "lerp": (lambda lib, a, b: lib.lerp(a, b, 0.25), (-3, 3), (-3, 3)),
    "lerp_tensor_weight": (lambda lib, a, b: lib.lerp(a, b * 2, b), (-3, 3), (-3, 3)),
    "addcmul": (lambda lib, a, b: lib.addcmul(a, a, b, value=0.5), (-3, 3), (-3, 3)),
    "addcdiv": (lambda lib, a, b: lib.addcdiv(a, a, b, value=2), (-3, 3), (0.2, 3)),
}

# outputs without grads: only the forward is compared
NO_GRAD_BINARY: dict[str, Fn] = {
    "eq": lambda lib, a, b: lib.eq(a, b),
    "ne": lambda lib, a, b: lib.ne(a, b),
    "lt": lambda lib, a, b: lib.lt(a, b),
    "le": lambda lib, a, b: lib.le(a, b),
    "gt": lambda lib, a, b: lib.gt(a, b),
    "ge": lambda lib, a, b: lib.ge(a, b),
    "greater": lambda lib, a, b: lib.greater(a, b),
    "greater_equal": lambda lib, a, b: lib.greater_equal(a, b),
    "less": lambda lib, a, b: lib.less(a, b),
    "less_equal": lambda lib, a, b: lib.less_equal(a, b),
    "not_equal": lambda lib, a, b: lib.not_equal(a, b),
    "logical_and": lambda lib, a, b: lib.logical_and(a, b),
    "logical_or": lambda lib, a, b: lib.logical_or(a, b),
    "logical_xor": lambda lib, a, b: lib.logical_xor(a, b),
    "isclose": lambda lib, a, b: lib.isclose(a, b),
    "logical_not": lambda lib, a, b: lib.logical_not(a),
    "isnan": lambda lib, a, b: lib.isnan(a / b),
    "isinf": lambda lib, a, b: lib.isinf(a / b),
    "isfinite": lambda lib, a, b: lib.isfinite(a / b),
}

# ops whose grad is zero almost everywhere: finite differences say nothing useful at discontinuities
PIECEWISE_CONSTANT = {
    "ceil", "fix", "floor", "round", "round_decimals", "sgn", "sign", "trunc", "div_floor", "div_trunc",
}  # fmt: skip
NO_DERIVATIVE = {"floor_divide"}  # torch records NotImplemented: backward raises


# the same function under another name: checked by test_aliases, kept out of the slower hypothesis tests
ALIASES = {
    "absolute": "abs", "negative": "neg", "fix": "trunc", "clip": "clamp_min", "multiply": "mul",
    "subtract": "sub", "divide": "div", "true_divide": "div",
}  # fmt: skip


def _elements(lo: float, hi: float) -> st.SearchStrategy:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def _forward_backward(lib: Any, fn: Fn, arrays: list[np.ndarray], seed: np.ndarray | None) -> dict:
    """Forward, then backward with ``seed``; everything observable as NumPy/str."""
    ins = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    out = fn(lib, *ins)
    res = {"value": as_numpy(out), "dtype": str(out.dtype), "requires_grad": out.requires_grad}
    res["grad_fn"] = type(out.grad_fn).__name__ if out.grad_fn is not None else None
    if seed is not None and out.requires_grad:
        try:
            out.backward(lib.tensor(seed.reshape(out.shape), dtype=out.dtype))
        except RuntimeError as exc:  # ops without a derivative (floor_divide): the error is compared
            res["backward_error"] = str(exc)
            return res
        res["grads"] = [None if t.grad is None else as_numpy(t.grad) for t in ins]
    return res


def _compare_runs(got: dict, want: dict) -> None:
    for key in ("dtype", "requires_grad", "grad_fn"):
        assert got[key] == want[key], key
    diff = compare_arrays(got["value"], want["value"])
    assert diff.ok, "forward: " + diff.describe()
    assert got.get("backward_error") == want.get("backward_error")
    assert ("grads" in got) == ("grads" in want)
    for i, (g, w) in enumerate(zip(got.get("grads", []), want.get("grads", []), strict=True)):
        assert (g is None) == (w is None), f"grad {i}"
        if w is not None:
            diff = compare_arrays(g, w)
            assert diff.ok, f"grad {i}: " + diff.describe()


def _seed_for(draw: Any, shape: tuple) -> np.ndarray:
    return draw(hnp.arrays(np.float64, shape, elements=_elements(-2, 2)))


@pytest.mark.parametrize("name", sorted(set(UNARY) - set(ALIASES)))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_unary_matches_torch(name: str, data: st.DataObject) -> None:
    fn, (lo, hi) = UNARY[name]
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    a = data.draw(hnp.arrays(np.float64, shape, elements=_elements(lo, hi)))
    seed = _seed_for(data.draw, shape)
    _compare_runs(_forward_backward(engine, fn, [a], seed), _forward_backward(torch, fn, [a], seed))


@pytest.mark.parametrize("name", sorted(set(BINARY) - set(ALIASES)))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_binary_matches_torch(name: str, data: st.DataObject) -> None:
    fn, dom_a, dom_b = BINARY[name]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=_elements(*dom_a)))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=_elements(*dom_b)))
    seed = _seed_for(data.draw, shapes.result_shape)
    _compare_runs(_forward_backward(engine, fn, [a, b], seed), _forward_backward(torch, fn, [a, b], seed))


@pytest.mark.parametrize("name", sorted(NO_GRAD_BINARY))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_comparison_matches_torch(name: str, data: st.DataObject) -> None:
    fn = NO_GRAD_BINARY[name]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    # small integers as floats: ties and zeros are common, so == and isnan(0/0) get exercised
    ints = st.integers(-2, 2).map(float)
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=ints))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=ints))
    _compare_runs(_forward_backward(engine, fn, [a, b], None), _forward_backward(torch, fn, [a, b], None))


# --------------------------------------------------------------------------- finite differences
def _fd_grads(fn: Fn, arrays: list[np.ndarray], seed: np.ndarray, h: float = 1e-6) -> list[np.ndarray]:
    """Central differences of sum(fn(x) * seed), computed with the engine's forward only."""

    def f(vals: list[np.ndarray]) -> float:
        with engine.no_grad():
            out = fn(engine, *[engine.tensor(v, dtype=engine.float64) for v in vals])
        return float((as_numpy(out) * seed).sum())

    return finite_difference(f, arrays, h)


def _away_from_kinks(rng: np.random.Generator, shape: tuple, lo: float, hi: float) -> np.ndarray:
    # kinks and jumps of these ops sit at integers and at 0.5 steps (clamp bounds, round): avoid them
    x = rng.uniform(lo, hi, size=shape)
    frac = x * 2 - np.round(x * 2)
    return np.where(np.abs(frac) < 0.05, x + 0.11, x).clip(lo, hi)


_FD_TOL = Tolerance(rtol=1e-5, atol=1e-6, reason="central differences, h=1e-6, float64")


@pytest.mark.parametrize("name", sorted(set(UNARY) - PIECEWISE_CONSTANT))
def test_unary_finite_differences(name: str) -> None:
    fn, (lo, hi) = UNARY[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    a = _away_from_kinks(rng, (2, 3), lo, hi)
    seed = rng.normal(size=(2, 3))
    got = _forward_backward(engine, fn, [a], seed)["grads"]
    for g, w in zip(got, _fd_grads(fn, [a], seed), strict=True):
        diff = compare_arrays(g, w, tolerance=_FD_TOL)
        assert diff.ok, diff.describe()


@pytest.mark.parametrize("name", sorted(set(BINARY) - PIECEWISE_CONSTANT - NO_DERIVATIVE))
def test_binary_finite_differences(name: str) -> None:
    fn, dom_a, dom_b = BINARY[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    a = _away_from_kinks(rng, (2, 3), *dom_a)
    b = _away_from_kinks(rng, (3,), *dom_b)
    if name in ("maximum", "minimum", "clamp_tensor_min", "clamp_tensor_max", "clamp_tensor_both"):
        b = b + 0.03  # no ties between a and b
    seed = rng.normal(size=(2, 3))
    got = _forward_backward(engine, fn, [a, b], seed)["grads"]
    for g, w in zip(got, _fd_grads(fn, [a, b], seed), strict=True):
        diff = compare_arrays(g, w, tolerance=_FD_TOL)
        assert diff.ok, diff.describe()


@pytest.mark.parametrize("name", sorted(PIECEWISE_CONSTANT & (set(UNARY) | set(BINARY))))
def test_piecewise_constant_grads_are_zero(name: str) -> None:
    fn = UNARY[name][0] if name in UNARY else BINARY[name][0]
    arrays = [np.array([[-1.7, 0.3, 2.2]]), np.array([1.3, 0.7, 2.9])][: 1 if name in UNARY else 2]
    grads = _forward_backward(engine, fn, arrays, np.ones((1, 3)))["grads"]
    for g in grads:
        assert np.all(g == 0)


# --------------------------------------------------------------------------- subgradients at kinks
KINKS: dict[str, tuple[Fn, list[list[float]]]] = {
    "relu_at_0": (lambda lib, a: lib.relu(a), [[-1.0, 0.0, 1.0]]),
    "abs_at_0": (lambda lib, a: lib.abs(a), [[-1.0, 0.0, 1.0]]),
    "clamp_at_bounds": (lambda lib, a: lib.clamp(a, -1.0, 1.0), [[-1.0, 0.0, 1.0, 2.0]]),
    "clamp_min_at_bound": (lambda lib, a: lib.clamp(a, min=0.0), [[-1.0, 0.0, 1.0]]),
    "clamp_max_at_bound": (lambda lib, a: lib.clamp(a, max=0.0), [[-1.0, 0.0, 1.0]]),
    "clamp_tensor_at_bounds": (lambda lib, a, b: lib.clamp(a, b, b + 1), [[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]]),
    "maximum_ties": (lambda lib, a, b: lib.maximum(a, b), [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    "minimum_ties": (lambda lib, a, b: lib.minimum(a, b), [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    "pow_zero_base_tensor_exp": (lambda lib, a, b: lib.pow(a, b), [[0.0, 0.0, 0.0, 2.0], [0.0, 2.0, 0.5, 0.0]]),
    "pow_zero_base_scalar_exp": (lambda lib, a: lib.pow(a, 2), [[0.0, 1.0]]),
    "pow_zero_base_frac_exp": (lambda lib, a: lib.pow(a, 0.5), [[0.0, 1.0]]),
    "pow_zero_exponent": (lambda lib, a: lib.pow(a, 0), [[0.0, 1.0]]),
    "rpow_zero_base": (lambda lib, a: 0.0**a, [[0.0, 1.0, 2.0]]),
    "sqrt_at_0": (lambda lib, a: lib.sqrt(a), [[0.0, 4.0]]),
    "rsqrt_at_0": (lambda lib, a: lib.rsqrt(a), [[0.0, 4.0]]),
    "log_at_0": (lambda lib, a: lib.log(a), [[0.0, 1.0]]),
    "div_by_zero": (lambda lib, a, b: a / b, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]]),
    "sign_at_0": (lambda lib, a: lib.sign(a), [[-1.0, 0.0, 1.0]]),
    "where_nan_branch": (lambda lib, a: lib.where(a > 0, a.sqrt(), a * 0), [[-1.0, 4.0]]),
    "remainder_at_multiple": (lambda lib, a, b: lib.remainder(a, b), [[2.0, -2.0, 3.0], [1.0, 1.0, 2.0]]),
    "max_with_nan": (lambda lib, a, b: lib.maximum(a, b), [[float("nan"), 1.0], [1.0, float("nan")]]),
    "clamp_nan": (lambda lib, a: lib.clamp(a, 0.0, 1.0), [[float("nan"), 0.5]]),
}


@pytest.mark.parametrize("name", sorted(KINKS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_subgradients_match_torch(name: str, dtype: str) -> None:
    fn, values = KINKS[name]

    def run(lib: Any) -> dict:
        ins = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for v in values]
        out = fn(lib, *ins)
        out.sum().backward()
        return {
            "value": as_numpy(out), "dtype": str(out.dtype), "requires_grad": True,
            "grad_fn": type(out.grad_fn).__name__, "grads": [as_numpy(t.grad) for t in ins],
        }  # fmt: skip

    _compare_runs(run(engine), run(torch))


# --------------------------------------------------------------------------- dtypes beyond float64
_INPUTS = {
    "bool": [True, False, True],
    "uint8": [0, 3, 200],
    "int32": [-3, 0, 7],
    "int64": [-3, 0, 7],
    "float16": [-1.5, 0.0, 2.25],
    "float32": [-1.5, 0.0, 2.25],
}
_UNARY_DTYPE_OPS = [
    "abs", "ceil", "cos", "exp", "floor", "log1p", "neg", "reciprocal", "relu", "round", "rsqrt", "sigmoid",
    "sign", "sin", "sqrt", "square", "tanh", "trunc", "erf", "expm1",
]  # fmt: skip


def _forward_or_error(lib: Any, fn: Fn, *args: Any) -> tuple:
    try:
        out = fn(lib, *args)
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return ("error", type(exc).__name__, str(exc))
    return ("ok", str(out.dtype), as_numpy(out))


def _assert_same_outcome(got: tuple, want: tuple) -> None:
    assert got[:2] == want[:2], (got, want)
    if want[0] == "error":
        assert got[2] == want[2]
    else:
        diff = compare_arrays(got[2], want[2])
        assert diff.ok, diff.describe()


@pytest.mark.parametrize("dtype", sorted(_INPUTS))
@pytest.mark.parametrize("name", _UNARY_DTYPE_OPS)
def test_unary_dtypes(name: str, dtype: str) -> None:
    fn = UNARY[name][0]
    outcomes = [
        _forward_or_error(lib, fn, lib.tensor(_INPUTS[dtype], dtype=getattr(lib, dtype))) for lib in (engine, torch)
    ]
    _assert_same_outcome(*outcomes)


_BINARY_DTYPE_OPS = [
    "add", "sub", "mul", "div", "div_floor", "div_trunc", "floor_divide", "remainder", "fmod", "pow", "maximum",
    "minimum", "eq", "lt", "logical_and",
]  # fmt: skip


@pytest.mark.parametrize("dtype", sorted(_INPUTS))
@pytest.mark.parametrize("name", _BINARY_DTYPE_OPS)
def test_binary_dtypes(name: str, dtype: str) -> None:
    fn = BINARY[name][0] if name in BINARY else NO_GRAD_BINARY[name]
    b_vals = {"bool": [True, True, False]}.get(
        dtype, [2, 3, 5] if dtype not in ("float16", "float32") else [2.0, -0.5, 4.0]
    )

    def run(lib: Any) -> tuple:
        a = lib.tensor(_INPUTS[dtype], dtype=getattr(lib, dtype))
        b = lib.tensor(b_vals, dtype=getattr(lib, dtype))
        return _forward_or_error(lib, fn, a, b)

    _assert_same_outcome(run(engine), run(torch))


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float32"])
def test_bitwise(name: str, dtype: str) -> None:
    def run(lib: Any) -> tuple:
        a = lib.tensor([1, 0, 6], dtype=getattr(lib, dtype))
        b = lib.tensor([1, 1, 3], dtype=getattr(lib, dtype))
        return _forward_or_error(lib, lambda lib, x, y: getattr(lib, name)(x, y), a, b)

    _assert_same_outcome(run(engine), run(torch))


@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_bitwise_not(dtype: str) -> None:
    outcomes = [
        _forward_or_error(lib, lambda lib, x: lib.bitwise_not(x), lib.tensor([1, 0, 6], dtype=getattr(lib, dtype)))
        for lib in (engine, torch)
    ]
    _assert_same_outcome(*outcomes)


def test_allclose_and_equal() -> None:
    def run(lib: Any) -> tuple:
        a = lib.tensor([1.0, 2.0, 3.0])
        b = a + 1e-9
        return lib.allclose(a, b), lib.equal(a, b), lib.equal(a, a.clone()), lib.equal(a, lib.tensor([1.0]))

    assert run(engine) == run(torch)


@pytest.mark.parametrize(
    "case",
    ["bool_sub", "bool_neg", "int_neg_pow", "where_non_bool", "clamp_none", "add_str", "div_bad_mode"],
)
def test_pointwise_errors(case: str) -> None:
    def prog(lib: Any) -> Any:
        if case == "bool_sub":
            return lib.tensor([True]) - lib.tensor([False])
        if case == "bool_neg":
            return -lib.tensor([True])
        if case == "int_neg_pow":
            return lib.tensor([2]) ** -1
        if case == "where_non_bool":
            return lib.where(lib.tensor([1]), lib.tensor([1.0]), lib.tensor([2.0]))
        if case == "clamp_none":
            return lib.clamp(lib.tensor([1.0]))
        if case == "add_str":
            return lib.add(lib.tensor([1.0]), "a")
        return lib.div(lib.tensor([1.0]), 2, rounding_mode="round")

    assert_same_error_full(prog)


def test_int_tensor_to_negative_int_tensor_power() -> None:
    # only a scalar negative exponent raises; a tensor one truncates like C integer division
    def run(lib: Any) -> tuple:
        a = lib.tensor([-2, -1, 0, 1, 2, -1, 3])
        b = lib.tensor([-1, -1, -2, -3, -2, -2, 2])
        return _forward_or_error(lib, lambda lib, x, y: x**y, a, b)

    _assert_same_outcome(run(engine), run(torch))


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_aliases(name: str) -> None:
    # an alias gives what torch's alias gives (values, dtype, grad_fn, grads) on one fixed input
    if name in UNARY:
        fn, (lo, hi) = UNARY[name]
        arrays = [np.linspace(lo, hi, 7).reshape(1, 7)]
    else:
        fn, dom_a, dom_b = BINARY[name]
        arrays = [np.linspace(*dom_a, 7).reshape(1, 7), np.linspace(*dom_b, 7)]
    seed = np.linspace(-1, 1, 7).reshape(1, 7)
    _compare_runs(_forward_backward(engine, fn, arrays, seed), _forward_backward(torch, fn, arrays, seed))


# relu of a bool tensor, recorded from torch 2.13.0 (RuntimeError) and torch 2.14.1 (NotImplementedError);
# the message is the same in both
@pytest.mark.parametrize(
    "call",
    [lambda m, b: m.relu(b), lambda m, b: m.nn.functional.relu(b), lambda m, b: b.relu(), lambda m, b: b.relu_(),
     lambda m, b: m.nn.functional.relu(b, inplace=True)],
    ids=["relu", "F.relu", "Tensor.relu", "relu_", "F.relu_inplace"],
)  # fmt: skip
def test_relu_of_bool_per_release(release: str, call: Callable[[Any, Any], Any]) -> None:
    got = error_signature(lambda: call(engine, engine.tensor([True, False])), must_raise=True)
    assert got == (
        {"2.13": "RuntimeError", "2.14": "NotImplementedError"}[release],
        "Boolean inputs not supported for relu",
    )
    if release == torch_release():
        assert error_signature(lambda: call(torch, torch.tensor([True, False]))) == got


def test_rdiv_is_torch_s_python_operator() -> None:
    """Tensor.__rdiv__ and __rtruediv__: one function, ``self.reciprocal() * other`` (MulBackward0), whose
    TypeError becomes NotImplemented; called through the class with a number it fails as torch's does."""
    for lib in (torch, engine):
        assert lib.Tensor.__rdiv__ is lib.Tensor.__rtruediv__
    for other in (2.0, [1.0, 2.0, 3.0]):
        for lib_args in ((torch, torch.tensor(other)), (engine, engine.tensor(other))):
            lib, x = lib_args
            x.requires_grad_()
            y = x.__rdiv__(3)
            assert type(y.grad_fn).__name__ == "MulBackward0"
    assert engine.Tensor.__rdiv__(engine.tensor([1.0]), "a") is NotImplemented
    assert torch.Tensor.__rdiv__(torch.tensor([1.0]), "a") is NotImplemented
    assert error_signature(lambda: engine.Tensor.__rdiv__(2, engine.tensor([1.0]))) == error_signature(
        lambda: torch.Tensor.__rdiv__(2, torch.tensor([1.0]))
    )
    np.testing.assert_array_equal(
        as_numpy(engine.Tensor.__rdiv__(engine.tensor([3.0, 7.0]), engine.tensor(2.0))),
        as_numpy(torch.Tensor.__rdiv__(torch.tensor([3.0, 7.0]), torch.tensor(2.0))),
    )


# sum()'s grad is an expanded 1.0, and MulBackward0 then hands a factor on without multiplying it by 1.0 where
# the grad only reaches a node that multiplies it into a new array (pointwise.reads_grad_only). The grads
# must stay torch's, special values included, and no grad a user can reach may share memory with a forward
# result (a hook that writes into its grad, autograd.grad's results).
_UNIT_GRAD_PROGRAMS: dict[str, Fn] = {
    "sin_exp_plus_square": lambda x: (x.sin() * x.exp() + x * x).sum(),
    "exp_sin": lambda x: (x.exp() * x.sin()).sum(),
    "cos_exp": lambda x: (x.cos() * x.exp()).sum(),
    "exp_exp": lambda x: (x.exp() * x.exp()).sum(),
    "sin_times_leaf": lambda x: (x.sin() * x).sum(),
    "square": lambda x: (x * x).sum(),
}
_SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 88.8, 89.0, -104.0, 3.4e38, 1.0, -1.0]


# NumPy's float32 sin/exp are not torch's to the last bit (its SLEEF kernels): an ulp of exp(x) (up to 1e-4 at
# |x| ~ 9) survives the cancellation in e * cos + s * e; a grad that shared memory with a forward result that is
# then written into would be off by a factor (2 or 3 here), far outside this
_UNIT_GRAD_TOLERANCE = {
    "float32": Tolerance(rtol=1e-5, atol=2e-3, reason="NumPy's float32 sin/exp vs torch's SLEEF"),
    "float64": None,
}


def _unit_grad_values(dtype: str) -> np.ndarray:
    rng = np.random.default_rng(11)
    return np.concatenate([rng.standard_normal(2000) * 3, _SPECIALS]).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(_UNIT_GRAD_PROGRAMS))
def test_products_under_sum_match_torch(name: str, dtype: str) -> None:
    grads = []
    for lib in (torch, engine):
        x = lib.tensor(_unit_grad_values(dtype), requires_grad=True)
        _UNIT_GRAD_PROGRAMS[name](x).backward()
        grads.append(as_numpy(x.grad))
    want, got = grads
    diff = compare_arrays(got, want, _UNIT_GRAD_TOLERANCE[dtype])
    assert diff.ok, diff.describe()
    if name == "square":  # pure arithmetic: torch's bits exactly (x + x, NaN payloads and -0 included)
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


def test_unit_grads_given_to_the_user_are_not_forward_results() -> None:
    results = []
    for lib in (torch, engine):
        x = lib.tensor(_unit_grad_values("float32"), requires_grad=True)
        s, e = x.sin(), x.exp()
        gs, ge = lib.autograd.grad((s * e).sum(), [s, e])
        with lib.no_grad():  # torch's grads are new tensors: writing into s and e leaves them as they were
            s.mul_(2)
            e.mul_(3)
        results.append((as_numpy(gs), as_numpy(ge)))
    for got, want in zip(results[1], results[0], strict=True):
        diff = compare_arrays(got, want, _UNIT_GRAD_TOLERANCE["float32"])
        assert diff.ok, diff.describe()


def test_hook_writing_into_a_unit_grad_leaves_saved_tensors_alone() -> None:
    grads = []
    for lib in (torch, engine):
        x = lib.tensor(_unit_grad_values("float32"), requires_grad=True)
        s = x.sin()
        c = s.cos()  # CosBackward0 reads s after exp's backward has run
        e = x.exp()
        e.register_hook(lambda g: g.mul_(3))  # torch hands the hook grad * s, a new tensor, not s
        ((e * s).sum() + c.sum()).backward()
        grads.append(as_numpy(x.grad))
    diff = compare_arrays(grads[1], grads[0], _UNIT_GRAD_TOLERANCE["float32"])
    assert diff.ok, diff.describe()
