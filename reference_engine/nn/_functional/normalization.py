"""Normalisations: batch_norm, instance_norm, layer_norm, rms_norm, local_response_norm, group_norm and
normalize.

Batch normalisation over dim 1 (``torch.batch_norm``) is one ``NativeBatchNormBackward0`` node.
Statistics are reduced over every dim but the channel dim, with the sums of
float32 inputs accumulated in float64 as torch's CPU kernel does (its
accumulation type for float is double), so the batch mean and the running
statistics match torch to the last bit or so. The backward is computed on
arrays, or, under create_graph (double backward, forward AD), by the same
formulas in engine ops with the statistics recomputed differentiably.
instance_norm is torch's composite (batch_norm on a (1, N*C, ...) view).

The aten-level forms return their statistics too: native_batch_norm, _native_batch_norm_legit (with and
without running statistics) and _batch_norm_with_update give (output, save_mean, save_invstd[, reserve]), the
statistics empty in eval mode, each with its own node name over NativeBatchNormBackward0's formulas;
native_layer_norm gives (output, mean, rstd) and native_group_norm (output, mean, rstd) with all three
outputs differentiable (one NativeGroupNormBackward0 node), as in torch.

layer_norm and group_norm are one node each, as in torch: both standardise rows of a (rows, K) view of
the input (layer norm: one row per leading index; group norm: one row per (sample, group)) and then
apply a per-element (layer norm) or per-channel (group norm) affine map. The forward follows torch's CPU
kernel: ``y = (x * rstd + (-rstd * mean)) * weight + bias``. The backward recomputes the
row statistics with engine ops, so double backward differentiates through them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._backend import array_module
from ..._torch_version import since
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.graph import Node
from ...ops._util import grad_recording, needs, record
from ...ops.pointwise import _ErrState
from ...tensor import Tensor
from .padding import pad
from .pool3d import avg_pool3d
from .pooling import avg_pool2d


# --------------------------------------------------------------------------- batch_norm
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
        if is_grad_enabled():
            return self._differentiable(grad)
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

    def _differentiable(self, grad: Tensor) -> tuple:
        """The same formulas in engine ops, for create_graph (torch's batchnorm_double_backward)."""
        x = self.saved("input")
        nd = x.ndim
        axes = _reduce_axes(nd)
        w = self.saved("weight").reshape((1, -1) + (1,) * (nd - 2)) if self.weight_arr is not None else None
        if self.training:
            xc = x - x.mean(axes, keepdim=True)
            invstd = ((xc * xc).mean(axes, keepdim=True) + self.eps).rsqrt()
            xhat = xc * invstd
        else:
            invstd = Tensor._make(_per_channel(self.invstd, nd))
            xhat = (x - Tensor._make(_per_channel(self.mean, nd))) * invstd
        gx = gw = gb = None
        if needs(self, 0):
            g = grad * w if w is not None else grad
            if self.training:
                g = g - g.mean(axes, keepdim=True) - xhat * (g * xhat).mean(axes, keepdim=True)
            gx = g * invstd
        if needs(self, 1):
            gw = (grad * xhat).sum(axes)
        if needs(self, 2):
            w_in = self.saved("weight") if self.weight_arr is not None else None
            gb = _bias_grad_in_graph(self.double_backward(), grad.sum(axes), x, w_in)
        return gx, gw, gb


class NativeBatchNormBackwardBackward0(Node):
    # native_batch_norm_backward: "grad_out, input, weight: batchnorm_double_backward(input, weight, grads[0],
    #     grads[1], grads[2], grad_out, ...)". Here it carries grad_bias = sum(grad) only: torch's node gives
    # input and weight no gradient from it (ggB reaches gO alone), but its output is in the graph whenever any
    # of grad, input, weight requires grad, so grad_bias requires grad like torch's.
    def apply(self, grad: Tensor) -> tuple:
        return grad, None, None


class BatchNormBackwardBackward0(NativeBatchNormBackwardBackward0):
    # batch_norm_backward (the backward of _batch_norm_with_update): "grad_out, input, weight:
    #     batchnorm_double_backward(input, weight, grads[0], grads[1], grads[2], grad_out, ...)"; as above.
    pass


# The aten-level forms share NativeBatchNormBackward0's formulas; torch names a node per overload.
class NativeBatchNormLegitBackward0(NativeBatchNormBackward0):
    # _native_batch_norm_legit: input, weight, bias: "grad.defined() ? native_batch_norm_backward(grad, input,
    #     weight, running_mean, running_var, result1, result2, training, eps, grad_input_mask) : ..."
    pass


class NativeBatchNormLegitBackward1(NativeBatchNormBackward0):
    # _native_batch_norm_legit.no_stats: input, weight, bias: "grad.defined() ? native_batch_norm_backward(grad,
    #     input, weight, Tensor(), Tensor(), result1, result2, training, eps, grad_input_mask) : ..."
    pass


class BatchNormWithUpdateBackward0(NativeBatchNormBackward0):
    # _batch_norm_with_update: input, weight, bias: "grad.defined() ? batch_norm_backward(grad, input, weight,
    #     running_mean, running_var, result1, result2, /*update*/true, eps, grad_input_mask, result3) : ..."
    double_backward = BatchNormBackwardBackward0


NativeBatchNormBackward0.double_backward = NativeBatchNormBackwardBackward0


class NativeLayerNormBackwardBackward0(Node):
    # native_layer_norm_backward: "grad_out, input, weight: layer_norm_double_backward(input, weight, grads[0],
    #     grads[1], grads[2], grad_out, ...)": as NativeBatchNormBackwardBackward0 for grad_bias = sum(grad).
    def apply(self, grad: Tensor) -> tuple:
        return grad, None, None


def _bias_grad_in_graph(node: Node, gb: Tensor, input: Tensor, weight: Tensor | None) -> Tensor:
    """``gb`` (computed from grad alone) recorded as an output of torch's double-backward node."""
    if not grad_recording(gb, input, weight):
        return gb
    out = Tensor._make(gb._data)
    record(node, out, gb, input, weight)
    return out


def _check_sizes(input: Tensor, weight: Tensor | None, bias: Tensor | None, rm: Tensor | None) -> None:
    c = input.shape[1] if input.ndim > 1 else 1
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", rm)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _batch_norm(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    node_cls: type[NativeBatchNormBackward0] = NativeBatchNormBackward0,
) -> tuple[Tensor, Any, Any]:
    """The normalised output recorded as ``node_cls``, with the batch mean and invstd (training) or the
    running statistics' mean and invstd (eval) as arrays."""
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
        node = node_cls()
        node.training, node.mean, node.invstd, node.eps = bool(training), mean.copy(), invstd, eps
        node.weight_arr = None if weight is None else weight._data
        record(node, out, input, weight, bias)
        node.save("input", input)
        if weight is not None:
            node.save("weight", weight)
    return out, mean, invstd


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of ``input`` (N, C, ...) by batch statistics (training) or running ones."""
    if training and math.prod(s for i, s in enumerate(input.shape) if i != 1) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    return _batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)[0]


def _saved_stats(input: Tensor, mean: Any, invstd: Any, training: bool) -> tuple[Tensor, Tensor]:
    """The save_mean and save_invstd outputs: the batch statistics when training, empty otherwise."""
    if training:
        return Tensor._make(mean.copy()), Tensor._make(invstd)
    empty = input._xp.zeros((0,), dtype=input._data.dtype)
    return Tensor._make(empty), Tensor._make(empty.copy())


def native_batch_norm(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[Tensor, Tensor, Tensor]:
    """torch.native_batch_norm: (output, save_mean, save_invstd)."""
    out, mean, invstd = _batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)
    return (out, *_saved_stats(input, mean, invstd, training))


def _native_batch_norm_legit(input: Tensor, weight: Tensor | None, bias: Tensor | None, *args: Any) -> tuple:
    """torch._native_batch_norm_legit: (input, weight, bias, running_mean, running_var, training, momentum, eps),
    or without the running statistics (the no_stats overload)."""
    if len(args) == 3:
        training, momentum, eps = args
        node_cls: type[NativeBatchNormBackward0] = NativeBatchNormLegitBackward1
        running_mean = running_var = None
    else:
        running_mean, running_var, training, momentum, eps = args
        node_cls = NativeBatchNormLegitBackward0
    out, mean, invstd = _batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, node_cls)
    return (out, *_saved_stats(input, mean, invstd, training))


def _batch_norm_with_update(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor,
    running_var: Tensor,
    momentum: float,
    eps: float,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """aten._batch_norm_with_update: training batch norm updating the running statistics; (output, save_mean,
    save_invstd, reserve), the reserve empty on CPU."""
    args = (running_mean, running_var, True, momentum, eps, BatchNormWithUpdateBackward0)
    out, mean, invstd = _batch_norm(input, weight, bias, *args)
    reserve = Tensor._make(input._xp.zeros((0,), dtype=np.uint8))
    return (out, *_saved_stats(input, mean, invstd, True), reserve)


# --------------------------------------------------------------------------- instance_norm
def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """torch's composite: batch norm of the (1, N*C, ...) view, per-channel tensors repeated N times."""
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    b, c = input.shape[0], input.shape[1]

    def repeat(t: Tensor | None) -> Tensor | None:
        return None if t is None else t.repeat(b)

    mean_, var_ = repeat(running_mean), repeat(running_var)
    flat = input.contiguous().view(1, b * c, *input.shape[2:])
    out = batch_norm(flat, mean_, var_, repeat(weight), repeat(bias), use_input_stats, momentum, eps)
    with no_grad():
        for stat, repeated in ((running_mean, mean_), (running_var, var_)):
            if stat is not None:
                stat.copy_(repeated.view(b, c).mean(0))
    return out.view(*input.shape)


