"""Antialiased resampling: _upsample_bilinear2d_aa, _upsample_bicubic2d_aa and _upsample_lanczos2d_aa
(interpolate(..., antialias=True)).

As torch's CPU kernel (UpSampleKernel.cpp, ``_compute_indices_min_size_weights_aa``): each output pixel reads
the inputs within ``support`` of its centre ``scale * (i + 0.5)``, where the support is the filter's half width
(1 for the triangle, 2 for the cubic with a = -0.5, 3 for Lanczos-3), stretched by the scale when downsampling; the weights
are the filter at the distances (shrunk by the scale), normalised to sum 1, computed in the tensor's dtype
with the kernel's own float/double promotions. The two dims are resampled separately, the width first, each
output a running sum of its taps (fused multiply-adds, as the kernel is compiled). The backward adds every
output grad, times the product of its two weights, into the inputs it read, output after output.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._backend import array_module
from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...tensor import Tensor


def _fma(a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once (float32 through float64, where the product is exact)."""
    if a.dtype.itemsize <= 4:
        return (a.astype(np.float64) * np.float64(b) + c.astype(np.float64)).astype(a.dtype)
    return a * b + c


def _triangle(x: Any) -> Any:
    x = -x if x < 0 else x
    return 1 - x if x < 1 else type(x)(0)


def _cubic(x: Any) -> Any:
    """Keys' cubic with a = -0.5 (the antialiasing kernel's, not interpolate's -0.75)."""
    a = type(x)(-0.5)
    x = -x if x < 0 else x
    if x < 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return type(x)(0)


def _sinc(x: Any) -> Any:
    """sin(pi x) / (pi x) in the argument's own precision (1 at 0)."""
    if x == 0:
        return type(x)(1)
    x = x * type(x)(math.pi)
    return np.sin(x) / x


def _lanczos(x: Any) -> Any:
    """The Lanczos-3 window, sinc(x) * sinc(x / 3) for |x| < 3; as the kernel's template deduces it, the second
    factor is evaluated in double (``x / 3.0``) and the product rounded back to the dtype."""
    dt = type(x)
    x = -x if x < 0 else x
    if x < 3:
        return dt(float(_sinc(x)) * float(_sinc(np.float64(x) / 3.0)))
    return dt(0)


_FILTERS = {"bilinear": (2, _triangle), "bicubic": (4, _cubic), "lanczos": (6, _lanczos)}


def _scale(size: int, out: int, align_corners: bool, scale: float | None, dt: Any) -> Any:
    """area_pixel_compute_scale in the dtype: input per output pixel."""
    if align_corners:
        return dt(size - 1) / dt(out - 1) if out > 1 else dt(0)
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(size) / dt(out) if out > 0 else dt(0)


def _axis(size: int, out: int, scale: Any, mode: str, dt: Any) -> tuple[list[int], list[list[Any]]]:
    """(first input, weights) of each output along one dim, as _compute_indices_min_size_weights_aa."""
    interp, filt = _FILTERS[mode]
    big = scale >= 1.0
    support = dt((interp * 0.5) * float(scale)) if big else dt(interp * 0.5)
    widest = math.ceil(float(support)) * 2 + 1
    invscale = dt(1.0 / float(scale)) if big else dt(1.0)
    starts, weights = [], []
    for i in range(out):
        center = dt(float(scale) * (i + 0.5))
        lo = max(int(float(center - support) + 0.5), 0)
        count = min(int(float(center + support) + 0.5), size) - lo
        count = min(max(count, 0), widest)
        w = [filt(dt((float(dt(j + lo - center)) + 0.5) * float(invscale))) for j in range(count)]
        total = dt(0)
        for v in w:
            total = dt(total + v)
        if total != 0:
            w = [dt(v / total) for v in w]
        starts.append(lo)
        weights.append(w)
    return starts, weights


def _resample_axis(a: Any, axis: int, starts: list[int], weights: list[list[Any]]) -> Any:
    """One dim resampled: output ``i`` is the running fused sum of its taps."""
    xp_ = array_module(a)
    moved = xp_.moveaxis(a, axis, -1)
    cols = []
    for lo, w in zip(starts, weights, strict=True):
        if not w:
            cols.append(xp_.zeros(moved.shape[:-1], dtype=a.dtype))
            continue
        t = moved[..., lo] * w[0]
        for j in range(1, len(w)):
            t = _fma(moved[..., lo + j], w[j], t)
        cols.append(t)
    return xp_.moveaxis(xp_.stack(cols, axis=-1), -1, axis)


