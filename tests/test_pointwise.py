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
from tests.test_seed_notes import as_numpy, assert_same_error_full

Fn = Callable[..., Any]

# name -> (function of (T, *tensors), input domain (lo, hi))
UNARY: dict[str, tuple[Fn, tuple[float, float]]] = {
    "abs": (lambda T, a: T.abs(a), (-5, 5)),
    "absolute": (lambda T, a: T.absolute(a), (-5, 5)),
    "acos": (lambda T, a: T.acos(a), (-0.95, 0.95)),
    "asin": (lambda T, a: T.asin(a), (-0.95, 0.95)),
    "atan": (lambda T, a: T.atan(a), (-5, 5)),
    "ceil": (lambda T, a: T.ceil(a), (-5, 5)),
    "cos": (lambda T, a: T.cos(a), (-5, 5)),
    "cosh": (lambda T, a: T.cosh(a), (-3, 3)),
    "erf": (lambda T, a: T.erf(a), (-3, 3)),
    "exp": (lambda T, a: T.exp(a), (-5, 5)),
    "expm1": (lambda T, a: T.expm1(a), (-5, 5)),
    "fix": (lambda T, a: T.fix(a), (-5, 5)),
    "floor": (lambda T, a: T.floor(a), (-5, 5)),
    "log": (lambda T, a: T.log(a), (0.1, 5)),
    "log10": (lambda T, a: T.log10(a), (0.1, 5)),
    "log1p": (lambda T, a: T.log1p(a), (-0.9, 5)),
    "log2": (lambda T, a: T.log2(a), (0.1, 5)),
    "neg": (lambda T, a: T.neg(a), (-5, 5)),
    "negative": (lambda T, a: T.negative(a), (-5, 5)),
    "neg_dunder": (lambda T, a: -a, (-5, 5)),
    "reciprocal": (lambda T, a: T.reciprocal(a), (0.2, 5)),
    "relu": (lambda T, a: T.relu(a), (-5, 5)),
    "round": (lambda T, a: T.round(a), (-5, 5)),
    "round_decimals": (lambda T, a: T.round(a, decimals=2), (-5, 5)),
    "rsqrt": (lambda T, a: T.rsqrt(a), (0.1, 5)),
    "sgn": (lambda T, a: T.sgn(a), (-5, 5)),
    "sigmoid": (lambda T, a: T.sigmoid(a), (-10, 10)),
    "sign": (lambda T, a: T.sign(a), (-5, 5)),
    "sin": (lambda T, a: T.sin(a), (-5, 5)),
    "sinh": (lambda T, a: T.sinh(a), (-3, 3)),
    "sqrt": (lambda T, a: T.sqrt(a), (0.1, 5)),
    "square": (lambda T, a: T.square(a), (-5, 5)),
    "tan": (lambda T, a: T.tan(a), (-1.2, 1.2)),
    "tanh": (lambda T, a: T.tanh(a), (-5, 5)),
    "trunc": (lambda T, a: T.trunc(a), (-5, 5)),
    "pow_scalar": (lambda T, a: T.pow(a, 3), (-3, 3)),
    "pow_frac": (lambda T, a: a**2.5, (0.1, 3)),
    "pow_zero": (lambda T, a: a**0, (-3, 3)),
    "rpow": (lambda T, a: 2.0**a, (-3, 3)),
    "rsub_scalar": (lambda T, a: 2 - a, (-5, 5)),
    "rdiv_scalar": (lambda T, a: 2 / a, (0.2, 5)),
    "add_scalar_alpha": (lambda T, a: T.add(a, 3, alpha=2), (-5, 5)),
    "mul_scalar": (lambda T, a: a * 1.5, (-5, 5)),
    "clamp": (lambda T, a: T.clamp(a, -1, 1), (-3, 3)),
    "clamp_min": (lambda T, a: T.clamp_min(a, 0.5), (-3, 3)),
    "clamp_max": (lambda T, a: T.clamp_max(a, 0.5), (-3, 3)),
    "clip": (lambda T, a: T.clip(a, min=-0.5), (-3, 3)),
    "float_power": (lambda T, a: T.float_power(a, 2), (-3, 3)),
    "lerp_scalar": (lambda T, a: T.lerp(a, T.ones_like(a), 0.3), (-3, 3)),
}

