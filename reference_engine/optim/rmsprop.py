"""RMSprop (momentum, centered, weight_decay, maximize), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .adam import step_dtype
from .optimizer import Optimizer, bump, check_common, fused, lerp_


class RMSprop(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_common(lr, eps, weight_decay)
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable,
        }  # fmt: skip
        super().__init__(params, defaults)

    def _state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            xp = p._xp
            state["step"] = Tensor._make(xp.zeros((), dtype=step_dtype()))
            state["square_avg"] = Tensor._make(xp.zeros_like(p._data))
            if group["momentum"] > 0:
                state["momentum_buffer"] = Tensor._make(xp.zeros_like(p._data))
            if group["centered"]:
                state["grad_avg"] = Tensor._make(xp.zeros_like(p._data))
        return state

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.rmsprop._single_tensor_rmsprop, op by op
        dt = p._data.dtype.type
        xp = p._xp
        state = self._state(p, group)
        alpha, eps, lr, wd = group["alpha"], group["eps"], group["lr"], group["weight_decay"]
        g = p._grad._data
        if group["maximize"]:
            g = -g
        state["step"]._data += 1
        bump(state["step"])
        if wd != 0:
            g = fused(g, dt(wd), p._data)
        sq = state["square_avg"]._data
        sq *= dt(alpha)
        sq[...] = fused(sq, dt(1 - alpha) * g, g)  # addcmul_: self + (value * t1) * t2, fused
        bump(state["square_avg"])
        if group["centered"]:
            ga = state["grad_avg"]._data
            lerp_(ga, g, 1 - alpha)
            bump(state["grad_avg"])
            avg = xp.sqrt(fused(sq, -ga, ga))  # square_avg.addcmul(grad_avg, grad_avg, value=-1)
        else:
            avg = xp.sqrt(sq)
        avg += dt(eps)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]._data
            buf *= dt(group["momentum"])
            buf += g / avg
            bump(state["momentum_buffer"])
            p._data[...] = fused(p._data, dt(-lr), buf)
        else:
            p._data += dt(-lr) * g / avg
        bump(p)
