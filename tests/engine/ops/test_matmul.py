"""Matrix products (matmul, mm, bmm, dot, mv, outer/ger, addmm) against real torch.

Each test runs the same program on torch and on the engine: forward values,
dtype, the whole chain of grad_fn class names torch records (matmul's
dot/mv/mm/fold/bmm dispatch shows in it), and grads of a random seed
gradient. A central finite-difference check covers the engine's own
backward, and the error cases compare exception type and message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_engine as engine
from conformance.compare import compare_arrays
from tests.helpers import as_numpy, finite_difference, graph_names, torch_release

# --------------------------------------------------------------------------- helpers


def run(lib: Any, fn: Callable, arrays: list[np.ndarray], grads: list[bool], seed: np.ndarray) -> tuple:
    """Leaves from ``arrays`` in module ``lib``; returns (output, graph names, leaf grads)."""
    leaves = [lib.tensor(a, requires_grad=g) for a, g in zip(arrays, grads, strict=True)]
    out = fn(lib, *leaves)
    names = graph_names(out)
    if out.requires_grad:
        out.backward(lib.tensor(seed.reshape(tuple(out.shape)), dtype=out.dtype))
    return out, names, [None if leaf.grad is None else as_numpy(leaf.grad) for leaf in leaves]


def assert_same(fn: Callable, arrays: list[np.ndarray], grads: list[bool], rng: np.random.Generator) -> None:
    """Values, dtype, graph and grads of ``fn`` agree between torch and the engine."""
    expected = fn(torch, *[torch.tensor(a) for a in arrays])
    seed = rng.standard_normal(tuple(expected.shape))
    t_out, t_names, t_grads = run(torch, fn, arrays, grads, seed)
    e_out, e_names, e_grads = run(engine, fn, arrays, grads, seed)
    diff = compare_arrays(as_numpy(e_out), as_numpy(t_out))
    assert diff.ok, f"forward: {diff.describe()}"
    assert e_names == t_names, f"graph {e_names} vs torch {t_names}"
    for i, (eg, tg) in enumerate(zip(e_grads, t_grads, strict=True)):
        assert (eg is None) == (tg is None), f"grad {i}: presence differs"
        if tg is not None:
            d = compare_arrays(eg, tg)
            assert d.ok, f"grad {i}: {d.describe()}"


def assert_same_error(fn: Callable, arrays: list[np.ndarray], dtypes: list[str] | None = None) -> None:
    """``fn`` raises in torch; the engine raises the same type with the same message."""
    dtypes = dtypes or ["float32"] * len(arrays)

    def make(lib: Any) -> list:
        return [lib.tensor(a, dtype=getattr(lib, d)) for a, d in zip(arrays, dtypes, strict=True)]

    with pytest.raises(Exception) as t_err:
        fn(torch, *make(torch))
    with pytest.raises(t_err.type) as e_err:
        fn(engine, *make(engine))
    assert str(e_err.value) == str(t_err.value)


# --------------------------------------------------------------------------- matmul shapes

dims = st.integers(1, 4)
batch_dims = st.lists(st.integers(1, 3), min_size=1, max_size=3)


@st.composite
def matmul_shapes(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two matmul-compatible shapes of any ranks 1..5, batch dims broadcastable (with 1s mixed in)."""
    n, k, p = draw(dims), draw(dims), draw(dims)
    r1, r2 = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    batch = draw(batch_dims)
    b1 = tuple(1 if draw(st.booleans()) else s for s in batch[-(r1 - 2) :]) if r1 > 2 else ()
    b2 = tuple(1 if draw(st.booleans()) else s for s in batch[-(r2 - 2) :]) if r2 > 2 else ()
    s1 = (k,) if r1 == 1 else (*b1, n, k)
    s2 = (k,) if r2 == 1 else (*b2, k, p)
    return s1, s2


@settings(max_examples=25, deadline=None)
@given(
    shapes=matmul_shapes(),
    grads=st.sampled_from([(True, True), (True, False), (False, True)]),
    seed=st.integers(0, 2**32 - 1),
)
def test_matmul_matches_torch(shapes: tuple, grads: tuple[bool, bool], seed: int) -> None:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    assert_same(lambda lib, a, b: lib.matmul(a, b), arrays, list(grads), rng)


