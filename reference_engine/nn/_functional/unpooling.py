"""max_unpool1d, max_unpool2d and max_unpool3d: the partial inverse of max pooling.

Each input value is written at its flat index (from max pooling's ``return_indices``) in a zero output plane
(ATen's ``MaxUnpooling.cpp``); 1-d runs as 2-d on an (L, 1) plane, as torch's ``nn.functional`` does.
The backward reads the gradient back at those indices (``max_pool_double_backward``), in engine ops, so it
differentiates again and gives forward AD.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...ops.inplace import scalar_type_name
from ...tensor import Tensor


def _tuple(v: Any, n: int) -> list[int]:
    return [int(v)] * n if isinstance(v, int) else [int(x) for x in v]


def _unpool_output_size(input: Tensor, kernel: list, stride: list, padding: list, output_size: Any) -> list[int]:
    """nn.functional's _unpool_output_size: the default size, or ``output_size`` checked against it."""
    n = len(kernel)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        ret = default
    else:
        output_size = list(output_size)
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(
                f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a length of "
                f"'{len(output_size)}'"
            )
        for d in range(n):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not (lo < output_size[d] < hi):
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
        ret = output_size
    for d in range(n):
        if ret[d] < 0:
            raise ValueError(
                "max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                f"output_size[{d}]={ret[d]}"
            )
    return [int(s) for s in ret]


class _MaxUnpoolBackward(Node):
    # self: max_pool_double_backward(grad, indices, dim): the gradient at each value's index
    def apply(self, grad: Tensor) -> tuple:
        n, idx = self.n, self.indices
        flat = grad.flatten(-n).gather(-1, idx.flatten(-n))
        return (flat.reshape(tuple(idx.shape)), None)


class MaxUnpool2DBackward0(_MaxUnpoolBackward):
    # max_unpool2d: self: max_pool_double_backward(grad, indices, 2)
    n = 2


class MaxUnpool3DBackward0(_MaxUnpoolBackward):
    # max_unpool3d: self: max_pool_double_backward(grad, indices, 3)
    n = 3


def _max_unpool(input: Tensor, indices: Tensor, out_size: list[int], node_cls: type[_MaxUnpoolBackward]) -> Tensor:
    n = node_cls.n
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {scalar_type_name(indices.dtype)}")
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(
            f"Input to max_unpooling{n}d should be a {n + 1}d or {n + 2}d Tensor, but got a tensor with "
            f"{input.ndim} dimensions."
        )
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) but got "
            f"indices tensor with shape: {list(indices.shape)}"
        )
    a, idx = input._data, indices._data
    lead = a.shape[:-n]
    plane = math.prod(out_size)
    rows_a = a.reshape(-1, math.prod(a.shape[-n:]))
    rows_i = idx.reshape(rows_a.shape)
    bad = (rows_i < 0) | (rows_i >= plane)
    if bad.any():
        raise RuntimeError(
            f"Found an invalid max index: {rows_i[bad][0]} (output volumes are of size {'x'.join(map(str, out_size))})"
        )
    res = np.zeros((rows_a.shape[0], plane), dtype=a.dtype)
    # later writes to one index win, as in torch's loop over the input in order
    res[np.arange(rows_a.shape[0])[:, None], rows_i] = rows_a
    out = Tensor._make(res.reshape(*lead, *out_size))
    if grad_recording(input):
        node = node_cls()
        node.indices = indices.detach()
        record(node, out, input, None)
    return out


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    kernel = _tuple(kernel_size, 1)
    strides = kernel if stride is None else _tuple(stride, 1)
    size = _unpool_output_size(input, kernel, strides, _tuple(padding, 1), output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), [*size, 1], MaxUnpool2DBackward0).squeeze(-1)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    kernel = _tuple(kernel_size, 2)
    strides = kernel if stride is None else _tuple(stride, 2)
    size = _unpool_output_size(input, kernel, strides, _tuple(padding, 2), output_size)
    return _max_unpool(input, indices, size, MaxUnpool2DBackward0)


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    kernel = _tuple(kernel_size, 3)
    strides = kernel if stride is None else _tuple(stride, 3)
    size = _unpool_output_size(input, kernel, strides, _tuple(padding, 3), output_size)
    return _max_unpool(input, indices, size, MaxUnpool3DBackward0)
