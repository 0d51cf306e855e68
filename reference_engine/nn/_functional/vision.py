"""Image layout ops: interpolate (nearest, linear, bilinear, bicubic, trilinear, area), its upsample_* aliases,
pixel_(un)shuffle, channel_shuffle and flatten.

interpolate reads each output pixel from (at most) two sources per spatial dim (four for bicubic); the
indices and weights follow torch's CPU kernels (scales in float32 for nearest, in the tensor's
dtype for the linear modes and bicubic), so both the sources picked and the weights' rounding are
torch's. Its backward is the transposed interpolation, a 0/weight matrix on each side of the grad.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...tensor import Tensor
from .antialias import antialiased_resample
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

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


_CUBIC_A = -0.75  # torch's cubic convolution coefficient


def _cubic_source(size: int, out: int, scale: float | None, align_corners: bool, dt: Any) -> tuple[Any, Any]:
    """torch's HelperInterpCubic::compute_indices_weights in the tensor's dtype: the 4 taps around each
    output (clamped to the input) and their cubic-convolution weights (A = -0.75)."""
    t = dt.type
    if align_corners:
        s = t(size - 1) / t(out - 1) if out > 1 else t(0)
        src = s * np.arange(out).astype(dt)
    else:
        s = t(1.0 / scale) if scale is not None and scale > 0 else t(size) / t(out)
        src = s * (np.arange(out).astype(dt) + t(0.5)) - t(0.5)  # cubic: no clamp at 0
    # guard_index_and_lambda: floorf of the source, the fraction clamped to [0, 1]
    i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), size - 1)
    lam = np.minimum(np.maximum(src - i0.astype(dt), t(0)), t(1))
    a = t(_CUBIC_A)

    def conv1(x: Any) -> Any:
        return ((a + t(2)) * x - (a + t(3))) * x * x + t(1)

    def conv2(x: Any) -> Any:
        return ((a * x - t(5) * a) * x + t(8) * a) * x - t(4) * a

    x2 = t(1) - lam
    weights = (conv2(lam + t(1)), conv1(lam), conv1(x2), conv2(x2 + t(1)))
    taps = tuple(np.clip(i0 - 1 + j, 0, size - 1) for j in range(4))
    return taps, weights


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
    # each tap's weighted source added in turn, as torch's kernels accumulate
    res = weights[0].reshape(shape) * np.take(a, idx[0], axis=axis)
    for w, i in zip(weights[1:], idx[1:], strict=True):
        res = res + w.reshape(shape) * np.take(a, i, axis=axis)
    return res


class _UpsampleBackward(Node):
    # self: upsample_*_backward(grad, output_size, input_size, ...): each input gets the weighted sum of the
    # grads of the outputs that read it.
    def apply(self, grad: Tensor) -> tuple:
        gx = Tensor._make(_scatter_in_order(grad._data, self.sources, self.in_shape))
        if grad_recording(grad):
            # create_graph: the backward is linear in grad, and its own backward is the interpolation again
            node = _UPSAMPLE_NODES[(self.mode, len(self.sources), True)]()
            node.forward = self.forward
            record(node, gx, grad)
        return (gx,)


class _UpsampleBackwardBackward(Node):
    # grad_output: upsample_*(grad, output_size, ...): the adjoint of the backward is the forward
    def apply(self, grad: Tensor) -> tuple:
        return (_resample(grad, *self.forward),)


_UPSAMPLE_NODES = {
    (mode, n, double): type(
        f"Upsample{mode}{n}DBackward{'Backward' if double else ''}0",
        (_UpsampleBackwardBackward if double else _UpsampleBackward,),
        {"__module__": __name__},
    )
    for mode, n in (
        *((m, n) for m in ("Nearest", "NearestExact") for n in (1, 2, 3)),
        ("Linear", 1),
        ("Bilinear", 2),
        ("Bicubic", 2),
        ("Trilinear", 3),
    )
    for double in (False, True)
}


def _spatial(value: Any, dim: int) -> list:
    return list(value) if isinstance(value, list | tuple) else [value] * dim


def _check_spatial_len(value: Any, dim: int, shape: list, what: str, got: str, want: str) -> None:
    """interpolate's check that a size or scale_factor list names one value per spatial dim (torch's message)."""
    if isinstance(value, list | tuple) and len(value) != dim:
        raise ValueError(
            f"Input and {what} must have the same number of spatial dimensions, but got input with spatial "
            f"dimensions of {shape} and {got} {value}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
            f"and {want} format."
        )


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W): modes 'nearest', 'nearest-exact' and
    'area' (any), 'linear' (3-D), 'bilinear' and 'bicubic' (4-D), 'trilinear' (5-D)."""
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
        _check_spatial_len(size, dim, shape, "output", "output size of", "output size in (o1, o2, ...,oK)")
        out_size, scales = [int(s) for s in _spatial(size, dim)], [None] * dim
    elif scale_factor is not None:
        _check_spatial_len(
            scale_factor, dim, shape, "scale_factor", "scale_factor of shape", "scale_factor in (s1, s2, ...,sK)"
        )
        scales = [float(s) for s in _spatial(scale_factor, dim)]
        out_size = [math.floor(n * s) for n, s in zip(shape, scales, strict=True)]  # C++'s cast of the double
        if recompute_scale_factor:
            scales = [None] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D tensor as input"
        )
    if mode == "lanczos" and input.ndim == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if antialias:
        # torch's _upsample_{mode}2d_aa.vec: the output size, and the scale factors when they gave it
        return antialiased_resample(input, out_size, bool(align_corners), tuple(scales), mode)
    linear = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    if linear is not None and dim != linear:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {linear + 2}D input")
    if mode not in _MODES.split(" | ") or dim not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the modes: {_MODES} "
            f"(got {mode})"
        )
    if mode == "area" and dim == 1:
        return adaptive_avg_pool1d(input, out_size)
    if mode == "area" and dim == 2:
        return adaptive_avg_pool2d(input, out_size)
    if mode == "area" and dim == 3:
        return adaptive_avg_pool3d(input, out_size)
    if mode == "lanczos":  # only 4-D inputs have it, through the antialias path above
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the modes: {_MODES} "
            f"(got {mode})"
        )
    if mode not in ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} on {input.ndim}-D input is not supported by the engine")
    return _upsample(input, out_size, scales, mode, bool(align_corners))


