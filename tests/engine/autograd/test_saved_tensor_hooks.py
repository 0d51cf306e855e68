"""Saved tensors hooks (torch.autograd.graph) against real torch: call counts, values, grads, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from reference_engine.autograd import graph


def _run(lib: Any, body: Any) -> tuple[list[str], Any]:
    log: list[str] = []

    def pack(t: Any) -> Any:
        log.append(f"pack {t.grad_fn is not None}")
        return t

    def unpack(t: Any) -> Any:
        log.append("unpack")
        return t

    x = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = body(lib, x)
    y.sum().backward()
    return log, x.grad.detach().numpy()


@pytest.mark.parametrize(
    "body",
    [
        lambda lib, x: x.pow(2),
        lambda lib, x: x.exp(),
        lambda lib, x: x * (x + 1),
        lambda lib, x: lib.sin(x),
        lambda lib, x: (x.exp() * x).tanh(),
    ],
)
def test_counts_and_grads_match_torch(body: Any) -> None:
    t_log, t_grad = _run(torch, body)
    e_log, e_grad = _run(engine, body)
    assert sorted(e_log) == sorted(t_log)
    np.testing.assert_allclose(e_grad, t_grad, rtol=1e-5, atol=1e-6)


def test_errors_match_torch() -> None:
    def unpack_int(lib: Any) -> None:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
            y = x.sin()
        y.sum().backward()

    def disabled(lib: Any) -> None:
        with lib.autograd.graph.disable_saved_tensors_hooks("off"), lib.autograd.graph.save_on_cpu():
            pass

    for fn in (unpack_int, disabled):
        with pytest.raises(Exception) as t_err:
            fn(torch)
        with pytest.raises(Exception) as e_err:
            fn(engine)
        assert (type(e_err.value), str(e_err.value)) == (type(t_err.value), str(t_err.value))
    assert graph._hooks_stack == [] and graph._hooks_disabled == [None]  # state restored after errors


def test_no_hooks_saves_plain_saved_tensor() -> None:
    # the disabled feature's only cost is the stack's truthiness test: plain SavedTensor objects
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x.sin()
    assert type(y.grad_fn._saved["self"]) is graph.SavedTensor
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        z = x.sin()
    assert type(z.grad_fn._saved["self"]) is graph.HookedSavedTensor
