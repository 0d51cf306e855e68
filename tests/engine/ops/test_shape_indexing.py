"""Shape and indexing ops of reference_engine against real torch: values, grads, grad_fn names, views, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_engine as re_
from conformance.compare import compare_arrays
from tests.helpers import assert_close, error_signature, first_edge_chain, grad_fn_name

Fn = Callable[[Any, Any], Any]


# --------------------------------------------------------------------------- helpers
def _leaves(arr: np.ndarray) -> tuple[torch.Tensor, re_.Tensor]:
    return torch.tensor(arr, requires_grad=True), re_.tensor(arr, requires_grad=True)


def _first(y: Any) -> Any:
    return y[0] if isinstance(y, tuple) else y


def _check_op(fn: Fn, arr: np.ndarray) -> None:
    """Run ``fn(module, x)`` on torch and the engine; compare value, dtype, grad_fn name and x's grad."""
    xt, xr = _leaves(arr)
    yt, yr = _first(fn(torch, xt)), _first(fn(re_, xr))
    assert grad_fn_name(yr) == grad_fn_name(yt)
    assert str(yr.dtype) == str(yt.dtype)
    assert_close(yr.detach().numpy(), yt.detach().numpy(), "value")
    if yt.requires_grad:
        w = np.random.default_rng(0).standard_normal(tuple(yt.shape))
        (yt * torch.tensor(w)).sum().backward()
        (yr * re_.tensor(w)).sum().backward()
        assert_close(xr.grad.numpy(), xt.grad.numpy(), "grad")


A34 = np.random.default_rng(1).standard_normal((3, 4))


# --------------------------------------------------------------------------- op table
OPS: dict[str, Fn] = {
    "x[(slice(None),)]": lambda m, x: x[(slice(None),)],
    "x[:, 1:]": lambda m, x: x[:, 1:],
    "x[0]": lambda m, x: x[0],
    "x[1:]": lambda m, x: x[1:],
    "x[:]": lambda m, x: x[:],
    "x[None]": lambda m, x: x[None],
    "x[..., 0]": lambda m, x: x[..., 0],
    "x[0, 1:]": lambda m, x: x[0, 1:],
    "x[...]": lambda m, x: x[...],
    "x[()]": lambda m, x: x[()],
    "x[::2, -1]": lambda m, x: x[::2, -1],
    "x[-1, ::3]": lambda m, x: x[-1, ::3],
    "x[0, 0]": lambda m, x: x[0, 0],
    "x[tensor(1)]": lambda m, x: x[m.tensor(1)],
    "x[True]": lambda m, x: x[True],
    "x[False]": lambda m, x: x[False],
    "x[[0,0,2]]": lambda m, x: x[[0, 0, 2]],
    "x[:, [1,1]]": lambda m, x: x[:, [1, 1]],
    "x[x>0]": lambda m, x: x[x > 0],
    "x[[0,1],[1,1]]": lambda m, x: x[[0, 1], [1, 1]],
    "x[None,[0,0],1:]": lambda m, x: x[None, [0, 0], 1:],
    "x[[0,2],None,[1,3]]": lambda m, x: x[[0, 2], None, [1, 3]],
    "x[tensor2d]": lambda m, x: x[m.tensor([[0, 1], [2, 2]])],
    "x[1:][[0,1,1]]": lambda m, x: x[1:][[0, 1, 1]],
    "x[[True,False,True]]": lambda m, x: x[[True, False, True]],
    "reshape": lambda m, x: x.reshape(2, 6),
    "reshape-noncontig": lambda m, x: x.t().reshape(12),
    "view-1": lambda m, x: x.view(-1, 2),
    "flatten": lambda m, x: x.flatten(),
    "squeeze()": lambda m, x: x[None].squeeze(),
    "squeeze(0)": lambda m, x: x[None].squeeze(0),
    "squeeze((0,))": lambda m, x: x[None].squeeze((0,)),
    "permute": lambda m, x: x.permute(1, 0),
    "transpose": lambda m, x: x.transpose(0, -1),
    "cat": lambda m, x: m.cat([x, x * 2], 1),
    "cat-legacy-empty": lambda m, x: m.cat([x, m.tensor([], dtype=m.float64)]),
    "concat": lambda m, x: m.concat([x, x[:1]]),
    "concatenate": lambda m, x: m.concatenate([x, x], -1),
    "stack": lambda m, x: m.stack([x, x], 2),
    "split-int": lambda m, x: x.split(2),
    "split-list": lambda m, x: x.split([1, 3], 1),
    "chunk": lambda m, x: x.chunk(3, 1),
    "unbind": lambda m, x: x.unbind(1),
    "narrow": lambda m, x: x.narrow(1, 1, 2),
    "select": lambda m, x: x.select(1, -1),
    "movedim": lambda m, x: x.movedim(0, 1),
    "repeat": lambda m, x: x.repeat(2, 1, 3),
    "flip": lambda m, x: x.flip(0, 1),
    "roll-flat": lambda m, x: x.roll(1),
    "roll-dims": lambda m, x: x.roll((1, 2), (0, 1)),
    "tril": lambda m, x: x.tril(1),
    "triu": lambda m, x: x.triu(-1),
    "index_select": lambda m, x: x.index_select(1, m.tensor([0, 0, 3])),
    "gather": lambda m, x: x.gather(1, m.tensor([[0, 0], [1, 3], [2, 2]])),
    "take_along_dim": lambda m, x: m.take_along_dim(x, m.tensor([[0], [1], [2]]), 1),
    "scatter-value": lambda m, x: x.scatter(1, m.tensor([[0], [1], [2]]), 1.0),
    "scatter-src": lambda m, x: x.scatter(1, m.tensor([[0], [1], [2]]), x[:, 1:2] * 3),
    "scatter_add": lambda m, x: x.scatter_add(1, m.tensor([[0, 0], [1, 1], [2, 2]]), x[:, 1:3] * 3),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, 2.0),
    "masked_fill-tensor": lambda m, x: x.masked_fill(x > 0, x[0, 0] * 2),
    "diagonal": lambda m, x: x.diagonal(1),
    "diagonal-neg": lambda m, x: x.diagonal(-1, 1, 0),
    "diagonal-inplace": lambda m, x: _diag_add(x * 1),
    "masked_fill_": lambda m, x: (x * 1).masked_fill_(x < 0, 0.5),
    "scatter_add_": lambda m, x: (x * 1)[1:].scatter_add_(1, m.tensor([[0, 0], [3, 3]]), x[:2, :2]),
    "index_put": lambda m, x: m.index_put(x, (m.tensor([0, 0]),), x[1] * 2, accumulate=True),
}


