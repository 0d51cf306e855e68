"""SGD with momentum, dampening, Nesterov, weight decay and maximize (torch's single-tensor update)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..tensor import Tensor
from .optimizer import Optimizer, bump, check_common, defaults_of, fused, fused_, required


class SGD(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr is not required:
            check_common(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = defaults_of(
            locals(), "lr momentum dampening weight_decay nesterov maximize foreach differentiable fused"
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch._single_tensor_sgd, one op at a time. torch's add(alpha=) is a fused multiply-add on CPU,
        # so every update here rounds once too (``fused``), float64 parameters aside (see ``fused``).
        dt = p._data.dtype.type
        g = p._grad._data
        if group["maximize"]:
            g = -g
        wd, momentum = group["weight_decay"], group["momentum"]
        if wd != 0:
            g = fused(g, dt(wd), p._data)  # grad.add(param, alpha=weight_decay)
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = Tensor._make(g.copy())  # the first step stores the grad itself
                state["momentum_buffer"] = buf
            else:
                b = buf._data
                if b.dtype == D.BF16:  # mul by a Python float: in float32, one rounding (torch's opmath)
                    b[...] = b.astype(np.float32) * np.float32(momentum)
                else:
                    b *= dt(momentum)
                fused_(b, dt(1 - group["dampening"]), g)  # buf.mul_(momentum).add_(grad, alpha=1 - d)
                bump(buf)
            g = fused(g, dt(momentum), buf._data) if group["nesterov"] else buf._data
        fused_(p._data, dt(-group["lr"]), g)  # param.add_(grad, alpha=-lr)
        bump(p)