def _upsample(input: Tensor, out_size: list, scales: list, mode: str, align_corners: bool) -> Tensor:
    a = input._data
    dt = a.dtype
    sources = []
    for k, (n, o, s) in enumerate(zip(a.shape[2:], out_size, scales, strict=True)):
        if mode.startswith("nearest"):
            # torch's kernel choice (_use_vectorized_kernel_cond_2d for NCHW inputs; contiguous NCDHW inputs
            # always take the generic kernel, _use_vectorized_kernel_cond_3d being for channels-last only)
            generic = len(out_size) != 2 or sum(out_size) > 128
            pick = _nearest_source(n, o, s, mode == "nearest-exact", generic, dt)
        elif mode == "bicubic":
            pick = _cubic_source(n, o, s, align_corners, dt)
        else:
            pick = _linear_source(n, o, s, align_corners, dt)
        sources.append((2 + k, n, *pick))
    name = "NearestExact" if mode == "nearest-exact" else mode.capitalize()
    # torch's nearest backward always picks sources the small-output way (float32 scales)
    back = [
        (_nearest_source(n, o, s, mode == "nearest-exact", False, dt) if mode.startswith("nearest") else (i, w))
        for (_, n, i, w), o, s in zip(sources, out_size, scales, strict=True)
    ]
    back = [(i if isinstance(i, tuple) else (i,), w) for i, w in back]
    return _resample(input, sources, back, name)


def _resample(input: Tensor, sources: list, back: list, name: str) -> Tensor:
    """Interpolate ``input`` along its spatial dims from ``sources`` and record the node, whose backward
    scatters by ``back``."""
    a = input._data
    res = a
    # torch's kernels interpolate along the last dim first, then combine rows
    for axis, _, idx, w in reversed(sources):
        res = _along(res, axis, idx, w)
    out = Tensor._make(np.ascontiguousarray(res, dtype=a.dtype))
    if grad_recording(input):
        node = _UPSAMPLE_NODES[(name, len(sources), False)]()
        node.sources, node.in_shape, node.mode = back, a.shape, name
        node.forward = (sources, back, name)
        record(node, out, input)
    return out


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """The deprecated alias of interpolate(mode='nearest'), with torch's warning."""
    # torch warns with the default UserWarning category (its comment: DeprecationWarning is ignored by default)
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """The deprecated alias of interpolate(mode='bilinear', align_corners=True), with torch's warning."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --------------------------------------------------------------------------- pixel_shuffle
class PixelShuffleBackward0(Node):
    # self: pixel_unshuffle(grad, upscale_factor)
    def apply(self, grad: Tensor) -> tuple:
        return (pixel_unshuffle(grad, self._saved_upscale_factor),)


class PixelUnshuffleBackward0(Node):
    # self: pixel_shuffle(grad, downscale_factor)
    def apply(self, grad: Tensor) -> tuple:
        return (pixel_shuffle(grad, self._saved_downscale_factor),)


def _shuffled(input: Tensor, r: int, up: bool) -> Tensor:
    """pixel_shuffle (``up``) or pixel_unshuffle by ``r``, with its node (which saves ``r`` under torch's name)."""
    out = Tensor._make(_shuffled_array(input._data, r, up))
    if grad_recording(input):
        node = PixelShuffleBackward0() if up else PixelUnshuffleBackward0()
        setattr(node, "_saved_upscale_factor" if up else "_saved_downscale_factor", r)
        record(node, out, input)
    return out


def _shuffled_array(a: Any, r: int, up: bool) -> Any:
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


def _check_shuffle(input: Tensor, name: str) -> None:
    if input.ndim < 3:
        raise RuntimeError(
            f"{name} expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)"
        )


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
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
    return _shuffled(input, r, up=True)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
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
    return _shuffled(input, r, up=False)


# --------------------------------------------------------------------------- channel_shuffle
class ChannelShuffleBackward0(Node):
    # self: channel_shuffle_symint(grad, grad.sym_size(-3) / groups): shuffling by C / groups undoes the shuffle
    def apply(self, grad: Tensor) -> tuple:
        return (channel_shuffle(grad, grad.shape[1] // self.groups),)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with its channels, seen as a (groups, C / groups) grid, transposed."""
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    a = input._data
    res = a.reshape(a.shape[0], groups, c // groups, *a.shape[2:]).swapaxes(1, 2).reshape(a.shape)
    out = Tensor._make(np.ascontiguousarray(res))
    if grad_recording(input):
        node = ChannelShuffleBackward0()
        node.groups = groups
        record(node, out, input)
    return out


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)
