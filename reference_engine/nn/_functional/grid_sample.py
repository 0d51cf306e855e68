"""grid_sample: F.grid_sample, torch.grid_sampler, grid_sampler_2d and grid_sampler_3d (nodes GridSampler2DBackward0
and GridSampler3DBackward0, with their double backward).

The values follow torch's CPU kernels step for step, so float32 rounds where torch rounds:

- 2-d inputs go through ``GridSamplerKernel.cpp``'s vectorised kernel: the unnormalised coordinate is
  ``(g + 1) * (size - 1) / 2`` (align_corners) or ``(g + 1) * size / 2 - 0.5``, reflection folds with a
  truncated division by twice the span, bilinear weights are products of the distances to the four sides, and
  the backward adds each corner's share into the input grad lane by lane, a vector of output positions at a time.
- 3-d inputs go through ``GridSampler.cpp``'s scalar kernel: ``((g + 1) / 2) * (size - 1)`` or
  ``((g + 1) * size - 1) / 2``, reflection with ``fmod``, eight corner weights, and one output position at a time.

The double backward differentiates a composite of the engine's own ops that computes the same function: the
coordinate maps are piecewise linear (so each is its value plus its multiplier times the grid's change), the
corner indices are constants and the values are gathered from the input.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..._backend import array_module
from ...autograd import grad as autograd_grad
from ...autograd import grad_mode
from ...autograd.graph import Node
from ...ops._util import grad_recording, needs, record, record_with
from ...ops.inplace import scalar_type_name
from ...tensor import Tensor

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
BILINEAR, NEAREST, BICUBIC = 0, 1, 2
ZEROS, BORDER, REFLECTION = 0, 1, 2
_A = -0.75  # the cubic convolution's constant, as in UpSampleBicubic2d


def _fma(a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once. torch's vectorised CPU kernels are compiled with FMA contraction (GCC fuses
    the vector intrinsics' multiply-adds), so their float32 results are fused multiply-adds: the float64
    product of two float32 values is exact, and the sum is rounded to float32 from there. In float64 the
    product's rounding error (Dekker's split) is carried into the sum."""
    xp_ = array_module(a if hasattr(a, "dtype") else b)
    dt = (a if hasattr(a, "dtype") else b).dtype
    if dt.itemsize <= 4:
        wide = xp_.asarray(a, dtype=np.float64) * xp_.asarray(b, dtype=np.float64) + xp_.asarray(c, dtype=np.float64)
        return wide.astype(dt)
    a, b, c = (xp_.asarray(v, dtype=dt) for v in (a, b, c))
    p = a * b
    split = dt.type(134217729.0)  # 2**27 + 1
    ah = a * split
    ah = ah - (ah - a)
    al = a - ah
    bh = b * split
    bh = bh - (bh - b)
    bl = b - bh
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    z = s - p
    t = (p - (s - z)) + (c - z)
    return s + (t + err)


def _lanes(dt: Any) -> int:
    """Output positions the vectorised 2-d kernel handles at a time (one 256-bit register of the dtype, as
    torch's float32 results show on an AVX-512 machine too): the backward adds into the input grad a vector of
    positions at a time, corner after corner."""
    return max(1, 32 // np.dtype(dt).itemsize)


def _sizes(shape: Any) -> str:
    return ", ".join(str(s) for s in shape)


# --------------------------------------------------------------------------- checks
def _check_common(input: Tensor, grid: Tensor) -> None:
    """check_grid_sampler_common (GridSamplerUtils.h)."""
    if input.device != grid.device:
        raise RuntimeError(
            "grid_sampler(): expected input and grid to be on same device, but input is on "
            f"{input.device} and grid is on {grid.device}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
            f"[{_sizes(input.shape)}] and grid with sizes [{_sizes(grid.shape)}]"
        )
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got grid with "
            f"sizes [{_sizes(grid.shape)}]"
        )
    for i in range(2, input.ndim):
        if input.shape[i] <= 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes "
                f"[{_sizes(input.shape)}] with dimension {i} being empty"
            )


def _check_dims(input: Tensor, grid: Tensor, nd: int, mode: int) -> None:
    if input.ndim != nd + 2 or grid.ndim != input.ndim:
        raise RuntimeError(
            f"grid_sampler(): expected {nd + 2}D input and grid with same number of dimensions, but got input "
            f"with sizes [{_sizes(input.shape)}] and grid with sizes [{_sizes(grid.shape)}]"
        )
    if nd == 3 and mode == BICUBIC:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _check_dtypes(input: Tensor, grid: Tensor, name: str) -> None:
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}\" not implemented for '{scalar_type_name(input.dtype)}'")
    if grid.dtype != input.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(input.dtype)} but found {scalar_type_name(grid.dtype)}"
        )


