"""Pooling: max_pool2d, avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d and their 1-d forms.

Each 2-d forward takes a strided window view of the (padded) input and reduces
its last two axes, so there is no Python loop over pixels; each backward
scatters the output grad back with one strided add per kernel offset. The
backward works on arrays (no double backward through pooling), like the
convolution's.

The 1-d pools run as torch runs them: the 2-d op on a height-1 view (``unsqueeze(-2)``),
then ``squeeze(-2)``, so the graph is the 2-d node under a ``SqueezeBackward1``, as in torch.
Their argument checks are torch's 1-d ones (``check_max_pool1d``, ``checkDimRange``), which run before
the 2-d op and so decide the message.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ...autograd.graph import Node
from ...ops._util import grad_recording, needs, record, record_with
from ...tensor import Tensor


def _pair(v: Any, name: str = "") -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    t = tuple(int(e) for e in v)
    return (t[0], t[0]) if len(t) == 1 else (t[0], t[1])


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape: the last window must start inside the input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool(x: Tensor, k: tuple, s: tuple, p: tuple, d: tuple, out: tuple, max_pool: bool = False) -> None:
    if x.ndim not in (3, 4):
        raise RuntimeError(
            "non-empty 3D or 4D (batch mode) tensor expected for input, but got: "
            f"[{', '.join(str(v) for v in x.shape)}]"
        )
    for pi in p:
        if pi < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pi}")
    for ki, pi, di in zip(k, p, d, strict=True):
        if pi > (di * (ki - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pi}, kernel_size={ki} and "
                f"dilation={di}"
            )
    if max_pool and 0 in x.shape[x.ndim - 3 :]:  # only the batch may be empty
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
            f"[{', '.join(str(v) for v in x.shape)}]"
        )
    if out[0] < 1 or out[1] < 1:
        c, h, w = x.shape[-3:]
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
            "Output size is too small"
        )


def _padded(xp: Any, x: Any, p: tuple, out: tuple, k: tuple, s: tuple, d: tuple, fill: float) -> Any:
    """``x`` padded by ``p`` on the left and as far as the last (ceil_mode) window reaches on the right."""
    h, w = x.shape[-2:]
    need_h = (out[0] - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (out[1] - 1) * s[1] + d[1] * (k[1] - 1) + 1
    rh, rw = max(need_h - h - p[0], 0), max(need_w - w - p[1], 0)
    if not (p[0] or p[1] or rh or rw):
        return x
    return xp.pad(x, ((0, 0), (0, 0), (p[0], rh), (p[1], rw)), constant_values=fill)


def _windows(xp: Any, xpad: Any, k: tuple, s: tuple, d: tuple, out: tuple) -> Any:
    """View (N, C, OH, OW, KH, KW) of every pooling window, without copying."""
    sn, sc, sh, sw = xpad.strides
    shape = (xpad.shape[0], xpad.shape[1], out[0], out[1], k[0], k[1])
    strides = (sn, sc, sh * s[0], sw * s[1], sh * d[0], sw * d[1])
    # read-only windows on NumPy (CuPy's as_strided has no ``writeable``)
    if xp is np:
        return np.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides)


def _scatter(xp: Any, cols_of: Any, shape: tuple, dtype: Any, geom: tuple) -> Any:
    """Sum window grads back onto the input: ``cols_of(i, j)`` is the (N, C, OH, OW) grad at kernel offset (i, j)."""
    k, s, p, d, out = geom
    n, c, h, w = shape
    hp = max(h + p[0], (out[0] - 1) * s[0] + d[0] * (k[0] - 1) + 1)
    wp = max(w + p[1], (out[1] - 1) * s[1] + d[1] * (k[1] - 1) + 1)
    gpad = xp.zeros((n, c, hp, wp), dtype=dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            gpad[:, :, r0 : r0 + s[0] * (out[0] - 1) + 1 : s[0], c0 : c0 + s[1] * (out[1] - 1) + 1 : s[1]] += cols_of(
                i, j
            )
    return gpad[:, :, p[0] : p[0] + h, p[1] : p[1] + w]


def _batched(input: Tensor) -> tuple[Any, bool]:
    x = input._data
    return (x[None], True) if x.ndim == 3 else (x, False)


# --------------------------------------------------------------------------- double backward
class _PoolBackwardBackward(Node):
    """A pooling op's gradient is linear in the incoming grad, its windows (and the maxima's positions) fixed by
    the forward: its own derivative is that same pooling applied to the new gradient (``lin``), and zeros for
    the input (torch's ``self: zeros_like(self)``)."""

    def apply(self, grad: Tensor) -> tuple:
        zeros = Tensor._make(grad._xp.zeros(self.in_shape, dtype=grad._data.dtype)) if needs(self, 1) else None
        return (self.lin(grad), zeros)


class MaxPool2DWithIndicesBackwardBackward0(_PoolBackwardBackward):
    # max_pool2d_with_indices_backward: grad_output: max_pool_double_backward(grad, indices, 2)
    pass


class AvgPool2DBackwardBackward0(_PoolBackwardBackward):
    # avg_pool2d_backward: grad_output: avg_pool2d(grad, kernel_size, stride, padding, ceil_mode, ...)
    pass


class AdaptiveAvgPool2DBackwardBackward0(_PoolBackwardBackward):
    # _adaptive_avg_pool2d_backward: grad_output: _adaptive_avg_pool2d(grad, ...)
    pass


class AdaptiveMaxPool2DBackwardBackward0(_PoolBackwardBackward):
    # adaptive_max_pool2d_backward: grad_output: max_pool_double_backward(grad, indices, 2)
    pass


def _pool_grad(node_cls: type, gin: Any, grad: Tensor, x: Tensor, lin: Any) -> Tensor:
    """The input grad ``gin`` (an array) as a tensor; under ``create_graph`` recorded as torch's double-backward
    node, with edges to the incoming grad and to the input, so the gradient keeps a graph."""
    out = Tensor._make(gin)
    if grad_recording(grad, x):
        record_with(node_cls(), out, grad, x, lin=lin, in_shape=x._data.shape)
    return out


def _gather_maxima(indices: Any) -> Any:
    """``lin`` of a max pooling: each output position takes the new gradient at its maximum (flat H*W index)."""
    idx = Tensor._make(indices)

    def lin(gg: Tensor) -> Tensor:
        flat = gg.flatten(-2)
        return flat.gather(-1, idx.flatten(-2)).reshape(tuple(indices.shape))

    return lin


# --------------------------------------------------------------------------- max_pool2d
class MaxPool2DWithIndicesBackward0(Node):
    # self: max_pool_double_backward / max_pool2d_with_indices_backward(grad, self, ..., result1):
    # each output grad goes to the input element its window's (first) maximum came from.
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        g = grad._data
        g4 = g[None] if self.unbatched else g
        arg = self.arg
        kw = self.geom[0][1]
        zero = g4.dtype.type(0)
        gin = _scatter(grad._xp, lambda i, j: grad._xp.where(arg == i * kw + j, g4, zero), self.in_shape, g.dtype,
                       self.geom)  # fmt: skip
        gin = gin[0] if self.unbatched else gin
        if not grad_recording(grad, x):
            return (Tensor._make(gin),)
        flat = _flat_indices(grad._xp, arg, self.geom, self.in_shape[3])
        lin = _gather_maxima(flat[0] if self.unbatched else flat)
        return (_pool_grad(MaxPool2DWithIndicesBackwardBackward0, gin, grad, x, lin),)


def _flat_indices(xp: Any, arg: Any, geom: tuple, width: int) -> Any:
    """Window-local argmax -> index into the flattened H*W input plane (torch's returned indices)."""
    k, s, p, d, out = geom
    ki, kj = arg // k[1], arg % k[1]
    rows = xp.arange(out[0]).reshape(-1, 1) * s[0] - p[0]
    cols = xp.arange(out[1]).reshape(1, -1) * s[1] - p[1]
    return ((rows + ki * d[0]) * width + cols + kj * d[1]).astype(xp.int64)


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each window; the grad goes to the first maximum of a window, as in torch."""
    k = _pair(kernel_size)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _pair(stride)
    p, d = _pair(padding), _pair(dilation)
    x, unbatched = _batched(input)
    xp = input._xp
    out = tuple(_out_size(x.shape[2 + a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(2))
    _check_pool(input, k, s, p, d, out, max_pool=True)
    lowest = -math.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min  # padding never wins a window
    xpad = _padded(xp, x, p, out, k, s, d, lowest)
    win = _windows(xp, xpad, k, s, d, out)
    flat = win.reshape((*win.shape[:4], k[0] * k[1]))
    arg = flat.argmax(axis=-1)
    res = xp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    geom = (k, s, p, d, out)
    result = Tensor._make(res[0] if unbatched else res)
    if grad_recording(input):
        node = MaxPool2DWithIndicesBackward0()
        node.arg, node.geom, node.in_shape, node.unbatched = arg, geom, x.shape, unbatched
        record(node, result, input)
        node.save("self", input)
    if not return_indices:
        return result
    idx = _flat_indices(xp, arg, geom, x.shape[3])
    return result, Tensor._make(idx[0] if unbatched else idx)


# --------------------------------------------------------------------------- avg_pool2d
def _divisors(xp: Any, size: tuple, geom: tuple, count_include_pad: bool, dtype: Any) -> Any:
    """(OH, OW) window element counts: windows are clipped to the padded input, and to the input itself
    unless count_include_pad (torch's avg_pool2d divide_factor)."""
    k, s, p, _d, out = geom
    counts = []
    for a in range(2):
        start = xp.arange(out[a]) * s[a] - p[a]
        end = xp.minimum(start + k[a], size[a] + p[a])
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, size[a])
        counts.append(end - start)
    return (counts[0].reshape(-1, 1) * counts[1].reshape(1, -1)).astype(dtype)


class AvgPool2DBackward0(Node):
    # self: avg_pool2d_backward(grad, self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    #     : every element of a window receives grad / divisor.
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        g = grad._data
        g4 = g[None] if self.unbatched else g
        share = g4 / self.divisor
        gin = _scatter(grad._xp, lambda i, j: share, self.in_shape, g.dtype, self.geom)
        return (_pool_grad(AvgPool2DBackwardBackward0, gin[0] if self.unbatched else gin, grad, x, self.forward),)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window (the window sum divided by its element count or ``divisor_override``)."""
    k = _pair(kernel_size)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _pair(stride)
    p, d = _pair(padding), (1, 1)
    x, unbatched = _batched(input)
    xp = input._xp
    out = tuple(_out_size(x.shape[2 + a], k[a], s[a], p[a], 1, ceil_mode) for a in range(2))
    _check_pool(input, k, s, p, d, out)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geom = (k, s, p, d, out)
    win = _windows(xp, _padded(xp, x, p, out, k, s, d, 0.0), k, s, d, out)
    if divisor_override is not None:
        divisor = x.dtype.type(divisor_override)
    else:
        divisor = _divisors(xp, x.shape[2:], geom, count_include_pad, x.dtype)
    res = win.sum(axis=(-2, -1)) / divisor
    result = Tensor._make(res[0] if unbatched else res)
    if grad_recording(input):
        node = AvgPool2DBackward0()
        node.divisor, node.geom, node.in_shape, node.unbatched = divisor, geom, x.shape, unbatched
        node.forward = functools.partial(avg_pool2d, kernel_size=k, stride=s, padding=p, ceil_mode=ceil_mode,
                                         count_include_pad=count_include_pad, divisor_override=divisor_override)  # fmt: skip
        record(node, result, input)
        node.save("self", input)  # as torch's node: its version is checked, and the double backward's edge
    return result


# --------------------------------------------------------------------------- adaptive_avg_pool2d
def _bins(xp: Any, size: int, out: int, dtype: Any) -> tuple[Any, Any]:
    """(out, size) 0/1 membership matrix of torch's adaptive bins [floor(i*size/out), ceil((i+1)*size/out)),
    and each bin's length."""
    i = xp.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    pos = xp.arange(size)
    member = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return member.astype(dtype), (end - start).astype(dtype)


class AdaptiveAvgPool2DBackward0(Node):
    # self: _adaptive_avg_pool2d_backward(grad, self): every element of a bin receives grad / bin size.
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        g = grad._data
        share = g / self.kh[:, None] / self.kw[None, :]
        gin = (self.mh.T @ share @ self.mw).astype(g.dtype, copy=False)
        lin = functools.partial(adaptive_avg_pool2d, output_size=(self.mh.shape[0], self.mw.shape[0]))
        return (_pool_grad(AdaptiveAvgPool2DBackwardBackward0, gin, grad, x, lin),)


def _check_output_size_rank(input: Tensor, output_size: Any) -> None:
    # torch.nn.functional's wrapper reads a list/tuple output_size against the input's trailing sizes first
    if isinstance(output_size, list | tuple) and input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")


def _adaptive_size(output_size: Any, h: int, w: int) -> tuple[int, int]:
    o = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(o) == 1:
        o = (o[0], o[0])
    return (h if o[0] is None else int(o[0]), w if o[1] is None else int(o[1]))


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over torch's adaptive bins; output (1, 1) is a plain mean over H and W, as in torch (MeanBackward1)."""
    _check_output_size_rank(input, output_size)
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got " + str(list(input.shape)).replace(" ", "")
        )
    h, w = input.shape[-2:]
    if isinstance(output_size, list | tuple) and len(output_size) == 0:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    oh, ow = _adaptive_size(output_size, h, w)
    if oh < 0 or ow < 0:
        raise RuntimeError(
            f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {{{oh}, {ow}}}"
        )
    if (oh, ow) == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    x = input._data
    xp = input._xp
    mh, kh = _bins(xp, h, oh, x.dtype)
    mw, kw = _bins(xp, w, ow, x.dtype)
    # torch divides the bin sum by the bin height, then by its width
    res = ((mh @ x @ mw.T) / kh[:, None] / kw[None, :]).astype(x.dtype, copy=False)
    result = Tensor._make(res)
    if grad_recording(input):
        node = AdaptiveAvgPool2DBackward0()
        node.mh, node.mw, node.kh, node.kw = mh, mw, kh, kw
        record(node, result, input)
        node.save("self", input)
    return result


