"""ASGD (averaged SGD), torch's single-tensor update."""

from __future__ import annotations

from typing import Any

from .. import _dtype as D
from ..tensor import Tensor
from .optimizer import ZEROS, Optimizer, bump, check_common, defaults_of, fused_, plain_grad, tick


class ASGD(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_common(lr, weight_decay=weight_decay)
        keys = "lr lambd alpha t0 weight_decay foreach maximize differentiable capturable"
        super().__init__(params, defaults_of(locals(), keys))

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        # torch.optim.asgd._single_tensor_asgd, op by op
        dt = p._data.dtype.type
        lr, lambd = group["lr"], group["lambd"]
        state = self.state[p] or self._init_state(p, step=0.0, eta=lr, mu=1.0, ax=ZEROS)
        step = tick(state["step"])
        g = plain_grad(p, group, group["weight_decay"])
        eta = float(state["eta"]._data)  # the value rounded to eta's dtype
        p._data *= dt(1 - lambd * eta)
        fused_(p._data, dt(-eta), g)  # add_(grad, alpha=-eta)
        bump(p)
        ax, mu = state["ax"]._data, state["mu"]._data
        if float(mu) != 1:
            ax += (p._data - ax) * dt(mu[()])  # a scalar: also fine with CuPy arrays
        else:
            ax[...] = p._data
        bump(state["ax"])
        # torch.as_tensor(python float) has the default dtype; copy_ then casts it to the state's dtype
        default = D.get_default_dtype().np
        state["eta"]._data[...] = default.type(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        state["mu"]._data[...] = default.type(1 / max(1, step - group["t0"]))
        bump(state["eta"])
        bump(state["mu"])