# --------------------------------------------------------------------------- 2-d coordinates (vectorised kernel)
def _vec_location(g: Any, size: int, padding: int, align: bool, with_grad: bool) -> tuple[Any, Any]:
    """ComputeLocation<padding, align_corners>::apply / apply_get_grad: the source coordinate and its multiplier."""
    dt = g.dtype.type
    xp_ = array_module(g)
    scale = dt(size - 1) / dt(2) if align else dt(size) / dt(2)
    x = (g + dt(1)) * scale if align else _fma(g + dt(1), scale, dt(-0.5))
    mult = xp_.full_like(x, scale)
    if padding == REFLECTION:
        if align and size <= 1:
            x, mult = xp_.zeros_like(x), xp_.zeros_like(x)
        else:
            low = dt(0) if align else dt(-0.5)
            twice = dt(size - 1) * dt(2) if align else dt(size) * dt(2)
            shifted = x - low
            flat = xp_.abs(shifted)
            extra = _fma(-xp_.trunc(flat / twice), twice, flat)
            reflected = twice - extra
            flip = extra > reflected
            x = xp_.where(flip, reflected, extra) + low
            mult = mult * xp_.where(flip ^ (shifted < 0), dt(-1), dt(1))
    if padding in (BORDER, REFLECTION):
        hi = dt(size - 1)
        if with_grad:
            lo = xp_.maximum(x, dt(0))
            x = xp_.minimum(lo, hi)
            mult = xp_.where((lo != 0) & (x != hi), mult, dt(0))
        else:
            x = xp_.fmin(hi, xp_.fmax(x, dt(0)))  # a NaN clamps to zero, as the kernel's operand order does
    return x, mult


def _vec_compute_coordinates(x: Any, size: int, padding: int, align: bool) -> Any:
    """ComputeLocation::compute_coordinates: bicubic's tap positions, reflected and clipped (no unnormalising)."""
    if padding == ZEROS:
        return x
    dt = x.dtype.type
    xp_ = array_module(x)
    if padding == REFLECTION:
        if align and size <= 1:
            return xp_.zeros_like(x)
        low = dt(0) if align else dt(-0.5)
        twice = dt(size - 1) * dt(2) if align else dt(size) * dt(2)
        flat = xp_.abs(x - low)
        extra = _fma(-xp_.trunc(flat / twice), twice, flat)
        x = xp_.minimum(extra, twice - extra) + low
    return xp_.fmin(dt(size - 1), xp_.fmax(x, dt(0)))


# --------------------------------------------------------------------------- 3-d coordinates (scalar kernel)
def _scalar_location(g: Any, size: int, padding: int, align: bool) -> tuple[Any, Any]:
    """grid_sampler_compute_source_index_set_grad (GridSampler.h): the coordinate and its multiplier."""
    dt = g.dtype.type
    xp_ = array_module(g)
    if align:
        x = ((g + dt(1)) / dt(2)) * dt(size - 1)
        mult = xp_.full_like(x, dt(size - 1) / dt(2))
    else:
        x = ((g + dt(1)) * dt(size) - dt(1)) / dt(2)
        mult = xp_.full_like(x, dt(size) / dt(2))
    if padding == REFLECTION:
        lo2, hi2 = (0, 2 * (size - 1)) if align else (-1, 2 * size - 1)
        if lo2 == hi2:
            x, mult = xp_.zeros_like(x), xp_.zeros_like(x)
        else:
            low, span = dt(lo2) / dt(2), dt(hi2 - lo2) / dt(2)
            shifted = x - low
            flat = xp_.abs(shifted)
            extra = xp_.fmod(flat, span)
            odd = xp_.floor(flat / span) % 2 == 1
            x = xp_.where(odd, span - extra + low, extra + low)
            sign = xp_.where(shifted < 0, dt(-1), dt(1))
            mult = mult * xp_.where(odd, -sign, sign)
    if padding in (BORDER, REFLECTION):
        hi = dt(size - 1)
        inside = (x > 0) & (x < hi)
        x = xp_.where(x <= 0, dt(0), xp_.where(x >= hi, hi, x))
        mult = mult * inside.astype(x.dtype)
    return x, mult


