"""NAdam (momentum_decay, decoupled_weight_decay), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import ZEROS, Optimizer, adam_grad, adam_moments_, bump, check_lr_eps_betas_wd, defaults_of, sqrt, tick


class NAdam(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr_eps_betas_wd(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        keys = (
            "lr betas eps weight_decay momentum_decay decoupled_weight_decay maximize foreach capturable differentiable"
        )
        super().__init__(params, defaults_of(locals(), keys))

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.nadam._single_tensor_nadam, op by op
        dt = p._data.dtype.type
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        state = self.state[p] or self._init_state(p, step=0.0, mu_product=1.0, exp_avg=ZEROS, exp_avg_sq=ZEROS)
        step = tick(state["step"])
        bias_correction2 = 1 - beta2**step
        g = adam_grad(p, group)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        # mu_product is a tensor: the product is rounded to its dtype every step
        mp = state["mu_product"]._data
        mp *= mp.dtype.type(mu)
        bump(state["mu_product"])
        m, v = adam_moments_(state, g, group["betas"])
        denom = sqrt(v / dt(bias_correction2))
        denom += dt(group["eps"])
        mu_product = float(mp)
        mu_product_next = mu_product * mu_next
        p._data += dt(-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom  # addcdiv_, unfused
        p._data += dt((-lr * mu_next) / (1.0 - mu_product_next)) * m / denom
        bump(p)