BINARY: dict[str, tuple[Fn, tuple[float, float], tuple[float, float]]] = {
    "add": (lambda T, a, b: T.add(a, b), (-5, 5), (-5, 5)),
    "add_alpha": (lambda T, a, b: T.add(a, b, alpha=-2.5), (-5, 5), (-5, 5)),
    "sub": (lambda T, a, b: T.sub(a, b), (-5, 5), (-5, 5)),
    "sub_alpha": (lambda T, a, b: T.sub(a, b, alpha=3), (-5, 5), (-5, 5)),
    "subtract": (lambda T, a, b: T.subtract(a, b), (-5, 5), (-5, 5)),
    "rsub": (lambda T, a, b: T.rsub(a, b), (-5, 5), (-5, 5)),
    "mul": (lambda T, a, b: T.mul(a, b), (-5, 5), (-5, 5)),
    "multiply": (lambda T, a, b: T.multiply(a, b), (-5, 5), (-5, 5)),
    "div": (lambda T, a, b: T.div(a, b), (-5, 5), (0.2, 5)),
    "divide": (lambda T, a, b: T.divide(a, b), (-5, 5), (-5, -0.2)),
    "true_divide": (lambda T, a, b: T.true_divide(a, b), (-5, 5), (0.2, 5)),
    "div_floor": (lambda T, a, b: T.div(a, b, rounding_mode="floor"), (-5, 5), (0.2, 5)),
    "div_trunc": (lambda T, a, b: T.div(a, b, rounding_mode="trunc"), (-5, 5), (-5, -0.2)),
    "floor_divide": (lambda T, a, b: T.floor_divide(a, b), (-5, 5), (0.2, 5)),
    "remainder": (lambda T, a, b: T.remainder(a, b), (-5, 5), (0.2, 5)),
    "remainder_neg": (lambda T, a, b: T.remainder(a, b), (-5, 5), (-5, -0.2)),
    "fmod": (lambda T, a, b: T.fmod(a, b), (-5, 5), (0.2, 5)),
    "fmod_neg": (lambda T, a, b: T.fmod(a, b), (-5, 5), (-5, -0.2)),
    "pow": (lambda T, a, b: T.pow(a, b), (0.1, 3), (-2, 2)),
    "float_power": (lambda T, a, b: T.float_power(a, b), (0.1, 3), (-2, 2)),
    "maximum": (lambda T, a, b: T.maximum(a, b), (-2, 2), (-2, 2)),
    "minimum": (lambda T, a, b: T.minimum(a, b), (-2, 2), (-2, 2)),
    "where": (lambda T, a, b: T.where(a > 0, a, b), (-5, 5), (-5, 5)),
    "where_method": (lambda T, a, b: a.where(b > 0, b), (-5, 5), (-5, 5)),
    "clamp_tensor_min": (lambda T, a, b: T.clamp(a, min=b), (-3, 3), (-3, 3)),
    "clamp_tensor_max": (lambda T, a, b: T.clamp(a, max=b), (-3, 3), (-3, 3)),
    "clamp_tensor_both": (lambda T, a, b: T.clamp(a, b, b + 1), (-3, 3), (-3, 3)),
    "lerp": (lambda T, a, b: T.lerp(a, b, 0.25), (-3, 3), (-3, 3)),
    "lerp_tensor_weight": (lambda T, a, b: T.lerp(a, b * 2, b), (-3, 3), (-3, 3)),
    "addcmul": (lambda T, a, b: T.addcmul(a, a, b, value=0.5), (-3, 3), (-3, 3)),
    "addcdiv": (lambda T, a, b: T.addcdiv(a, a, b, value=2), (-3, 3), (0.2, 3)),
}