# --------------------------------------------------------------------------- adaptive_max_pool2d
class AdaptiveMaxPool2DBackward0(Node):
    # self: adaptive_max_pool2d_backward(grad, self, result1): each grad goes to its bin's (first) maximum
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        g = grad._data
        lead = g.shape[:-2]
        gin = np.zeros((*lead, self.plane), dtype=g.dtype)
        flat_g, flat_i = g.reshape(-1, g.shape[-2] * g.shape[-1]), self.indices.reshape(-1, g.shape[-2] * g.shape[-1])
        rows = np.arange(flat_g.shape[0])[:, None]
        np.add.at(gin.reshape(-1, self.plane), (rows, flat_i), flat_g)
        gin = gin.reshape(self.in_shape)
        return (_pool_grad(AdaptiveMaxPool2DBackwardBackward0, gin, grad, x, _gather_maxima(self.indices)),)


def _bin_edges(size: int, out: int) -> list[tuple[int, int]]:
    # torch's adaptive bins [floor(i * size / out), ceil((i + 1) * size / out))
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over torch's adaptive bins, with the flat H*W index of each maximum."""
    _check_output_size_rank(input, output_size)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    a = input._data
    h, w = a.shape[-2:]
    if isinstance(output_size, list | tuple) and len(output_size) == 0:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    oh, ow = _adaptive_size(output_size, h, w)
    if oh < 0 or ow < 0:
        shape = [*a.shape[:-2], oh, ow]
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {oh if oh < 0 else ow}: [{', '.join(map(str, shape))}]"
        )
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


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices_backward(
    grad_output: Tensor,
    self: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    indices: Tensor,
) -> Tensor:
    """aten's max_pool2d_with_indices_backward: each output grad added into the input element its index names
    (flat H*W positions, in output order). Its derivative is ``grad_output: max_pool_double_backward(grad,
    indices, 2)`` and ``self: zeros_like(self)`` (node MaxPool2DWithIndicesBackwardBackward0)."""
    xp = self._xp
    shape = self._data.shape
    plane = shape[-2] * shape[-1]
    lead = math.prod(shape[:-2])
    idx = indices._data.reshape(lead, -1)
    gin = xp.zeros((lead, plane), dtype=grad_output._data.dtype)
    rows = xp.broadcast_to(xp.arange(lead)[:, None], idx.shape)
    xp.add.at(gin, (rows, idx), grad_output._data.reshape(lead, -1))
    return _pool_grad(MaxPool2DWithIndicesBackwardBackward0, gin.reshape(shape), grad_output, self,
                      _gather_maxima(indices._data))  # fmt: skip