# --------------------------------------------------------------------------- geometry shared by both kernels
def _as_int(v: Any) -> Any:
    """A float coordinate as an index (a NaN or a huge value becomes an index no input has)."""
    xp_ = array_module(v)
    return xp_.where(xp_.isfinite(v), xp_.clip(v, -(2**40), 2**40), -(2**40)).astype(np.int64)


class _Taps:
    """Flat input offsets and in-bounds masks of taps at integer positions (one per spatial dim, last = x)."""

    def __init__(self, sizes: tuple[int, ...], coords: list[Any]) -> None:
        mask = None
        flat = None
        for size, c in zip(sizes, coords, strict=True):
            inside = (c >= 0) & (c < size)
            mask = inside if mask is None else mask & inside
            cc = array_module(c).clip(c, 0, size - 1)
            flat = cc if flat is None else flat * size + cc
        self.mask, self.flat = mask, flat

    def gather(self, inp: Any) -> Any:
        """Values (N, C, P) of ``inp`` (N, C, S) at the taps (N, P), zero out of bounds."""
        xp_ = array_module(inp)
        vals = xp_.take_along_axis(inp, self.flat[:, None, :], axis=2)
        return xp_.where(self.mask[:, None, :], vals, inp.dtype.type(0))


def _scatter(xp_: Any, gin: Any, taps: list[_Taps], shares: list[Any], lanes: int) -> None:
    """Add each tap's share (N, C, P) into ``gin`` (N, C, S) in torch's order: per (n, c) plane, blocks of
    ``lanes`` positions, each block tap by tap, each tap lane by lane (``lanes`` 1: position by position)."""
    n, c, s = gin.shape
    p = shares[0].shape[2]
    k = len(taps)
    blocks = -(-p // lanes) if p else 0
    pad = blocks * lanes - p
    idx = xp_.stack([t.flat for t in taps], axis=1)  # (N, K, P)
    ok = xp_.stack([t.mask for t in taps], axis=1)
    val = xp_.stack(shares, axis=2)  # (N, C, K, P)
    if pad:
        idx = xp_.pad(idx, ((0, 0), (0, 0), (0, pad)))
        ok = xp_.pad(ok, ((0, 0), (0, 0), (0, pad)))
        val = xp_.pad(val, ((0, 0), (0, 0), (0, 0), (0, pad)))
    # (N, K, blocks, lanes) -> (N, blocks, K, lanes)
    idx = idx.reshape(n, k, blocks, lanes).transpose(0, 2, 1, 3)
    ok = ok.reshape(n, k, blocks, lanes).transpose(0, 2, 1, 3)
    val = val.reshape(n, c, k, blocks, lanes).transpose(0, 1, 3, 2, 4)
    plane = (xp_.arange(n)[:, None] * c + xp_.arange(c)[None, :]) * s  # (N, C)
    target = plane[:, :, None, None, None] + idx[:, None]
    keep = xp_.broadcast_to(ok[:, None], target.shape)
    xp_.add.at(gin.reshape(-1), target[keep], val[keep])


# --------------------------------------------------------------------------- the 2-d kernel
def _cubic(t: Any) -> list[Any]:
    """The vectorised kernel's get_cubic_coefficients of the fraction ``t``."""
    dt = t.dtype.type
    a = dt(_A)
    x = t + dt(1)
    c0 = ((a * x - dt(5) * a) * x + dt(8) * a) * x - dt(4) * a
    c1 = ((a + dt(2)) * t - (a + dt(3))) * t * t + dt(1)
    x = dt(1) - t
    c2 = ((a + dt(2)) * x - (a + dt(3))) * x * x + dt(1)
    x = dt(2) - t
    c3 = ((a * x - dt(5) * a) * x + dt(8) * a) * x - dt(4) * a
    return [c0, c1, c2, c3]


def _cubic_grad(t: Any) -> list[Any]:
    """get_cubic_coefficients_grad of the fraction ``t``."""
    dt = t.dtype.type
    a = dt(_A)
    x = dt(-1) - t
    c0 = (dt(-3) * a * x - dt(10) * a) * x - dt(8) * a
    x = dt(0) - t
    c1 = (dt(-3) * (a + dt(2)) * x - dt(2) * (a + dt(3))) * x
    x = dt(1) - t
    c2 = (dt(3) * (a + dt(2)) * x - dt(2) * (a + dt(3))) * x
    x = dt(2) - t
    c3 = (dt(3) * a * x - dt(10) * a) * x + dt(8) * a
    return [c0, c1, c2, c3]


def _bilinear_taps_2d(x: Any, y: Any, h: int, w: int, padding: int) -> tuple[list[_Taps], list[Any], tuple]:
    """compute_interp_params: the four corners (nw, ne, sw, se), their weights and the side distances."""
    dt = x.dtype.type
    xp_ = array_module(x)
    x_w, y_n = xp_.floor(x), xp_.floor(y)
    we = x - x_w
    ea = dt(1) - we
    no = y - y_n
    so = dt(1) - no
    ix, iy = _as_int(x_w), _as_int(y_n)
    taps = [_Taps((h, w), [iy + dy, ix + dx]) for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1))]
    if padding != ZEROS:  # border / reflection coordinates are in range: only the east and south sides can fall off
        taps[0].mask = xp_.ones_like(taps[0].mask)
    weights = [so * ea, so * we, no * ea, no * we]
    return taps, weights, (no, so, we, ea)