# outputs without grads: only the forward is compared
NO_GRAD_BINARY: dict[str, Fn] = {
    "eq": lambda T, a, b: T.eq(a, b),
    "ne": lambda T, a, b: T.ne(a, b),
    "lt": lambda T, a, b: T.lt(a, b),
    "le": lambda T, a, b: T.le(a, b),
    "gt": lambda T, a, b: T.gt(a, b),
    "ge": lambda T, a, b: T.ge(a, b),
    "greater": lambda T, a, b: T.greater(a, b),
    "greater_equal": lambda T, a, b: T.greater_equal(a, b),
    "less": lambda T, a, b: T.less(a, b),
    "less_equal": lambda T, a, b: T.less_equal(a, b),
    "not_equal": lambda T, a, b: T.not_equal(a, b),
    "logical_and": lambda T, a, b: T.logical_and(a, b),
    "logical_or": lambda T, a, b: T.logical_or(a, b),
    "logical_xor": lambda T, a, b: T.logical_xor(a, b),
    "isclose": lambda T, a, b: T.isclose(a, b),
    "logical_not": lambda T, a, b: T.logical_not(a),
    "isnan": lambda T, a, b: T.isnan(a / b),
    "isinf": lambda T, a, b: T.isinf(a / b),
    "isfinite": lambda T, a, b: T.isfinite(a / b),
}

# ops whose grad is zero almost everywhere: finite differences say nothing useful at discontinuities
PIECEWISE_CONSTANT = {
    "ceil", "fix", "floor", "round", "round_decimals", "sgn", "sign", "trunc", "div_floor", "div_trunc",
}  # fmt: skip
NO_DERIVATIVE = {"floor_divide"}  # torch records NotImplemented: backward raises


def _elements(lo: float, hi: float) -> st.SearchStrategy:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def _run(T: Any, fn: Fn, arrays: list[np.ndarray], seed: np.ndarray | None) -> dict:
    """Forward, then backward with ``seed``; everything observable as NumPy/str."""
    ins = [T.tensor(a, dtype=T.float64, requires_grad=True) for a in arrays]
    out = fn(T, *ins)
    res = {"value": as_numpy(out), "dtype": str(out.dtype), "requires_grad": out.requires_grad}
    res["grad_fn"] = type(out.grad_fn).__name__ if out.grad_fn is not None else None
    if seed is not None and out.requires_grad:
        try:
            out.backward(T.tensor(seed.reshape(out.shape), dtype=out.dtype))
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


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_unary_matches_torch(name: str, data: st.DataObject) -> None:
    fn, (lo, hi) = UNARY[name]
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    a = data.draw(hnp.arrays(np.float64, shape, elements=_elements(lo, hi)))
    seed = _seed_for(data.draw, shape)
    _compare_runs(_run(engine, fn, [a], seed), _run(torch, fn, [a], seed))


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_binary_matches_torch(name: str, data: st.DataObject) -> None:
    fn, dom_a, dom_b = BINARY[name]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=_elements(*dom_a)))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=_elements(*dom_b)))
    seed = _seed_for(data.draw, shapes.result_shape)
    _compare_runs(_run(engine, fn, [a, b], seed), _run(torch, fn, [a, b], seed))


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
    _compare_runs(_run(engine, fn, [a, b], None), _run(torch, fn, [a, b], None))


# --------------------------------------------------------------------------- finite differences
def _fd_grads(fn: Fn, arrays: list[np.ndarray], seed: np.ndarray, h: float = 1e-6) -> list[np.ndarray]:
    """Central differences of sum(fn(x) * seed), computed with the engine's forward only."""

    def f(vals: list[np.ndarray]) -> float:
        with engine.no_grad():
            out = fn(engine, *[engine.tensor(v, dtype=engine.float64) for v in vals])
        return float((as_numpy(out) * seed).sum())

    grads = []
    for k, arr in enumerate(arrays):
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            plus = [v.copy() for v in arrays]
            minus = [v.copy() for v in arrays]
            plus[k][idx] += h
            minus[k][idx] -= h
            g[idx] = (f(plus) - f(minus)) / (2 * h)
        grads.append(g)
    return grads


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
    got = _run(engine, fn, [a], seed)["grads"]
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
    got = _run(engine, fn, [a, b], seed)["grads"]
    for g, w in zip(got, _fd_grads(fn, [a, b], seed), strict=True):
        diff = compare_arrays(g, w, tolerance=_FD_TOL)
        assert diff.ok, diff.describe()


