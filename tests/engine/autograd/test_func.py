"""torch.func on the engine against real torch: values, result structures, grad history and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from tests.helpers import assert_same_error_full, assert_same_values, copy_state

X = np.array([0.3, -1.2, 2.0])
Y = np.array([1.5, 0.7, -0.4])


def _same(prog: Any) -> None:
    assert_same_values(prog(engine), prog(torch))


def test_grad_plain_input_has_no_history() -> None:
    def prog(m: Any) -> Any:
        g = m.func.grad(lambda x: (x**3).sum())(m.tensor(X))
        return g, g.requires_grad, g.grad_fn is None

    _same(prog)


def test_grad_of_leaf_requiring_grad_is_differentiable() -> None:
    def prog(m: Any) -> Any:
        x = m.tensor(X, requires_grad=True)
        g = m.func.grad(lambda x: (x**3).sum())(x)
        (h,) = m.autograd.grad(g.sum(), x)
        return g.detach(), g.requires_grad, h

    _same(prog)


def test_grad_of_closure_over_parameter_keeps_its_history() -> None:
    def prog(m: Any) -> Any:
        w = m.tensor(Y, requires_grad=True)
        g = m.func.grad(lambda x: (x * w).sum())(m.tensor(X))
        return g.requires_grad, g.detach()

    _same(prog)


def test_nested_grad_and_hessian() -> None:
    def prog(m: Any) -> Any:
        f = lambda x: (x.sin() * x).sum()
        second = m.func.grad(lambda x: m.func.grad(lambda y: y.sin() * y)(x))(m.tensor(0.7))
        return second, m.func.hessian(f)(m.tensor(X)), m.func.jacrev(m.func.jacrev(f))(m.tensor(X))

    _same(prog)


def test_grad_under_no_grad_still_differentiates() -> None:
    def prog(m: Any) -> Any:
        with m.no_grad():
            return m.func.grad(lambda x: (x**2).sum())(m.tensor(X))

    _same(prog)


def test_vjp_structure_and_vjp_fn_reuse() -> None:
    def prog(m: Any) -> Any:
        out, fn = m.func.vjp(lambda x, y: {"a": x * y, "b": x.exp()}, m.tensor(X), m.tensor(Y))
        v = {"a": m.tensor(Y), "b": m.ones(3, dtype=m.float64)}
        return out["a"], out["b"], fn(v), fn(v)

    _same(prog)


def test_jvp_matches_forward_mode() -> None:
    def prog(m: Any) -> Any:
        return m.func.jvp(
            lambda x, y: (x.tanh() * y, (x * y).sum()), (m.tensor(X), m.tensor(Y)), (m.tensor(Y), m.tensor(X))
        )

    _same(prog)


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacobians_layout(argnums: Any) -> None:
    def prog(m: Any) -> Any:
        f = lambda x, y: (x.unsqueeze(1) * y[:2], y.sum() * x)
        x, y = m.tensor(X), m.tensor(Y)
        return m.func.jacrev(f, argnums=argnums)(x, y), m.func.jacfwd(f, argnums=argnums)(x, y)

    _same(prog)


def test_vmap_of_jacrev_and_grad_of_vmap() -> None:
    def prog(m: Any) -> Any:
        xs = m.tensor(np.arange(6.0).reshape(2, 3) / 7)
        batched = m.func.vmap(m.func.jacrev(m.sin))(xs)
        g = m.func.grad(lambda x: m.func.vmap(lambda r: (r**2).sum())(x).sum())(xs)
        return batched, g

    _same(prog)


def test_vmap_randomness_same_replays_the_generator() -> None:
    def prog(m: Any) -> Any:
        m.manual_seed(3)
        out = m.func.vmap(lambda x: x + m.rand(3), randomness="same")(m.zeros(2, 3))
        return out, m.rand(2)

    _same(prog)


def test_vmap_random_error_restores_the_generator() -> None:
    def prog(m: Any) -> Any:
        m.manual_seed(1)
        with pytest.raises(RuntimeError):
            m.func.vmap(lambda x: x + m.randn(3))(m.zeros(2, 3))
        return m.rand(3)

    _same(prog)


ERRORS = {
    "batch sizes": lambda m: m.func.vmap(lambda a, b: a + b)(m.zeros(2, 3), m.zeros(3, 3)),
    "in_dim range": lambda m: m.func.vmap(lambda a: a, in_dims=3)(m.zeros(2, 3)),
    "out_dims string": lambda m: m.func.vmap(lambda a: a, out_dims="x")(m.zeros(2)),
    "grad non-scalar": lambda m: m.func.grad(lambda x: x)(m.zeros(2)),
    "grad argnum": lambda m: m.func.grad(lambda x: x.sum(), argnums=2)(m.zeros(2)),
    "jvp primals": lambda m: m.func.jvp(lambda x: x, [m.zeros(2)], [m.zeros(2)]),
    "vjp int output": lambda m: m.func.vjp(lambda x: x.long(), m.zeros(2)),
    "stack empty": lambda m: m.func.stack_module_state([]),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name: str) -> None:
    assert_same_error_full(ERRORS[name])


def test_per_sample_grads_match_torch() -> None:
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    em = engine.nn.Sequential(engine.nn.Linear(3, 4), engine.nn.Tanh(), engine.nn.Linear(4, 2)).double()
    copy_state(tm, em)
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def per_sample(m: Any, model: Any) -> list:
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p: Any, x: Any, y: Any) -> Any:
            return m.nn.functional.mse_loss(m.func.functional_call(model, p, (x,)), y)

        out = m.func.vmap(m.func.grad(loss), in_dims=(None, 0, 0))(params, m.tensor(xs), m.tensor(ys))
        return [out[k] for k in params]

    assert_same_values(per_sample(engine, em), per_sample(torch, tm))


def test_functional_call_restores_the_module_after_an_error() -> None:
    m = engine.nn.Linear(2, 2)
    weight = m.weight
    with pytest.raises(RuntimeError):
        engine.func.functional_call(m, {"weight": engine.zeros(3, 3)}, engine.ones(2))
    assert m.weight is weight and isinstance(m.weight, engine.nn.Parameter)
