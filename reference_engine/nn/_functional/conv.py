"""Convolutions over 1, 2 or 3 spatial dims (conv1d/2d/3d, conv_transpose1d/2d/3d), each one ``ConvolutionBackward0``.

The forward builds a strided window view of the padded input (no copy, no
loop over pixels) and contracts it with the weight, one matmul per group.
The backward contracts the output grad with the same windows (weight grad)
and scatters the column grads back with one strided add per kernel offset
(input grad). The same code serves any number of spatial dims.

- A transposed convolution is the input grad of a convolution: the column product scattered back with
  ``_col2im``. Its backward is a plain convolution (input grad) and the convolution's weight-grad
  contraction with the roles swapped (weight grad), both on arrays.
- The 1-d forms run the 2-d code on a height-1 view (as torch's ``view1d_as_2d``); their node hands the grads
  back in 1-d shapes, so the graph is torch's (one ``ConvolutionBackward0`` on the 1-d tensors).
- The checks follow torch's order: the Python binding's argument lengths, ``_convolution``'s parameter
  expansion, ``check_shape_forward``, then the CPU kernel's own (dtypes, output size).
"""

from __future__ import annotations

import functools
import itertools
import math
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


def same_padding(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """(before, after) padding per spatial dim for padding='same' (the extra pixel goes after)."""
    out = []
    for k, d in zip(kernel, dilation, strict=True):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def _windows(xp_: Any, xpad: Any, kernel: tuple, stride: tuple, dilation: tuple, out: tuple) -> Any:
    """View (N, C, *out, *kernel) of the padded input: every receptive field, without copying."""
    sn, sc, *ss = xpad.strides
    shape = (xpad.shape[0], xpad.shape[1], *out, *kernel)
    strides = (sn, sc, *(a * b for a, b in zip(ss, stride, strict=True)),
               *(a * b for a, b in zip(ss, dilation, strict=True)))  # fmt: skip
    # read-only windows on NumPy (CuPy's as_strided has no ``writeable``)
    if xp_ is np:
        return np.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides, writeable=False)
    return xp_.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides)


# the C++ type names torch's convolution errors give (c10's TypeMeta names)
_C_TYPE = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
           "bool": "bool", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
           "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}  # fmt: skip


def _as_tuple(v: Any) -> tuple:
    return (int(v),) if isinstance(v, int) else tuple(int(e) for e in v)


def _sizes(t: Any) -> str:
    return ", ".join(str(s) for s in t)


def _binding_tuple(v: Any, nd: int) -> tuple:
    """What torch's Python binding hands ATen for an ``int[nd]`` argument: an int repeated ``nd`` times, a
    sequence as given (``_convolution`` checks its length against the weight's spatial dims)."""
    return (int(v),) * nd if isinstance(v, int) else tuple(int(e) for e in v)


def _expand(v: tuple, name: str, k: int) -> tuple:
    """``_convolution``'s expand_param_if_needed: one value for every spatial dim, or ``k`` values."""
    if len(v) == 1:
        return v * k
    if len(v) != k:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {k} values to match the convolution "
            f"dimensions, but got {name}=[{_sizes(v)}]"
        )
    return v


_SAME_PAD_WARNED = False  # TORCH_WARN_ONCE in torch's _convolution_same


def _same_checks(input: Tensor, weight: Tensor, stride: tuple, dilation: tuple, groups: int) -> None:
    """torch's ``_convolution_same`` checks, before it computes the padding and runs the convolution."""
    if weight.ndim <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    k = weight.ndim
    if input.ndim != k:
        raise RuntimeError(
            f"Expected {k}-dimensional input for {k}-dimensional weight[{_sizes(weight.shape)}], "
            f"but got {input.ndim}-dimensional input of size [{_sizes(input.shape)}] instead"
        )
    for v, name in ((stride, "stride"), (dilation, "dilation")):
        if len(v) not in (k - 2, 1):
            raise RuntimeError(f"{name} cannot broadcast to {k - 2} dimensions")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    dil = dilation * (k - 2) if len(dilation) == 1 else dilation
    global _SAME_PAD_WARNED
    if any((d * (kk - 1)) % 2 for d, kk in zip(dil, weight.shape[2:], strict=True)) and not _SAME_PAD_WARNED:
        _SAME_PAD_WARNED = True
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of "
            "the input be created",
            UserWarning,
            stacklevel=5,
        )


