"""``optim.lr_scheduler`` against real torch: whole lr (and momentum) sequences compared with ``==``, closed forms,
state_dict round trips, ReduceLROnPlateau, warnings and errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

import reference_engine as re_
import reference_engine.optim as eoptim
from tests.helpers import raised_error

# ---------------------------------------------------------------------------------------------- schedulers
GROUP_LRS = [0.1, 0.05, 0.3]


def _optimizer(t: Any, optim: Any, cls: str = "SGD", groups: int = 3) -> Any:
    params = [{"params": [t.zeros(2, requires_grad=True)], "lr": lr} for lr in GROUP_LRS[:groups]]
    kwargs = {"momentum": 0.9} if cls == "SGD" else {}
    return getattr(optim, cls)(params, lr=0.1, **kwargs)


def _lambda(epoch: int) -> float:
    return 0.9**epoch + 0.01 * epoch


class _Scale:
    """A callable object: its attributes go into the scheduler's state_dict."""

    def __init__(self) -> None:
        self.base = 0.7

    def __call__(self, x: float) -> float:
        return self.base**x


SCHEDULERS: dict[str, Callable[[Any, Any], Any]] = {
    "step": lambda s, opt: s.StepLR(opt, step_size=4, gamma=0.5),
    "multistep": lambda s, opt: s.MultiStepLR(opt, milestones=[3, 7, 7, 20], gamma=0.3),
    "exponential": lambda s, opt: s.ExponentialLR(opt, gamma=0.9),
    "cosine": lambda s, opt: s.CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
    "cosine_short": lambda s, opt: s.CosineAnnealingLR(opt, T_max=3, eta_min=0.0123),  # five restarts from the bottom
    "lambda": lambda s, opt: s.LambdaLR(opt, lr_lambda=_lambda),
    "lambda_per_group": lambda s, opt: s.LambdaLR(opt, [_lambda, lambda e: 1 / (e + 1), lambda e: 0.95**e]),
    "multiplicative": lambda s, opt: s.MultiplicativeLR(opt, lr_lambda=lambda e: 0.95),
    "linear": lambda s, opt: s.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=9),
    "constant": lambda s, opt: s.ConstantLR(opt, factor=0.3, total_iters=6),
    "polynomial": lambda s, opt: s.PolynomialLR(opt, total_iters=20, power=1.7),
    "warm_restarts": lambda s, opt: s.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.002),
    "warm_restarts_mult1": lambda s, opt: s.CosineAnnealingWarmRestarts(opt, T_0=6),
    "one_cycle": lambda s, opt: s.OneCycleLR(opt, max_lr=[0.5, 0.2, 1.0], total_steps=31),
    "one_cycle_linear_three_phase": lambda s, opt: s.OneCycleLR(
        opt, max_lr=0.4, epochs=4, steps_per_epoch=8, anneal_strategy="linear", three_phase=True, pct_start=0.25
    ),
    "cyclic": lambda s, opt: s.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.2, 0.3], step_size_up=4, step_size_down=6),
    "cyclic_triangular2": lambda s, opt: s.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2"),
    "cyclic_exp_range": lambda s, opt: s.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.9
    ),
    "cyclic_scale_fn": lambda s, opt: s.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=_Scale(), scale_mode="iterations"
    ),
    "sequential": lambda s, opt: s.SequentialLR(
        opt, [s.LinearLR(opt, start_factor=0.1, total_iters=5), s.CosineAnnealingLR(opt, T_max=12)], milestones=[5]
    ),
    "sequential_three": lambda s, opt: s.SequentialLR(
        opt,
        [s.ConstantLR(opt, factor=0.5, total_iters=3), s.ExponentialLR(opt, 0.8), s.StepLR(opt, 3)],
        milestones=[4, 11],
    ),
    "chained": lambda s, opt: s.ChainedScheduler([s.ExponentialLR(opt, 0.9), s.StepLR(opt, 5, gamma=0.5)]),
}


MOMENTUM_SCHEDULERS = {"one_cycle", "one_cycle_linear_three_phase", "cyclic", "cyclic_triangular2", "cyclic_exp_range"}


def _make(name: str, t: Any, optim: Any, cls: str = "SGD") -> tuple[Any, Any]:
    opt = _optimizer(t, optim, cls)
    return opt, SCHEDULERS[name](optim.lr_scheduler, opt)