# --------------------------------------------------------------------------- the 1-d forms
def _ints(v: Any) -> list[int]:
    return [v] if isinstance(v, int) else list(v)


def _check_dims(input: Tensor, name: str) -> None:
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 'self' "
            f"(while checking arguments for {name})"
        )


def _one(v: Any, name: str, arg: str) -> int:
    # avg_pool1d / adaptive_avg_pool1d: an IntArrayRef[1] argument
    vals = _ints(v)
    if len(vals) != 1:
        raise RuntimeError(f"{name}() argument '{arg}' should contain one int (got {len(vals)})")
    return vals[0]


def _check_max_pool1d(input: Tensor, k: list, s: list, p: list, d: list, ceil_mode: bool) -> None:
    if input.dim() not in (2, 3) or 0 in input.shape[input.dim() - 2 :]:  # only the batch may be empty
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:"
            + str(list(input.shape))
        )
    sizes = (
        ("kernel_size must be an int, list of ints or tuple of ints", k, (1,)),
        ("stride must be None, an int, list of ints, or tuple of ints", s, (0, 1)),
        ("padding must be an int, list of ints, or tuple of ints", p, (1,)),
        ("dilation must be an int, list of ints or tuple of ints", d, (1,)),
    )
    for what, vals, allowed in sizes:
        if len(vals) not in allowed:
            raise RuntimeError(f"max_pool1d() {what} of size 1 but got size {len(vals)}")
    kk, ss, pp, dd = k[0], (s or k)[0], p[0], d[0]
    if kk <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {kk}")
    if ss <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {ss}")
    if pp < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {pp}")
    if pp > kk // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={pp} and kernel_size={kk}"
        )
    if dd <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {dd}")
    span = input.shape[-1] + 2 * pp - dd * (kk - 1) - 1 + (ss - 1 if ceil_mode else 0)
    out = span // ss + 1
    if ceil_mode and (out - 1) * ss >= input.shape[-1] + pp:
        out -= 1
    if out < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    k, p, d = _ints(kernel_size), _ints(padding), _ints(dilation)
    s = [] if stride is None else _ints(stride)
    if return_indices:
        _check_dims(input, "max_pool1d")
    else:
        _check_max_pool1d(input, k, s, p, d, ceil_mode)
    res = max_pool2d(input.unsqueeze(-2), (1, k[0]), (1, (s or k)[0]), (0, p[0]), (1, d[0]), ceil_mode, return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    _check_dims(input, "avg_pool1d")
    k = _one(kernel_size, "avg_pool1d", "kernel_size")
    s = k if stride is None or _ints(stride) == [] else _one(stride, "avg_pool1d", "stride")
    p = _one(padding, "avg_pool1d", "padding")
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    _check_dims(input, "adaptive_avg_pool1d")
    size = _one(output_size, "adaptive_avg_pool1d", "output_size")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """ATen's adaptive_max_pool1d: adaptive_max_pool2d over a (1, L) plane, squeezed back."""
    _check_dims(input, "adaptive_max_pool1d")
    size = _one(output_size, "adaptive_max_pool1d", "output_size")
    if size < 0:
        # raised by the 2-d pooling's output allocation, hence its (..., 1, size) shape
        raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {[*input.shape[:-1], 1, size]}")
    out, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices=True)
    return (out.squeeze(-2), idx.squeeze(-2)) if return_indices else out.squeeze(-2)