@pytest.mark.parametrize("name", sorted(PIECEWISE_CONSTANT & (set(UNARY) | set(BINARY))))
def test_piecewise_constant_grads_are_zero(name: str) -> None:
    fn = UNARY[name][0] if name in UNARY else BINARY[name][0]
    arrays = [np.array([[-1.7, 0.3, 2.2]]), np.array([1.3, 0.7, 2.9])][: 1 if name in UNARY else 2]
    grads = _run(engine, fn, arrays, np.ones((1, 3)))["grads"]
    for g in grads:
        assert np.all(g == 0)


# --------------------------------------------------------------------------- subgradients at kinks
KINKS: dict[str, tuple[Fn, list[list[float]]]] = {
    "relu_at_0": (lambda T, a: T.relu(a), [[-1.0, 0.0, 1.0]]),
    "abs_at_0": (lambda T, a: T.abs(a), [[-1.0, 0.0, 1.0]]),
    "clamp_at_bounds": (lambda T, a: T.clamp(a, -1.0, 1.0), [[-1.0, 0.0, 1.0, 2.0]]),
    "clamp_min_at_bound": (lambda T, a: T.clamp(a, min=0.0), [[-1.0, 0.0, 1.0]]),
    "clamp_max_at_bound": (lambda T, a: T.clamp(a, max=0.0), [[-1.0, 0.0, 1.0]]),
    "clamp_tensor_at_bounds": (lambda T, a, b: T.clamp(a, b, b + 1), [[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]]),
    "maximum_ties": (lambda T, a, b: T.maximum(a, b), [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    "minimum_ties": (lambda T, a, b: T.minimum(a, b), [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    "pow_zero_base_tensor_exp": (lambda T, a, b: T.pow(a, b), [[0.0, 0.0, 0.0, 2.0], [0.0, 2.0, 0.5, 0.0]]),
    "pow_zero_base_scalar_exp": (lambda T, a: T.pow(a, 2), [[0.0, 1.0]]),
    "pow_zero_base_frac_exp": (lambda T, a: T.pow(a, 0.5), [[0.0, 1.0]]),
    "pow_zero_exponent": (lambda T, a: T.pow(a, 0), [[0.0, 1.0]]),
    "rpow_zero_base": (lambda T, a: 0.0**a, [[0.0, 1.0, 2.0]]),
    "sqrt_at_0": (lambda T, a: T.sqrt(a), [[0.0, 4.0]]),
    "rsqrt_at_0": (lambda T, a: T.rsqrt(a), [[0.0, 4.0]]),
    "log_at_0": (lambda T, a: T.log(a), [[0.0, 1.0]]),
    "div_by_zero": (lambda T, a, b: a / b, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]]),
    "sign_at_0": (lambda T, a: T.sign(a), [[-1.0, 0.0, 1.0]]),
    "where_nan_branch": (lambda T, a: T.where(a > 0, a.sqrt(), a * 0), [[-1.0, 4.0]]),
    "remainder_at_multiple": (lambda T, a, b: T.remainder(a, b), [[2.0, -2.0, 3.0], [1.0, 1.0, 2.0]]),
    "max_with_nan": (lambda T, a, b: T.maximum(a, b), [[float("nan"), 1.0], [1.0, float("nan")]]),
    "clamp_nan": (lambda T, a: T.clamp(a, 0.0, 1.0), [[float("nan"), 0.5]]),
}


@pytest.mark.parametrize("name", sorted(KINKS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_subgradients_match_torch(name: str, dtype: str) -> None:
    fn, values = KINKS[name]

    def run(T: Any) -> dict:
        ins = [T.tensor(v, dtype=getattr(T, dtype), requires_grad=True) for v in values]
        out = fn(T, *ins)
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


def _forward_or_error(T: Any, fn: Fn, *args: Any) -> tuple:
    try:
        out = fn(T, *args)
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
    outcomes = [_forward_or_error(T, fn, T.tensor(_INPUTS[dtype], dtype=getattr(T, dtype))) for T in (engine, torch)]
    _assert_same_outcome(*outcomes)


_BINARY_DTYPE_OPS = [
    "add", "sub", "mul", "div", "div_floor", "div_trunc", "floor_divide", "remainder", "fmod", "pow", "maximum",
    "minimum", "eq", "lt", "logical_and",
]  # fmt: skip


@pytest.mark.parametrize("dtype", sorted(_INPUTS))
@pytest.mark.parametrize("name", _BINARY_DTYPE_OPS)
def test_binary_dtypes(name: str, dtype: str) -> None:
    fn = BINARY[name][0] if name in BINARY else NO_GRAD_BINARY[name]
    b_vals = {"bool": [True, True, False]}.get(dtype, [2, 3, 5] if dtype not in ("float16", "float32") else [2.0, -0.5, 4.0])

    def run(T: Any) -> tuple:
        a = T.tensor(_INPUTS[dtype], dtype=getattr(T, dtype))
        b = T.tensor(b_vals, dtype=getattr(T, dtype))
        return _forward_or_error(T, fn, a, b)

    _assert_same_outcome(run(engine), run(torch))


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float32"])
def test_bitwise(name: str, dtype: str) -> None:
    def run(T: Any) -> tuple:
        a = T.tensor([1, 0, 6], dtype=getattr(T, dtype))
        b = T.tensor([1, 1, 3], dtype=getattr(T, dtype))
        return _forward_or_error(T, lambda T, x, y: getattr(T, name)(x, y), a, b)

    _assert_same_outcome(run(engine), run(torch))


@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_bitwise_not(dtype: str) -> None:
    outcomes = [
        _forward_or_error(T, lambda T, x: T.bitwise_not(x), T.tensor([1, 0, 6], dtype=getattr(T, dtype)))
        for T in (engine, torch)
    ]
    _assert_same_outcome(*outcomes)


def test_allclose_and_equal() -> None:
    def run(T: Any) -> tuple:
        a = T.tensor([1.0, 2.0, 3.0])
        b = a + 1e-9
        return T.allclose(a, b), T.equal(a, b), T.equal(a, a.clone()), T.equal(a, T.tensor([1.0]))

    assert run(engine) == run(torch)


@pytest.mark.parametrize(
    "case",
    ["bool_sub", "bool_neg", "int_neg_pow", "where_non_bool", "clamp_none", "add_str", "div_bad_mode"],
)
def test_pointwise_errors(case: str) -> None:
    def prog(T: Any) -> Any:
        if case == "bool_sub":
            return T.tensor([True]) - T.tensor([False])
        if case == "bool_neg":
            return -T.tensor([True])
        if case == "int_neg_pow":
            return T.tensor([2]) ** -1
        if case == "where_non_bool":
            return T.where(T.tensor([1]), T.tensor([1.0]), T.tensor([2.0]))
        if case == "clamp_none":
            return T.clamp(T.tensor([1.0]))
        if case == "add_str":
            return T.add(T.tensor([1.0]), "a")
        return T.div(T.tensor([1.0]), 2, rounding_mode="round")

    assert_same_error_full(prog)


def test_int_tensor_to_negative_int_tensor_power() -> None:
    # only a scalar negative exponent raises; a tensor one truncates like C integer division
    def run(T: Any) -> tuple:
        a = T.tensor([-2, -1, 0, 1, 2, -1, 3])
        b = T.tensor([-1, -1, -2, -3, -2, -2, 2])
        return _forward_or_error(T, lambda T, x, y: x**y, a, b)

    _assert_same_outcome(run(engine), run(torch))
