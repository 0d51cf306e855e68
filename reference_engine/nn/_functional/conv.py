"""Convolutions: conv2d, conv1d, conv_transpose2d and conv_transpose1d, each one ``ConvolutionBackward0``.

The forward builds a strided window view of the padded input (no copy, no
loop over pixels) and contracts it with the weight, one matmul per group.
The backward contracts the output grad with the same windows (weight grad)
and scatters the column grads back with one strided add per kernel offset
(input grad). The backward is computed on arrays, so it is not itself
differentiable (no double backward through convolutions).

- conv_transpose2d is the input grad of a convolution: the column product scattered back with
  ``_col2im``. Its backward is a plain convolution (input grad) and the convolution's
  weight-grad contraction with the roles swapped (weight grad), both on arrays.
- The 1-d forms run the 2-d code on a height-1 view; their node hands the grads back in 1-d shapes,
  so the graph is torch's (one ``ConvolutionBackward0`` on the 1-d tensors).
"""

from __future__ import annotations

import functools
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..._backend import array_module
from ...autograd import grad as autograd_grad
from ...autograd import grad_mode
from ...autograd.graph import Node
from ...ops import _autocast
from ...ops._util import check_common_device, grad_recording, needs, record, record_with
from ...ops.inplace import scalar_type_name
from ...tensor import Tensor


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


# the C++ type names torch's convolution errors give (c10's TypeMeta names)
_C_TYPE = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
           "bool": "bool", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
           "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}  # fmt: skip


def _as_tuple(v: Any) -> tuple:
    return (v,) if isinstance(v, int) else tuple(v)


_SAME_PAD_WARNED = False  # TORCH_WARN_ONCE in torch's _convolution_same


def _check_params(input: Tensor, weight: Tensor, stride: Any, padding: Any, dilation: Any, groups: int) -> None:
    """torch's ConvParams and check_shape_forward errors, in their order (before the channel count's)."""
    if any(s <= 0 for s in _as_tuple(stride)):
        raise RuntimeError("non-positive stride is not supported")
    if not isinstance(padding, str) and any(p < 0 for p in _as_tuple(padding)):
        raise RuntimeError("negative padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if input.ndim != weight.ndim:
        raise RuntimeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight[{_sizes(weight.shape)}], "
            f"but got {input.ndim}-dimensional input of size [{_sizes(input.shape)}] instead"
        )
    if padding == "same":
        global _SAME_PAD_WARNED
        dil = _as_tuple(dilation)
        odd = any((dil[0 if len(dil) == 1 else i] * (k - 1)) % 2 for i, k in enumerate(weight.shape[2:]))
        if odd and not _SAME_PAD_WARNED:
            _SAME_PAD_WARNED = True
            warnings.warn(
                "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of "
                "the input be created",
                UserWarning,
                stacklevel=4,
            )
    if weight.shape[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got weight of size "
            f"[{_sizes(weight.shape)}] instead"
        )
    if any(d <= 0 for d in _as_tuple(dilation)):
        raise RuntimeError("dilation should be greater than zero")


def _check_input(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int) -> None:
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
            f"[{', '.join(str(s) for s in input.shape)}]"
        )
    name = scalar_type_name
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"Input type ({_C_TYPE.get(input.dtype.name, input.dtype.name)}) and bias type "
            f"({_C_TYPE.get(bias.dtype.name, bias.dtype.name)}) should be the same"
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


