"""linear (torch's addmm/mm graph) and bilinear (torch's composite, ATen's ``Linear.cpp``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ...ops import _autocast
from ...ops._small_gemm import small_mm
from ...ops._util import check_common_device, grad_recording, needs, record
from ...ops.blas import AddmmBackward0, _squeeze0_, matmul, mm
from ...ops.inplace import scalar_type_name
from ...tensor import Tensor


def _check_mm(a: Any, b: Any) -> None:
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})"
        )


def _check_dtypes(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {scalar_type_name(a.dtype)} and "
            f"{scalar_type_name(b.dtype)}"
        )


def _linear2d(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    # torch's linear is addmm(bias, x, weight.t()), or mm(x, weight.t()) without a bias
    if bias is None:
        check_common_device("mm", ("self", x), ("mat2", weight))
    else:
        check_common_device("addmm", ("self", bias), ("mat1", x), ("mat2", weight))
    xa, wa = x._data, weight._data
    wt = wa.T
    _check_mm(xa, wt)
    _check_dtypes(x, weight)
    if bias is None:
        return mm(x, weight.t())
    if xa.dtype == D.BF16:  # torch's bfloat16 addmm: product and bias in float32, one rounding
        arr = ((xa.astype(np.float32) @ wt.astype(np.float32)) + bias._data.astype(np.float32)).astype(D.BF16)
    else:
        # torch's float32 order where it is known
        arr = small_mm(xa, wt, bias._data) if bias._data.shape == (wt.shape[1],) else None
        if arr is None:
            arr = xa @ wt
            arr += bias._data
    out = Tensor._make(arr)
    if grad_recording(bias, x, weight):
        node = AddmmBackward0()
        node.alpha = node.beta = node._saved_alpha = node._saved_beta = 1
        # torch's graph: addmm(bias, x, weight.t()), the weight reached through a TBackward0 node
        wt_view = weight.t()
        record(node, out, bias, x, wt_view if weight._requires_grad or weight._grad_fn is not None else weight)
        if needs(node, 2):
            node.save("mat1", x)
        if needs(node, 1):
            node.save("mat2", wt_view)
    return out


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b for inputs of any rank >= 1 (the last dim is the feature dim)."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(linear, True, (), locals())
    if input.ndim == 2:
        return _linear2d(input, weight, bias)
    if input.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
    if input.ndim == 1 and bias is None:  # torch: mm(x.unsqueeze(0), weight.t()).squeeze_(0) (SqueezeBackward4)
        return _squeeze0_(_linear2d(input.unsqueeze(0), weight, None))
    if bias is None:  # torch: matmul(input, weight.t()) (a folded mm: UnsafeViewBackward0 on top)
        return matmul(input, weight.t())
    lead = input.shape[:-1]
    # ATen's _flatten_nd_linear: the product of the leading dims, not -1 (which is ambiguous for 0 features)
    rows = 1
    for n in lead:
        rows *= n
    out = _linear2d(input.reshape(rows, input.shape[-1]), weight, bias)
    return out.reshape(*lead, weight.shape[0])


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} and {input2.shape[i]}"
            )
    for n, x, j in ((1, input1, 1), (2, input2, 2)):
        if x.shape[-1] != weight.shape[j]:
            raise RuntimeError(
                f"bilinear(): input{n} size does not match weight size: got {x.shape[-1]} but expected "
                f"{weight.shape[j]}"
            )
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected {weight.shape[0]}"
        )
    out_f, in1, in2 = weight.shape
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # out[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j]: one product over i, then a weighted sum over j
    left = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    out = (left * x2.unsqueeze(1)).sum(-1).reshape(*input1.shape[:-1], out_f)
    return out + bias if bias is not None else out