def _check_shape_forward(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                         dilation: Any, groups: int, transposed: bool = False,
                         output_padding: Any = 0) -> tuple:  # fmt: skip
    """``_convolution``'s parameter expansion and ``check_shape_forward`` on a batched input; returns the
    expanded (stride, padding, dilation, output_padding). ``padding`` may be 'valid' or 'same'."""
    stride, dilation = _as_tuple(stride), _as_tuple(dilation)
    if isinstance(padding, str):
        if padding == "same":
            _same_checks(input, weight, stride, dilation, groups)
        elif padding != "valid":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        pad: tuple = (0,)
    else:
        pad = _as_tuple(padding)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    k = weight.ndim - 2
    stride, pad, dilation = _expand(stride, "stride", k), _expand(pad, "padding", k), _expand(dilation, "dilation", k)
    out_pad = _expand(_as_tuple(output_padding), "output_padding", k)
    if padding == "same":
        pad = tuple(lo for lo, _hi in same_padding(tuple(weight.shape[2:]), dilation))
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in out_pad):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    _check_shapes(input, weight, bias, pad, dilation, groups, transposed)
    return stride, pad, dilation, out_pad


def _check_shapes(input: Tensor, weight: Tensor, bias: Tensor | None, pad: tuple, dilation: tuple, groups: int,
                  transposed: bool) -> None:  # fmt: skip
    """The shape half of ``check_shape_forward``: weight against input and groups, channels, bias, kernel size."""
    ws = _sizes(weight.shape)
    if weight.ndim != input.ndim:
        raise RuntimeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight [{ws}], but got "
            f"{input.ndim}-dimensional input of size [{_sizes(input.shape)}] instead"
        )
    if weight.shape[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got weight of size "
            f"[{ws}] instead"
        )
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of "
            f"size [[{ws}]] instead"
        )
    bias_bad = bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[0 if not transposed else 1] * (
        groups if transposed else 1))  # fmt: skip
    if not transposed:
        if input.shape[1] != weight.shape[1] * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size [{ws}], expected input[{_sizes(input.shape)}] to have "
                f"{weight.shape[1] * groups} channels, but got {input.shape[1]} channels instead"
            )
        if bias_bad:
            raise RuntimeError(
                f"Given weight of size [{ws}], expected bias to be 1-dimensional with {weight.shape[0]} elements, "
                f"but got bias of size [{_sizes(bias.shape)}] instead"
            )
        padded = [s + 2 * p for s, p in zip(input.shape[2:], pad, strict=True)]
        kernel = [d * (kk - 1) + 1 for d, kk in zip(dilation, weight.shape[2:], strict=True)]
        if any(a < b for a, b in zip(padded, kernel, strict=True)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                f"({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual input size"
            )
    else:
        if input.shape[1] != weight.shape[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size [{ws}], expected input[{_sizes(input.shape)}] to have "
                f"{weight.shape[0]} channels, but got {input.shape[1]} channels instead"
            )
        if bias_bad:
            raise RuntimeError(
                f"Given transposed=1, weight of size [{ws}], expected bias to be 1-dimensional with "
                f"{weight.shape[1] * groups} elements, but got bias of size [{_sizes(bias.shape)}] instead"
            )


def _check_same_device(input: Tensor, weight: Tensor, bias: Tensor | None, nd: int) -> None:
    """Where torch finds parameters on another device than the input, and how it words it.

    A CPU input with a GPU parameter dispatches to the GPU's slow convolution, whose generated device
    check names the argument; a GPU input checks the parameters' legacy type names (torch.FloatTensor ...).
    """
    if not input.is_cuda:
        op = "__slow_conv2d_forward" if nd <= 2 else "slow_conv3d_forward"
        check_common_device(op, ("self", input), ("weight", weight), ("bias", bias))
        return
    for what, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.device != input.device:
            raise RuntimeError(
                f"Input type ({input._type_string()}) and {what} type ({p._type_string()}) should be the same"
            )


def _check_kernel(input: Tensor, weight: Tensor, bias: Tensor | None, dilation: tuple, nd: int) -> None:
    """The CPU convolution kernel's own checks: dilation, then the dtypes of bias and weight."""
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got [{_sizes(dilation)}]")
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"Input type ({_C_TYPE.get(input.dtype.name, input.dtype.name)}) and bias type "
            f"({_C_TYPE.get(bias.dtype.name, bias.dtype.name)}) should be the same"
        )
    _check_same_device(input, weight, bias, nd)
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(input.dtype)} but found {scalar_type_name(weight.dtype)}"
        )


