"""A view whose storage is modified in place after it was taken gets a new grad_fn, as in torch.

torch regenerates the view's history as AsStridedBackward0 into the base's current history, so
gradients through the view see the in-place op. Every case runs on torch and on the engine and
compares the node names, requires_grad and the gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as E


def _name(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def base_scaled_after_view(m: Any) -> list:
    x = m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True)
    y = x * 1
    v = y[1:]
    before = _name(v)
    y.mul_(2)
    (v * v).sum().backward()
    return [before, _name(v), x.grad.tolist()]


def base_gains_history_in_place(m: Any) -> list:
    w = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = m.zeros(3)
    v = y[:2]
    before = (v.requires_grad, _name(v))
    y.add_(w)
    (v * 3).sum().backward()
    return [before, v.requires_grad, _name(v), v.is_leaf, w.grad.tolist()]


def sibling_view_modified(m: Any) -> list:
    x = m.ones(4, requires_grad=True)
    y = x * 1
    a, b = y[:2], y[2:]
    a.mul_(5)
    (a.sum() + b.exp().sum()).backward()
    return [_name(a), _name(b), _name(y), np.round(x.grad.numpy(), 5).tolist()]


def view_of_view(m: Any) -> list:
    x = m.arange(12.0).reshape(3, 4).requires_grad_()
    y = x * 1
    v = y[1:].t()[1:]
    y[0].add_(10)  # a write through another view also changes v's storage
    y.sub_(x)
    (v * v).sum().backward()
    return [_name(v), x.grad.tolist()]


def leaf_modified_under_no_grad(m: Any) -> list:
    x = m.ones(3, requires_grad=True)
    v = x[:2]
    with m.no_grad():
        x.mul_(2)
    (v * v).sum().backward()
    return [_name(v), x.grad.tolist()]


def unary_on_stale_view(m: Any) -> list:
    w = m.tensor([0.5, 1.0, 1.5], requires_grad=True)
    y = m.zeros(3)
    v = y[1:]
    y.add_(w)
    v.sin().sum().backward()
    return [_name(v), np.round(w.grad.numpy(), 6).tolist()]


def retained_grad_follows_the_new_node(m: Any) -> list:
    x = m.ones(3, requires_grad=True)
    y = x * 2
    v = y[:]
    v.retain_grad()
    z = v * 3
    y.mul_(2)
    (z.sum() + v.sum() * 5).backward()
    w = m.ones(3, requires_grad=True)
    u = w.narrow(0, 0, 3)
    u.retain_grad()
    with m.no_grad():
        w.add_(1)
    u.sum().backward()
    return [v.grad.tolist(), x.grad.tolist(), u.grad.tolist(), w.grad.tolist()]


def leaf_frozen_after_view(m: Any) -> list:
    # found by the generated autograd sequences (conformance/strategies.py, take_view rule)
    out = []
    x = m.zeros(3, requires_grad=True)
    v = x.narrow(0, 0, 3)
    x.requires_grad_(False)
    out.append(_outcome(lambda: v.mul_(2)))  # the view still requires grad: torch refuses
    x.add_(1)
    out += [_name(v), v.requires_grad, v.grad_fn.next_functions[0][0] is None]
    w = m.zeros(3)
    u = w.narrow(0, 0, 3)
    w.requires_grad_(True)
    out += [u.requires_grad, u.is_leaf, (u * 2).requires_grad]
    y = m.zeros(3, requires_grad=True)
    y.requires_grad_(False)
    t = y.narrow(0, 0, 3)
    t.mul_(2)
    out.append(_name(t))
    y.requires_grad_(True)
    out += [_name(t), t.requires_grad]
    return out


def _outcome(fn: Callable[[], Any]) -> str:
    try:
        fn()
    except RuntimeError as exc:
        return str(exc)
    return "no error"


CASES: dict[str, Callable[[Any], list]] = {
    f.__name__: f
    for f in (
        base_scaled_after_view, base_gains_history_in_place, sibling_view_modified, view_of_view,
        leaf_modified_under_no_grad, unary_on_stale_view, retained_grad_follows_the_new_node,
        leaf_frozen_after_view,
    )
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_view_history_after_in_place_change_matches_torch(name: str) -> None:
    assert CASES[name](E) == CASES[name](torch)
