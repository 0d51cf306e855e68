"""``optim.Optimizer``: parameter groups, per-parameter state, zero_grad, state_dict, add_param_group.

Updates are computed on the parameters' arrays in place (under no history),
one op at a time in torch's order, so float32 rounding follows torch's
single-tensor (``foreach=False``) implementations.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from .._rng_math import fma64
from ..autograd.grad_mode import enable_grad
from ..ops._util import bf16_axpy
from ..tensor import Tensor


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _type_name(obj: Any) -> str:
    return obj._type_string() if isinstance(obj, Tensor) else type(obj).__name__


class Optimizer:
    """Base class: subclasses define ``defaults`` and ``step``."""

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                + _type_name(params)
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in "
                "sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _type_name(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p._reset_grad(set_to_none)

    def step(self, closure: Any = None) -> Any:
        """Re-evaluate ``closure`` (with grad) if given, then update every parameter that has a grad."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in params_with_grad(group):
                self._update(p, group)
        return loss

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _init_state(self, p: Tensor, **entries: Any) -> dict[str, Any]:
        """``p``'s state, created on its first step (callers write ``self.state[p] or self._init_state(...)``
        so later steps build no arguments): a float makes a 0-d counter, ``ZEROS`` a zero buffer like ``p``.

        The entries keep their keyword order, which is the order torch creates them in (and state_dict shows).
        """
        state = self.state[p]
        if not state:
            for name, init in entries.items():
                state[name] = zeros_state(p) if init is ZEROS else scalar_state(init)
        return state

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = state_dict.copy()
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, sg in zip(self.param_groups, saved_groups, strict=True):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
                )
        id_map = {}
        for g, sg in zip(self.param_groups, saved_groups, strict=True):
            for old_id, p in zip(sg["params"], g["params"], strict=True):
                id_map[old_id] = p
        self.state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                self.state[p] = {name: _cast_state(name, val, p) for name, val in v.items()}
        new_groups = []
        for g, sg in zip(self.param_groups, saved_groups, strict=True):
            sg["params"] = g["params"]
            new_groups.append(sg)
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group.keys()):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


ZEROS = object()  # ``Optimizer._init_state``: a buffer of zeros shaped like the parameter


def defaults_of(values: dict[str, Any], keys: str) -> dict[str, Any]:
    """The ``defaults`` dict from a constructor's ``locals()``, in ``keys``' order (torch's, as ``print(opt)`` shows)."""
    return {k: values[k] for k in keys.split()}


def _cast_state(name: str | None, value: Any, param: Tensor) -> Any:
    """Copy a loaded state value; floating tensors follow the parameter's dtype, except ``step``. Like torch's
    ``_cast``, dicts and lists (LBFGS's history) are cast item by item, a dict's items under their own keys."""
    if isinstance(value, dict):
        return {k: _cast_state(k, v, param) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(None, v, param) for v in value)
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    if name == "step":
        return Tensor._make(value._data.copy())
    if value.is_floating_point():
        return Tensor._make(value._data.astype(param._data.dtype, copy=True))
    return Tensor._make(value._data.copy())


def bump(t: Tensor) -> None:
    """An in-place update happened: advance the version counter like torch's in-place ops."""
    t._vc[0] += 1


def _wide(v: Any) -> Any:
    return v.astype("float64") if hasattr(v, "astype") else float(v)


# fused_ works through a float64 copy of the update; for large parameters it goes block by block through one
# small work array per array module, so neither a per-step allocation nor a resident float64 twin of every
# parameter (twice its size) is needed; the update is elementwise, so the blocks give the same bits
_BLOCK = 1 << 15  # elements (256 KiB of float64)
_SCRATCH: dict[str, Any] = {}


def _scalar_fma(base: Any, a: Any, b: Any) -> bool:
    """float32 ``base + a * b`` with a scalar ``a`` and ``b`` shaped like ``base``: the fast, common case."""
    return (
        base.dtype.itemsize == 4 and base.dtype.kind == "f"
        and getattr(a, "ndim", 0) == 0 and getattr(b, "shape", None) == base.shape
    )  # fmt: skip


def _wide_fma(base: Any, a: Any, b: Any, out: Any = None) -> Any:
    """``base + a * b`` in float64 (into ``out`` when given): exact product, one rounding of the sum."""
    xp = array_module(b)
    wide = xp.multiply(b, float(a), out=out, dtype=xp.float64)  # exact: a float32 times a float32
    return xp.add(wide, base, out=wide)


def fused_(base: Any, a: Any, b: Any) -> None:
    """``base[...] = fused(base, a, b)`` in place, for a scalar ``a`` and ``b`` shaped like ``base``."""
    if not _scalar_fma(base, a, b):
        base[...] = fused(base, a, b)
        return
    xp = array_module(base)
    if not (base.flags.c_contiguous and b.flags.c_contiguous) or (
        b is not base and xp.may_share_memory(base, b)  # a block written could be read later as ``b``
    ):
        xp.copyto(base, _wide_fma(base, a, b), casting="unsafe")
        return
    work = _SCRATCH.get(xp.__name__)
    if work is None:
        work = _SCRATCH[xp.__name__] = xp.empty(_BLOCK, xp.float64)
    flat_base, flat_b, n = base.reshape(-1), b.reshape(-1), base.size
    for i in range(0, n, _BLOCK):
        j = min(i + _BLOCK, n)
        part = flat_base[i:j]
        xp.copyto(part, _wide_fma(part, a, flat_b[i:j], work[: j - i]), casting="unsafe")  # one rounding


