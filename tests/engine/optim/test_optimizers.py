"""Optimizers against real torch: parameters and state after several steps, state_dict, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.optim as eoptim
from tests.helpers import OVER_FLOAT_DTYPES, as_engine, check, raised_error


def _model(nn: Any) -> Any:
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))


def _pair(tdt: torch.dtype, edt: Any) -> tuple[Any, Any]:
    torch.manual_seed(0)
    tm = _model(torch.nn).to(tdt)
    em = _model(enn).to(edt)
    em.load_state_dict({k: as_engine(v) for k, v in tm.state_dict().items()})
    return tm, em


CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "sgd_dampening_wd": ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
    "sgd_nesterov_maximize": ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "maximize": True}),
    "adam": ("Adam", {"lr": 0.01}),
    "adam_amsgrad_wd": ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    "adam_maximize": ("Adam", {"lr": 0.01, "maximize": True, "eps": 1e-6}),
    "adam_decoupled": ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    "adam_low_beta1": ("Adam", {"lr": 0.01, "betas": (0.3, 0.999)}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "rmsprop_low_alpha": ("RMSprop", {"lr": 0.001, "alpha": 0.3}),
    "rmsprop_low_alpha_centered": ("RMSprop", {"lr": 0.001, "alpha": 0.3, "centered": True}),
    "rmsprop_all": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.05}),
}


# A centered RMSprop with a small alpha divides by sqrt(square_avg - grad_avg^2), which magnifies the
# last-ulp differences of float32 matmuls in the model; its arithmetic is pinned by the same-grads test below.
MODEL_CONFIGS = [c for c in CONFIGS if c != "rmsprop_low_alpha_centered"]


def _train(m: Any, opt: Any, t: Any, x: Any, y: Any, steps: int) -> None:
    # maximize climbs the negated loss, so both kinds of run stay bounded
    sign = -1.0 if opt.param_groups[0]["maximize"] else 1.0
    for _ in range(steps):
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).sum() * sign
        loss.backward()
        opt.step()


def _compare_states(eopt: Any, topt: Any, em: Any, tm: Any) -> None:
    for (name, ep), tp in zip(em.named_parameters(), tm.parameters(), strict=True):
        check(ep, tp, f"param {name}")
        es, ts = eopt.state[ep], topt.state[tp]
        assert list(es) == list(ts), name
        for key in ts:
            assert es[key].dtype.np == ts[key].detach().numpy().dtype, (name, key)
            check(es[key], ts[key], f"state {key} of {name}")


# Plain SGD at lr 0.1 on a summed loss amplifies the model's own float32 differences: the engine's
# Linear forward adds the bias after the product (two roundings) where torch's gemm accumulates onto
# it, and NumPy's tanh differs from torch's in the last bit; six steps take that to ~1.2x assert_close's
# tolerance. The update arithmetic itself (a fused multiply-add, as torch's add(alpha=)) is pinned
# exactly by test_update_arithmetic_matches_torch.
_AMPLIFIED = {("sgd", "float32")}


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("config", MODEL_CONFIGS)
def test_optimizer_matches_torch(config: str, tdt: torch.dtype, edt: Any, request: pytest.FixtureRequest) -> None:
    if (config, str(tdt).removeprefix("torch.")) in _AMPLIFIED:
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="float32 Linear/tanh last-bit differences, amplified")
        )
    cls, kwargs = CONFIGS[config]
    tm, em = _pair(tdt, edt)
    topt = getattr(torch.optim, cls)(tm.parameters(), **kwargs)
    eopt = getattr(eoptim, cls)(em.parameters(), **kwargs)
    x, y = torch.randn(8, 4, dtype=tdt), torch.randn(8, 3, dtype=tdt)
    _train(tm, topt, torch, x, y, 6)
    _train(em, eopt, re_, as_engine(x), as_engine(y), 6)
    _compare_states(eopt, topt, em, tm)
    tsd, esd = topt.state_dict(), eopt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert list(esd["state"]) == list(tsd["state"])


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("config", list(CONFIGS))
def test_update_arithmetic_matches_torch(config: str, tdt: torch.dtype, edt: Any) -> None:
    """The same grads fed to both optimizers: only the update formulas and their rounding differ."""
    cls, kwargs = CONFIGS[config]
    torch.manual_seed(7)
    tps = [torch.randn(5, 3, dtype=tdt, requires_grad=True), torch.randn(4, dtype=tdt, requires_grad=True)]
    eps_ = [enn.Parameter(as_engine(p)) for p in tps]
    topt = getattr(torch.optim, cls)(tps, **kwargs)
    eopt = getattr(eoptim, cls)(eps_, **kwargs)
    for step in range(6):
        for tp, ep in zip(tps, eps_, strict=True):
            g = torch.randn_like(tp)
            tp.grad, ep.grad = g.clone(), as_engine(g)
        topt.step()
        eopt.step()
        for i, (tp, ep) in enumerate(zip(tps, eps_, strict=True)):
            check(ep, tp, f"param {i} after step {step + 1}")
            for key, value in topt.state[tp].items():
                check(eopt.state[ep][key], value, f"state {key} of param {i} after step {step + 1}")


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("config", [c for c in CONFIGS if c.startswith("sgd")])
def test_sgd_on_parameters_larger_than_a_work_block(config: str, tdt: torch.dtype, edt: Any) -> None:
    """The update's float64 work goes block by block through large parameters (optimizer.fused_): torch's bits
    across the block seams, for contiguous parameters, a transposed one, and a grad that is the parameter."""
    cls, kwargs = CONFIGS[config]
    torch.manual_seed(3)
    tps = [torch.randn(300, 257, dtype=tdt), torch.randn(70001, dtype=tdt), torch.randn(257, 300, dtype=tdt).t()]
    tps = [p.requires_grad_() for p in tps]
    eps_ = [enn.Parameter(as_engine(p)) for p in tps[:2]] + [enn.Parameter(as_engine(tps[2].t()).t())]
    topt = getattr(torch.optim, cls)(tps, **kwargs)
    eopt = getattr(eoptim, cls)(eps_, **kwargs)
    for step in range(3):
        for tp, ep in zip(tps, eps_, strict=True):
            g = torch.randn_like(tp) if step != 1 else tp.detach().clone()
            tp.grad, ep.grad = g.clone(), as_engine(g)
        topt.step()
        eopt.step()
    for tp, ep in zip(tps, eps_, strict=True):
        assert ep.stride() == tp.stride()
        assert np.array_equal(ep.detach().numpy(), tp.detach().numpy()), f"{config} after 3 steps"


@pytest.mark.parametrize("config", ["sgd_momentum", "adam_amsgrad_wd", "rmsprop_all"])
def test_load_state_dict_resumes_like_torch(config: str) -> None:
    cls, kwargs = CONFIGS[config]
    tm, em = _pair(torch.float32, re_.float32)
    topt = getattr(torch.optim, cls)(tm.parameters(), **kwargs)
    eopt = getattr(eoptim, cls)(em.parameters(), **kwargs)
    x, y = torch.randn(8, 4), torch.randn(8, 3)
    ex, ey = as_engine(x), as_engine(y)
    _train(tm, topt, torch, x, y, 3)
    _train(em, eopt, re_, ex, ey, 3)
    # a fresh engine optimizer, loaded from the engine's state dict (with a different lr in the group)
    sd = eopt.state_dict()
    eopt2 = getattr(eoptim, cls)(em.parameters(), **{**kwargs, "lr": 123.0})
    eopt2.load_state_dict(sd)
    assert eopt2.param_groups[0]["lr"] == kwargs["lr"]
    assert eopt2.param_groups[0]["params"][0] is next(em.parameters())
    _train(tm, topt, torch, x, y, 3)
    _train(em, eopt2, re_, ex, ey, 3)
    _compare_states(eopt2, topt, em, tm)


def test_add_param_group_matches_torch() -> None:
    tm, em = _pair(torch.float64, re_.float64)
    topt = torch.optim.SGD(tm[0].parameters(), lr=0.1, momentum=0.5)
    eopt = eoptim.SGD(em[0].parameters(), lr=0.1, momentum=0.5)
    topt.add_param_group({"params": tm[2].parameters(), "lr": 0.01})
    eopt.add_param_group({"params": em[2].parameters(), "lr": 0.01})
    x, y = torch.randn(8, 4, dtype=torch.float64), torch.randn(8, 3, dtype=torch.float64)
    _train(tm, topt, torch, x, y, 4)
    _train(em, eopt, re_, as_engine(x), as_engine(y), 4)
    _compare_states(eopt, topt, em, tm)
    assert eopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_zero_grad_matches_torch() -> None:
    results = []
    for t, nn, optim in ((torch, torch.nn, torch.optim), (re_, enn, eoptim)):
        lin = nn.Linear(2, 2)
        opt = optim.SGD(lin.parameters(), lr=0.1)
        lin(t.ones(1, 2)).sum().backward()
        opt.zero_grad(set_to_none=False)
        zeros = lin.weight.grad.tolist()
        opt.zero_grad()
        results.append((zeros, lin.weight.grad is None, lin.bias.grad is None))
    assert results[0] == results[1]


ERRORS: dict[str, Callable[[Any, Any], Any]] = {
    "empty_list": lambda t, optim: optim.SGD([], lr=0.1),
    "empty_generator": lambda t, optim: optim.Adam(iter([])),
    "non_leaf": lambda t, optim: optim.SGD([t.ones(2, requires_grad=True) * 2], lr=0.1),
    "bare_tensor": lambda t, optim: optim.SGD(t.ones(2, requires_grad=True), lr=0.1),
    "not_a_tensor": lambda t, optim: optim.SGD([1.0], lr=0.1),
    "set_of_params": lambda t, optim: optim.SGD([{"params": {t.ones(2, requires_grad=True)}}], lr=0.1),
    "duplicate_groups": lambda t, optim: optim.SGD(
        [{"params": [p := t.ones(2, requires_grad=True)]}, {"params": [p]}], lr=0.1
    ),
    "negative_lr": lambda t, optim: optim.SGD([t.ones(2, requires_grad=True)], lr=-1.0),
    "nesterov": lambda t, optim: optim.SGD([t.ones(2, requires_grad=True)], lr=0.1, nesterov=True),
    "adam_beta": lambda t, optim: optim.Adam([t.ones(2, requires_grad=True)], betas=(1.0, 0.9)),
    "adam_eps": lambda t, optim: optim.Adam([t.ones(2, requires_grad=True)], eps=-1.0),
    "rmsprop_alpha": lambda t, optim: optim.RMSprop([t.ones(2, requires_grad=True)], alpha=-0.5),
    "load_group_count": lambda t, optim: optim.SGD([t.ones(2, requires_grad=True)], lr=0.1).load_state_dict(
        {"state": {}, "param_groups": []}
    ),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_optimizer_errors_match_torch(name: str) -> None:
    assert raised_error(lambda: ERRORS[name](re_, eoptim)) == raised_error(lambda: ERRORS[name](torch, torch.optim))
