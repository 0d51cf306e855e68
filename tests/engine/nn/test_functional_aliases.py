"""torch's top-level spellings of nn.functional ops (torch.selu, torch.layer_norm ...) against real torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as E

X = np.random.default_rng(0).standard_normal((2, 4, 6))
W = np.random.default_rng(1).standard_normal((3, 4, 2))
B = np.random.default_rng(2).standard_normal((3, 6, 6))  # bilinear weight: (out, in1, in2)

CASES: dict[str, Callable[[Any, Any], Any]] = {
    "selu": lambda t, a: t.selu(a),
    "celu": lambda t, a: t.celu(a, 0.5),
    "celu_alpha_not_float32": lambda t, a: t.celu(a, 0.7),
    "prelu": lambda t, a: t.prelu(a, t.tensor([0.25], dtype=a.dtype)),
    "rrelu_eval": lambda t, a: t.rrelu(a, 0.1, 0.3),
    "hardshrink": lambda t, a: t.hardshrink(a, 0.3),
    "threshold": lambda t, a: t.threshold(a, 0.1, -2.0),
    "pixel_shuffle": lambda t, a: t.pixel_shuffle(a.reshape(1, 4, 2, 6), 2),
    "pixel_unshuffle": lambda t, a: t.pixel_unshuffle(a.reshape(1, 2, 4, 6), 2),
    "conv1d": lambda t, a: t.conv1d(a, t.tensor(W, dtype=a.dtype), None, 1, 1),
    "conv_transpose1d": lambda t, a: t.conv_transpose1d(
        a, t.tensor(W.transpose(1, 0, 2).copy(), dtype=a.dtype), None, 2
    ),
    "bilinear": lambda t, a: t.bilinear(a[0], a[1], t.tensor(B, dtype=a.dtype)),
    "pairwise_distance": lambda t, a: t.pairwise_distance(a, a + 1),
    "cosine_similarity": lambda t, a: t.cosine_similarity(a, a * 2 + 1),
    "layer_norm": lambda t, a: t.layer_norm(a, (6,)),
    "group_norm": lambda t, a: t.group_norm(a, 2),
    "avg_pool1d": lambda t, a: t.avg_pool1d(a, 2),
    "max_pool1d": lambda t, a: t.max_pool1d(a, 2),
    "adaptive_avg_pool1d": lambda t, a: t.adaptive_avg_pool1d(a, 3),
    "selu_": lambda t, a: t.selu_(a * 1),
    "celu_": lambda t, a: t.celu_(a * 1, 0.7),  # 0.7 is not a float32: torch's derivative rounds it
    "rrelu_": lambda t, a: t.rrelu_(a * 1),
    "threshold_": lambda t, a: t.threshold_(a * 1, 0.0, 1.0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_top_level_alias_matches_torch(name: str) -> None:
    results = []
    for ns in (torch, E):
        a = ns.tensor(X, requires_grad=True)
        out = CASES[name](ns, a)
        out.backward(ns.ones_like(out))
        results.append((out.detach().numpy(), a.grad.numpy(), out.dtype, tuple(out.shape)))
    (t_out, t_grad, t_dtype, t_shape), (e_out, e_grad, e_dtype, e_shape) = results
    assert str(e_dtype) == str(t_dtype) and e_shape == t_shape
    np.testing.assert_allclose(e_out, t_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(e_grad, t_grad, rtol=1e-10, atol=1e-12)


def test_aliases_are_the_functional_ops() -> None:
    assert E.selu is E.nn.functional.selu and E.layer_norm is E.nn.functional.layer_norm