_AXES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _check_transposed_kernel(input: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple, out_pad: tuple,
                             dilation: tuple) -> None:  # fmt: skip
    """slow_conv_transpose2d/3d's shape check: output padding against stride and dilation, dilation, dtypes."""
    axes = _AXES[len(stride)]
    if any(op >= max(s, d) for op, s, d in zip(out_pad, stride, dilation, strict=True)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(f"output_padding_{a}: {v}" for a, v in zip(axes, out_pad, strict=True)) + " "
            + " ".join(f"stride_{a}: {v}" for a, v in zip(axes, stride, strict=True)) + " "
            + " ".join(f"dilation_{a}: {v}" for a, v in zip(axes, dilation, strict=True))
        )  # fmt: skip
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            "dilation should be greater than zero, but got "
            + ", ".join(f"dilation_{a}: {v}" for a, v in zip(axes, dilation, strict=True))
        )
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(input.dtype)} but found {scalar_type_name(weight.dtype)}"
        )
    # slow_conv_transpose3d checks the bias's type too; the 2-d kernel adds a bias of another type, cast
    if len(stride) == 3 and bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(input.dtype)} but found {scalar_type_name(bias.dtype)}"
        )


class ConvolutionBackward0(Node):
    """The one node of every convolution (1-d, 2-d, 3-d, transposed or not), as in torch.

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
        gb = g.sum(axis=(0, *range(2, g.ndim))) if needs(self, 2) else None
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
            conv = _conv_arrays(g, w, self.stride, tuple((p, p) for p in self.pads), self.dilation, self.groups)
            gin = conv[(slice(None), slice(None), *(slice(0, s) for s in x.shape[2:]))]
        if needs(self, 1):
            # the convolution's weight grad with the roles swapped: the input is the "grad", the windows are the
            # padded grad's: gw[ci, co, *k] = sum of x[n, ci, *p] * padded_grad[n, co, *(p*s + k*d)]
            xp_ = array_module(g)
            gpad = xp_.pad(g, ((0, 0), (0, 0), *((p, p) for p in self.pads)))
            cols = _windows(xp_, gpad, tuple(w.shape[2:]), self.stride, self.dilation, tuple(x.shape[2:]))
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
    """The im2col matrix (C_g*prod(kernel), N*prod(out)) of channels [lo, hi): one copy of the window view.

    Output positions run along the rows' contiguous axis, so the copy reads
    the input along its rows (stride ``stride``) rather than a few pixels at
    a time, which is several times faster than the (N*prod(out), C*prod(kernel)) layout.
    """
    c = cols[:, lo:hi]
    nd = (c.ndim - 2) // 2
    order = (1, *range(nd + 2, 2 * nd + 2), 0, *range(2, nd + 2))
    return c.transpose(order).reshape(c.shape[1] * math.prod(c.shape[nd + 2 :]), -1)


def _conv_backward(xp_: Any, g: Any, node: Any, want_in: bool, want_w: bool) -> tuple:
    """(input grad, weight grad) of a convolution from the output grad ``g`` and the node's geometry."""
    w = node.weight_arr
    groups = node.groups
    n, o, *out = g.shape
    og = o // groups
    cg, kernel = w.shape[1], tuple(w.shape[2:])
    gin = gw = None
    if want_w:
        gw = xp_.empty_like(w)
    if want_in:
        gcols = xp_.empty((groups * cg, *kernel, n, *out), dtype=g.dtype)
    for gi in range(groups):
        g_g = xp_.moveaxis(g[:, gi * og : (gi + 1) * og], 1, 0).reshape(og, -1)  # (Og, N*prod(out))
        if want_w:
            c_g = _columns(node.cols, gi * cg, (gi + 1) * cg)
            gw[gi * og : (gi + 1) * og] = (g_g @ c_g.T).reshape(og, cg, *kernel)
        if want_in:
            w_g = w[gi * og : (gi + 1) * og].reshape(og, -1)
            gcols[gi * cg : (gi + 1) * cg] = (w_g.T @ g_g).reshape(cg, *kernel, n, *out)
    if want_in:
        gin = _col2im(xp_, gcols, node)
    return gin, gw


