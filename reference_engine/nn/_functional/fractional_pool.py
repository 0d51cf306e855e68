"""fractional_max_pool2d and fractional_max_pool3d: max pooling over pseudo-random window positions.

As in torch's ``nn.functional``, the positions come from ``_random_samples``, drawn when not given with one
``rand(N, C, dims)`` call in the input's dtype from the default generator (the engine's generator is torch's,
so the windows are torch's under the same seed). Each dim's window starts follow ATen's
``generate_intervals`` in the input's dtype: ``int((i + u) * alpha) - int(u * alpha)``, alpha =
(input - pool) / (output - 1), the last window flush with the input's end. The 2-d kernel reads a plane's
samples as (width, height), the 3-d one as (time, height, width).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import random as _random
from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...tensor import Tensor
from .pooling import _pool_grad, _PoolBackwardBackward


def _tuple(v: Any, n: int) -> tuple:
    return (v,) * n if isinstance(v, int | float) else tuple(v) if len(v) != 1 else (v[0],) * n


def _intervals(sample: Any, size: int, out: int, pool: int) -> Any:
    """ATen's generate_intervals for one plane's sample (computed in the sample's dtype)."""
    t = sample.dtype.type
    seq = np.empty(out, dtype=np.int64)
    if out > 1:
        alpha = t(size - pool) / t(out - 1)
        i = np.arange(out - 1).astype(sample.dtype)
        # C's int cast truncates toward zero; the products are non-negative
        seq[:-1] = ((i + sample) * alpha).astype(np.int64) - np.int64(t(sample * alpha))
    if out > 0:
        seq[-1] = size - pool
    return seq


class _FractionalBackward(Node):
    # self: fractional_max_pool{2,3}d_backward(grad, self, kernel_size, output_size, result1): each grad goes to
    #       the input element its window's maximum came from
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        n = self.n
        g = grad._data
        rows = g.reshape(-1, math.prod(g.shape[-n:]))
        gin = np.zeros((rows.shape[0], math.prod(x.shape[-n:])), dtype=g.dtype)
        np.add.at(gin, (np.arange(rows.shape[0])[:, None], self.indices.reshape(rows.shape)), rows)
        idx = Tensor._make(self.indices)

        def lin(gg: Tensor) -> Tensor:
            return gg.flatten(-n).gather(-1, idx.flatten(-n)).reshape(tuple(self.indices.shape))

        return (_pool_grad(self.double, gin.reshape(x.shape), grad, x, lin),)


class FractionalMaxPool2DBackwardBackward0(_PoolBackwardBackward):
    # fractional_max_pool2d_backward: grad_output: max_pool_double_backward(grad, indices, 2)
    pass


class FractionalMaxPool3DBackwardBackward0(_PoolBackwardBackward):
    # fractional_max_pool3d_backward: grad_output: max_pool_double_backward(grad, indices, 3)
    pass


class FractionalMaxPool2DBackward0(_FractionalBackward):
    n, double = 2, FractionalMaxPool2DBackwardBackward0


class FractionalMaxPool3DBackward0(_FractionalBackward):
    n, double = 3, FractionalMaxPool3DBackwardBackward0


_NAMES = ("time", "height", "width")


def _fractional(
    input: Tensor,
    kernel_size: Any,
    output_size: Any,
    output_ratio: Any,
    random_samples: Tensor | None,
    n: int,
) -> tuple[Tensor, Tensor]:
    name = f"fractional_max_pool{n}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if n == 2 and not isinstance(output_ratio, int | float) and len(output_ratio) > 2:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = _tuple(output_ratio, n)
        output_size = [int(input.size(-n + a) * ratio[a]) for a in range(n)]
    if random_samples is None:
        n_batch = 1 if input.dim() == n + 1 else input.size(0)
        random_samples = _random.rand(n_batch, input.size(-n - 1), n, dtype=input.dtype, device=input.device)
    k, out = _tuple(kernel_size, n), _tuple(output_size, n)
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got: {list(input.shape)}")
    size = input.shape[-n:]
    for a in range(n):
        dim_name = _NAMES[a + 3 - n]
        if out[a] + k[a] - 1 > size[a]:
            where = "fractional_max_pool3d_out()" if n == 3 else "fractional_max_pool2d()"
            raise RuntimeError(f"{where}: pool {dim_name} {k[a]} too large relative to input {dim_name} {size[a]}")
    a_ = input._data
    x = a_ if a_.ndim == n + 2 else a_[None]
    samples = random_samples._data.astype(x.dtype, copy=False)
    nb, c = x.shape[:2]
    res = np.empty((nb, c, *out), dtype=x.dtype)
    idx = np.empty((nb, c, *out), dtype=np.int64)
    # the sample each dim reads: 2-d (W, H), 3-d (T, H, W)
    which = (1, 0) if n == 2 else (0, 1, 2)
    strides = [math.prod(size[a + 1 :]) for a in range(n)]
    for b in range(nb):
        for ch in range(c):
            starts = [_intervals(samples[b, ch, which[a]], size[a], out[a], k[a]) for a in range(n)]
            # (out..., k...) positions per dim, combined into flat indices of the plane
            flat = np.zeros((*out, *k), dtype=np.int64)
            for a in range(n):
                pos = starts[a][:, None] + np.arange(k[a])[None, :]
                shape = [1] * (2 * n)
                shape[a], shape[n + a] = out[a], k[a]
                flat = flat + (pos * strides[a]).reshape(shape)
            flat = flat.reshape(*out, -1)
            vals = x[b, ch].reshape(-1)[flat]
            arg = vals.argmax(axis=-1)
            res[b, ch] = np.take_along_axis(vals, arg[..., None], axis=-1)[..., 0]
            idx[b, ch] = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    if a_.ndim == n + 1:
        res, idx = res[0], idx[0]
    result = Tensor._make(res)
    if grad_recording(input):
        node = FractionalMaxPool2DBackward0() if n == 2 else FractionalMaxPool3DBackward0()
        node.indices = idx
        record(node, result, input)
        node.save("self", input)
    return result, Tensor._make(idx)


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool2d(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    out = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 2)
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    return _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool3d(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    out = _fractional(input, kernel_size, output_size, output_ratio, _random_samples, 3)
    return out if return_indices else out[0]
