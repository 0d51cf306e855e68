"""Batch normalisation over dim 1 (``torch.batch_norm``) as one ``NativeBatchNormBackward0`` node.

Statistics are reduced over every dim but the channel dim, with the sums of
float32 inputs accumulated in float64 as torch's CPU kernel does (its
accumulation type for float is double), so the batch mean and the running
statistics match torch to the last bit or so. The backward is computed on
arrays (no double backward through batch norm), like the convolution's.
"""

from __future__ import annotations

from typing import Any

from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import grad_recording, needs, record
from .pointwise import _ErrState


def _reduce_axes(ndim: int) -> tuple[int, ...]:
    return (0, *range(2, ndim))


def _per_channel(v: Any, ndim: int) -> Any:
    """A (C,) array shaped to broadcast against (N, C, ...)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _acc_dtype(xp: Any, dtype: Any) -> Any:
    # torch's CPU accumulation type: double for float and double, float for half types
    return xp.float64 if dtype.itemsize >= 4 else xp.float32


def _batch_stats(xp: Any, x: Any) -> tuple[Any, Any, int]:
    """(mean, sum of squared deviations, count) per channel, two passes like torch's kernel."""
    axes = _reduce_axes(x.ndim)
    count = x.size // x.shape[1]
    acc = _acc_dtype(xp, x.dtype)
    mean = (x.sum(axis=axes, dtype=acc) / count).astype(x.dtype)
    dev = x - _per_channel(mean, x.ndim)
    dev *= dev
    # torch stores the sum in the input's dtype before deriving the variances from it
    var_sum = dev.sum(axis=axes, dtype=acc).astype(x.dtype)
    return mean, var_sum, count


def _update_running(running: Tensor | None, new: Any, momentum: float) -> None:
    """running = momentum * new + (1 - momentum) * running, in place (bumps the version, as torch does)."""
    if running is None:
        return
    r = running._data
    m = r.dtype.type(momentum)
    r[...] = (m * new + (1 - m) * r).astype(r.dtype)
    running._vc[0] += 1


def _affine_terms(xp: Any, mean: Any, invstd: Any, weight: Tensor | None, bias: Tensor | None) -> tuple[Any, Any]:
    """out = x * alpha + beta with alpha = invstd * weight, beta = bias - mean * alpha (torch's CPU form)."""
    alpha = invstd if weight is None else invstd * weight._data
    beta = -(mean * alpha) if bias is None else bias._data - mean * alpha
    return alpha, beta


class NativeBatchNormBackward0(Node):
    # input, weight, bias: "grad.defined() ? native_batch_norm_backward(grad, input, weight, running_mean,
    #     running_var, result1, result2, training, eps, grad_input_mask) : ..."
    # training: dx = (dy - mean(dy) - xhat * mean(dy * xhat)) * invstd * w ; dw = sum(dy * xhat) ; db = sum(dy)
    # eval:     dx = dy * invstd * w ; dw = sum(dy * (x - running_mean)) * invstd ; db = sum(dy)
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("input")._data
        g = grad._data
        nd = x.ndim
        axes = _reduce_axes(nd)
        acc = _acc_dtype(grad._xp, g.dtype)
        mean, invstd = self.mean, self.invstd
        xc = x - _per_channel(mean, nd)
        sum_g = g.sum(axis=axes, dtype=acc).astype(g.dtype)
        dotp = (xc * g).sum(axis=axes, dtype=acc).astype(g.dtype)
        w = self.weight_arr
        gx = None
        if needs(self, 0):
            scale = invstd if w is None else invstd * w
            if self.training:
                count = x.size // x.shape[1]
                k = dotp * invstd * invstd / count
                gx = g - _per_channel(sum_g / count, nd)
                gx -= xc * _per_channel(k, nd)
                gx *= _per_channel(scale, nd)
            else:
                gx = g * _per_channel(scale, nd)
        gw = Tensor._make(dotp * invstd) if needs(self, 1) else None
        gb = Tensor._make(sum_g) if needs(self, 2) else None
        return (Tensor._make(gx) if gx is not None else None), gw, gb


def _check_sizes(input: Tensor, weight: Tensor | None, bias: Tensor | None, rm: Tensor | None) -> None:  # noqa: A002
    c = input.shape[1] if input.ndim > 1 else 1
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", rm)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of ``input`` (N, C, ...) by batch statistics (training) or running ones."""
    _check_sizes(input, weight, bias, running_mean)
    x = input._data
    xp = input._xp
    nd = x.ndim
    if training:
        mean, var_sum, count = _batch_stats(xp, x)
        var = (var_sum / count).astype(x.dtype)
        invstd = (1.0 / xp.sqrt(var.astype(_acc_dtype(xp, x.dtype)) + eps)).astype(x.dtype)
        _update_running(running_mean, mean, momentum)
        if running_var is not None:
            with _ErrState():  # one value per channel: torch gives inf/nan too
                unbiased = (var_sum / (count - 1)).astype(x.dtype)
            _update_running(running_var, unbiased, momentum)
    else:
        mean = running_mean._data  # type: ignore[union-attr]
        rv = running_var._data  # type: ignore[union-attr]
        invstd = (1 / xp.sqrt(rv + rv.dtype.type(eps))).astype(x.dtype)
    alpha, beta = _affine_terms(xp, mean, invstd, weight, bias)
    out_arr = x * _per_channel(alpha, nd)
    out_arr += _per_channel(beta, nd)
    out = Tensor._make(out_arr)
    if grad_recording(input, weight, bias):
        node = NativeBatchNormBackward0()
        node.training, node.mean, node.invstd = bool(training), mean.copy(), invstd
        node.weight_arr = None if weight is None else weight._data
        record(node, out, input, weight, bias)
        node.save("input", input)
        if weight is not None:
            node.save("weight", weight)
    return out


__all__ = ["batch_norm"]