def _geometry(shape: tuple, out: tuple, align_corners: bool, scales: tuple, mode: str, dt: Any) -> tuple:
    return tuple(
        _axis(n, o, _scale(n, o, align_corners, s, dt), mode, dt)
        for n, o, s in zip(shape[2:], out, scales, strict=True)
    )


def _forward(a: Any, out: tuple, align_corners: bool, scales: tuple, mode: str) -> Any:
    (hs, hw), (ws, ww) = _geometry(a.shape, out, align_corners, scales, mode, a.dtype.type)
    res = a
    if a.shape[3] != out[1]:
        res = _resample_axis(res, 3, ws, ww)
    if a.shape[2] != out[0]:
        res = _resample_axis(res, 2, hs, hw)
    return array_module(a).ascontiguousarray(res)


def _backward(g: Any, in_shape: tuple, align_corners: bool, scales: tuple, mode: str) -> Any:
    """_upsample_*2d_aa_backward: each output grad, times its two weights' product, added to its inputs."""
    xp_ = array_module(g)
    n, c, h, w = in_shape
    oh, ow = g.shape[2:]
    (hs, hw), (ws, ww) = _geometry(in_shape, (oh, ow), align_corners, scales, mode, g.dtype.type)
    targets, factors, sources = [], [], []
    for i in range(oh):
        for j in range(ow):
            for y, wy in enumerate(hw[i]):
                for x, wx in enumerate(ww[j]):
                    targets.append((hs[i] + y) * w + ws[j] + x)
                    factors.append(wy * wx)
                    sources.append(i * ow + j)
    gin = xp_.zeros((n * c, h * w), dtype=g.dtype)
    if targets:
        gflat = g.reshape(n * c, oh * ow)
        vals = gflat[:, xp_.asarray(sources)] * xp_.asarray(factors, dtype=g.dtype)
        rows = xp_.broadcast_to(xp_.arange(n * c)[:, None], vals.shape)
        xp_.add.at(gin, (rows, xp_.broadcast_to(xp_.asarray(targets), vals.shape)), vals)
    return gin.reshape(in_shape)


class _AaBackward(Node):
    """derivatives.yaml: ``self: _upsample_*2d_aa_backward_symint(grad, output_size, self.sym_sizes(),
    align_corners, scales_h, scales_w)``."""

    double_node: type[Node]

    def apply(self, grad: Tensor) -> tuple:
        gin = Tensor._make(_backward(grad._data, self.in_shape, self.align, self.scales, self.mode))
        if grad_recording(grad):  # create_graph: linear in grad, its own backward the resampling again
            node = self.double_node()
            node.out, node.align, node.scales, node.mode = self.out, self.align, self.scales, self.mode
            record(node, gin, grad)
        return (gin,)


class _AaBackwardBackward(Node):
    """derivatives.yaml: ``grad_output: _upsample_*2d_aa_symint(grad, output_size, align_corners, scales_h,
    scales_w)``."""

    def apply(self, grad: Tensor) -> tuple:
        return (_resample(grad, self.out, self.align, self.scales, self.mode),)


class UpsampleBilinear2DAaBackwardBackward0(_AaBackwardBackward):
    """The double backward of _upsample_bilinear2d_aa."""


class UpsampleBicubic2DAaBackwardBackward0(_AaBackwardBackward):
    """The double backward of _upsample_bicubic2d_aa."""


class UpsampleLanczos2DAaBackwardBackward0(_AaBackwardBackward):
    """The double backward of _upsample_lanczos2d_aa."""


class UpsampleLanczos2DAaBackward0(_AaBackward):
    """The backward of _upsample_lanczos2d_aa."""

    double_node = UpsampleLanczos2DAaBackwardBackward0


class UpsampleBilinear2DAaBackward0(_AaBackward):
    """The backward of _upsample_bilinear2d_aa."""

    double_node = UpsampleBilinear2DAaBackwardBackward0


