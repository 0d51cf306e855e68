"""F.linear_cross_entropy's chunked path, nn.LinearCrossEntropyLoss and nn.LinearCrossEntropyOptions against
real torch, for what the catalogue's samples leave out: the module, a second backward, unbatched input's
graph, gradients without a graph under create_graph, and the fallback warning."""

from __future__ import annotations

import warnings
from typing import Any

import torch

import reference_engine as re_
from tests.helpers import check


def _observe(lib: Any) -> tuple[list[str], list[Any]]:
    """What one run shows: printed facts, and tensors to compare by value."""
    f, options = lib.nn.functional, lib.nn.LinearCrossEntropyOptions
    facts: list[str] = [repr(options(batch_chunk_size=2))]
    tensors: list[Any] = []
    lib.manual_seed(0)
    m = lib.nn.LinearCrossEntropyLoss(3, 4, bias=True, options=options(batch_chunk_size=2))
    facts.append(repr(m))
    x = lib.randn(5, 3, requires_grad=True)
    t = lib.tensor([0, 1, 2, 3, 1])
    out = m(x, t)
    facts += [type(out.grad_fn).__name__, str(len(out.grad_fn.next_functions))]
    out.backward()
    try:
        out.backward()
    except RuntimeError as e:
        facts.append(str(e))
    tensors += [out, x.grad, m.linear.weight.grad, m.linear.bias.grad]
    x1 = lib.randn(3, requires_grad=True)
    out = f.linear_cross_entropy(x1, m.linear.weight, t[0], options=options(allow_retain_graph=True))
    facts += [type(out.grad_fn).__name__, type(out.grad_fn.next_functions[0][0]).__name__]
    (g,) = lib.autograd.grad(out, (x1,), create_graph=True)
    facts += [str(g.grad_fn), str(g.requires_grad)]
    tensors.append(g)
    none = f.linear_cross_entropy(x, m.linear.weight, t, reduction="none", options=options(batch_chunk_size=2))
    facts.append(type(none.grad_fn).__name__)
    total = none.sum()
    total.backward()
    try:
        total.backward()
    except RuntimeError as e:
        facts.append(str(e))
    tensors += [none, x.grad]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = f.linear_cross_entropy(
            x, m.linear.weight, lib.rand(5, 4), options=options(batch_chunk_size=2), label_smoothing=0.1
        )
    facts += [str(w.message) for w in caught] + [type(out.grad_fn).__name__]
    tensors.append(out)
    return facts, tensors


def test_chunked_path_module_and_options() -> None:
    (tf, tt), (ef, et) = _observe(torch), _observe(re_)
    assert ef == tf
    for i, (a, b) in enumerate(zip(et, tt, strict=True)):
        check(a, b, f"tensor {i}")
