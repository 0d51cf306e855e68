"""BatchNorm2d, LayerNorm and GroupNorm against real torch: train then eval, running statistics and their
version bumps, state_dict round trip, default parameters, double backward, errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
from tests.helpers import (
    DTYPE_IDS,
    DTYPES,
    OVER_FLOAT_DTYPES,
    LayerTable,
    Make,
    as_engine,
    as_numpy,
    assert_same_nn_error,
    build_pair,
    check,
    compare_forward_backward,
    error_signature,
    leaf_pair,
    over_layers,
    run_and_compare,
    torch_release,
)

TF = torch.nn.functional


def _copy_params(tm: torch.nn.Module, em: Any, seed: int) -> None:
    """Give both modules the same non-trivial affine parameters."""
    rng = np.random.default_rng(seed)
    with torch.no_grad(), re_.no_grad():
        for (_name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
            arr = rng.uniform(0.5, 1.5, tuple(tp.shape)).astype(str(tp.dtype).removeprefix("torch."))
            tp.copy_(torch.tensor(arr))
            ep.copy_(re_.tensor(arr))


# --------------------------------------------------------------------------- BatchNorm2d
BN_CONFIGS = [
    {},
    {"momentum": None},
    {"momentum": 0.3, "eps": 1e-3},
    {"affine": False},
    {"bias": False},
    {"track_running_stats": False},
]


@pytest.mark.parametrize("dtype", DTYPE_IDS)
@pytest.mark.parametrize("kwargs", BN_CONFIGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
def test_batchnorm2d_train_then_eval_matches_torch(dtype: str, kwargs: dict) -> None:
    td, ed = dict(zip(DTYPE_IDS, DTYPES, strict=True))[dtype]
    tm, em = torch.nn.BatchNorm2d(3, dtype=td, **kwargs), re_.nn.BatchNorm2d(3, dtype=ed, **kwargs)
    _copy_params(tm, em, 1)
    assert repr(em) == repr(tm)
    assert [(k, tuple(v.shape), str(v.dtype)) for k, v in em.state_dict().items()] == [
        (k, tuple(v.shape), str(v.dtype)) for k, v in tm.state_dict().items()
    ]
    for step in range(3):  # train: batch statistics, running stats updated every step
        xt, xe = leaf_pair((4, 3, 5, 6), dtype, 10 + step)
        compare_forward_backward(tm, em, xt, xe, 20 + step)
        for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
            check(ep.grad, tp.grad, f"step {step} {name}.grad")
            tp.grad = None
            ep.grad = None
        for (name, tb), (_, eb) in zip(tm.named_buffers(), em.named_buffers(), strict=True):
            check(eb, tb, f"step {step} buffer {name}")
    tm.eval()
    em.eval()
    xt, xe = leaf_pair((2, 3, 4, 4), dtype, 30)
    compare_forward_backward(tm, em, xt, xe, 31)
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        check(ep.grad, tp.grad, f"eval {name}.grad")
    for (name, tb), (_, eb) in zip(tm.named_buffers(), em.named_buffers(), strict=True):
        check(eb, tb, f"eval buffer {name} (unchanged in eval)")


def test_batchnorm_running_var_is_unbiased_and_version_bumps() -> None:
    # math, not the engine: running_var = 0.9 * 1 + 0.1 * unbiased batch variance
    arr = np.arange(2 * 1 * 2 * 2, dtype=np.float64).reshape(2, 1, 2, 2)
    bn = re_.nn.BatchNorm2d(1, dtype=re_.float64)
    before = bn.running_mean._version
    bn(re_.tensor(arr))
    assert bn.running_var.item() == pytest.approx(0.9 + 0.1 * arr.var(ddof=1))
    assert bn.running_mean.item() == pytest.approx(0.1 * arr.mean())
    assert bn.running_mean._version > before
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_state_dict_round_trip() -> None:
    tm, em = torch.nn.BatchNorm2d(2), re_.nn.BatchNorm2d(2)
    tm(torch.randn(3, 2, 2, 2))
    em.load_state_dict({k: re_.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    for (k, tv), (_, ev) in zip(tm.state_dict().items(), em.state_dict().items(), strict=True):
        assert np.array_equal(np.asarray(ev._data), tv.numpy()), k


@pytest.mark.parametrize(
    "make",
    [
        lambda ns: ns.nn.BatchNorm2d(3)(ns.ones(1, 3, 1, 1)),
        lambda ns: ns.nn.BatchNorm2d(3)(ns.ones(3, 2, 2)),
        lambda ns: ns.nn.functional.max_pool2d(ns.ones(1, 1, 4, 4), 2, padding=2),
        lambda ns: ns.nn.functional.max_pool2d(ns.ones(1, 1, 1, 1), 3),
        lambda ns: ns.nn.functional.avg_pool2d(ns.ones(1, 1, 1, 1), 3),
    ],
    ids=["bn_one_value_per_channel", "bn_3d_input", "maxpool_big_pad", "maxpool_too_small", "avgpool_too_small"],
)
def test_batchnorm_errors_match_torch(make: Callable[[Any], Any]) -> None:
    assert error_signature(lambda: make(re_)) == error_signature(lambda: make(torch))


# --------------------------------------------------------------------------- layer norm, group norm
NORM_MODULES: LayerTable = {
    "layer_norm": (lambda nn: nn.LayerNorm(5), (3, 5)),
    "layer_norm_2d": (lambda nn: nn.LayerNorm((3, 4), eps=1e-3), (2, 3, 4)),
    "layer_norm_no_affine": (lambda nn: nn.LayerNorm(4, elementwise_affine=False), (2, 3, 4)),
    "layer_norm_no_bias": (lambda nn: nn.LayerNorm(4, bias=False), (3, 4)),
    "group_norm": (lambda nn: nn.GroupNorm(2, 4), (3, 4, 5)),
    "group_norm_2d": (lambda nn: nn.GroupNorm(3, 6, eps=1e-2), (2, 6, 2, 3)),
    "group_norm_no_affine": (lambda nn: nn.GroupNorm(1, 3, affine=False), (2, 3, 4)),
    "group_norm_2d_input": (lambda nn: nn.GroupNorm(2, 4), (3, 4)),
    "embedding_net": (lambda nn: nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU(), nn.Linear(6, 2)), (5, 4)),
}


@OVER_FLOAT_DTYPES
@over_layers(NORM_MODULES)
def test_norm_module_matches_torch(make: Make, shape: tuple[int, ...], tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(0)
    tm, em = build_pair(make, tdt, edt)
    assert repr(em) == repr(tm)
    with torch.no_grad():  # move weight and bias off ones/zeros so their grads are exercised
        for p in tm.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    for e, t in zip(em.parameters(), tm.parameters(), strict=True):
        e.data = as_engine(t)
    run_and_compare(tm, em, torch.randn(shape, dtype=tdt) * 2 + 1)


def test_norm_default_parameters_match_torch() -> None:
    for ctor in (lambda nn: nn.LayerNorm((2, 3)), lambda nn: nn.GroupNorm(2, 4, bias=False)):
        tm, em = ctor(torch.nn), ctor(enn)
        assert [k for k, _ in em.named_parameters()] == [k for k, _ in tm.named_parameters()]
        for e, t in zip(em.parameters(), tm.parameters(), strict=True):
            check(e, t)


@pytest.mark.parametrize("which", ["layer", "group"])
def test_norm_double_backward_matches_torch(which: str) -> None:
    torch.manual_seed(4)
    x, w, b = (
        torch.randn(2, 4, 3, dtype=torch.float64),
        torch.randn(4, dtype=torch.float64),
        torch.randn(4, dtype=torch.float64),
    )

    def run(lib: Any, f: Any, conv: Callable[[torch.Tensor], Any]) -> tuple:
        xs, ws, bs = (conv(v) for v in (x, w, b))
        if which == "layer":
            y = f.layer_norm(xs.transpose(1, 2), (4,), ws, bs)
        else:
            y = f.group_norm(xs, 2, ws, bs)
        gx, gw = lib.autograd.grad((y * y.detach().exp()).sum(), (xs, ws), create_graph=True)
        return gx, gw, lib.autograd.grad((gx * gx).sum() + gw.sum(), (xs, ws, bs), allow_unused=True)

    t_res = run(torch, TF, lambda v: v.clone().requires_grad_(True))
    e_res = run(re_, EF, lambda v: as_engine(v, requires_grad=True))
    check(e_res[0], t_res[0], "grad x")
    check(e_res[1], t_res[1], "grad w")
    for e, t, what in zip(e_res[2], t_res[2], ("x", "w", "b"), strict=True):
        check(e, t, f"second grad {what}")


def test_norm_errors_match_torch() -> None:
    assert_same_nn_error(lambda t, nn, f: f.layer_norm(t.ones(3, 4), (5,)))
    assert_same_nn_error(lambda t, nn, f: f.layer_norm(t.ones(3, 4), (4,), t.ones(3)))
    assert_same_nn_error(lambda t, nn, f: f.layer_norm(t.ones(3, 4), (4,), None, t.ones(3)))
    assert_same_nn_error(lambda t, nn, f: f.group_norm(t.ones(2, 6, 4), 4))
    assert_same_nn_error(lambda t, nn, f: f.group_norm(t.ones(1, 2, 1), 2))
    assert_same_nn_error(lambda t, nn, f: f.group_norm(t.ones(6), 2))
    assert_same_nn_error(lambda t, nn, f: f.group_norm(t.ones(2, 6, 4), 2, t.ones(5)))
    assert_same_nn_error(lambda t, nn, f: nn.GroupNorm(4, 6))


# group_norm of zero channels, recorded from torch 2.13.0 (an empty result; its backward gives an empty grad) and
# torch 2.14.1 (RuntimeError 'Expected number of channels to be greater than 0, got 0', checked before HxW)
@pytest.mark.parametrize("shape", [(1, 0, 2), (0, 0, 2), (1, 0), (1, 0, 0), (2, 0, 3)])
def test_group_norm_zero_channels_per_release(release: str, shape: tuple[int, ...]) -> None:
    groups = 2 if shape == (2, 0, 3) else 1

    def call(m: Any) -> Any:
        x = m.ones(shape, requires_grad=True)
        return m.autograd.grad(m.nn.functional.group_norm(x, groups).sum(), x)[0]

    got = error_signature(lambda: call(re_))
    if release == "2.13":
        assert got is None and tuple(call(re_).shape) == shape
    else:
        assert got == ("RuntimeError", "Expected number of channels to be greater than 0, got 0")
    if release == torch_release():
        assert error_signature(lambda: call(torch)) == got


# a zero-size batch: both releases give empty grads for the input and zeros for weight and bias (torch 2.13.0
# and 2.14.1 alike); the backward sizes its rows explicitly, as -1 cannot be inferred from zero elements
def test_group_norm_backward_of_zero_batch() -> None:
    def grads(m: Any) -> list[Any]:
        x = m.ones(0, 4, 3, requires_grad=True)
        w, b = m.ones(4, requires_grad=True), m.zeros(4, requires_grad=True)
        return list(m.autograd.grad(m.nn.functional.group_norm(x, 2, w, b).sum(), (x, w, b)))

    for got, want in zip(grads(re_), grads(torch), strict=True):
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(as_numpy(got), want.numpy())
