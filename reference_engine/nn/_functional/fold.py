"""unfold (im2col) and fold (col2im): sliding windows of an image as columns, and back.

unfold gives (N, C * KH * KW, L), channel outermost, then the kernel row and column, L the windows in
row-major order (ATen's ``Im2Col.cpp``); fold sums each column back onto its window. Each is the other's
backward (derivatives.yaml), so both differentiate any number of times and give forward AD.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...tensor import Tensor


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _blocks(size: tuple, k: tuple, d: tuple, p: tuple, s: tuple) -> tuple[int, int]:
    return tuple((size[i] + 2 * p[i] - (d[i] * (k[i] - 1) + 1)) // s[i] + 1 for i in range(2))  # type: ignore[return-value]


class Im2ColBackward0(Node):
    # self: col2im_symint(grad, {self.sym_size(-2), self.sym_size(-1)}, kernel_size, dilation, padding, stride)
    def apply(self, grad: Tensor) -> tuple:
        return (fold(grad, self.size, self.kernel_size, self.dilation, self.padding, self.stride),)


class Col2ImBackward0(Node):
    # self: im2col(grad, kernel_size, dilation, padding, stride)
    def apply(self, grad: Tensor) -> tuple:
        return (unfold(grad, self.kernel_size, self.dilation, self.padding, self.stride),)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """The sliding (KH, KW) windows of (N, C, H, W) or (C, H, W), as (N, C * KH * KW, L) columns."""
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if 0 < input.ndim < 3:
        # torch's im2col reads the size of dim (batched) + 1 before checking the rank
        n = input.ndim
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {n})")
    if input.ndim not in (3, 4) or any(n == 0 for n in input.shape[-3:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for "
            f"input, but got: {list(input.shape)}"
        )
    a = input._data
    batched = a.ndim == 4
    x = a if batched else a[None]
    n, c, h, w = x.shape
    oh, ow = _blocks((h, w), k, d, p, s)
    if oh < 1 or ow < 1:
        raise RuntimeError(
            f"Given input with spatial size ({h}, {w}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), calculated shape of the array of sliding blocks as ({oh}, {ow}), but its "
            "components must be at least one."
        )
    xpad = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    cols = np.empty((n, c, k[0], k[1], oh, ow), dtype=a.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            cols[:, :, i, j] = xpad[:, :, r0 : r0 + s[0] * (oh - 1) + 1 : s[0], c0 : c0 + s[1] * (ow - 1) + 1 : s[1]]
    res = cols.reshape(n, c * k[0] * k[1], oh * ow)
    out = Tensor._make(res if batched else res[0])
    if grad_recording(input):
        node = Im2ColBackward0()
        node.size, node.kernel_size, node.dilation, node.padding, node.stride = (h, w), k, d, p, s
        record(node, out, input)
    return out


def fold(
    input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Sum (N, C * KH * KW, L) columns back onto an (N, C, H, W) image (the adjoint of unfold)."""
    size, k, d, p, s = _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions "
            f"for input, but got: {list(input.shape)}"
        )
    a = input._data
    batched = a.ndim == 3
    cols = a if batched else a[None]
    kk = k[0] * k[1]
    if cols.shape[1] % kk:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={cols.shape[1]} and kernel_size=({k[0]}, {k[1]})."
        )
    oh, ow = _blocks(size, k, d, p, s)
    if cols.shape[2] != oh * ow:
        raise RuntimeError(
            f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got input.size(2)={cols.shape[2]}."
        )
    n, c = cols.shape[0], cols.shape[1] // kk
    blocks = cols.reshape(n, c, k[0], k[1], oh, ow)
    img = np.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]), dtype=a.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            img[:, :, r0 : r0 + s[0] * (oh - 1) + 1 : s[0], c0 : c0 + s[1] * (ow - 1) + 1 : s[1]] += blocks[:, :, i, j]
    res = img[:, :, p[0] : p[0] + size[0], p[1] : p[1] + size[1]]
    out = Tensor._make(np.ascontiguousarray(res if batched else res[0]))
    if grad_recording(input):
        node = Col2ImBackward0()
        node.kernel_size, node.dilation, node.padding, node.stride = k, d, p, s
        record(node, out, input)
    return out
