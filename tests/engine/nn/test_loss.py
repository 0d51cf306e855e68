"""Losses against real torch, as modules and as functions, every reduction: values, grads of inputs and targets,
grad_fn names, double backward, weights, class-probability targets, label smoothing, warnings and errors; also
pairwise_distance and Bilinear.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
from tests.helpers import (
    OVER_FLOAT_DTYPES,
    as_engine,
    assert_same_nn_error,
    check,
    check_double_backward,
    double_backward,
    grad_fn_name,
    run_and_compare,
)

TF = torch.nn.functional


# --------------------------------------------------------------------------- losses
BASIC_LOSSES = ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss"]


def _basic_loss_inputs(name: str, tdt: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(6, 4, dtype=tdt)
    if name in ("CrossEntropyLoss", "NLLLoss"):
        return (x.log_softmax(1) if name == "NLLLoss" else x), torch.tensor([0, 3, 1, 1, 2, 0])
    if name == "BCEWithLogitsLoss":
        return x, torch.rand(6, 4, dtype=tdt)
    return x, torch.randn(6, 4, dtype=tdt)


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", BASIC_LOSSES)
def test_loss_matches_torch(name: str, reduction: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(1)
    x, target = _basic_loss_inputs(name, tdt)
    tfn, efn = getattr(torch.nn, name)(reduction=reduction), getattr(enn, name)(reduction=reduction)
    run_and_compare(lambda t: tfn(t, target), lambda t: efn(t, as_engine(target)), x)  # type: ignore[arg-type]


@OVER_FLOAT_DTYPES
def test_weighted_losses_match_torch(tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(2)
    x = torch.randn(5, 3, 2, dtype=tdt)
    t = torch.tensor([[0, 2], [1, 1], [2, -100], [0, 0], [1, 2]])
    w = torch.rand(3, dtype=tdt)
    for reduction in ("mean", "sum", "none"):
        run_and_compare(
            lambda a, r=reduction: torch.nn.functional.cross_entropy(a, t, weight=w, reduction=r),
            lambda a, r=reduction: EF.cross_entropy(a, as_engine(t), weight=as_engine(w), reduction=r),
            x,
        )
    y = torch.rand(4, 3, dtype=tdt)
    bw, pw = torch.rand(4, 3, dtype=tdt), torch.rand(3, dtype=tdt) * 3
    run_and_compare(
        lambda a: torch.nn.BCEWithLogitsLoss(weight=bw, pos_weight=pw)(a, y),
        lambda a: enn.BCEWithLogitsLoss(weight=as_engine(bw), pos_weight=as_engine(pw))(a, as_engine(y)),
        torch.randn(4, 3, dtype=tdt) * 3,
    )


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets_match_torch(reduction: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(6)
    x, p = torch.randn(5, 4, 2, dtype=tdt), torch.rand(5, 4, 2, dtype=tdt).softmax(1)
    w = torch.rand(4, dtype=tdt)
    for kw in ({}, {"weight": w}, {"label_smoothing": 0.2}):
        ekw = {k: as_engine(v) if isinstance(v, torch.Tensor) else v for k, v in kw.items()}
        tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
        tl = torch.nn.functional.cross_entropy(tx, p, reduction=reduction, **kw)
        el = EF.cross_entropy(ex, as_engine(p), reduction=reduction, **ekw)
        check(el, tl, f"loss {kw}")
        tl.sum().backward()
        el.sum().backward()
        check(ex.grad, tx.grad, f"input grad {kw}")


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_label_smoothing_matches_torch(reduction: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(8)
    x, t, w = torch.randn(5, 4, dtype=tdt), torch.tensor([0, 3, -100, 1, 2]), torch.rand(4, dtype=tdt)
    for weight in (None, w):
        run_and_compare(
            lambda a, wt=weight: torch.nn.CrossEntropyLoss(weight=wt, reduction=reduction, label_smoothing=0.15)(a, t),
            lambda a, wt=weight: enn.CrossEntropyLoss(
                weight=None if wt is None else as_engine(wt), reduction=reduction, label_smoothing=0.15
            )(a, as_engine(t)),
            x,
        )


def test_loss_target_grads_match_torch() -> None:
    torch.manual_seed(3)
    x, y = torch.randn(4, 3, dtype=torch.float64), torch.rand(4, 3, dtype=torch.float64)
    for tfn, efn in ((torch.nn.functional.mse_loss, EF.mse_loss),
                     (torch.nn.functional.binary_cross_entropy_with_logits, EF.binary_cross_entropy_with_logits)):  # fmt: skip
        ty = y.clone().requires_grad_(True)
        ey = as_engine(y, requires_grad=True)
        tfn(x, ty).backward()
        efn(as_engine(x), ey).backward()
        check(ey.grad, ty.grad, f"target grad of {tfn.__name__}")


# --------------------------------------------------------------------------- losses
REDUCTIONS = ["mean", "sum", "none"]


def _elementwise_loss_inputs(name: str, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(8)
    if name.startswith("bce"):
        return torch.rand(3, 4, dtype=dtype) * 0.98 + 0.01, torch.rand(3, 4, dtype=dtype)
    if name.startswith("kl"):
        logp = torch.randn(3, 4, dtype=dtype).log_softmax(1)
        target = torch.randn(3, 4, dtype=dtype).softmax(1)
        return logp, (target.log() if name == "kl_log_target" else target)
    return torch.randn(3, 4, dtype=dtype) * 2, torch.randn(3, 4, dtype=dtype)


ELEMENTWISE_LOSSES: dict[str, Callable[[Any, str], Any]] = {
    "bce": lambda nn, r: nn.BCELoss(reduction=r),
    "bce_weight": lambda nn, r: nn.BCELoss(weight=(torch if nn is torch.nn else re_).linspace(0.5, 2, 4), reduction=r),
    "smooth_l1": lambda nn, r: nn.SmoothL1Loss(reduction=r),
    "smooth_l1_beta": lambda nn, r: nn.SmoothL1Loss(reduction=r, beta=0.4),
    "smooth_l1_beta0": lambda nn, r: nn.SmoothL1Loss(reduction=r, beta=0.0),
    "huber": lambda nn, r: nn.HuberLoss(reduction=r),
    "huber_delta": lambda nn, r: nn.HuberLoss(reduction=r, delta=2.5),
    "kl": lambda nn, r: nn.KLDivLoss(reduction=r),
    "kl_log_target": lambda nn, r: nn.KLDivLoss(reduction=r, log_target=True),
}


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(ELEMENTWISE_LOSSES))
def test_loss_module_matches_torch(name: str, reduction: str, tdt: torch.dtype, edt: Any) -> None:
    x, target = _elementwise_loss_inputs(name, tdt)
    tm, em = ELEMENTWISE_LOSSES[name](torch.nn, reduction), ELEMENTWISE_LOSSES[name](enn, reduction)
    if em.__dict__["_buffers"].get("weight") is not None:
        em.weight = em.weight.to(edt)
        tm.weight = tm.weight.to(tdt)
    assert repr(em) == repr(tm)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, True)
    tt, et = target.clone().requires_grad_(True), as_engine(target, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KLDivLoss's 'mean' warning: tested below
        ty, ey = tm(tx, tt), em(ex, et)
    assert grad_fn_name(ey) == grad_fn_name(ty) and ey.dtype == edt and ey.shape == ty.shape
    check(ey, ty, "loss")
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    check(ex.grad, tx.grad, "input grad")
    check(et.grad, tt.grad, "target grad")


def test_kl_div_batchmean_and_warning_match_torch() -> None:
    x, t = _elementwise_loss_inputs("kl", torch.float64)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, True)
    ty, ey = TF.kl_div(tx, t, reduction="batchmean"), EF.kl_div(ex, as_engine(t), reduction="batchmean")
    assert grad_fn_name(ey) == grad_fn_name(ty) == "DivBackward0"
    check(ey, ty)
    ty.backward()
    ey.backward()
    check(ex.grad, tx.grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation warning for the legacy flags (the engine has none)
        for legacy in ({"size_average": False}, {"reduce": False}):  # the flags pick the kernel's reduction
            for r in ("mean", "batchmean"):
                ey = EF.kl_div(as_engine(x), as_engine(t), reduction=r, **legacy)
                check(ey, TF.kl_div(x, t, reduction=r, **legacy))
    with pytest.warns(UserWarning) as tw:
        TF.kl_div(x, t)
    with pytest.warns(UserWarning) as ew:
        EF.kl_div(as_engine(x), as_engine(t))
    assert str(ew[0].message) == str(tw[0].message)


@pytest.mark.parametrize("name", ["bce", "smooth_l1", "huber"])
def test_elementwise_loss_double_backward_matches_torch(name: str) -> None:
    x, target = _elementwise_loss_inputs(name, torch.float64)
    call = {"bce": "binary_cross_entropy", "smooth_l1": "smooth_l1_loss", "huber": "huber_loss"}[name]
    res = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, True))):
        tgt = target if lib is torch else as_engine(target)
        (g,) = lib.autograd.grad(getattr(f, call)(leaf, tgt, reduction="sum"), leaf, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), leaf)
        res.append((g, gg))
    check(res[1][0], res[0][0], "grad")
    check(res[1][1], res[0][1], "second grad")


def test_huber_weight_and_broadcast_warning_match_torch() -> None:
    x, t = _elementwise_loss_inputs("huber", torch.float64)
    w = torch.rand(3, 4, dtype=torch.float64)
    for r in REDUCTIONS:
        check(EF.huber_loss(as_engine(x), as_engine(t), r, 1.5, as_engine(w)), TF.huber_loss(x, t, r, 1.5, w))
    with pytest.warns(UserWarning) as tw:
        ty = TF.smooth_l1_loss(x, t[:1])
    with pytest.warns(UserWarning) as ew:
        ey = EF.smooth_l1_loss(as_engine(x), as_engine(t[:1]))
    assert str(ew[0].message) == str(tw[0].message)
    check(ey, ty)


def test_elementwise_loss_errors_match_torch() -> None:
    assert_same_nn_error(lambda t, nn, f: f.binary_cross_entropy(t.tensor([1.5]), t.tensor([1.0])))
    assert_same_nn_error(lambda t, nn, f: f.binary_cross_entropy(t.tensor([0.5]), t.tensor([1.2])))
    assert_same_nn_error(lambda t, nn, f: f.binary_cross_entropy(t.tensor([0.5]), t.tensor([[1.0]])))
    assert_same_nn_error(lambda t, nn, f: f.binary_cross_entropy(t.tensor([0.5]), t.tensor([1.0]), reduction="avg"))
    assert_same_nn_error(lambda t, nn, f: f.smooth_l1_loss(t.ones(3), t.ones(3), beta=-1.0))
    assert_same_nn_error(lambda t, nn, f: f.huber_loss(t.ones(3), t.ones(3), delta=0.0))
    assert_same_nn_error(lambda t, nn, f: f.huber_loss(t.ones(3), t.ones(3), reduction="foo"))
    assert_same_nn_error(lambda t, nn, f: f.kl_div(t.ones(3), t.ones(3), reduction="foo"))
    assert_same_nn_error(lambda t, nn, f: f.huber_loss(t.ones(3), t.ones(3), weight=t.ones(2)))
    assert_same_nn_error(lambda t, nn, f: f.huber_loss(t.ones(3), t.ones(3), reduction="avg", weight=t.ones(3)))


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


MARGIN_AND_NLL_LOSSES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
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


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(MARGIN_AND_NLL_LOSSES))
def test_margin_and_nll_loss_matches_torch(name: str, reduction: str, tdt: torch.dtype, edt: Any) -> None:
    make, call = MARGIN_AND_NLL_LOSSES[name]
    inputs, grads = _loss_case(name, tdt)
    tm, em = make(torch.nn, reduction), make(enn, reduction)
    assert repr(em) == repr(tm)
    tin = [x.clone().requires_grad_(g) for x, g in zip(inputs, grads, strict=True)]
    ein = [as_engine(x, g) for x, g in zip(inputs, grads, strict=True)]
    for ty, ey in ((tm(*tin), em(*ein)), (call(TF, reduction, *tin), call(EF, reduction, *ein))):
        assert grad_fn_name(ey) == grad_fn_name(ty) and ey.dtype == edt
        check(ey, ty, "loss")
    g = torch.rand_like(ty) + 0.5
    ty.backward(g)
    ey.backward(as_engine(g))
    for i, (t, e) in enumerate(zip(tin, ein, strict=True)):
        check(e.grad, t.grad, f"grad of input {i}")


@OVER_FLOAT_DTYPES
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


@OVER_FLOAT_DTYPES
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
    assert grad_fn_name(ey) == grad_fn_name(ty) and ey.dtype == edt
    check(ey, ty, "output")
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    for t, e in zip(tin, ein, strict=True):
        check(e.grad, t.grad, "input grad")
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        check(ep.grad, tp.grad, f"grad of {name}")


def test_margin_nll_and_bilinear_errors_match_torch() -> None:
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
        assert_same_nn_error(call)


def test_gaussian_nll_homoscedastic_var_matches_torch() -> None:
    torch.manual_seed(14)
    x, y = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    for var in (torch.rand(3, dtype=torch.float64) + 0.1, torch.rand(3, 1, dtype=torch.float64) + 0.1, 0.7):
        ev = as_engine(var) if isinstance(var, torch.Tensor) else var
        check(EF.gaussian_nll_loss(as_engine(x), as_engine(y), ev), TF.gaussian_nll_loss(x, y, var), "loss")


@pytest.mark.parametrize("name", ["cosine_embedding", "triplet", "poisson_full", "gaussian"])
def test_margin_and_nll_loss_double_backward_matches_torch(name: str) -> None:
    call = MARGIN_AND_NLL_LOSSES[name][1]
    inputs, _ = _loss_case(name, torch.float64)
    tx, ex = inputs[0].clone().requires_grad_(True), as_engine(inputs[0], True)
    rest_t, rest_e = inputs[1:], [as_engine(x) for x in inputs[1:]]
    (tg,) = torch.autograd.grad(call(TF, "sum", tx, *rest_t), tx, create_graph=True)
    (eg,) = re_.autograd.grad(call(EF, "sum", ex, *rest_e), ex, create_graph=True)
    check(eg, tg, "first grad")
    check(re_.autograd.grad(eg.pow(2).sum(), ex)[0], torch.autograd.grad(tg.pow(2).sum(), tx)[0], "second grad")


# --------------------------------------------------------------------------- double backward
_RNG = np.random.default_rng(7)
_X, _T, _W = _RNG.standard_normal((4, 5)), np.array([1, 0, 4, 2]), _RNG.random(5) + 0.1
_PROBS, _PW = _RNG.random((4, 5)), _RNG.random(5) + 0.5


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_double_backward(reduction: str, weighted: bool) -> None:
    def fn(lib: Any, x: Any, t: Any, w: Any) -> Any:
        return (lib.nn.functional.nll_loss(x, t, weight=w if weighted else None, reduction=reduction) ** 2).sum()

    check_double_backward(fn, [_X, _T, _W], [0])


def test_nll_loss2d_double_backward_with_ignore_index() -> None:
    x, t = _RNG.standard_normal((2, 3, 4, 5)), _RNG.integers(0, 3, (2, 4, 5))

    def fn(lib: Any, x: Any, t: Any) -> Any:
        return (lib.nn.functional.nll_loss(x, t, ignore_index=1, reduction="none") ** 2).sum()

    check_double_backward(fn, [x, t], [0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_label_smoothing_weights_double_backward_values(reduction: str) -> None:
    def fn(lib: Any, x: Any, t: Any, w: Any) -> Any:
        return (lib.nn.functional.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=0.2) ** 2).sum()

    want = double_backward(torch, fn, [_X, _T, _W], [0])
    got = double_backward(re_, fn, [_X, _T, _W], [0])
    # torch's first-order node is LogSoftmaxBackwardDataBackward0; the engine's log_softmax backward is written
    # in engine ops (SubBackward0 on top): the values agree, the name does not yet
    assert want[0] == ["LogSoftmaxBackwardDataBackward0"]
    for a, b in zip(got[1] + got[2], want[1] + want[2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_double_backward(reduction: str, weighted: bool) -> None:
    def fn(lib: Any, x: Any, t: Any, w: Any, pw: Any) -> Any:
        kw = {"weight": w, "pos_weight": pw} if weighted else {}
        return (lib.nn.functional.binary_cross_entropy_with_logits(x, t, reduction=reduction, **kw) ** 2).sum()

    check_double_backward(fn, [_X, _PROBS, _W, _PW], [0, 1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_grad_of_an_infinite_loss_is_zero_off_target(reduction: str) -> None:
    """An overflowing step (GradScaler's inf check): torch's grad is -inf at the targets and 0 elsewhere,
    not 0 * inf = NaN; an ignored target's row stays 0."""
    got = []
    for lib in (torch, re_):
        x = lib.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3], [1.0, 1.0, 1.0]], requires_grad=True)
        loss = lib.nn.functional.nll_loss(x, lib.tensor([2, 0, 1]), reduction=reduction, ignore_index=1)
        (g,) = lib.autograd.grad((loss * float("inf")).sum(), x)
        got.append(g.tolist())
    assert got[1] == got[0]
