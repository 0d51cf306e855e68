"""Adamax (Adam with the infinity norm), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import ZEROS, Optimizer, bump, check_lr_eps_betas_wd, defaults_of, lerp_, plain_grad, tick


class Adamax(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_lr_eps_betas_wd(lr, eps, betas, weight_decay)
        keys = "lr betas eps weight_decay foreach maximize differentiable capturable"
        super().__init__(params, defaults_of(locals(), keys))

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.adamax._single_tensor_adamax, op by op
        dt = p._data.dtype.type
        xp = p._xp
        beta1, beta2 = group["betas"]
        state = self.state[p] or self._init_state(p, step=0.0, exp_avg=ZEROS, exp_inf=ZEROS)
        g = plain_grad(p, group, group["weight_decay"])
        step = tick(state["step"])
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        lerp_(m, g, 1 - beta1)
        bump(state["exp_avg"])
        u *= dt(beta2)
        norm = xp.abs(g)
        norm += dt(group["eps"])
        xp.maximum(u, norm, out=u)
        bump(state["exp_inf"])
        clr = group["lr"] / (1 - beta1**step)
        p._data += dt(-clr) * m / u  # addcdiv_: self + value * t1 / t2, unfused
        bump(p)