def _forward_2d(inp: Any, grid: Any, mode: int, padding: int, align: bool) -> Any:
    n, c, h, w = inp.shape
    p = grid.shape[1] * grid.shape[2]
    xp_ = array_module(inp)
    flat = inp.reshape(n, c, h * w)
    gx, gy = grid[..., 0].reshape(n, p), grid[..., 1].reshape(n, p)
    if mode == BICUBIC:
        x, _ = _vec_location(gx, w, ZEROS, align, False)
        y, _ = _vec_location(gy, h, ZEROS, align, False)
        fx, fy = xp_.floor(x), xp_.floor(y)
        cx, cy = _cubic(x - fx), _cubic(y - fy)
        rows = []
        for i in range(4):
            yy = _as_int(_vec_compute_coordinates(fy + (i - 1), h, padding, align))
            vals = [_Taps((h, w), [yy, _as_int(_vec_compute_coordinates(fx + (j - 1), w, padding, align))]).gather(flat)
                    for j in range(4)]  # fmt: skip
            row = cx[0][:, None] * vals[0]
            for j in range(1, 4):
                row = row + cx[j][:, None] * vals[j]
            rows.append(row)
        out = cy[0][:, None] * rows[0]
        for i in range(1, 4):
            out = out + cy[i][:, None] * rows[i]
    else:
        x, _ = _vec_location(gx, w, padding, align, False)
        y, _ = _vec_location(gy, h, padding, align, False)
        if mode == NEAREST:
            out = _Taps((h, w), [_as_int(xp_.rint(y)), _as_int(xp_.rint(x))]).gather(flat)
        else:
            taps, weights, _ = _bilinear_taps_2d(x, y, h, w, padding)
            v = [t.gather(flat) for t in taps]
            out = v[0] * weights[0][:, None]
            for k in range(1, 4):
                out = _fma(v[k], weights[k][:, None], out)
    return out.reshape(n, c, *grid.shape[1:3])