def _col2im(xp_: Any, gcols: Any, node: Any) -> Any:
    """Scatter-add the window grads (C, *kernel, N, *out) onto the padded input, one strided add per offset."""
    n, c, *size = node.input_shape
    nd = len(size)
    kernel, out = gcols.shape[1 : nd + 1], gcols.shape[nd + 2 :]
    gpad = xp_.zeros((n, c, *(s + lo + hi for s, (lo, hi) in zip(size, node.padding, strict=True))), dtype=gcols.dtype)
    for offs in itertools.product(*(range(k) for k in kernel)):
        where = tuple(slice(i * d, i * d + s * (o - 1) + 1, s)
                      for i, d, s, o in zip(offs, node.dilation, node.stride, out, strict=True))  # fmt: skip
        gpad[(slice(None), slice(None), *where)] += xp_.moveaxis(gcols[(slice(None), *offs)], 1, 0)
    return gpad[
        (slice(None), slice(None), *(slice(lo, lo + s) for s, (lo, _hi) in zip(size, node.padding, strict=True)))
    ]


def _conv_arrays(x: Any, wa: Any, stride: tuple, pads: tuple, dilation: tuple, groups: int) -> Any:
    """The convolution of arrays (N, C, *size) and (O, C/groups, *kernel), no bias: (N, O, *out)."""
    xp_ = array_module(x)
    return _conv_with_windows(xp_, x, wa, stride, pads, dilation, groups)[0]


def _conv_with_windows(xp_: Any, x: Any, wa: Any, stride: tuple, pads: tuple, dilation: tuple, groups: int) -> tuple:
    """(output, window view): the window view is kept by the node for the weight grad."""
    kernel = tuple(wa.shape[2:])
    n = x.shape[0]
    out = tuple((s + lo + hi - d * (k - 1) - 1) // st + 1
                for s, (lo, hi), d, k, st in zip(x.shape[2:], pads, dilation, kernel, stride, strict=True))  # fmt: skip
    padded = any(lo or hi for lo, hi in pads)
    xpad = xp_.pad(x, ((0, 0), (0, 0), *pads)) if padded else xp_.ascontiguousarray(x)
    cols = _windows(xp_, xpad, kernel, stride, dilation, out)
    o = wa.shape[0]
    og, cg = o // groups, wa.shape[1]
    res_all = xp_.empty((n, o, *out), dtype=x.dtype)
    for gi in range(groups):
        w_g = wa[gi * og : (gi + 1) * og].reshape(og, -1)
        res = w_g @ _columns(cols, gi * cg, (gi + 1) * cg)  # (Og, N*prod(out))
        res_all[:, gi * og : (gi + 1) * og] = xp_.moveaxis(res.reshape(og, n, *out), 0, 1)
    return res_all, cols


def _convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any,
                 groups: int, nd: int, name: str) -> Tensor:  # fmt: skip
    """conv2d / conv3d: torch's batchify, checks, then the window contraction; one ``ConvolutionBackward0``."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: "
            f"[{_sizes(input.shape)}]"
        )
    if input.ndim == nd + 1:
        # torch batches an unbatched input: unsqueeze, convolve, squeeze (grad_fn SqueezeBackward1)
        return _convolution(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups, nd, name).squeeze(0)
    stride_b, dilation_b = _binding_tuple(stride, nd), _binding_tuple(dilation, nd)
    padding_b = padding if isinstance(padding, str) else _binding_tuple(padding, nd)
    stride_t, pad_t, dilation_t, _ = _check_shape_forward(input, weight, bias, stride_b, padding_b, dilation_b, groups)
    _check_kernel(input, weight, bias, dilation_t, nd)
    if padding == "same":
        pads = same_padding(tuple(weight.shape[2:]), dilation_t)
    else:
        pads = tuple((p, p) for p in pad_t)
    x = input._data
    xp_ = array_module(x)
    wa = weight._data
    out, cols = _conv_with_windows(xp_, x, wa, stride_t, pads, dilation_t, groups)
    if bias is not None:
        out += bias._data.reshape(1, -1, *([1] * nd))
    result = Tensor._make(out)
    if grad_recording(input, weight, bias):
        node = ConvolutionBackward0()
        node.cols, node.weight_arr, node.groups = cols, wa, groups
        node.padding, node.stride, node.dilation = pads, stride_t, dilation_t
        node.input_shape = x.shape
        node.forward = functools.partial(_convolution, bias=None, stride=stride_t, padding=padding_b,
                                         dilation=dilation_t, groups=groups, nd=nd, name=name)  # fmt: skip
        record(node, result, input, weight, bias)
        # Saved for the version-counter check, as torch saves input and weight.
        node.save("input", input)
        node.save("weight", weight)
    return result


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
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(conv3d, True, (), locals())
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose_arrays(x: Any, w: Any, stride: tuple, pads: tuple, out_size: list, dilation: tuple,
                           groups: int) -> Any:  # fmt: skip
    """A transposed convolution is a convolution's input grad: ``x`` plays the grad, the output the input."""
    xp_ = array_module(x)
    geom = SimpleNamespace(weight_arr=w, groups=groups, padding=tuple((p, p) for p in pads),
                           input_shape=(x.shape[0], w.shape[1] * groups, *out_size), stride=stride, dilation=dilation)  # fmt: skip
    return xp_.ascontiguousarray(_conv_backward(xp_, x, geom, want_in=True, want_w=False)[0])


