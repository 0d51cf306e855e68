"""Image layers' ops: interpolate (nearest, bilinear), pixel_(un)shuffle, adaptive_max_pool2d, instance_norm,
prelu and dropout2d.

interpolate reads each output pixel from (at most) two source rows and two source columns; the
indices and weights follow torch's CPU kernels (scales in float32 for nearest, in the tensor's
dtype for bilinear), so both the sources picked and the weights' rounding are torch's. Its
backward is the transposed interpolation, a 0/weight matrix on each side of the grad.
instance_norm and dropout2d are torch's composites (batch_norm on a (1, N*C, ...) view; a
bernoulli_ noise of shape (N, C, 1, 1) times the input).
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from .._creation import ones, zeros
from ..autograd.grad_mode import no_grad
from ..autograd.graph import Node
from ..ops import pointwise
from ..ops._util import grad_recording, needs, record
from ..ops.batchnorm import batch_norm
from ..ops.pooling import _adaptive_size, adaptive_avg_pool2d
from ..tensor import Tensor

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


# --------------------------------------------------------------------------- interpolate
def _nearest_source(size: int, out: int, scale: float | None, exact: bool, generic: bool, dt: Any) -> tuple[Any, Any]:
    """The source index of each output for mode 'nearest' (floor(dst * scale)) or 'nearest-exact'
    (floor((dst + 0.5) * scale)), clamped to the input, as torch's kernel for the case computes it.

    torch's 2-d kernel for small outputs (nearest_idx / nearest_exact_idx) keeps the scale in float32;
    its generic kernel (1-d, and 2-d outputs with H + W > 128) keeps it in the tensor's opmath type
    (float64 for float64) and rounds the source position to float32 only for floorf.
    """
    dst = np.arange(out)
    t = dt.type if generic and dt == np.float64 else np.float32
    s = t(1.0 / scale) if scale is not None and scale > 0 else t(size) / t(out)
    if generic:
        src = np.maximum(s * (dst.astype(t) + t(0.5)) - t(0.5), t(0)) + t(0.5) if exact else s * dst.astype(t)
    elif exact:
        src = (dst + 0.5) * np.float64(s)  # a double product, rounded to float by floorf's argument
    elif out == size:
        return dst, None
    elif out == 2 * size:
        return dst >> 1, None
    else:
        src = dst.astype(np.float32) * s
    return np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), size - 1), None


def _linear_source(size: int, out: int, scale: float | None, align_corners: bool, dt: Any) -> tuple[Any, Any]:
    """torch's compute_indices_weights_linear, in the tensor's dtype: (index pairs, weight pairs) per output."""
    t = dt.type
    if align_corners:
        s = t(size - 1) / t(out - 1) if out > 1 else t(0)
        src = s * np.arange(out).astype(dt)
    else:
        s = t(1.0 / scale) if scale is not None and scale > 0 else t(size) / t(out)
        src = np.maximum(s * (np.arange(out).astype(dt) + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    lam = np.minimum(np.maximum(src - i0.astype(dt), t(0)), t(1))
    i1 = i0 + (i0 < size - 1)
    return (i0, i1), (t(1) - lam, lam)


def _scatter_in_order(g: Any, sources: list, in_shape: tuple) -> Any:
    """The input grad of an interpolation, added up as torch's backward kernels do: output pixels in row-major
    order, each adding weight * grad into its 2 (1-d) or 4 (2-d) sources in turn (i00, i01, i10, i11), the
    weight the product of the per-dim weights. ``sources``: per spatial dim, (index arrays, weight arrays or None).
    """
    dt, spatial = g.dtype, g.shape[2:]
    options = [range(len(idx)) for idx, _ in sources]
    flat, weights = [], []
    for combo in itertools.product(*options):
        picks = [src[0][c] for src, c in zip(sources, combo, strict=True)]
        flat.append(np.ravel_multi_index(np.ix_(*picks), in_shape[2:]))
        w = None
        for axis, (src, c) in enumerate(zip(sources, combo, strict=True)):
            if src[1] is not None:
                wa = src[1][c].reshape([-1 if a == axis else 1 for a in range(len(spatial))])
                w = wa if w is None else w * wa
        weights.append(w)
    idx = np.stack(flat, axis=-1).reshape(1, -1)
    rows = g.reshape(-1, *spatial, 1)
    vals = rows if weights[0] is None else rows * np.stack(np.broadcast_arrays(*weights), axis=-1).astype(dt)
    vals = np.broadcast_to(vals, (*rows.shape[:-1], len(flat))).reshape(rows.shape[0], -1)
    acc = np.zeros((rows.shape[0], math.prod(in_shape[2:])), dtype=dt)
    np.add.at(acc, (np.arange(rows.shape[0])[:, None], idx), vals)
    return acc.reshape(in_shape)


def _along(a: Any, axis: int, idx: Any, weights: Any) -> Any:
    if weights is None:
        return np.take(a, idx, axis=axis)
    shape = [1] * a.ndim
    shape[axis] = -1
    w0, w1 = (w.reshape(shape) for w in weights)
    return w0 * np.take(a, idx[0], axis=axis) + w1 * np.take(a, idx[1], axis=axis)


class _UpsampleBackward(Node):
    # self: upsample_*_backward(grad, output_size, input_size, ...): each input gets the weighted sum of the
    # grads of the outputs that read it.
    def apply(self, grad: Tensor) -> tuple:
        return (Tensor._make(_scatter_in_order(grad._data, self.sources, self.in_shape)),)


_UPSAMPLE_NODES = {
    (mode, n): type(f"Upsample{mode}{n}DBackward0", (_UpsampleBackward,), {"__module__": __name__})
    for mode in ("Nearest", "NearestExact", "Linear", "Bilinear")
    for n in (1, 2)
}


def _spatial(value: Any, dim: int) -> list:
    return list(value) if isinstance(value, list | tuple) else [value] * dim


def interpolate(
    input: Tensor,  # noqa: A002
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, L) or (N, C, H, W): modes 'nearest', 'nearest-exact', 'linear' (3-D),
    'bilinear' and 'area' (4-D)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
                "trilinear"
            )
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    shape = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, list | tuple) and len(size) != dim:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {shape} and output size of {size}. Please provide input tensor in (N, C, d1, d2, "
                "...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        out_size, scales = [int(s) for s in _spatial(size, dim)], [None] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, list | tuple) and len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {shape} and scale_factor of shape {scale_factor}. Please provide input tensor in (N, "
                "C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
            )
        scales = [float(s) for s in _spatial(scale_factor, dim)]
        out_size = [math.floor(n * s) for n, s in zip(shape, scales, strict=True)]  # C++'s cast of the double
        if recompute_scale_factor:
            scales = [None] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if antialias:
        raise NotImplementedError("interpolate: antialias is not supported by the engine")
    linear = {"linear": 1, "bilinear": 2}.get(mode)
    if linear is not None and dim != linear:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {linear + 2}D input")
    if mode not in _MODES.split(" | ") or dim not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the modes: {_MODES} "
            f"(got {mode})"
        )
    if mode == "area" and dim == 2:
        return adaptive_avg_pool2d(input, out_size)
    if dim == 3 or mode not in ("nearest", "nearest-exact", "linear", "bilinear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} on {input.ndim}-D input is not supported by the engine")
    return _upsample(input, out_size, scales, mode, bool(align_corners))


def _upsample(input: Tensor, out_size: list, scales: list, mode: str, align_corners: bool) -> Tensor:  # noqa: A002
    a = input._data
    dt = a.dtype
    sources = []
    for k, (n, o, s) in enumerate(zip(a.shape[2:], out_size, scales, strict=True)):
        if mode.startswith("nearest"):
            # torch's kernel choice (_use_vectorized_kernel_cond_2d for NCHW inputs)
            generic = len(out_size) == 1 or sum(out_size) > 128
            pick = _nearest_source(n, o, s, mode == "nearest-exact", generic, dt)
        else:
            pick = _linear_source(n, o, s, align_corners, dt)
        sources.append((2 + k, n, *pick))
    res = a
    # torch's kernels interpolate along the last dim first, then combine rows
    for axis, _, idx, w in reversed(sources):
        res = _along(res, axis, idx, w)
    out = Tensor._make(np.ascontiguousarray(res, dtype=dt))
    if grad_recording(input):
        name = "NearestExact" if mode == "nearest-exact" else mode.capitalize()
        node = _UPSAMPLE_NODES[(name, len(sources))]()
        # torch's nearest backward always picks sources the small-output way (float32 scales)
        back = [
            (_nearest_source(n, o, s, mode == "nearest-exact", False, dt) if mode.startswith("nearest") else (i, w))
            for (_, n, i, w), o, s in zip(sources, out_size, scales, strict=True)
        ]
        node.sources = [(i if isinstance(i, tuple) else (i,), w) for i, w in back]
        node.in_shape = a.shape
        record(node, out, input)
    return out


# --------------------------------------------------------------------------- pixel_shuffle
class PixelShuffleBackward0(Node):
    # self: pixel_unshuffle(grad, upscale_factor)
    def apply(self, grad: Tensor) -> tuple:
        return (pixel_unshuffle(grad, self._saved_upscale_factor),)


class PixelUnshuffleBackward0(Node):
    # self: pixel_shuffle(grad, downscale_factor)
    def apply(self, grad: Tensor) -> tuple:
        return (pixel_shuffle(grad, self._saved_downscale_factor),)


def _shuffled(input: Tensor, r: int, up: bool) -> Any:  # noqa: A002
    a = input._data
    *lead, c, h, w = a.shape
    if up:
        split = a.reshape(*lead, c // (r * r), r, r, h, w)
        n = len(lead)
        perm = (*range(n), n, n + 3, n + 1, n + 4, n + 2)
        return np.ascontiguousarray(split.transpose(perm)).reshape(*lead, c // (r * r), h * r, w * r)
    split = a.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    perm = (*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return np.ascontiguousarray(split.transpose(perm)).reshape(*lead, c * r * r, h // r, w // r)


def _check_shuffle(input: Tensor, name: str) -> None:  # noqa: A002
    if input.ndim < 3:
        raise RuntimeError(
            f"{name} expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)"
        )


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    _check_shuffle(input, "pixel_shuffle")
    r, c = upscale_factor, input.shape[-3]
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={c} is not divisible by {r * r}"
        )
    out = Tensor._make(_shuffled(input, r, up=True))
    if grad_recording(input):
        node = PixelShuffleBackward0()
        node._saved_upscale_factor = r
        record(node, out, input)
    return out


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    _check_shuffle(input, "pixel_unshuffle")
    r = downscale_factor
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    for what, d in (("height", -2), ("width", -1)):
        if input.shape[d] % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but input.size({d})="
                f"{input.shape[d]} is not divisible by {r}"
            )
    out = Tensor._make(_shuffled(input, r, up=False))
    if grad_recording(input):
        node = PixelUnshuffleBackward0()
        node._saved_downscale_factor = r
        record(node, out, input)
    return out


# --------------------------------------------------------------------------- adaptive_max_pool2d
class AdaptiveMaxPool2DBackward0(Node):
    # self: adaptive_max_pool2d_backward(grad, self, result1): each grad goes to its bin's (first) maximum
    def apply(self, grad: Tensor) -> tuple:
        self.saved("self")
        g = grad._data
        lead = g.shape[:-2]
        gin = np.zeros((*lead, self.plane), dtype=g.dtype)
        flat_g, flat_i = g.reshape(-1, g.shape[-2] * g.shape[-1]), self.indices.reshape(-1, g.shape[-2] * g.shape[-1])
        rows = np.arange(flat_g.shape[0])[:, None]
        np.add.at(gin.reshape(-1, self.plane), (rows, flat_i), flat_g)
        return (Tensor._make(gin.reshape(self.in_shape)),)


def _bin_edges(size: int, out: int) -> list[tuple[int, int]]:
    # torch's adaptive bins [floor(i * size / out), ceil((i + 1) * size / out))
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Max over torch's adaptive bins, with the flat H*W index of each maximum."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    a = input._data
    h, w = a.shape[-2:]
    oh, ow = _adaptive_size(output_size, h, w)
    res = np.empty((*a.shape[:-2], oh, ow), dtype=a.dtype)
    idx = np.empty(res.shape, dtype=np.int64)
    for i, (r0, r1) in enumerate(_bin_edges(h, oh)):
        for j, (c0, c1) in enumerate(_bin_edges(w, ow)):
            win = a[..., r0:r1, c0:c1].reshape(*a.shape[:-2], -1)
            arg = win.argmax(axis=-1)
            res[..., i, j] = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
            idx[..., i, j] = (r0 + arg // (c1 - c0)) * w + c0 + arg % (c1 - c0)
    out = Tensor._make(res)
    if grad_recording(input):
        node = AdaptiveMaxPool2DBackward0()
        node.indices, node.plane, node.in_shape = idx, h * w, a.shape
        record(node, out, input)
        node.save("self", input)
    return (out, Tensor._make(idx)) if return_indices else out


# --------------------------------------------------------------------------- instance_norm
def instance_norm(
    input: Tensor,  # noqa: A002
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


# --------------------------------------------------------------------------- prelu
class PreluKernelBackward0(Node):
    # self, weight: _prelu_kernel_backward(grad, self, weight)
    def apply(self, grad: Tensor) -> tuple:
        x, w = self.saved("self"), self.saved("weight")
        positive = x > 0
        gx = pointwise.where(positive, grad, w * grad) if needs(self, 0) else None
        gw = pointwise.where(positive, 0.0, x * grad) if needs(self, 1) else None
        return gx, gw


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """max(0, x) + weight * min(0, x), the weight per channel (dim 1) or shared."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    num = weight.numel()
    channels = input.shape[1] if input.ndim > 1 else 1
    if num != 1 and channels != num:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{num} and channel size = {channels}."
        )
    if input.ndim != weight.ndim:
        dims = [1] * input.ndim
        if input.ndim > 1:
            dims[1] = num
        weight = weight.reshape(dims)
    x, w = input._data, weight._data
    out = Tensor._make(np.where(x > 0, x, w * x).astype(x.dtype, copy=False))
    if grad_recording(input, weight):
        node = PreluKernelBackward0()
        record(node, out, input, weight)
        node.save("self", input)
        node.save("weight", weight)
    return out


# --------------------------------------------------------------------------- dropout2d
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels: torch's feature_dropout, a bernoulli_(1 - p) noise of shape (N, C, 1, 1) / (1 - p)."""
    from .functional import dropout  # noqa: PLC0415 - functional imports this module

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    ndim = input.ndim
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            "dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, "
            "W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        noise = zeros((), dtype=input.dtype, device=input.device)
    else:
        # dropout of ones draws bernoulli_(1 - p) on the noise's shape and divides by 1 - p: torch's noise exactly
        noise = dropout(ones((*input.shape[:2], *([1] * (ndim - 2))), dtype=input.dtype, device=input.device), p)
    return input.mul_(noise) if inplace else input * noise


__all__ = [
    "adaptive_max_pool2d", "dropout2d", "instance_norm", "interpolate", "pixel_shuffle", "pixel_unshuffle", "prelu",
]  # fmt: skip
