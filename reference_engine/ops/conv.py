"""2-D convolution (stride, padding, dilation, groups, bias) as one ``ConvolutionBackward0`` node.

The forward builds a strided window view of the padded input (no copy, no
loop over pixels) and contracts it with the weight, one matmul per group.
The backward contracts the output grad with the same windows (weight grad)
and scatters the column grads back with one strided add per kernel offset
(input grad). The backward is computed on arrays, so it is not itself
differentiable (no double backward through convolutions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import array_module
from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import check_common_device, grad_recording, needs, record
from .inplace import scalar_type_name


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    t = tuple(v)
    return (t[0], t[0]) if len(t) == 1 else (int(t[0]), int(t[1]))


def same_padding(kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(before, after) padding per spatial dim for padding='same' (the extra pixel goes after)."""
    out = []
    for k, d in zip(kernel, dilation, strict=True):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return out[0], out[1]


def _windows(xp_: Any, xpad: Any, kh: int, kw: int, stride: tuple, dilation: tuple, oh: int, ow: int) -> Any:
    """View (N, C, OH, OW, KH, KW) of the padded input: every receptive field, without copying."""
    sn, sc, sh, sw = xpad.strides
    shape = (xpad.shape[0], xpad.shape[1], oh, ow, kh, kw)
    strides = (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    # read-only windows on NumPy (CuPy's as_strided has no ``writeable``)
    if xp_ is np:
        return np.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides, writeable=False)
    return xp_.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides)


def _check_input(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int) -> None:  # noqa: A002
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
            f"[{', '.join(str(s) for s in input.shape)}]"
        )
    name = scalar_type_name
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"Input type ({name(input.dtype).lower()}) and bias type ({name(bias.dtype).lower()}) should be the same"
        )
    _check_same_device(input, weight, bias)
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {name(input.dtype)} but found {name(weight.dtype)}")
    c = input.shape[-3]
    if c != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size [{', '.join(str(s) for s in weight.shape)}], expected "
            f"input[{', '.join(str(s) for s in input.shape)}] to have {weight.shape[1] * groups} channels, "
            f"but got {c} channels instead"
        )


