"""nn.functional ops and layers the op catalogue's samples leave out, against real torch: fold (no OpInfo
entry), the new layers (reprs, forward, grads), alpha dropout's draws on a permuted input, dropout3d on an
unbatched input, local_response_norm on 4-D input, the 3-d pool layers, max_unpool's output_size checks and the 3-d adaptive
pools' errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from tests.helpers import (
    as_engine,
    assert_same_error,
    assert_same_result,
    check,
    check_double_backward,
    grad_fn_name,
    run_and_compare,
    same_repr_pair,
)

RNG = np.random.default_rng(7)


def _arr(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


# --------------------------------------------------------------------------- fold / unfold
@pytest.mark.parametrize(
    ("size", "kwargs"),
    [((4, 5), {"kernel_size": 2}), ((5, 6), {"kernel_size": (2, 3), "dilation": (2, 1), "padding": 1, "stride": 2})],
    ids=["plain", "dilated-padded-strided"],
)
def test_fold_round_trip(size: tuple[int, int], kwargs: dict) -> None:
    x = torch.randn(2, 3, *size, dtype=torch.float64)

    def prog(m: Any) -> Any:
        xe = (x if m is torch else as_engine(x)).clone().requires_grad_(True)
        cols = m.nn.functional.unfold(xe, **kwargs)
        back = m.nn.functional.fold(cols * 1.5, size, **kwargs)
        back.sum().backward()
        return cols, back, grad_fn_name(back), xe.grad

    assert_same_result(prog)


def test_fold_double_backward() -> None:
    cols = _arr(2, 12, 12)  # 3 channels x (2, 2) kernel, (3, 4) blocks of a (4, 5) image
    check_double_backward(lambda m, c: (m.nn.functional.fold(c, (4, 5), 2) ** 2).sum(), [cols], [0])


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.nn.functional.fold(m.zeros(2, 7, 12), (4, 5), 2),
        lambda m: m.nn.functional.fold(m.zeros(2, 12, 11), (4, 5), 2),
        lambda m: m.nn.functional.unfold(m.zeros(2, 3), 2),
    ],
    ids=["channels-not-divisible", "blocks-mismatch", "unfold-2d"],
)
def test_fold_errors(call: Any) -> None:
    assert_same_error(call)


# --------------------------------------------------------------------------- layers
LAYERS = {
    "SoftMarginLoss": (lambda nn: nn.SoftMarginLoss(reduction="sum"), "pm1"),
    "HingeEmbeddingLoss": (lambda nn: nn.HingeEmbeddingLoss(margin=0.5), "pm1"),
    "MultiLabelSoftMarginLoss": (lambda nn: nn.MultiLabelSoftMarginLoss(), "01"),
    "MultiMarginLoss": (lambda nn: nn.MultiMarginLoss(p=2, margin=0.7), "class"),
    "MultiLabelMarginLoss": (lambda nn: nn.MultiLabelMarginLoss(reduction="none"), "labels"),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_loss_layers(name: str) -> None:
    make, kind = LAYERS[name]
    tm, em = same_repr_pair(make)
    x = torch.randn(4, 5, dtype=torch.float64)
    target = {
        "pm1": torch.tensor([1.0, -1.0]).repeat(10)[:20].reshape(4, 5).double(),
        "01": (torch.arange(20).reshape(4, 5) % 3 == 0).double(),
        "class": torch.tensor([0, 4, 2, 1]),
        "labels": torch.tensor([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [4, 3, 2, 1, 0], [-1, 0, 0, 0, 0]]),
    }[kind]
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    ty, ey = tm(tx, target), em(ex, as_engine(target))
    assert grad_fn_name(ey) == grad_fn_name(ty)
    check(ey, ty, "loss")
    ty.sum().backward()
    ey.sum().backward()
    check(ex.grad, tx.grad, "input grad")


def test_triplet_margin_with_distance_loss_layer() -> None:
    def make(nn: Any) -> Any:
        return nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1.0), margin=2.0, swap=True)

    tm, em = same_repr_pair(make)
    a, p, n = (torch.randn(3, 4, dtype=torch.float64) for _ in range(3))
    check(em(as_engine(a), as_engine(p), as_engine(n)), tm(a, p, n), "loss")


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (lambda nn: nn.RMSNorm([3, 4], eps=1e-3), (2, 3, 4)),
        (lambda nn: nn.LocalResponseNorm(3, alpha=0.1, beta=0.6, k=2.0), (2, 5, 3, 4)),
        (lambda nn: nn.ChannelShuffle(2), (2, 4, 3)),
        (lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)), (2, 3, 4, 5, 6)),
        (lambda nn: nn.AdaptiveMaxPool3d(2), (2, 3, 4, 5, 6)),
        (lambda nn: nn.AdaptiveMaxPool1d(3), (2, 3, 8)),
        (lambda nn: nn.Unfold((2, 3), padding=1), (2, 3, 4, 5)),
        (lambda nn: nn.Fold((4, 5), 2), (2, 12, 12)),
        (lambda nn: nn.MaxPool3d((2, 3, 2), stride=2, padding=1, dilation=(1, 1, 2), ceil_mode=True), (2, 2, 5, 6, 7)),
        (
            lambda nn: nn.AvgPool3d(3, stride=(2, 1, 2), padding=1, ceil_mode=True, count_include_pad=False),
            (2, 5, 6, 7),
        ),
        (lambda nn: nn.Upsample(scale_factor=(1.5, 2, 0.7), mode="trilinear", align_corners=True), (1, 2, 3, 4, 5)),
        (lambda nn: nn.Upsample(scale_factor=(2.5, 0.8), mode="bicubic"), (2, 2, 5, 6)),
        (lambda nn: nn.Upsample(size=(3, 7, 2), mode="nearest-exact"), (1, 2, 4, 5, 6)),
    ],
    ids=[
        "RMSNorm",
        "LocalResponseNorm-4d",
        "ChannelShuffle",
        "AdaptiveAvgPool3d",
        "AdaptiveMaxPool3d",
        "AdaptiveMaxPool1d",
        "Unfold",
        "Fold",
        "MaxPool3d",
        "AvgPool3d-unbatched",
        "Upsample-trilinear-align",
        "Upsample-bicubic",
        "Upsample-nearest-exact-3d",
    ],
)
def test_layers(make: Any, shape: tuple[int, ...]) -> None:
    tm, em = same_repr_pair(make)
    for (_, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        with torch.no_grad():
            tp.copy_(torch.randn_like(tp))
        ep.data = as_engine(tp.detach())
    run_and_compare(tm.double(), em.double(), torch.randn(*shape, dtype=torch.float64))


def test_max_unpool_layers_invert_max_pool() -> None:
    # torch's max_pool3d gives the indices (the engine has no 3-d max pooling yet)
    y, idx = torch.nn.functional.max_pool3d(torch.randn(1, 2, 4, 6, 6, dtype=torch.float64), 2, return_indices=True)
    ey = as_engine(y, requires_grad=True)
    ty = y.clone().requires_grad_(True)
    tm, em = same_repr_pair(lambda nn: nn.MaxUnpool3d(2))
    tout = tm(ty, idx, output_size=[4, 6, 6])
    eout = em(ey, as_engine(idx), output_size=[4, 6, 6])
    check(eout, tout, "unpooled")
    assert grad_fn_name(eout) == grad_fn_name(tout) == "MaxUnpool3DBackward0"


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.nn.functional.max_unpool2d(
            m.zeros(1, 1, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.int64), 2, output_size=[9, 9]
        ),
        lambda m: m.nn.functional.max_unpool2d(
            m.zeros(1, 1, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.int64), 2, output_size=[9]
        ),
        lambda m: m.nn.functional.max_unpool2d(m.zeros(1, 1, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.int64), 2, padding=3),
        lambda m: m.nn.functional.max_unpool3d(m.zeros(1, 1, 2, 2, 2), m.full((1, 1, 2, 2, 2), 99), 2),
        lambda m: m.nn.functional.max_unpool2d(m.zeros(1, 1, 2, 2), m.zeros(1, 1, 2, 2), 2),
        lambda m: m.nn.functional.adaptive_avg_pool3d(m.zeros(1, 1, 1, 1, 1), (-1, 0, 2)),
        lambda m: m.nn.functional.adaptive_max_pool3d(m.zeros(1, 2, 0, 4), 2),
        lambda m: m.nn.functional.adaptive_avg_pool3d(m.zeros(2, 3, 4), 2),
        lambda m: m.nn.functional.multilabel_margin_loss(m.zeros(2, 3), m.full((2, 3), 7)),
        lambda m: m.nn.functional.multi_margin_loss(m.zeros(2, 3), m.tensor([0, 3])),
        lambda m: m.nn.functional.channel_shuffle(m.zeros(2, 5, 3), 2),
        lambda m: m.nn.functional.pdist(m.zeros(2, 4), -1.0),
    ],
    ids=[
        "unpool-size-range",
        "unpool-size-len",
        "unpool-negative",
        "unpool-bad-index",
        "unpool-float-indices",
        "adaptive-avg3d-negative",
        "adaptive-max3d-empty",
        "adaptive-avg3d-3d",
        "multilabel-target-range",
        "multi-margin-target-range",
        "channel-shuffle-groups",
        "pdist-negative-p",
    ],
)
def test_errors(call: Any) -> None:
    assert_same_error(call)


# --------------------------------------------------------------------------- random ops: torch's draws
def test_alpha_dropout_draws_in_memory_order() -> None:
    def prog(m: Any) -> Any:
        m.manual_seed(5)
        x = m.randn(2, 3, 4, 5).permute(0, 3, 1, 2)
        return (
            m.nn.functional.alpha_dropout(x, 0.3, True),
            m.nn.functional.feature_alpha_dropout(x, 0.6, True),
            m.nn.functional.alpha_dropout(x, 1.0, True),
            m.randn(3),  # the generator advanced alike
        )

    got, want = prog(re_), prog(torch)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_dropout3d_unbatched_in_place() -> None:
    def prog(m: Any) -> Any:
        m.manual_seed(11)
        x = m.randn(3, 2, 2, 2)
        y = m.nn.functional.dropout3d(x, 0.5, True, inplace=True)
        return x, y

    got, want = prog(re_), prog(torch)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.FractionalMaxPool2d(3, output_size=(4, 3), return_indices=True),
        lambda nn: nn.FractionalMaxPool2d((2, 3), output_ratio=0.6),
        lambda nn: nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.7, 0.4), return_indices=True),
    ],
    ids=["2d-size-indices", "2d-ratio", "3d-ratio-indices"],
)
def test_fractional_max_pool_draws(make: Any) -> None:
    """The window positions come from the generator: the same draws (and windows) as torch under one seed."""

    def prog(m: Any) -> Any:
        m.manual_seed(21)
        layer = make(m.nn)
        x = m.randn(2, 3, 7, 8, 9)[:, :, 0] if isinstance(layer, m.nn.FractionalMaxPool2d) else m.randn(2, 3, 7, 8, 9)
        x.requires_grad_(True)
        out = layer(x)
        y = out[0] if isinstance(out, tuple) else out
        (y * m.arange(y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        return [*(out if isinstance(out, tuple) else (out,)), x.grad, m.rand(2), repr(layer), grad_fn_name(y)]

    got, want = prog(re_), prog(torch)
    for g, w in zip(got, want, strict=True):
        if isinstance(w, str):
            assert g == w
        else:
            np.testing.assert_array_equal(g.detach().numpy(), w.detach().numpy())
