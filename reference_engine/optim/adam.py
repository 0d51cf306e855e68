"""Adam (with amsgrad, weight_decay, maximize), torch's single-tensor update."""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype as D
from ..tensor import Tensor
from .optimizer import Optimizer, bump, check_common, fused, lerp_


def step_dtype() -> Any:
    """The dtype of the ``step`` counters: float64 only when that is the default dtype (torch's rule)."""
    return D.float64.np if D.get_default_dtype() is D.float64 else D.float32.np


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
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
            "maximize": maximize, "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
            "fused": fused, "decoupled_weight_decay": decoupled_weight_decay,
        }  # fmt: skip
        super().__init__(params, defaults)

    def _state(self, p: Tensor, amsgrad: bool) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            xp = p._xp
            state["step"] = Tensor._make(xp.zeros((), dtype=step_dtype()))
            state["exp_avg"] = Tensor._make(xp.zeros_like(p._data))
            state["exp_avg_sq"] = Tensor._make(xp.zeros_like(p._data))
            if amsgrad:
                state["max_exp_avg_sq"] = Tensor._make(xp.zeros_like(p._data))
        return state

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.adam._single_tensor_adam, op by op
        dt = p._data.dtype.type
        xp = p._xp
        beta1, beta2 = group["betas"]
        lr, wd, eps, amsgrad = group["lr"], group["weight_decay"], group["eps"], group["amsgrad"]
        state = self._state(p, amsgrad)
        g = p._grad._data
        if group["maximize"]:
            g = -g
        state["step"]._data += 1
        bump(state["step"])
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p._data *= dt(1 - lr * wd)
            else:
                g = fused(g, dt(wd), p._data)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        lerp_(m, g, 1 - beta1)
        v *= dt(beta2)
        v[...] = fused(v, dt(1 - beta2) * g, g)  # addcmul_: self + (value * t1) * t2, fused
        bump(state["exp_avg"])
        bump(state["exp_avg_sq"])
        step = float(state["step"]._data)
        bc1 = 1 - beta1**step
        bc2_sqrt = math.sqrt(1 - beta2**step)
        step_size = lr / bc1
        if amsgrad:
            vmax = state["max_exp_avg_sq"]._data
            xp.maximum(vmax, v, out=vmax)
            bump(state["max_exp_avg_sq"])
            v = vmax
        denom = xp.sqrt(v) / dt(bc2_sqrt)
        denom += dt(eps)
        p._data += dt(-step_size) * m / denom
        bump(p)