def _check_same_device(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:  # noqa: A002
    """Where torch finds parameters on another device than the input, and how it words it.

    A CPU input with a GPU parameter dispatches to the GPU's slow convolution, whose generated device
    check names the argument; a GPU input checks the parameters' legacy type names (torch.FloatTensor ...).
    """
    if not input.is_cuda:
        check_common_device("__slow_conv2d_forward", ("self", input), ("weight", weight), ("bias", bias))
        return
    for what, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.device != input.device:
            raise RuntimeError(
                f"Input type ({input._type_string()}) and {what} type ({p._type_string()}) should be the same"
            )


class ConvolutionBackward0(Node):
    # input, weight, bias: convolution_backward(grad, input, weight, ...) (computed on arrays here)
    def apply(self, grad: Tensor) -> tuple:
        self.saved("input")  # raises torch's error if input or weight changed in place since forward
        self.saved("weight")
        g = grad._data
        xp_ = array_module(g)
        gin, gw = _conv_backward(xp_, g, self, needs(self, 0), needs(self, 1))
        gb = g.sum(axis=(0, 2, 3)) if needs(self, 2) else None
        wrap = Tensor._make
        return (
            wrap(gin) if gin is not None else None,
            wrap(gw) if gw is not None else None,
            wrap(gb) if gb is not None else None,
        )


def _columns(cols: Any, lo: int, hi: int) -> Any:
    """The im2col matrix (C_g*KH*KW, N*OH*OW) of channels [lo, hi): one copy of the window view.

    Output positions run along the rows' contiguous axis, so the copy reads
    the input along its rows (stride ``stride``) rather than three pixels at
    a time, which is several times faster than the (N*OH*OW, C*KH*KW) layout.
    """
    c = cols[:, lo:hi]
    n, cg, oh, ow, kh, kw = c.shape
    return c.transpose(1, 4, 5, 0, 2, 3).reshape(cg * kh * kw, n * oh * ow)


def _conv_backward(xp_: Any, g: Any, node: ConvolutionBackward0, want_in: bool, want_w: bool) -> tuple:
    cols, w = node.cols, node.weight_arr
    groups = node.groups
    n, o, oh, ow = g.shape
    og = o // groups
    cg, kh, kw = w.shape[1:]
    gin = gw = None
    if want_w:
        gw = xp_.empty_like(w)
    if want_in:
        gcols = xp_.empty((groups * cg, kh, kw, n, oh, ow), dtype=g.dtype)
    for gi in range(groups):
        g_g = g[:, gi * og : (gi + 1) * og].transpose(1, 0, 2, 3).reshape(og, -1)  # (Og, N*OH*OW)
        if want_w:
            c_g = _columns(cols, gi * cg, (gi + 1) * cg)
            gw[gi * og : (gi + 1) * og] = (g_g @ c_g.T).reshape(og, cg, kh, kw)
        if want_in:
            w_g = w[gi * og : (gi + 1) * og].reshape(og, -1)
            gcols[gi * cg : (gi + 1) * cg] = (w_g.T @ g_g).reshape(cg, kh, kw, n, oh, ow)
    if want_in:
        gin = _col2im(xp_, gcols, node)
    return gin, gw


def _col2im(xp_: Any, gcols: Any, node: ConvolutionBackward0) -> Any:
    """Scatter-add the window grads (C, KH, KW, N, OH, OW) onto the padded input, one strided add per offset."""
    (pt, pb), (pl, pr) = node.padding
    n, c, h, w = node.input_shape
    sh, sw = node.stride
    dh, dw = node.dilation
    _, kh, kw, _, oh, ow = gcols.shape
    gpad = xp_.zeros((n, c, h + pt + pb, w + pl + pr), dtype=gcols.dtype)
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dh, j * dw
            rows, cols = slice(r0, r0 + sh * (oh - 1) + 1, sh), slice(c0, c0 + sw * (ow - 1) + 1, sw)
            gpad[:, :, rows, cols] += gcols[:, i, j].transpose(1, 0, 2, 3)
    return gpad[:, :, pt : pt + h, pl : pl + w]


def conv2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    _check_input(input, weight, bias, groups)
    if input.ndim == 3:
        # torch batches an unbatched input: unsqueeze, convolve, squeeze (grad_fn SqueezeBackward1)
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    stride, dilation = _pair(stride), _pair(dilation)
    kh, kw = weight.shape[2], weight.shape[3]
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0), (0, 0))
        elif padding == "same":
            if stride != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = same_padding((kh, kw), dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        ph, pw = _pair(padding)
        pads = ((ph, ph), (pw, pw))
    x = input._data
    xp_ = array_module(x)
    n, _c, h, w = x.shape
    hp, wp = h + sum(pads[0]), w + sum(pads[1])
    oh = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({hp} x {wp}). Kernel size: "
            f"({dilation[0] * (kh - 1) + 1} x {dilation[1] * (kw - 1) + 1}). "
            "Kernel size can't be greater than actual input size"
        )
    xpad = xp_.pad(x, ((0, 0), (0, 0), pads[0], pads[1])) if any(pads[0] + pads[1]) else xp_.ascontiguousarray(x)
    cols = _windows(xp_, xpad, kh, kw, stride, dilation, oh, ow)
    wa = weight._data
    o = wa.shape[0]
    og, cg = o // groups, wa.shape[1]
    out = xp_.empty((n, o, oh, ow), dtype=x.dtype)
    for gi in range(groups):
        w_g = wa[gi * og : (gi + 1) * og].reshape(og, -1)
        res = w_g @ _columns(cols, gi * cg, (gi + 1) * cg)  # (Og, N*OH*OW)
        out[:, gi * og : (gi + 1) * og] = res.reshape(og, n, oh, ow).transpose(1, 0, 2, 3)
    if bias is not None:
        out += bias._data.reshape(1, -1, 1, 1)
    result = Tensor._make(out)
    if grad_recording(input, weight, bias):
        node = ConvolutionBackward0()
        node.cols, node.weight_arr, node.groups = cols, wa, groups
        node.padding, node.stride, node.dilation = pads, stride, dilation
        node.input_shape = x.shape
        record(node, result, input, weight, bias)
        # Saved for the version-counter check, as torch saves input and weight.
        node.save("input", input)
        node.save("weight", weight)
    return result


__all__ = ["conv2d"]
