"""Sorting, scans, shape helpers, index ops and extra math (ops/sorting.py, scan.py, shape.py, indexing.py, pointwise.py)
against real torch.

Each case runs the same program on torch and on the engine from the same float64 leaves and compares: the
value, dtype and shape of every output, the whole grad_fn chain of each differentiable output, and the
leaves' gradients of a weighted sum of the outputs. Error cases compare the exception type and message.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from tests.helpers import check_xv_program, error_signature

Fn = Callable[[Any, Any, Any], Any]
_RNG = np.random.default_rng(0)
X = _RNG.standard_normal((3, 4))  # distinct values: topk/kthvalue ties are not part of the contract
V = _RNG.standard_normal(4)


# --------------------------------------------------------------------------- helpers
def _outputs(y: Any) -> list[Any]:
    return list(y) if isinstance(y, tuple | list) else [y]


def check(fn: Fn) -> None:
    check_xv_program(fn, X, V)


# --------------------------------------------------------------------------- value / grad / grad_fn cases
CASES: dict[str, Fn] = {
    # sorting and scans
    "sort": lambda m, x, v: m.sort(x),
    "sort_dim0_desc": lambda m, x, v: m.sort(x, 0, descending=True),
    "sort_method_stable": lambda m, x, v: x.sort(dim=1, stable=True, descending=True),
    "sort_stable_false": lambda m, x, v: m.sort(x, stable=False),
    "argsort": lambda m, x, v: m.argsort(x, dim=0, descending=True),
    "argsort_method": lambda m, x, v: x.argsort(stable=True),
    "msort": lambda m, x, v: m.msort(x),
    "topk": lambda m, x, v: m.topk(x, 2),
    "topk_smallest_dim0": lambda m, x, v: x.topk(2, dim=0, largest=False),
    "topk_k0": lambda m, x, v: m.topk(v, 0),
    "kthvalue": lambda m, x, v: m.kthvalue(x, 2, 0),
    "kthvalue_keepdim": lambda m, x, v: x.kthvalue(3, keepdim=True),
    "cumprod": lambda m, x, v: m.cumprod(x, 1),
    "cumprod_zeros": lambda m, x, v: m.cumprod(m.relu(x), 0),
    "cumprod_dtype": lambda m, x, v: x.cumprod(-1, dtype=m.float32),
    "cumprod_float32": lambda m, x, v: m.cumprod(x.float() * 2, 1),
    "cumprod_inplace": lambda m, x, v: (x * 1).cumprod_(0),
    "cummax": lambda m, x, v: m.cummax(x, 1),
    "cummin": lambda m, x, v: x.cummin(0),
    "sort_0d": lambda m, x, v: m.sort(x[0, 0]),
    "cummax_0d": lambda m, x, v: m.cummax(x[0, 0], 0),
    # shape helpers
    "diag_1d": lambda m, x, v: m.diag(v, 1),
    "diag_2d": lambda m, x, v: x.diag(-1),
    "trace": lambda m, x, v: m.trace(x),
    "meshgrid_ij": lambda m, x, v: m.meshgrid(v, x[0], indexing="ij"),
    "meshgrid_xy": lambda m, x, v: m.meshgrid([v, x[0], x[1, :2]], indexing="xy"),
    "tile": lambda m, x, v: m.tile(v, (2, 2)),
    "tile_short": lambda m, x, v: x.tile((2,)),
    "repeat_interleave": lambda m, x, v: m.repeat_interleave(x, 2),
    "repeat_interleave_dim": lambda m, x, v: x.repeat_interleave(2, dim=1),
    "repeat_interleave_tensor": lambda m, x, v: m.repeat_interleave(x, m.tensor([1, 2, 0]), dim=0),
    "repeat_interleave_one": lambda m, x, v: m.repeat_interleave(x, m.tensor([2]), dim=0),
    "repeat_interleave_index": lambda m, x, v: m.repeat_interleave(m.tensor([2, 0, 1])),
    "hstack_1d": lambda m, x, v: m.hstack([v, v]),
    "hstack_2d": lambda m, x, v: m.hstack((x, x)),
    "vstack": lambda m, x, v: m.vstack([v, x]),
    "dstack_1d": lambda m, x, v: m.dstack([v, v]),
    "dstack_2d": lambda m, x, v: m.dstack([x, x]),
    "column_stack": lambda m, x, v: m.column_stack([v, x.t(), v * 2]),
    "atleast": lambda m, x, v: (*m.atleast_2d(v, x[0, 0]), m.atleast_3d(x), m.atleast_1d(x[0, 0])),
    "tensor_split_sections": lambda m, x, v: m.tensor_split(x, 3, dim=1),
    "tensor_split_indices": lambda m, x, v: x.tensor_split([1, 5], dim=1),
    "tensor_split_tensor": lambda m, x, v: m.tensor_split(x, m.tensor([1, 2])),
    "broadcast_tensors": lambda m, x, v: m.broadcast_tensors(x, v, x[0, :1]),
    "diff": lambda m, x, v: m.diff(x, n=2, dim=0),
    "diff_prepend_append": lambda m, x, v: x.diff(prepend=x[:, :1], append=x[:, 1:]),
    "diff_int": lambda m, x, v: m.diff(m.tensor([1, 4, 9, 16])),
    "diff_bool": lambda m, x, v: m.diff(x > 0),
    "rot90": lambda m, x, v: m.rot90(x),
    "rot90_k3": lambda m, x, v: x.rot90(3, [1, 0]),
    "rot90_k0": lambda m, x, v: m.rot90(x, 0),
    "take": lambda m, x, v: m.take(x, m.tensor([[0, 5], [-1, 5]])),
    "masked_select": lambda m, x, v: m.masked_select(x, x > 0),
    "masked_select_broadcast": lambda m, x, v: v.masked_select(x > 0),
    "masked_select_0d": lambda m, x, v: m.masked_select(x[0, 0], m.tensor(True)),
    "index_add": lambda m, x, v: x.index_add(0, m.tensor([0, 0]), x[:2] * 2, alpha=3),
    "index_add_int32_index": lambda m, x, v: m.index_add(x, 1, m.tensor([1], dtype=m.int32), v[:3].reshape(3, 1)),
    "index_copy": lambda m, x, v: x.index_copy(1, m.tensor([3, 0]), x[:, :2] * 2),
    "index_fill": lambda m, x, v: x.index_fill(1, m.tensor([3, 0]), 2.0),
    "index_fill_tensor": lambda m, x, v: m.index_fill(x, 1, m.tensor([3, 0]), v[0]),
    "index_add_inplace": lambda m, x, v: (x * 1).index_add_(0, m.tensor([0, 0]), x[:2] * 2),
    "index_copy_inplace": lambda m, x, v: (x * 1).index_copy_(0, m.tensor([2]), x[:1]),
    "index_fill_inplace": lambda m, x, v: (x * 1).index_fill_(1, m.tensor([1]), -1),
    "index_fill_negative": lambda m, x, v: x.index_fill(0, m.tensor([0, -1]), 2.0),
    "nan_to_num": lambda m, x, v: m.nan_to_num(m.log(x)),
    "nan_to_num_inplace": lambda m, x, v: m.log(x).nan_to_num_(nan=1.0, posinf=3.0),
    "nan_to_num_float32": lambda m, x, v: m.nan_to_num(m.log(x.float())),
    "nan_to_num_int": lambda m, x, v: m.nan_to_num(m.tensor([1, 2])),
    # math
    "atan2": lambda m, x, v: m.atan2(x, v),
    "arctan2_method": lambda m, x, v: x.arctan2(v),
    "atan2_int": lambda m, x, v: m.atan2(m.tensor([1, -2, 0]), m.tensor([0, 3, 1])),
    "atan2_mixed": lambda m, x, v: m.atan2(x.float(), v),
    "hypot": lambda m, x, v: m.hypot(x, v),
    "logaddexp": lambda m, x, v: m.logaddexp(x, v),
    "logaddexp2": lambda m, x, v: x.logaddexp2(v),
    "copysign": lambda m, x, v: m.copysign(x, v),
    "copysign_scalar": lambda m, x, v: x.copysign(-1.0),
    "copysign_int": lambda m, x, v: m.copysign(m.tensor([1, -2]), -1),
    "signbit": lambda m, x, v: m.signbit(m.cat([x.reshape(-1), m.tensor([-0.0, 0.0])])),
    "signbit_int": lambda m, x, v: m.tensor([-1, 0, 2]).signbit(),
    "signbit_uint8_bool": lambda m, x, v: (m.signbit(m.tensor([0, 3], dtype=m.uint8)), m.signbit(x > 0)),
    "heaviside": lambda m, x, v: m.heaviside(x.detach(), v.detach()),
    "heaviside_int": lambda m, x, v: m.heaviside(m.tensor([-1, 0, 2]), m.tensor([5])),
    "frac": lambda m, x, v: m.frac(x * 3),
    "deg2rad": lambda m, x, v: x.deg2rad(),
    "rad2deg_float32": lambda m, x, v: m.rad2deg(x.float() * 3),
    "deg2rad_int": lambda m, x, v: m.deg2rad(m.tensor([90, 180])),
    "frac_inplace": lambda m, x, v: (x * 3).frac_(),
    "nansum": lambda m, x, v: m.nansum(m.log(x)),
    "nansum_dim": lambda m, x, v: m.log(x).nansum(1, keepdim=True),
    "nansum_int": lambda m, x, v: m.nansum(m.tensor([[1, 2], [3, 4]], dtype=m.int32), 0),
    "nanmean_dim": lambda m, x, v: m.nanmean(m.log(x), 0),
    "nanmean": lambda m, x, v: m.log(x).nanmean(),
    "var_mean": lambda m, x, v: m.var_mean(x, 1),
    "var_mean_all": lambda m, x, v: m.var_mean(x, unbiased=False),
    "std_mean": lambda m, x, v: m.std_mean(x, 0, keepdim=True, correction=0),
    "std_mean_all": lambda m, x, v: m.std_mean(x),
    "logspace": lambda m, x, v: (m.logspace(-1, 1, 4, dtype=m.float64), m.logspace(0, 2, 5), m.logspace(0, 1, 1)),
    "logspace_int": lambda m, x, v: m.logspace(0, 2, 5, base=2, dtype=m.int64),
    "addmv": lambda m, x, v: m.addmv(x[:, 0], x, v, beta=0.5, alpha=2.0),
    "addmv_inplace": lambda m, x, v: (x[:, 0] * 1).addmv_(x, v),
    "addr": lambda m, x, v: m.addr(x, x[:, 1], v, alpha=3),
    "addr_beta0": lambda m, x, v: x.addr(x[:, 1], v, beta=0),
    "addr_int": lambda m, x, v: m.addr(m.zeros(2, 3, dtype=m.long), m.tensor([1, 2]), m.tensor([1, 2, 3]), alpha=2),
    "addr_promote": lambda m, x, v: m.addr(x.detach().float(), x[:, 1].detach(), v.detach().float()),
    "baddbmm": lambda m, x, v: m.baddbmm(
        x, x.reshape(1, 3, 4).expand(2, 3, 4), m.stack([x.t() @ x, v.outer(v)]), beta=2.0
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_torch(name: str) -> None:
    check(CASES[name])


# --------------------------------------------------------------------------- results, ties and NaN
@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("sort", lambda m: m.sort(m.tensor([3.0, 1.0]))),
        ("topk", lambda m: m.topk(m.tensor([3.0, 1.0]), 1)),
        ("kthvalue", lambda m: m.kthvalue(m.tensor([3.0, 1.0]), 1)),
        ("cummax", lambda m: m.cummax(m.tensor([3.0, 1.0]), 0)),
        ("cummin", lambda m: m.cummin(m.tensor([3.0, 1.0]), 0)),
    ],
)
def test_named_tuple_results(name: str, fn: Callable[[Any], Any]) -> None:
    r, t = fn(re_), fn(torch)
    assert type(r).__name__ == type(t).__name__ == name
    values, indices = r
    assert values is r.values and indices is r.indices
    assert repr(r) == repr(t)


def test_indices_do_not_require_grad() -> None:
    x = re_.tensor(X, requires_grad=True)
    for res in (re_.sort(x), re_.topk(x, 2), re_.kthvalue(x, 1), re_.cummax(x, 0), re_.cummin(x, 1)):
        assert res.values.requires_grad and not res.indices.requires_grad
        assert res.indices.grad_fn is None and str(res.indices.dtype) == "torch.int64"
    assert not re_.argsort(x).requires_grad


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.sort(m.tensor([[3.0, 1.0, 2.0, 1.0], [float("nan"), 0.0, -1.0, 0.0]]), descending=True),
        lambda m: m.sort(m.tensor([1, 0, 1, 0, 1]), stable=True, descending=True),
        lambda m: m.sort(m.tensor([True, False, True])),
        lambda m: m.argsort(m.tensor([[3.0, 1.0, 2.0, 1.0], [float("nan"), 0.0, -1.0, 0.0]]), stable=True),
        lambda m: m.cummax(m.tensor([1.0, 3.0, 3.0, 2.0, float("nan"), 5.0, float("nan")]), 0),
        lambda m: m.cummin(m.tensor([1, 0, 0, 2]), 0),
        lambda m: m.cummax(m.tensor([True, False, True]), 0),
        lambda m: m.cumprod(m.tensor([1, 2, 3]), 0),
        lambda m: m.cumprod(m.tensor([True, False]), 0),
        lambda m: m.cumprod(m.tensor([1, 2], dtype=m.int32), 0),
        lambda m: m.topk(m.tensor([1, 5, 3]), 2),
        lambda m: m.unique(m.tensor([3.0, 1.0, 2.0, 1.0, 3.0]), return_inverse=True, return_counts=True),
        lambda m: m.unique(m.tensor([[1, 2], [1, 2], [0, 5]]), dim=0, return_inverse=True),
        lambda m: m.tensor([3, 1, 2, 1]).unique(sorted=False),
        lambda m: m.bincount(m.tensor([0, 1, 1, 3])),
        lambda m: m.bincount(m.tensor([0, 1, 1, 3]), minlength=6),
        lambda m: m.bincount(m.tensor([0, 1, 1, 3]), weights=m.tensor([0.5, 1.0, 1.0, 2.0])),
        lambda m: m.bincount(m.tensor([0, 1]), weights=m.tensor([1, 2])),
        lambda m: m.bincount(m.tensor([], dtype=m.long)),
        lambda m: m.searchsorted(m.tensor([1.0, 2.0, 2.0, 4.0]), m.tensor([2.0, 3.0, 5.0, 0.0])),
        lambda m: m.searchsorted(m.tensor([1.0, 2.0, 2.0, 4.0]), m.tensor([2.0, 3.0]), right=True),
        lambda m: m.searchsorted(m.tensor([1.0, 2.0, 2.0, 4.0]), 2.0),
        lambda m: m.searchsorted(m.tensor([1.0, 2.0, 4.0]), m.tensor([2.0]), side="right", out_int32=True),
        lambda m: m.searchsorted(m.tensor([[1, 3], [2, 4]]), m.tensor([[2], [3]])),
        lambda m: m.searchsorted(m.tensor([4.0, 1.0, 2.0]), m.tensor([2.0]), sorter=m.tensor([1, 2, 0])),
        lambda m: m.nan_to_num(m.tensor([float("nan"), float("inf"), -float("inf"), 1.5]), posinf=5.0),
        lambda m: m.trace(m.tensor([[1, 2], [3, 4]])),
        lambda m: m.diag(m.tensor([[1, 2, 3], [4, 5, 6]]), 1),
    ],
)
def test_ties_nan_and_integer_inputs(fn: Callable[[Any], Any]) -> None:
    r, t = _outputs(fn(re_)), _outputs(fn(torch))
    assert len(r) == len(t)
    for a, b in zip(r, t, strict=True):
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_float32_scans_accumulate_in_float64() -> None:
    # torch keeps float32 running sums and products in double (its accumulate type) and rounds each output
    arr = _RNG.standard_normal((4, 300)).astype(np.float32) * 1.01
    for op in ("cumsum", "cumprod"):
        got = getattr(re_, op)(re_.tensor(arr), 1).numpy()
        np.testing.assert_array_equal(got, getattr(torch, op)(torch.tensor(arr), 1).numpy())


def test_cumprod_double_backward_with_zeros() -> None:
    arr = np.array([[1.0, 2.0, 0.0, 3.0], [2.0, 0.0, 0.0, 0.5], [1.5, -1.0, 2.0, 0.5]])
    grads = []
    for m in (torch, re_):
        x = m.tensor(arr, requires_grad=True)
        (g,) = m.autograd.grad((m.cumprod(x, 1) * m.tensor(arr + 1)).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        grads.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-12)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-12)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.sort(x)[0] ** 2,
        lambda m, x: m.topk(x, 2, 0).values ** 3,
        lambda m, x: m.cummax(x, 1).values ** 2,
        lambda m, x: m.atan2(x, x.flip(0)),
        lambda m, x: m.logaddexp(x, x * 2),
        lambda m, x: m.std_mean(x, 1)[0] * m.var_mean(x, 0)[1].sum(),
        lambda m, x: m.take(x, m.tensor([1, 1, 3])) ** 2,
        lambda m, x: m.masked_select(x, x > 0) ** 2,
    ],
)
def test_double_backward(fn: Callable[[Any, Any], Any]) -> None:
    out = []
    for m in (torch, re_):
        x = m.tensor(X, requires_grad=True)
        (g,) = m.autograd.grad(fn(m, x).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        out.append(gg.numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.unique(x),
        lambda m, x: m.unique(x, dim=0),
        lambda m, x: m.heaviside(x, m.tensor(0.5)),
        lambda m, x: m.bincount(m.tensor([0, 1, 1]), weights=x),
    ],
)
def test_outputs_without_derivative(fn: Callable[[Any, Any], Any]) -> None:
    seen = []
    for m in (torch, re_):
        y = fn(m, m.tensor([3.0, 1.0, 2.0], requires_grad=True))
        seen.append((y.requires_grad, type(y.grad_fn).__name__, error_signature(lambda y=y: y.sum().backward())))
    assert seen[1] == seen[0]


def test_meshgrid_warns_without_indexing() -> None:
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        grids = re_.meshgrid(re_.ones(2), re_.ones(3))
    assert [tuple(g.shape) for g in grids] == [(2, 3), (2, 3)]


def test_meshgrid_rejects_2d_tensors() -> None:
    # torch prints the offending tensor with its C++ printer, which the engine does not reproduce
    prefix = "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got:"
    for m in (torch, re_):
        with pytest.raises(RuntimeError, match=prefix):
            m.meshgrid(m.ones(2), m.ones(2, 2), indexing="ij")


def test_broadcast_tensors_returns_input_with_final_shape() -> None:
    x = re_.tensor(X, requires_grad=True)
    assert re_.broadcast_tensors(x, re_.tensor(V))[0] is x


# --------------------------------------------------------------------------- einsum
_S = _RNG.standard_normal((4, 4))
_C = _RNG.standard_normal((2, 3, 4))
_D = _RNG.standard_normal((2, 4, 5))
_B = _RNG.standard_normal((4, 5))
EINSUMS: list[tuple[str, tuple[np.ndarray, ...]]] = [
    ("ij,jk->ik", (X, _B)),
    ("ij,j->i", (X, V)),
    ("i,i->", (V, V * 2)),
    ("i,i", (V, V * 2)),
    ("i,j->ij", (X[0], _B[0])),
    ("bij,bjk->bik", (_C, _D)),
    ("bij,jk->bik", (_C, _B)),
    ("bik,bjk->bij", (_C, _C)),
    ("...ij,...jk->...ik", (_C, _D)),
    ("ij,kj->ik", (X, X)),
    ("ij,ik->jk", (X, X)),
    ("ji,jk->ik", (X, X)),
    ("ij,jk->ki", (X, _B)),
    ("ij,jk", (X, _B)),
    ("ij,ij->ij", (X, X)),
    ("ab,ba->a", (_S, _S)),
    ("ij,kl->ijkl", (X[:2, :2], _B[:2, :3])),
    ("ij,jk,kl->il", (X, _S, _B)),
    ("ij->ji", (X,)),
    ("ii->i", (_S,)),
    ("ii", (_S,)),
    ("ij->", (X,)),
    ("ijk->j", (_C,)),
]


@pytest.mark.parametrize(("equation", "arrays"), EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_torch(equation: str, arrays: tuple[np.ndarray, ...]) -> None:
    def fn(m: Any, x: Any, v: Any) -> Any:
        # every operand is a leaf; the first also depends on x, so x's grad checks the path through einsum
        ops = [m.tensor(a, requires_grad=True) for a in arrays]
        ops[0] = ops[0] * x[0, 0]
        return m.einsum(equation, ops) if len(ops) > 2 else m.einsum(equation, *ops)

    check(fn)


@pytest.mark.parametrize(("equation", "arrays"), EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_operand_grads(equation: str, arrays: tuple[np.ndarray, ...]) -> None:
    grads = []
    for m in (torch, re_):
        ops = [m.tensor(a, requires_grad=True) for a in arrays]
        y = m.einsum(equation, *ops)
        weight = m.arange(1, y.numel() + 1, dtype=m.float64).reshape(y.shape)
        grads.append([g.numpy() for g in m.autograd.grad((y * weight).sum(), ops)])
    for r, t in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(r, t, rtol=1e-10, atol=1e-12)


def test_einsum_float32_values() -> None:
    got = re_.einsum("bij,bjk->bik", re_.tensor(_C, dtype=re_.float32), re_.tensor(_D, dtype=re_.float32))
    want = torch.einsum("bij,bjk->bik", torch.tensor(_C, dtype=torch.float32), torch.tensor(_D, dtype=torch.float32))
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("equation", "shapes"),
    [
        ("ij,jk->ik", [(3, 4), (5, 5)]),
        ("ij,jk", [(3, 4)]),
        ("ij->", [(3, 4), (4,)]),
        ("i$,j", [(3,), (3,)]),
        ("ij->k", [(3, 4)]),
        ("ij->ii", [(3, 4)]),
        ("ijk", [(3, 4)]),
        ("ii", [(3, 4)]),
        ("i..j..", [(3, 4)]),
        ("i.j", [(3, 4)]),
        ("ij->i.", [(3, 4)]),
    ],
)
def test_einsum_errors(equation: str, shapes: list[tuple[int, ...]]) -> None:
    expected = error_signature(lambda: torch.einsum(equation, *[torch.ones(s) for s in shapes]))
    assert expected is not None
    assert error_signature(lambda: re_.einsum(equation, *[re_.ones(s) for s in shapes])) == expected


# --------------------------------------------------------------------------- dtypes
# every op on every dtype: the result's dtype, shape and values, or torch's error for that dtype
_DTYPE_BASE = np.array([[3, 0, 2, -1], [1, 5, -2, 4]])
_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
DTYPE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "sort": lambda m, a: m.sort(a)[0],
    "argsort": lambda m, a: m.argsort(a, dim=0),
    "topk": lambda m, a: m.topk(a, 2)[0],
    "kthvalue": lambda m, a: m.kthvalue(a, 2)[0],
    "cumprod": lambda m, a: m.cumprod(a, 1),
    "cummax": lambda m, a: m.cummax(a, 1)[0],
    "cummin": lambda m, a: m.cummin(a, 0)[1],
    "msort": lambda m, a: m.msort(a),
    "unique": lambda m, a: m.unique(a),
    "diag": lambda m, a: m.diag(a),
    "trace": lambda m, a: m.trace(a),
    "tile": lambda m, a: m.tile(a, (2,)),
    "repeat_interleave": lambda m, a: m.repeat_interleave(a, 2),
    "hstack": lambda m, a: m.hstack([a, a]),
    "diff": lambda m, a: m.diff(a),
    "rot90": lambda m, a: m.rot90(a),
    "take": lambda m, a: m.take(a, m.tensor([1, 6])),
    "masked_select": lambda m, a: m.masked_select(a, m.tensor([True, False, True, True])),
    "index_add": lambda m, a: a.index_add(0, m.tensor([1]), a[:1]),
    "index_fill": lambda m, a: a.index_fill(1, m.tensor([1]), 1),
    "index_copy": lambda m, a: a.index_copy(1, m.tensor([1]), a[:, :1]),
    "nan_to_num": lambda m, a: m.nan_to_num(a),
    "atan2": lambda m, a: m.atan2(a, a.flip(0)),
    "hypot": lambda m, a: m.hypot(a, a),
    "logaddexp": lambda m, a: m.logaddexp(a, a),
    "copysign": lambda m, a: m.copysign(a, -1),
    "copysign_t": lambda m, a: m.copysign(a, a.flip(1)),
    "signbit": lambda m, a: m.signbit(a),
    "heaviside": lambda m, a: m.heaviside(a, a[0]),
    "frac": lambda m, a: m.frac(a),
    "deg2rad": lambda m, a: m.deg2rad(a),
    "rad2deg": lambda m, a: m.rad2deg(a),
    "nansum": lambda m, a: m.nansum(a, 1),
    "nanmean": lambda m, a: m.nanmean(a),
    "var_mean": lambda m, a: m.var_mean(a)[0],
    "std_mean": lambda m, a: m.std_mean(a, 1)[1],
    "addmv": lambda m, a: m.addmv(a[:, 0], a, a[0]),
    "addr": lambda m, a: m.addr(a, a[:, 0], a[0]),
    "baddbmm": lambda m, a: m.baddbmm(a[None], a[None], a.t()[None, :, :]),
    "einsum": lambda m, a: m.einsum("ij,kj->ik", a, a),
    "searchsorted": lambda m, a: m.searchsorted(a.sort()[0], a),
    "bincount": lambda m, a: m.bincount(a[0].abs()),
    "meshgrid": lambda m, a: m.meshgrid(a[0], a[1], indexing="ij")[0],
    "tensor_split": lambda m, a: m.tensor_split(a, 2, 1)[1],
    "broadcast": lambda m, a: m.broadcast_tensors(a, a[0])[1],
    "column_stack": lambda m, a: m.column_stack([a[0], a[1]]),
    "dstack": lambda m, a: m.dstack([a, a]),
    "vstack": lambda m, a: m.vstack([a[0], a]),
}


def _dtype_result(m: Any, fn: Callable[[Any, Any], Any], dt: str) -> Any:
    a = m.tensor(_DTYPE_BASE > 0 if dt == "bool" else _DTYPE_BASE.astype(dt))
    err = error_signature(lambda: fn(m, a))
    if err is not None:
        return err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = fn(m, a)
    return str(y.dtype), tuple(y.shape), y.numpy().astype(np.float64).round(3).tolist()


@pytest.mark.parametrize("dt", _DTYPES)
@pytest.mark.parametrize("name", sorted(DTYPE_OPS))
def test_dtype_behaviour_matches_torch(name: str, dt: str) -> None:
    assert _dtype_result(re_, DTYPE_OPS[name], dt) == _dtype_result(torch, DTYPE_OPS[name], dt)


# --------------------------------------------------------------------------- errors
ERRORS: dict[str, Callable[[Any], Any]] = {
    "sort_dim": lambda m: m.sort(m.ones(2, 3), dim=2),
    "sort_complex": lambda m: m.sort(m.tensor([1 + 1j])),
    "topk_k": lambda m: m.topk(m.ones(2, 3), 4),
    "kthvalue_k": lambda m: m.kthvalue(m.ones(2, 3), 4),
    "kthvalue_k0": lambda m: m.kthvalue(m.ones(2, 3), 0, 0),
    "cumprod_no_dim": lambda m: m.cumprod(m.ones(2)),
    "cumprod_dim": lambda m: m.cumprod(m.ones(2), 1),
    "searchsorted_shape": lambda m: m.searchsorted(m.tensor([[1, 3], [2, 4]]), m.tensor([2, 3])),
    "searchsorted_side": lambda m: m.searchsorted(m.tensor([1.0]), m.tensor([2.0]), side="left", right=True),
    "bincount_negative": lambda m: m.bincount(m.tensor([-1, 2])),
    "bincount_float": lambda m: m.bincount(m.tensor([1.0, 2.0])),
    "bincount_2d": lambda m: m.bincount(m.tensor([[1, 2]])),
    "diag_3d": lambda m: m.diag(m.ones(2, 2, 2)),
    "trace_3d": lambda m: m.trace(m.ones(2, 2, 2)),
    "trace_bool": lambda m: m.trace(m.tensor([[True, False]])),
    "meshgrid_dtype": lambda m: m.meshgrid(m.ones(2), m.ones(3, dtype=m.float64), indexing="ij"),
    "meshgrid_indexing": lambda m: m.meshgrid(m.ones(2), m.ones(3), indexing="foo"),
    "repeat_interleave_size": lambda m: m.repeat_interleave(m.ones(3, 4), m.tensor([2, 1]), dim=0),
    "repeat_interleave_negative": lambda m: m.repeat_interleave(m.ones(3), -1),
    "repeat_interleave_negative_tensor": lambda m: m.repeat_interleave(m.ones(3), m.tensor([2, -1, 1])),
    "tensor_split_0d": lambda m: m.tensor_split(m.tensor(1.0), 2),
    "tensor_split_sections": lambda m: m.tensor_split(m.ones(3), 0),
    "broadcast_tensors": lambda m: m.broadcast_tensors(m.ones(3, 4), m.ones(3)),
    "diff_0d": lambda m: m.diff(m.tensor(1.0)),
    "diff_order": lambda m: m.diff(m.ones(3), n=-1),
    "diff_prepend": lambda m: m.diff(m.ones(3, 4), prepend=m.ones(1, 4)),
    "rot90_dims": lambda m: m.rot90(m.ones(2, 2), 1, [0, 1, 2]),
    "rot90_1d": lambda m: m.rot90(m.ones(3), 1),
    "rot90_same": lambda m: m.rot90(m.ones(2, 2), 1, [0, 0]),
    "take_range": lambda m: m.take(m.ones(3, 4), m.tensor([12])),
    "take_float_index": lambda m: m.take(m.ones(3, 4), m.tensor([1.0])),
    "masked_select_mask": lambda m: m.masked_select(m.ones(3, 4), m.tensor([1, 0, 1, 0])),
    "masked_select_shape": lambda m: m.masked_select(m.ones(3, 4), m.ones(2, 4) > 0),
    "index_add_float_index": lambda m: m.ones(3, 4).index_add(0, m.tensor([0.0]), m.ones(1, 4)),
    "index_add_dtype": lambda m: m.ones(3, 4).index_add(0, m.tensor([0, 2]), m.ones(2, 4, dtype=m.float64)),
    "index_add_shape": lambda m: m.ones(3, 4).index_add(0, m.tensor([0, 2]), m.ones(2, 3)),
    "index_add_range": lambda m: m.ones(3, 4).index_add(0, m.tensor([0, 3]), m.ones(2, 4)),
    "index_add_negative": lambda m: m.ones(3, 4).index_add(0, m.tensor([0, -1]), m.ones(2, 4)),
    "index_copy_range": lambda m: m.ones(3, 4).index_copy(0, m.tensor([0, 3]), m.ones(2, 4)),
    "index_copy_negative": lambda m: m.ones(3, 4).index_copy(0, m.tensor([0, -1]), m.ones(2, 4)),
    "index_copy_dtype": lambda m: m.ones(3, 4).index_copy(0, m.tensor([0, 2]), m.ones(2, 4, dtype=m.float64)),
    "index_copy_count": lambda m: m.ones(3, 4).index_copy(0, m.tensor([0, 2]), m.ones(3, 4)),
    "index_fill_value": lambda m: m.ones(3, 4).index_fill(0, m.tensor([0, 2]), m.tensor([1.0, 2.0])),
    "index_fill_index": lambda m: m.ones(3, 4).index_fill(0, m.tensor([0.0]), 1.0),
    "index_fill_range": lambda m: m.ones(3, 4).index_fill(0, m.tensor([5]), 1.0),
    "atan2_scalar": lambda m: m.atan2(m.ones(2), 2.0),
    "hypot_int": lambda m: m.hypot(m.tensor([1, 2]), m.tensor([1, 2])),
    "logaddexp_bool": lambda m: m.logaddexp(m.tensor([True]), m.tensor([False])),
    "heaviside_dtypes": lambda m: m.heaviside(m.ones(2), m.ones(2, dtype=m.float64)),
    "frac_int": lambda m: m.tensor([3]).frac(),
    "nanmean_int": lambda m: m.nanmean(m.tensor([1, 2])),
    "std_mean_int": lambda m: m.std_mean(m.tensor([1, 2])),
    "logspace_steps": lambda m: m.logspace(0, 1, -1),
    "addmv_size": lambda m: m.addmv(m.ones(2), m.ones(2, 3), m.ones(4)),
    "addmv_dtype": lambda m: m.addmv(m.ones(2), m.ones(2, 3), m.ones(3, dtype=m.float64)),
    "addr_2d": lambda m: m.addr(m.ones(2, 3), m.ones(2, 1), m.ones(3)),
    "addr_shape": lambda m: m.addr(m.ones(2, 3), m.ones(2), m.ones(4)),
    "baddbmm_shape": lambda m: m.baddbmm(m.ones(2, 3, 5), m.ones(2, 3, 4), m.ones(2, 5, 5)),
    "baddbmm_dtype": lambda m: m.baddbmm(m.ones(2, 3, 5), m.ones(2, 3, 4), m.ones(2, 4, 5, dtype=m.float64)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_matches_torch(name: str) -> None:
    expected = error_signature(lambda: ERRORS[name](torch))
    assert expected is not None
    assert error_signature(lambda: ERRORS[name](re_)) == expected
