"""Reductions (sum, mean, prod, var, std, max, min, amax, amin, argmax, argmin, median, logsumexp, norm, all,
any, count_nonzero, cumsum, softmax, log_softmax) against real torch.

Each op gets: a hypothesis test of forward values, dtype, grad_fn name and the
grad of a random seed gradient against torch; a central finite-difference
check of the engine's own backward at points away from ties and kinks; and
the tie and error cases where torch's behaviour is specific.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import reference_engine as engine
from conformance.compare import Tolerance
from reference_engine.ops import reduction
from tests.helpers import as_numpy, assert_close, assert_same_error_full, grad_fn_name

# --------------------------------------------------------------------------- run one program on both


def _primary(out: Any) -> Any:
    """The differentiable output: ``.values`` of a (values, indices) result."""
    return out[0] if isinstance(out, tuple) else out


@dataclass
class Run:
    out: Any
    grad: np.ndarray | None


def run(tm: Any, fn: Callable[[Any, Any], Any], x: np.ndarray, seed: np.ndarray | None, requires_grad: bool) -> Run:
    """Build a leaf from ``x`` in module ``tm``, apply ``fn`` and backpropagate ``seed`` from its output."""
    leaf = tm.tensor(x, requires_grad=requires_grad)
    out = fn(tm, leaf)
    grad = None
    if requires_grad and _primary(out).requires_grad:
        y = _primary(out)
        g = seed if seed is not None else np.ones(tuple(y.shape))
        y.backward(tm.tensor(np.asarray(g, dtype=np.float64).reshape(tuple(y.shape)), dtype=y.dtype))
        grad = as_numpy(leaf.grad)
    return Run(out, grad)


def assert_same_outputs(got: Any, want: Any) -> None:
    """Values, dtypes and grad_fn names of one output or of a (values, indices) result."""
    assert isinstance(got, tuple) == isinstance(want, tuple)
    if isinstance(want, tuple):
        assert type(got).__name__ == type(want).__name__
        pairs = [(got.values, want.values), (got.indices, want.indices)]
    else:
        pairs = [(got, want)]
    for g, w in pairs:
        assert str(g.dtype) == str(w.dtype)
        assert grad_fn_name(g) == grad_fn_name(w)
        assert_close(as_numpy(g), as_numpy(w), "forward")


def check_both(fn: Callable[[Any, Any], Any], x: np.ndarray, rng: np.random.Generator | None = None) -> None:
    """Run ``fn`` on torch and on the engine; compare outputs, and grads of a random seed when differentiable."""
    requires_grad = x.dtype.kind == "f"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degrees-of-freedom warnings are checked on their own
        want = run(torch, fn, x, None, requires_grad=False)
        seed = None
        if requires_grad and rng is not None:
            shape = tuple(_primary(want.out).shape)
            seed = rng.standard_normal(shape)
        want = run(torch, fn, x, seed, requires_grad)
        got = run(engine, fn, x, seed, requires_grad)
    assert_same_outputs(got.out, want.out)
    assert (got.grad is None) == (want.grad is None)
    if want.grad is not None:
        assert_close(got.grad, want.grad, "grad")


# --------------------------------------------------------------------------- hypothesis strategies
_ELEMENTS = st.floats(-4, 4, allow_nan=False, allow_infinity=False, width=64)
_GRID = st.integers(-32, 32).map(lambda i: i / 8)


@st.composite
def inputs(draw: Any, unique: bool = False, grid: bool = False) -> np.ndarray:
    shape = draw(array_shapes(min_dims=0, max_dims=3, max_side=4))
    return draw(arrays(np.float64, shape, elements=_GRID if grid else _ELEMENTS, unique=unique))


def _int_dim(draw: Any, ndim: int) -> int:
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    return draw(st.integers(lo, hi))


def _multi_dim(draw: Any, ndim: int) -> Any:
    """None, an int, or a tuple/list of distinct dims (some written negative)."""
    kind = draw(st.sampled_from(["none", "int", "seq"]))
    if kind == "none":
        return None
    if kind == "int" or ndim == 0:
        return _int_dim(draw, ndim)
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    dims = [d - ndim if draw(st.booleans()) else d for d in picked]
    return tuple(dims) if draw(st.booleans()) else dims


@dataclass(frozen=True)
class Op:
    """How to call one reduction: ``dim`` is "multi" (None/int/sequence), "int_or_none", "int" or "none"."""

    name: str
    call: Callable[[Any, Any, Any, bool], Any]
    dim: str = "multi"
    unique: bool = False  # inputs without ties (where torch leaves the winner's index unspecified)
    # values on a 1/8 grid: every sum and mean is exact, so a constant slice has exactly zero spread in both
    # libraries (with arbitrary floats, std's grad there is 0/0 decided by each library's summation order)
    grid: bool = False


OPS = [
    Op("sum", lambda tm, x, d, k: x.sum() if d is None else tm.sum(x, d, keepdim=k)),
    Op("mean", lambda tm, x, d, k: x.mean() if d is None else x.mean(d, keepdim=k)),
    Op("prod", lambda tm, x, d, k: tm.prod(x) if d is None else x.prod(d, keepdim=k), dim="int_or_none"),
    Op("var", lambda tm, x, d, k: x.var(d, keepdim=k)),
    Op("var_correction0", lambda tm, x, d, k: tm.var(x, d, keepdim=k, correction=0)),
    Op("var_unbiased_false", lambda tm, x, d, k: x.var(d, False, k)),
    Op("std", lambda tm, x, d, k: x.std(d, keepdim=k), grid=True),
    Op("std_correction0", lambda tm, x, d, k: x.std(d, correction=0, keepdim=k), grid=True),
    Op("max", lambda tm, x, d, k: x.max() if d is None else tm.max(x, d, keepdim=k), dim="int_or_none"),
    Op("min", lambda tm, x, d, k: x.min() if d is None else x.min(dim=d, keepdim=k), dim="int_or_none"),
    Op("amax", lambda tm, x, d, k: x.amax() if d is None else tm.amax(x, d, keepdim=k)),
    Op("amin", lambda tm, x, d, k: tm.amin(x) if d is None else x.amin(d, k)),
    Op("argmax", lambda tm, x, d, k: tm.argmax(x, d, keepdim=k), dim="int_or_none"),
    Op("argmin", lambda tm, x, d, k: x.argmin(d, k), dim="int_or_none"),
    Op(
        "median",
        lambda tm, x, d, k: x.median() if d is None else x.median(d, keepdim=k),
        dim="int_or_none",
        unique=True,
    ),
    Op("logsumexp", lambda tm, x, d, k: tm.logsumexp(x, tuple(range(x.dim())) or 0 if d is None else d, keepdim=k)),
    Op("all", lambda tm, x, d, k: x.all() if d is None else tm.all(x, d, keepdim=k)),
    Op("any", lambda tm, x, d, k: (x > 0).any() if d is None else (x > 0).any(d, keepdim=k)),
    Op("count_nonzero", lambda tm, x, d, k: tm.count_nonzero(x, d)),
    Op("cumsum", lambda tm, x, d, k: x.cumsum(d), dim="int"),
    Op(
        "norm",
        lambda tm, x, d, k: (
            x.norm() if d is None else x.norm(2, d, k) if isinstance(d, tuple | list) else x.norm(dim=d, keepdim=k)
        ),
    ),
    Op("norm_p1", lambda tm, x, d, k: x.norm(p=1, dim=d, keepdim=k)),
    Op("norm_p3", lambda tm, x, d, k: x.norm(3, d, k)),
    Op("norm_inf", lambda tm, x, d, k: x.norm(p=float("inf"), dim=d, keepdim=k), unique=True),
    Op("softmax", lambda tm, x, d, k: tm.softmax(x, d), dim="int"),
    Op("log_softmax", lambda tm, x, d, k: x.log_softmax(dim=d), dim="int"),
]


def _draw_dim(draw: Any, op: Op, ndim: int) -> Any:
    if op.dim == "int":
        return _int_dim(draw, ndim)
    if op.dim == "int_or_none":
        return None if draw(st.booleans()) else _int_dim(draw, ndim)
    return _multi_dim(draw, ndim)


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_matches_torch(op: Op, data: Any) -> None:
    x = data.draw(inputs(unique=op.unique, grid=op.grid))
    dim = _draw_dim(data.draw, op, x.ndim)
    keepdim = data.draw(st.booleans())
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    check_both(lambda tm, t: op.call(tm, t, dim, keepdim), x, rng)


# --------------------------------------------------------------------------- finite differences
def _spread(shape: tuple[int, ...], rng: np.random.Generator, positive: bool = False) -> np.ndarray:
    """Values with distinct absolute values at least 0.3 apart and away from 0: no ties, no kinks."""
    n = int(np.prod(shape)) if shape else 1
    mags = (rng.permutation(n) + 1) * 0.37 + rng.uniform(0, 0.05, n)
    signs = 1.0 if positive else rng.choice([-1.0, 1.0], n)
    return (mags * signs / n).reshape(shape)


FD_CASES = [
    ("sum", lambda tm, x: tm.sum(x, (0, -1), keepdim=True)),
    ("mean", lambda tm, x: x.mean(1)),
    ("prod", lambda tm, x: x.prod(1)),
    ("prod_all", lambda tm, x: x.prod()),
    ("var", lambda tm, x: x.var(0)),
    ("std", lambda tm, x: x.std((0, 2), keepdim=True)),
    ("max_dim", lambda tm, x: x.max(1).values),
    ("max_all", lambda tm, x: x.max()),
    ("min_dim", lambda tm, x: tm.min(x, -1, True)[0]),
    ("amax", lambda tm, x: x.amax((0, 1))),
    ("amin", lambda tm, x: x.amin(2)),
    ("median_all", lambda tm, x: x.median()),
    ("median_dim", lambda tm, x: x.median(1).values),
    ("logsumexp", lambda tm, x: x.logsumexp(1)),
    ("cumsum", lambda tm, x: x.cumsum(1)),
    ("norm", lambda tm, x: x.norm(dim=1)),
    ("norm_p1", lambda tm, x: x.norm(p=1)),
    ("norm_p3", lambda tm, x: x.norm(p=3, dim=(0, 2))),
    ("norm_p05", lambda tm, x: x.norm(p=0.5, dim=2)),
    ("norm_p15", lambda tm, x: x.norm(p=1.5)),
    ("norm_inf", lambda tm, x: x.norm(p=float("inf"), dim=0)),
    ("softmax", lambda tm, x: x.softmax(1)),
    ("log_softmax", lambda tm, x: x.log_softmax(-1)),
]


def _engine_loss(fn: Callable[[Any, Any], Any], x: np.ndarray, w: np.ndarray) -> float:
    with engine.no_grad():
        y = fn(engine, engine.tensor(x))
        return float((as_numpy(y) * w).sum())


@pytest.mark.parametrize("name,fn", FD_CASES, ids=[c[0] for c in FD_CASES])
def test_backward_matches_finite_differences(name: str, fn: Callable[[Any, Any], Any]) -> None:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x = _spread((2, 3, 4), rng)
    leaf = engine.tensor(x, requires_grad=True)
    y = fn(engine, leaf)
    w = rng.standard_normal(tuple(y.shape))
    y.backward(engine.tensor(w))
    eps = 1e-6
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (_engine_loss(fn, up, w) - _engine_loss(fn, down, w)) / (2 * eps)
    assert_close(
        as_numpy(leaf.grad), numeric, f"{name} grad vs finite differences", Tolerance(1e-5, 1e-6, "central FD")
    )


# --------------------------------------------------------------------------- ties
TIE_INPUTS = [
    np.array([1.0, 3.0, 3.0, 2.0, 3.0]),
    np.array([[2.0, 2.0], [2.0, 2.0]]),
    np.array([[1.0, 5.0, 5.0], [-1.0, -1.0, 0.0]]),
    np.array([[0.0, -4.0, 4.0], [4.0, 4.0, -4.0]]),
]
TIE_PROGRAMS = {
    "max_all": lambda tm, x: x.max(),
    "min_all": lambda tm, x: x.min(),
    "amax_all": lambda tm, x: x.amax(),
    "amin_dim": lambda tm, x: x.amin(-1),
    "amax_dim_keep": lambda tm, x: x.amax(0, keepdim=True),
    "max_dim": lambda tm, x: x.max(-1),
    "min_dim": lambda tm, x: x.min(0, keepdim=True),
    "argmax": lambda tm, x: x.argmax(),
    "argmin_dim": lambda tm, x: x.argmin(-1),
    "median_all": lambda tm, x: x.median(),
    "norm_inf": lambda tm, x: x.norm(p=float("inf")),
    "norm_inf_dim": lambda tm, x: x.norm(p=float("inf"), dim=-1),
}


@pytest.mark.parametrize("which", range(len(TIE_INPUTS)))
@pytest.mark.parametrize("prog", TIE_PROGRAMS, ids=list(TIE_PROGRAMS))
def test_ties_match_torch(prog: str, which: int) -> None:
    check_both(TIE_PROGRAMS[prog], TIE_INPUTS[which], np.random.default_rng(which))


def test_max_all_splits_ties_evenly() -> None:
    # evenly_distribute_backward: three winners share a grad of 1
    x = engine.tensor([1.0, 3.0, 3.0, 3.0], dtype=engine.float64, requires_grad=True)
    x.max().backward()
    assert_close(as_numpy(x.grad), np.array([0.0, 1 / 3, 1 / 3, 1 / 3]), "split")


@pytest.mark.parametrize(
    "values",
    [[1.0, float("nan"), 3.0], [float("nan"), float("nan"), 0.0], [float("inf"), 1.0, float("inf")]],
    ids=["one_nan", "two_nan", "inf"],
)
@pytest.mark.parametrize("prog", ["max_all", "max_dim", "min_dim", "amax_all", "argmax", "median_all"])
def test_nan_and_inf_match_torch(values: list[float], prog: str) -> None:
    check_both(TIE_PROGRAMS[prog], np.array(values))


# --------------------------------------------------------------------------- results, dtypes, kwargs
@pytest.mark.parametrize(
    "prog",
    [
        lambda tm: tm.tensor([1, 2, 3]).sum(),
        lambda tm: tm.tensor([True, True, False]).sum(),
        lambda tm: tm.tensor([1, 2], dtype=tm.int32).sum(0, dtype=tm.float64),
        lambda tm: tm.tensor([1.5, 2.5], requires_grad=True).sum(dtype=tm.float64),
        lambda tm: tm.tensor([1, 2]).mean(dtype=tm.float32),
        lambda tm: tm.tensor([1.0, 2.0], dtype=tm.float64, requires_grad=True).mean(0, dtype=tm.float32),
        lambda tm: tm.tensor([[1, 2], [3, 4]], dtype=tm.int16).prod(1),
        lambda tm: tm.tensor([1.0, 2.0], requires_grad=True).prod(dtype=tm.float64),
        lambda tm: tm.tensor([1, 2], dtype=tm.int32).cumsum(0),
        lambda tm: tm.tensor([True, True]).cumsum(0),
        lambda tm: tm.tensor([1.0, 2.0], requires_grad=True).cumsum(0, dtype=tm.float64),
        lambda tm: tm.tensor([[1, 0]], dtype=tm.uint8).all(1),
        lambda tm: tm.tensor([[1, 0]], dtype=tm.uint8).any(),
        lambda tm: tm.tensor([[1.0, 0.0]]).all((0, 1)),
        lambda tm: tm.tensor([1, 5, 2]).max(),
        lambda tm: tm.tensor([1, 5, 2]).amax(0),
        lambda tm: tm.tensor([1, 5, 2, 4]).median(),
        lambda tm: tm.tensor([[1.0, 3.0], [3.0, 1.0]]).argmax(keepdim=True),
        lambda tm: tm.tensor(2.0).argmax(0),
        lambda tm: tm.tensor(2.0, requires_grad=True).max(0),
        lambda tm: tm.tensor(2.0, requires_grad=True).var(0),
        lambda tm: tm.tensor([1, 2]).logsumexp(0),
        lambda tm: tm.tensor([-float("inf"), -float("inf")]).logsumexp(0),
        lambda tm: tm.tensor([[1.0, 2.0]], dtype=tm.float64).softmax(1, dtype=tm.float32),
        lambda tm: tm.tensor([1, 2]).softmax(0, dtype=tm.float64),
        lambda tm: tm.tensor([1.0, 2.0]).norm(p=0),
        lambda tm: tm.tensor([1.0, 2.0]).norm(p=-1),
        lambda tm: tm.tensor([1.0, 2.0]).norm(p=float("-inf")),
        lambda tm: tm.tensor([1.0, 2.0], dtype=tm.float32).norm(2, 0, True, dtype=tm.float64),
        lambda tm: tm.empty(0).sum(),
        lambda tm: tm.empty(0).mean(),
        lambda tm: tm.empty(0, 3).prod(0),
        lambda tm: tm.empty(0, 3).max(1),
        lambda tm: tm.empty(0, 3).argmax(1),
        lambda tm: tm.empty(0, 3).logsumexp(0),
        lambda tm: tm.empty(0, 3).norm(),
        lambda tm: tm.empty(0, 3).all(),
        lambda tm: tm.empty(0, 3).any(),
        lambda tm: tm.empty(0).median(),
    ],
)
def test_dtypes_and_special_values_match_torch(prog: Callable[[Any], Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # var of one element warns; the warning has its own test
        want, got = prog(torch), prog(engine)
    assert_same_outputs(got, want)


def test_softmax_dtype_records_a_cast_first() -> None:
    def prog(tm: Any) -> list[str]:
        y = tm.tensor([1.0, 2.0], dtype=tm.float64, requires_grad=True).softmax(0, dtype=tm.float32)
        return [type(y.grad_fn).__name__, type(y.grad_fn.next_functions[0][0]).__name__]

    assert prog(engine) == prog(torch)


def test_max_dim_result_unpacks_like_torch() -> None:
    def prog(tm: Any) -> Any:
        x = tm.tensor([[1.0, 4.0], [3.0, 2.0]], requires_grad=True)
        res = tm.max(x, 1)
        values, indices = res
        return res, values, indices, res[0], res.indices, len(res), type(res).__name__

    want, got = prog(torch), prog(engine)
    assert got[5:] == want[5:]
    assert repr(got[0]).split("(")[0] == repr(want[0]).split("(")[0] == "torch.return_types.max"
    for g, w in zip(got[1:5], want[1:5]):
        assert_same_outputs(g, w)
    assert got[2].grad_fn is None and not got[2].requires_grad


def test_binary_max_min_delegate_to_maximum_minimum() -> None:
    x = np.array([1.0, 5.0, 2.0])
    o = np.array([3.0, 5.0, 0.0])
    check_both(lambda tm, t: tm.max(t, tm.tensor(o)), x, np.random.default_rng(0))
    check_both(lambda tm, t: t.min(tm.tensor(o)), x, np.random.default_rng(1))


def test_prod_with_zeros_matches_torch() -> None:
    for values in ([2.0, 0.0, 3.0, 4.0], [2.0, 0.0, 3.0, 0.0], [[0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [1.0, 2.0, 3.0]]):
        x = np.array(values)
        check_both(lambda tm, t: t.prod(), x, np.random.default_rng(0))
        check_both(lambda tm, t: t.prod(-1), x, np.random.default_rng(1))
        check_both(lambda tm, t: t.prod(0, keepdim=True), x, np.random.default_rng(2))


@pytest.mark.parametrize(
    "prog",
    [
        lambda tm, t: t.var(correction=2),
        lambda tm, t: t.var(1, correction=2),
        lambda tm, t: t.var(1, correction=3),
        lambda tm, t: t.std(0),
        lambda tm, t: tm.var(t, 0, True, True),
    ],
)
def test_var_without_degrees_of_freedom_matches_torch(prog: Callable[[Any, Any], Any]) -> None:
    check_both(prog, np.array([[1.0, 2.0]]), np.random.default_rng(0))


def test_std_of_constant_has_zero_grad_like_torch() -> None:
    check_both(lambda tm, t: t.std(1), np.array([[1.0, 1.0], [2.0, 3.0]]), np.random.default_rng(0))


@pytest.mark.parametrize("name", ["var", "std"])
def test_degrees_of_freedom_warning_matches_torch(name: str) -> None:
    def message(tm: Any) -> str:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(tm.tensor([1.0]), name)()
        assert len(caught) == 1 and caught[0].category is UserWarning
        return str(caught[0].message)

    # torch appends the C++ source location of its build; the message itself must be the same
    want = re.sub(r" \(Triggered internally at .*\)$", "", message(torch))
    assert message(engine) == want


@pytest.mark.parametrize(
    "name,fn",
    [
        ("softmax", lambda tm, x: x.softmax(1)),
        ("log_softmax", lambda tm, x: x.log_softmax(0)),
        ("logsumexp", lambda tm, x: x.logsumexp(1)),
        ("var", lambda tm, x: x.var(0)),
        ("std", lambda tm, x: x.std()),
        ("prod", lambda tm, x: x.prod(1)),
        ("norm_p3", lambda tm, x: x.norm(p=3, dim=1)),
        ("cumsum", lambda tm, x: x.cumsum(1)),
        ("mean", lambda tm, x: x.mean(0)),
    ],
)
def test_double_backward_matches_torch(name: str, fn: Callable[[Any, Any], Any]) -> None:
    x = _spread((3, 4), np.random.default_rng(7))

    def prog(tm: Any) -> tuple[np.ndarray, np.ndarray]:
        leaf = tm.tensor(x, requires_grad=True)
        y = fn(tm, leaf)
        w = tm.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)))
        (g,) = tm.autograd.grad((y * w).sum(), leaf, create_graph=True)
        # the g * leaf term keeps the loss attached to leaf when the op is linear (g then has no graph)
        ((g * g).sum() + (g * leaf).sum()).backward()
        return as_numpy(g), as_numpy(leaf.grad)

    (g1, g2), (w1, w2) = prog(engine), prog(torch)
    assert_close(g1, w1, "first grad")
    assert_close(g2, w2, "second grad")


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "prog",
    [
        lambda tm: tm.tensor([1, 2]).mean(),
        lambda tm: tm.tensor([True]).mean(0),
        lambda tm: tm.tensor([1, 2]).var(),
        lambda tm: tm.tensor([1, 2]).std(0),
        lambda tm: tm.tensor(1.0).sum(1),
        lambda tm: tm.ones(2, 3).sum(2),
        lambda tm: tm.ones(2, 3).mean(-3),
        lambda tm: tm.ones(2, 3).sum((0, 0)),
        lambda tm: tm.ones(2, 3).amax((1, -1)),
        lambda tm: tm.ones(2, 3).max(5),
        lambda tm: tm.ones(2, 3).prod(2),
        lambda tm: tm.ones(2, 3).cumsum(-3),
        lambda tm: tm.ones(2, 3).softmax(2),
        lambda tm: tm.ones(2, 3).argmax(2),
        lambda tm: tm.empty(0).max(),
        lambda tm: tm.empty(0).min(),
        lambda tm: tm.empty(0).amax(),
        lambda tm: tm.empty(0, 3).amin(0),
        lambda tm: tm.empty(0, 3).max(0),
        lambda tm: tm.empty(0, 3).min(0),
        lambda tm: tm.empty(0).argmax(),
        lambda tm: tm.empty(0, 3).argmin(0),
        lambda tm: tm.empty(0, 3).median(0),
        lambda tm: tm.empty(0, 3).norm(p=float("inf")),
        lambda tm: tm.tensor([1, 2]).norm(),
        lambda tm: tm.tensor([1.0], dtype=tm.float64).norm(2, 0, True, dtype=tm.float32),
        lambda tm: tm.tensor([[1, 2]]).softmax(0),
        lambda tm: tm.tensor([1, 2]).log_softmax(0),
        lambda tm: tm.tensor([1.0]).logsumexp(),
        lambda tm: tm.softmax(tm.tensor([1.0])),
        lambda tm: tm.zeros(1, 1, 1).norm(dim=(0, 1, 2)),
    ],
)
def test_errors_match_torch(prog: Callable[[Any], Any]) -> None:
    assert_same_error_full(prog)


@pytest.mark.parametrize(
    "prog",
    [lambda tm: tm.ones(2, 3).max(0.5), lambda tm: tm.ones(2, 3).prod((0, 1))],
    ids=["max_float_dim", "prod_tuple_dim"],
)
def test_bad_dim_types_raise_type_error_like_torch(prog: Callable[[Any], Any]) -> None:
    # torch's argument-parser message lists every overload; the type and its first line must agree
    with pytest.raises(TypeError) as want:
        prog(torch)
    with pytest.raises(TypeError) as got:
        prog(engine)
    assert str(got.value).splitlines()[0] == str(want.value).splitlines()[0]


def test_methods_and_functions_are_registered() -> None:
    for name in [n for n in reduction.__all__ if n in reduction.METHODS]:  # std_mean/var_mean: no Tensor method
        assert hasattr(engine, name), name
        assert hasattr(torch, name), name
        assert callable(getattr(engine.Tensor, name)), name