def _diag_add(y: Any) -> Any:
    y.diagonal().mul_(3)  # in place on a view: the base gets CopySlices
    return y


@pytest.mark.parametrize("name", list(OPS))
def test_op_matches_torch(name: str) -> None:
    _check_op(OPS[name], A34)


def test_nonzero_matches_torch() -> None:
    arr = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])
    nt, nr = torch.tensor(arr).nonzero(), re_.tensor(arr).nonzero()
    assert str(nr.dtype) == str(nt.dtype)
    assert_close(nr.numpy(), nt.numpy(), "nonzero")
    for a, b in zip(re_.tensor(arr).nonzero(as_tuple=True), torch.tensor(arr).nonzero(as_tuple=True), strict=True):
        assert_close(a.numpy(), b.numpy(), "nonzero(as_tuple)")


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: x[0, 1:],
        lambda m, x: x[None, 0],
        lambda m, x: x[1:, None, 0],
        lambda m, x: x[None, ..., None],
        lambda m, x: x[:, [0, 1]][0],
        lambda m, x: x[:, :, None],
        lambda m, x: x[0:3, ..., :],
        lambda m, x: x[[0, 1], 1:],
        lambda m, x: x[True],
        lambda m, x: x.t().reshape(12),
    ],
)
def test_grad_fn_chain_matches_torch(fn: Fn) -> None:
    xt, xr = _leaves(A34)
    assert first_edge_chain(fn(re_, xr)) == first_edge_chain(fn(torch, xt))


def test_flatten_of_1d_is_self_and_views_have_base() -> None:
    xt, xr = _leaves(np.arange(5.0))
    assert (xr.flatten() is xr) == (xt.flatten() is xt)
    for f in (lambda x: x.reshape(5), lambda x: x[1:], lambda x: x.split(2)[1], lambda x: x.unbind()[0]):
        assert (f(xr)._base is xr) == (f(xt)._base is xt)