def _backward_2d(g: Any, inp: Any, grid: Any, mode: int, padding: int, align: bool, want_in: bool) -> tuple:
    """grid_sampler_2d_backward_cpu_kernel: (input grad or None, grid grad)."""
    n, c, h, w = inp.shape
    p = grid.shape[1] * grid.shape[2]
    xp_ = array_module(inp)
    flat = inp.reshape(n, c, h * w)
    go = xp_.ascontiguousarray(g).reshape(n, c, p)
    gx0, gy0 = grid[..., 0].reshape(n, p), grid[..., 1].reshape(n, p)
    gin = xp_.zeros((n, c, h * w), dtype=inp.dtype) if want_in else None
    lanes = _lanes(inp.dtype)
    gx = xp_.zeros((n, p), dtype=inp.dtype)
    gy = xp_.zeros((n, p), dtype=inp.dtype)
    if mode == NEAREST:
        x, _ = _vec_location(gx0, w, padding, align, False)
        y, _ = _vec_location(gy0, h, padding, align, False)
        if want_in:
            _scatter(xp_, gin, [_Taps((h, w), [_as_int(xp_.rint(y)), _as_int(xp_.rint(x))])], [go], lanes)
    elif mode == BILINEAR:
        x, mx = _vec_location(gx0, w, padding, align, True)
        y, my = _vec_location(gy0, h, padding, align, True)
        taps, weights, (no, so, we, ea) = _bilinear_taps_2d(x, y, h, w, padding)
        if want_in:
            _scatter(xp_, gin, taps, [wt[:, None] * go for wt in weights], lanes)
        v = [t.gather(flat) for t in taps]
        for ci in range(c):
            gc = go[:, ci]
            # (a * s + b * n) * gOut added to gx: two fused multiply-adds around the inner product
            gx = _fma(_fma(v[3][:, ci] - v[2][:, ci], no, (v[1][:, ci] - v[0][:, ci]) * so), gc, gx)
            gy = _fma(_fma(v[3][:, ci] - v[1][:, ci], we, (v[2][:, ci] - v[0][:, ci]) * ea), gc, gy)
        gx, gy = gx * mx, gy * my
    else:
        x, mx = _vec_location(gx0, w, ZEROS, align, True)
        y, my = _vec_location(gy0, h, ZEROS, align, True)
        fx, fy = xp_.floor(x), xp_.floor(y)
        cx, cy = _cubic(x - fx), _cubic(y - fy)
        dx, dy = _cubic_grad(x - fx), _cubic_grad(y - fy)
        taps = [_Taps((h, w), [_as_int(_vec_compute_coordinates(fy + (j - 1), h, padding, align)),
                               _as_int(_vec_compute_coordinates(fx + (i - 1), w, padding, align))])
                for i in range(4) for j in range(4)]  # fmt: skip
        if want_in:
            _scatter(xp_, gin, taps, [go * cx[i][:, None] * cy[j][:, None] for i in range(4) for j in range(4)],
                     lanes)  # fmt: skip
        vals = [t.gather(flat) for t in taps]
        for ci in range(c):
            gc = go[:, ci]
            for i in range(4):
                for j in range(4):
                    val = vals[4 * i + j][:, ci]
                    gx = _fma(-(val * gc * dx[i]), cy[j], gx)
                    gy = _fma(-(val * gc * dy[j]), cx[i], gy)
        gx, gy = gx * mx, gy * my
    ggrid = xp_.stack([gx, gy], axis=-1).reshape(grid.shape)
    return (None if gin is None else gin.reshape(inp.shape)), ggrid


# --------------------------------------------------------------------------- the 3-d kernel
_CORNERS_3D = [(z, y, x) for z in (0, 1) for y in (0, 1) for x in (0, 1)]  # tnw, tne, tsw, tse, bnw, bne, bsw, bse


def _trilinear(x: Any, y: Any, z: Any, sizes: tuple) -> tuple[list[_Taps], list[Any], tuple]:
    xp_ = array_module(x)
    x0, y0, z0 = xp_.floor(x), xp_.floor(y), xp_.floor(z)
    ix, iy, iz = _as_int(x0), _as_int(y0), _as_int(z0)
    dt = x.dtype.type
    # distances to the low (0) and high (1) side, as the kernel forms them: integer corner minus coordinate
    dist = {
        "x": ((x - x0), ((x0 + dt(1)) - x)),
        "y": ((y - y0), ((y0 + dt(1)) - y)),
        "z": ((z - z0), ((z0 + dt(1)) - z)),
    }
    taps, weights = [], []
    for bz, by, bx in _CORNERS_3D:
        taps.append(_Taps(sizes, [iz + bz, iy + by, ix + bx]))
        # a corner's weight is the product of the distances to the opposite sides
        weights.append(dist["x"][1 - bx] * dist["y"][1 - by] * dist["z"][1 - bz])
    return taps, weights, dist


def _forward_3d(inp: Any, grid: Any, mode: int, padding: int, align: bool) -> Any:
    n, c, d, h, w = inp.shape
    p = math.prod(grid.shape[1:4])
    xp_ = array_module(inp)
    flat = inp.reshape(n, c, d * h * w)
    x, _ = _scalar_location(grid[..., 0].reshape(n, p), w, padding, align)
    y, _ = _scalar_location(grid[..., 1].reshape(n, p), h, padding, align)
    z, _ = _scalar_location(grid[..., 2].reshape(n, p), d, padding, align)
    if mode == NEAREST:
        out = _Taps((d, h, w), [_as_int(xp_.rint(z)), _as_int(xp_.rint(y)), _as_int(xp_.rint(x))]).gather(flat)
    else:
        taps, weights, _ = _trilinear(x, y, z, (d, h, w))
        out = xp_.zeros((n, c, p), dtype=inp.dtype)
        for t, wt in zip(taps, weights, strict=True):
            out = out + xp_.where(t.mask[:, None], t.gather(flat) * wt[:, None], inp.dtype.type(0))
    return out.reshape(n, c, *grid.shape[1:4])


