"""The 3-d window pools: max_pool3d and avg_pool3d over (N, C, D, H, W) or (C, D, H, W).

Windows are a strided view of the padded input (padding -inf for max, clipped windows for avg, as torch's
CPU kernels count them); max_pool3d returns torch's flat D*H*W indices of each window's first maximum. The
checks and their order are ATen's (``pooling_output_shape`` per dim, then ``pool3d_shape_check``). Both
backwards run on arrays; under create_graph their double-backward nodes (torch's names) apply the pooling's
linear map to the new gradient, as the 2-d pools do.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...tensor import Tensor
from .pooling import _out_size, _pool_grad, _PoolBackwardBackward, max3d_index_grad


def _triple(v: Any) -> tuple[int, int, int]:
    if isinstance(v, int):
        return (v, v, v)
    t = tuple(int(e) for e in v)
    return (t[0],) * 3 if len(t) == 1 else (t[0], t[1], t[2])


def _geometry(
    input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool, name: str
) -> tuple:
    """(k, s, p, d, out) with ATen's checks, in its order."""
    k = _triple(kernel_size)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _triple(stride)
    p, d = _triple(padding), _triple(dilation)
    if input.ndim < 3:
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    for a in range(3):
        if p[a] < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p[a]}")
        if p[a] > (d[a] * (k[a] - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p[a]}, kernel_size={k[a]} and "
                f"dilation={d[a]}"
            )
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    for i in range(1 if input.ndim == 5 else 0, input.ndim):
        if input.shape[i] == 0:
            # torch prints the dimension's length (0) where it means its index
            raise RuntimeError(
                f"{name}(): Expected input's non-batch dimensions to have positive length, but input has a shape of "
                f"{list(input.shape)} and non-batch dimension 0 has length zero!"
            )
    size = input.shape[-3:]
    out = tuple(_out_size(size[a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(3))
    if name == "avg_pool3d" and (size[0] < k[0] or size[1] < k[1] or size[2] < k[2]):
        raise RuntimeError(
            f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than kernel size (kT: {k[0]} kH: {k[1]} "
            f"kW: {k[2]})"
        )
    if min(out) < 1:
        c = input.shape[-4]
        raise RuntimeError(
            f"Given input size: ({c}x{size[0]}x{size[1]}x{size[2]}). Calculated output size: "
            f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small"
        )
    return k, s, p, d, out


def _padded_windows(x: Any, geom: tuple, fill: float) -> Any:
    """(N, C, OD, OH, OW, KD, KH, KW) view of every window of ``x`` padded by ``p`` (and on the right as far
    as the last ceil_mode window reaches) with ``fill``."""
    k, s, p, d, out = geom
    right = [max((out[a] - 1) * s[a] + d[a] * (k[a] - 1) + 1 - x.shape[2 + a] - p[a], 0) for a in range(3)]
    xpad = np.pad(x, ((0, 0), (0, 0), *((p[a], right[a]) for a in range(3))), constant_values=fill)
    st = xpad.strides
    shape = (*xpad.shape[:2], *out, *k)
    strides = (st[0], st[1], *(st[2 + a] * s[a] for a in range(3)), *(st[2 + a] * d[a] for a in range(3)))
    return np.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides, writeable=False)


def _window_origins(geom: tuple) -> list[Any]:
    """Per spatial dim, the input position of each (output, kernel offset) pair, shape (O, K)."""
    k, s, p, d, out = geom
    return [np.arange(out[a])[:, None] * s[a] - p[a] + np.arange(k[a])[None, :] * d[a] for a in range(3)]


# --------------------------------------------------------------------------- max_pool3d
class MaxPool3DWithIndicesBackwardBackward0(_PoolBackwardBackward):
    # max_pool3d_with_indices_backward: grad_output: max_pool_double_backward(grad, indices, 3)
    pass


class MaxPool3DWithIndicesBackward0(Node):
    # self: max_pool3d_with_indices_backward(grad, self, kernel_size, stride, padding, dilation, ceil_mode,
    #       result1): each output grad goes to the input element its window's (first) maximum came from
    def apply(self, grad: Tensor) -> tuple:
        return (max3d_index_grad(self, grad, MaxPool3DWithIndicesBackwardBackward0),)


def max_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over each (KD, KH, KW) window, with torch's flat D*H*W index of the window's first maximum."""
    geom = _geometry(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d_with_indices_out_cpu_template"
    )
    k, _, _, _, out = geom
    a = input._data
    x = a if a.ndim == 5 else a[None]
    lowest = -math.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min  # padding never wins a window
    win = _padded_windows(x, geom, lowest).reshape(*x.shape[:2], *out, math.prod(k))
    arg = win.argmax(axis=-1)  # the first maximum (and the first NaN), as torch's kernel picks it
    res = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    od, oh, ow = _window_origins(geom)
    kd, rem = arg // (k[1] * k[2]), arg % (k[1] * k[2])
    kh, kw = rem // k[2], rem % k[2]
    dd = od[np.arange(out[0])[:, None, None], kd]
    hh = oh[np.arange(out[1])[None, :, None], kh]
    ww = ow[np.arange(out[2])[None, None, :], kw]
    size = x.shape[-3:]
    idx = ((dd * size[1] + hh) * size[2] + ww).astype(np.int64)
    if a.ndim == 4:
        res, idx = res[0], idx[0]
    result = Tensor._make(np.ascontiguousarray(res))
    if grad_recording(input):
        node = MaxPool3DWithIndicesBackward0()
        node.indices, node.plane = idx, math.prod(size)
        record(node, result, input)
        node.save("self", input)
    return (result, Tensor._make(idx)) if return_indices else result


def max_pool3d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# --------------------------------------------------------------------------- avg_pool3d
class AvgPool3DBackwardBackward0(_PoolBackwardBackward):
    # avg_pool3d_backward: grad_output: avg_pool3d(grad, kernel_size, stride, padding, ceil_mode, ...)
    pass


class AvgPool3DBackward0(Node):
    # self: avg_pool3d_backward(grad, self, kernel_size, stride, padding, ceil_mode, count_include_pad,
    #       divisor_override): each window element receives the window's grad / its divisor
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        g = grad._data
        batched = g if g.ndim == 5 else g[None]
        share = batched / self.divisors
        k, s, p, _, out = self.geom
        size = self.in_shape[-3:]
        full = [max(size[a] + p[a], (out[a] - 1) * s[a] + k[a]) + p[a] for a in range(3)]
        gpad = np.zeros((*batched.shape[:2], *full), dtype=g.dtype)
        for i in range(k[0]):
            for j in range(k[1]):
                for m in range(k[2]):
                    gpad[
                        :,
                        :,
                        i : i + s[0] * (out[0] - 1) + 1 : s[0],
                        j : j + s[1] * (out[1] - 1) + 1 : s[1],
                        m : m + s[2] * (out[2] - 1) + 1 : s[2],
                    ] += share
        gin = gpad[:, :, p[0] : p[0] + size[0], p[1] : p[1] + size[1], p[2] : p[2] + size[2]]
        gin = np.ascontiguousarray(gin if g.ndim == 5 else gin[0])
        return (_pool_grad(AvgPool3DBackwardBackward0, gin, grad, x, self.lin),)


def _avg_divisors(geom: tuple, size: tuple, count_include_pad: bool, divisor_override: Any, dtype: Any) -> Any:
    """(OD, OH, OW) divisors: torch's divide_factor (windows clipped to the padded input, and to the input
    itself unless count_include_pad; divisor_override when given)."""
    k, s, p, _, out = geom
    if divisor_override:
        return np.full(out, divisor_override, dtype=dtype)
    counts = []
    for a in range(3):
        start = np.arange(out[a]) * s[a] - p[a]
        end = np.minimum(start + k[a], size[a] + p[a])
        pool = end - start
        inside = np.minimum(end, size[a]) - np.maximum(start, 0)
        counts.append(pool if count_include_pad else inside)
    return (counts[0][:, None, None] * counts[1][None, :, None] * counts[2][None, None, :]).astype(dtype)


def avg_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each (KD, KH, KW) window: the sum of its elements inside the input over torch's divisor."""
    geom = _geometry(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    a = input._data
    x = a if a.ndim == 5 else a[None]
    k, s, p, _, out = geom
    win = _padded_windows(x, geom, 0).reshape(*x.shape[:2], *out, math.prod(k))
    divisors = _avg_divisors(geom, x.shape[-3:], count_include_pad, divisor_override, x.dtype)
    res = (win.sum(axis=-1) / divisors).astype(x.dtype, copy=False)
    result = Tensor._make(np.ascontiguousarray(res if a.ndim == 5 else res[0]))
    if grad_recording(input):
        node = AvgPool3DBackward0()
        node.geom, node.divisors, node.in_shape = geom, divisors, x.shape
        node.lin = functools.partial(
            avg_pool3d,
            kernel_size=k,
            stride=s,
            padding=p,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
            divisor_override=divisor_override,
        )
        record(node, result, input)
        node.save("self", input)
    return result
