"""kron, tensordot, cartesian_prod, block_diag, hsplit/vsplit/dsplit, logcumsumexp, quantile/nanquantile, mode,
renorm, dist, addbmm, chain_matmul, nextafter (now in ops/blas.py, join.py, scan.py, sorting.py, reduction.py, pointwise.py, linalg.py) against real torch.

The cases run through ``tests.helpers.check_xv_program``: the same program on torch and on the engine from the same
float64 leaves (x: 3x4, v: 4), comparing values, dtypes, the grad_fn chain and the leaves' gradients.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from tests.helpers import check_xv_program, error_signature, raised_error, torch_release

Fn = Callable[[Any, Any, Any], Any]
_RNG = np.random.default_rng(0)
X = _RNG.standard_normal((3, 4))  # the same leaves as test_sort_scan's
V = _RNG.standard_normal(4)

CASES: dict[str, Fn] = {
    "kron": lambda m, x, v: m.kron(x, v),
    "kron_2d": lambda m, x, v: m.kron(x[:2, :2], x[1:, 2:]),
    "kron_method_promote": lambda m, x, v: v.kron(m.tensor([[1, 2]], dtype=m.int32)),
    "kron_int_bool": lambda m, x, v: m.kron(m.tensor([1, 2]), m.tensor([True, False])),
    "tensordot_int": lambda m, x, v: m.tensordot(x, x.t(), 1),
    "tensordot_lists": lambda m, x, v: m.tensordot(x, x.reshape(4, 3), dims=([1, 0], [0, 1])),
    "tensordot_vec": lambda m, x, v: m.tensordot(v, x.t(), dims=1),
    "tensordot_zero": lambda m, x, v: m.tensordot(v, x[0, :2], dims=0),
    "tensordot_full": lambda m, x, v: m.tensordot(x, x * 2),
    "tensordot_full_strided": lambda m, x, v: m.tensordot(x[:2, :3], x[:3, :2].t()),
    "tensordot_broadcast_dim": lambda m, x, v: m.tensordot(x[:, :1], x[:1].t(), dims=([1], [0])),
    "cartesian_prod": lambda m, x, v: m.cartesian_prod(v, x[0, :2], v[:3]),
    "cartesian_prod_one": lambda m, x, v: m.cartesian_prod(v),
    "block_diag": lambda m, x, v: m.block_diag(x, v, x[0, 0], x[:2, :1].float()),
    "block_diag_int": lambda m, x, v: m.block_diag(m.tensor([1, 2]), m.tensor([[1.5]]), m.tensor(3)),
    "block_diag_empty": lambda m, x, v: (m.block_diag(), m.block_diag(m.tensor([]))),
    "hsplit": lambda m, x, v: m.hsplit(x, 2),
    "hsplit_list": lambda m, x, v: x.hsplit([1, 3]),
    "hsplit_1d": lambda m, x, v: m.hsplit(v, 4),
    "vsplit": lambda m, x, v: m.vsplit(x, [1]),
    "dsplit": lambda m, x, v: m.dsplit(x.reshape(3, 2, 2), 2),
    "logcumsumexp": lambda m, x, v: m.logcumsumexp(x, 1),
    "logcumsumexp_dim0": lambda m, x, v: x.logcumsumexp(0),
    "logcumsumexp_float32": lambda m, x, v: m.logcumsumexp(x.detach().float() * 3, -1),  # float32 grads: ulps
    "logcumsumexp_0d": lambda m, x, v: m.logcumsumexp(x[0, 0], 0),
    "quantile": lambda m, x, v: m.quantile(x, 0.3),
    "quantile_dim": lambda m, x, v: m.quantile(x, 0.3, dim=1),
    "quantile_dim0_keepdim": lambda m, x, v: x.quantile(0.7, dim=0, keepdim=True),
    "quantile_q_tensor": lambda m, x, v: m.quantile(x, m.tensor([0.25, 0.5, 1.0], dtype=m.float64), dim=0),
    "quantile_q_tensor_all_keepdim": lambda m, x, v: m.quantile(x, m.tensor([0.1, 0.9], dtype=m.float64), keepdim=True),
    "quantile_lower": lambda m, x, v: m.quantile(x, 0.3, dim=1, interpolation="lower"),
    "quantile_higher": lambda m, x, v: m.quantile(x, 0.3, dim=1, interpolation="higher"),
    "quantile_nearest": lambda m, x, v: m.quantile(
        m.tensor([0.0, 1, 2, 3]), m.tensor([0.125, 0.375, 0.5, 0.625]), interpolation="nearest"
    ),
    "quantile_midpoint": lambda m, x, v: m.quantile(x, 0.3, dim=0, interpolation="midpoint"),
    "quantile_float32": lambda m, x, v: m.quantile(x.float(), 0.45, dim=1),
    "quantile_nan": lambda m, x, v: m.quantile(m.log(x), 0.5, dim=1),
    "nanquantile": lambda m, x, v: m.nanquantile(m.log(x), 0.5, dim=1),
    "nanquantile_all_nan_row": lambda m, x, v: (
        x.nanquantile(m.tensor([0.2, 0.6], dtype=m.float64), dim=1, interpolation="higher").sum()
        + m.nanquantile(m.where(x > -0.65, x * float("nan"), x), 0.5, dim=0)
    ),
    "quantile_1d": lambda m, x, v: (m.quantile(v, 0.25), v.nanquantile(0.5, dim=0, keepdim=True)),
    "mode": lambda m, x, v: m.mode(m.round(x * 0.7), 1),
    "mode_keepdim": lambda m, x, v: m.round(x * 0.7).mode(0, keepdim=True),
    "mode_int": lambda m, x, v: m.mode(m.tensor([[3, 1, 3, 1, 2], [5, 5, 4, 4, 4]])),
    "mode_0d": lambda m, x, v: m.mode(x[0, 0]),
    "renorm": lambda m, x, v: m.renorm(x, 2, 0, 1.0),
    "renorm_p1_dim1": lambda m, x, v: x.renorm(1, 1, 1.5),
    "renorm_p3": lambda m, x, v: m.renorm(x, 3, 1, 1.2),
    "dist": lambda m, x, v: m.dist(x, v),
    "dist_p1": lambda m, x, v: x.dist(v * 2, 1),
    "dist_p3": lambda m, x, v: m.dist(x, v, 3),
    "dist_inf": lambda m, x, v: m.dist(x, v, float("inf")),
    "dist_float32": lambda m, x, v: m.dist(x.float(), v.float()),
    "addbmm": lambda m, x, v: m.addbmm(x[:, :3], x.reshape(2, 3, 2), x.reshape(2, 2, 3), beta=0.5, alpha=2.0),
    "addbmm_broadcast": lambda m, x, v: x[0, :3].addbmm(x.reshape(2, 3, 2), x.reshape(2, 2, 3)),
    "chain_matmul": lambda m, x, v: m.chain_matmul(x, x.t(), x),
    "chain_matmul_four": lambda m, x, v: m.chain_matmul(x, x.t(), x, v.reshape(4, 1)),
    "chain_matmul_two": lambda m, x, v: m.chain_matmul(x, v.reshape(4, 1)),
    "chain_matmul_one": lambda m, x, v: m.chain_matmul(x),
    "nextafter": lambda m, x, v: m.nextafter(x, v),
    "nextafter_float32": lambda m, x, v: m.nextafter(x.float(), m.tensor(0.0)),
    "nextafter_mixed": lambda m, x, v: m.nextafter(m.tensor([1.0]), m.tensor([2.0], dtype=m.float64)),
    # singular vectors up to sign (LAPACK's choice depends on the layout): compared through |U| and |V|
    "svd": lambda m, x, v: tuple(t.abs() for t in m.svd(x.t())),
    "svd_not_some": lambda m, x, v: tuple(t.abs() for t in x.t().svd(some=False)),
    "svd_no_uv": lambda m, x, v: m.svd(x, compute_uv=False),
    "qr": lambda m, x, v: m.qr(x.t()),
    "qr_complete": lambda m, x, v: x.qr(some=False),
    "histc": lambda m, x, v: m.histc(x, bins=4),
    "histc_range": lambda m, x, v: x.float().histc(5, min=-1, max=1),
    "histc_constant": lambda m, x, v: m.histc(m.tensor([1.0, 2, 3, 3]), bins=3, min=1, max=1),
    "histc_edges": lambda m, x, v: m.histc(m.tensor([0.0, 0.1, 0.2, 0.3, 0.7, 1.0]), bins=10, min=0, max=1),
    "inplace": lambda m, x, v: (
        (x * 1).renorm_(2, 0, 1.0),
        (x[:, :3] * 1).addbmm_(x.reshape(2, 3, 2), x.reshape(2, 2, 3), alpha=0.5),
        (x * 1).nextafter_(x * 2),
    ),
    "matrix_exp": lambda m, x, v: m.matrix_exp(x[:, :3]),
    "matrix_exp_large_norm": lambda m, x, v: (x[:, 1:] * 4).matrix_exp(),
    "matrix_exp_batched": lambda m, x, v: m.matrix_exp(x.reshape(3, 2, 2) * 0.01),
    "matrix_exp_float32": lambda m, x, v: m.matrix_exp(x.detach()[:, :3].float()),
    "matrix_exp_double_backward": lambda m, x, v: m.autograd.grad(
        m.matrix_exp(x[:2, :2]).sum() * 1, x, create_graph=True
    )[0],
}


# torch 2.14 removed torch.qr and Tensor.qr: under it these cases must raise torch's removal error
_REMOVED_IN_2_14 = {"qr", "qr_complete"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name: str) -> None:
    if name in _REMOVED_IN_2_14 and torch_release() == "2.14":
        expected = raised_error(lambda: CASES[name](torch, torch.tensor(X), torch.tensor(V)))
        assert error_signature(lambda: CASES[name](re_, re_.tensor(X), re_.tensor(V))) == expected
        return
    check_xv_program(CASES[name], X, V)


ERRORS: dict[str, Callable[[Any], Any]] = {
    "chain_matmul_empty": lambda m: m.chain_matmul(),
    "logcumsumexp_int": lambda m: m.logcumsumexp(m.tensor([1, 2]), 0),
    "nextafter_int": lambda m: m.nextafter(m.tensor([1, 2]), m.tensor([1, 2])),
    "dist_int": lambda m: m.dist(m.tensor([1, 2]), m.tensor([1, 2])),
    "block_diag_3d": lambda m: m.block_diag(m.zeros(1, 1, 1)),
    "hsplit_0d": lambda m: m.hsplit(m.tensor(1.0), 1),
    "hsplit_indivisible": lambda m: m.hsplit(m.zeros(2, 3), 2),
    "vsplit_1d": lambda m: m.vsplit(m.zeros(3), 1),
    "dsplit_2d": lambda m: m.dsplit(m.zeros(2, 3), 1),
    "renorm_1d": lambda m: m.renorm(m.tensor([1.0, 2]), 2, 0, 1),
    "renorm_p": lambda m: m.renorm(m.zeros(2, 3), -1, 0, 1),
    "renorm_maxnorm": lambda m: m.renorm(m.zeros(2, 3), 2, 0, -1),
    "quantile_q_range": lambda m: m.quantile(m.zeros(2, 3), 1.5),
    "quantile_q_dtype": lambda m: m.quantile(m.zeros(2, 3), m.tensor(0.5, dtype=m.float64)),
    "quantile_int": lambda m: m.quantile(m.tensor([1, 2]), 0.5),
    "quantile_interpolation": lambda m: m.quantile(m.zeros(2, 3), 0.5, interpolation="foo"),
    "cartesian_prod_2d": lambda m: m.cartesian_prod(m.zeros(2, 3)),
    "tensordot_mismatch": lambda m: m.tensordot(m.zeros(2, 3), m.zeros(3, 2), dims=([0], [0])),
    "tensordot_dtype": lambda m: m.tensordot(m.zeros(2, 3), m.zeros(3, 2, dtype=m.float64), 1),
    "tensordot_too_many": lambda m: m.tensordot(m.zeros(2, 3), m.zeros(3, 2), 3),
    "tensordot_negative": lambda m: m.tensordot(m.zeros(2, 3), m.zeros(2, 3), dims=-1),
    "matrix_exp_1d": lambda m: m.matrix_exp(m.zeros(3)),
    "matrix_exp_nonsquare": lambda m: m.matrix_exp(m.zeros(2, 3)),
    "matrix_exp_int": lambda m: m.matrix_exp(m.zeros(2, 2, dtype=m.long)),
    "addbmm_dtype": lambda m: m.addbmm(m.zeros(2, 2, dtype=m.int64), m.ones(1, 2, 2), m.ones(1, 2, 2)),
    "histc_int": lambda m: m.histc(m.tensor([1, 2]), bins=3),
    "histc_bins": lambda m: m.histc(m.tensor([1.0, 2]), bins=0),
    "histc_min_max": lambda m: m.histc(m.tensor([1.0, 2]), bins=3, min=2, max=1),
    "histc_backward": lambda m: m.histc(m.ones(2, requires_grad=True), 3).sum().backward(),
    "nextafter_backward": lambda m: m.nextafter(m.tensor([1.0], requires_grad=True), m.tensor([2.0])).sum().backward(),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error(name: str) -> None:
    assert error_signature(lambda: ERRORS[name](re_)) == error_signature(lambda: ERRORS[name](torch))


def test_chain_matmul_warns_like_torch() -> None:
    def messages(m: Any) -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m.chain_matmul(m.ones(2, 2), m.ones(2, 2))
        return [str(w.message).split(" (Triggered")[0] for w in caught]

    # torch warns once per process: whichever side ran first here may already have used its one warning
    re_.ops.blas._CHAIN_WARNED = False
    expected = "torch.chain_matmul is deprecated and will be removed in a future PyTorch release."
    assert messages(re_)[0].startswith(expected)


def test_qr_warns_like_torch() -> None:
    if torch_release() == "2.14":  # torch 2.14 removed torch.qr: it raises, warning nothing
        expected = raised_error(lambda: torch.qr(torch.ones(2, 2)))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert error_signature(lambda: re_.qr(re_.ones(2, 2))) == expected
        assert not caught
        return
    re_.ops.linalg._QR_WARNED = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        re_.qr(re_.ones(2, 2))
        re_.qr(re_.ones(2, 2))
    assert len(caught) == 1  # TORCH_WARN_ONCE
    assert str(caught[0].message).startswith("torch.qr is deprecated in favor of torch.linalg.qr")
    assert str(caught[0].message).endswith("Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')")


# Which of equal values (NaNs included) carries a quantile's gradient: the rows of x's gradient that are nonzero,
# recorded from torch 2.13.0 (a stable sort: the first equal value, the last NaN for quantile) and torch 2.14.1
# (std::nth_element's pick, on rows long enough for selection: (ranks needed)^2 <= row length)
_NAN = float("nan")
_TIES = [[_NAN, 1.0, _NAN, 0.5], [_NAN, _NAN, _NAN, _NAN], [3.0, 3.0, 1.0, 3.0]]
_TIE_CASES: dict[str, tuple[str, str, Any, dict[str, list[list[int]]]]] = {
    "quantile_linear": ("quantile", "linear", 0.5, {"2.13": [[2], [3], [0, 1]], "2.14": [[0], [1], [0, 3]]}),
    "nanquantile_linear": ("nanquantile", "linear", 0.5, {"2.13": [[1, 3], [0], [0, 1]], "2.14": [[1, 3], [2], [0, 3]]}),
    "quantile_lower_2q": ("quantile", "lower", [0.2, 0.6], {"2.13": [[2], [3], [0, 2]], "2.14": [[0], [1], [2, 3]]}),
    "nanquantile_higher_2q": (
        "nanquantile", "higher", [0.2, 0.6], {"2.13": [[1], [0], [0, 1]], "2.14": [[1], [2], [0, 3]]},
    ),
    "nanquantile_nearest": ("nanquantile", "nearest", 0.75, {"2.13": [[1], [0], [1]], "2.14": [[1], [2], [0]]}),
}  # fmt: skip


def _tie_grad(m: Any, fn: str, interpolation: str, q: Any) -> Any:
    x = m.tensor(_TIES, dtype=m.float64, requires_grad=True)
    qq = q if isinstance(q, float) else m.tensor(q, dtype=m.float64)
    y = getattr(m, fn)(x, qq, dim=1, interpolation=interpolation)
    return m.autograd.grad(y.sum(), x)[0]


@pytest.mark.parametrize("name", sorted(_TIE_CASES))
def test_quantile_pick_among_equal_values_per_release(release: str, name: str) -> None:
    fn, interpolation, q, expected = _TIE_CASES[name]
    got = np.asarray(_tie_grad(re_, fn, interpolation, q).tolist())
    assert [list(np.flatnonzero(row)) for row in got] == expected[release]
    if release == torch_release():
        np.testing.assert_array_equal(got, _tie_grad(torch, fn, interpolation, q).numpy())