def _backward_3d(g: Any, inp: Any, grid: Any, mode: int, padding: int, align: bool, want_in: bool) -> tuple:
    """grid_sampler_3d_backward_cpu_impl: (input grad or None, grid grad)."""
    n, c, d, h, w = inp.shape
    p = math.prod(grid.shape[1:4])
    xp_ = array_module(inp)
    flat = inp.reshape(n, c, d * h * w)
    go = xp_.ascontiguousarray(g).reshape(n, c, p)
    x, mx = _scalar_location(grid[..., 0].reshape(n, p), w, padding, align)
    y, my = _scalar_location(grid[..., 1].reshape(n, p), h, padding, align)
    z, mz = _scalar_location(grid[..., 2].reshape(n, p), d, padding, align)
    gin = xp_.zeros((n, c, d * h * w), dtype=inp.dtype) if want_in else None
    if mode == NEAREST:
        if want_in:
            taps = [_Taps((d, h, w), [_as_int(xp_.rint(z)), _as_int(xp_.rint(y)), _as_int(xp_.rint(x))])]
            _scatter(xp_, gin, taps, [go], 1)
        ggrid = xp_.zeros(grid.shape, dtype=grid.dtype)
        return (None if gin is None else gin.reshape(inp.shape)), ggrid
    taps, weights, dist = _trilinear(x, y, z, (d, h, w))
    if want_in:
        _scatter(xp_, gin, taps, [wt[:, None] * go for wt in weights], 1)
    zero = inp.dtype.type(0)
    gix, giy, giz = (xp_.zeros((n, p), dtype=inp.dtype) for _ in range(3))
    vals = [t.gather(flat) for t in taps]
    for ci in range(c):
        gc = go[:, ci]
        for k, (bz, by, bx) in enumerate(_CORNERS_3D):
            m, v = taps[k].mask, vals[k][:, ci]
            # the weight's factors along each axis (distance to the opposite side), as in the corner's weight
            fx, fy, fz = dist["x"][1 - bx], dist["y"][1 - by], dist["z"][1 - bz]
            tx = xp_.where(m, v * fy * fz * gc, zero)
            ty = xp_.where(m, v * fx * fz * gc, zero)
            tz = xp_.where(m, v * fx * fy * gc, zero)
            gix = gix + tx if bx else gix - tx
            giy = giy + ty if by else giy - ty
            giz = giz + tz if bz else giz - tz
    ggrid = xp_.stack([mx * gix, my * giy, mz * giz], axis=-1).reshape(grid.shape)
    return (None if gin is None else gin.reshape(inp.shape)), ggrid


# --------------------------------------------------------------------------- the composite the double backward uses
def _location_tensor(g: Tensor, size: int, padding: int, align: bool, nd: int) -> Tensor:
    """The source coordinate as a function of the grid's coordinate ``g``: its value plus its multiplier times the
    change of ``g`` (the coordinate maps are piecewise linear, so this is exact where they are differentiable)."""
    a = g._data
    x, mult = _vec_location(a, size, padding, align, True) if nd == 2 else _scalar_location(a, size, padding, align)
    return Tensor._make(x) + Tensor._make(mult) * (g - Tensor._make(a))


def _gather_tensor(flat: Tensor, taps: _Taps) -> Tensor:
    """``flat`` (N, C, S) at the taps, zero out of bounds, through the engine's differentiable gather."""
    n, c, _ = flat.shape
    xp_ = array_module(taps.flat)
    index = Tensor._make(xp_.ascontiguousarray(xp_.broadcast_to(taps.flat[:, None, :], (n, c, taps.flat.shape[1]))))
    vals = flat.gather(2, index)
    return vals * Tensor._make(taps.mask[:, None, :].astype(flat._data.dtype))


