"""Embedding and one_hot, F.pad and the padding layers (zero, constant, reflection, replication, circular),
normalize and cosine_similarity against real torch: values, grads, double backward, seeded init, errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
from tests.helpers import (
    OVER_FLOAT_DTYPES,
    LayerTable,
    Make,
    as_engine,
    assert_same_nn_error,
    check,
    check_double_backward,
    grad_fn_name,
    over_layers,
    run_and_compare,
    same_repr_pair,
)

TF = torch.nn.functional


# --------------------------------------------------------------------------- embedding, one_hot
def test_embedding_default_init_matches_torch_rng() -> None:
    for kwargs in ({}, {"padding_idx": 2}, {"padding_idx": -1, "max_norm": 1.0}):
        torch.manual_seed(0)
        tm = torch.nn.Embedding(10, 3, **kwargs)
        re_.manual_seed(0)
        em = enn.Embedding(10, 3, **kwargs)
        assert repr(em) == repr(tm)
        check(em.weight, tm.weight)
        assert em.padding_idx == tm.padding_idx
        # the generator is left in the same state
        check(re_.rand(4), torch.rand(4))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True}, {"padding_idx": 0, "scale_grad_by_freq": True}],
    ids=["plain", "padding", "freq", "padding_freq"],
)
def test_embedding_forward_backward_matches_torch(kwargs: dict) -> None:
    torch.manual_seed(5)
    tm = torch.nn.Embedding(6, 4, **kwargs).double()
    em = enn.Embedding(6, 4, **kwargs).double()
    em.weight.data = as_engine(tm.weight)
    idx = torch.tensor([[1, 0, 3, 1], [5, 1, 0, 3]])
    ty, ey = tm(idx), em(as_engine(idx))
    assert grad_fn_name(ey) == grad_fn_name(ty) == "EmbeddingBackward0"
    check(ey, ty)
    g = torch.randn(2, 4, 4, dtype=torch.float64)
    ty.backward(g)
    ey.backward(as_engine(g))
    check(em.weight.grad, tm.weight.grad, "weight grad")


def test_embedding_functional_max_norm_and_from_pretrained_match_torch() -> None:
    torch.manual_seed(6)
    w = torch.randn(5, 3, dtype=torch.float64) * 2
    idx = torch.tensor([0, 2, 2, 4])
    tw, ew = w.clone(), as_engine(w)
    ty = TF.embedding(idx, tw, max_norm=1.5)
    ey = EF.embedding(as_engine(idx), ew, max_norm=1.5)
    check(ey, ty)
    check(ew, tw, "renormalised weight, in place")
    for freeze in (True, False):
        tm = torch.nn.Embedding.from_pretrained(w, freeze=freeze, padding_idx=1)
        em = enn.Embedding.from_pretrained(as_engine(w), freeze=freeze, padding_idx=1)
        assert repr(em) == repr(tm) and em.weight.requires_grad == tm.weight.requires_grad
        check(em(as_engine(idx)), tm(idx))


def test_embedding_double_backward_matches_torch() -> None:
    w = torch.randn(4, 2, dtype=torch.float64)
    idx = torch.tensor([3, 0, 3])
    res = []
    for lib, f, leaf, ix in (
        (torch, TF, w.clone().requires_grad_(True), idx),
        (re_, EF, as_engine(w, True), as_engine(idx)),
    ):
        (g,) = lib.autograd.grad(f.embedding(ix, leaf).pow(3).sum(), leaf, create_graph=True)
        (gg,) = lib.autograd.grad(g.pow(2).sum(), leaf)
        res.append((g, gg))
    check(res[1][0], res[0][0])
    check(res[1][1], res[0][1])


def test_one_hot_matches_torch() -> None:
    x = torch.tensor([[0, 3], [2, 1]])
    for kwargs in ({}, {"num_classes": 6}):
        ty, ey = TF.one_hot(x, **kwargs), EF.one_hot(as_engine(x), **kwargs)
        assert ey.dtype == re_.int64 and ey.shape == ty.shape
        np.testing.assert_array_equal(np.asarray(ey._data), ty.numpy())


def test_embedding_and_one_hot_errors_match_torch() -> None:
    assert_same_nn_error(lambda t, nn, f: f.embedding(t.tensor([5]), t.ones(3, 2)))
    assert_same_nn_error(lambda t, nn, f: f.embedding(t.tensor([-1]), t.ones(3, 2)))
    assert_same_nn_error(lambda t, nn, f: f.embedding(t.tensor([1.0]), t.ones(3, 2)))
    assert_same_nn_error(lambda t, nn, f: f.embedding(t.tensor([1]), t.ones(3)))
    assert_same_nn_error(lambda t, nn, f: nn.Embedding(3, 2, padding_idx=3))
    assert_same_nn_error(lambda t, nn, f: nn.Embedding(3, 2, _weight=t.ones(2, 2)))
    assert_same_nn_error(lambda t, nn, f: nn.Embedding.from_pretrained(t.ones(3)))
    assert_same_nn_error(lambda t, nn, f: f.one_hot(t.tensor([1.0])))
    assert_same_nn_error(lambda t, nn, f: f.one_hot(t.tensor([-1])))
    assert_same_nn_error(lambda t, nn, f: f.one_hot(t.tensor([3]), 3))
    assert_same_nn_error(lambda t, nn, f: f.one_hot(t.tensor([], dtype=t.int64)))


# --------------------------------------------------------------------------- pad, normalize, cosine_similarity
@pytest.mark.parametrize(
    ("shape", "pad", "value"),
    [
        ((2, 3), (1, 2), None),
        ((2, 3, 4), (1, 0, 2, 1), 1.5),
        ((2, 5), (-1, 2), None),
        ((1, 2, 3, 4), (0, 1, 1, 0, 2, 0), -3.0),
    ],
)
def test_constant_pad_matches_torch(shape: tuple, pad: tuple, value: float | None) -> None:
    x = torch.randn(shape, dtype=torch.float64)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, True)
    ty, ey = TF.pad(tx, pad, value=value), EF.pad(ex, pad, value=value)
    assert grad_fn_name(ey) == grad_fn_name(ty) == "ConstantPadNdBackward0"
    check(ey, ty)
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    check(ex.grad, tx.grad, "grad")
    xi = torch.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(
        np.asarray(EF.pad(as_engine(xi), (1, 1), value=7)._data), TF.pad(xi, (1, 1), value=7).numpy()
    )


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    ("shape", "pad"),
    [
        ((2, 4, 5), (1, 2)),
        ((4, 5), (2, 1)),
        ((1, 2, 4, 5), (1, 2, 2, 1)),
        ((2, 4, 5), (3, 1, -1, 2)),
        ((1, 1, 3, 4, 5), (1, 1, 2, 1, 1, 2)),
    ],
)
def test_other_pad_modes_match_torch(mode: str, shape: tuple, pad: tuple) -> None:
    torch.manual_seed(9)
    x = torch.randn(shape)  # float32: values and grads are expected to agree to the bit
    tx, ex = x.clone().requires_grad_(True), as_engine(x, True)
    ty, ey = TF.pad(tx, pad, mode=mode), EF.pad(ex, pad, mode=mode)
    assert grad_fn_name(ey) == grad_fn_name(ty)
    np.testing.assert_array_equal(np.asarray(ey._data), ty.detach().numpy())
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    np.testing.assert_array_equal(np.asarray(ex.grad._data), tx.grad.numpy())


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_index_pad_double_backward_matches_torch(mode: str) -> None:
    x = torch.randn(1, 3, 4, dtype=torch.float64)
    res = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, True))):
        (g,) = lib.autograd.grad(f.pad(leaf, (2, 1, 1, 2), mode=mode).pow(3).sum(), leaf, create_graph=True)
        (gg,) = lib.autograd.grad(g.pow(2).sum(), leaf)
        res.append((g, gg))
    check(res[1][0], res[0][0])
    check(res[1][1], res[0][1])


def test_pad_errors_match_torch() -> None:
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(2, 4, 5), (5, 5), mode="reflect"))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(2, 4, 5), (1, 1, 5, 5), mode="reflect"))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(1, 2, 3, 4, 5), (1, 1, 1, 1, 3, 3), mode="reflect"))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(5), (1, 1), mode="reflect"))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(4, 5), (1, 1, 1, 1), mode="circular"))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(2, 4, 5), (6, 1), mode="circular"))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(2, 4, 5), (1, 1), mode="replicate", value=1.0))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(2, 3), (1,)))


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_index_pad_of_bool_is_not_implemented(mode: str, dims: int) -> None:
    shape = (1, 1) + (4,) * dims
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(shape, dtype=t.bool), (1, 1) * dims, mode=mode))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(2, 3), (1, 1, 1, 1, 1, 1)))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(2, 3), (-2, -2)))
    assert_same_nn_error(lambda t, nn, f: f.pad(t.ones(2, 3), (1, 1), mode="foo"))


@OVER_FLOAT_DTYPES
def test_normalize_and_cosine_similarity_match_torch(tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(7)
    a, b = torch.randn(3, 4, dtype=tdt), torch.randn(3, 4, dtype=tdt)
    a[1] = 0  # a zero row: the eps clamp decides
    calls = [
        lambda f, x, y: f.normalize(x),
        lambda f, x, y: f.normalize(x, p=1.0, dim=0),
        lambda f, x, y: f.cosine_similarity(x, y),
        lambda f, x, y: f.cosine_similarity(x, y[:1], dim=1),
        lambda f, x, y: f.cosine_similarity(x, y, 0, eps=0.5),
    ]
    for call in calls:
        ta, tb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
        ea, eb = as_engine(a, True), as_engine(b, True)
        ty, ey = call(TF, ta, tb), call(EF, ea, eb)
        assert grad_fn_name(ey) == grad_fn_name(ty) and ey.dtype == edt
        check(ey, ty)
        g = torch.randn_like(ty)
        ty.backward(g)
        ey.backward(as_engine(g))
        check(ea.grad, ta.grad, "grad x1")
        check(eb.grad, tb.grad, "grad x2")
    tm, em = torch.nn.CosineSimilarity(dim=0), enn.CosineSimilarity(dim=0)
    assert repr(em) == repr(tm)
    check(em(as_engine(a), as_engine(b)), tm(a, b))
    assert_same_nn_error(lambda t, nn, f: f.cosine_similarity(t.ones(3, 4), t.ones(3, 5)))
    assert_same_nn_error(lambda t, nn, f: f.cosine_similarity(t.tensor([1, 2]), t.tensor([1, 2])))


# --------------------------------------------------------------------------- padding layers
PADS: LayerTable = {
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


@OVER_FLOAT_DTYPES
@over_layers(PADS)
def test_padding_layer_matches_torch(make: Make, shape: tuple[int, ...], tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(4)
    tm, em = same_repr_pair(make)
    assert em.padding == tm.padding
    run_and_compare(tm, em, torch.randn(shape, dtype=tdt))


def test_padding_layer_errors_match_torch() -> None:
    assert_same_nn_error(lambda t, nn, f: nn.CircularPad1d(1)(t.ones(3)))
    assert_same_nn_error(lambda t, nn, f: nn.CircularPad2d(1)(t.ones(1, 1, 1, 3, 3)))
    assert_same_nn_error(lambda t, nn, f: nn.ReflectionPad1d(4)(t.ones(1, 3)))
    assert_same_nn_error(lambda t, nn, f: nn.ZeroPad2d((1, 2, 3))(t.ones(1, 3, 3)))


# --------------------------------------------------------------------------- double backward
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize(
    ("shape", "pad"),
    [((2, 3, 6), (2, 1)), ((3, 6), (1, 2)), ((2, 3, 5, 6), (1, 2, 2, 1)), ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2))],
)
def test_index_pad_double_backward(mode: str, shape: tuple, pad: tuple) -> None:
    def fn(lib: Any, x: Any) -> Any:
        return (lib.nn.functional.pad(x, pad, mode=mode) ** 3).sum()

    check_double_backward(fn, [np.random.default_rng(3).standard_normal(shape)], [0])


def test_reflection_pad_module_double_backward() -> None:
    def fn(lib: Any, x: Any) -> Any:
        return (lib.nn.ReflectionPad2d((1, 2, 0, 1))(x) ** 3).sum() + (lib.nn.ReplicationPad1d(2)(x[0]) ** 2).sum()

    check_double_backward(fn, [np.random.default_rng(4).standard_normal((2, 3, 4))], [0])