@pytest.mark.parametrize(
    "types", [(torch.float64, torch.int64), (torch.int32, torch.float16), (torch.int64, torch.bool)]
)
def test_cat_stack_promote_dtypes(types: tuple) -> None:
    def build(m: Any) -> list:
        return [m.ones(2, 3, dtype=getattr(m, str(d).split(".")[1])) for d in types]

    for op in ("cat", "stack"):
        yt, yr = getattr(torch, op)(build(torch)), getattr(re_, op)(build(re_))
        assert str(yr.dtype) == str(yt.dtype)
        assert_close(yr.numpy(), yt.numpy(), op)


# --------------------------------------------------------------------------- hypothesis
@st.composite
def _shape_and_perm(draw: Any) -> tuple:
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
    perm = draw(st.permutations(range(len(shape))))
    return shape, tuple(perm)


@settings(max_examples=25, deadline=None)
@given(_shape_and_perm(), st.integers(0, 2**16))
def test_hyp_reshape_permute_transpose(sp: tuple, seed: int) -> None:
    shape, perm = sp
    arr = np.random.default_rng(seed).standard_normal(shape)
    n = int(np.prod(shape))
    _check_op(lambda m, x: x.permute(*perm).reshape(-1, 1), arr)
    _check_op(lambda m, x: x.reshape(n), arr)
    _check_op(lambda m, x: x.transpose(0, -1), arr)
    _check_op(lambda m, x: x.permute(*perm), arr)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3), st.integers(0, 1), st.integers(0, 2**16))
def test_hyp_cat_stack(sizes: list[int], dim: int, seed: int) -> None:
    arr = np.random.default_rng(seed).standard_normal((sum(sizes), 2))

    def cat_fn(m: Any, x: Any) -> Any:
        parts = list(x.split(sizes)) if dim == 0 else [p.t() for p in x.split(sizes)]
        return m.cat([p * (i + 1) for i, p in enumerate(parts)], dim if dim == 0 else 1)

    _check_op(cat_fn, arr)
    _check_op(lambda m, x: m.stack([x, x * 2, x.flip(0)], dim), arr)


@st.composite
def _index(draw: Any) -> tuple:
    """A random valid index for a (3, 4, 2) tensor mixing basic and advanced elements."""
    shape = (3, 4, 2)
    out: list[Any] = []
    for size in shape:
        kind = draw(st.sampled_from(["int", "slice", "none+slice", "list", "skip"]))
        if kind == "int":
            out.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            out.append(slice(start, stop, draw(st.one_of(st.none(), st.integers(1, 3)))))
        elif kind == "none+slice":
            out += [None, slice(None)]
        elif kind == "list":
            out.append(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=4)))
        else:
            break
    if draw(st.booleans()) and len(out) < 3:
        out.insert(draw(st.integers(0, len(out))), Ellipsis)
    lists = [e for e in out if isinstance(e, list)]
    for e in lists[1:]:  # advanced indices must broadcast together: give them one length
        e[:] = (e * len(lists[0]))[: len(lists[0])]
    if all(e is Ellipsis for e in out):
        out.append(0)  # x[...] = v on the tensor itself: see test_setitem_whole_tensor_grad_fn
    return tuple(out)


@settings(max_examples=25, deadline=None)
@given(_index(), st.integers(0, 2**16))
def test_hyp_getitem(index: tuple, seed: int) -> None:
    arr = np.random.default_rng(seed).standard_normal((3, 4, 2))
    expected = error_signature(lambda: torch.tensor(arr)[index])
    if expected is not None:  # an Ellipsis can move an int onto a shorter dim: same error expected
        assert error_signature(lambda: re_.tensor(arr)[index]) == expected
        return
    _check_op(lambda m, x: (x * 1)[index], arr)