@pytest.mark.parametrize(
    "s1,s2",
    [
        ((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
        ((5, 2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
        ((1, 2, 3), (5, 3, 4)), ((5, 2, 3), (1, 3, 4)), ((2, 1, 2, 3), (5, 3, 1)), ((3,), (2, 5, 3, 4)),
        ((0, 2, 3), (3,)), ((2, 0), (0, 3)),
    ],
)  # fmt: skip
@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, True)])
def test_matmul_dispatch_cases(s1: tuple, s2: tuple, grads: tuple[bool, bool]) -> None:
    """Every branch of torch's matmul dispatch: dot, mv, unsqueeze+mm+squeeze_, mm, fold, squeeze, bmm."""
    rng = np.random.default_rng(0)
    assert_same(lambda lib, a, b: a @ b, [rng.standard_normal(s1), rng.standard_normal(s2)], list(grads), rng)


def test_matmul_non_contiguous_batch_is_not_folded() -> None:
    """A permuted batch operand without grad on the other side takes torch's bmm path."""
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 5, 3)), rng.standard_normal((3, 4))]
    assert_same(lambda lib, a, b: a.transpose(0, 1) @ b, arrays, [True, False], rng)
    assert_same(lambda lib, a, b: a.transpose(0, 1) @ b[:, 0], arrays, [True, False], rng)


def test_matmul_1d_2d_squeezes_in_place() -> None:
    # torch's result is squeeze_(0) of mm's output: its version counter reads 1
    for lib in (torch, engine):
        x = lib.ones(3, requires_grad=True)
        y = x @ lib.ones(3, 4)
        assert (type(y.grad_fn).__name__, y._version) == ("SqueezeBackward4", 1)


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32"])
def test_matmul_dtypes(dtype: str) -> None:
    rng = np.random.default_rng(2)
    for s1, s2 in [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)), ((2, 2, 3), (3, 4))]:
        a, b = rng.integers(-5, 5, s1), rng.integers(-5, 5, s2)
        t = torch.matmul(torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b, dtype=getattr(torch, dtype)))
        e = engine.matmul(
            engine.tensor(a, dtype=getattr(engine, dtype)), engine.tensor(b, dtype=getattr(engine, dtype))
        )
        diff = compare_arrays(as_numpy(e), as_numpy(t))
        assert diff.ok, diff.describe()


# --------------------------------------------------------------------------- the primitives

PRIMITIVES = {
    "mm": (lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)]),
    "mm_method": (lambda lib, a, b: a.mm(b), [(4, 1), (1, 2)]),
    "bmm": (lambda lib, a, b: lib.bmm(a, b), [(3, 2, 4), (3, 4, 5)]),
    "dot": (lambda lib, a, b: lib.dot(a, b), [(5,), (5,)]),
    "mv": (lambda lib, a, b: lib.mv(a, b), [(3, 4), (4,)]),
    "outer": (lambda lib, a, b: lib.outer(a, b), [(3,), (4,)]),
    "ger": (lambda lib, a, b: a.ger(b), [(2,), (3,)]),
    "addmm": (lambda lib, c, a, b: lib.addmm(c, a, b), [(2, 4), (2, 3), (3, 4)]),
    "addmm_bcast": (lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=-2.0), [(4,), (2, 3), (3, 4)]),
    "addmm_beta0": (lambda lib, c, a, b: lib.addmm(c, a, b, beta=0), [(2, 4), (2, 3), (3, 4)]),
    "linear": (lambda lib, x, w, b: lib.addmm(b, x, w.t()), [(5, 3), (4, 3), (4,)]),
}


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitives_match_torch(name: str) -> None:
    fn, shapes = PRIMITIVES[name]
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in shapes]
    for mask in range(1, 2 ** len(shapes)):
        grads = [bool(mask >> i & 1) for i in range(len(shapes))]
        assert_same(fn, arrays, grads, rng)


def test_nn_functional_linear_records_addmm() -> None:
    """nn.functional.linear on 2-d input is addmm(bias, x, weight.t()) in torch."""
    x = torch.randn(2, 3, requires_grad=True)
    w, b = torch.randn(4, 3, requires_grad=True), torch.randn(4, requires_grad=True)
    t_names = graph_names(torch.nn.functional.linear(x, w, b))
    ex, ew, eb = (engine.tensor(as_numpy(t), requires_grad=True) for t in (x, w, b))
    assert graph_names(engine.addmm(eb, ex, ew.t())) == t_names