class UpsampleBicubic2DAaBackward0(_AaBackward):
    """The backward of _upsample_bicubic2d_aa."""

    double_node = UpsampleBicubic2DAaBackwardBackward0


_NODES = {
    "bilinear": UpsampleBilinear2DAaBackward0,
    "bicubic": UpsampleBicubic2DAaBackward0,
    "lanczos": UpsampleLanczos2DAaBackward0,
}


def _resample(input: Tensor, out: tuple, align: bool, scales: tuple, mode: str) -> Tensor:
    result = Tensor._make(_forward(input._data, out, align, scales, mode))
    if grad_recording(input):
        node = _NODES[mode]()
        node.in_shape, node.out, node.align, node.scales, node.mode = input._data.shape, out, align, scales, mode
        record(node, result, input)
    return result


def _output_size(input: Tensor, output_size: Any, scale_factors: Any) -> tuple[tuple[int, int], tuple]:
    """The ``.vec`` overload's output size (from the scale factors when no size is given) and the scales."""
    if output_size is not None:
        return tuple(int(s) for s in output_size), tuple(scale_factors) if scale_factors is not None else (None, None)
    factors = [float(s) for s in scale_factors]
    return tuple(int(n * s) for n, s in zip(input.shape[2:], factors, strict=True)), tuple(factors)


def antialiased_resample(input: Tensor, output_size: Any, align_corners: bool, scales: tuple, mode: str) -> Tensor:
    """``_upsample_{mode}2d_aa``: torch's checks, then the separable antialiased resampling."""
    if input.ndim != 4:
        raise RuntimeError(f"It is expected input_size equals to 4, but got size {input.ndim}")
    if len(output_size) != 2:
        raise RuntimeError(f"It is expected output_size equals to 2, but got size {len(output_size)}")
    h, w = input.shape[2:]
    oh, ow = output_size
    if min(h, w, oh, ow) <= 0:
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input (H: {h}, W: {w}) output (H: {oh}, W: {ow})"
        )
    return _resample(input, (int(oh), int(ow)), bool(align_corners), tuple(scales), mode)


def _overloads(input: Tensor, output_size: Any, align_corners: bool, scales_h: Any, scales_w: Any,
               scale_factors: Any, mode: str) -> Tensor:  # fmt: skip
    """The default overload (a size and per-dim scales) or ``.vec`` (a size or scale factors, a list in the
    fourth place)."""
    if isinstance(scales_h, list | tuple) and scales_w is None:
        scale_factors, scales_h = scales_h, None
    if scale_factors is not None or output_size is None:
        out, scales = _output_size(input, output_size, scale_factors)
    else:
        out, scales = tuple(output_size), (scales_h, scales_w)
    return antialiased_resample(input, out, align_corners, scales, mode)


def upsample_bilinear2d_aa(
    input: Tensor,
    output_size: Any = None,
    align_corners: bool = False,
    scales_h: float | None = None,
    scales_w: float | None = None,
    *,
    scale_factors: Any = None,
) -> Tensor:
    """aten's _upsample_bilinear2d_aa: ``(input, output_size, align_corners, scales_h, scales_w)``, or the
    ``.vec`` overload ``(input, output_size, align_corners, scale_factors)``."""
    return _overloads(input, output_size, align_corners, scales_h, scales_w, scale_factors, "bilinear")


def upsample_bicubic2d_aa(
    input: Tensor,
    output_size: Any = None,
    align_corners: bool = False,
    scales_h: float | None = None,
    scales_w: float | None = None,
    *,
    scale_factors: Any = None,
) -> Tensor:
    """aten's _upsample_bicubic2d_aa, with the same two overloads."""
    return _overloads(input, output_size, align_corners, scales_h, scales_w, scale_factors, "bicubic")


def upsample_lanczos2d_aa(
    input: Tensor,
    output_size: Any = None,
    align_corners: bool = False,
    scales_h: float | None = None,
    scales_w: float | None = None,
    *,
    scale_factors: Any = None,
) -> Tensor:
    """aten's _upsample_lanczos2d_aa (the Lanczos-3 window, 6 taps), with the same two overloads."""
    return _overloads(input, output_size, align_corners, scales_h, scales_w, scale_factors, "lanczos")