def _composite(input: Tensor, grid: Tensor, mode: int, padding: int, align: bool) -> Tensor:
    """The grid sampler written with the engine's ops (value, not rounding, equal to the kernels), so that its
    second derivatives come from the engine's autograd."""
    nd = input.ndim - 2
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])
    out_shape = tuple(grid.shape[1:-1])
    p = math.prod(out_shape)
    flat = input.reshape(n, c, math.prod(sizes))
    coords = [grid[..., i].reshape(n, p) for i in range(nd)]  # x, y(, z)
    if mode == BICUBIC:
        xs = [_location_tensor(coords[i], sizes[nd - 1 - i], ZEROS, align, nd) for i in range(2)]
        x, y = xs
        fx, fy = array_module(x._data).floor(x._data), array_module(y._data).floor(y._data)
        tx, ty = x - Tensor._make(fx), y - Tensor._make(fy)
        cx, cy = _cubic_tensor(tx), _cubic_tensor(ty)
        h, w = sizes
        out = None
        for i in range(4):
            for j in range(4):
                taps = _Taps((h, w), [_as_int(_vec_compute_coordinates(fy + (j - 1), h, padding, align)),
                                      _as_int(_vec_compute_coordinates(fx + (i - 1), w, padding, align))])  # fmt: skip
                term = _gather_tensor(flat, taps) * (cx[i] * cy[j]).unsqueeze(1)
                out = term if out is None else out + term
        return out.reshape(n, c, *out_shape)
    locs = [_location_tensor(coords[i], sizes[nd - 1 - i], padding, align, nd) for i in range(nd)]
    rev = locs[::-1]  # (z,) y, x: the input's dim order
    if mode == NEAREST:
        xp_ = array_module(locs[0]._data)
        taps = _Taps(sizes, [_as_int(xp_.rint(t._data)) for t in rev])
        return _gather_tensor(flat, taps).reshape(n, c, *out_shape)
    floors = [array_module(t._data).floor(t._data) for t in rev]
    fracs = [t - Tensor._make(f) for t, f in zip(rev, floors, strict=True)]
    out = None
    for corner in np.ndindex(*([2] * nd)):
        taps = _Taps(sizes, [_as_int(f) + b for f, b in zip(floors, corner, strict=True)])
        weight = None
        for fr, b in zip(fracs, corner, strict=True):
            factor = fr if b else 1 - fr
            weight = factor if weight is None else weight * factor
        term = _gather_tensor(flat, taps) * weight.unsqueeze(1)
        out = term if out is None else out + term
    return out.reshape(n, c, *out_shape)


def _cubic_tensor(t: Tensor) -> list[Tensor]:
    """The cubic convolution coefficients of the fraction ``t`` (A = -0.75), as engine ops."""
    a = _A
    x = t + 1
    c0 = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    c1 = ((a + 2) * t - (a + 3)) * t * t + 1
    x = 1 - t
    c2 = ((a + 2) * x - (a + 3)) * x * x + 1
    x = 2 - t
    c3 = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [c0, c1, c2, c3]


# --------------------------------------------------------------------------- nodes
class _GridSamplerBackward(Node):
    """derivatives.yaml (``grid_sampler_2d`` / ``grid_sampler_3d``): ``input, grid: "grad.defined() ?
    grid_sampler_2d_backward(grad, input, grid, interpolation_mode, padding_mode, align_corners, grad_input_mask)
    : std::tuple<Tensor, Tensor>()"`` (3d likewise). The grid's grad is computed whenever either is asked for."""

    nd = 2
    double_node: type[Node]

    def apply(self, grad: Tensor) -> tuple:
        x, grid = self.saved("input"), self.saved("grid")
        kernel = _backward_2d if self.nd == 2 else _backward_3d
        gin, ggrid = kernel(grad._data, x._data, grid._data, self.mode, self.padding, self.align, needs(self, 0))
        grads = (None if gin is None else Tensor._make(gin), Tensor._make(ggrid) if needs(self, 1) else None)
        if grad_recording(grad, x, grid):  # create_graph: the grads are functions of grad, input and grid
            made = tuple(t for t in grads if t is not None)
            node = record_with(self.double_node(), made, grad, x, grid, which=tuple(t is not None for t in grads),
                               mode=self.mode, padding=self.padding, align=self.align)  # fmt: skip
            node.save("grad_output", grad)
            node.save("input", x)
            node.save("grid", grid)
        return grads


