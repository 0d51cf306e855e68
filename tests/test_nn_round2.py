"""The second round of nn pieces against real torch: selu, celu, shrinks, rrelu, Softmax2d, padding layers.

Expected values come from torch run side by side on the same inputs (``conformance.compare``'s
tolerances); grad_fn names, dtypes, reprs and error messages must match exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
from tests.test_nn import DTYPE_IDS, DTYPES, as_engine, build_pair, check, run_and_compare
from tests.test_nn_more import _grad_fn_name, _same_error, _spread, check_activation, check_activation_double_backward

TF = torch.nn.functional

ACTIVATIONS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    "selu": (lambda nn: nn.SELU(), lambda f, x: f.selu(x)),
    "celu": (lambda nn: nn.CELU(), lambda f, x: f.celu(x)),
    "celu_alpha": (lambda nn: nn.CELU(0.7), lambda f, x: f.celu(x, 0.7)),
    "softshrink": (lambda nn: nn.Softshrink(), lambda f, x: f.softshrink(x)),
    "softshrink_1": (lambda nn: nn.Softshrink(1.2), lambda f, x: f.softshrink(x, 1.2)),
    "hardshrink": (lambda nn: nn.Hardshrink(), lambda f, x: f.hardshrink(x)),
    "hardshrink_1": (lambda nn: nn.Hardshrink(1.2), lambda f, x: f.hardshrink(x, 1.2)),
    "rrelu_eval": (lambda nn: nn.RReLU().eval(), lambda f, x: f.rrelu(x)),
    "rrelu_eval_bounds": (lambda nn: nn.RReLU(0.2, 0.6).eval(), lambda f, x: f.rrelu(x, 0.2, 0.6)),
}


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    check_activation(*ACTIVATIONS[name], tdt, edt)


@pytest.mark.parametrize("name", ["selu", "celu_alpha", "softshrink", "hardshrink"])
def test_activation_double_backward_matches_torch(name: str) -> None:
    check_activation_double_backward(ACTIVATIONS[name][1])


INPLACE = {
    "selu": lambda f, x: f.selu(x, inplace=True),
    "celu": lambda f, x: f.celu(x, 0.5, inplace=True),
    "rrelu": lambda f, x: f.rrelu(x, inplace=True),
    "rrelu_train": lambda f, x: f.rrelu(x, 0.1, 0.4, True, inplace=True),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_activation_matches_torch(name: str) -> None:
    torch.manual_seed(2)
    x = _spread((3, 5))
    g = torch.randn(3, 5, dtype=torch.float64)
    results = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, requires_grad=True))):
        lib.manual_seed(7)
        h = leaf * 1.5
        out = INPLACE[name](f, h)
        assert out is h and h._version == 1
        out.backward(g if lib is torch else as_engine(g))
        results.append((_grad_fn_name(out), out, leaf.grad))
    (tn, ty, tgrad), (en, ey, egrad) = results
    assert en == tn
    check(ey, ty, "value")
    check(egrad, tgrad, "grad through the in-place op")
    _same_error(lambda t, nn, f: INPLACE[name](f, t.ones(2, requires_grad=True)))


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_rrelu_training_draws_like_torch(tdt: torch.dtype, edt: Any) -> None:
    x = _spread((5, 7), tdt)
    g = torch.randn(5, 7, dtype=tdt)
    outs = []
    for lib, nn, leaf in ((torch, torch.nn, x.clone().requires_grad_(True)), (re_, enn, as_engine(x, True))):
        lib.manual_seed(11)
        m = nn.RReLU(0.05, 0.5)
        y = m(leaf)
        y.backward(g if lib is torch else as_engine(g))
        after = lib.rand(3, dtype=tdt if lib is torch else edt)  # the generator moved on by as much
        outs.append((y, leaf.grad, after, _grad_fn_name(y)))
    (ty, tg, ta, tn), (ey, eg, ea, en) = outs
    assert en == tn and ey.dtype == edt
    check(ey, ty, "output")
    check(eg, tg, "grad")
    check(ea, ta, "next draw")


def test_softmax2d_matches_torch() -> None:
    torch.manual_seed(3)
    for shape in ((3, 4, 5), (2, 3, 4, 2)):
        tm, em = torch.nn.Softmax2d(), enn.Softmax2d()
        assert repr(em) == repr(tm)
        run_and_compare(tm, em, torch.randn(shape, dtype=torch.float64))
    _same_error(lambda t, nn, f: nn.Softmax2d()(t.ones(3)))


def test_activation_errors_match_torch() -> None:
    _same_error(lambda t, nn, f: f.softshrink(t.ones(3, dtype=t.float64), -1))
    _same_error(lambda t, nn, f: f.softshrink(t.ones(3), -0.5))
    _same_error(lambda t, nn, f: f.softshrink(t.ones(3, dtype=t.long)))
    _same_error(lambda t, nn, f: f.hardshrink(t.ones(3, dtype=t.long)))
    _same_error(lambda t, nn, f: f.selu(t.ones(3, dtype=t.long)))
    _same_error(lambda t, nn, f: f.celu(t.ones(3, dtype=t.long)))
    _same_error(lambda t, nn, f: f.celu(t.ones(3), 0.0))
    _same_error(lambda t, nn, f: f.rrelu(t.ones(3, dtype=t.long)))


# --------------------------------------------------------------------------- padding layers
PADS: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
    "zero1d": (lambda nn: nn.ZeroPad1d(2), (2, 3, 4)),
    "zero1d_tuple": (lambda nn: nn.ZeroPad1d((1, 3)), (3, 4)),
    "zero2d": (lambda nn: nn.ZeroPad2d((1, 0, 2, 1)), (2, 2, 3, 4)),
    "zero2d_crop": (lambda nn: nn.ZeroPad2d((-1, 1, 0, 2)), (1, 3, 4)),
    "constant1d": (lambda nn: nn.ConstantPad1d((2, 1), 3.5), (2, 3, 4)),
    "constant2d": (lambda nn: nn.ConstantPad2d(1, -1.0), (2, 2, 3, 4)),
    "reflection1d": (lambda nn: nn.ReflectionPad1d((2, 3)), (2, 3, 5)),
    "reflection2d": (lambda nn: nn.ReflectionPad2d(2), (1, 2, 4, 5)),
    "reflection2d_tuple": (lambda nn: nn.ReflectionPad2d((1, 0, 2, 1)), (2, 3, 4)),
    "replication1d": (lambda nn: nn.ReplicationPad1d(3), (2, 3, 4)),
    "replication2d": (lambda nn: nn.ReplicationPad2d((2, 1, 0, 3)), (1, 2, 3, 4)),
    "circular1d": (lambda nn: nn.CircularPad1d(2), (2, 3, 4)),
    "circular1d_2d_input": (lambda nn: nn.CircularPad1d((1, 2)), (3, 4)),
    "circular2d": (lambda nn: nn.CircularPad2d((1, 2, 2, 1)), (1, 2, 3, 4)),
}


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(PADS))
def test_padding_layer_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(4)
    make, shape = PADS[name]
    tm, em = make(torch.nn), make(enn)
    assert repr(em) == repr(tm)
    assert em.padding == tm.padding
    run_and_compare(tm, em, torch.randn(shape, dtype=tdt))


def test_padding_layer_errors_match_torch() -> None:
    _same_error(lambda t, nn, f: nn.CircularPad1d(1)(t.ones(3)))
    _same_error(lambda t, nn, f: nn.CircularPad2d(1)(t.ones(1, 1, 1, 3, 3)))
    _same_error(lambda t, nn, f: nn.ReflectionPad1d(4)(t.ones(1, 3)))
    _same_error(lambda t, nn, f: nn.ZeroPad2d((1, 2, 3))(t.ones(1, 3, 3)))


# --------------------------------------------------------------------------- 1-d pooling, dropout1d
POOLS: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
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


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(POOLS))
def test_pool1d_layer_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(5)
    make, shape = POOLS[name]
    tm, em = make(torch.nn), make(enn)
    assert repr(em) == repr(tm)
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
        _same_error(call)


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape", [(3, 5, 4), (6, 4)])
@pytest.mark.parametrize("p", [0.4, 1.0])
def test_dropout1d_draws_like_torch(shape: tuple, p: float, tdt: torch.dtype, edt: Any) -> None:
    x = torch.randn(shape, dtype=tdt)
    tm, em = torch.nn.Dropout1d(p), enn.Dropout1d(p)
    assert repr(em) == repr(tm)
    torch.manual_seed(8)
    re_.manual_seed(8)
    run_and_compare(tm, em, x, seed_grad=False)  # no extra draws from torch's generator
    check(re_.rand(4, dtype=edt), torch.rand(4, dtype=tdt), "generator moved on by as much")
    assert em.eval()(as_engine(x)).tolist() == x.tolist()


def test_dropout1d_inplace_matches_torch() -> None:
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    outs = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, True))):
        lib.manual_seed(9)
        h = leaf * 1.0
        out = f.dropout1d(h, 0.5, inplace=True)
        assert out is h
        out.sum().backward()
        outs.append((out, leaf.grad, _grad_fn_name(out)))
    check(outs[1][0], outs[0][0], "values")
    check(outs[1][1], outs[0][1], "grad")
    assert outs[1][2] == outs[0][2]


# --------------------------------------------------------------------------- losses, distance, bilinear
def _loss_case(name: str, dtype: torch.dtype) -> tuple[list[torch.Tensor], list[bool]]:
    """The inputs of loss ``name`` and which of them take a grad (torch.randn after manual_seed(10))."""
    torch.manual_seed(10)
    r = lambda *s: torch.randn(*s, dtype=dtype)
    sign = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0], dtype=dtype)
    if name == "margin_ranking":
        return [r(5), r(5), sign], [True, True, False]
    if name == "cosine_embedding":
        return [r(5, 4), r(5, 4), sign], [True, True, False]
    if name == "cosine_embedding_1d":
        return [r(4), r(4), torch.tensor(-1.0, dtype=dtype)], [True, True, False]
    if name.startswith("triplet"):
        return [r(5, 4), r(5, 4), r(5, 4)], [True, True, True]
    if name.startswith("poisson"):
        return [r(3, 4).abs() + 0.1, (r(3, 4) * 2).abs().round()], [True, True]
    return [r(3, 4), r(3, 4), r(3, 4).abs() + 0.05], [True, True, True]  # gaussian


LOSSES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "margin_ranking": (lambda nn, r: nn.MarginRankingLoss(0.3, reduction=r), lambda f, r, *a: f.margin_ranking_loss(*a, 0.3, reduction=r)),
    "cosine_embedding": (lambda nn, r: nn.CosineEmbeddingLoss(0.2, reduction=r), lambda f, r, *a: f.cosine_embedding_loss(*a, 0.2, reduction=r)),
    "cosine_embedding_1d": (lambda nn, r: nn.CosineEmbeddingLoss(reduction=r), lambda f, r, *a: f.cosine_embedding_loss(*a, reduction=r)),
    "triplet": (lambda nn, r: nn.TripletMarginLoss(reduction=r), lambda f, r, *a: f.triplet_margin_loss(*a, reduction=r)),
    "triplet_p1_swap": (lambda nn, r: nn.TripletMarginLoss(0.5, 1.0, swap=True, reduction=r), lambda f, r, *a: f.triplet_margin_loss(*a, 0.5, 1.0, swap=True, reduction=r)),
    "poisson": (lambda nn, r: nn.PoissonNLLLoss(reduction=r), lambda f, r, *a: f.poisson_nll_loss(*a, reduction=r)),
    "poisson_full": (lambda nn, r: nn.PoissonNLLLoss(False, True, reduction=r), lambda f, r, *a: f.poisson_nll_loss(*a, False, True, reduction=r)),
    "gaussian": (lambda nn, r: nn.GaussianNLLLoss(reduction=r), lambda f, r, *a: f.gaussian_nll_loss(*a, reduction=r)),
    "gaussian_full": (lambda nn, r: nn.GaussianNLLLoss(full=True, eps=0.1, reduction=r), lambda f, r, *a: f.gaussian_nll_loss(*a, full=True, eps=0.1, reduction=r)),
}  # fmt: skip


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_matches_torch(name: str, reduction: str, tdt: torch.dtype, edt: Any) -> None:
    make, call = LOSSES[name]
    inputs, grads = _loss_case(name, tdt)
    tm, em = make(torch.nn, reduction), make(enn, reduction)
    assert repr(em) == repr(tm)
    tin = [x.clone().requires_grad_(g) for x, g in zip(inputs, grads, strict=True)]
    ein = [as_engine(x, g) for x, g in zip(inputs, grads, strict=True)]
    for ty, ey in ((tm(*tin), em(*ein)), (call(TF, reduction, *tin), call(EF, reduction, *ein))):
        assert _grad_fn_name(ey) == _grad_fn_name(ty) and ey.dtype == edt
        check(ey, ty, "loss")
    g = torch.rand_like(ty) + 0.5
    ty.backward(g)
    ey.backward(as_engine(g))
    for i, (t, e) in enumerate(zip(tin, ein, strict=True)):
        check(e.grad, t.grad, f"grad of input {i}")


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0, "keepdim": True}, {"p": 3.0, "eps": 0.1}])
def test_pairwise_distance_matches_torch(kwargs: dict, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(12)
    x1, x2 = torch.randn(4, 5, dtype=tdt), torch.randn(1, 5, dtype=tdt)  # x2 broadcasts
    tm, em = torch.nn.PairwiseDistance(**kwargs), enn.PairwiseDistance(**kwargs)
    assert repr(em) == repr(tm)
    tin = [x1.clone().requires_grad_(True), x2.clone().requires_grad_(True)]
    ein = [as_engine(x1, True), as_engine(x2, True)]
    ty, ey = tm(*tin), em(*ein)
    check(ey, ty, "distance")
    assert ey.dtype == edt
    ty.backward(torch.ones_like(ty))
    ey.backward(re_.ones_like(ey))
    for t, e in zip(tin, ein, strict=True):
        check(e.grad, t.grad, "grad")


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias: bool, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(13)
    re_.manual_seed(13)
    tm, em = torch.nn.Bilinear(3, 4, 2, bias=bias).to(tdt), enn.Bilinear(3, 4, 2, bias=bias).to(edt)
    assert repr(em) == repr(tm)
    for (_, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        check(ep, tp, "seeded init")  # the same uniform_ draws, weight then bias
    x1, x2 = torch.randn(2, 5, 3, dtype=tdt), torch.randn(2, 5, 4, dtype=tdt)
    tin = [x1.clone().requires_grad_(True), x2.clone().requires_grad_(True)]
    ein = [as_engine(x1, True), as_engine(x2, True)]
    ty, ey = tm(*tin), em(*ein)
    assert _grad_fn_name(ey) == _grad_fn_name(ty) and ey.dtype == edt
    check(ey, ty, "output")
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    for t, e in zip(tin, ein, strict=True):
        check(e.grad, t.grad, "input grad")
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        check(ep.grad, tp.grad, f"grad of {name}")


def test_loss_errors_match_torch() -> None:
    v = lambda t, *s: t.ones(*s)
    for call in (
        lambda t, nn, f: f.margin_ranking_loss(v(t, 3), v(t, 3, 1), v(t, 3)),
        lambda t, nn, f: f.margin_ranking_loss(v(t, 3), v(t, 3), v(t, 3), reduction="avg"),
        lambda t, nn, f: f.cosine_embedding_loss(v(t, 3, 2), v(t, 3, 2), v(t, 3, 1)),
        lambda t, nn, f: f.cosine_embedding_loss(v(t, 3), v(t, 3), v(t, 3)),
        lambda t, nn, f: f.cosine_embedding_loss(v(t, 3, 2), v(t, 3, 2), v(t, ())),
        lambda t, nn, f: f.triplet_margin_loss(v(t, 3, 2), v(t, 3, 2), v(t, 3, 2), margin=0.0),
        lambda t, nn, f: f.triplet_margin_loss(v(t, 3, 2), v(t, 3, 2), v(t, 2)),
        lambda t, nn, f: nn.TripletMarginLoss(margin=-1.0),
        lambda t, nn, f: f.poisson_nll_loss(v(t, 3), v(t, 3), reduction="avg"),
        lambda t, nn, f: f.gaussian_nll_loss(v(t, 3), v(t, 3), -1.0),
        lambda t, nn, f: f.gaussian_nll_loss(v(t, 3), v(t, 3), v(t, 3) * -1),
        lambda t, nn, f: f.gaussian_nll_loss(v(t, 3, 4), v(t, 3, 4), v(t, 2, 4)),
        lambda t, nn, f: f.gaussian_nll_loss(v(t, 3), v(t, 3), v(t, 3), reduction="avg"),
        lambda t, nn, f: f.bilinear(v(t, 2, 3), v(t, 2), v(t, 1, 3, 1)),
        lambda t, nn, f: f.bilinear(v(t, 2, 3), v(t, 3, 4), v(t, 1, 3, 4)),
        lambda t, nn, f: f.bilinear(v(t, 2, 3), v(t, 2, 4), v(t, 1, 2, 4)),
        lambda t, nn, f: f.bilinear(v(t, 2, 3), v(t, 2, 4), v(t, 1, 3, 5)),
        lambda t, nn, f: f.bilinear(v(t, 2, 3), v(t, 2, 4), v(t, 1, 3, 4), v(t, 2)),
    ):
        _same_error(call)


def test_gaussian_nll_homoscedastic_var_matches_torch() -> None:
    torch.manual_seed(14)
    x, y = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    for var in (torch.rand(3, dtype=torch.float64) + 0.1, torch.rand(3, 1, dtype=torch.float64) + 0.1, 0.7):
        ev = as_engine(var) if isinstance(var, torch.Tensor) else var
        check(EF.gaussian_nll_loss(as_engine(x), as_engine(y), ev), TF.gaussian_nll_loss(x, y, var), "loss")


# --------------------------------------------------------------------------- transformer encoder
ENCODERS: dict[str, Callable[[Any], Any]] = {
    "post_norm": lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
    "pre_norm_gelu_batch_first": lambda nn: nn.TransformerEncoderLayer(
        8, 2, 12, 0.1, "gelu", batch_first=True, norm_first=True
    ),
    "stack_with_norm": lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 4, 16, 0.1, batch_first=True), 2, nn.LayerNorm(8), enable_nested_tensor=False
    ),
}


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(ENCODERS))
def test_transformer_encoder_eval_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    make = ENCODERS[name]
    torch.manual_seed(15)
    re_.manual_seed(15)
    tm, em = make(torch.nn).to(tdt).eval(), make(enn).to(edt).eval()
    assert repr(em) == repr(tm)
    tparams, eparams = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(eparams) == list(tparams)
    for k, tp in tparams.items():
        check(eparams[k], tp, f"seeded init of {k}")  # the same draws in the same order
    x = torch.randn(2, 5, 8, dtype=tdt)
    run_and_compare(tm, em, x)  # parameters require grad, so torch takes its slow path


def test_transformer_encoder_masks_match_torch() -> None:
    torch.manual_seed(16)
    tm = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double()
    em = enn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double()
    em.load_state_dict({k: as_engine(v) for k, v in tm.state_dict().items()})
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    pad = torch.zeros(2, 5, dtype=torch.float64)
    pad[1, 3:] = float("-inf")  # float like src_mask: mixing mask types is deprecated in torch
    ty = tm(x, src_mask=causal, src_key_padding_mask=pad)
    ey = em(as_engine(x), src_mask=as_engine(causal), src_key_padding_mask=as_engine(pad))
    check(ey, ty, "masked output")


def test_transformer_encoder_trains_like_torch_without_dropout() -> None:
    torch.manual_seed(17)
    tm, em = build_pair(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), torch.float64, re_.float64)
    run_and_compare(tm.train(), em.train(), torch.randn(5, 2, 8, dtype=torch.float64))
    em.self_attn.dropout = 0.1
    with pytest.raises(NotImplementedError):
        em(re_.ones(5, 2, 8, dtype=re_.float64))  # attention-weight dropout is not implemented


def test_transformer_encoder_warning_and_errors_match_torch() -> None:
    layers = [nn.TransformerEncoderLayer(8, 2, 16) for nn in (torch.nn, enn)]
    messages = []
    for nn, layer in zip((torch.nn, enn), layers, strict=True):
        with pytest.warns(UserWarning) as rec:
            nn.TransformerEncoder(layer, 2)
        messages.append([str(w.message) for w in rec])
    assert messages[1] == messages[0]
    _same_error(lambda t, nn, f: nn.TransformerEncoderLayer(8, 2, activation="tanh"))
    _same_error(lambda t, nn, f: nn.TransformerEncoderLayer(8, 3))


@pytest.mark.parametrize("name", ["cosine_embedding", "triplet", "poisson_full", "gaussian"])
def test_loss_double_backward_matches_torch(name: str) -> None:
    call = LOSSES[name][1]
    inputs, _ = _loss_case(name, torch.float64)
    tx, ex = inputs[0].clone().requires_grad_(True), as_engine(inputs[0], True)
    rest_t, rest_e = inputs[1:], [as_engine(x) for x in inputs[1:]]
    (tg,) = torch.autograd.grad(call(TF, "sum", tx, *rest_t), tx, create_graph=True)
    (eg,) = re_.autograd.grad(call(EF, "sum", ex, *rest_e), ex, create_graph=True)
    check(eg, tg, "first grad")
    check(re_.autograd.grad(eg.pow(2).sum(), ex)[0], torch.autograd.grad(tg.pow(2).sum(), tx)[0], "second grad")
