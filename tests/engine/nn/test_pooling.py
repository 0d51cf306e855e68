"""Pooling against real torch: MaxPool2d (indices, integer inputs, padding), AvgPool2d, AdaptiveAvgPool2d and the
1-d pools (MaxPool1d, AvgPool1d, AdaptiveAvgPool1d): values, grads, grad_fn names, reprs and errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
from conformance.compare import compare_arrays
from tests.helpers import (
    DTYPE_IDS,
    OVER_FLOAT_DTYPES,
    LayerTable,
    Make,
    as_engine,
    assert_same_nn_error,
    check,
    compare_forward_backward,
    leaf_pair,
    over_layers,
    run_and_compare,
    same_repr_pair,
)

TF = torch.nn.functional


# --------------------------------------------------------------------------- pooling
MAXPOOL_CONFIGS = [
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 2},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0), "dilation": (2, 1)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
]


@pytest.mark.parametrize("dtype", DTYPE_IDS)
@pytest.mark.parametrize("kwargs", MAXPOOL_CONFIGS, ids=str)
@pytest.mark.parametrize("integers", [False, True], ids=["distinct", "ties"])
def test_max_pool2d_matches_torch(dtype: str, kwargs: dict, integers: bool) -> None:
    # integer-valued data has ties inside windows: torch sends the grad to the first maximum
    xt, xe = leaf_pair((2, 3, 7, 8), dtype, 40, integers)
    compare_forward_backward(torch.nn.MaxPool2d(**kwargs), re_.nn.MaxPool2d(**kwargs), xt, xe, 41)
    (vt, it), (ve, ie) = (
        torch.nn.functional.max_pool2d(xt, return_indices=True, **kwargs),
        EF.max_pool2d(xe, return_indices=True, **kwargs),
    )
    check(ve, vt, "values")
    assert np.array_equal(np.asarray(ie._data), it.numpy())
    assert ie.dtype == re_.int64


def test_max_pool2d_unbatched_and_repr() -> None:
    xt, xe = leaf_pair((3, 6, 6), "float32", 42)
    compare_forward_backward(torch.nn.MaxPool2d(3, 2, 1), re_.nn.MaxPool2d(3, 2, 1), xt, xe, 43)
    assert repr(re_.nn.MaxPool2d(3, 2, 1)) == repr(torch.nn.MaxPool2d(3, 2, 1))
    assert repr(re_.nn.AvgPool2d(2)) == repr(torch.nn.AvgPool2d(2))
    assert repr(re_.nn.AdaptiveAvgPool2d((1, 1))) == repr(torch.nn.AdaptiveAvgPool2d((1, 1)))


AVGPOOL_CONFIGS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": (2, 1), "divisor_override": 5},
]


@pytest.mark.parametrize("dtype", DTYPE_IDS)
@pytest.mark.parametrize("kwargs", AVGPOOL_CONFIGS, ids=str)
def test_avg_pool2d_matches_torch(dtype: str, kwargs: dict) -> None:
    xt, xe = leaf_pair((2, 3, 7, 8), dtype, 50)
    compare_forward_backward(torch.nn.AvgPool2d(**kwargs), re_.nn.AvgPool2d(**kwargs), xt, xe, 51)


@pytest.mark.parametrize("dtype", DTYPE_IDS)
@pytest.mark.parametrize("size", [(1, 1), 1, (3, 2), (None, 4), 5], ids=str)
def test_adaptive_avg_pool2d_matches_torch(dtype: str, size: Any) -> None:
    xt, xe = leaf_pair((2, 3, 7, 9), dtype, 60)
    compare_forward_backward(torch.nn.AdaptiveAvgPool2d(size), re_.nn.AdaptiveAvgPool2d(size), xt, xe, 61)


def test_max_pool2d_integer_input_with_padding_matches_torch() -> None:
    arr = np.arange(-20, 5, dtype=np.int64).reshape(1, 1, 5, 5)
    expected = torch.nn.functional.max_pool2d(torch.tensor(arr), 3, 2, 1)
    actual = EF.max_pool2d(re_.tensor(arr), 3, 2, 1)
    assert actual.dtype == re_.int64
    assert compare_arrays(np.asarray(actual._data), expected.numpy()).ok


# --------------------------------------------------------------------------- 1-d pooling, dropout1d
POOLS: LayerTable = {
    "max": (lambda nn: nn.MaxPool1d(2), (2, 3, 8)),
    "max_all_args": (lambda nn: nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True), (2, 3, 9)),
    "max_unbatched": (lambda nn: nn.MaxPool1d(3, 1), (3, 7)),
    "avg": (lambda nn: nn.AvgPool1d(3), (2, 3, 8)),
    "avg_pad": (lambda nn: nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 2, 8)),
    "avg_unbatched": (lambda nn: nn.AvgPool1d(2, 1, 1), (3, 5)),
    "adaptive": (lambda nn: nn.AdaptiveAvgPool1d(3), (2, 3, 8)),
    "adaptive_1": (lambda nn: nn.AdaptiveAvgPool1d(1), (2, 3, 5)),
    "adaptive_unbatched": (lambda nn: nn.AdaptiveAvgPool1d(4), (3, 7)),
}


@OVER_FLOAT_DTYPES
@over_layers(POOLS)
def test_pool1d_layer_matches_torch(make: Make, shape: tuple[int, ...], tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(5)
    tm, em = same_repr_pair(make)
    x = torch.randn(shape, dtype=tdt)
    run_and_compare(tm, em, x)  # SqueezeBackward1 over the 2-d node
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    inner = [type(y.grad_fn.next_functions[0][0]).__name__ for y in (em(ex), tm(tx))]
    assert inner[0] == inner[1]


def test_max_pool1d_indices_match_torch() -> None:
    torch.manual_seed(6)
    x = torch.randn(2, 3, 9, dtype=torch.float64)
    ty, ti = TF.max_pool1d(x, 3, 2, 1, return_indices=True)
    ey, ei = EF.max_pool1d(as_engine(x), 3, 2, 1, return_indices=True)
    check(ey, ty, "values")
    assert ei.dtype == re_.int64 and ei.tolist() == ti.tolist()
    m = [nn.MaxPool1d(2, return_indices=True) for nn in (torch.nn, enn)]
    assert ei.shape == ti.shape and m[1](as_engine(x))[1].tolist() == m[0](x)[1].tolist()


def test_pool1d_errors_match_torch() -> None:
    four = lambda t: t.ones(1, 2, 3, 4)
    x = lambda t: t.ones(2, 3, 8, requires_grad=True)
    for call in (
        lambda t, nn, f: f.max_pool1d(four(t), 2),
        lambda t, nn, f: f.max_pool1d(four(t), 2, return_indices=True),
        lambda t, nn, f: f.max_pool1d(x(t), (2, 2)),
        lambda t, nn, f: f.max_pool1d(x(t), 2, (1, 1)),
        lambda t, nn, f: f.max_pool1d(x(t), 2, 1, (1, 1)),
        lambda t, nn, f: f.max_pool1d(x(t), 2, 1, 0, (1, 1)),
        lambda t, nn, f: f.max_pool1d(x(t), 0),
        lambda t, nn, f: f.max_pool1d(x(t), 2, 0),
        lambda t, nn, f: f.max_pool1d(x(t), 2, 1, -1),
        lambda t, nn, f: f.max_pool1d(x(t), 2, 1, 0, 0),
        lambda t, nn, f: f.max_pool1d(x(t), 3, padding=2),
        lambda t, nn, f: f.max_pool1d(x(t), 10),
        lambda t, nn, f: f.avg_pool1d(four(t), 2),
        lambda t, nn, f: f.avg_pool1d(x(t), (2, 2)),
        lambda t, nn, f: f.avg_pool1d(x(t), 2, (1, 1)),
        lambda t, nn, f: f.avg_pool1d(x(t), 2, 1, (1, 1)),
        lambda t, nn, f: f.avg_pool1d(x(t), 3, padding=2),
        lambda t, nn, f: f.avg_pool1d(x(t), 10),
        lambda t, nn, f: f.adaptive_avg_pool1d(four(t), 2),
        lambda t, nn, f: f.adaptive_avg_pool1d(x(t), (2, 2)),
        lambda t, nn, f: f.dropout1d(t.ones(3), 0.5),
        lambda t, nn, f: f.dropout1d(x(t), 1.5),
        lambda t, nn, f: nn.Dropout1d(-0.1),
    ):
        assert_same_nn_error(call)


# Under create_graph a pooling's grad keeps its graph (torch's MaxPool2DWithIndicesBackwardBackward0, ...): the
# grad of a penalty on it reaches the incoming grad (the same pooling of the new gradient) and the input (zeros).
GRADGRAD_CASES = {
    "max2d_padded": ("max_pool2d", (2, 3, 5, 5), (2,), {"stride": 1, "padding": 1}),
    "max2d_unbatched": ("max_pool2d", (3, 6, 6), (3,), {"stride": 2}),
    "avg2d_no_pad_count": ("avg_pool2d", (2, 3, 5, 5), (2,), {"stride": 1, "padding": 1, "count_include_pad": False}),
    "avg2d_ceil": ("avg_pool2d", (2, 3, 6, 6), (3,), {"stride": 2, "ceil_mode": True}),
    "adaptive_avg2d": ("adaptive_avg_pool2d", (2, 3, 5, 7), ((2, 3),), {}),
    "adaptive_max2d": ("adaptive_max_pool2d", (2, 3, 5, 7), ((2, 3),), {}),
    "max1d": ("max_pool1d", (2, 3, 7), (2,), {}),
    "avg1d": ("avg_pool1d", (2, 3, 7), (3,), {"stride": 2}),
}


def _penalty_grads(lib: Any, name: str, shape: tuple, args: tuple, kwargs: dict) -> list[Any]:
    x = lib.tensor(np.random.RandomState(0).randn(*shape), dtype=lib.float64, requires_grad=True)
    y = getattr(lib.nn.functional, name)(x, *args, **kwargs)
    g = lib.tensor(np.random.RandomState(3).randn(*y.shape), dtype=lib.float64, requires_grad=True)
    (gx,) = lib.autograd.grad(y, x, g, create_graph=True)
    (gx**3).sum().backward()
    return [type(gx.grad_fn).__name__, x.grad.numpy(), g.grad.numpy()]


@pytest.mark.parametrize("case", sorted(GRADGRAD_CASES))
def test_pool_double_backward_matches_torch(case: str) -> None:
    expected, actual = _penalty_grads(torch, *GRADGRAD_CASES[case]), _penalty_grads(re_, *GRADGRAD_CASES[case])
    assert actual[0] == expected[0]
    np.testing.assert_array_equal(actual[1], expected[1])  # zeros: the grad does not depend on the input
    np.testing.assert_allclose(actual[2], expected[2], rtol=1e-12, atol=1e-12)