def _trace(opt: Any, sched: Any, steps: int) -> list[Any]:
    out = []
    for _ in range(steps):
        opt.step()
        sched.step()
        groups = [(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups]
        out.append((sched.get_last_lr(), groups))
    return out


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_sequence_matches_torch(name: str) -> None:
    (topt, tsched), (eopt, esched) = _make(name, torch, torch.optim), _make(name, re_, eoptim)
    assert esched.get_last_lr() == tsched.get_last_lr()
    assert _trace(eopt, esched, 30) == _trace(topt, tsched, 30)


@pytest.mark.parametrize("name", sorted(MOMENTUM_SCHEDULERS))
def test_scheduler_cycles_adam_betas_like_torch(name: str) -> None:
    (topt, tsched), (eopt, esched) = _make(name, torch, torch.optim, "Adam"), _make(name, re_, eoptim, "Adam")
    assert _trace(eopt, esched, 30) == _trace(topt, tsched, 30)


def _comparable(sd: dict[str, Any]) -> dict[str, Any]:
    return {k: [_comparable(s) for s in v] if k == "_schedulers" else v for k, v in sd.items()}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_state_dict_round_trip(name: str) -> None:
    """The same state_dict as torch's after 12 steps; a new scheduler loaded from it goes on like torch."""
    (topt, tsched), (eopt, esched) = _make(name, torch, torch.optim), _make(name, re_, eoptim)
    _trace(topt, tsched, 12)
    _trace(eopt, esched, 12)
    esd = esched.state_dict()
    assert _comparable(esd) == _comparable(tsched.state_dict())
    opt_sd = eopt.state_dict()
    eopt2, esched2 = _make(name, re_, eoptim)
    eopt2.load_state_dict(opt_sd)
    esched2.load_state_dict(esd)
    assert _trace(eopt2, esched2, 15) == _trace(topt, tsched, 15)


@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "cosine", "linear", "constant", "polynomial"])
def test_scheduler_closed_form_epochs_match_torch(name: str) -> None:
    results = []
    for t, optim in ((torch, torch.optim), (re_, eoptim)):
        opt, sched = _make(name, t, optim)
        lrs = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for epoch in [3, 7, 2, 10, 25, 4]:
                opt.step()
                sched.step(epoch)
                lrs.append(sched.get_last_lr())
        results.append((lrs, [(w.category, str(w.message)) for w in caught]))
    assert results[1] == results[0]


def test_warm_restarts_fractional_epochs_match_torch() -> None:
    results = []
    for t, optim in ((torch, torch.optim), (re_, eoptim)):
        _, sched = _make("warm_restarts", t, optim)
        lrs = []
        for epoch in [0.5, 3.25, 4.0, 13.7, 30, 2]:
            sched.step(epoch)
            lrs.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        results.append(lrs)
    assert results[1] == results[0]


def _warnings_of(fn: Callable[[], Any]) -> list[tuple[type, str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in caught]


WARNING_CASES: dict[str, Callable[[Any, Any], Any]] = {
    "scheduler_before_optimizer": lambda t, optim: [s := optim.lr_scheduler.StepLR(_optimizer(t, optim), 2), s.step()],
    "optimizer_first": lambda t, optim: [
        s := optim.lr_scheduler.StepLR(o := _optimizer(t, optim), 2),
        o.step(),
        s.step(),
        s.step(),
    ],
    "twice_before_optimizer": lambda t, optim: [
        s := optim.lr_scheduler.ExponentialLR(_optimizer(t, optim), 0.5),
        s.step(),
        s.step(),
    ],
    "get_lr_outside_step": lambda t, optim: optim.lr_scheduler.ExponentialLR(_optimizer(t, optim), 0.5).get_lr(),
    "warm_restarts_never_warn": lambda t, optim: [
        s := optim.lr_scheduler.CosineAnnealingWarmRestarts(_optimizer(t, optim), 3),
        s.step(),
        s.step(),
    ],
}


@pytest.mark.parametrize("name", list(WARNING_CASES))
def test_scheduler_warnings_match_torch(name: str) -> None:
    assert _warnings_of(lambda: WARNING_CASES[name](re_, eoptim)) == _warnings_of(
        lambda: WARNING_CASES[name](torch, torch.optim)
    )


PLATEAU = {
    "min_rel": {"patience": 2},
    "max_abs_cooldown": {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 1, "cooldown": 2},
    "min_lr_per_group": {"factor": 0.5, "patience": 0, "min_lr": [0.02, 0.01, 0.2]},
    "eps_stops_tiny_changes": {"factor": 0.5, "patience": 0, "eps": 0.004},
}


@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_on_plateau_matches_torch(name: str) -> None:
    metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.9, 0.5, 0.6, 0.7, 0.7, 0.8, 0.49, 0.3, 0.3, 0.31, 0.4] * 2
    results = []
    for t, optim in ((torch, torch.optim), (re_, eoptim)):
        opt = _optimizer(t, optim)
        sched = optim.lr_scheduler.ReduceLROnPlateau(opt, **PLATEAU[name])
        trace = []
        for i, m in enumerate(metrics):
            opt.step()
            sched.step(t.tensor(m) if i % 3 == 0 else m)  # a 0-d tensor metric too
            trace.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter, sched.best))
        state = sched.state_dict()
        fresh = optim.lr_scheduler.ReduceLROnPlateau(opt)
        fresh.load_state_dict(state)
        for m in metrics[:6]:
            fresh.step(m)
            trace.append((fresh.get_last_lr(), fresh.num_bad_epochs))
        results.append((trace, state))
    assert results[1] == results[0]


