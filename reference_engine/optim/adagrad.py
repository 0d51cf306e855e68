"""Adagrad (lr_decay, initial_accumulator_value, weight_decay, maximize), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, bump, check_common, defaults_of, fused, plain_grad, scalar_state, sqrt, tick


class Adagrad(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_common(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        keys = "lr lr_decay eps weight_decay initial_accumulator_value foreach maximize differentiable fused"
        super().__init__(params, defaults_of(locals(), keys))
        # torch creates Adagrad's state in the constructor, so state_dict() has it before any step
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = scalar_state(0.0)
                state["sum"] = Tensor._make(p._xp.full_like(p._data, initial_accumulator_value))

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.adagrad._single_tensor_adagrad (dense grads), op by op
        dt = p._data.dtype.type
        state = self.state[p]
        step = tick(state["step"])
        g = plain_grad(p, group, group["weight_decay"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s = state["sum"]._data
        s[...] = fused(s, g, g)  # addcmul_(grad, grad, value=1)
        bump(state["sum"])
        std = sqrt(s)
        std += dt(group["eps"])
        p._data += dt(-clr) * g / std  # addcdiv_: self + value * t1 / t2, unfused
        bump(p)