def test_saved_tensors_are_exposed() -> None:
    for lib in (torch, engine):
        a, b = lib.ones(2, 3, requires_grad=True), lib.ones(3, 4, requires_grad=True)
        node = lib.mm(a, b).grad_fn
        assert node._saved_self is a and node._saved_mat2 is b
        node = lib.addmm(lib.ones(2, 4), a, b, alpha=2).grad_fn
        assert (node._saved_alpha, node._saved_beta) == (2, 1)


# --------------------------------------------------------------------------- finite differences


@settings(max_examples=25, deadline=None)
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**32 - 1))
def test_matmul_backward_matches_finite_differences(shapes: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    out_shape = np.matmul(*arrays).shape
    weights = rng.standard_normal(out_shape)

    def loss(xs: list[np.ndarray]) -> float:
        return float((np.matmul(*xs) * weights).sum())

    leaves = [engine.tensor(a, requires_grad=True) for a in arrays]
    (engine.matmul(*leaves) * engine.tensor(weights)).sum().backward()
    for leaf, fd in zip(leaves, finite_difference(loss, arrays), strict=True):
        np.testing.assert_allclose(as_numpy(leaf.grad), fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "s1,s2",
    [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
     ((5, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4))],
)  # fmt: skip
def test_double_backward_matches_torch(s1: tuple, s2: tuple) -> None:
    """create_graph through every matmul path: grads of a function of the first-order grad."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal(s1), rng.standard_normal(s2)
    results = []
    for lib in (torch, engine):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        (gx,) = lib.autograd.grad((lib.matmul(x, y) ** 2).sum(), x, create_graph=True)
        (gx * gx).sum().backward()
        results.append((as_numpy(x.grad), as_numpy(y.grad)))
    for actual, expected in zip(results[1], results[0], strict=True):
        diff = compare_arrays(actual, expected)
        assert diff.ok, diff.describe()


def test_matmul_operator_with_scalar_is_unsupported() -> None:
    with pytest.raises(TypeError) as t_err:
        torch.ones(2, 3) @ 3
    with pytest.raises(TypeError) as e_err:
        engine.ones(2, 3) @ 3
    assert str(e_err.value) == str(t_err.value)


# --------------------------------------------------------------------------- errors

ERRORS = [
    ("mm_shapes", lambda lib, a, b: lib.mm(a, b), [(2, 3), (4, 5)], None),
    ("mm_self_rank", lambda lib, a, b: lib.mm(a, b), [(3,), (3, 5)], None),
    ("mm_mat2_rank", lambda lib, a, b: lib.mm(a, b), [(2, 3), (3,)], None),
    ("mm_dtype", lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)], ["float32", "float64"]),
    ("mm_int_dtypes", lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)], ["int32", "int64"]),
    ("mm_bool", lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)], ["bool", "bool"]),
    ("bmm_rank", lambda lib, a, b: lib.bmm(a, b), [(2, 3), (3, 4)], None),
    ("bmm_batch", lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (3, 3, 4)], None),
    ("bmm_inner", lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 4, 5)], None),
    ("bmm_dtype", lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 3, 4)], ["float32", "float64"]),
    ("dot_rank", lambda lib, a, b: lib.dot(a, b), [(2, 3), (2, 3)], None),
    ("dot_size", lambda lib, a, b: lib.dot(a, b), [(3,), (4,)], None),
    ("dot_dtype", lambda lib, a, b: lib.dot(a, b), [(3,), (4,)], ["float32", "float64"]),
    ("mv_size", lambda lib, a, b: lib.mv(a, b), [(2, 3), (4,)], None),
    ("mv_rank", lambda lib, a, b: lib.mv(a, b), [(3,), (3, 3)], None),
    ("mv_dtype", lambda lib, a, b: lib.mv(a, b), [(2, 3), (3,)], ["float32", "float64"]),
    ("outer_rank", lambda lib, a, b: lib.outer(a, b), [(3,), (3, 3)], None),
    (
        "addmm_self_dtype",
        lambda lib, c, a, b: lib.addmm(c, a, b),
        [(2, 4), (2, 3), (3, 4)],
        ["float64", "float32", "float32"],
    ),
    (
        "addmm_mat1_dtype",
        lambda lib, c, a, b: lib.addmm(c, a, b),
        [(2, 4), (2, 3), (3, 4)],
        ["float32", "float64", "float32"],
    ),
    ("addmm_self_shape", lambda lib, c, a, b: lib.addmm(c, a, b), [(3, 4), (2, 3), (3, 4)], None),
    ("addmm_mat_rank", lambda lib, c, a, b: lib.addmm(c, a, b), [(2, 4), (3,), (3, 4)], None),
    ("matmul_1d_1d", lambda lib, a, b: a @ b, [(3,), (4,)], None),
    ("matmul_1d_2d", lambda lib, a, b: a @ b, [(3,), (4, 5)], None),
    ("matmul_3d_2d", lambda lib, a, b: a @ b, [(2, 2, 3), (4, 5)], None),
    ("matmul_4d_1d", lambda lib, a, b: a @ b, [(2, 2, 2, 3), (4,)], None),
    ("matmul_1d_4d", lambda lib, a, b: a @ b, [(4,), (2, 2, 3, 5)], None),
    ("matmul_batch", lambda lib, a, b: a @ b, [(2, 2, 3), (3, 3, 4)], None),
    ("matmul_0d", lambda lib, a, b: lib.matmul(a, b), [(), (3,)], None),
    ("matmul_dtype_3d", lambda lib, a, b: a @ b, [(2, 2, 3), (2, 3, 4)], ["float32", "float64"]),
    ("matmul_dtype_2d", lambda lib, a, b: a @ b, [(2, 3), (3, 4)], ["float32", "float64"]),
    ("matmul_dtype_mv", lambda lib, a, b: a @ b, [(2, 2, 3), (3,)], ["float32", "float64"]),
    ("matmul_not_tensor", lambda lib, a, b: lib.matmul(a, 3), [(2, 3), (3,)], None),
    ("mm_not_tensor", lambda lib, a, b: lib.mm(a, 3), [(2, 3), (3,)], None),
    ("matmul_not_tensor_first", lambda lib, a, b: lib.matmul(3, a), [(2, 3), (3,)], None),
    ("outer_not_tensor", lambda lib, a, b: lib.outer(b, 3), [(2, 3), (3,)], None),
    ("method_matmul_not_tensor", lambda lib, a, b: a.matmul(3), [(2, 3), (3,)], None),
    ("method_mm_not_tensor", lambda lib, a, b: a.mm(3), [(2, 3), (3,)], None),
    ("method_dot_not_tensor", lambda lib, a, b: b.dot(3), [(2, 3), (3,)], None),
    ("method_addmm_not_tensor", lambda lib, a, b: a.addmm(3, a), [(2, 3), (3,)], None),
    ("method_mv_dtype", lambda lib, a, b: a.mv(b), [(2, 3), (3,)], ["float64", "float32"]),
]


@pytest.mark.parametrize("name,fn,shapes,dtypes", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name: str, fn: Callable, shapes: list, dtypes: list | None) -> None:
    rng = np.random.default_rng(5)
    assert_same_error(fn, [rng.integers(0, 2, s) for s in shapes], dtypes)


# --------------------------------------------------------------------------- torch 2.14's folding rule
def _leaf(m: Any, shape: tuple, strides: tuple | None = None, grad: bool = True) -> Any:
    """0, 1, 2, ... laid out in ``shape`` (contiguous, or ``strides`` over a 64-element buffer)."""
    base = m.arange(64, dtype=m.float64)
    size = math.prod(shape)
    x = base[:size].reshape(shape).clone() if strides is None else base.as_strided(shape, strides)
    return x.detach().requires_grad_(grad)


FOLD_CASES: dict[str, Callable[[Any], Any]] = {
    "vec@(1,3,1)": lambda m: _leaf(m, (3,), grad=False) @ _leaf(m, (1, 3, 1)),
    "vec@(1,3,2)": lambda m: _leaf(m, (3,), grad=False) @ _leaf(m, (1, 3, 2)),
    "vec@(2,1,3,1)": lambda m: _leaf(m, (3,), grad=False) @ _leaf(m, (2, 1, 3, 1)),
    "(1,2,3).mT-layout@(3,2)": lambda m: _leaf(m, (1, 2, 3), (6, 1, 2)) @ _leaf(m, (3, 2), grad=False),
    "(4,1,2)-size1-stride@(2,5)": lambda m: _leaf(m, (4, 1, 2), (2, 16, 1)) @ _leaf(m, (2, 5), grad=False),
    "(1,4,2)-size1-stride@vec": lambda m: _leaf(m, (1, 4, 2), (40, 2, 1)) @ _leaf(m, (2,), grad=False),
    "(2,1,2,2)-not-viewable@(2,3)": lambda m: _leaf(m, (2, 1, 2, 2), (3, 50, 1, 1)) @ _leaf(m, (2, 3), grad=False),
}
_BMM = ["UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0"]
_BMM_ALIAS = ["UnsafeViewBackward0", "BmmBackward0", "ReshapeAliasBackward0", "ExpandBackward0"]
_MV_T = ["UnsafeViewBackward0", "MvBackward0", "ViewBackward0", "TransposeBackward0"]
# graph names recorded from torch 2.13.0 and torch 2.14.1: 2.14 (pytorch#186178) lets a folded leading dim of
# size 1 have any stride, so these fold into mm/mv where 2.13 broadcast them to bmm
FOLD_GRAPHS: dict[str, dict[str, list[str]]] = {
    "2.13": {
        "vec@(1,3,1)": _BMM, "vec@(1,3,2)": _BMM, "vec@(2,1,3,1)": _BMM, "(1,2,3).mT-layout@(3,2)": _BMM_ALIAS,
        "(4,1,2)-size1-stride@(2,5)": _BMM,
        "(1,4,2)-size1-stride@vec": ["UnsafeViewBackward0", "SqueezeBackward1", "BmmBackward0", "ViewBackward0",
                                     "ExpandBackward0"],
        "(2,1,2,2)-not-viewable@(2,3)": _BMM_ALIAS,
    },
    "2.14": {
        "vec@(1,3,1)": _MV_T,
        "vec@(1,3,2)": ["UnsafeViewBackward0", "MvBackward0", "ReshapeAliasBackward0", "TransposeBackward0"],
        "vec@(2,1,3,1)": _MV_T,
        "(1,2,3).mT-layout@(3,2)": ["UnsafeViewBackward0", "MmBackward0", "ReshapeAliasBackward0"],
        "(4,1,2)-size1-stride@(2,5)": ["UnsafeViewBackward0", "MmBackward0", "ViewBackward0"],
        "(1,4,2)-size1-stride@vec": ["UnsafeViewBackward0", "MvBackward0", "ViewBackward0"],
        "(2,1,2,2)-not-viewable@(2,3)": _BMM_ALIAS,
    },
}  # fmt: skip
FOLD_SUMS = {  # the products' sums, the same under both releases (recorded from torch)
    "vec@(1,3,1)": 5.0, "vec@(1,3,2)": 23.0, "vec@(2,1,3,1)": 19.0, "(1,2,3).mT-layout@(3,2)": 107.0,
    "(4,1,2)-size1-stride@(2,5)": 680.0, "(1,4,2)-size1-stride@vec": 16.0, "(2,1,2,2)-not-viewable@(2,3)": 168.0,
}  # fmt: skip


@pytest.mark.parametrize("name", list(FOLD_CASES))
def test_matmul_folds_size_one_leading_dims_from_2_14(release: str, name: str) -> None:
    out = FOLD_CASES[name](engine)
    assert graph_names(out) == FOLD_GRAPHS[release][name]
    assert float(out.detach().sum()) == FOLD_SUMS[name]
    if release == torch_release():
        t_out = FOLD_CASES[name](torch)
        assert graph_names(t_out) == FOLD_GRAPHS[release][name]
        assert float(t_out.detach().sum()) == FOLD_SUMS[name]


@pytest.mark.parametrize("bias", [False, True])
def test_nn_functional_linear_with_zero_features_on_a_batch(bias: bool) -> None:
    """torch flattens the leading dims by their product (-1 would be ambiguous for 0 features): (3, 4, 0) works."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((3, 4, 0)), rng.standard_normal((5, 0)), rng.standard_normal(5)]
    if bias:
        assert_same(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), arrays, [True, True, True], rng)
    else:
        assert_same(lambda lib, x, w: lib.nn.functional.linear(x, w), arrays[:2], [True, True], rng)
