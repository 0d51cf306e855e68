"""The aten-level normalisation, softmax-backward and dropout-backward forms (native_batch_norm,
_native_batch_norm_legit, _batch_norm_with_update, native_layer_norm, native_group_norm,
_softmax_backward_data, native_dropout_backward) against real torch, for what the catalogue's samples leave
out: the statistics outputs, running-statistic updates, node names per overload, gradients through
native_group_norm's mean and rstd, and _softmax_backward_data's output gradient."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from tests.helpers import check

ATEN_ONLY = {"_batch_norm_with_update", "native_dropout_backward"}  # reached through torch.ops.aten in torch


def _fn(lib: Any, name: str) -> Any:
    return getattr(torch.ops.aten, name) if lib is torch and name in ATEN_ONLY else getattr(lib, name)


def _arrays(*shapes: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def _run(name: str, build: Any, n_grad_inputs: int) -> None:
    """``build(lib, tensor)`` gives (inputs to differentiate, outputs); compare every output, grad_fn name
    and the inputs' grads of the sum of all floating outputs weighted by fixed random arrays."""
    results = []
    for lib in (torch, re_):
        inputs, outs = build(lib, _fn(lib, name))
        total = 0
        for k, o in enumerate(outs):
            if o.requires_grad:
                total = total + (o * lib.tensor(_arrays(tuple(o.shape), seed=10 + k)[0])).sum()
        grads = lib.autograd.grad(total, inputs[:n_grad_inputs]) if n_grad_inputs else ()
        results.append((outs, grads, inputs))
    (touts, tgrads, tin), (eouts, egrads, ein) = results
    assert len(eouts) == len(touts)
    for k, (e, t) in enumerate(zip(eouts, touts, strict=True)):
        assert (e.grad_fn is None) == (t.grad_fn is None), f"output {k}"
        if t.grad_fn is not None:
            assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
        assert tuple(e.shape) == tuple(t.shape) and str(e.dtype) == str(t.dtype)
        check(e.detach(), t.detach(), f"output {k}")
    for k, (e, t) in enumerate(zip(egrads, tgrads, strict=True)):
        check(e, t, f"grad {k}")
    for k, (e, t) in enumerate(zip(ein, tin, strict=True)):
        check(e.detach(), t.detach(), f"input {k} after the call")  # running statistics updated in place


@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm_statistics_and_running_update(training: bool) -> None:
    x, w, b, rm, rv = _arrays((4, 3, 5), (3,), (3,), (3,), (3,))

    def build(lib: Any, f: Any) -> tuple:
        ins = [lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)]
        stats = [lib.tensor(rm), lib.tensor(np.abs(rv) + 0.5)]
        return ins + stats, f(*ins, *stats, training, 0.3, 1e-3)

    _run("native_batch_norm", build, 3)


@pytest.mark.parametrize("with_stats", [True, False])
def test_native_batch_norm_legit_overloads(with_stats: bool) -> None:
    x, w, b, rm, rv = _arrays((4, 3, 5), (3,), (3,), (3,), (3,))

    def build(lib: Any, f: Any) -> tuple:
        ins = [lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)]
        if not with_stats:
            return ins, f(*ins, True, 0.3, 1e-3)
        stats = [lib.tensor(rm), lib.tensor(np.abs(rv) + 0.5)]
        return ins + stats, f(*ins, *stats, True, 0.3, 1e-3)

    _run("_native_batch_norm_legit", build, 3)


def test_batch_norm_with_update_reserve_and_running_update() -> None:
    x, w, b, rm, rv = _arrays((4, 3, 2, 2), (3,), (3,), (3,), (3,))

    def build(lib: Any, f: Any) -> tuple:
        ins = [lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)]
        stats = [lib.tensor(rm), lib.tensor(np.abs(rv) + 0.5)]
        return ins + stats, f(*ins, *stats, 0.3, 1e-3)

    _run("_batch_norm_with_update", build, 3)


def test_native_layer_norm_statistics() -> None:
    x, w, b = _arrays((2, 3, 4), (3, 4), (3, 4))

    def build(lib: Any, f: Any) -> tuple:
        ins = [lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)]
        return ins, f(ins[0], [3, 4], ins[1], ins[2], 1e-5)

    _run("native_layer_norm", build, 3)


def test_native_group_norm_grads_through_mean_and_rstd() -> None:
    x, w, b = _arrays((3, 6, 4), (6,), (6,))

    def build(lib: Any, f: Any) -> tuple:
        ins = [lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)]
        return ins, f(*ins, 3, 6, 4, 2, 1e-5)

    _run("native_group_norm", build, 3)


@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_backward_data_grad_of_output(dim: int) -> None:
    g, y = _arrays((4, 5), (4, 5))

    def build(lib: Any, f: Any) -> tuple:
        ins = [lib.tensor(g, requires_grad=True), lib.tensor(y).softmax(dim).detach().requires_grad_()]
        return ins, (f(ins[0], ins[1], dim, lib.float64),)

    _run("_softmax_backward_data", build, 2)


def test_native_dropout_backward_scale() -> None:
    (g,) = _arrays((3, 4))
    mask = np.random.default_rng(1).random((3, 4)) > 0.4

    def build(lib: Any, f: Any) -> tuple:
        ins = [lib.tensor(g, requires_grad=True)]
        return ins, (f(ins[0], lib.tensor(mask), 1.25),)

    _run("native_dropout_backward", build, 1)