# --------------------------------------------------------------------------- adaptive 3-d pools
class AdaptiveAvgPool3DBackwardBackward0(_PoolBackwardBackward):
    # _adaptive_avg_pool3d_backward: grad_output: _adaptive_avg_pool3d(grad, ...)
    pass


class AdaptiveMaxPool3DBackwardBackward0(_PoolBackwardBackward):
    # adaptive_max_pool3d_backward: grad_output: max_pool_double_backward(grad, indices, 3)
    pass


def _adaptive_size3(output_size: Any, input: Tensor, name: str) -> tuple[int, int, int]:
    """nn.functional's _list_with_default (None keeps the input's size), then ATen's checks of the 3 sizes."""
    _check_output_size_rank(input, output_size)
    if isinstance(output_size, int):
        sizes = [output_size] * 3
    else:
        given = list(output_size)
        sizes = [
            v if v is not None else d for v, d in zip(given, input.shape[-len(given) :] if given else [], strict=False)
        ]
    if input.ndim not in (4, 5):
        sep = ": " if name == "adaptive_max_pool3d" else " "
        raise RuntimeError(f"{name}(): Expected 4D or 5D tensor, but got{sep}{list(input.shape)}")
    for i in range(1, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
                f"{list(input.shape)} with dimension {i} being empty"
            )
    if len(sizes) != 3:
        if name == "adaptive_max_pool3d":
            raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    if any(v < 0 for v in sizes):
        if name == "adaptive_max_pool3d":
            shape = [*input.shape[:-3], *sizes]
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {shape}")
        raise RuntimeError(
            "adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but received "
            f"{{{sizes[0]}, {sizes[1]},{sizes[2]}}}"
        )
    return int(sizes[0]), int(sizes[1]), int(sizes[2])