def _conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                    output_padding: Any, groups: int, dilation: Any, nd: int, name: str) -> Tensor:  # fmt: skip
    """conv_transpose2d / conv_transpose3d: batchify, torch's checks, the column scatter; ``ConvolutionBackward0``."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: "
            f"[{_sizes(input.shape)}]"
        )
    if input.ndim == nd + 1:
        out = _conv_transpose(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation,
                              nd, name)  # fmt: skip
        return out.squeeze(0)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    args = (_binding_tuple(v, nd) for v in (stride, padding, dilation, output_padding))
    stride_b, pad_b, dilation_b, out_pad_b = args
    stride_t, pads, dilation_t, out_pad = _check_shape_forward(input, weight, bias, stride_b, pad_b, dilation_b,
                                                               groups, transposed=True, output_padding=out_pad_b)  # fmt: skip
    _check_transposed_kernel(input, weight, bias, stride_t, out_pad, dilation_t)
    size = input.shape[2:]
    out_size = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
                for n, s, p, d, k, op in zip(size, stride_t, pads, dilation_t, weight.shape[2:], out_pad, strict=True)]  # fmt: skip
    if min(out_size) < 1:
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, size))}). Calculated output size per channel: "
            f"({' x '.join(map(str, out_size))}). Output size is too small"
        )
    res = _conv_transpose_arrays(input._data, weight._data, stride_t, pads, out_size, dilation_t, groups)
    if bias is not None:
        res += bias._data.astype(res.dtype, copy=False).reshape(1, -1, *([1] * nd))
    out = Tensor._make(res)
    if grad_recording(input, weight, bias):
        node = ConvolutionBackward0()
        node.transposed = True
        node.stride, node.pads, node.dilation, node.groups = stride_t, pads, dilation_t, groups
        node.input_arr, node.weight_arr = input._data, weight._data
        node.forward = functools.partial(_conv_transpose, bias=None, stride=stride_t, padding=pads,
                                         output_padding=out_pad, groups=groups, dilation=dilation_t, nd=nd,
                                         name=name)  # fmt: skip
        record(node, out, input, weight, bias)
        node.save("input", input)
        node.save("weight", weight)
    return out


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
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")  # fmt: skip


def conv_transpose3d(
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
        return _autocast.run(conv_transpose3d, True, (), locals())
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")  # fmt: skip


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


def _check_dims(input: Tensor, spatial: int, name: str) -> None:
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {name}, but got input of "
            f"size: [{_sizes(input.shape)}]"
        )


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
    padding_b = padding if isinstance(padding, str) else _binding_tuple(padding, 1)
    s, p, d, _ = _check_shape_forward(input, weight, bias, _binding_tuple(stride, 1), padding_b,
                                      _binding_tuple(dilation, 1), groups)  # fmt: skip
    return _run_1d(conv2d, input, weight, bias, (1, s[0]), padding if isinstance(padding, str) else (0, p[0]),
                   (1, d[0]), groups)  # fmt: skip


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
    if isinstance(padding, str):
        raise TypeError("conv_transpose1d(): argument 'padding' must be tuple of ints, not str")
    args = (_binding_tuple(v, 1) for v in (stride, padding, dilation, output_padding))
    stride_b, pad_b, dilation_b, out_pad_b = args
    s, p, d, op = _check_shape_forward(input, weight, bias, stride_b, pad_b, dilation_b, groups, transposed=True,
                                       output_padding=out_pad_b)  # fmt: skip
    return _run_1d(conv_transpose2d, input, weight, bias, (1, s[0]), (0, p[0]), (0, op[0]), groups, (1, d[0]))