def _row_moments(xr: Any, eps: float) -> tuple[Any, Any]:
    """Mean and 1/sqrt(var + eps) of each row of the 2-D array ``xr`` (population variance)."""
    if xr.shape[1] == 0:  # empty rows (an input with empty spatial dims): nothing to normalize, no NumPy warning
        zero = array_module(xr).zeros((xr.shape[0], 1), dtype=xr.dtype)
        return zero, zero
    mean = xr.mean(axis=1, keepdims=True)
    var = ((xr - mean) ** 2).mean(axis=1, keepdims=True)
    with _ErrState():
        rstd = 1 / array_module(xr).sqrt(var + xr.dtype.type(eps))
    return mean, rstd


def _normalized_rows(xr: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """(x - mean) * rstd and rstd of each row, as differentiable engine ops."""
    centered = xr - xr.mean(1, keepdim=True)
    rstd = ((centered * centered).mean(1, keepdim=True) + eps).rsqrt()
    return centered * rstd, rstd


def _input_grad(g: Tensor, xhat: Tensor, rstd: Tensor) -> Tensor:
    """The grad of rows standardised to ``xhat`` from ``g``, the grad with respect to xhat."""
    return (g - g.mean(1, keepdim=True) - xhat * (g * xhat).mean(1, keepdim=True)) * rstd


def _compute_dtype(x: Tensor) -> Any:
    # Half kernels accumulate in float32 and round the result once
    return np.float32 if x._data.dtype == np.float16 else x._data.dtype


# --------------------------------------------------------------------------- layer_norm
class NativeLayerNormBackward0(Node):
    # input, weight, bias: native_layer_norm_backward(grad, input, normalized_shape, mean, rstd, weight, bias)
    def apply(self, grad: Tensor) -> tuple:
        x, w = self.saved("input"), self.saved("weight") if self.has_weight else None
        rows = (-1, self.k)
        xhat, rstd = _normalized_rows(x.reshape(rows), self.eps)
        gy = grad.reshape(rows)
        gi = gw = gb = None
        if needs(self, 0):
            g = gy * w.reshape(1, self.k) if w is not None else gy
            gi = _input_grad(g, xhat, rstd).reshape(x.shape)
        if needs(self, 1):
            gw = (gy * xhat).sum(0).reshape(w.shape)
        if needs(self, 2):
            gb = gy.sum(0).reshape(self.norm_shape)
            if is_grad_enabled():
                gb = _bias_grad_in_graph(NativeLayerNormBackwardBackward0(), gb, x, w)
        return gi, gw, gb


def _check_layer_norm(x: Tensor, shape: tuple[int, ...], weight: Tensor | None, bias: Tensor | None) -> None:
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
            "normalized_shape = []"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"{list(t.shape)} and normalized_shape = {list(shape)}"
            )
    n = len(shape)
    if n == 0 or x.ndim < n or tuple(x.shape[x.ndim - n :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, {', '.join(map(str, shape))}], "
            f"but got input of size{list(x.shape)}"
        )


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    return _layer_norm(input, normalized_shape, weight, bias, eps)[0]


