"""conv1d, conv_transpose2d and conv_transpose1d, each one ``ConvolutionBackward0`` node as in torch.

- conv_transpose2d is the input grad of a convolution: the column product scattered back with
  ``ops.conv._col2im``. Its backward is a plain convolution (input grad) and the convolution's
  weight-grad contraction with the roles swapped (weight grad), both on arrays.
- The 1-d forms run the 2-d code on a height-1 view; their node hands the grads back in 1-d shapes,
  so the graph is torch's (one ``ConvolutionBackward0`` on the 1-d tensors).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .._backend import array_module
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..ops import conv as _conv
from ..ops._util import grad_recording, needs, record
from ..ops.inplace import scalar_type_name
from ..tensor import Tensor


def _single(v: Any) -> int:
    return int(v) if isinstance(v, int) else int(next(iter(v)))


def _sizes(t: Any) -> str:
    return ", ".join(str(s) for s in t)


def _check_dims(input: Tensor, spatial: int, name: str) -> None:  # noqa: A002
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {name}, but got input of "
            f"size: [{_sizes(input.shape)}]"
        )


def _check_channels(input: Tensor, weight: Tensor, groups: int, transposed: bool) -> None:  # noqa: A002
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != expected:
        what = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(
            f"Given {what}, weight of size [{_sizes(weight.shape)}], expected input[{_sizes(input.shape)}] to have "
            f"{expected} channels, but got {input.shape[1]} channels instead"
        )


# --------------------------------------------------------------------------- conv_transpose2d
class ConvolutionBackward0(Node):
    # input, weight, bias: convolution_backward(grad, input, weight, ..., transposed=true, ...)
    def apply(self, grad: Tensor) -> tuple:
        self.saved("input")  # raises torch's error if input or weight changed in place since forward
        self.saved("weight")
        x, w = self.input_arr, self.weight_arr  # 4-d even under a 1-d node
        g = grad._data
        gin = gw = gb = None
        if needs(self, 0):
            # the transposed convolution's input grad is the forward convolution of the output grad
            with grad_mode.no_grad():
                conv = _conv.conv2d(Tensor._make(g), Tensor._make(w), None, self.stride, self.pads, self.dilation,
                                    self.groups)._data  # fmt: skip
            gin = Tensor._make(conv[:, :, : x.shape[2], : x.shape[3]])
        if needs(self, 1):
            gw = Tensor._make(self._weight_grad(x, w, g))
        if needs(self, 2):
            gb = Tensor._make(g.sum(axis=(0, 2, 3)))
        return gin, gw, gb

    def _weight_grad(self, x: Any, w: Any, g: Any) -> Any:
        """gw[ci, co, i, j] = sum of x[n, ci, h, w] * padded_grad[n, co, h*s + i*d, w*s + j*d]."""
        xp_ = array_module(g)
        (ph, pw), groups = self.pads, self.groups
        h, wd = x.shape[2:]
        cin_g, cout_g, kh, kw = w.shape[0] // groups, w.shape[1], w.shape[2], w.shape[3]
        gpad = xp_.pad(g, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        cols = _conv._windows(xp_, gpad, kh, kw, self.stride, self.dilation, h, wd)
        gw = xp_.empty_like(w)
        for gi in range(groups):
            x_g = x[:, gi * cin_g : (gi + 1) * cin_g].transpose(1, 0, 2, 3).reshape(cin_g, -1)
            c_g = _conv._columns(cols, gi * cout_g, (gi + 1) * cout_g)
            gw[gi * cin_g : (gi + 1) * cin_g] = (x_g @ c_g.T).reshape(cin_g, cout_g, kh, kw)
        return gw


def _conv_transpose_arrays(x: Any, w: Any, stride: tuple, pads: tuple, out_pad: tuple, dilation: tuple,
                           groups: int) -> Any:  # fmt: skip
    xp_ = array_module(x)
    n, cin, h, wd = x.shape
    cin_g, cout_g, kh, kw = cin // groups, w.shape[1], w.shape[2], w.shape[3]
    oh = (h - 1) * stride[0] - 2 * pads[0] + dilation[0] * (kh - 1) + out_pad[0] + 1
    ow = (wd - 1) * stride[1] - 2 * pads[1] + dilation[1] * (kw - 1) + out_pad[1] + 1
    gcols = xp_.empty((groups * cout_g, kh, kw, n, h, wd), dtype=x.dtype)
    for gi in range(groups):
        x_g = x[:, gi * cin_g : (gi + 1) * cin_g].transpose(1, 0, 2, 3).reshape(cin_g, -1)
        w_g = w[gi * cin_g : (gi + 1) * cin_g].reshape(cin_g, -1)
        gcols[gi * cout_g : (gi + 1) * cout_g] = (w_g.T @ x_g).reshape(cout_g, kh, kw, n, h, wd)
    # the scatter of conv.py's input grad, with the output playing the convolution's input
    geom = SimpleNamespace(padding=((pads[0], pads[0]), (pads[1], pads[1])), input_shape=(n, cout_g * groups, oh, ow),
                           stride=stride, dilation=dilation)  # fmt: skip
    return xp_.ascontiguousarray(_conv._col2im(xp_, gcols, geom))


def conv_transpose2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    _check_dims(input, 2, "conv_transpose2d")
    if input.ndim == 3:
        out = conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation)
        return out.squeeze(0)
    stride, pads, out_pad, dilation = (_conv._pair(v) for v in (stride, padding, output_padding, dilation))
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
    res = _conv_transpose_arrays(input._data, weight._data, stride, pads, out_pad, dilation, groups)
    if bias is not None:
        res += bias._data.reshape(1, -1, 1, 1)
    out = Tensor._make(res)
    if grad_recording(input, weight, bias):
        node = ConvolutionBackward0()
        node.stride, node.pads, node.dilation, node.groups = stride, pads, dilation, groups
        node.input_arr, node.weight_arr = input._data, weight._data
        record(node, out, input, weight, bias)
        node.save("input", input)
        node.save("weight", weight)
    return out


# --------------------------------------------------------------------------- the 1-d forms
def _flat_node(node2d: Node) -> Node:
    """A node of the 2-d node's class (same name, same backward) that takes and gives 1-d grads."""
    cls = type(node2d)
    flat_cls = _FLAT_NODES.get(cls)
    if flat_cls is None:

        def apply(self: Node, grad: Tensor) -> tuple:
            grads = cls.apply(self, Tensor._make(grad._data[:, :, None]))
            return tuple(t if t is None or t.ndim == 1 else Tensor._make(t._data[:, :, 0]) for t in grads)

        flat_cls = _FLAT_NODES[cls] = type(cls.__name__, (cls,), {"apply": apply, "__module__": __name__})
    node = flat_cls()
    node.__dict__.update({k: v for k, v in node2d.__dict__.items() if k != "_saved"})
    return node