def _check_same_device(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
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
    """The one node of conv1d, conv2d, conv_transpose1d and conv_transpose2d, as in torch.

    derivatives.yaml (``convolution``): ``input, weight, bias: "grad.defined() ? convolution_backward_symint(grad,
    input, weight, bias->sym_sizes(), stride, padding, dilation, transposed, output_padding, groups,
    grad_input_mask) : std::tuple<Tensor, Tensor, Tensor>()"``. Computed on arrays (4-d even under a 1-d
    node, ``flat``): the input grad of a convolution is the column grads scattered back, of a transposed
    convolution the forward convolution of the grad; the bias grad sums the grad over all but dim 1.
    """

    transposed = False
    flat = False  # a 1-d convolution run on height-1 views: grads go back in 1-d shapes

    forward: Any = None  # (input, weight) -> the convolution without bias, with this node's geometry

    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("input")  # raises torch's error if input or weight changed in place since forward
        w = self.saved("weight")
        g = grad._data[:, :, None] if self.flat else grad._data
        gin, gw = self._transposed_grads(g) if self.transposed else self._grads(g)
        gb = g.sum(axis=(0, 2, 3)) if needs(self, 2) else None
        if self.flat:
            gin, gw = (None if a is None else a[:, :, 0] for a in (gin, gw))
        # torch's convolution_backward returns contiguous grads; the padded scatter's crop is a strided view here,
        # and a WGAN-GP's ``grad.view(n, -1)`` of the input grad needs torch's layout
        xp_ = array_module(g)
        gin, gw = (None if a is None else xp_.ascontiguousarray(a) for a in (gin, gw))
        grads = tuple(None if a is None else Tensor._make(a) for a in (gin, gw, gb))
        if grad_recording(grad, x, w):  # create_graph: the grads are functions of grad, input and weight
            made = [t for t in grads if t is not None]
            node = record_with(ConvolutionBackwardBackward0(), tuple(made), grad, x, w, forward=self.forward,
                               which=tuple(t is not None for t in grads))  # fmt: skip
            node.save("grad_output", grad)
            node.save("self", x)
            node.save("weight", w)
        return grads

    def _grads(self, g: Any) -> tuple[Any, Any]:
        return _conv_backward(array_module(g), g, self, needs(self, 0), needs(self, 1))

    def _transposed_grads(self, g: Any) -> tuple[Any, Any]:
        x, w = self.input_arr, self.weight_arr
        gin = gw = None
        if needs(self, 0):
            # the transposed convolution's input grad is the forward convolution of the output grad
            with grad_mode.no_grad():
                conv = conv2d(Tensor._make(g), Tensor._make(w), None, self.stride, self.pads, self.dilation,
                              self.groups)._data  # fmt: skip
            gin = conv[:, :, : x.shape[2], : x.shape[3]]
        if needs(self, 1):
            # the convolution's weight grad with the roles swapped: the input is the "grad", the windows are the
            # padded grad's: gw[ci, co, i, j] = sum of x[n, ci, h, w] * padded_grad[n, co, h*s + i*d, w*s + j*d]
            xp_ = array_module(g)
            (ph, pw), (kh, kw) = self.pads, w.shape[2:]
            gpad = xp_.pad(g, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            cols = _windows(xp_, gpad, kh, kw, self.stride, self.dilation, *x.shape[2:])
            geom = SimpleNamespace(cols=cols, weight_arr=w, groups=self.groups)
            gw = _conv_backward(xp_, x, geom, want_in=False, want_w=True)[1]
        return gin, gw


class ConvolutionBackwardBackward0(Node):
    """The double backward of a convolution (torch's ``_convolution_double_backward``), from the forward alone.

    The convolution ``f(x, w)`` is linear in ``x`` and in ``w``, and its grads are ``gin = J_x^T g``, ``gw = J_w^T g``,
    ``gb = sum(g)``. So for incoming ``(ggI, ggW, ggb)``: the grad of ``g`` is ``f(ggI, w) + f(x, ggW) + ggb``
    (broadcast); of ``x``, the input grad of ``f(., ggW)`` at ``g``; of ``w``, the weight grad of ``f(ggI, .)`` at
    ``g``. Each is computed with the engine's own ops and backward, so it keeps a graph when asked to.
    """

    def apply(self, *incoming: Tensor) -> tuple:
        it = iter(incoming)
        ggi, ggw, ggb = (next(it) if made else None for made in self.which)
        g, x, w = self.saved("grad_output"), self.saved("self"), self.saved("weight")
        f = self.forward
        d_g = None
        if needs(self, 0):
            terms = [f(ggi, w)] if ggi is not None else []
            terms += [f(x, ggw)] if ggw is not None else []
            if ggb is not None:
                terms.append(ggb.reshape(1, -1, *([1] * (g.ndim - 2))).expand(*g.shape))
            d_g = terms[0] if terms else None
            for t in terms[1:]:
                d_g = d_g + t
        d_x = _linear_vjp(f, x, ggw, g, first=True) if needs(self, 1) and ggw is not None else None
        d_w = _linear_vjp(f, ggi, w, g, first=False) if needs(self, 2) and ggi is not None else None
        return d_g, d_x, d_w


def _linear_vjp(f: Any, a: Tensor, b: Tensor, g: Tensor, first: bool) -> Tensor:
    """The grad of ``<g, f(a, b)>`` with respect to ``a`` (``first``) or ``b``, through the engine's autograd
    (with a graph when grad mode is on, that is, when the backward that asked for it has ``create_graph``)."""
    keep = grad_mode.is_grad_enabled()
    with grad_mode.enable_grad():
        leaf = (a if first else b).detach().requires_grad_(True)
        out = f(leaf, b) if first else f(a, leaf)
        (grad,) = autograd_grad(out, leaf, g, create_graph=keep)
    return grad


def _columns(cols: Any, lo: int, hi: int) -> Any:
    """The im2col matrix (C_g*KH*KW, N*OH*OW) of channels [lo, hi): one copy of the window view.

    Output positions run along the rows' contiguous axis, so the copy reads
    the input along its rows (stride ``stride``) rather than three pixels at
    a time, which is several times faster than the (N*OH*OW, C*KH*KW) layout.
    """
    c = cols[:, lo:hi]
    n, cg, oh, ow, kh, kw = c.shape
    return c.transpose(1, 4, 5, 0, 2, 3).reshape(cg * kh * kw, n * oh * ow)


def _conv_backward(xp_: Any, g: Any, node: Any, want_in: bool, want_w: bool) -> tuple:
    """(input grad, weight grad) of a convolution from the output grad ``g`` and the node's geometry."""
    w = node.weight_arr
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
            c_g = _columns(node.cols, gi * cg, (gi + 1) * cg)
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
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(conv2d, True, (), locals())
    if input.ndim == 4:  # an unbatched input is checked once batched
        _check_params(input, weight, stride, padding, dilation, groups)
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
        node.forward = functools.partial(conv2d, bias=None, stride=stride, padding=padding, dilation=dilation,
                                         groups=groups)  # fmt: skip
        record(node, result, input, weight, bias)
        # Saved for the version-counter check, as torch saves input and weight.
        node.save("input", input)
        node.save("weight", weight)
    return result


def _single(v: Any) -> int:
    return int(v) if isinstance(v, int) else int(next(iter(v)))


def _sizes(t: Any) -> str:
    return ", ".join(str(s) for s in t)


def _check_dims(input: Tensor, spatial: int, name: str) -> None:
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {name}, but got input of "
            f"size: [{_sizes(input.shape)}]"
        )


def _check_channels(input: Tensor, weight: Tensor, groups: int, transposed: bool) -> None:
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != expected:
        what = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(
            f"Given {what}, weight of size [{_sizes(weight.shape)}], expected input[{_sizes(input.shape)}] to have "
            f"{expected} channels, but got {input.shape[1]} channels instead"
        )


def _conv_transpose_arrays(x: Any, w: Any, stride: tuple, pads: tuple, out_hw: list, dilation: tuple,
                           groups: int) -> Any:  # fmt: skip
    """A transposed convolution is a convolution's input grad: ``x`` plays the grad, the output the input."""
    xp_ = array_module(x)
    geom = SimpleNamespace(weight_arr=w, groups=groups, padding=((pads[0], pads[0]), (pads[1], pads[1])),
                           input_shape=(x.shape[0], w.shape[1] * groups, *out_hw), stride=stride, dilation=dilation)  # fmt: skip
    return xp_.ascontiguousarray(_conv_backward(xp_, x, geom, want_in=True, want_w=False)[0])


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(conv_transpose2d, True, (), locals())
    _check_dims(input, 2, "conv_transpose2d")
    if input.ndim == 3:
        out = conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation)
        return out.squeeze(0)
    stride, pads, out_pad, dilation = (_pair(v) for v in (stride, padding, output_padding, dilation))
    if any(op >= max(s, d) for op, s, d in zip(out_pad, stride, dilation, strict=True)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {out_pad[0]} output_padding_width: {out_pad[1]} stride_height: {stride[0]} "
            f"stride_width: {stride[1]} dilation_height: {dilation[0]} dilation_width: {dilation[1]}"
        )
    _check_channels(input, weight, groups, transposed=True)
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(input.dtype)} but found {scalar_type_name(weight.dtype)}"
        )
    h, w = input.shape[2:]
    out_hw = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
              for n, s, p, d, k, op in zip((h, w), stride, pads, dilation, weight.shape[2:], out_pad, strict=True)]  # fmt: skip
    if min(out_hw) < 1:
        raise RuntimeError(
            f"Given input size per channel: ({h} x {w}). Calculated output size per channel: "
            f"({out_hw[0]} x {out_hw[1]}). Output size is too small"
        )
    res = _conv_transpose_arrays(input._data, weight._data, stride, pads, out_hw, dilation, groups)
    if bias is not None:
        res += bias._data.reshape(1, -1, 1, 1)
    out = Tensor._make(res)
    if grad_recording(input, weight, bias):
        node = ConvolutionBackward0()
        node.transposed = True
        node.stride, node.pads, node.dilation, node.groups = stride, pads, dilation, groups
        node.input_arr, node.weight_arr = input._data, weight._data
        node.forward = functools.partial(conv_transpose2d, bias=None, stride=stride, padding=pads,
                                         output_padding=out_pad, groups=groups, dilation=dilation)  # fmt: skip
        record(node, out, input, weight, bias)
        node.save("input", input)
        node.save("weight", weight)
    return out


