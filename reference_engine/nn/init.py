"""``nn.init``: torch's weight initialisers. All of them fill in place without recording history.

They draw through ``Tensor.uniform_``/``normal_``, which reproduce torch's CPU
generator, so after the same ``manual_seed`` the weights equal torch's bit for
bit (``trunc_normal_``: see its docstring).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import random as _random  # noqa: F401 - attaches Tensor.uniform_ / normal_
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int | float):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    with no_grad():
        return tensor.zero_()


def ones_(tensor: Tensor) -> Tensor:
    with no_grad():
        return tensor.fill_(1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # a uniform on [-a, a] has this std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    """kaiming's std for ``tensor``; None (with torch's warning) for a zero-element tensor, left as it is."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None
) -> Tensor:
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None
) -> Tensor:
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return tensor if std is None else normal_(tensor, 0.0, std, generator)


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator: Any = None
) -> Tensor:
    """torch 2.13's rejection sampler, draw for draw.

    If the interval holds more than 30% of the mass: normal_(mean, std), then
    redraw a whole fresh tensor and take it where values fall outside [a, b],
    until none does. Otherwise: uniform candidates on [a, b], accepted where a
    fresh uniform's log is below the normal log-density relative to its peak.
    """
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be incorrect.",
            stacklevel=2,
        )
    with no_grad():
        mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
        if mass > 0.3:
            _trunc_by_redraw(tensor, mean, std, a, b, generator)
        else:
            _trunc_by_rejection(tensor, mean, std, a, b, generator)
    return tensor


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def _fresh_like(tensor: Tensor) -> Tensor:
    # empty_like keeps a dense tensor's strides, which decides normal_'s path and fill order
    return Tensor._make(np.empty_like(tensor._data))


def _trunc_by_redraw(tensor: Tensor, mean: float, std: float, a: float, b: float, generator: Any) -> None:
    kind = tensor._data.dtype.type
    lo, hi = kind(a), kind(b)  # the bounds as the tensor's dtype represents them
    tensor.normal_(mean, std, generator=generator)
    result = tensor._data.copy()
    while True:
        outside = (result < lo) | (result > hi)
        if not outside.any():
            break
        fresh = _fresh_like(tensor).normal_(mean, std, generator=generator)._data
        result = np.where(outside, fresh, result)
    tensor._data[...] = result


def _trunc_by_rejection(tensor: Tensor, mean: float, std: float, a: float, b: float, generator: Any) -> None:
    kind = tensor._data.dtype.type
    mode = max(a, min(mean, b))
    log_peak = kind(-0.5 * ((mode - mean) / std) ** 2)

    def log_density(c: np.ndarray) -> np.ndarray:  # -0.5 * ((c - mean) / std) ** 2 - log_peak, in the dtype
        z = (c - kind(mean)) / kind(std)
        return z * z * kind(-0.5) - log_peak

    def reject(cand: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(_fresh_like(tensor).uniform_(generator=generator)._data) > log_density(cand)

    tensor.uniform_(a, b, generator=generator)
    result = tensor._data.copy()
    pending = reject(result)
    while pending.any():
        cand = _fresh_like(tensor).uniform_(a, b, generator=generator)._data
        result = np.where(pending, cand, result)
        pending = np.where(pending, reject(cand), pending)
    tensor._data[...] = result


__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_", "trunc_normal_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]  # fmt: skip