class AdaptiveAvgPool3DBackward0(Node):
    # self: _adaptive_avg_pool3d_backward(grad, self): every element of a bin receives grad / bin volume
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        g = grad._data
        md, mh, mw = self.members
        kd, kh, kw = self.lengths
        share = g / kd[:, None, None] / kh[None, :, None] / kw[None, None, :]
        gin = np.einsum("...abc,ad,be,cf->...def", share, md, mh, mw).astype(g.dtype, copy=False)
        lin = functools.partial(adaptive_avg_pool3d, output_size=(md.shape[0], mh.shape[0], mw.shape[0]))
        return (_pool_grad(AdaptiveAvgPool3DBackwardBackward0, gin, grad, x, lin),)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over torch's adaptive bins in D, H and W; output (1, 1, 1) is a plain mean, as in torch (MeanBackward1)."""
    out = _adaptive_size3(output_size, input, "adaptive_avg_pool3d")
    if out == (1, 1, 1):
        return input.mean((-1, -2, -3), keepdim=True)
    x = input._data
    bins = [_bins(np, n, o, x.dtype) for n, o in zip(x.shape[-3:], out, strict=True)]
    (md, kd), (mh, kh), (mw, kw) = bins
    # torch's kernel divides each bin's sum by its depth, then its height, then its width
    total = np.einsum("...def,ad,be,cf->...abc", x, md, mh, mw)
    res = (total / kd[:, None, None] / kh[None, :, None] / kw[None, None, :]).astype(x.dtype, copy=False)
    result = Tensor._make(np.ascontiguousarray(res))
    if grad_recording(input):
        node = AdaptiveAvgPool3DBackward0()
        node.members, node.lengths = (md, mh, mw), (kd, kh, kw)
        record(node, result, input)
        node.save("self", input)
    return result


