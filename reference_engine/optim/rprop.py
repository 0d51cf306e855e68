"""Rprop (etas, step_sizes, maximize), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import ZEROS, Optimizer, bump, check_common, defaults_of, plain_grad, tick


class Rprop(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_common(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        keys = "lr etas step_sizes foreach maximize differentiable capturable"
        super().__init__(params, defaults_of(locals(), keys))

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.rprop._single_tensor_rprop, op by op
        dt = p._data.dtype.type
        xp = p._xp
        etaminus, etaplus = dt(group["etas"][0]), dt(group["etas"][1])
        step_size_min, step_size_max = group["step_sizes"]
        state = self.state[p]
        if not state:
            self._init_state(p, step=0.0, prev=ZEROS)
            state["step_size"] = Tensor._make(xp.full_like(p._grad._data, group["lr"]))
        g = plain_grad(p, group)
        tick(state["step"])
        prev, step_size = state["prev"]._data, state["step_size"]._data
        sign = xp.sign(g * prev)
        # sequential masked writes, as torch does: etaplus > 0 and etaminus > 0 are not rewritten
        sign[sign > 0] = etaplus
        sign[sign < 0] = etaminus
        sign[sign == 0] = 1
        step_size *= sign
        xp.clip(step_size, dt(step_size_min), dt(step_size_max), out=step_size)
        bump(state["step_size"])
        g = g.copy()
        g[sign == etaminus] = 0
        p._data -= xp.sign(g) * step_size  # addcmul_(sign, step_size, value=-1): exact product, one rounding
        bump(p)
        prev[...] = g
        bump(state["prev"])