class _GridSamplerBackwardBackward(Node):
    """The double backward: the vector-Jacobian product of the first backward, taken through the engine's
    autograd of ``_composite`` (the sampler as engine ops) at the saved grad, input and grid."""

    materialize_grads = False  # which of the input grad and the grid grad had a grad decides what is defined

    def apply(self, *incoming: Tensor) -> tuple:
        it = iter(incoming)
        ggin, gggrid = (next(it) if made else None for made in self.which)
        # nearest sampling has no grid grad, so an incoming grid-grad grad reaches nothing
        if self.mode == NEAREST:
            gggrid = None
        if ggin is None and gggrid is None:
            return None, None, None
        g, x, grid = self.saved("grad_output"), self.saved("input"), self.saved("grid")
        keep = grad_mode.is_grad_enabled()
        with grad_mode.enable_grad():
            leaves = [t.detach().requires_grad_(True) for t in (g, x, grid)]
            g_, x_, grid_ = leaves
            out = _composite(x_, grid_, self.mode, self.padding, self.align)
            first = autograd_grad(out, (x_, grid_), g_, create_graph=True, allow_unused=True)
            total = None
            for v, d in zip(first, (ggin, gggrid), strict=True):
                if v is not None and d is not None:
                    term = (v * d).sum()
                    total = term if total is None else total + term
            res = autograd_grad(total, leaves, create_graph=keep, allow_unused=True)
        d_g, d_x, d_grid = (None if not needs(self, i) else r for i, r in enumerate(res))
        # torch's formula: the input's term exists only through the grid grad's grad; the others always
        zeros = array_module(g._data).zeros_like
        if d_g is None and needs(self, 0):
            d_g = Tensor._make(zeros(g._data))
        if gggrid is None:
            d_x = None
        elif d_x is None and needs(self, 1):
            d_x = Tensor._make(zeros(x._data))
        if d_grid is None and needs(self, 2):
            d_grid = Tensor._make(zeros(grid._data))
        return d_g, d_x, d_grid


class GridSampler2DBackwardBackward0(_GridSamplerBackwardBackward):
    """The double backward of grid_sampler_2d."""


class GridSampler3DBackwardBackward0(_GridSamplerBackwardBackward):
    """The double backward of grid_sampler_3d."""


class GridSampler2DBackward0(_GridSamplerBackward):
    """The backward of grid_sampler_2d (GridSamplerKernel.cpp's vectorised kernel)."""

    nd = 2
    double_node = GridSampler2DBackwardBackward0


class GridSampler3DBackward0(_GridSamplerBackward):
    """The backward of grid_sampler_3d (GridSampler.cpp's scalar kernel)."""

    nd = 3
    double_node = GridSampler3DBackwardBackward0


# --------------------------------------------------------------------------- public functions


def _sample(input: Tensor, grid: Tensor, mode: int, padding: int, align: bool, nd: int) -> Tensor:
    _check_common(input, grid)
    _check_dims(input, grid, nd, mode)
    _check_dtypes(input, grid, f"grid_sampler_{nd}d_cpu_kernel_impl" if nd == 2 else "grid_sampler_3d_cpu")
    inp, grd = input._data, grid._data
    xp_ = array_module(inp)
    if inp.shape[0] == 0 or math.prod(grd.shape[1:-1]) == 0 or inp.shape[1] == 0:
        out = xp_.zeros((inp.shape[0], inp.shape[1], *grd.shape[1:-1]), dtype=inp.dtype)
    else:
        out = (_forward_2d if nd == 2 else _forward_3d)(inp, grd, mode, padding, align)
    result = Tensor._make(xp_.ascontiguousarray(out))
    if grad_recording(input, grid):
        node = GridSampler2DBackward0() if nd == 2 else GridSampler3DBackward0()
        node.mode, node.padding, node.align = mode, padding, bool(align)
        record(node, result, input, grid)
        node.save("input", input)
        node.save("grid", grid)
    return result


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:  # fmt: skip
    """torch.grid_sampler_2d: ``input`` (N, C, H, W) sampled at ``grid`` (N, H_out, W_out, 2), integer modes
    (0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection)."""
    return _sample(input, grid, int(interpolation_mode), int(padding_mode), align_corners, 2)


def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:  # fmt: skip
    """torch.grid_sampler_3d: ``input`` (N, C, D, H, W) sampled at ``grid`` (N, D_out, H_out, W_out, 3)."""
    return _sample(input, grid, int(interpolation_mode), int(padding_mode), align_corners, 3)


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:  # fmt: skip
    """torch.grid_sampler: grid_sampler_2d for a 4-d input, grid_sampler_3d otherwise."""
    if input.ndim == 4:
        return grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners)
    return grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:  # fmt: skip
    """F.grid_sample: the mode and padding names checked, then torch.grid_sampler."""
    if mode not in _MODES:
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in _PADDINGS:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
            "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for "
            "details.",
            stacklevel=2,
        )
        align_corners = False
    return grid_sampler(input, grid, _MODES[mode], _PADDINGS[padding_mode], align_corners)