@settings(max_examples=25, deadline=None)
@given(_index(), st.integers(0, 2**16))
def test_hyp_setitem(index: tuple, seed: int) -> None:
    arr = np.random.default_rng(seed).standard_normal((3, 4, 2))
    xt, xr = _leaves(arr)
    vt = torch.tensor(2.5, dtype=torch.float64, requires_grad=True)
    vr = re_.tensor(2.5, dtype=re_.float64, requires_grad=True)
    expected = error_signature(lambda: torch.tensor(arr).__setitem__(index, 1.0))
    if expected is not None:
        assert error_signature(lambda: re_.tensor(arr).__setitem__(index, 1.0)) == expected
        return
    yt, yr = xt * 1, xr * 1
    yt[index] = vt * 2
    yr[index] = vr * 2
    assert grad_fn_name(yr) == grad_fn_name(yt)
    assert_close(yr.detach().numpy(), yt.detach().numpy(), "value")
    w = np.random.default_rng(seed + 1).standard_normal(arr.shape)
    (yt * torch.tensor(w)).sum().backward()
    (yr * re_.tensor(w)).sum().backward()
    assert_close(xr.grad.numpy(), xt.grad.numpy(), "x grad")
    assert_close(vr.grad.numpy(), vt.grad.numpy(), "value grad")


# --------------------------------------------------------------------------- views and versions
def test_view_shares_memory_and_version_counter() -> None:
    for m in (torch, re_):
        base = m.zeros(3, 4, dtype=m.float64)
        views = [base[1], base[:, 1:], base.view(12), base.t(), base.split(2)[1], base.unbind(1)[2]]
        base.add_(1)
        for v in views:
            assert v._version == base._version == 1
            assert float(v.sum()) == float(v.numel())


def _saved_view_error(m: Any, modify: Callable[[Any, Any], Any]) -> tuple[str, str] | None:
    x = m.tensor(A34, requires_grad=True)
    y = x * 1
    v = y[1:]
    out = (v * v).sum()  # mul saves the view
    modify(y, v)  # bumps the version counter the view shares with its base
    return error_signature(out.backward)


def test_modified_saved_view_raises_torch_error() -> None:
    expected = _saved_view_error(torch, lambda y, v: v.add_(1))
    assert expected is not None
    assert _saved_view_error(re_, lambda y, v: v.add_(1)) == expected


def test_modified_base_of_saved_view_names_as_strided() -> None:
    # torch regenerates the view's grad_fn as AsStridedBackward0 once its base is modified in place
    expected = _saved_view_error(torch, lambda y, v: y.add_(1))
    assert expected is not None
    assert _saved_view_error(re_, lambda y, v: y.add_(1)) == expected