_FLAT_NODES: dict[type, type] = {}


def _as_2d(t: Tensor) -> Tensor:
    """A height-1 leaf on the same data, requiring grad only so that the 2-d op records its node."""
    view = Tensor._make(t._data[:, :, None])
    return view.requires_grad_(True) if grad_recording(t) else view


def _run_1d(op2d: Any, input: Tensor, weight: Tensor, bias: Tensor | None, *spatial: tuple) -> Tensor:  # noqa: A002
    """``op2d`` on height-1 views of ``input`` and ``weight``; the 2-d op's node is moved onto the 1-d tensors."""
    recording = grad_recording(input, weight, bias)
    with grad_mode.set_grad_enabled(recording):
        out4 = op2d(_as_2d(input), _as_2d(weight), bias, *spatial)
    out = Tensor._make(out4._data[:, :, 0])
    if recording:
        node = _flat_node(out4.grad_fn)
        record(node, out, input, weight, bias)
        node.save("input", input)
        node.save("weight", weight)
    return out


def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    _check_dims(input, 1, "conv1d")
    if input.ndim == 2:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
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
    return _run_1d(_conv.conv2d, input, weight, bias, (1, s), padding, (1, d), groups)


def conv_transpose1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    _check_dims(input, 1, "conv_transpose1d")
    if input.ndim == 2:
        out = conv_transpose1d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation)
        return out.squeeze(0)
    spatial = ((1, _single(stride)), (0, _single(padding)), (0, _single(output_padding)))
    return _run_1d(conv_transpose2d, input, weight, bias, *spatial, groups, (1, _single(dilation)))


__all__ = ["conv1d", "conv_transpose1d", "conv_transpose2d"]
