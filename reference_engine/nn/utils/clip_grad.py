"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``, ``clip_grads_with_norm_``.

torch's algorithm step for step (``torch/nn/utils/clip_grad.py``): the tensors are grouped by (device, dtype),
each tensor's norm is ``linalg.vector_norm`` (torch's CPU ``_foreach_norm`` is that per tensor), the total is
the norm of the stacked norms, and the grads are multiplied in place by
``clamp(max_norm / (total_norm + 1e-6), max=1.0)``, all without recording a graph. The engine has no foreach
kernels: ``foreach=True`` runs the same per-tensor ops (torch's CPU fallback does too), so the values agree.
"""

from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..._creation import tensor as _tensor
from ...autograd.grad_mode import no_grad
from ...ops.join import stack
from ...ops.linalg import vector_norm
from ...ops.pointwise import clamp
from ...tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_"]

_F = TypeVar("_F", bound=Callable[..., Any])
_tensor_or_tensors = Tensor | Iterable[Tensor]


def _no_grad(func: _F) -> _F:
    """Run ``func`` under no_grad (torch's decorator of the same name)."""

    def _no_grad_wrapper(*args: Any, **kwargs: Any) -> Any:
        with no_grad():
            return func(*args, **kwargs)

    functools.update_wrapper(_no_grad_wrapper, func)
    return _no_grad_wrapper  # type: ignore[return-value]


def _group_tensors_by_device_and_dtype(tensors: list[Tensor]) -> dict[tuple[Any, Any], list[Tensor]]:
    """torch._C._group_tensors_by_device_and_dtype for one list: the groups in order of first appearance."""
    groups: dict[tuple[Any, Any], list[Tensor]] = {}
    for t in tensors:
        groups.setdefault((t.device, t.dtype), []).append(t)
    return groups


def _device_has_foreach_support(device: Any) -> bool:
    # torch: cuda, xpu, mtia, privateuse1 and cpu; the engine's devices are cpu and cuda
    return device.type in ("cpu", "cuda")


def _check_foreach(foreach: bool | None, device: Any) -> None:
    if foreach and not _device_has_foreach_support(device):
        raise RuntimeError(f"foreach=True was passed, but can't use the foreach API on {device.type} tensors")


@_no_grad
def _get_total_norm(
    tensors: _tensor_or_tensors,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The norm of the tensors' norms, as if the tensors were one vector (``torch.nn.utils.get_total_norm``)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return _tensor(0.0)
    first_device = tensors[0].device
    norms: list[Tensor] = []
    for (device, _), device_tensors in _group_tensors_by_device_and_dtype(tensors).items():
        _check_foreach(foreach, device)
        norms.extend([vector_norm(g, norm_type) for g in device_tensors])
    total_norm = vector_norm(stack([norm.to(first_device) for norm in norms]), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable "
            "this error and scale the gradients by the non-finite norm anyway, "
            "set `error_if_nonfinite=False`"
        )
    return total_norm


def _clamp_coef(clip_coef: Any) -> Tensor:
    if not isinstance(clip_coef, Tensor):  # a float total_norm: torch.clamp's argument parser refuses it
        raise TypeError(
            f"clamp() received an invalid combination of arguments - got ({type(clip_coef).__name__}, max=float), "
            "but expected one of:\n"
            " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
            " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n"
        )
    return clamp(clip_coef, max=1.0)


@_no_grad
def _clip_grads_with_norm_(
    parameters: _tensor_or_tensors,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale the grads in place by ``min(max_norm / (total_norm + 1e-6), 1)`` (``clip_grads_with_norm_``)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    groups = _group_tensors_by_device_and_dtype(grads)
    clip_coef = max_norm / (total_norm + 1e-6)
    # multiplying by a coefficient clamped to 1 changes nothing, and avoids a host-device sync in torch
    clip_coef_clamped = _clamp_coef(clip_coef)
    for (device, _), device_grads in groups.items():
        _check_foreach(foreach, device)
        coef = clip_coef_clamped.to(device)
        for g in device_grads:
            g.mul_(coef)


@_no_grad
def clip_grad_norm_(
    parameters: _tensor_or_tensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Clip the parameters' grads, in place, to a total norm of at most ``max_norm``; returns the total norm
    before clipping. Parameters without a grad are skipped."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator is read once
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = _get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    _clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters: _tensor_or_tensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated spelling of ``clip_grad_norm_`` (with torch's FutureWarning)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        category=FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@_no_grad
def clip_grad_value_(
    parameters: _tensor_or_tensors,
    clip_value: float,
    foreach: bool | None = None,
) -> None:
    """Clamp every grad, in place, to ``[-clip_value, clip_value]``."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    grads = [p.grad for p in parameters if p.grad is not None]
    for (device, _), device_grads in _group_tensors_by_device_and_dtype(grads).items():
        _check_foreach(foreach, device)
        if foreach is None or foreach:
            # torch's foreach path: clamp_min_ on every grad, then clamp_max_ (a negative clip_value gives
            # clip_value everywhere, as clamp_ with min > max does)
            for g in device_grads:
                g.clamp_min_(-clip_value)
            for g in device_grads:
                g.clamp_max_(clip_value)
        else:
            for g in device_grads:
                g.clamp_(min=-clip_value, max=clip_value)
