"""Adadelta, torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import ZEROS, Optimizer, bump, check_common, decay_sq_, defaults_of, fused_, plain_grad, sqrt, tick


class Adadelta(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_common(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_common(lr, eps, weight_decay)
        keys = "lr rho eps weight_decay maximize capturable foreach differentiable"
        super().__init__(params, defaults_of(locals(), keys))

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.adadelta._single_tensor_adadelta, op by op
        dt = p._data.dtype.type
        rho, eps = group["rho"], dt(group["eps"])
        state = self.state[p] or self._init_state(p, step=0.0, square_avg=ZEROS, acc_delta=ZEROS)
        tick(state["step"])
        g = plain_grad(p, group, group["weight_decay"])
        sq, acc = state["square_avg"]._data, state["acc_delta"]._data
        decay_sq_(sq, g, rho)
        bump(state["square_avg"])
        std = sqrt(sq + eps)
        delta = sqrt(acc + eps)
        delta /= std
        delta *= g
        decay_sq_(acc, delta, rho)
        bump(state["acc_delta"])
        fused_(p._data, dt(-group["lr"]), delta)  # add_(delta, alpha=-lr)
        bump(p)