def fused(base: Any, a: Any, b: Any) -> Any:
    """base + a * b rounded once, as torch's CPU kernels do for add(alpha=), lerp and addcmul (FMA).

    float32 is computed in float64 and rounded once; float64 through ``_rng_math.fma64``.
    """
    if _scalar_fma(base, a, b):
        return _wide_fma(base, a, b).astype(base.dtype)
    if base.dtype.itemsize == 4 and base.dtype.kind == "f":
        return (_wide(base) + _wide(a) * _wide(b)).astype(base.dtype)
    if base.dtype.itemsize == 8 and base.dtype.kind == "f":
        return fma64(a, b, base)
    if base.dtype == D.BF16:  # add(alpha=) on bfloat16: see bf16_axpy
        return bf16_axpy(base.astype(np.float32), np.asarray(b).astype(np.float32), np.float32(a))
    return base + a * b


def lerp_(a: Any, b: Any, weight: float) -> None:
    """a.lerp_(b, weight) with torch's two formulas (the one used depends on |weight| < 0.5)."""
    w = a.dtype.type(weight)
    d = b - a
    if abs(weight) < 0.5:
        a[...] = fused(a, w, d)
    else:
        a[...] = fused(b, -d, a.dtype.type(1) - w)


def params_with_grad(group: dict[str, Any]) -> Iterable[Tensor]:
    return [p for p in group["params"] if p._grad is not None]


def check_common(lr: Any, eps: float | None = None, weight_decay: float = 0.0) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def check_betas(betas: tuple[float, float]) -> None:
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def check_lr_eps_betas_wd(lr: Any, eps: float, betas: tuple[float, float], weight_decay: float) -> None:
    """Adamax/NAdam/RAdam's argument checks, in torch's order: lr, eps, the betas, then weight_decay."""
    check_common(lr, eps)
    check_betas(betas)
    check_common(lr, weight_decay=weight_decay)


def plain_grad(p: Tensor, group: dict[str, Any], weight_decay: float = 0.0) -> Any:
    """The gradient the update uses: negated for ``maximize``, plus ``weight_decay * p`` (grad.add(p, alpha=wd))."""
    g = p._grad._data
    if group["maximize"]:
        g = -g
    if weight_decay != 0:
        g = fused(g, p._data.dtype.type(weight_decay), p._data)
    return g


def zeros_state(p: Tensor) -> Tensor:
    return Tensor._make(p._xp.zeros_like(p._data))


def step_dtype() -> Any:
    """The dtype of the ``step`` counters: float64 only when that is the default dtype (torch's rule)."""
    return D.float64.np if D.get_default_dtype() is D.float64 else D.float32.np


def scalar_state(value: float) -> Tensor:
    """A 0-d state tensor (``step``, ``mu_product``, ...): on the CPU, as torch keeps it without capturable."""
    return Tensor._make(np.array(value, dtype=step_dtype()))


def decay_weights(p: Tensor, group: dict[str, Any]) -> float:
    """Decoupled weight decay (``param.mul_(1 - lr * wd)``) when asked; returns the coupled coefficient."""
    wd = group["weight_decay"]
    if wd != 0 and group["decoupled_weight_decay"]:
        p._data *= p._data.dtype.type(1 - group["lr"] * wd)
        return 0.0
    return wd


def adam_grad(p: Tensor, group: dict[str, Any]) -> Any:
    """The Adam family's gradient: decoupled decay applied to ``p`` first when asked, else coupled into the grad."""
    return plain_grad(p, group, decay_weights(p, group))


def tick(step: Tensor) -> float:
    """``step_t += 1``, then its value as a Python float (``_get_value``)."""
    step._data += 1
    bump(step)
    return float(step._data)


def decay_sq_(v: Any, g: Any, beta: float) -> None:
    """``v.mul_(beta).addcmul_(g, g, value=1 - beta)``; addcmul is fma(value * g, g, v) in torch's kernel."""
    dt = v.dtype.type
    v *= dt(beta)
    v[...] = fused(v, dt(1 - beta) * g, g)


def adam_moments_(state: dict[str, Any], g: Any, betas: tuple[float, float]) -> tuple[Any, Any]:
    """Adam's first and second moments in place: ``exp_avg.lerp_(g, 1 - b1)``, ``exp_avg_sq`` as ``decay_sq_``."""
    beta1, beta2 = betas
    m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
    lerp_(m, g, 1 - beta1)
    bump(state["exp_avg"])
    decay_sq_(v, g, beta2)
    bump(state["exp_avg_sq"])
    return m, v


def sqrt(x: Any) -> Any:
    """Elementwise square root, the one op whose rounding torch's CPU kernel does not share with NumPy.

    torch 2.13's CPU sqrt is not correctly rounded (about 16% of float32 and 1% of float64 inputs one
    ulp from NumPy's, measured); every optimizer calls it through here so tests can substitute torch's.
    """
    return array_module(x).sqrt(x)