# --------------------------------------------------------------------------- the 1-d forms
def _as_2d(t: Tensor) -> Tensor:
    """A height-1 leaf on the same data, requiring grad only so that the 2-d op records its node."""
    view = Tensor._make(t._data[:, :, None])
    return view.requires_grad_(True) if grad_recording(t) else view


def _run_1d(op2d: Any, input: Tensor, weight: Tensor, bias: Tensor | None, *spatial: tuple) -> Tensor:
    """``op2d`` on height-1 views of ``input`` and ``weight``; the 2-d op's node is moved onto the 1-d tensors."""
    recording = grad_recording(input, weight, bias)
    with grad_mode.set_grad_enabled(recording):
        out4 = op2d(_as_2d(input), _as_2d(weight), bias, *spatial)
    out = Tensor._make(out4._data[:, :, 0])
    if recording:
        # the 2-d op's node, its geometry copied onto a node of the 1-d tensors
        node = ConvolutionBackward0()
        node.__dict__.update({k: v for k, v in out4.grad_fn.__dict__.items() if k != "_saved"})
        node.flat = True
        node.forward = lambda a, b: op2d(a.unsqueeze(2), b.unsqueeze(2), None, *spatial).squeeze(2)
        record(node, out, input, weight, bias)
        node.save("input", input)
        node.save("weight", weight)
    return out


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(conv1d, True, (), locals())
    _check_dims(input, 1, "conv1d")
    if input.ndim == 2:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    _check_params(input, weight, stride, padding, dilation, groups)
    _check_channels(input, weight, groups, transposed=False)
    s, d = _single(stride), _single(dilation)
    if not isinstance(padding, str):
        p = _single(padding)
        padded, k = input.shape[2] + 2 * p, d * (weight.shape[2] - 1) + 1
        if padded < k:
            raise RuntimeError(
                f"Calculated padded input size per channel: ({padded}). Kernel size: ({k}). "
                "Kernel size can't be greater than actual input size"
            )
        padding = (0, p)
    return _run_1d(conv2d, input, weight, bias, (1, s), padding, (1, d), groups)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(conv_transpose1d, True, (), locals())
    _check_dims(input, 1, "conv_transpose1d")
    if input.ndim == 2:
        out = conv_transpose1d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation)
        return out.squeeze(0)
    spatial = ((1, _single(stride)), (0, _single(padding)), (0, _single(output_padding)))
    return _run_1d(conv_transpose2d, input, weight, bias, *spatial, groups, (1, _single(dilation)))
