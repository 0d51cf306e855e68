"""RAdam (rectified Adam, decoupled_weight_decay), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import ZEROS, Optimizer, adam_grad, adam_moments_, bump, check_lr_eps_betas_wd, defaults_of, sqrt, tick


class RAdam(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr_eps_betas_wd(lr, eps, betas, weight_decay)
        keys = "lr betas eps weight_decay maximize foreach capturable decoupled_weight_decay differentiable"
        super().__init__(params, defaults_of(locals(), keys))

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.radam._single_tensor_radam, op by op
        dt = p._data.dtype.type
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        state = self.state[p] or self._init_state(p, step=0.0, exp_avg=ZEROS, exp_avg_sq=ZEROS)
        step = tick(state["step"])
        g = adam_grad(p, group)
        m, v = adam_moments_(state, g, group["betas"])
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        update = m / dt(bias_correction1)
        update *= dt(lr)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            root = sqrt(v)
            root += dt(group["eps"])
            # torch's float / tensor is tensor.reciprocal() * float: two roundings
            adaptive = dt(1) / root
            adaptive *= dt(bias_correction2**0.5)
            update *= adaptive
            update *= dt(rect)
        p._data -= update  # add_(update, alpha=-1.0): the product by -1 is exact, one rounding
        bump(p)
