"""Reductions into an index against real torch: scatter_reduce, index_reduce and segment_reduce.

The OpInfo catalogue's samples are random floats; these programs are the cases they miss: ties in
amax/amin (the gradient is shared), zeros in prod (the exclusive product, and the refused double backward
for two zeros meeting), Half folds (scatter_reduce folds in float32, index_reduce in half), integer mean
(floor division), include_self=False's identity fill, NaN, torch's dtype and shape errors in their order,
and the segment kernel's own rules (only positive tied gradients are divided). Every value comes from
torch 2.13 run on the same program; values are compared to the bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from tests.helpers import ProgramTable, assert_same_error, grad_fn_name

RNG = np.random.default_rng(7)
X = RNG.standard_normal((4, 5)).astype(np.float32)
SRC = RNG.standard_normal((3, 5)).astype(np.float32)
IDX = np.array([[0, 1, 2, 0, 3], [1, 1, 1, 1, 0], [0, 0, 3, 3, 3]])
TIES_X = np.array([[1.0, 2, 3], [1, 5, 3]], np.float32)
TIES_SRC = np.array([[1.0, 5, 3], [1, 5, 0]], np.float32)
TIES_IDX = np.array([[0, 1, 0], [0, 1, 1]])
HALF_40 = RNG.standard_normal(40).astype(np.float16)
HALF_SRC = (RNG.standard_normal((25, 3)) + 1).astype(np.float16)
HALF_X = RNG.standard_normal((1, 3)).astype(np.float16)
X3 = RNG.standard_normal((2, 6, 3)).astype(np.float32)


def _as_array(t: Any) -> np.ndarray:
    t = t.detach()
    if str(t.dtype) == "torch.bfloat16":
        t = t.float()
    return np.asarray(t.numpy())


def assert_identical(got: Any, want: Any) -> None:
    """Tensors to the bit (NaN equal), with dtype, shape and grad_fn name; other values with ``==``."""
    if isinstance(want, list | tuple):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert_identical(g, w)
    elif isinstance(want, torch.Tensor):
        assert str(got.dtype) == str(want.dtype)
        assert tuple(got.shape) == tuple(want.shape)
        assert grad_fn_name(got) == grad_fn_name(want)
        np.testing.assert_array_equal(_as_array(got), _as_array(want))
    else:
        assert got == want


def same_to_the_bit(prog: Any) -> None:
    assert_identical(prog(engine), prog(torch))


programs = ProgramTable(same_to_the_bit)


# --------------------------------------------------------------------------- scatter_reduce
def _scatter_grads(m: Any, reduce: str, include_self: bool, x: np.ndarray, src: np.ndarray, idx: np.ndarray) -> list:
    xt, st = m.tensor(x, requires_grad=True), m.tensor(src, requires_grad=True)
    y = m.scatter_reduce(xt, 0, m.tensor(idx), st, reduce, include_self=include_self)
    weight = m.arange(float(y.numel())).reshape(y.shape)
    g = m.autograd.grad((y * weight).sum(), (xt, st), create_graph=True)
    second = (g[0] ** 2).sum() + (g[1] ** 2).sum()
    if not second.requires_grad:  # sum, mean, amax, amin: the gradient does not depend on the inputs
        return [y, *g]
    gg = m.autograd.grad(second, (xt, st), allow_unused=True)
    return [y, *g, *[t for t in gg if t is not None]]


for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):

        def _prog(m: Any, reduce: str = _reduce, inc: bool = _inc) -> list:
            return _scatter_grads(m, reduce, inc, X, SRC, IDX)

        def _ties(m: Any, reduce: str = _reduce, inc: bool = _inc) -> list:
            # equal values meet at one place: amax/amin share the gradient among them
            return _scatter_grads(m, reduce, inc, TIES_X, TIES_SRC, TIES_IDX)

        _prog.__name__ = f"scatter_reduce_{_reduce}_include_self_{_inc}_grads_and_double_backward"
        _ties.__name__ = f"scatter_reduce_{_reduce}_include_self_{_inc}_ties"
        programs(_prog)
        programs(_ties)


@programs
def scatter_reduce_prod_single_zero_gradient(m: Any) -> list:
    # one zero at a place: its gradient is the product of the others, recomputed without it
    x = m.tensor([[0.0, 2, 3], [1, 0, 3]], requires_grad=True)
    s = m.tensor([[0.0, 2, 0], [3, 0, 1]], requires_grad=True)
    y = m.scatter_reduce(x, 0, m.tensor(TIES_IDX), s, "prod")
    return [y, *m.autograd.grad(y.sum(), (x, s))]


@programs
def scatter_reduce_prod_two_zeros_refuses_double_backward(m: Any) -> list:
    x = m.tensor([[0.0, 2, 3], [1, 0, 3]], requires_grad=True)
    s = m.tensor([[0.0, 2, 0], [0, 5, 0]], requires_grad=True)
    y = m.scatter_reduce(x, 0, m.tensor(TIES_IDX), s, "prod", include_self=False)
    g = m.autograd.grad(y.sum(), (x, s), create_graph=True)
    try:
        m.autograd.grad(g[1].sum(), s)
        raised = None
    except RuntimeError as exc:
        raised = str(exc)
    return [y, *g, g[1].grad_fn.name(), raised]


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int64", "int32", "bool", "float64"])
def test_scatter_reduce_dtypes(dtype: str, reduce: str) -> None:
    """Half and BFloat16 fold in float32 and round once; integer mean is a floor division; bool has no mean."""
    for inc in (True, False):

        def prog(m: Any, inc: bool = inc) -> Any:
            x = m.tensor((X * 3).astype(np.float64)).to(getattr(m, dtype))
            s = m.tensor((np.resize(SRC, (4, 5)) * 3).astype(np.float64)).to(getattr(m, dtype))
            return m.scatter_reduce(x, 1, m.tensor(np.resize(IDX, (4, 5))[:, :4]), s, reduce, include_self=inc)

        if dtype == "bool" and reduce == "mean":
            assert_same_error(prog)
        else:
            same_to_the_bit(prog)


@programs
def scatter_reduce_half_long_sum(m: Any) -> list:
    # 40 values at one place: a fold in half would round 40 times
    v = m.tensor(HALF_40)
    return [m.scatter_reduce(m.zeros(1, dtype=m.float16), 0, m.zeros(40, dtype=m.long), v, r, include_self=False)
            for r in ("sum", "prod", "mean")]  # fmt: skip


@programs
def scatter_reduce_nan_and_infinities(m: Any) -> list:
    nan, inf = float("nan"), float("inf")
    s = m.tensor([nan, 1.0, 2, nan, -inf, -inf])
    i = m.tensor([0, 0, 1, 1, 2, 2])
    return [m.scatter_reduce(m.zeros(3), 0, i, s, r, include_self=inc)
            for r in ("amax", "amin", "sum") for inc in (True, False)]  # fmt: skip


@programs
def scatter_reduce_variants(m: Any) -> list:
    x, s, i = m.tensor(X), m.tensor(SRC), m.tensor(IDX)
    a = x.scatter_reduce(0, i, s, "amax")
    b = x.clone()
    r = b.scatter_reduce_(0, i, s, reduce="mean", include_self=False)
    out = m.empty(4, 5)
    r2 = m.scatter_reduce(x, 0, i, s, "sum", out=out)
    xl = m.tensor(X, requires_grad=True).clone()
    xl.scatter_reduce_(0, i, m.tensor(SRC, requires_grad=True), "prod")
    return [a, b, r is b, out, r2 is out, xl]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.tensor(IDX), m.tensor(SRC), "foo"),
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.tensor(IDX).float(), m.tensor(SRC), "foo"),
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.tensor(IDX), m.tensor(SRC).double(), "foo"),
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.tensor(IDX) + 4, m.tensor(SRC), "foo"),
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.tensor(IDX) + 4, m.tensor(SRC), "sum"),
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.tensor(IDX)[0], m.tensor(SRC), "sum"),
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.zeros(3, 6, dtype=m.long), m.tensor(SRC), "sum"),
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.tensor(IDX), m.tensor(SRC)[:2], "sum"),
        lambda m: m.scatter_reduce(m.tensor(X), 0, m.tensor(IDX), m.tensor(SRC)[0], "sum"),
        lambda m: m.scatter_reduce(m.tensor([3.0, 4]), 0, m.tensor([1, 0]), m.tensor([[2.0, 5], [7, 8]]), "sum"),
        lambda m: m.scatter_reduce(m.tensor(X).bool(), 0, m.zeros(0, dtype=m.long), m.tensor(SRC).bool(), "mean"),
        lambda m: m.scatter_reduce(m.tensor(X).to(m.complex64), 0, m.tensor(IDX), m.tensor(SRC).to(m.complex64), "amax"),
    ],
    ids=["reduce", "index-dtype", "src-dtype", "reduce-before-bounds", "bounds", "index-dims", "index-size",
         "src-size", "src-fewer-dims", "src-more-dims", "bool-mean-empty-index", "complex-amax"],
)  # fmt: skip
def test_scatter_reduce_errors(call: Any) -> None:
    assert_same_error(call)


# --------------------------------------------------------------------------- scatter(reduce=), scatter_add, gather
@programs
def scatter_legacy_reduce(m: Any) -> list:
    # scatter(..., reduce="add" | "multiply"): the same fold; Half in float32; no derivative
    x, s, i = m.tensor(X), m.tensor(SRC), m.tensor(IDX)
    y = m.tensor(X, requires_grad=True).scatter(0, i, s, reduce="add")
    half = m.zeros(1, dtype=m.float16).scatter(0, m.zeros(40, dtype=m.long), m.tensor(HALF_40), reduce="add")
    return [x.scatter(0, i, s, reduce="add"), x.scatter(1, i, 2.0, reduce="multiply"),
            x.clone().scatter_(0, i, s, reduce="multiply"), half, y.grad_fn.name()]  # fmt: skip


@programs
def scatter_add_and_gather_half_fold_in_float32(m: Any) -> list:
    s = m.tensor(HALF_40, requires_grad=True)
    y = m.zeros(1, dtype=m.float16).scatter_add(0, m.zeros(40, dtype=m.long), s)
    x = m.tensor(HALF_40[:5], requires_grad=True)
    g = m.gather(x, 0, m.zeros(40, dtype=m.long))  # its backward is a scatter_add: the same fold
    return [y, *m.autograd.grad(g, x, s.detach())]


@programs
def gather_with_an_empty_index(m: Any) -> list:
    x = m.tensor(X[0], requires_grad=True)
    y = m.gather(x, 0, m.zeros(2, 0, dtype=m.long))
    return [y, *m.autograd.grad(y.sum(), x, allow_unused=True)]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.tensor(X).scatter(0, m.tensor(IDX), m.tensor(SRC), reduce="mean"),
        lambda m: m.tensor(X).scatter(0, m.tensor(IDX).float(), m.tensor(SRC), reduce="foo"),
        lambda m: m.tensor(X).scatter(0, m.tensor(IDX) + 5, m.tensor(SRC), reduce="foo"),
        lambda m: m.tensor(X).scatter(0, m.tensor(IDX), m.tensor(SRC).double(), reduce="foo"),
        lambda m: m.tensor(X, requires_grad=True).scatter(0, m.tensor(IDX), m.tensor(SRC), reduce="add").sum().backward(),
    ],
    ids=["reduce", "index-dtype-first", "reduce-before-bounds", "src-dtype", "no-derivative"],
)  # fmt: skip
def test_scatter_legacy_reduce_errors(call: Any) -> None:
    assert_same_error(call)


# --------------------------------------------------------------------------- index_reduce
def _index_grads(m: Any, reduce: str, include_self: bool, source: np.ndarray, index: list) -> list:
    x = m.tensor(TIES_X, requires_grad=True)
    s = m.tensor(source, requires_grad=True)
    y = x.index_reduce(1, m.tensor(index), s, reduce, include_self=include_self)
    g = m.autograd.grad((y * m.arange(6.0).reshape(2, 3)).sum(), (x, s), create_graph=True)
    return [y, *g]


for _reduce in ("prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        for _name, _source in (("ties", [[1.0, 5], [3, 5]]), ("zeros", [[0.0, 2], [3, 0]])):

            def _prog(m: Any, reduce: str = _reduce, inc: bool = _inc, source: list = _source) -> list:
                return _index_grads(m, reduce, inc, np.array(source, np.float32), [1, 1])

            _prog.__name__ = f"index_reduce_{_reduce}_include_self_{_inc}_{_name}"
            programs(_prog)


@programs
def index_reduce_half_folds_in_half(m: Any) -> list:
    # unlike scatter_reduce, index_reduce folds a Half slice in half arithmetic
    src, x = m.tensor(HALF_SRC), m.tensor(HALF_X)
    return [x.index_reduce(0, m.zeros(25, dtype=m.long), src, r, include_self=inc)
            for r in ("prod", "mean") for inc in (True, False)]  # fmt: skip


@programs
def index_reduce_integer_mean_floors(m: Any) -> list:
    x = m.tensor([7, 7, 7])
    return [x.index_reduce(0, m.tensor([0, 0, 1]), m.tensor([1, 2, -4]), "mean", include_self=inc)
            for inc in (True, False)]  # fmt: skip


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.tensor(X).index_reduce(1, m.tensor([0, 1, 2]), m.tensor(X)[:, :3], "sum"),
        lambda m: m.tensor(X).index_reduce(1, m.tensor([0, 1, 2]).float(), m.tensor(X)[:, :3], "prod"),
        lambda m: m.tensor(X).index_reduce(1, m.tensor([[0], [1], [2]]), m.tensor(X)[:, :3], "prod"),
        lambda m: m.tensor(X).index_reduce(1, m.tensor([0, 1, 2]), m.tensor(X)[:, :3].double(), "prod"),
        lambda m: m.tensor(X).index_reduce(1, m.tensor([0, 1]), m.tensor(X)[:, :3], "prod"),
        lambda m: m.tensor(X).index_reduce(1, m.tensor([0, 1, 2]), m.tensor(X)[:2, :3], "prod"),
        lambda m: m.tensor(X).index_reduce(1, m.tensor([0, 1]), m.tensor(X)[0, :1], "prod"),
        lambda m: m.tensor(X).index_reduce(1, m.tensor([-1, 0, 1]), m.tensor(X)[:, :3], "prod"),
        lambda m: m.tensor(X).index_reduce(1, m.tensor([7, 0, 1]), m.tensor(X)[:, :3], "prod", include_self=False),
        lambda m: m.tensor(X).bool().index_reduce(1, m.tensor([0, 1]), m.tensor(X)[:, :2].bool(), "amax", include_self=False),
        lambda m: m.tensor(X)[0].bool().index_reduce(0, m.tensor([0, 1]), m.tensor(X)[0, :2].bool(), "amax"),
        lambda m: m.tensor(X).to(m.complex64).index_reduce(1, m.tensor([0, 1]), m.tensor(X)[:, :2].to(m.complex64), "amin"),
    ],
    ids=["sum", "index-dtype", "index-dims", "source-dtype", "index-count", "source-shape", "source-dims",
         "negative-index", "index-fill-bound", "bool-exclude-self", "bool-vector", "complex-amin"],
)  # fmt: skip
def test_index_reduce_errors(call: Any) -> None:
    assert_same_error(call)


# --------------------------------------------------------------------------- segment_reduce
SEG_DATA = np.array([1.0, 3, 3, -2, 5, 5, 0, 2, 0, float("nan"), 4, 4], np.float32)
SEG_LENGTHS = [3, 3, 0, 2, 4]
SEG_OFFSETS = [0, 3, 6, 6, 8, 12]

for _reduce in ("sum", "prod", "mean", "max", "min"):
    for _initial in (None, 2):
        for _how in ("lengths", "offsets"):

            def _prog(m: Any, reduce: str = _reduce, initial: Any = _initial, how: str = _how) -> list:
                # ties, zeros, a NaN and an empty segment; the gradient has both signs
                x = m.tensor(SEG_DATA, requires_grad=True)
                kw = {how: m.tensor(SEG_LENGTHS if how == "lengths" else SEG_OFFSETS)}
                y = m.segment_reduce(x, reduce, initial=initial, **kw)
                return [y, *m.autograd.grad(y, x, m.tensor([2.0, -4, 1, 3, -1]))]

            _prog.__name__ = f"segment_reduce_{_reduce}_initial_{_initial}_{_how}"
            programs(_prog)


@programs
def segment_reduce_few_long_segments(m: Any) -> list:
    # a long run per segment: still one sequential fold (a pairwise sum would round otherwise)
    x = m.tensor(HALF_40.astype(np.float32) * 1000 + 0.1, requires_grad=True)
    ys = [m.segment_reduce(x, r, lengths=m.tensor([37, 3]), initial=1.5) for r in ("sum", "mean", "prod", "max")]
    return [*ys, *m.autograd.grad(sum(y.sum() for y in ys), x)]


@programs
def segment_reduce_along_an_inner_axis(m: Any) -> list:
    x = m.tensor(X3, requires_grad=True)
    y = m.segment_reduce(x, "mean", lengths=m.tensor([[1, 2, 3], [0, 6, 0]]), axis=1)
    y2 = m.segment_reduce(x, "max", offsets=m.tensor([[0, 1, 3, 6], [0, 0, 6, 6]]).int(), axis=1, initial=1)
    return [y, y2, *m.autograd.grad(y.sum() + y2.sum(), x)]


@programs
def segment_reduce_double_backward_is_not_implemented(m: Any) -> list:
    x = m.tensor([1.0, 2, 3], requires_grad=True)
    g = m.autograd.grad(m.segment_reduce(x, "max", lengths=m.tensor([1, 2])).sum(), x, create_graph=True)[0]
    try:
        m.autograd.grad(g.sum(), x)
        raised = None
    except RuntimeError as exc:
        raised = str(exc)
    return [g, g.grad_fn.name(), raised, m._segment_reduce is m.segment_reduce]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.segment_reduce(m.tensor([1.0, 2]), "foo", lengths=m.tensor([-1, 3])),
        lambda m: m.segment_reduce(m.tensor([1.0, 2]), "sum", lengths=m.tensor([-1, 3])),
        lambda m: m.segment_reduce(m.tensor([1.0, 2]), "sum", lengths=m.tensor([1, 2])),
        lambda m: m.segment_reduce(m.tensor([1.0, 2]), "sum"),
        lambda m: m.segment_reduce(m.tensor([1.0, 2]), "sum", indices=m.tensor([0, 1])),
        lambda m: m.segment_reduce(m.tensor([1.0, 2]), "sum", lengths=m.tensor([1.0, 1])),
        lambda m: m.segment_reduce(m.tensor([1, 2]), "sum", lengths=m.tensor([1, 1])),
        lambda m: m.segment_reduce(m.tensor([1.0, 2]), "sum", lengths=m.tensor([[1, 1]])),
        lambda m: m.segment_reduce(m.ones(2, 2), "sum", lengths=m.tensor([1, 1]), axis=1),
        lambda m: m.segment_reduce(m.tensor([1.0, 2]), "sum", offsets=m.tensor([0, 2, 1])),
    ],
    ids=["reduce-first", "negative-length", "length-sum", "no-segments", "indices", "float-lengths",
         "integer-data", "lengths-dims", "axis", "decreasing-offsets"],
)  # fmt: skip
def test_segment_reduce_errors(call: Any) -> None:
    assert_same_error(call)


test_programs = programs.test()