def native_layer_norm(
    input: Tensor,
    normalized_shape: Sequence[int],
    weight: Tensor | None,
    bias: Tensor | None,
    eps: float,
) -> tuple[Tensor, Tensor, Tensor]:
    """torch.native_layer_norm: (output, mean, rstd), the statistics shaped like the input with the normalised
    dims kept as 1s."""
    out, mean, rstd = _layer_norm(input, normalized_shape, weight, bias, eps)
    kept = (*input.shape[: input.ndim - len(tuple(normalized_shape))], *(1,) * len(tuple(normalized_shape)))
    dtype = input._data.dtype
    return out, Tensor._make(mean.astype(dtype).reshape(kept)), Tensor._make(rstd.astype(dtype).reshape(kept))


def _layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None,
    bias: Tensor | None,
    eps: float,
) -> tuple[Tensor, Any, Any]:
    """The output recorded as NativeLayerNormBackward0, with each row's mean and rstd as (rows, 1) arrays."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_layer_norm(input, shape, weight, bias)
    k = int(np.prod(shape))
    a = input._data
    xr = a.astype(_compute_dtype(input)).reshape(-1, k)
    mean, rstd = _row_moments(xr, eps)
    y = xr * rstd + (-rstd * mean)
    if weight is not None:
        y = y * weight._data.reshape(1, k).astype(xr.dtype)
    if bias is not None:
        y = y + bias._data.reshape(1, k).astype(xr.dtype)
    out = Tensor._make(y.reshape(a.shape).astype(a.dtype))
    if grad_recording(input, weight, bias):
        node = NativeLayerNormBackward0()
        node.k, node.eps, node.norm_shape, node.has_weight = k, eps, shape, weight is not None
        record(node, out, input, weight, bias)
        node.save("input", input)
        if weight is not None:
            node.save("weight", weight)
    return out, mean, rstd


# --------------------------------------------------------------------------- rms_norm
def rms_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """ATen's composite rms_norm: ``x * rsqrt(mean(x ** 2) + eps) * weight`` over the trailing dims, eps the
    dtype's machine epsilon when not given."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
            "normalized_shape = []"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            "Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {list(shape)}"
        )
    n = len(shape)
    if input.ndim < n or tuple(input.shape[input.ndim - n :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*{', '.join(map(str, shape))}], "
            f"but got input of size{list(input.shape)}"
        )
    if eps is None:
        eps = float(D.np_finfo(input._data.dtype).eps)
    dims = tuple(input.ndim - i - 1 for i in range(n))
    rsqrt_input = (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    result = input * rsqrt_input
    return result * weight if weight is not None else result


# --------------------------------------------------------------------------- local_response_norm
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """nn.functional's composite: the input over (k + alpha * the mean of the squares of ``size`` neighbouring
    channels) ** beta."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


# --------------------------------------------------------------------------- group_norm
class NativeGroupNormBackward0(Node):
    # input, weight, bias: native_group_norm_backward(grad, input, mean, rstd, weight, N, C, HxW, group)
    # torch 2.14: its double backward gives weight and bias zero tensors where 2.13 gives None (the grads below
    # then depend on them, with a zero contribution, when a graph is being built)
    # native_group_norm's mean and rstd outputs are differentiable too (infinitely_differentiable_native_group_
    # norm_backward takes grads[1] and grads[2]): d mean / dx = 1 / K, d rstd / dx = -rstd^3 (x - mean) / K over
    # each group's K elements
    def apply(self, grad: Tensor, grad_mean: Tensor | None = None, grad_rstd: Tensor | None = None) -> tuple:
        x, w = self.saved("input"), self.saved("weight") if self.has_weight else None
        n, c, groups = x.shape[0], x.shape[1], self.groups
        hw = math.prod(x.shape[2:])
        per_channel = (n, c, hw)  # sizes spelled out: with a zero-size batch, -1 could not be inferred
        row = (c // groups) * hw
        xhat, rstd = _normalized_rows(x.reshape(n * groups, row), self.eps)
        gy = grad.reshape(per_channel)
        gi = gw = gb = None
        zero = self._zero_edges()
        if needs(self, 0):
            g = gy * w.reshape(1, c, 1) if w is not None else gy
            gi = _input_grad(g.reshape(n * groups, row), xhat, rstd)
            if grad_mean is not None:
                gi = gi + grad_mean.reshape(n * groups, 1) / row
            if grad_rstd is not None:
                gi = gi - grad_rstd.reshape(n * groups, 1) * (rstd * rstd) * xhat / row
            gi = (gi if zero is None else gi + zero).reshape(x.shape)
        if needs(self, 1):
            gw = (gy * xhat.reshape(per_channel)).sum((0, 2))
            gw = gw if zero is None else gw + zero
        if needs(self, 2):
            gb = gy.sum((0, 2))
        return gi, gw, gb

    def _zero_edges(self) -> Tensor | None:
        """torch 2.14: a zero that depends on weight and bias, so second-order grads reach them as zeros."""
        if not (since("2.14") and is_grad_enabled()):
            return None
        params = [self.saved(k) for k in ("weight", "bias") if self._saved and k in self._saved]
        if not params:
            return None
        zero = None
        for p in params:
            term = p.sum() * 0
            zero = term if zero is None else zero + term
        return zero


def native_group_norm(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    N: int,  # noqa: N803 (torch's parameter names)
    C: int,  # noqa: N803
    HxW: int,  # noqa: N803
    group: int,
    eps: float,
) -> tuple[Tensor, Tensor, Tensor]:
    """torch.native_group_norm: (output, mean, rstd), the statistics (N, group), all three outputs of one
    NativeGroupNormBackward0 node."""
    if input.numel() != N * C * HxW:
        raise RuntimeError(f"Expect input to have {N * C * HxW} elements")
    return _group_norm(input, group, weight, bias, eps, True)  # type: ignore[return-value]


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if _single_value_per_channel(input, num_groups):
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size "
            f"{[n * c // num_groups, num_groups, *input.shape[2:]]}"
        )
    return _group_norm(input, num_groups, weight, bias, eps, False)  # type: ignore[return-value]


def _group_norm(
    input: Tensor, num_groups: int, weight: Tensor | None, bias: Tensor | None, eps: float, stats: bool
) -> Tensor | tuple[Tensor, Tensor, Tensor]:
    """The output, or with ``stats`` the output, mean and rstd, recorded as one NativeGroupNormBackward0."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got "
                f"{name} of shape {list(t.shape)} and input of shape {list(input.shape)}"
            )
    a = input._data
    hw = math.prod(input.shape[2:])
    if since("2.14") and c == 0:  # torch 2.14 refuses zero channels (2.13 returned an empty result)
        raise RuntimeError("Expected number of channels to be greater than 0, got 0")
    if since("2.14") and hw == 0:  # torch 2.14 refuses empty spatial dims (2.13 returned an empty result)
        raise RuntimeError("Expected HxW to be greater than 0, got 0")
    # sizes spelled out: with a zero-size batch, -1 could not be inferred
    xr = a.astype(_compute_dtype(input)).reshape(n * num_groups, (c // num_groups) * hw)
    mean, rstd = _row_moments(xr, eps)
    y = (xr * rstd + (-rstd * mean)).reshape(n, c, hw)
    if weight is not None:
        y = y * weight._data.reshape(1, c, 1).astype(xr.dtype)
    if bias is not None:
        y = y + bias._data.reshape(1, c, 1).astype(xr.dtype)
    out = Tensor._make(y.reshape(a.shape).astype(a.dtype))
    outs: Tensor | tuple[Tensor, Tensor, Tensor] = out
    if stats:
        shape = (n, num_groups)
        outs = (
            out,
            Tensor._make(mean.astype(a.dtype).reshape(shape)),
            Tensor._make(rstd.astype(a.dtype).reshape(shape)),
        )
    if grad_recording(input, weight, bias):
        node = NativeGroupNormBackward0()
        node.groups, node.eps, node.has_weight = num_groups, eps, weight is not None
        record(node, outs, input, weight, bias)
        node.save("input", input)
        if weight is not None:
            node.save("weight", weight)
        if bias is not None and since("2.14"):
            node.save("bias", bias)
    return outs


def _single_value_per_channel(input: Tensor, num_groups: int) -> bool:
    # F.group_norm's _verify_batch_size on [N * C // G, G, *spatial]: every size but the second multiplies
    size = [input.shape[0] * input.shape[1] // num_groups, num_groups, *input.shape[2:]]
    count = size[0]
    for s in size[2:]:
        count *= s
    return count == 1


# --------------------------------------------------------------------------- normalize
def normalize(
    input: Tensor,
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    with no_grad():
        return out.copy_(input / denom)