class AdaptiveMaxPool3DBackward0(Node):
    # self: adaptive_max_pool3d_backward(grad, self, result1): each grad goes to its bin's (first) maximum
    def apply(self, grad: Tensor) -> tuple:
        return (max3d_index_grad(self, grad, AdaptiveMaxPool3DBackwardBackward0),)


def max3d_index_grad(node: Node, grad: Tensor, double_cls: type) -> Tensor:
    """A 3-d max pool's input grad: each output grad added at the flat D*H*W index of its window's maximum
    (``node.indices``, ``node.plane`` = D*H*W), differentiable again through ``double_cls`` (a gather)."""
    x = node.saved("self")
    g = grad._data
    rows = g.reshape(-1, math.prod(g.shape[-3:]))
    gin = np.zeros((rows.shape[0], node.plane), dtype=g.dtype)
    np.add.at(gin, (np.arange(rows.shape[0])[:, None], node.indices.reshape(rows.shape)), rows)
    idx = Tensor._make(node.indices)

    def lin(gg: Tensor) -> Tensor:
        return gg.flatten(-3).gather(-1, idx.flatten(-3)).reshape(tuple(node.indices.shape))

    return _pool_grad(double_cls, gin.reshape(x.shape), grad, x, lin)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over torch's adaptive bins in D, H and W, with the flat D*H*W index of each (first) maximum."""
    od, oh, ow = _adaptive_size3(output_size, input, "adaptive_max_pool3d")
    a = input._data
    d, h, w = a.shape[-3:]
    lead = a.shape[:-3]
    res = np.empty((*lead, od, oh, ow), dtype=a.dtype)
    idx = np.empty(res.shape, dtype=np.int64)
    for i, (d0, d1) in enumerate(_bin_edges(d, od)):
        for j, (r0, r1) in enumerate(_bin_edges(h, oh)):
            for k, (c0, c1) in enumerate(_bin_edges(w, ow)):
                win = a[..., d0:d1, r0:r1, c0:c1].reshape(*lead, -1)
                # the first maximum in window order (argmax, like torch, lets the first NaN win)
                arg = win.argmax(axis=-1)
                res[..., i, j, k] = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
                hw = (r1 - r0) * (c1 - c0)
                dd, rem = arg // hw, arg % hw
                idx[..., i, j, k] = ((d0 + dd) * h + r0 + rem // (c1 - c0)) * w + c0 + rem % (c1 - c0)
    out = Tensor._make(res)
    if grad_recording(input):
        node = AdaptiveMaxPool3DBackward0()
        node.indices, node.plane, node.in_shape = idx, d * h * w, a.shape
        record(node, out, input)
        node.save("self", input)
    return (out, Tensor._make(idx)) if return_indices else out