SCHEDULER_ERRORS: dict[str, Callable[[Any, Any], Any]] = {
    "not_an_optimizer": lambda t, s, opt: s.StepLR("sgd", 2),
    "constant_factor": lambda t, s, opt: s.ConstantLR(opt, factor=1.5),
    "linear_start": lambda t, s, opt: s.LinearLR(opt, start_factor=0),
    "linear_end": lambda t, s, opt: s.LinearLR(opt, end_factor=2.0),
    "resume_without_initial_lr": lambda t, s, opt: s.StepLR(opt, 2, last_epoch=3),
    "lambda_count": lambda t, s, opt: s.LambdaLR(opt, [_lambda]),
    "multiplicative_not_callable": lambda t, s, opt: s.MultiplicativeLR(opt, 0.5),
    "warm_restarts_t0": lambda t, s, opt: s.CosineAnnealingWarmRestarts(opt, T_0=0),
    "warm_restarts_t_mult": lambda t, s, opt: s.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5),
    "warm_restarts_negative_epoch": lambda t, s, opt: s.CosineAnnealingWarmRestarts(opt, 2).step(-1),
    "one_cycle_total": lambda t, s, opt: s.OneCycleLR(opt, 0.1),
    "one_cycle_epochs": lambda t, s, opt: s.OneCycleLR(opt, 0.1, epochs=0, steps_per_epoch=3),
    "one_cycle_pct": lambda t, s, opt: s.OneCycleLR(opt, 0.1, total_steps=10, pct_start=1),
    "one_cycle_anneal": lambda t, s, opt: s.OneCycleLR(opt, 0.1, total_steps=10, anneal_strategy="exp"),
    "one_cycle_max_lr_count": lambda t, s, opt: s.OneCycleLR(opt, [0.1, 0.2], total_steps=10),
    "one_cycle_past_the_end": lambda t, s, opt: [
        sc := s.OneCycleLR(opt, 0.1, total_steps=2),
        sc.step(),
        sc.step(),
        sc.step(),
    ],
    "cyclic_mode": lambda t, s, opt: s.CyclicLR(opt, 0.01, 0.1, mode="sawtooth"),
    "cyclic_momentum_unsupported": lambda t, s, opt: s.CyclicLR(
        (torch.optim if t is torch else eoptim).Adagrad([t.zeros(1, requires_grad=True)]),
        0.01,
        0.1,
    ),
    "sequential_milestones": lambda t, s, opt: s.SequentialLR(opt, [s.StepLR(opt, 2)], milestones=[3]),
    "sequential_empty": lambda t, s, opt: s.SequentialLR(opt, [], milestones=[]),
    "sequential_plateau": lambda t, s, opt: s.SequentialLR(
        opt, [s.StepLR(opt, 2), s.ReduceLROnPlateau(opt)], milestones=[3]
    ),
    "plateau_factor": lambda t, s, opt: s.ReduceLROnPlateau(opt, factor=1.0),
    "plateau_mode": lambda t, s, opt: s.ReduceLROnPlateau(opt, mode="up"),
    "plateau_threshold_mode": lambda t, s, opt: s.ReduceLROnPlateau(opt, threshold_mode="pct"),
    "plateau_min_lrs": lambda t, s, opt: s.ReduceLROnPlateau(opt, min_lr=[0.1]),
}


@pytest.mark.parametrize("name", list(SCHEDULER_ERRORS))
def test_scheduler_errors_match_torch(name: str) -> None:
    def attempt(t: Any, optim: Any) -> tuple[type, str]:
        return raised_error(lambda: SCHEDULER_ERRORS[name](t, optim.lr_scheduler, _optimizer(t, optim)))

    assert attempt(re_, eoptim) == attempt(torch, torch.optim)


def test_lr_scheduler_module_names() -> None:
    lr_scheduler = eoptim.lr_scheduler
    for name in torch.optim.lr_scheduler.__all__:
        assert hasattr(lr_scheduler, name), name
    assert issubclass(lr_scheduler.ReduceLROnPlateau, lr_scheduler.LRScheduler)
