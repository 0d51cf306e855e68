"""RMSprop (momentum, centered, weight_decay, maximize), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import (
    ZEROS,
    Optimizer,
    bump,
    check_common,
    decay_sq_,
    defaults_of,
    fused,
    lerp_,
    plain_grad,
    sqrt,
    tick,
)


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
        keys = "lr momentum alpha eps centered weight_decay capturable foreach maximize differentiable"
        super().__init__(params, defaults_of(locals(), keys))

    def _state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if state:  # every step but the first: nothing to build
            return state
        optional = {"momentum_buffer": group["momentum"] > 0, "grad_avg": group["centered"]}
        return self._init_state(p, step=0.0, square_avg=ZEROS, **{k: ZEROS for k, on in optional.items() if on})

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.rmsprop._single_tensor_rmsprop, op by op
        dt = p._data.dtype.type
        state = self._state(p, group)
        alpha, eps, lr = group["alpha"], group["eps"], group["lr"]
        g = plain_grad(p, group, group["weight_decay"])
        tick(state["step"])
        sq = state["square_avg"]._data
        decay_sq_(sq, g, alpha)
        bump(state["square_avg"])
        if group["centered"]:
            ga = state["grad_avg"]._data
            lerp_(ga, g, 1 - alpha)
            bump(state["grad_avg"])
            avg = sqrt(fused(sq, -ga, ga))  # square_avg.addcmul(grad_avg, grad_avg, value=-1)
        else:
            avg = sqrt(sq)
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