def test_repeated_advanced_indices_accumulate() -> None:
    xt, xr = _leaves(np.arange(4.0))
    idx = [0, 0, 3, 0]
    (xt[idx] * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
    (xr[idx] * re_.tensor([1.0, 2.0, 3.0, 4.0], dtype=re_.float64)).sum().backward()
    assert_close(xr.grad.numpy(), xt.grad.numpy(), "grad")
    assert xt.grad[0].item() == 7.0  # accumulated, not overwritten


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, y, v: y.__setitem__(0, 5.0),
        lambda m, y, v: y.__setitem__((slice(None), 1), v[:3] * 2),
        lambda m, y, v: y.__setitem__([0, 0], v),
        lambda m, y, v: y.__setitem__((slice(1, None), [0, 0]), v[0]),
        lambda m, y, v: y.__setitem__(y > 0, v[1]),
        lambda m, y, v: y.__setitem__(1, v[None]),
        lambda m, y, v: y.__setitem__((0, slice(None, None, 2)), 7),
        lambda m, y, v: y.__setitem__((slice(None), 0), 3),
    ],
)
def test_setitem_on_non_leaf_matches_torch(fn: Callable) -> None:
    def run(m: Any) -> tuple:
        x = m.tensor(A34, requires_grad=True)
        v = m.tensor(np.arange(4.0), requires_grad=True)
        y = x * 1
        fn(m, y, v)
        (y * m.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
        vg = None if v.grad is None else v.grad.numpy()
        return grad_fn_name(y), y.detach().numpy().copy(), x.grad.numpy(), vg, y._version

    rt, rr = run(torch), run(re_)
    assert rr[0] == rt[0]
    assert rr[4] == rt[4]
    for a, e in zip(rr[1:4], rt[1:4], strict=True):
        assert (a is None) == (e is None)
        if e is not None:
            assert_close(a, e, "setitem")


def test_setitem_whole_tensor_grad_fn() -> None:
    names = []
    for m in (torch, re_):
        y = m.tensor(A34, requires_grad=True) * 1
        y[...] = 5
        names.append(grad_fn_name(y))
    assert names[1] == names[0]


def test_setitem_casts_scalars_and_basic_values_to_target_dtype() -> None:
    for m in (torch, re_):
        x = m.zeros(3, dtype=m.int64)
        x[1] = 2.7
        x[[0]] = 5.9
        x[2:] = m.tensor([4.2])
        assert x.tolist() == [5, 2, 4]


# --------------------------------------------------------------------------- errors
ERRORS: list[Fn] = [
    lambda m, x: x[5], lambda m, x: x[-4], lambda m, x: x[0, 5], lambda m, x: x[0, 0, 0], lambda m, x: x[[5]],
    lambda m, x: x[[0], [7]], lambda m, x: x[m.tensor([True, False])], lambda m, x: x[1.5], lambda m, x: x[::-1],
    lambda m, x: x[::0], lambda m, x: x[m.tensor([0.0])], lambda m, x: m.cat([]), lambda m, x: m.cat([x, m.ones(2, 3)]),
    lambda m, x: m.cat([x, m.ones(3)]), lambda m, x: m.cat([x], 2), lambda m, x: m.cat(x), lambda m, x: m.stack([]),
    lambda m, x: m.stack([x, m.ones(2, 3)]), lambda m, x: m.stack([x], 3), lambda m, x: x.view(5),
    lambda m, x: x.view(-1, -1), lambda m, x: x.t().view(12), lambda m, x: x.reshape(5), lambda m, x: x.view(-2, 6),
    lambda m, x: x.squeeze(2), lambda m, x: x.unsqueeze(3), lambda m, x: x.permute(0), lambda m, x: x.permute(0, 0),
    lambda m, x: x.transpose(0, 2), lambda m, x: x.flatten(1, 0), lambda m, x: x.expand(2, 4),
    lambda m, x: x.expand(4), lambda m, x: x.narrow(0, 2, 2), lambda m, x: x.select(0, 3), lambda m, x: x.split(0),
    lambda m, x: x.split([1, 1]), lambda m, x: x.chunk(0), lambda m, x: x.repeat(2),
    lambda m, x: x.index_select(0, m.tensor([3])), lambda m, x: x.index_select(0, m.tensor([[0]])),
    lambda m, x: x.index_select(0, m.tensor([0.0])), lambda m, x: x.gather(1, m.tensor([[4]])),
    lambda m, x: x.gather(1, m.tensor([0])), lambda m, x: x.masked_fill(m.tensor([1, 0, 1, 1]), 0.0),
    lambda m, x: x.masked_fill(x > 0, m.tensor([1.0, 2.0])), lambda m, x: x.movedim((0, 1), (0,)),
    lambda m, x: x.flip(0, 0), lambda m, x: x.roll(1, (0, 1)), lambda m, x: m.ones(3).tril(),
    lambda m, x: (x * 1).__setitem__(5, 1.0), lambda m, x: x.__setitem__(0, 1.0), lambda m, x: x.__setitem__([0], 1.0),
    lambda m, x: (x * 1).__setitem__(0, m.ones(3)), lambda m, x: (x * 1).__setitem__([0, 1], m.ones(3)),
    lambda m, x: (x * 1).__setitem__([0], m.tensor(1.0)), lambda m, x: m.zeros(3, dtype=m.int64).__setitem__([0], m.tensor([1], dtype=m.int32)),
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_error_matches_torch(i: int) -> None:
    expected = error_signature(lambda: ERRORS[i](torch, torch.tensor(A34, requires_grad=True)))
    assert expected is not None, "the case must raise in torch"
    assert error_signature(lambda: ERRORS[i](re_, re_.tensor(A34, requires_grad=True))) == expected


# --------------------------------------------------------------------------- finite differences (engine only)
FD_OPS: dict[str, Callable[[Any], Any]] = {
    "getitem-mixed": lambda x: x[[0, 2, 0], 1:] ** 2,
    "cat-stack": lambda x: re_.stack([re_.cat([x, x * x], 1), re_.cat([x * 3, x], 1)]),
    "repeat-roll": lambda x: x.repeat(2, 2).roll(3) * re_.tensor(np.arange(48.0).reshape(6, 8)),
    "gather-scatter_add": lambda x: x.scatter_add(1, re_.tensor([[0, 0], [1, 1], [3, 3]]), x[:, :2] * x[:, 2:]),
    "split-unbind": lambda x: x.split([1, 2])[1].unbind(1)[2] * x.chunk(2, 1)[0][0, 1],
    "setitem": lambda x: _setitem_fd(x),
    "diagonal-flip-tril": lambda x: x.diagonal(1) * x.flip(1).tril().sum(0)[:3],
}


def _setitem_fd(x: Any) -> Any:
    y = x * x
    y[1:, [0, 2]] = x[0, :2] * 3  # distinct positions: a repeated one makes the value ill-posed
    y[0] = y[2] * 2
    return y


@pytest.mark.parametrize("name", list(FD_OPS))
def test_engine_backward_matches_finite_differences(name: str) -> None:
    fn = FD_OPS[name]
    arr = np.random.default_rng(3).standard_normal((3, 4))
    x = re_.tensor(arr, requires_grad=True)
    fn(x).sum().backward()
    eps, numeric = 1e-6, np.zeros_like(arr)
    for i in np.ndindex(arr.shape):
        hi, lo = arr.copy(), arr.copy()
        hi[i] += eps
        lo[i] -= eps
        numeric[i] = (fn(re_.tensor(hi)).sum().item() - fn(re_.tensor(lo)).sum().item()) / (2 * eps)
    diff = compare_arrays(x.grad.numpy(), numeric, tolerance=None)
    assert np.allclose(x.grad.numpy(), numeric, rtol=1e-5, atol=1e-6), diff.describe()


def test_double_backward_through_select_and_index_matches_torch() -> None:
    def run(m: Any) -> tuple:
        x = m.tensor(A34, requires_grad=True)
        y = (x[1:, [0, 0, 2]] ** 3).sum() + (x[0] ** 2).sum()
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (g * g).sum().backward()
        return g.detach().numpy(), x.grad.numpy()

    for a, e in zip(run(re_), run(torch), strict=True):
        assert_close(a, e, "double backward")


@pytest.mark.parametrize(
    "key", ["x[range(2)]", "x[:, range(0, 3, 2)]", "x[range(1, 2), range(2)]", "x[range(0)]", "x[[]]"]
)
def test_a_python_range_indexes_as_its_list(key: str) -> None:
    def run(lib: Any) -> Any:
        x = lib.arange(18.0).reshape(2, 3, 3).requires_grad_()
        y = eval(key, {"x": x})
        y.sum().backward()
        return y.detach().numpy().tolist(), list(y.shape), type(y.grad_fn).__name__, x.grad.numpy().tolist()

    assert run(re_) == run(torch)


RESHAPE_CASES = {
    "contiguous": lambda m, b: b.reshape(24),
    "transposed, same shape": lambda m, b: b.t().reshape(6, 4),
    "transposed, flattened (a copy)": lambda m, b: b.t().reshape(24),
    "transposed, a dim split": lambda m, b: b.t().reshape(3, 2, 4),
    "rows sliced": lambda m, b: b[1:].reshape(18),
    "columns sliced (a copy)": lambda m, b: b[:, 1:].reshape(20),
    "columns sliced, viewable": lambda m, b: b[:, 1:].reshape(4, 5, 1),
    "expanded, viewable": lambda m, b: b[:1].expand(4, 6).reshape(4, 2, 3),
    "every other row (a copy)": lambda m, b: b[::2].reshape(12),
    "flatten of a transpose": lambda m, b: b.t().flatten(),
}


@pytest.mark.parametrize("name", list(RESHAPE_CASES))
def test_reshape_records_torchs_node(name: str) -> None:
    """torch's reshape: a view of a contiguous input (ViewBackward0), _reshape_alias of a non-contiguous one
    it can view (ReshapeAliasBackward0), a copy otherwise (UnsafeViewBackward0)."""
    got = []
    for m in (torch, re_):
        base = m.arange(24.0).reshape(4, 6).requires_grad_() * 1
        y = RESHAPE_CASES[name](m, base)
        got.append((type(y.grad_fn).__name__, y._base is not None, y.detach().numpy().tolist()))
    assert got[1] == got[0]
