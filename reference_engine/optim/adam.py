"""Adam (with amsgrad, weight_decay, maximize), torch's single-tensor update."""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype as D
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .optimizer import (
    ZEROS,
    Optimizer,
    adam_grad,
    adam_moments_,
    bump,
    check_betas,
    check_common,
    defaults_of,
    sqrt,
    tick,
)


class Adam(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_common(lr, eps, weight_decay)
        check_betas(betas)
        keys = (
            "lr betas eps weight_decay amsgrad maximize foreach capturable differentiable fused decoupled_weight_decay"
        )
        super().__init__(params, defaults_of(locals(), keys))

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.adam._single_tensor_adam, op by op
        dt = p._data.dtype.type
        xp = p._xp
        beta1, beta2 = group["betas"]
        lr, eps, amsgrad = group["lr"], group["eps"], group["amsgrad"]
        state = self.state[p] or self._init_state(
            p, step=0.0, exp_avg=ZEROS, exp_avg_sq=ZEROS, **({"max_exp_avg_sq": ZEROS} if amsgrad else {})
        )
        step = tick(state["step"])
        if p._data.dtype == D.BF16:
            self._update_bf16(p, group, state, step)
            return
        g = adam_grad(p, group)
        m, v = adam_moments_(state, g, group["betas"])
        bc1 = 1 - beta1**step
        bc2_sqrt = math.sqrt(1 - beta2**step)
        step_size = lr / bc1
        if amsgrad:
            vmax = state["max_exp_avg_sq"]._data
            xp.maximum(vmax, v, out=vmax)
            bump(state["max_exp_avg_sq"])
            v = vmax
        denom = sqrt(v) / dt(bc2_sqrt)
        denom += dt(eps)
        p._data += dt(-step_size) * m / denom
        bump(p)

    @staticmethod
    def _update_bf16(p: Tensor, group: dict[str, Any], state: dict[str, Any], step: float) -> None:
        """torch's single-tensor Adam, op by op through the engine's tensor ops: they round bfloat16 as
        torch's kernels do (float32 opmath, one rounding per op), which the array recipe above does not."""
        beta1, beta2 = group["betas"]
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        with no_grad():
            g = -p.grad if group["maximize"] else p.grad
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * wd)
                else:
                    g = g.add(p, alpha=wd)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            if group["amsgrad"]:
                vmax = state["max_exp_avg_sq"]
                vmax.copy_(vmax.maximum(v))
                v = vmax
            denom = (v.sqrt() / math.sqrt(1 - beta2**step)).add_(eps)
            p.addcdiv_(m, denom, value=-(lr / (1 - beta1**step)))
