"""F.embedding_bag and nn.EmbeddingBag against real torch, for what the catalogue's samples leave out: max_norm,
scale_grad_by_freq, include_last_offset with padding, float32 sums bit for bit, the module, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
from tests.helpers import assert_same_nn_error, check

IDX = [0, 3, 3, 1, 4, 2, 3, 0]
OFFSETS = [0, 2, 2, 5]


def _both(kwargs: dict[str, Any], dtype: str = "float64", psw: bool = False) -> None:
    rng = np.random.default_rng(3)
    w = rng.standard_normal((5, 4)).astype(dtype)
    p = rng.standard_normal(len(IDX)).astype(dtype)
    g = None
    results = []
    for lib in (torch, re_):
        weight = lib.tensor(w.copy(), requires_grad=True)
        weights = lib.tensor(p, requires_grad=True) if psw else None
        out = lib.nn.functional.embedding_bag(
            lib.tensor(IDX), weight, lib.tensor(OFFSETS), per_sample_weights=weights, **kwargs
        )
        if g is None:
            g = rng.standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(lib.tensor(g))
        results.append((out, weight, weights))
    (to, tw, tp), (eo, ew, ep) = results
    assert type(eo.grad_fn).__name__ == type(to.grad_fn).__name__ == "EmbeddingBagBackward0"
    check(eo, to, "output")
    check(ew.grad, tw.grad, "weight grad")
    check(ew.detach(), tw.detach(), "weight after max_norm")
    if psw:
        check(ep.grad, tp.grad, "per_sample_weights grad")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_max_norm_renormalises_looked_up_rows(mode: str) -> None:
    _both({"mode": mode, "max_norm": 1.0})


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq(mode: str) -> None:
    _both({"mode": mode, "scale_grad_by_freq": True, "padding_idx": 0})


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_include_last_offset_with_padding(mode: str) -> None:
    # torch's kernels disagree among themselves when the last offset falls short of the input's end (some
    # read to the end, one reads uninitialised memory); only a last offset at the end is well defined
    global OFFSETS
    saved, OFFSETS = OFFSETS, [0, 2, 2, 5, len(IDX)]
    try:
        _both({"mode": mode, "include_last_offset": True, "padding_idx": 3})
    finally:
        OFFSETS = saved


@pytest.mark.parametrize("padding_idx", [None, 3])
def test_float32_weighted_sum_bit_for_bit(padding_idx: int | None) -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((50, 64)).astype(np.float32)
    idx = rng.integers(0, 50, 200)
    offsets = np.concatenate([[0], np.sort(rng.choice(np.arange(1, 200), 20, replace=False))])
    p = rng.standard_normal(200).astype(np.float32)
    outs = [
        lib.nn.functional.embedding_bag(
            lib.tensor(idx), lib.tensor(w), lib.tensor(offsets), mode="sum", per_sample_weights=lib.tensor(p),
            padding_idx=padding_idx,
        ).numpy()
        for lib in (torch, re_)
    ]  # fmt: skip
    np.testing.assert_array_equal(outs[1], outs[0])


def test_module_init_repr_and_forward() -> None:
    outs = []
    for lib in (torch, re_):
        lib.manual_seed(0)
        m = lib.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=-2)
        pretrained = lib.nn.EmbeddingBag.from_pretrained(lib.ones(4, 2), mode="max", include_last_offset=True)
        outs.append((repr(m), m.padding_idx, m(lib.tensor([1, 2, 8, 4]), lib.tensor([0, 2])), repr(pretrained)))
        outs[-1] += (pretrained.weight.requires_grad,)
    (tr, tpad, tout, tpre, tfrozen), (er, epad, eout, epre, efrozen) = outs
    assert (er, epad, epre, efrozen) == (tr, tpad, tpre, tfrozen)
    check(eout, tout, "output")


@pytest.mark.parametrize(
    "call",
    [
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2), t.tensor([1]), mode="sum"),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2), t.tensor([0, 3]), mode="sum"),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 5]), t.ones(3, 2), t.tensor([0]), mode="sum"),
        lambda t, nn, f: f.embedding_bag(t.tensor([0.0, 1.0]), t.ones(3, 2), t.tensor([0]), mode="sum"),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2), t.tensor([0]), padding_idx=3),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2), t.tensor([0]), mode="max", scale_grad_by_freq=True),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2), t.tensor([0]), mode="prod"),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2), t.tensor([0]), mode="mean", per_sample_weights=t.ones(2)),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2), t.tensor([0]), mode="sum", per_sample_weights=t.ones(3)),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2), t.tensor([0]), per_sample_weights=t.ones(2).double(), mode="sum"),
        lambda t, nn, f: f.embedding_bag(t.tensor([[0, 1]]), t.ones(3, 2), t.tensor([0])),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(3, 2)),
        lambda t, nn, f: f.embedding_bag(t.tensor([0, 1]), t.ones(6), t.tensor([0])),
        lambda t, nn, f: nn.EmbeddingBag(3, 2, padding_idx=3),
    ],
)  # fmt: skip
def test_errors(call: Any) -> None:
    assert_same_nn_error(call)


def test_engine_module_is_exported() -> None:
    assert enn.EmbeddingBag.__name__ == "EmbeddingBag"


def test_second_derivative_is_not_implemented() -> None:
    observed = []
    for lib in (torch, re_):
        w = lib.tensor((np.arange(15.0).reshape(5, 3) / 7).tolist(), requires_grad=True)
        p = lib.tensor([0.5, -1.0, 2.0, 0.25], requires_grad=True)
        out = lib.nn.functional.embedding_bag(
            lib.tensor([0, 1, 1, 3]), w, lib.tensor([0, 2]), mode="sum", per_sample_weights=p
        )
        grads = lib.autograd.grad((out * out).sum(), [w, p], create_graph=True)
        seen = [type(g.grad_fn).__name__ for g in grads]
        for g in grads:
            try:
                lib.autograd.grad(g.sum(), [w, p], allow_unused=True)
            except (NotImplementedError, RuntimeError) as e:
                seen.append(f"{type(e).__name__}: {e}")
        plain = lib.nn.functional.embedding_bag(lib.tensor([0, 1]), w, lib.tensor([0]))
        (g,) = lib.autograd.grad(plain.sum(), [w], create_graph=True)
        seen.append(str(g.grad_fn))
        observed.append(seen)
    assert observed[1] == observed[0]
