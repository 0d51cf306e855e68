"""RAdam (rectified Adam, decoupled_weight_decay), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    adam_moments_,
    bump,
    check_betas_first,
    decay_weights,
    init_state,
    plain_grad,
    sqrt,
    tick,
)


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
        check_betas_first(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
            "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.radam._single_tensor_radam, op by op
        dt = p._data.dtype.type
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        state = init_state(self.state[p], p, ("exp_avg", "exp_avg_sq"), step=0.0)
        step = tick(state["step"])
        g = plain_grad(p, group, decay_weights(p, group))
        m, v = adam_moments_(state, g, beta1, beta2)
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
